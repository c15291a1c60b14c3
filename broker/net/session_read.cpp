// Session: the inbound side. The socket is waited on for readability (an
// idle socket holds no buffer), then read into a per-thread scratch buffer;
// the frame parser turns the bytes into messages, which the Handler gets one
// at a time, in arrival order. While messages wait for the Handler the
// socket is not read: a client that pipelines requests is slowed by TCP,
// not buffered without bound.
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <simdjson.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "net/flusher.hpp"
#include "net/session.hpp"
#include "tuning.hpp"

namespace parley {

namespace {

char* scratch() {
  thread_local std::unique_ptr<char[]> buf(new char[kReadScratchBytes]);
  return buf.get();
}

bool expected_end(boost::system::error_code ec) {
  return ec == asio::error::operation_aborted || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::bad_descriptor;
}

// Close codes a peer may send (RFC 6455 §7.4).
bool valid_close_code(uint16_t c) {
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1011) || (c >= 3000 && c <= 4999);
}

}  // namespace

void Session::start_read() {
  if (read_waiting_ || phase() == Phase::finished) return;
  read_waiting_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](boost::system::error_code ec) {
                       self->read_waiting_ = false;
                       self->on_readable(ec);
                     });
}

void Session::on_readable(boost::system::error_code ec) {
  if (phase() == Phase::finished) return;
  if (ec) {
    if (!expected_end(ec)) spdlog::debug("session {}: read: {}", id_, ec.message());
    finish();
    return;
  }
  char* buf = scratch();
  // MSG_DONTWAIT rather than the socket's non-blocking mode: setting that
  // mode is a syscall of its own on every new socket.
  ssize_t got = ::recv(socket_.native_handle(), buf, kReadScratchBytes, MSG_DONTWAIT);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    start_read();
    return;
  }
  if (got < 0) ec = boost::system::error_code(errno, boost::system::system_category());
  size_t n = got > 0 ? static_cast<size_t>(got) : 0;
  if (ec || n == 0) {
    // The peer went away (or closed its side after the close handshake).
    if (ec && !expected_end(ec)) spdlog::debug("session {}: read: {}", id_, ec.message());
    finish();
    return;
  }
  last_rx_ = Clock::now();
  consume(buf, n);
}

// Feeds bytes to the parser and acts on what comes out; then either the
// Handler runs (and reading resumes when it is done) or reading goes on.
void Session::consume(const char* data, size_t size) {
  auto self = shared_from_this();
  bool stop = false;
  // After a protocol error (parser_.failed()) what else arrives is dropped.
  while (!stop && !parser_.failed()) {
    switch (parser_.next(data, size)) {
      case ws::Parsed::need_more:
        stop = true;
        break;
      case ws::Parsed::message: {
        std::string& m = parser_.message();
        // Closing: keep reading (that is how the close handshake finishes)
        // but do not act on what arrives.
        if (closing()) {
          m.clear();
        } else if (parser_.message_opcode() != ws::text) {
          m.clear();
          close(1003, "text frames only");
        } else {
          received_.push_back(std::move(m));
          m = std::string();
        }
        break;
      }
      case ws::Parsed::control:
        on_control();
        break;
      case ws::Parsed::too_big:
        // The rest of the message is read and dropped, so the peer reads
        // our close frame instead of a reset.
        close(1009, "frame too big");
        break;
      case ws::Parsed::error:
        close(parser_.error_code(), parser_.error_text());
        break;
    }
  }
  if (phase() == Phase::finished) return;
  if (!parser_.mid_message()) parser_.release_memory();
  if (received_next_ < received_.size() && !handling_received_) {
    handling_received_ = true;
    asio::co_spawn(executor_, handle_received(), asio::detached);
    return;
  }
  start_read();
}

void Session::on_control() {
  const std::string& payload = parser_.control();
  switch (parser_.control_opcode()) {
    case ws::ping:
      enqueue_control(ws::pong, payload);
      break;
    case ws::pong:
      break;
    case ws::close: {
      if (const Phase now = phase(); now == Phase::close_sent || now == Phase::closed) {
        // The answer to our close: the handshake is complete once our
        // close frame is out.
        if (now == Phase::close_sent) {
          std::lock_guard lk(mu_);
          advance_locked(Phase::closed);
        }
        if (batch_next_ == batch_.size() && !write_waiting_) teardown();
        return;
      }
      // The peer closes first: answer with its code (RFC 6455 §5.5.1).
      uint16_t code = 1000;
      std::string reason;
      if (payload.size() == 1) {
        code = 1002;
        reason = "bad close frame";
      } else if (payload.size() >= 2) {
        uint16_t theirs = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                                static_cast<uint8_t>(payload[1]));
        if (!valid_close_code(theirs)) {
          code = 1002;
          reason = "bad close code";
        } else if (!simdjson::validate_utf8(payload.data() + 2, payload.size() - 2)) {
          code = 1007;
          reason = "bad close reason";
        } else {
          code = theirs;
        }
      }
      {
        std::lock_guard lk(mu_);
        advance_locked(Phase::peer_closed);
        drop_unwritten_locked();
      }
      do_close(code, std::move(reason));
      break;
    }
    default:
      break;
  }
}

// Hands the received messages to the Handler in arrival order: one at a
// time, but for a run of pipelinable ones (handle_pipelined); a request's
// response is queued before the pushes it caused. Ends when none is left,
// so an idle session holds no coroutine.
asio::awaitable<void> Session::handle_received() {
  auto self = shared_from_this();
  while (received_next_ < received_.size() && phase() != Phase::finished) {
    if (const size_t run = pipeline_run(); run > 1) {
      co_await handle_pipelined(run);
      last_rx_ = Clock::now();
      continue;
    }
    std::string frame = std::move(received_[received_next_++]);
    if (closing()) continue;
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
    after_request(std::move(response));
  }
  // An idle socket keeps no memory for received messages.
  std::vector<std::string>().swap(received_);
  received_next_ = 0;
  handling_received_ = false;
  if (phase() == Phase::finished) co_return;
  start_read();
}

size_t Session::pipeline_run() {
  if (closing() || received_.size() - received_next_ < 2) return 1;
  size_t n = 0;
  while (n < kPipelineFrames && received_next_ + n < received_.size() &&
         shared_.handler.pipelinable(received_[received_next_ + n]))
    ++n;
  return std::max<size_t>(n, 1);
}

// A run of pipelinable requests (consecutive sendMessages): each is started
// in arrival order and runs up to its storage call before the next starts
// (Handler::pipelinable), so they reach Redis back to back, in order, and
// commit in order. Their responses are queued in arrival order as they
// complete; pushes stay held until the last response, so each push still
// follows the response of the request that caused it.
asio::awaitable<void> Session::handle_pipelined(size_t n) {
  auto self = shared_from_this();
  struct Run {
    Run(size_t n, const asio::any_io_executor& ex) : out(n), wake(ex) {}
    std::vector<std::optional<std::string>> out;  // responses, by position in the run
    asio::steady_timer wake;                      // cancelled by each completion
  };
  auto run = std::make_shared<Run>(n, executor_);
  {
    std::lock_guard lk(mu_);
    handling_ = true;
  }
  for (size_t i = 0; i < n; ++i) {
    std::string frame = std::move(received_[received_next_++]);
    shared_.metrics.frames_in.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(executor_, shared_.handler.on_frame(self, std::move(frame)),
                   [self, run, i](std::exception_ptr e, std::string response) {
                     if (e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         spdlog::error("session {}: on_frame: {}", self->id_, ex.what());
                       } catch (...) {
                       }
                       self->close(1011, "internal error");
                       response.clear();
                     }
                     run->out[i] = std::move(response);
                     run->wake.cancel();
                   });
  }
  // Everything here runs on the session's one thread: a completion lands
  // either before the check (seen) or during the wait (wakes it).
  for (size_t next = 0; next < n;) {
    if (!run->out[next]) {
      run->wake.expires_at(asio::steady_timer::time_point::max());
      co_await run->wake.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    std::string response = std::move(*run->out[next]);
    if (++next < n)
      queue_response(std::move(response));
    else
      after_request(std::move(response));
  }
}

void Session::queue_response(std::string response) {
  if (response.empty()) return;
  bool slow = false;
  bool schedule = false;
  {
    std::lock_guard lk(mu_);
    if (closing()) return;
    slow = !enqueue_locked(std::make_shared<const std::string>(std::move(response)), false);
    if (!slow) schedule_flush_locked(schedule);
  }
  if (slow) {
    shared_.metrics.slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
    close(4008, "slow consumer");
  } else if (schedule) {
    flusher_.schedule(shared_from_this());
  }
}

// PROTOCOL.md §2: a request's response goes out before any push it caused,
// so the response is queued first, then the pushes held while it ran.
void Session::after_request(std::string response) {
  bool slow = false;
  bool schedule = false;
  {
    std::lock_guard lk(mu_);
    handling_ = false;
    if (closing()) return;
    if (!response.empty())
      slow = !enqueue_locked(std::make_shared<const std::string>(std::move(response)), false);
    if (!slow) {
      for (auto& f : held_) queue_.push_back(std::move(f));  // already counted
      held_.clear();
      schedule_flush_locked(schedule);
    }
  }
  if (slow) {
    shared_.metrics.slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
    close(4008, "slow consumer");
  } else if (schedule) {
    flusher_.schedule(shared_from_this());
  }
}

}  // namespace parley
