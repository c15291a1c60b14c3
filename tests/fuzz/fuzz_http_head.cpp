// The upgrade head's fast path (broker/http_head.cpp) over arbitrary bytes,
// against the full parser it stands in for (Beast).
//
// Input: two bytes for the head limit, then the bytes the client sent. The
// bytes sit in a heap block of their exact size (ASan sees a read past
// them). Invariants: an `upgrade` verdict's head ends with its blank line
// within the limit and the data, its fields are views into it; every
// shorter prefix of it is `incomplete` (the fast path never rules out a head
// it would accept later); and Beast parses the same head as a WebSocket
// upgrade with the same target and fields (the fast path never accepts what
// the full parser refuses, nor reads a field differently).
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cstring>
#include <memory>

#include "fuzz_support.hpp"
#include "net/http_head.hpp"

namespace {

namespace http = boost::beast::http;
using parley::HeadVerdict;
using parley::UpgradeHead;

bool within(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// What Beast reads from the same head; false when it refuses it.
bool beast_agrees(std::string_view head, const UpgradeHead& fast) {
  http::request_parser<http::empty_body> parser;
  parser.header_limit(static_cast<uint32_t>(head.size() + 1));
  boost::beast::error_code ec;
  size_t used = parser.put(boost::asio::buffer(head.data(), head.size()), ec);
  if (ec || !parser.is_header_done() || used != head.size()) return false;
  const auto& req = parser.get();
  if (!boost::beast::websocket::is_upgrade(req)) return false;
  if (req.target() != fast.target) return false;
  auto field = [&](http::field f, std::string_view fast_value) {
    if (req.count(f) > 1) return false;
    return req[f] == fast_value;
  };
  return field(http::field::sec_websocket_key, fast.key) &&
         field(http::field::sec_websocket_version, fast.version) &&
         field(http::field::origin, fast.origin) &&
         field(http::field::authorization, fast.authorization);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  parley::fuzz::Input in(data, size);
  // 0 picks the broker's own limit (8 KiB).
  size_t limit = (size_t{in.byte()} << 8) | in.byte();
  if (limit == 0) limit = 8192;
  const std::string_view rest = in.rest();
  auto block = std::make_unique<char[]>(rest.size() + 1);
  std::memcpy(block.get(), rest.data(), rest.size());
  const std::string_view bytes(block.get(), rest.size());

  UpgradeHead head;
  const HeadVerdict v = parley::parse_upgrade_head(bytes, limit, head);
  if (v == HeadVerdict::incomplete) FUZZ_CHECK(bytes.size() < limit);
  if (v != HeadVerdict::upgrade) return 0;

  FUZZ_CHECK(head.size >= 4 && head.size <= bytes.size() && head.size <= limit);
  const std::string_view whole = bytes.substr(0, head.size);
  FUZZ_CHECK(whole.substr(whole.size() - 4) == "\r\n\r\n");
  FUZZ_CHECK(whole.find("\r\n\r\n") == whole.size() - 4);
  FUZZ_CHECK(within(head.target, whole) && within(head.key, whole) &&
             within(head.version, whole) && within(head.origin, whole) &&
             within(head.authorization, whole));
  FUZZ_CHECK(head.target.substr(0, 3) == "/ws");

  // The head alone gives the same verdict and fields.
  UpgradeHead again;
  FUZZ_CHECK(parley::parse_upgrade_head(whole, limit, again) == HeadVerdict::upgrade);
  FUZZ_CHECK(again.size == head.size && again.target == head.target && again.key == head.key &&
             again.version == head.version && again.origin == head.origin &&
             again.authorization == head.authorization);
  // Shorter prefixes are not decided yet.
  for (size_t k : {size_t{0}, head.size / 2, head.size - 3, head.size - 1}) {
    UpgradeHead partial;
    FUZZ_CHECK(parley::parse_upgrade_head(whole.substr(0, k), limit, partial) ==
               HeadVerdict::incomplete);
  }
  FUZZ_CHECK(beast_agrees(whole, head));
  return 0;
}
