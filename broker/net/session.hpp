// One WebSocket client: the upgrade, the framing (RFC 6455, ws_frame.hpp),
// the requests handed to the Handler one at a time, the byte-bounded
// outbound queue, keep-alive and authentication deadlines, and the
// per-socket rate limit.
//
// The session speaks WebSocket itself on the TCP socket rather than through
// Beast's stream, for three reasons: frames queued for a socket leave in one
// gather-write (one syscall for many frames, and no Beast control frame can
// ever land in the middle of it); an idle socket holds no read buffer (it
// waits for readability, then reads into a per-thread scratch buffer); and a
// session is a few hundred bytes (one timer, no coroutine frame while idle).
//
// Threading: everything that touches the socket runs on the session's
// executor (one io_context, one thread). push() and close() may be called
// from any thread; they take the mutex, and the Flusher of the session's
// thread writes what they queued. set_identity() and admit_request() are
// called by the Handler from within on_frame, that is, on the executor.
//
// Included only by session*.cpp, flusher.cpp and listener.cpp.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "config.hpp"
#include "net/connection.hpp"
#include "metrics.hpp"
#include "net/rate_limiter.hpp"
#include "net/session_phase.hpp"
#include "net/ws_frame.hpp"

namespace parley {

namespace asio = boost::asio;

class Session;
class Flusher;

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
  // A message's text, shared: an event's is the same object for every
  // receiver.
  using Payload = std::shared_ptr<const std::string>;

  // `flusher` belongs to the socket's io_context.
  Session(asio::ip::tcp::socket socket, SessionShared& shared, Flusher& flusher);
  ~Session() override;

  // Completes the upgrade (answers the request's Sec-WebSocket-`key` and
  // -`version`), then serves the socket until it closes. Executor only.
  // `leftover`: bytes the HTTP read took past the request (the first
  // frames, from an eager client). With `who` the socket is authenticated
  // from the start (a valid token on the upgrade); with `refusal` it is
  // closed right after the handshake and the Handler never sees it.
  void start(std::string_view key, std::string_view version, std::string leftover,
             std::optional<Identity> who, std::optional<Refusal> refusal);

  // The Flusher of the session's thread (the listener tells its thread by it).
  Flusher& flusher() const { return flusher_; }
  // The listener's bookkeeping: where the session is in its registry shard.
  // Touched only by the listener, under that shard's mutex.
  size_t& registry_slot() const { return registry_slot_; }

  // Writes what is queued, as far as the socket takes it. Executor only:
  // the Flusher calls it.
  void flush();

  // Connection
  const std::optional<Identity>& identity() const override { return identity_; }
  void set_identity(Identity who) override;
  using Connection::push;
  bool push(Payload payload, const void* source) override;
  void withdraw_held(const void* source) override;
  Status admit_request(double cost) override;
  void close(uint16_t code, std::string_view reason) override;
  boost::asio::any_io_executor executor() const override;
  const std::string& session_id() const override { return id_; }

 private:
  using Clock = std::chrono::steady_clock;

  // Where the session is in its life (session_phase.hpp has the phases and
  // their legal moves). Only advance_locked() changes it.
  using Phase = SessionPhase;
  // Lock-free read; may lag a change made on another thread (close()).
  Phase phase() const { return phase_.load(std::memory_order_acquire); }
  // Moves to `to`; asserts the move is legal. Under mu_, since close()
  // moves open ─► closing from any thread.
  void advance_locked(Phase to);
  bool closing() const { return phase() >= Phase::closing; }

  // One WebSocket frame queued for the socket: its header here, its payload
  // shared.
  struct Outgoing {
    Payload payload;
    uint8_t header[ws::kMaxHeader];
    uint8_t header_len;
    const void* source = nullptr;  // what pushed it (held pushes only)
    size_t size() const { return header_len + payload->size(); }
    ws::Opcode opcode() const { return static_cast<ws::Opcode>(header[0] & 0x0F); }
  };
  static Outgoing make_outgoing(ws::Opcode op, Payload payload);

  // session.cpp: the upgrade, identity, timers, closing.
  struct Opening {
    bool upgrade;
    std::string leftover;
    std::optional<Identity> who;
    std::optional<Refusal> refusal;
  };
  void after_answer(boost::system::error_code ec, Opening opening);
  void arm_timer();
  void on_timer();
  void do_close(uint16_t code, std::string reason);
  void teardown();
  void finish();

  // session_read.cpp: bytes in, frames out, requests to the Handler.
  void start_read();
  void on_readable(boost::system::error_code ec);
  void consume(const char* data, size_t size);
  void on_control();
  asio::awaitable<void> handle_received();
  // The frames from received_next_ on that may run together (at least 2,
  // else 1), at most kPipelineFrames.
  size_t pipeline_run();
  asio::awaitable<void> handle_pipelined(size_t n);
  void after_request(std::string response);
  // A response of a pipelined run but its last: queued now, the held
  // pushes stay held until the run's last response.
  void queue_response(std::string response);

  // session_write.cpp: the outbound queue.
  bool enqueue_locked(Payload payload, bool hold);
  // Drops `f` (not written yet) from the count of queued bytes.
  void unqueue_locked(const Outgoing& f);
  void count_queued_locked(size_t n);
  void uncount_queued_locked(size_t n);
  // Drops what is held or queued and not being written yet (closing).
  void drop_unwritten_locked();
  void enqueue_control(ws::Opcode op, std::string payload);
  void schedule_flush_locked(bool& schedule);
  void write_some(bool scheduled = false);
  void on_all_written();

  SessionShared& shared_;
  Flusher& flusher_;
  const asio::any_io_executor executor_;  // the socket's: everything touching it runs here
  asio::ip::tcp::socket socket_;
  const std::string id_;
  std::optional<Identity> identity_;

  // Executor-only state.
  asio::steady_timer timer_;  // the one timer: every deadline below
  Clock::time_point timer_at_ = Clock::time_point::max();
  uint64_t timer_generation_ = 0;                        // tells a stale wake-up from the current one
  Clock::time_point auth_deadline_ = Clock::time_point::max();    // unauthenticated: 4001
  Clock::time_point expiry_deadline_ = Clock::time_point::max();  // the token expires: 4001
  Clock::time_point close_deadline_ = Clock::time_point::max();   // closing: give up, drop TCP
  Clock::time_point last_rx_;                            // last bytes from the peer
  Clock::time_point next_ping_ = Clock::time_point::max();
  ws::FrameParser parser_;  // failed(): a protocol error, what else arrives is dropped
  std::vector<std::string> received_;  // complete messages not handled yet
  size_t received_next_ = 0;
  std::vector<Outgoing> batch_;  // frames being written
  size_t batch_next_ = 0;        // the first frame of batch_ not fully written
  size_t batch_offset_ = 0;      // bytes of it already written
  // What is in flight, each independent of the phase and of the others.
  bool read_waiting_ = false;       // a wait for readability is pending
  bool write_waiting_ = false;      // a wait for writability is pending
  bool handling_received_ = false;  // handle_received() is running
  bool ping_in_flight_ = false;     // our ping is queued and not written yet
  // The Handler knows the session (on_open was called): not after a refusal.
  bool opened_ = false;
  mutable size_t registry_slot_ = 0;

  // Shared state: any thread, under mu_.
  mutable std::mutex mu_;
  std::atomic<Phase> phase_{Phase::handshake};  // written under mu_ (advance_locked)
  RateLimiter limiter_;
  bool handling_ = false;         // a request is with the Handler: pushes are held
  bool flush_scheduled_ = false;  // the Flusher will call flush()
  std::vector<Outgoing> held_;    // pushes made while handling, in order
  std::vector<Outgoing> queue_;   // frames waiting for the socket
  size_t queued_bytes_ = 0;       // held + queued + being written: not yet written
  // Where in queue_ the last pong was put: the pong waiting there, if that
  // entry still is one, is replaced by the next (enqueue_control).
  size_t pong_at_ = 0;
};

}  // namespace parley
