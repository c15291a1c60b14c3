// One WebSocket client: the upgrade, the read loop that hands frames to the
// Handler one at a time, the byte-bounded outbound queue, keep-alive and
// authentication timers, and the per-socket rate limit.
//
// Threading: everything Beast touches runs on the session's executor (one
// io_context, one thread). push() and close() may be called from any thread;
// they take the mutex and post to the executor. set_identity() and
// admit_request() are called by the Handler from within on_frame, that is,
// on the executor.
//
// Included only by session.cpp and listener.cpp: it brings in Beast.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "config.hpp"
#include "connection.hpp"
#include "metrics.hpp"
#include "rate_limiter.hpp"

namespace parley {

namespace asio = boost::asio;
namespace beast = boost::beast;

class Session;

// What every session shares. Owned by the listener.
struct SessionShared {
  const Config& cfg;
  Handler& handler;
  Metrics& metrics;
  // The session was handed to the Handler (registry add) / has ended
  // (registry remove). Each is called once per session that opened.
  std::function<void(const std::shared_ptr<Session>&)> on_open;
  std::function<void(const Session*)> on_end;
};

// A refused upgrade: the handshake completes (so a browser can read the
// code), then the socket is closed with this code and reason.
struct Refusal {
  uint16_t code;
  std::string reason;
};

class Session final : public Connection, public std::enable_shared_from_this<Session> {
 public:
  using Request = beast::http::request<beast::http::string_body>;
  using Frame = std::shared_ptr<const std::string>;

  Session(beast::tcp_stream stream, SessionShared& shared);
  ~Session() override;

  // Completes the upgrade, then serves the socket until it closes. With
  // `who` the socket is authenticated from the start (a valid token on the
  // upgrade); with `refusal` it is closed right after the handshake and the
  // Handler never sees it.
  void run(Request req, std::optional<Identity> who, std::optional<Refusal> refusal);

  // Connection
  const std::optional<Identity>& identity() const override { return identity_; }
  void set_identity(Identity who) override;
  bool push(Frame frame) override;
  Status admit_request() override;
  void close(uint16_t code, std::string_view reason) override;
  boost::asio::any_io_executor executor() const override;
  const std::string& session_id() const override { return id_; }

 private:
  using Clock = std::chrono::steady_clock;
  using Websocket = beast::websocket::stream<beast::tcp_stream, false>;

  asio::awaitable<void> serve(Request req, std::optional<Identity> who,
                              std::optional<Refusal> refusal);
  asio::awaitable<void> read_loop();
  void after_frame(std::string response);
  void finish();

  // The outbound queue.
  bool enqueue_locked(Frame frame, bool hold);
  void write_next();
  void on_write(beast::error_code ec, size_t bytes);

  // Timers.
  void arm_auth_deadline();
  void on_auth_deadline(beast::error_code ec);
  void arm_expiry(Millis expires_at);
  void arm_keepalive();
  void on_keepalive(beast::error_code ec);

  // Closing.
  void do_close(uint16_t code, std::string reason);
  void teardown();
  bool closing() const;

  SessionShared& shared_;
  const asio::any_io_executor executor_;  // the socket's: everything Beast runs here
  Websocket ws_;
  const std::string id_;
  std::optional<Identity> identity_;

  // Executor-only state.
  asio::steady_timer auth_timer_;
  asio::steady_timer expiry_timer_;
  asio::steady_timer keepalive_timer_;
  asio::steady_timer close_timer_;
  uint64_t expiry_generation_ = 0;  // tells a stale expiry wake-up from the current one
  Clock::time_point last_rx_;       // last frame, ping or pong from the peer
  Clock::time_point next_ping_;
  bool ping_in_flight_ = false;
  bool counted_ = false;  // in metrics.connections_open
  bool opened_ = false;   // handed to the Handler (on_open called)
  bool finished_ = false;

  // Shared state: any thread, under mu_.
  mutable std::mutex mu_;
  RateLimiter limiter_;
  bool handling_ = false;    // a frame is with the Handler: pushes are held
  bool writing_ = false;     // a write_next chain is running
  bool closing_ = false;     // close() was called or the socket ended
  std::vector<Frame> held_;  // pushes made while handling, in order
  std::deque<Frame> queue_;  // frames waiting for the socket
  size_t queued_bytes_ = 0;  // held + queued + in flight: not yet written
};

}  // namespace parley
