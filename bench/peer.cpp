// Peer selection and the text format every peer's messages carry.
#include "peer.hpp"

#include <cstdio>

namespace bench {

std::unique_ptr<Peer> make_peer(const std::string& name) {
  if (name == "nchan") return make_nchan_peer();
  if (name == "socketio") return make_socketio_peer();
  return nullptr;
}

void peer_text(std::string& out, int64_t sent_ns, uint64_t counter, uint32_t publisher,
               size_t size) {
  char head[64];
  int n =
      std::snprintf(head, sizeof head, "t%019lld n%010llu p%04u ", static_cast<long long>(sent_ns),
                    static_cast<unsigned long long>(counter), publisher % 10000);
  out.assign(head, static_cast<size_t>(n));
  if (size > out.size()) out.append(size - out.size(), 'x');
}

std::optional<PeerStamp> parse_peer_text(std::string_view t) {
  auto number = [&](size_t at, size_t digits, uint64_t& v) {
    v = 0;
    for (size_t i = at; i < at + digits; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + static_cast<uint64_t>(t[i] - '0');
    }
    return true;
  };
  if (t.size() < kPeerTextFields || t[0] != 't' || t[20] != ' ' || t[21] != 'n' || t[32] != ' ' ||
      t[33] != 'p' || t[38] != ' ')
    return std::nullopt;
  uint64_t sent = 0, counter = 0, pub = 0;
  if (!number(1, 19, sent) || !number(22, 10, counter) || !number(34, 4, pub)) return std::nullopt;
  return PeerStamp{static_cast<int64_t>(sent), counter, static_cast<uint32_t>(pub)};
}

}  // namespace bench
