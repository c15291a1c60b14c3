// Holds back operations on a conversation until its pub/sub subscription is
// in force. watch() only asks Redis to SUBSCRIBE; until Redis confirms, an
// event committed through the command connection would be published to
// nobody here. So an operation on a conversation with a subscription still
// in flight waits for the confirmation first (bounded by a time limit, and
// released at once if the pub/sub link goes down: then on_gap covers it).
//
// That makes "watch(), then read the log" gap-free, which is what the hub's
// subscribe does, and "watch(), then commit" delivered to this node's sink.
#pragma once

#include <atomic>
#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::redis {

namespace asio = boost::asio;

class SubscribeGate {
 public:
  SubscribeGate(asio::any_io_executor timers, std::chrono::milliseconds limit);
  ~SubscribeGate();

  // A subscription to `channel` was requested: hold operations on it.
  void close(const std::string& channel);
  // Redis confirmed it (or gave up on it): let them through.
  void open(const std::string& channel);
  void open_all();
  // Fast check without a lock; false when no channel is held at all.
  bool any_closed() const { return closed_.load(std::memory_order_acquire) > 0; }
  // Completes once `channel` is open (at once when it is).
  asio::awaitable<void> wait(std::string channel);

 private:
  using Handler = asio::any_completion_handler<void()>;
  // A waiting operation; `work` keeps its caller's io_context from running
  // out of work meanwhile.
  struct Waiter {
    explicit Waiter(Handler&& h);
    Handler handler;
    asio::any_completion_executor work;
  };
  struct Latch {
    std::vector<Waiter> waiters;
    std::shared_ptr<asio::steady_timer> timer;
  };
  void start_wait(const std::string& channel, Waiter w);
  void release(std::vector<Waiter>& waiters);

  asio::any_io_executor timers_;
  const std::chrono::milliseconds limit_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Latch>> latches_;
  std::atomic<size_t> closed_{0};
};

}  // namespace parley::redis
