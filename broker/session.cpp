#include "session.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

namespace parley {

namespace websocket = beast::websocket;
namespace http = beast::http;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// How long a closing socket may take to finish the close handshake before
// its TCP connection is torn down: a peer that does not read (a slow
// consumer) never completes it, and must not hold the socket.
constexpr auto close_grace = 1s;
// The opening handshake (writing the 101) must not hang either.
constexpr auto handshake_timeout = 10s;

std::atomic<uint64_t> next_session{1};

Millis system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// A close frame's reason is at most 123 bytes (RFC 6455 §5.5); cut on a
// UTF-8 character boundary.
std::string close_reason_text(std::string_view reason) {
  if (reason.size() <= 123) return std::string(reason);
  size_t n = 123;
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  return std::string(reason.substr(0, n));
}

// Errors that only say the socket went away or we closed it: not worth a
// log line.
bool expected_end(beast::error_code ec) {
  return ec == asio::error::operation_aborted || ec == websocket::error::closed ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == beast::error::timeout;
}

void fail(beast::error_code ec, const char* what, const std::string& id) {
  if (expected_end(ec)) return;
  spdlog::debug("session {}: {}: {}", id, what, ec.message());
}

}  // namespace

Session::Session(beast::tcp_stream stream, SessionShared& shared)
    : shared_(shared),
      executor_(stream.get_executor()),
      ws_(std::move(stream)),
      id_(shared.cfg.node_id + "-" + std::to_string(next_session.fetch_add(1))),
      auth_timer_(executor_),
      expiry_timer_(executor_),
      keepalive_timer_(executor_),
      close_timer_(executor_),
      limiter_(shared.cfg.limits.rate_per_sec, shared.cfg.limits.rate_burst, Clock::now()) {}

// Runs when the last handler holding the session is gone: finish() has run
// by then (or the io_context was torn down), so nothing outside is touched.
Session::~Session() = default;

asio::any_io_executor Session::executor() const { return executor_; }

void Session::run(Request req, std::optional<Identity> who, std::optional<Refusal> refusal) {
  asio::co_spawn(executor_, serve(std::move(req), std::move(who), std::move(refusal)),
                 asio::detached);
}

asio::awaitable<void> Session::serve(Request req, std::optional<Identity> who,
                                     std::optional<Refusal> refusal) {
  auto self = shared_from_this();
  const Config& cfg = shared_.cfg;

  // The websocket stream keeps its own time: the HTTP read's deadline on
  // the TCP stream must not fire under it.
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = handshake_timeout;
  timeouts.idle_timeout = websocket::stream_base::none();  // ours: ping + idle below
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(http::field::server, "parley/" PARLEY_VERSION);
  }));
  // The frame limit is enforced by read_loop, not by Beast: Beast's own
  // 1009 path drops the TCP connection while the rest of the oversized
  // message is still arriving, and the peer then sees a reset instead of
  // the close frame. UTF-8 in text frames is Beast's (close 1007).
  ws_.read_message_max(0);   // no limit
  ws_.auto_fragment(false);  // one frame per message
  ws_.text(true);
  // Pings, pongs and the peer's close count as signs of life.
  ws_.control_callback(
      [this](websocket::frame_type, beast::string_view) { last_rx_ = Clock::now(); });

  auto [ec] = co_await ws_.async_accept(req, use_tuple);
  if (ec) {
    // Beast has answered a bad upgrade (400 and the like) itself.
    fail(ec, "accept", id_);
    co_return;
  }
  counted_ = true;
  shared_.metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
  shared_.metrics.connections_total.fetch_add(1, std::memory_order_relaxed);
  last_rx_ = Clock::now();

  if (refusal) {
    spdlog::debug("session {}: refused {} {}", id_, refusal->code, refusal->reason);
    close(refusal->code, refusal->reason);
  } else {
    if (who) set_identity(std::move(*who));
    if (!identity_) arm_auth_deadline();
    next_ping_ = Clock::now() + std::chrono::milliseconds(cfg.ping_interval_ms);
    arm_keepalive();
    opened_ = true;
    try {
      if (shared_.on_open) shared_.on_open(self);
      shared_.handler.on_open(self);
    } catch (const std::exception& e) {
      spdlog::error("session {}: on_open: {}", id_, e.what());
      close(1011, "internal error");
    }
  }
  co_await read_loop();
  finish();
}

// Reads frames one at a time and hands each to the Handler; the next read
// starts only when the Handler is done, so requests run in arrival order.
// Returns when the socket is closed, by either side.
asio::awaitable<void> Session::read_loop() {
  auto self = shared_from_this();
  const size_t limit = shared_.cfg.limits.frame_bytes;
  for (;;) {
    // The message is read piece by piece so that one over the limit is
    // never held in memory: at limit + 1 bytes it is known to be too big,
    // and the rest of it is read and dropped.
    std::string frame;
    bool too_big = false;
    beast::error_code ec;
    do {
      bool discard = too_big || closing();
      size_t want = discard ? 64 * 1024 : limit + 1 - frame.size();
      auto buffer = asio::dynamic_buffer(frame);
      auto [e, n] = co_await ws_.async_read_some(buffer, want, use_tuple);
      if ((ec = e)) break;
      if (discard || frame.size() > limit) {
        too_big = too_big || !discard;
        frame.clear();
      }
    } while (!ws_.is_message_done());
    if (ec) {
      fail(ec, "read", id_);
      co_return;
    }
    last_rx_ = Clock::now();
    // Closing: keep reading (that is how the close handshake finishes) but
    // do not act on what arrives.
    if (closing()) continue;
    if (too_big) {
      close(1009, "frame too big");
      continue;
    }
    if (!ws_.got_text()) {
      close(1003, "text frames only");
      continue;
    }
    shared_.metrics.frames_in.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lk(mu_);
      handling_ = true;
    }
    std::string response;
    try {
      response = co_await shared_.handler.on_frame(self, std::move(frame));
    } catch (const std::exception& e) {
      spdlog::error("session {}: on_frame: {}", id_, e.what());
      close(1011, "internal error");
    }
    // A long request is not silence.
    last_rx_ = Clock::now();
    after_frame(std::move(response));
  }
}

// PROTOCOL.md §2: a request's response goes out before any push it caused,
// so the response is queued first, then the pushes held while it ran.
void Session::after_frame(std::string response) {
  bool start = false;
  bool slow = false;
  {
    std::lock_guard lk(mu_);
    handling_ = false;
    if (closing_) return;
    if (!response.empty())
      slow = !enqueue_locked(std::make_shared<const std::string>(std::move(response)), false);
    if (!slow) {
      for (auto& f : held_) queue_.push_back(std::move(f));  // already counted
      held_.clear();
      if (!queue_.empty() && !writing_) start = writing_ = true;
    }
  }
  if (slow) {
    shared_.metrics.slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
    close(4008, "slow consumer");
  } else if (start) {
    write_next();
  }
}

void Session::finish() {
  finished_ = true;
  {
    std::lock_guard lk(mu_);
    closing_ = true;
    held_.clear();
    queue_.clear();
  }
  auth_timer_.cancel();
  expiry_timer_.cancel();
  keepalive_timer_.cancel();
  close_timer_.cancel();
  teardown();
  if (counted_) shared_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
  if (!opened_) return;
  auto self = shared_from_this();
  try {
    shared_.handler.on_close(self);
  } catch (const std::exception& e) {
    spdlog::error("session {}: on_close: {}", id_, e.what());
  }
  if (shared_.on_end) shared_.on_end(this);
}

//------------------------------------------------------------------------------
// Outbound queue

// Counts `frame` against the outbound limit and queues it (or holds it
// while a request runs). False when it does not fit: the caller closes the
// socket 4008. A frame bigger than the whole limit still goes onto an empty
// queue, so one large response cannot wedge a client.
bool Session::enqueue_locked(Frame frame, bool hold) {
  size_t size = frame->size();
  if (queued_bytes_ > 0 && queued_bytes_ + size > shared_.cfg.limits.outbound_bytes) return false;
  queued_bytes_ += size;
  if (hold)
    held_.push_back(std::move(frame));
  else
    queue_.push_back(std::move(frame));
  return true;
}

bool Session::push(Frame frame) {
  if (!frame) return !closing();
  bool fits = true;
  bool start = false;
  {
    std::lock_guard lk(mu_);
    if (closing_) return false;
    fits = enqueue_locked(std::move(frame), handling_);
    if (fits && !handling_ && !writing_) start = writing_ = true;
  }
  if (!fits) {
    shared_.metrics.slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
    close(4008, "slow consumer");
    return false;
  }
  if (start) asio::post(executor_, [self = shared_from_this()] { self->write_next(); });
  return true;
}

// One async_write per frame, one at a time (a websocket stream allows one
// write in flight). The frame stays counted until it is written.
void Session::write_next() {
  Frame frame;
  {
    std::lock_guard lk(mu_);
    if (closing_ || queue_.empty()) {
      writing_ = false;
      return;
    }
    frame = std::move(queue_.front());
    queue_.pop_front();
  }
  auto buf = asio::buffer(*frame);
  ws_.async_write(buf, [self = shared_from_this(), frame = std::move(frame)](
                           beast::error_code ec, size_t) { self->on_write(ec, frame->size()); });
}

void Session::on_write(beast::error_code ec, size_t bytes) {
  {
    std::lock_guard lk(mu_);
    queued_bytes_ -= std::min(queued_bytes_, bytes);
  }
  if (ec) {
    fail(ec, "write", id_);
    {
      std::lock_guard lk(mu_);
      writing_ = false;
    }
    // The socket is broken: make sure the read loop notices and ends.
    teardown();
    return;
  }
  shared_.metrics.frames_out.fetch_add(1, std::memory_order_relaxed);
  shared_.metrics.bytes_out.fetch_add(bytes, std::memory_order_relaxed);
  write_next();
}

//------------------------------------------------------------------------------
// Identity, rate limit

void Session::set_identity(Identity who) {
  Millis expires_at = who.expires_at;
  identity_ = std::move(who);
  auth_timer_.cancel();
  arm_expiry(expires_at);
}

Status Session::admit_request() {
  RateLimiter::Verdict v;
  {
    std::lock_guard lk(mu_);
    v = limiter_.admit(Clock::now());
  }
  if (v.admitted) return Ok{};
  shared_.metrics.rate_limited.fetch_add(1, std::memory_order_relaxed);
  if (v.strikes >= shared_.cfg.limits.rate_abuse_strikes) close(4029, "request rate abuse");
  return rate_limited(v.retry_after_ms);
}

//------------------------------------------------------------------------------
// Timers

void Session::arm_auth_deadline() {
  auth_timer_.expires_after(std::chrono::milliseconds(shared_.cfg.auth_timeout_ms));
  auth_timer_.async_wait(
      [self = shared_from_this()](beast::error_code ec) { self->on_auth_deadline(ec); });
}

void Session::on_auth_deadline(beast::error_code ec) {
  if (ec || identity_) return;
  close(4001, "authentication timeout");
}

void Session::arm_expiry(Millis expires_at) {
  // Re-authentication replaces the deadline; a wake-up of the old one that
  // was already queued is told apart by its generation.
  uint64_t generation = ++expiry_generation_;
  expiry_timer_.cancel();
  if (expires_at <= 0) return;
  Millis delay = std::max<Millis>(0, expires_at - system_now_ms());
  expiry_timer_.expires_after(std::chrono::milliseconds(delay));
  expiry_timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
    if (ec || generation != self->expiry_generation_) return;
    self->close(4001, "token expired");
  });
}

// One timer serves both keep-alive duties: it wakes at the next ping or at
// the moment the peer would count as idle, whichever comes first.
void Session::arm_keepalive() {
  auto idle_at = last_rx_ + std::chrono::milliseconds(shared_.cfg.idle_timeout_ms);
  keepalive_timer_.expires_at(std::min(next_ping_, idle_at));
  keepalive_timer_.async_wait(
      [self = shared_from_this()](beast::error_code ec) { self->on_keepalive(ec); });
}

void Session::on_keepalive(beast::error_code ec) {
  if (ec || finished_ || closing()) return;
  auto now = Clock::now();
  if (now - last_rx_ >= std::chrono::milliseconds(shared_.cfg.idle_timeout_ms)) {
    // Silent for too long: most likely gone. Say so politely; the close
    // grace tears the TCP connection down if nobody answers.
    close(1001, "idle timeout");
    return;
  }
  if (now >= next_ping_) {
    next_ping_ = now + std::chrono::milliseconds(shared_.cfg.ping_interval_ms);
    // A ping still waiting behind a long write is enough; do not stack them.
    if (!ping_in_flight_) {
      ping_in_flight_ = true;
      ws_.async_ping({}, [self = shared_from_this()](beast::error_code ec) {
        self->ping_in_flight_ = false;
        fail(ec, "ping", self->id_);
      });
    }
  }
  arm_keepalive();
}

//------------------------------------------------------------------------------
// Closing

bool Session::closing() const {
  std::lock_guard lk(mu_);
  return closing_;
}

void Session::close(uint16_t code, std::string_view reason) {
  {
    std::lock_guard lk(mu_);
    if (closing_) return;
    closing_ = true;
    // What has not started to be written is dropped; the frame in flight
    // (if any) stays counted until its write ends.
    for (const auto& f : queue_) queued_bytes_ -= std::min(queued_bytes_, f->size());
    for (const auto& f : held_) queued_bytes_ -= std::min(queued_bytes_, f->size());
    queue_.clear();
    held_.clear();
  }
  // Posted even from the executor itself: close() may be called from inside
  // a Beast completion or from on_frame, and the close must not start in
  // the middle of either.
  asio::post(executor_,
             [self = shared_from_this(), code, reason = close_reason_text(reason)]() mutable {
               self->do_close(code, std::move(reason));
             });
}

void Session::do_close(uint16_t code, std::string reason) {
  if (finished_) return;
  auth_timer_.cancel();
  expiry_timer_.cancel();
  keepalive_timer_.cancel();
  close_timer_.expires_after(close_grace);
  close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->teardown();
  });
  // Sends the close frame (after the write in flight, if any). The read
  // loop then sees the peer's answer, or the grace timer ends it.
  ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason),
                  [self = shared_from_this()](beast::error_code ec) {
                    if (ec) {
                      fail(ec, "close", self->id_);
                      self->teardown();
                    }
                  });
}

// Drops the TCP connection: every pending operation completes with an
// error, so the read loop ends and finish() runs.
void Session::teardown() {
  beast::error_code ec;
  auto& socket = beast::get_lowest_layer(ws_).socket();
  if (!socket.is_open()) return;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

}  // namespace parley
