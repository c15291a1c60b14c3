// The brokers parley-bench compares Parley with (bench/compare.sh): each
// speaks its own protocol over WebSocket, and a Peer is the small adapter
// that says how a subscriber subscribes, how a publisher publishes, what
// its acknowledgement looks like, and where the text is in a delivered
// frame. The scenario (scenario_peer.cpp) does the rest exactly as for
// Parley: the same sockets, load, counters and checks.
//
// A peer has no per-conversation seq, so the text itself carries what the
// checks need: the publisher's send time, its own counter (1, 2, ...) and
// its index among the conversation's publishers (peer_text()).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ws_client.hpp"

namespace bench {

class Peer {
 public:
  virtual ~Peer() = default;
  virtual std::string name() const = 0;

  // Connects `ws` (from `source`), upgrades, and does what the protocol
  // needs until the socket follows `channel`. "" when it does, else what
  // went wrong. `ws` holds its pushes meanwhile (WsClient::hold_pushes).
  virtual asio::awaitable<std::string> open_subscriber(WsClient& ws, tcp::endpoint server,
                                                       asio::ip::address source,
                                                       const std::string& channel) = 0;
  // The same for a socket that publishes into `channel`.
  virtual asio::awaitable<std::string> open_publisher(WsClient& ws, tcp::endpoint server,
                                                      asio::ip::address source,
                                                      const std::string& channel) = 0;

  // Publishes `text` into `channel`; `id` numbers the socket's publishes
  // from 1 (a protocol whose acks name the request uses it).
  virtual void publish(WsClient& ws, const std::string& channel, std::string_view text,
                       uint64_t id) = 0;

  enum class Frame { ack, other, error };
  // A frame on a publisher socket. For an ack, `id` is the request it
  // answers, or 0 when the protocol's acks name none (they come in order).
  virtual Frame publisher_frame(WsClient& ws, std::string_view frame, uint64_t& id) = 0;

  // A frame on a subscriber socket: the published text it carries, or
  // nullopt for one of the protocol's own frames (answered here if needed).
  virtual std::optional<std::string_view> subscriber_frame(WsClient& ws,
                                                           std::string_view frame) = 0;
};

// "nchan" or "socketio"; nullptr for any other name.
std::unique_ptr<Peer> make_peer(const std::string& name);
std::unique_ptr<Peer> make_nchan_peer();
std::unique_ptr<Peer> make_socketio_peer();

// The text of a peer's message: "t<send ns, 19 digits> n<counter, 10
// digits> p<publisher, 4 digits> " padded with 'x' to `size` bytes (at
// least the 39 bytes of the fields).
constexpr size_t kPeerTextFields = 39;
void peer_text(std::string& out, int64_t sent_ns, uint64_t counter, uint32_t publisher,
               size_t size);
struct PeerStamp {
  int64_t sent_ns = 0;
  uint64_t counter = 0;
  uint32_t publisher = 0;
};
// Reads the fields back; nullopt when `text` is not such a text.
std::optional<PeerStamp> parse_peer_text(std::string_view text);

}  // namespace bench
