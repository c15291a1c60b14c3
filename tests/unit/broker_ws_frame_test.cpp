// The session's own RFC 6455 framing (broker/net/ws_frame.hpp): the accept key,
// server headers, and the client-frame parser fed in every possible split.
#include <doctest/doctest.h>

#include <array>
#include <string>
#include <vector>

#include "net/ws_frame.hpp"

using namespace parley;

namespace {

// A client frame as a browser sends it: masked with `key`.
std::string client_frame(uint8_t first_byte, std::string_view payload,
                         std::array<uint8_t, 4> key = {0x12, 0x34, 0x56, 0x78}) {
  std::string f;
  f.push_back(static_cast<char>(first_byte));
  size_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((uint64_t{n} >> (8 * i)) & 0xFF));
  }
  for (auto b : key) f.push_back(static_cast<char>(b));
  for (size_t i = 0; i < n; ++i) f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  return f;
}

struct Seen {
  std::vector<std::string> messages;
  std::vector<std::pair<int, std::string>> controls;
  int too_big = 0;
  uint16_t error = 0;
};

// Feeds `bytes` to a parser in pieces of `piece` bytes.
Seen feed(const std::string& bytes, size_t piece, size_t limit = 1 << 20) {
  ws::FrameParser p(limit);
  Seen seen;
  for (size_t at = 0; at < bytes.size() && !seen.error; at += piece) {
    const char* data = bytes.data() + at;
    size_t size = std::min(piece, bytes.size() - at);
    for (bool more = true; more && !seen.error;) {
      switch (p.next(data, size)) {
        case ws::Parsed::need_more:
          more = false;
          break;
        case ws::Parsed::message:
          seen.messages.push_back(std::move(p.message()));
          break;
        case ws::Parsed::control:
          seen.controls.emplace_back(p.control_opcode(), p.control());
          break;
        case ws::Parsed::too_big:
          ++seen.too_big;
          break;
        case ws::Parsed::error:
          seen.error = p.error_code();
          break;
      }
    }
  }
  return seen;
}

}  // namespace

TEST_CASE("ws: SHA-1 of the FIPS 180 examples") {
  auto hex = [](const std::array<uint8_t, 20>& d) {
    std::string out;
    for (uint8_t b : d) {
      out.push_back("0123456789abcdef"[b >> 4]);
      out.push_back("0123456789abcdef"[b & 15]);
    }
    return out;
  };
  CHECK(hex(ws::sha1("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(hex(ws::sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(hex(ws::sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CHECK(hex(ws::sha1(std::string(1000, 'a'))) == "291e9a6c66994949b57ba5e650361e98fc36b1ba");
}

TEST_CASE("ws: the accept key of RFC 6455's example") {
  CHECK(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  CHECK(ws::valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
  CHECK_FALSE(ws::valid_client_key(""));
  CHECK_FALSE(ws::valid_client_key("dGhlIHNhbXBsZSBub25jZQ"));
  CHECK_FALSE(ws::valid_client_key("dGhlIHNhbXBsZSBub25j!Q=="));
}

TEST_CASE("ws: server headers carry the length in 7, 16 or 64 bits, unmasked") {
  uint8_t h[ws::kMaxHeader];
  CHECK(ws::server_header(h, ws::text, 5) == 2);
  CHECK(h[0] == 0x81);
  CHECK(h[1] == 5);
  CHECK(ws::server_header(h, ws::text, 300) == 4);
  CHECK(h[1] == 126);
  CHECK(((h[2] << 8) | h[3]) == 300);
  CHECK(ws::server_header(h, ws::close, 70000) == 10);
  CHECK(h[0] == 0x88);
  CHECK(h[1] == 127);
  CHECK(h[7] == 0x01);  // 70000 = 0x11170
  CHECK(h[8] == 0x11);
  CHECK(h[9] == 0x70);
}

TEST_CASE("ws: unmask works from any offset of the key") {
  const uint8_t key[4] = {1, 2, 3, 4};
  std::string s(37, 'a'), t = s;
  ws::unmask(s.data(), s.size(), key, 0);
  for (size_t i = 0; i < t.size(); ++i) CHECK(s[i] == static_cast<char>('a' ^ key[i % 4]));
  ws::unmask(s.data() + 3, s.size() - 3, key, 3);
  ws::unmask(s.data(), 3, key, 0);
  CHECK(s == t);
}

TEST_CASE("ws: frames split anywhere come out whole") {
  std::string big(70000, 'x');
  std::string stream = client_frame(0x81, "hello") + client_frame(0x89, "p") +
                       client_frame(0x01, "frag") + client_frame(0x80, "mented") +
                       client_frame(0x81, big) + client_frame(0x81, std::string(300, 'y')) +
                       client_frame(0x81, "");
  for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{100}, stream.size()}) {
    CAPTURE(piece);
    Seen s = feed(stream, piece);
    REQUIRE(s.error == 0);
    REQUIRE(s.messages.size() == 5);
    CHECK(s.messages[0] == "hello");
    CHECK(s.messages[1] == "fragmented");
    CHECK(s.messages[2] == big);
    CHECK(s.messages[3] == std::string(300, 'y'));
    CHECK(s.messages[4].empty());
    REQUIRE(s.controls.size() == 1);
    CHECK(s.controls[0].first == ws::ping);
    CHECK(s.controls[0].second == "p");
  }
}

TEST_CASE("ws: a message over the limit is reported once and skipped") {
  std::string stream = client_frame(0x01, std::string(600, 'a')) +
                       client_frame(0x80, std::string(600, 'b')) + client_frame(0x81, "next");
  for (size_t piece : {size_t{1}, size_t{64}, stream.size()}) {
    Seen s = feed(stream, piece, 1000);
    CHECK(s.too_big == 1);
    REQUIRE(s.messages.size() == 1);
    CHECK(s.messages[0] == "next");
  }
}

TEST_CASE("ws: protocol violations") {
  // Unmasked client frame.
  CHECK(feed(std::string("\x81\x02hi", 4), 4).error == 1002);
  // Reserved bits.
  CHECK(feed(client_frame(0xC1, "x"), 100).error == 1002);
  // Unknown opcode.
  CHECK(feed(client_frame(0x83, "x"), 100).error == 1002);
  // Fragmented control frame.
  CHECK(feed(client_frame(0x09, "x"), 100).error == 1002);
  // Control frame over 125 bytes.
  CHECK(feed(client_frame(0x89, std::string(126, 'x')), 200).error == 1002);
  // Continuation with no message.
  CHECK(feed(client_frame(0x80, "x"), 100).error == 1002);
  // A new message inside a fragmented one.
  CHECK(feed(client_frame(0x01, "a") + client_frame(0x81, "b"), 100).error == 1002);
  // Invalid UTF-8 in a text message: 1007 (also across fragments).
  CHECK(feed(client_frame(0x81, "\xC3\x28"), 100).error == 1007);
  CHECK(feed(client_frame(0x01, "\xE2\x82") + client_frame(0x80, "\x28"), 100).error == 1007);
  // Split UTF-8 that is valid once joined.
  Seen ok = feed(client_frame(0x01, "\xE2\x82") + client_frame(0x80, "\xAC"), 100);
  CHECK(ok.error == 0);
  REQUIRE(ok.messages.size() == 1);
  CHECK(ok.messages[0] == "\xE2\x82\xAC");
  // Binary messages are not checked for UTF-8 (the session refuses them 1003).
  CHECK(feed(client_frame(0x82, "\xC3\x28"), 100).error == 0);
}

TEST_CASE("ws: close payload") {
  std::string p = ws::close_payload(4008, "slow consumer");
  CHECK(p.size() == 15);
  CHECK(static_cast<uint8_t>(p[0]) == 0x0F);
  CHECK(static_cast<uint8_t>(p[1]) == 0xA8);
  CHECK(p.substr(2) == "slow consumer");
}
