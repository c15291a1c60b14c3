#include "pool.hpp"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <mutex>

namespace bench {

Pool::Pool(size_t threads) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this, i] { contexts_[i]->run(); });
}

Pool::~Pool() { stop(); }

void Pool::on_each(const std::function<void(size_t)>& fn) {
  std::mutex mu;
  std::condition_variable cv;
  size_t left = size();
  for (size_t i = 0; i < size(); ++i) {
    asio::post(io(i), [&, i] {
      fn(i);
      std::lock_guard lk(mu);
      if (--left == 0) cv.notify_all();
    });
  }
  std::unique_lock lk(mu);
  cv.wait(lk, [&] { return left == 0; });
}

size_t Pool::run_jobs(size_t n, size_t concurrency, Job job, std::chrono::milliseconds timeout) {
  // Shared with the workers, which may outlive this call after a time-out.
  struct State {
    Job job;
    size_t n = 0;
    size_t threads = 1;
    std::vector<size_t> next;  // per thread: its next index, i = thread + k * threads
    std::atomic<bool> cancelled{false};
    std::mutex mu;
    std::condition_variable cv;
    size_t finished = 0;
    size_t workers_left = 0;
  };
  auto st = std::make_shared<State>();
  st->job = std::move(job);
  st->n = n;
  st->threads = size();
  st->next.resize(size());
  for (size_t t = 0; t < size(); ++t) st->next[t] = t;
  // Index i always runs on thread i % size(): the socket a job opens lives
  // there, and later jobs with the same index find it on their own thread.
  size_t per_thread = std::max<size_t>(1, (concurrency + size() - 1) / size());
  std::vector<size_t> workers(size(), 0);
  for (size_t t = 0; t < size(); ++t) {
    size_t jobs_here = n > t ? (n - t + size() - 1) / size() : 0;
    workers[t] = std::min(per_thread, jobs_here);
    st->workers_left += workers[t];
  }
  if (st->workers_left == 0) return 0;
  for (size_t t = 0; t < size(); ++t) {
    for (size_t w = 0; w < workers[t]; ++w) {
      asio::co_spawn(
          io(t),
          [st, t]() -> asio::awaitable<void> {
            for (;;) {
              size_t i = st->next[t];
              if (i >= st->n || st->cancelled.load()) break;
              st->next[t] += st->threads;
              co_await st->job(i, t);
              std::lock_guard lk(st->mu);
              ++st->finished;
            }
            std::lock_guard lk(st->mu);
            if (--st->workers_left == 0) st->cv.notify_all();
          },
          asio::detached);
    }
  }
  std::unique_lock lk(st->mu);
  st->cv.wait_for(lk, timeout, [&] { return st->workers_left == 0; });
  // Whatever has not started yet will not start.
  st->cancelled.store(true);
  return st->finished;
}

void Pool::stop() {
  if (stopped_) return;
  stopped_ = true;
  guards_.clear();
  for (auto& c : contexts_) c->stop();
  for (auto& t : threads_) t.join();
}

}  // namespace bench
