// The fast path of the upgrade: a small parser for the one request head
// almost every connection sends, a plain WebSocket upgrade
// ("GET /ws... HTTP/1.1" with Upgrade: websocket and Connection: Upgrade).
//
// It only says "this is such an upgrade, here are its fields" or "I am not
// sure". Anything it is not sure of (another method or path, HTTP/1.0, a
// body, a repeated field it needs, a byte outside the plain grammar, a
// malformed line) is handed, bytes and all, to the full HTTP parser
// (Beast), which answers it exactly as it answers every other request. So
// the fast path can never accept what the full parser would refuse, nor
// answer differently: it only spares the common case the full machinery.
//
// Pure: no socket, unit-tested by tables (tests/unit/broker_http_head_test.cpp).
#pragma once

#include <cstddef>
#include <string_view>

namespace parley {

// The fields of a plain upgrade; views into the parsed bytes. A header that
// was not sent is a null view (data() == nullptr, as Beast's fields answer);
// one sent with an empty value is empty but not null.
struct UpgradeHead {
  std::string_view target;         // "/ws?token=..."
  std::string_view key;            // Sec-WebSocket-Key
  std::string_view version;        // Sec-WebSocket-Version
  std::string_view origin;         // Origin
  std::string_view authorization;  // Authorization
  size_t size = 0;                 // bytes of the head, its blank line included
};

enum class HeadVerdict {
  incomplete,  // no blank line yet, and nothing seen that rules the fast path out
  upgrade,     // a plain upgrade at /ws: `out` is filled
  other,       // anything else: hand the bytes to the full parser
};

// Looks at the start of what the client sent (`data` may hold bytes past the
// head: the first frames of an eager client). `limit`: the most head bytes
// accepted; a head that does not end within it is `other` (the full parser
// then refuses it with its own header-limit error).
HeadVerdict parse_upgrade_head(std::string_view data, size_t limit, UpgradeHead& out);

}  // namespace parley
