// Session: the outbound side. Frames are queued (byte-bounded, PROTOCOL.md
// §6) by push() from any thread; the Flusher of the session's thread calls
// flush(), which writes everything queued with gather-writes straight on
// the non-blocking socket, and waits for writability only when the kernel's
// buffer is full. A frame's header lives in its queue entry and its payload
// is shared, so fanning an event out copies no bytes until the kernel does.
#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

#include "net/flusher.hpp"
#include "net/session.hpp"
#include "tuning.hpp"

namespace parley {

namespace {

bool expected_end(boost::system::error_code ec) {
  return ec == asio::error::operation_aborted || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::bad_descriptor;
}

}  // namespace

Session::Outgoing Session::make_outgoing(ws::Opcode op, Payload payload) {
  Outgoing f;
  f.header_len = static_cast<uint8_t>(ws::server_header(f.header, op, payload->size()));
  f.payload = std::move(payload);
  return f;
}

// Counts `payload` against the outbound limit and queues it (or holds it
// while a request runs). False when it does not fit: the caller closes the
// socket 4008. A frame bigger than the whole limit still goes onto an empty
// queue, so one large response cannot wedge a client.
bool Session::enqueue_locked(Payload payload, bool hold) {
  size_t size = payload->size();
  if (queued_bytes_ > 0 && queued_bytes_ + size > shared_.cfg.limits.outbound_bytes) return false;
  count_queued_locked(size);
  (hold ? held_ : queue_).push_back(make_outgoing(ws::text, std::move(payload)));
  return true;
}

void Session::unqueue_locked(const Outgoing& f) { uncount_queued_locked(f.payload->size()); }

// queued_bytes_ and, beside it, the node's parley_outbound_queued_bytes.
void Session::count_queued_locked(size_t n) {
  queued_bytes_ += n;
  shared_.metrics.outbound_queued_bytes.fetch_add(static_cast<int64_t>(n),
                                                  std::memory_order_relaxed);
}

void Session::uncount_queued_locked(size_t n) {
  n = std::min(queued_bytes_, n);
  queued_bytes_ -= n;
  shared_.metrics.outbound_queued_bytes.fetch_sub(static_cast<int64_t>(n),
                                                  std::memory_order_relaxed);
}

// What has not started to be written is dropped; the frames being written
// stay counted until their write ends.
void Session::drop_unwritten_locked() {
  for (const auto& f : queue_) unqueue_locked(f);
  for (const auto& f : held_) unqueue_locked(f);
  queue_.clear();
  held_.clear();
}

void Session::schedule_flush_locked(bool& schedule) {
  if (flush_scheduled_ || queue_.empty()) return;
  flush_scheduled_ = true;
  schedule = true;
}

bool Session::push(Payload payload, const void* source) {
  if (!payload) return !closing();
  bool fits = true;
  bool schedule = false;
  {
    std::lock_guard lk(mu_);
    if (closing()) return false;
    fits = enqueue_locked(std::move(payload), handling_);
    if (fits && handling_) held_.back().source = source;
    if (fits && !handling_) schedule_flush_locked(schedule);
  }
  if (!fits) {
    shared_.metrics.slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
    close(4008, "slow consumer");
    return false;
  }
  if (schedule) flusher_.schedule(shared_from_this());
  return true;
}

void Session::withdraw_held(const void* source) {
  if (!source) return;
  std::lock_guard lk(mu_);
  std::erase_if(held_, [&](const Outgoing& f) {
    if (f.source != source) return false;
    unqueue_locked(f);
    return true;
  });
}

// A control frame (pong, ping, close) from the executor: counted in the
// outbound bytes, queued even while closing, and written at once. A pong
// still waiting in queue_ is replaced by the new one (RFC 6455 §5.5.3: the
// answer to the most recent ping is enough), so a peer that pings and never
// reads has at most one pong queued, not one per ping. Pings are ours (one
// at a time) and the close frame is sent once: queueing it moves the phase
// to close_sent (closed, when it answers the peer's), before the write, so
// that on_all_written knows it is out. Nothing goes after it.
void Session::enqueue_control(ws::Opcode op, std::string payload) {
  if (phase() >= Phase::close_sent) return;
  {
    std::lock_guard lk(mu_);
    if (op == ws::close)
      advance_locked(phase() == Phase::peer_closed ? Phase::closed : Phase::close_sent);
    Outgoing frame = make_outgoing(op, std::make_shared<const std::string>(std::move(payload)));
    count_queued_locked(frame.payload->size());
    if (op == ws::pong && pong_at_ < queue_.size() && queue_[pong_at_].opcode() == ws::pong) {
      unqueue_locked(queue_[pong_at_]);
      queue_[pong_at_] = std::move(frame);
    } else {
      if (op == ws::pong) pong_at_ = queue_.size();
      queue_.push_back(std::move(frame));
    }
  }
  write_some();
}

void Session::flush() { write_some(true); }

// Writes batch_ and then whatever queue_ holds, until everything is out or
// the socket would block (then it waits for writability and comes back).
// One gather-write (sendmsg) per round: whole frames and the rest of a
// partly written one, up to kFramesPerWrite of them. `scheduled`: called by
// the Flusher, whose request this answers.
void Session::write_some(bool scheduled) {
  if (write_waiting_ || phase() == Phase::finished || !socket_.is_open()) {
    if (scheduled) {
      std::lock_guard lk(mu_);
      flush_scheduled_ = false;
    }
    return;
  }
  thread_local iovec iov[2 * kFramesPerWrite];
  const int fd = socket_.native_handle();
  size_t frames_done = 0, bytes_done = 0, payload_done = 0;
  int error = 0;
  for (;;) {
    if (batch_next_ == batch_.size()) {
      // The batch is out: account for it and take the next one, under one
      // lock.
      batch_.clear();
      batch_next_ = 0;
      batch_offset_ = 0;
      std::lock_guard lk(mu_);
      if (scheduled) {
        flush_scheduled_ = false;
        scheduled = false;
      }
      uncount_queued_locked(payload_done);
      payload_done = 0;
      if (queue_.empty()) break;
      batch_.swap(queue_);
    }
    size_t n_iov = 0;
    size_t skip = batch_offset_;
    for (size_t i = batch_next_; i < batch_.size() && n_iov + 2 <= std::size(iov); ++i) {
      const Outgoing& f = batch_[i];
      if (skip < f.header_len)
        iov[n_iov++] = {const_cast<uint8_t*>(f.header + skip), f.header_len - skip};
      size_t into_payload = skip > f.header_len ? skip - f.header_len : 0;
      if (f.payload->size() > into_payload)
        iov[n_iov++] = {const_cast<char*>(f.payload->data() + into_payload),
                        f.payload->size() - into_payload};
      skip = 0;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n_iov;
    // MSG_NOSIGNAL: a peer that went away is an error here, not a SIGPIPE.
    // MSG_DONTWAIT: the socket itself is never switched to non-blocking mode.
    ssize_t sent = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) error = errno;
      break;
    }
    size_t n = static_cast<size_t>(sent);
    bytes_done += n;
    // Whole frames written leave the batch (and drop their payloads now).
    while (n > 0 && batch_next_ < batch_.size()) {
      Outgoing& f = batch_[batch_next_];
      size_t left = f.size() - batch_offset_;
      if (n < left) {
        batch_offset_ += n;
        break;
      }
      n -= left;
      if (f.opcode() == ws::ping) ping_in_flight_ = false;
      payload_done += f.payload->size();
      f.payload.reset();
      ++frames_done;
      ++batch_next_;
      batch_offset_ = 0;
    }
  }
  if (payload_done || scheduled) {
    std::lock_guard lk(mu_);
    if (scheduled) flush_scheduled_ = false;
    uncount_queued_locked(payload_done);
  }
  if (frames_done) {
    shared_.metrics.frames_out.fetch_add(frames_done, std::memory_order_relaxed);
    shared_.metrics.bytes_out.fetch_add(bytes_done, std::memory_order_relaxed);
  }
  if (error) {
    boost::system::error_code ec(error, boost::system::system_category());
    if (!expected_end(ec)) spdlog::debug("session {}: write: {}", id_, ec.message());
    // The socket is broken: make sure the read side notices and ends.
    teardown();
    return;
  }
  if (batch_next_ < batch_.size()) {
    // The kernel's buffer is full: come back when it has room.
    write_waiting_ = true;
    socket_.async_wait(asio::ip::tcp::socket::wait_write,
                       [self = shared_from_this()](boost::system::error_code e) {
                         self->write_waiting_ = false;
                         if (e) {
                           self->teardown();
                           return;
                         }
                         self->write_some();
                       });
    return;
  }
  on_all_written();
}

// Everything queued is out. After our close frame that means: if the peer
// has answered, the close handshake is complete and the TCP connection can
// go (the server closes it first, RFC 6455 §7.1.1).
void Session::on_all_written() {
  if (phase() == Phase::closed) teardown();
  // An idle socket keeps no queue memory.
  if (batch_.capacity() > 16) std::vector<Outgoing>().swap(batch_);
}

}  // namespace parley
