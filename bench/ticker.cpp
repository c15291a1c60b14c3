#include "ticker.hpp"

#include <chrono>

namespace bench {

RateTicker::RateTicker(Pool& pool, double rate, size_t publishers, int64_t start_ns, int64_t end_ns,
                       const std::atomic<bool>& stopping)
    : rate_per_pub_(rate / static_cast<double>(publishers)),
      publishers_(publishers),
      start_ns_(start_ns),
      end_ns_(end_ns),
      stopping_(stopping),
      sends_(pool.size()) {
  for (size_t t = 0; t < pool.size(); ++t)
    timers_.push_back(std::make_unique<asio::steady_timer>(pool.io(t)));
}

void RateTicker::run(size_t thread, std::function<void(int64_t now)> send) {
  sends_[thread] = std::move(send);
  auto& timer = *timers_[thread];
  timer.expires_at(Clock::time_point(Clock::duration(start_ns_)));
  wait(thread);
}

void RateTicker::wait(size_t thread) {
  timers_[thread]->async_wait([this, thread](boost::system::error_code ec) {
    if (!ec) tick(thread);
  });
}

void RateTicker::tick(size_t thread) {
  int64_t now = now_ns();
  if (now >= end_ns_ || stopping()) return;
  sends_[thread](now);
  auto& timer = *timers_[thread];
  timer.expires_at(timer.expiry() + std::chrono::milliseconds(1));
  wait(thread);
}

// Each publisher's schedule is shifted by its share of one interval, so
// that together they send evenly rather than in bursts of P.
uint64_t RateTicker::due_by(size_t i, double elapsed) const {
  double phase = static_cast<double>(i) / static_cast<double>(publishers_);
  return static_cast<uint64_t>(rate_per_pub_ * elapsed + phase) + 1;
}

}  // namespace bench
