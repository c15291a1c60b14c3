// nginx + Nchan (bench/peers/nchan.conf).
//
// Subscriber: a WebSocket upgrade at /sub/<channel>; every message arrives
// as one frame holding the published data as it was sent.
// Publisher: a WebSocket upgrade at /pub/<channel>; each text frame sent is
// one published message, and Nchan answers each with a frame of channel
// information ("queued messages: N ...") once the message is stored: that
// frame is the acknowledgement, and they come in order. This is the fastest
// acknowledged way to publish into Nchan (an HTTP POST per message costs
// nginx a request's parsing and a response's headers), so it is the one
// used.
#include "peer.hpp"
#include "scan.hpp"

namespace bench {

namespace {

constexpr std::string_view kAck = "queued messages: ";

class Nchan final : public Peer {
 public:
  std::string name() const override { return "nchan"; }

  asio::awaitable<std::string> open_subscriber(WsClient& ws, tcp::endpoint server,
                                               asio::ip::address source,
                                               const std::string& channel) override {
    co_return co_await ws.connect(server, source, "/sub/" + channel);
  }

  asio::awaitable<std::string> open_publisher(WsClient& ws, tcp::endpoint server,
                                              asio::ip::address source,
                                              const std::string& channel) override {
    co_return co_await ws.connect(server, source, "/pub/" + channel);
  }

  void publish(WsClient& ws, const std::string&, std::string_view text, uint64_t) override {
    ws.send_text(text);
  }

  Frame publisher_frame(WsClient&, std::string_view frame, uint64_t& id) override {
    id = 0;
    return starts_with(frame, kAck) ? Frame::ack : Frame::error;
  }

  std::optional<std::string_view> subscriber_frame(WsClient&, std::string_view frame) override {
    return frame;
  }
};

}  // namespace

std::unique_ptr<Peer> make_nchan_peer() { return std::make_unique<Nchan>(); }

}  // namespace bench
