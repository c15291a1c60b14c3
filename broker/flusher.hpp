// Write batching for one io thread (the "cork" of uWebSockets): a session
// that has frames to write asks its thread's Flusher, which runs once for
// all the sessions that asked since its last run. So a request that fans
// out to a hundred sockets costs one post to each thread involved rather
// than one per socket, and every frame queued for a socket meanwhile (the
// answers of a pipelined batch of requests, many events) leaves in the same
// gather-write.
//
// Under fan-out load the runs are also spaced: after a run that wrote to
// many sockets, the next one waits until kBusyGap after it started. Events
// that reach a socket one at a time (with the Redis engine each event of a
// conversation waits for its own round trip, so a socket rarely has two
// frames queued when the Flusher comes by at once) then share a write:
// a sendmsg and its loopback delivery cost several microseconds each, far
// more than queueing a frame. A quiet thread (a run with few sockets) is
// never held, so an isolated message still leaves at once.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace parley {

class Session;

class Flusher {
 public:
  using Clock = std::chrono::steady_clock;
  // A run that wrote to at least this many sockets holds the next one…
  static constexpr size_t kBusySessions = 16;
  // …until this long after it started.
  static constexpr std::chrono::microseconds kBusyGap{500};

  explicit Flusher(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // Session::flush() will run on this Flusher's thread. Thread-safe. The
  // session asks once until its flush runs.
  void schedule(std::shared_ptr<Session> session);

 private:
  void run();
  void write();

  const boost::asio::any_io_executor executor_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Session>> pending_;
  bool posted_ = false;  // a run is posted or held: schedule() only adds
  // Executor only.
  std::vector<std::shared_ptr<Session>> running_;
  Clock::time_point hold_until_{};  // no run before this (kBusyGap)
};

}  // namespace parley
