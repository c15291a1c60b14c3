// The API keys file (api/api_keys.hpp) and the HTTP status of each error
// code (api/http_api.hpp), by tables.
#include <doctest/doctest.h>

#include "api/api_keys.hpp"
#include "api/http_api.hpp"

using namespace parley;

namespace {
const std::string kHashOfTest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
}

TEST_CASE("api keys: sha256 and hex") {
  CHECK(to_hex(sha256("test")) == kHashOfTest);
}

TEST_CASE("api keys: a file parses into identities; errors name the line") {
  auto keys = parse_api_keys("# comment\n\ncrm acme bot crm-bot 2.5 " + kHashOfTest + "\n");
  REQUIRE(keys.ok());
  REQUIRE(keys->size() == 1);
  const ApiKey& k = keys->front();
  CHECK(k.name == "crm");
  CHECK(k.identity.tenant == "acme");
  CHECK(k.identity.role == AccountRole::bot);
  CHECK(k.identity.user_id == "crm-bot");
  CHECK(k.rate_per_sec == 2.5);

  struct Bad {
    std::string text;
    std::string says;
  };
  for (const Bad& b : {
           Bad{"a t bot u 1\n", "line 1: want 6 fields"},
           Bad{"\na t agent u 1 " + kHashOfTest, "line 2: role must be bot or admin"},
           Bad{"a t bot u 0 " + kHashOfTest, "rate"},
           Bad{"a t bot u x " + kHashOfTest, "rate"},
           Bad{"a t bot u 1 abc", "64 hex digits"},
           Bad{"a t bot u 1 " + kHashOfTest + "\na t bot v 1 " + std::string(64, '0'),
               "line 2: name \"a\" used twice"},
           Bad{"a t bot u 1 " + kHashOfTest + "\nb t bot v 1 " + kHashOfTest,
               "the same key is listed twice"},
       }) {
    CAPTURE(b.text);
    auto r = parse_api_keys(b.text);
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(r.error().message.find(b.says) != std::string::npos, r.error().message);
  }
}

TEST_CASE("api keys: find by the key's text; each key has its own rate") {
  ApiKeyStore store;
  auto keys = parse_api_keys("a t admin u 1 " + kHashOfTest + "\nb t bot v 100 " +
                             to_hex(sha256("other")) + "\n");
  REQUIRE(keys.ok());
  store.set(std::move(keys.value()));
  CHECK_FALSE(store.find("nope"));
  CHECK_FALSE(store.find(""));
  auto a = store.find("test");
  REQUIRE(a);
  CHECK(a->name == "a");
  auto b = store.find("other");
  REQUIRE(b);
  CHECK(b->identity.role == AccountRole::bot);
  const auto now = RateLimiter::Clock::now();
  CHECK(store.admit(*a, 1, now).admitted);
  CHECK_FALSE(store.admit(*a, 1, now).admitted);  // one a second, a burst of one
  CHECK(store.admit(*b, 1, now).admitted);         // its own bucket
  // Reloaded with the same key: its bucket (empty now) stays.
  auto again = parse_api_keys("a2 t admin u 1 " + kHashOfTest + "\n");
  REQUIRE(again.ok());
  store.set(std::move(again.value()));
  CHECK_FALSE(store.admit(*a, 1, now).admitted);
  CHECK_FALSE(store.find("other"));
}

TEST_CASE("http api: the status of each error code") {
  struct Row {
    int code;
    unsigned status;
  };
  for (Row r : {Row{code::parse_error, 400}, Row{code::invalid_request, 400},
                Row{code::invalid_params, 400}, Row{code::method_not_found, 404},
                Row{code::internal_error, 500}, Row{401, 401}, Row{403, 403}, Row{404, 404},
                Row{409, 409}, Row{413, 413}, Row{429, 429}, Row{503, 503}, Row{-1, 500},
                Row{4001, 500}}) {
    CAPTURE(r.code);
    CHECK(http_status(r.code) == r.status);
  }
  CHECK(is_api_path("/api/v1/ping"));
  CHECK(is_api_path("/api/v1"));
  CHECK_FALSE(is_api_path("/api/v10/ping"));
  CHECK_FALSE(is_api_path("/api"));
}
