// A Socket.IO 4 server (bench/peers/socketio/server.js), spoken as
// Engine.IO v4 over a WebSocket from the start (no long-polling):
//
//   upgrade at /socket.io/?EIO=4&transport=websocket
//   server: 0{"sid":...}        Engine.IO open
//   client: 40                  connect to the namespace "/"
//   server: 40{"sid":...}
//   client: 42<id>["join",ROOM]        server: 43<id>[]      (subscriber)
//   client: 42<id>["pub",ROOM,TEXT]    server: 43<id>[]      (publisher: the ack)
//   server: 42["msg",ROOM,TEXT]        to every socket in the room
//   server: 2 (ping)                   client: 3 (pong)
#include <charconv>

#include "peer.hpp"
#include "scan.hpp"

namespace bench {

namespace {

constexpr std::string_view kPath = "/socket.io/?EIO=4&transport=websocket";
constexpr std::string_view kMessage = R"(42["msg",")";

// Answers a ping; true when `frame` was one.
bool pong(WsClient& ws, std::string_view frame) {
  if (frame != "2") return false;
  ws.send_text("3");
  return true;
}

// The next frame that is not a ping ("" when the connection ended).
asio::awaitable<std::string> next_frame(WsClient& ws) {
  for (;;) {
    std::string f = co_await ws.next_push();
    if (!pong(ws, f)) co_return f;
  }
}

std::string shorten(const std::string& f) {
  return f.empty() ? std::string("(the connection ended)") : f.substr(0, 200);
}

class SocketIo final : public Peer {
 public:
  std::string name() const override { return "socketio"; }

  asio::awaitable<std::string> open_subscriber(WsClient& ws, tcp::endpoint server,
                                               asio::ip::address source,
                                               const std::string& channel) override {
    std::string err = co_await open(ws, server, source);
    if (!err.empty()) co_return err;
    ws.send_text(R"(421["join",")" + channel + "\"]");
    std::string f = co_await next_frame(ws);
    if (!starts_with(f, "431[")) co_return "join: " + shorten(f);
    co_return std::string();
  }

  asio::awaitable<std::string> open_publisher(WsClient& ws, tcp::endpoint server,
                                              asio::ip::address source,
                                              const std::string&) override {
    co_return co_await open(ws, server, source);
  }

  void publish(WsClient& ws, const std::string& channel, std::string_view text,
               uint64_t id) override {
    thread_local std::string f;
    f.assign("42");
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, id).ptr;
    f.append(digits, end);
    f.append(R"(["pub",")").append(channel).append(R"(",")").append(text).append("\"]");
    ws.send_text(f);
  }

  Frame publisher_frame(WsClient& ws, std::string_view frame, uint64_t& id) override {
    if (pong(ws, frame)) return Frame::other;
    if (!starts_with(frame, "43")) return Frame::error;
    id = 0;
    size_t i = 2;
    for (; i < frame.size() && frame[i] >= '0' && frame[i] <= '9'; ++i)
      id = id * 10 + static_cast<uint64_t>(frame[i] - '0');
    return i > 2 ? Frame::ack : Frame::error;
  }

  std::optional<std::string_view> subscriber_frame(WsClient& ws, std::string_view frame) override {
    if (pong(ws, frame)) return std::nullopt;
    // 42["msg","ROOM","TEXT"]: the text is the last string.
    if (!starts_with(frame, kMessage) || frame.size() < kMessage.size() + 4 ||
        frame.substr(frame.size() - 2) != "\"]")
      return frame;  // not a message: the caller reports it
    size_t open = frame.rfind('"', frame.size() - 3);
    if (open == std::string_view::npos || open < kMessage.size()) return frame;
    return frame.substr(open + 1, frame.size() - 3 - open);
  }

 private:
  static asio::awaitable<std::string> open(WsClient& ws, tcp::endpoint server,
                                           asio::ip::address source) {
    std::string err = co_await ws.connect(server, source, kPath);
    if (!err.empty()) co_return err;
    std::string f = co_await next_frame(ws);
    if (!starts_with(f, "0{")) co_return "Engine.IO open: " + shorten(f);
    ws.send_text("40");
    f = co_await next_frame(ws);
    if (!starts_with(f, "40")) co_return "namespace connect: " + shorten(f);
    co_return std::string();
  }
};

}  // namespace

std::unique_ptr<Peer> make_socketio_peer() { return std::make_unique<SocketIo>(); }

}  // namespace bench
