// The per-socket request rate limit (PROTOCOL.md §6): a token bucket that
// refills at `rate_per_sec` up to `burst` tokens, plus a count of refusals in
// a row so the session can tell a client that backs off from one that keeps
// hammering (close 4029).
//
// Pure: the caller passes the time, so tests need no clock and no sleeping.
// Not thread-safe; a session uses it under its lock.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace parley {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  struct Verdict {
    bool admitted = true;
    int64_t retry_after_ms = 0;  // when refused: time until one token is back (>= 1)
    uint32_t strikes = 0;        // refusals in a row, this one included (0 when admitted)
  };

  // The bucket starts full so a client may open with a burst (subscribe to
  // many conversations at once, say). `rate_per_sec` and `burst` must be > 0
  // (the configuration guarantees it).
  RateLimiter(double rate_per_sec, double burst, Clock::time_point now)
      : rate_per_ms_(rate_per_sec / 1000.0), burst_(burst), tokens_(burst), last_(now) {}

  // Takes `cost` tokens (one request; more for an expensive one) if there
  // are that many. A cost over the bucket's size counts as the whole bucket.
  Verdict admit(Clock::time_point now, double cost = 1.0) {
    refill(now);
    cost = std::min(cost, burst_);
    if (tokens_ >= cost) {
      tokens_ -= cost;
      strikes_ = 0;
      return {};
    }
    ++strikes_;
    // Round up: a client that waits exactly this long is admitted.
    double wait_ms = std::ceil((cost - tokens_) / rate_per_ms_);
    return {false, std::max<int64_t>(1, static_cast<int64_t>(wait_ms)), strikes_};
  }

  double tokens(Clock::time_point now) {
    refill(now);
    return tokens_;
  }

 private:
  void refill(Clock::time_point now) {
    // A clock that does not move forward (or a caller passing an older time)
    // adds nothing rather than taking tokens away.
    if (now <= last_) return;
    double elapsed_ms = std::chrono::duration<double, std::milli>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed_ms * rate_per_ms_);
    last_ = now;
  }

  double rate_per_ms_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
  uint32_t strikes_ = 0;
};

}  // namespace parley
