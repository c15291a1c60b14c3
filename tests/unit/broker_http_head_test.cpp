// The upgrade's fast path (broker/net/http_head.hpp): plain upgrades are
// recognised with their fields; everything else is "other" (left to the
// full HTTP parser), and a head cut anywhere is "incomplete" until its
// blank line arrives.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "net/http_head.hpp"

using namespace parley;

namespace {

constexpr size_t kLimit = 16 * 1024;

const std::string kGood =
    "GET /ws?token=abc HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Origin: https://app.example\r\n"
    "Authorization: Bearer xyz\r\n"
    "\r\n";

// A minimal upgrade with `extra` header lines (each ending in CRLF).
std::string upgrade_with(std::string_view extra, std::string_view line = "GET /ws HTTP/1.1") {
  return std::string(line) +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
         std::string(extra) + "\r\n";
}

HeadVerdict verdict(std::string_view data, size_t limit = kLimit) {
  UpgradeHead h;
  return parse_upgrade_head(data, limit, h);
}

}  // namespace

TEST_CASE("http_head: a plain upgrade, its fields, and the bytes after it") {
  std::string data = kGood + "\x81\x80rest";
  UpgradeHead h;
  REQUIRE(parse_upgrade_head(data, kLimit, h) == HeadVerdict::upgrade);
  CHECK(h.target == "/ws?token=abc");
  CHECK(h.key == "dGhlIHNhbXBsZSBub25jZQ==");
  CHECK(h.version == "13");
  CHECK(h.origin == "https://app.example");
  CHECK(h.authorization == "Bearer xyz");
  CHECK(h.size == kGood.size());
  CHECK(data.substr(h.size) == "\x81\x80rest");
}

TEST_CASE("http_head: a header sent empty is told from one not sent") {
  UpgradeHead h;
  REQUIRE(parse_upgrade_head(upgrade_with("Origin:   \r\n"), kLimit, h) == HeadVerdict::upgrade);
  CHECK(h.origin.empty());
  CHECK(h.origin.data() != nullptr);
  UpgradeHead none;
  REQUIRE(parse_upgrade_head(upgrade_with(""), kLimit, none) == HeadVerdict::upgrade);
  CHECK(none.origin.data() == nullptr);
  CHECK(none.authorization.data() == nullptr);
}

TEST_CASE("http_head: good variants are upgrades") {
  struct Row {
    const char* name;
    std::string data;
  };
  const std::vector<Row> rows = {
      {"lower-case names", "GET /ws HTTP/1.1\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
                           "sec-websocket-key: k\r\nsec-websocket-version: 13\r\n\r\n"},
      {"token lists", "GET /ws HTTP/1.1\r\nUpgrade: foo, WebSocket\r\n"
                      "Connection: keep-alive, Upgrade\r\n\r\n"},
      {"values with tabs and spaces around", "GET /ws HTTP/1.1\r\nUpgrade:\t websocket \t\r\n"
                                             "Connection:Upgrade\r\n\r\n"},
      {"a fragment after the path", upgrade_with("", "GET /ws#x HTTP/1.1")},
      {"unknown fields repeated", upgrade_with("X-A: 1\r\nX-A: 2\r\n")},
      {"an empty value", upgrade_with("X-Empty:\r\n")},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    CHECK(verdict(row.data) == HeadVerdict::upgrade);
  }
  // A missing key or version is still an upgrade: the Session answers it
  // (400 or 426) exactly as before.
  UpgradeHead h;
  CHECK(parse_upgrade_head("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
                           kLimit, h) == HeadVerdict::upgrade);
  CHECK(h.key.empty());
  CHECK(h.version.empty());
}

TEST_CASE("http_head: everything else goes to the full parser") {
  struct Row {
    const char* name;
    std::string data;
  };
  const std::vector<Row> rows = {
      {"health check", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"metrics", "GET /metrics HTTP/1.1\r\n\r\n"},
      {"another method", "HEAD /ws HTTP/1.1\r\n\r\n"},
      {"post", "POST /ws HTTP/1.1\r\nContent-Length: 0\r\n\r\n"},
      {"another path", upgrade_with("", "GET /wsx HTTP/1.1")},
      {"a path below", upgrade_with("", "GET /ws/a HTTP/1.1")},
      {"HTTP/1.0", upgrade_with("", "GET /ws HTTP/1.0")},
      {"two spaces", upgrade_with("", "GET  /ws HTTP/1.1")},
      {"a space in the target", upgrade_with("", "GET /ws?a b HTTP/1.1")},
      {"lower-case version", upgrade_with("", "GET /ws http/1.1")},
      {"no upgrade header", "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\n\r\n"},
      {"no connection header", "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"},
      {"connection without upgrade", "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n"
                                     "Connection: keep-alive\r\n\r\n"},
      {"another protocol", "GET /ws HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"},
      {"a versioned protocol", "GET /ws HTTP/1.1\r\nUpgrade: websocket/13\r\n"
                               "Connection: Upgrade\r\n\r\n"},
      {"an empty list item", "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n"
                             "Connection: ,Upgrade\r\n\r\n"},
      {"a body", upgrade_with("Content-Length: 5\r\n")},
      {"chunked", upgrade_with("Transfer-Encoding: chunked\r\n")},
      {"a repeated key", upgrade_with("Sec-WebSocket-Key: again\r\n")},
      {"a repeated origin", upgrade_with("Origin: a\r\nOrigin: b\r\n")},
      {"a line without a colon", upgrade_with("NoColon\r\n")},
      {"an empty name", upgrade_with(": v\r\n")},
      {"a space before the colon", upgrade_with("X-A : v\r\n")},
      {"a folded line", upgrade_with("X-A: v\r\n  more\r\n")},
      {"a control byte", upgrade_with(std::string("X-A: a\x01z\r\n"))},
      {"a bare LF in a value", upgrade_with("X-A: a\nB: c\r\n")},
      {"a bare CR in a value", upgrade_with("X-A: a\rb\r\n")},
      {"obs-text", upgrade_with("X-A: caf\xc3\xa9\r\n")},
      {"garbage", "\x16\x03\x01\x02\x00"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    CHECK(verdict(row.data) == HeadVerdict::other);
  }
}

TEST_CASE("http_head: a head over the limit is left to the full parser") {
  std::string big = upgrade_with("X-Pad: " + std::string(20000, 'a') + "\r\n");
  CHECK(verdict(big) == HeadVerdict::other);
  // Cut before its end, it is already over the limit: no use waiting.
  CHECK(verdict(std::string_view(big).substr(0, kLimit)) == HeadVerdict::other);
  CHECK(verdict(std::string_view(big).substr(0, kLimit - 1)) == HeadVerdict::incomplete);
  // Just within the limit it is fine.
  std::string g = upgrade_with("");
  CHECK(verdict(g, g.size()) == HeadVerdict::upgrade);
  CHECK(verdict(g, g.size() - 1) == HeadVerdict::other);
}

TEST_CASE("http_head: cut anywhere, a head is incomplete until its blank line") {
  for (size_t cut = 0; cut < kGood.size(); ++cut) {
    CAPTURE(cut);
    CHECK(verdict(std::string_view(kGood).substr(0, cut)) == HeadVerdict::incomplete);
  }
  CHECK(verdict(kGood) == HeadVerdict::upgrade);
  // A request that is not an upgrade says so from its first bytes.
  CHECK(verdict("P") == HeadVerdict::other);
  CHECK(verdict("GET /h") == HeadVerdict::other);
  CHECK(verdict("GET /w") == HeadVerdict::incomplete);
}
