// decode_frame: the frame and the JSON-RPC envelope (PROTOCOL.md §2).
#include <doctest/doctest.h>
#include <simdjson.h>

#include <string>

#include "request.hpp"

using namespace parley;

namespace {

Result<RequestFrame> decode(std::string_view json, const Limits& limits = {}) {
  return decode_frame(json, limits);
}

Call single(std::string_view json, const Limits& limits = {}) {
  auto f = decode_frame(json, limits);
  REQUIRE(f.ok());
  REQUIRE_FALSE(f->batch);
  REQUIRE(f->calls.size() == 1);
  return f->calls[0];
}

// A string member of an error's data object, "" when absent.
std::string data_field(const Error& e, const char* key) {
  simdjson::dom::parser p;
  simdjson::dom::element root;
  if (p.parse(e.data).get(root)) return "";
  std::string_view s;
  if (root[key].get_string().get(s)) return "";
  return std::string(s);
}

std::string nested(size_t levels) {
  std::string s;
  for (size_t i = 0; i < levels; ++i) s += "[";
  s += "1";
  for (size_t i = 0; i < levels; ++i) s += "]";
  return s;
}

}  // namespace

TEST_CASE("a frame that is not JSON is a parse error") {
  for (std::string_view bad : {"", "   ", "{", "nope", R"({"jsonrpc":"2.0",})", "[1,]", "'x'"}) {
    CAPTURE(bad);
    auto f = decode(bad);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().code == code::parse_error);
  }
}

TEST_CASE("trailing content after the JSON value is a parse error") {
  for (std::string_view bad : {R"({"jsonrpc":"2.0","method":"ping","id":1} x)",
                               R"({"jsonrpc":"2.0","method":"ping","id":1}{})", "1 2", "[] []"}) {
    CAPTURE(bad);
    auto f = decode(bad);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().code == code::parse_error);
  }
}

TEST_CASE("invalid UTF-8 and bad escapes are parse errors") {
  auto f = decode("{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\",\"id\":1}");
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().code == code::parse_error);
  CHECK(f.error().message == "parse error: invalid UTF-8");
  f = decode(R"({"jsonrpc":"2.0","method":"\q","id":1})");  // no such escape
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().code == code::parse_error);
  // A lone surrogate escape is valid JSON, and a method no client can name.
  Call c = single(R"({"jsonrpc":"2.0","method":"\ud800","id":1})");
  REQUIRE_FALSE(c.params.ok());
  CHECK(c.params.error().code == code::invalid_request);
  CHECK(c.params.error().message == "invalid request: method: lone surrogate escape");
  CHECK(c.id == "1");
}

TEST_CASE("nesting deeper than limits.json_depth is a parse error") {
  Limits limits;
  limits.json_depth = 8;
  CHECK(decode(nested(8), limits).ok() == true);
  auto f = decode(nested(9), limits);
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().code == code::parse_error);
  CHECK(f.error().message == "parse error: nesting too deep");

  // The default depth, inside a real request's metadata.
  std::string deep = R"({"jsonrpc":"2.0","id":1,"method":"sendMessage","params":)"
                     R"({"conversationId":"c","text":"t","metadata":{"a":)" +
                     nested(40) + "}}}";
  f = decode(deep);
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().message == "parse error: nesting too deep");

  // A parser reused with another depth picks the new one up.
  limits.json_depth = 64;
  CHECK(decode(nested(40), limits).ok());
}

TEST_CASE("a large frame is parsed without the caller padding it") {
  std::string text(60000, 'x');
  std::string json = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":")" + text + "\"}}";
  Call c = single(json);
  REQUIRE_FALSE(c.params.ok());
  CHECK(c.params.error().code == code::invalid_params);
  CHECK(data_field(c.params.error(), "reason") == "unknown field");
}

TEST_CASE("batches") {
  SUBCASE("an empty batch is an invalid request for the whole frame") {
    auto f = decode("[]");
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().code == code::invalid_request);
    f = decode(" [ ] ");
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().code == code::invalid_request);
  }
  SUBCASE("over limits.batch is refused whole") {
    Limits limits;
    limits.batch = 3;
    std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
    auto ok = decode("[" + ping + "," + ping + "," + ping + "]", limits);
    REQUIRE(ok.ok());
    CHECK(ok->calls.size() == 3);
    auto f = decode("[" + ping + "," + ping + "," + ping + "," + ping + "]", limits);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().code == code::invalid_request);
    CHECK(f.error().message == "invalid request: batch too large");
  }
  SUBCASE("each element is its own call, in order; a bad one does not spoil the rest") {
    auto f = decode(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}, 5,
                        {"jsonrpc":"2.0","method":"ping"},
                        {"jsonrpc":"1.0","id":"x","method":"ping"},
                        {"jsonrpc":"2.0","id":2,"method":"nope"}])");
    REQUIRE(f.ok());
    CHECK(f->batch);
    REQUIRE(f->calls.size() == 5);
    CHECK(f->calls[0].params.ok());
    CHECK(f->calls[0].id == "1");
    CHECK(f->calls[1].params.error().code == code::invalid_request);
    CHECK(f->calls[1].id == "null");
    CHECK_FALSE(f->calls[1].notification);
    CHECK(f->calls[2].notification);
    CHECK(f->calls[2].params.ok());
    CHECK(f->calls[3].params.error().code == code::invalid_request);
    CHECK(f->calls[3].id == "\"x\"");
    CHECK(f->calls[4].params.error().code == code::method_not_found);
  }
  SUBCASE("a batch of one is still a batch") {
    auto f = decode(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
    REQUIRE(f.ok());
    CHECK(f->batch);
    CHECK(f->calls.size() == 1);
  }
}

TEST_CASE("a top-level value that is neither object nor array is one invalid request") {
  for (std::string_view v : {"1", "\"ping\"", "null", "true"}) {
    CAPTURE(v);
    Call c = single(v);
    CHECK(c.id == "null");
    CHECK_FALSE(c.notification);
    REQUIRE_FALSE(c.params.ok());
    CHECK(c.params.error().code == code::invalid_request);
  }
}

TEST_CASE("jsonrpc must be exactly \"2.0\"") {
  for (std::string_view bad :
       {R"({"id":1,"method":"ping"})", R"({"jsonrpc":"1.0","id":1,"method":"ping"})",
        R"({"jsonrpc":2.0,"id":1,"method":"ping"})", R"({"jsonrpc":"2.0 ","id":1,"method":"ping"})",
        R"({"jsonrpc":null,"id":1,"method":"ping"})"}) {
    CAPTURE(bad);
    Call c = single(bad);
    REQUIRE_FALSE(c.params.ok());
    CHECK(c.params.error().code == code::invalid_request);
    CHECK(c.id == "1");  // the id was readable, so the answer carries it
  }
}

TEST_CASE("method must be a string") {
  for (std::string_view bad :
       {R"({"jsonrpc":"2.0","id":1})", R"({"jsonrpc":"2.0","id":1,"method":7})",
        R"({"jsonrpc":"2.0","id":1,"method":null})"}) {
    CAPTURE(bad);
    Call c = single(bad);
    REQUIRE_FALSE(c.params.ok());
    CHECK(c.params.error().code == code::invalid_request);
    CHECK(c.params.error().message == "invalid request: method must be a string");
  }
}

TEST_CASE("an invalid request without id is still answered") {
  Call c = single(R"({"jsonrpc":"2.0","method":1})");
  CHECK_FALSE(c.notification);
  CHECK(c.id == "null");
  CHECK(c.params.error().code == code::invalid_request);
}

TEST_CASE("ids") {
  SUBCASE("numbers keep their value as JSON text") {
    CHECK(single(R"({"jsonrpc":"2.0","id":7,"method":"ping"})").id == "7");
    CHECK(single(R"({"jsonrpc":"2.0","id":-3,"method":"ping"})").id == "-3");
    CHECK(single(R"({"jsonrpc":"2.0","id":18446744073709551615,"method":"ping"})").id ==
          "18446744073709551615");
    CHECK(single(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})").id == "1.5");
  }
  SUBCASE("strings are kept serialized, escapes included") {
    Call c = single(R"({"jsonrpc":"2.0","id":"a\"b\\c\u0001","method":"ping"})");
    CHECK(c.id == R"("a\"b\\c\u0001")");
    CHECK_FALSE(c.notification);
    CHECK(single(R"({"jsonrpc":"2.0","id":"","method":"ping"})").id == R"("")");
  }
  SUBCASE("a string id counts characters, not bytes") {
    std::string id64;
    for (int i = 0; i < 64; ++i) id64 += "é";
    Call c = single(R"({"jsonrpc":"2.0","id":")" + id64 + R"(","method":"ping"})");
    CHECK(c.params.ok());
    CHECK(c.id == "\"" + id64 + "\"");
  }
  SUBCASE("a string id over 64 characters is invalid and answered with id null") {
    Call c = single(R"({"jsonrpc":"2.0","id":")" + std::string(65, 'a') + R"(","method":"ping"})");
    REQUIRE_FALSE(c.params.ok());
    CHECK(c.params.error().code == code::invalid_request);
    CHECK(c.id == "null");
  }
  SUBCASE("object, array and boolean ids are invalid") {
    for (std::string_view id : {"{}", "[1]", "true"}) {
      CAPTURE(id);
      Call c = single(R"({"jsonrpc":"2.0","method":"ping","id":)" + std::string(id) + "}");
      REQUIRE_FALSE(c.params.ok());
      CHECK(c.params.error().code == code::invalid_request);
      CHECK(c.id == "null");
      CHECK_FALSE(c.notification);
    }
  }
  SUBCASE("a null id is a request answered with id null, not a notification") {
    Call c = single(R"({"jsonrpc":"2.0","id":null,"method":"ping"})");
    CHECK(c.params.ok());
    CHECK(c.id == "null");
    CHECK_FALSE(c.notification);
  }
  SUBCASE("no id: a notification") {
    Call c = single(R"({"jsonrpc":"2.0","method":"ping"})");
    CHECK(c.notification);
    CHECK(c.params.ok());
    CHECK(c.method == "ping");
  }
  SUBCASE("a notification with a bad method or params stays a notification") {
    Call c = single(R"({"jsonrpc":"2.0","method":"nope"})");
    CHECK(c.notification);
    CHECK(c.params.error().code == code::method_not_found);
    c = single(R"({"jsonrpc":"2.0","method":"ping","params":{"x":1}})");
    CHECK(c.notification);
    CHECK(c.params.error().code == code::invalid_params);
  }
}

TEST_CASE("unknown and repeated envelope members are invalid requests") {
  Call c = single(R"({"jsonrpc":"2.0","id":3,"method":"ping","extra":1})");
  REQUIRE_FALSE(c.params.ok());
  CHECK(c.params.error().code == code::invalid_request);
  CHECK(c.params.error().message == R"(invalid request: unknown member "extra")");
  CHECK(c.id == "3");

  c = single(R"({"jsonrpc":"2.0","id":3,"method":"ping","method":"ping"})");
  CHECK(c.params.error().code == code::invalid_request);
  CHECK(c.id == "3");

  // Which of two ids to answer is unknowable: null.
  c = single(R"({"jsonrpc":"2.0","id":3,"id":4,"method":"ping"})");
  CHECK(c.params.error().code == code::invalid_request);
  CHECK(c.id == "null");
}

TEST_CASE("params") {
  SUBCASE("absent params read as {}") {
    Call c = single(R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
    CHECK(std::holds_alternative<params::Ping>(c.params.value()));
  }
  SUBCASE("a scalar or null params is an invalid request") {
    for (std::string_view p : {"1", "\"x\"", "null", "true"}) {
      CAPTURE(p);
      Call c =
          single(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":)" + std::string(p) + "}");
      CHECK(c.params.error().code == code::invalid_request);
    }
  }
  SUBCASE("params by position are invalid params") {
    Call c = single(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":[]})");
    REQUIRE_FALSE(c.params.ok());
    CHECK(c.params.error().code == code::invalid_params);
    CHECK(data_field(c.params.error(), "field") == "params");
    CHECK(data_field(c.params.error(), "reason") == "expected object");
  }
}

TEST_CASE("an unknown method is -32601 with data.method") {
  Call c = single(R"({"jsonrpc":"2.0","id":1,"method":"fly","params":{"x":1}})");
  CHECK(c.method == "fly");
  REQUIRE_FALSE(c.params.ok());
  CHECK(c.params.error().code == code::method_not_found);
  CHECK(data_field(c.params.error(), "method") == "fly");
  // Method names are case-sensitive.
  c = single(R"({"jsonrpc":"2.0","id":1,"method":"Ping"})");
  CHECK(c.params.error().code == code::method_not_found);
}

TEST_CASE("known_methods lists every method the decoder serves") {
  const auto& names = known_methods();
  CHECK(names.size() ==
        18 + 19 + 2 + 8 + 4 + 1 + 2 + 2);  // + contact-centre, presence, users, listings and
                                           // inbox, stats, webhooks, admin (disconnectUser,
                                           // publishSystemEvent)
  for (auto name : names) {
    CAPTURE(name);
    Call c = single(R"({"jsonrpc":"2.0","id":1,"method":")" + std::string(name) + R"("})");
    // Known: whatever is wrong with the (empty) params, it is not -32601.
    if (!c.params.ok()) CHECK(c.params.error().code != code::method_not_found);
  }
}

TEST_CASE("decoded calls own their strings") {
  // A second decode on the same thread reuses the parser's buffers.
  Call first =
      single(R"({"jsonrpc":"2.0","id":"first-id","method":"sendMessage",)"
             R"("params":{"conversationId":"conv-1","text":"hello","metadata":{"k":"v"}}})");
  single(R"({"jsonrpc":"2.0","id":"second-id-xx","method":"sendMessage",)"
         R"("params":{"conversationId":"conv-2","text":"other text","metadata":{"z":[1,2]}}})");
  CHECK(first.id == R"("first-id")");
  CHECK(first.method == "sendMessage");
  const auto& p = std::get<params::SendMessage>(first.params.value());
  CHECK(p.conversation_id == "conv-1");
  CHECK(p.text == "hello");
  CHECK(*p.metadata == R"({"k":"v"})");
}

TEST_CASE("valid JSON the parser cannot hold is a bad id or a bad param, not a parse error") {
  const std::string kNumber = "number out of range (beyond 64 bits)";
  const std::string kSurrogate = "lone surrogate escape";
  SUBCASE("ids beyond 64 bits") {
    for (std::string id : {"1e400", "123456789012345678901234567890", "-9223372036854775809"}) {
      CAPTURE(id);
      Call c = single(R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"ping"})");
      REQUIRE_FALSE(c.params.ok());
      CHECK(c.params.error().code == code::invalid_request);
      CHECK(c.params.error().message == "invalid request: id: " + kNumber);
      CHECK(c.id == "null");
      CHECK_FALSE(c.notification);
    }
  }
  SUBCASE("an id with a lone surrogate") {
    Call c = single(R"({"jsonrpc":"2.0","id":"a\ud800","method":"ping"})");
    REQUIRE_FALSE(c.params.ok());
    CHECK(c.params.error().message == "invalid request: id: " + kSurrogate);
    CHECK(c.id == "null");
  }
  SUBCASE("params: -32602 with the path") {
    const struct {
      std::string params, field, reason;
    } rows[] = {
        {R"({"conversationId":"c","seq":1e400})", "seq", kNumber},
        {R"({"conversationId":"c","seq":99999999999999999999999999999})", "seq", kNumber},
        {R"({"conversationId":"c\udc00","seq":1})", "conversationId", kSurrogate},
        {R"({"conversationId":"c","seq":1,"x":{"y":[0,"\ud800"]}})", "x.y[1]", kSurrogate},
    };
    for (const auto& row : rows) {
      CAPTURE(row.params);
      Call c = single(R"({"jsonrpc":"2.0","id":7,"method":"markRead","params":)" + row.params + "}");
      REQUIRE_FALSE(c.params.ok());
      CHECK(c.params.error().code == code::invalid_params);
      CHECK(data_field(c.params.error(), "field") == row.field);
      CHECK(data_field(c.params.error(), "reason") == row.reason);
      CHECK(c.id == "7");
    }
  }
  SUBCASE("a batch: only the call holding it is refused") {
    auto f = decode(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},)"
                    R"({"jsonrpc":"2.0","id":2,"method":"sendMessage","params":)"
                    R"({"conversationId":"c","text":"t","metadata":{"n":1e999}}},)"
                    R"({"jsonrpc":"2.0","id":3,"method":"ping"}])");
    REQUIRE(f.ok());
    REQUIRE(f->calls.size() == 3);
    CHECK(f->calls[0].params.ok());
    CHECK(f->calls[2].params.ok());
    REQUIRE_FALSE(f->calls[1].params.ok());
    CHECK(data_field(f->calls[1].params.error(), "field") == "metadata.n");
    CHECK(f->calls[1].id == "2");
  }
  SUBCASE("what the parser holds is unchanged; what is not JSON stays -32700") {
    CHECK(single(R"({"jsonrpc":"2.0","id":1e-400,"method":"ping"})").params.ok());
    CHECK(single(R"({"jsonrpc":"2.0","id":18446744073709551615,"method":"ping"})").params.ok());
    CHECK(single(R"({"jsonrpc":"2.0","id":"\ud83d\ude00","method":"ping"})").params.ok());
    for (std::string_view bad : {R"({"id":1e400,})", R"(["\ud800)", R"({"id":01})",
                                 R"({"id":"\uzzzz"})", "1e400 1"}) {
      CAPTURE(bad);
      auto f = decode(bad);
      REQUIRE_FALSE(f.ok());
      CHECK(f.error().code == code::parse_error);
    }
  }
}
