// The load tool's threads: one io_context per thread, and the blocking
// helpers the scenarios use to run work on them from the main thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace bench {

namespace asio = boost::asio;

class Pool {
 public:
  explicit Pool(size_t threads);
  ~Pool();  // stop(), then the io_contexts (and every handler left in them) go
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  size_t size() const { return contexts_.size(); }
  asio::io_context& io(size_t i) { return *contexts_[i % contexts_.size()]; }

  // Stops every io_context and joins the threads; after it the caller may
  // read anything the threads wrote. Idempotent.
  void stop();
  // Stops the pool when it goes out of scope: declared after what the
  // pool's jobs use, it stops the threads before those go.
  struct StopOnExit {
    Pool& pool;
    ~StopOnExit() { pool.stop(); }
  };

  // Runs `fn(i)` on thread i for every thread and waits for all of them.
  void on_each(const std::function<void(size_t thread)>& fn);

  // Runs job(index, thread) for index in [0, n) on thread index % size(),
  // at most `concurrency` at once. Waits until all are done or `timeout` passes;
  // returns how many finished.
  using Job = std::function<asio::awaitable<void>(size_t index, size_t thread)>;
  size_t run_jobs(size_t n, size_t concurrency, Job job, std::chrono::milliseconds timeout);

 private:
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

}  // namespace bench
