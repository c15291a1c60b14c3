// Write batching for one io thread (the "cork" of uWebSockets): a session
// that has frames to write asks its thread's Flusher, which runs once for
// all the sessions that asked since its last run. So a request that fans
// out to a hundred sockets costs one post to each thread involved rather
// than one per socket, and every frame queued for a socket meanwhile (the
// answers of a pipelined batch of requests, many events) leaves in the same
// gather-write.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <mutex>
#include <vector>

namespace parley {

class Session;

class Flusher {
 public:
  explicit Flusher(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // Session::flush() will run on this Flusher's thread. Thread-safe. The
  // session asks once until its flush runs.
  void schedule(std::shared_ptr<Session> session);

 private:
  void run();

  const boost::asio::any_io_executor executor_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Session>> pending_;
  bool posted_ = false;
  std::vector<std::shared_ptr<Session>> running_;  // executor only
};

}  // namespace parley
