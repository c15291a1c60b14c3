// Session: the upgrade, identity and rate limit, the one timer that serves
// every deadline, and closing. Reading is in session_read.cpp, writing in
// session_write.cpp.
#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <atomic>
#include <cassert>
#include <cerrno>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "clock.hpp"
#include "net/flusher.hpp"
#include "net/session.hpp"
#include "tuning.hpp"

namespace parley {

namespace {

std::atomic<uint64_t> next_session{1};


// A close frame's reason is at most 123 bytes (RFC 6455 §5.5); cut on a
// UTF-8 character boundary.
std::string close_reason_text(std::string_view reason) {
  if (reason.size() <= 123) return std::string(reason);
  size_t n = 123;
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  return std::string(reason.substr(0, n));
}

// What the handshake answers a request it cannot upgrade (RFC 6455 §4.2.2).
std::string http_refusal(unsigned status, std::string_view reason, std::string_view body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  if (status == 426) out += "Sec-WebSocket-Version: 13\r\n";
  out += "Server: parley/" PARLEY_VERSION "\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  out += body;
  return out;
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, SessionShared& shared, Flusher& flusher)
    : shared_(shared),
      flusher_(flusher),
      executor_(socket.get_executor()),
      socket_(std::move(socket)),
      id_(shared.cfg.node_id + "-" + std::to_string(next_session.fetch_add(1))),
      timer_(executor_),
      parser_(shared.cfg.limits.frame_bytes),
      limiter_(shared.cfg.limits.rate_per_sec, shared.cfg.limits.rate_burst, Clock::now()) {}

// Runs when the last handler holding the session is gone: finish() has run
// by then (or the io_context was torn down), so nothing outside is touched.
Session::~Session() = default;

asio::any_io_executor Session::executor() const { return executor_; }

// Answers the upgrade (101, or 400/426 for a request no WebSocket client
// would send), then hands over to the read side. The answer almost always
// fits the fresh socket's send buffer: it is written at once, with no timer
// armed and no wait; only a partial write waits (under the handshake
// timeout) for the rest.
void Session::start(std::string_view key, std::string_view version, std::string leftover,
                    std::optional<Identity> who, std::optional<Refusal> refusal) {
  std::string answer;
  bool upgrade = false;
  if (version.empty()) {
    answer = http_refusal(400, "Bad Request", "missing Sec-WebSocket-Version\n");
  } else if (version != "13") {
    answer = http_refusal(426, "Upgrade Required", "unsupported Sec-WebSocket-Version\n");
  } else if (!ws::valid_client_key(key)) {
    answer = http_refusal(400, "Bad Request", "missing or invalid Sec-WebSocket-Key\n");
  } else {
    upgrade = true;
    constexpr std::string_view kHead =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: ";
    constexpr std::string_view kTail = "\r\nServer: parley/" PARLEY_VERSION "\r\n\r\n";
    std::string accept = ws::accept_key(key);
    answer.reserve(kHead.size() + accept.size() + kTail.size());
    answer.append(kHead).append(accept).append(kTail);
  }
  Opening opening{upgrade, std::move(leftover), std::move(who), std::move(refusal)};
  boost::system::error_code ec;
  // MSG_DONTWAIT: no switch of the socket to non-blocking mode (a syscall).
  ssize_t sent = ::send(socket_.native_handle(), answer.data(), answer.size(),
                        MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    ec = boost::system::error_code(errno, boost::system::system_category());
  size_t n = sent > 0 ? static_cast<size_t>(sent) : 0;
  if (ec || n == answer.size()) {
    after_answer(ec, std::move(opening));
    return;
  }
  answer.erase(0, n);
  close_deadline_ = Clock::now() + kHandshakeTimeout;
  arm_timer();
  auto rest = std::make_shared<std::string>(std::move(answer));
  asio::async_write(socket_, asio::buffer(*rest),
                    [self = shared_from_this(), rest, opening = std::move(opening)](
                        boost::system::error_code wec, size_t) mutable {
                      self->close_deadline_ = Clock::time_point::max();
                      self->after_answer(wec, std::move(opening));
                    });
}

void Session::after_answer(boost::system::error_code ec, Opening opening) {
  if (ec || !opening.upgrade) {
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    if (ec) socket_.close(ignored);
    timer_.cancel();
    std::lock_guard lk(mu_);
    advance_locked(Phase::finished);
    return;
  }
  auto self = shared_from_this();
  const Config& cfg = shared_.cfg;
  {
    std::lock_guard lk(mu_);
    advance_locked(Phase::open);  // a refusal too: it closes from open
  }
  shared_.metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
  shared_.metrics.connections_total.fetch_add(1, std::memory_order_relaxed);
  last_rx_ = Clock::now();

  if (opening.refusal) {
    spdlog::debug("session {}: refused {} {}", id_, opening.refusal->code, opening.refusal->reason);
    close(opening.refusal->code, opening.refusal->reason);
  } else {
    if (opening.who) set_identity(std::move(*opening.who));
    if (!identity_) auth_deadline_ = Clock::now() + std::chrono::milliseconds(cfg.auth_timeout_ms);
    next_ping_ = Clock::now() + std::chrono::milliseconds(cfg.ping_interval_ms);
    arm_timer();
    opened_ = true;
    try {
      if (shared_.on_open) shared_.on_open(self);
      shared_.handler.on_open(self);
    } catch (const std::exception& e) {
      spdlog::error("session {}: on_open: {}", id_, e.what());
      close(1011, "internal error");
    }
  }
  if (!opening.leftover.empty()) consume(opening.leftover.data(), opening.leftover.size());
  else start_read();
}

// The socket is gone (both sides closed, or it broke): the Handler forgets
// it. Runs once, on the executor.
void Session::finish() {
  bool counted;  // past the handshake: in metrics.connections_open
  {
    std::lock_guard lk(mu_);
    Phase from = phase();
    if (from == Phase::finished) return;
    counted = from != Phase::handshake;
    advance_locked(Phase::finished);
    held_.clear();
    queue_.clear();
    uncount_queued_locked(queued_bytes_);  // nothing left is written
  }
  batch_.clear();
  received_.clear();
  timer_.cancel();
  teardown();
  if (counted) shared_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
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
// Identity, rate limit

void Session::set_identity(Identity who) {
  Millis expires_at = who.expires_at;
  identity_ = std::move(who);
  auth_deadline_ = Clock::time_point::max();
  // Re-authentication replaces the deadline.
  expiry_deadline_ = Clock::time_point::max();
  if (expires_at > 0) {
    const Millis left = std::max<Millis>(0, expires_at - wall_clock_ms());
    expiry_deadline_ = Clock::now() + std::chrono::milliseconds(left);
  }
  arm_timer();
}

Status Session::admit_request(double cost) {
  RateLimiter::Verdict v;
  {
    std::lock_guard lk(mu_);
    v = limiter_.admit(Clock::now(), cost);
  }
  if (v.admitted) return Ok{};
  shared_.metrics.rate_limited.fetch_add(1, std::memory_order_relaxed);
  if (v.strikes >= shared_.cfg.limits.rate_abuse_strikes) close(4029, "request rate abuse");
  return rate_limited(v.retry_after_ms);
}

//------------------------------------------------------------------------------
// The timer: it wakes at the earliest deadline; on_timer checks them all
// against the clock and arms it again.

void Session::arm_timer() {
  const Phase now = phase();
  if (now == Phase::finished) return;
  auto idle_at = last_rx_ + std::chrono::milliseconds(shared_.cfg.idle_timeout_ms);
  if (now == Phase::handshake) idle_at = Clock::time_point::max();
  auto at = std::min({auth_deadline_, expiry_deadline_, close_deadline_, next_ping_, idle_at});
  // Closing (or in the handshake), only close_deadline_ counts: on_timer
  // acts on no other, so one of them already past would wake the timer at
  // once, again and again, until the grace ends.
  if (close_deadline_ != Clock::time_point::max()) at = close_deadline_;
  if (at == Clock::time_point::max() || at == timer_at_) return;
  timer_at_ = at;
  uint64_t generation = ++timer_generation_;
  timer_.expires_at(at);  // a wait still pending ends with operation_aborted
  timer_.async_wait([self = shared_from_this(), generation](boost::system::error_code ec) {
    if (ec || generation != self->timer_generation_) return;
    self->timer_at_ = Clock::time_point::max();
    self->on_timer();
  });
}

void Session::on_timer() {
  if (phase() == Phase::finished) return;
  const auto now = Clock::now();
  if (now >= close_deadline_) {
    // The close handshake (or the opening one) did not finish in time.
    teardown();
    return;
  }
  if (!closing()) {
    const Config& cfg = shared_.cfg;
    if (!identity_ && now >= auth_deadline_) {
      close(4001, "authentication timeout");
    } else if (now >= expiry_deadline_) {
      close(4001, "token expired");
    } else if (now - last_rx_ >= std::chrono::milliseconds(cfg.idle_timeout_ms)) {
      // Silent for too long: most likely gone. Say so politely; the close
      // grace tears the TCP connection down if nobody answers.
      close(1001, "idle timeout");
    } else if (now >= next_ping_) {
      next_ping_ = now + std::chrono::milliseconds(cfg.ping_interval_ms);
      // A ping still waiting behind a long write is enough; do not stack them.
      if (!ping_in_flight_) {
        ping_in_flight_ = true;
        enqueue_control(ws::ping, {});
      }
    }
  }
  arm_timer();
}

//------------------------------------------------------------------------------
// The lifecycle, and closing

void Session::advance_locked(Phase to) {
  assert(legal_move(phase(), to));
  phase_.store(to, std::memory_order_release);
}

void Session::close(uint16_t code, std::string_view reason) {
  {
    std::lock_guard lk(mu_);
    if (closing()) return;
    advance_locked(Phase::closing);
    drop_unwritten_locked();
  }
  // Posted even from the executor itself: close() may be called from inside
  // on_frame or a completion, and the close must not start in the middle
  // of either.
  asio::post(executor_,
             [self = shared_from_this(), code, reason = close_reason_text(reason)]() mutable {
               self->do_close(code, std::move(reason));
             });
}

// Queues the close frame after the frames being written, and gives the
// peer close_grace to answer. The read side sees the answer (and tears the
// connection down), or the timer does.
void Session::do_close(uint16_t code, std::string reason) {
  // Once per session: from closing (close() posted this) or peer_closed.
  if (const Phase now = phase(); now != Phase::closing && now != Phase::peer_closed) return;
  // A closing socket may take this long (--close-grace-ms, hidden, 1 s) to
  // finish the close handshake before its TCP connection is torn down: a
  // peer that does not read (a slow consumer) never completes it, and must
  // not hold the socket.
  close_deadline_ = Clock::now() + std::chrono::milliseconds(shared_.cfg.close_grace_ms);
  arm_timer();
  // enqueue_control moves to close_sent (or closed) before it writes: the
  // frame usually leaves at once, and on_all_written must then see it sent
  // (and, when the peer closed first, drop TCP now rather than at the end
  // of the grace).
  enqueue_control(ws::close, ws::close_payload(code, reason));
}

// Drops the TCP connection: the pending wait for readability completes
// with an error, the read side notices and finish() runs.
void Session::teardown() {
  boost::system::error_code ec;
  if (!socket_.is_open()) return;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace parley
