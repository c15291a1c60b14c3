// The per-socket token bucket (broker/net/rate_limiter.hpp): burst, refill,
// retry-after and the count of refusals in a row.
#include <doctest/doctest.h>

#include "net/rate_limiter.hpp"

using namespace parley;
using namespace std::chrono_literals;

namespace {
const RateLimiter::Clock::time_point t0{};
}

TEST_CASE("rate limiter: a full bucket admits the burst, then refuses") {
  RateLimiter rl(50, 100, t0);
  for (int i = 0; i < 100; ++i) REQUIRE(rl.admit(t0).admitted);
  auto v = rl.admit(t0);
  CHECK_FALSE(v.admitted);
  CHECK(v.strikes == 1);
  // One token comes back every 1000 / 50 = 20 ms.
  CHECK(v.retry_after_ms == 20);
}

TEST_CASE("rate limiter: tokens come back at the sustained rate") {
  RateLimiter rl(10, 2, t0);  // one token per 100 ms
  CHECK(rl.admit(t0).admitted);
  CHECK(rl.admit(t0).admitted);
  CHECK_FALSE(rl.admit(t0).admitted);
  CHECK_FALSE(rl.admit(t0 + 99ms).admitted);
  CHECK(rl.admit(t0 + 100ms).admitted);
  CHECK_FALSE(rl.admit(t0 + 100ms).admitted);
  // Waiting long refills only up to the burst.
  auto later = t0 + 10s;
  CHECK(rl.tokens(later) == doctest::Approx(2.0));
  CHECK(rl.admit(later).admitted);
  CHECK(rl.admit(later).admitted);
  CHECK_FALSE(rl.admit(later).admitted);
}

TEST_CASE("rate limiter: retry-after is the time until one whole token") {
  RateLimiter rl(4, 1, t0);  // one token per 250 ms
  CHECK(rl.admit(t0).admitted);
  auto v = rl.admit(t0 + 100ms);
  CHECK_FALSE(v.admitted);
  CHECK(v.retry_after_ms == 150);
  // Waiting exactly that long is enough.
  CHECK(rl.admit(t0 + 250ms).admitted);
}

TEST_CASE("rate limiter: retry-after is at least 1 ms and rounds up") {
  RateLimiter rl(3, 1, t0);  // 333.33 ms per token
  CHECK(rl.admit(t0).admitted);
  auto v = rl.admit(t0);
  CHECK_FALSE(v.admitted);
  CHECK(v.retry_after_ms == 334);
  RateLimiter fast(1e6, 1, t0);  // a token per microsecond
  CHECK(fast.admit(t0).admitted);
  CHECK(fast.admit(t0).retry_after_ms == 1);
}

TEST_CASE("rate limiter: strikes count refusals in a row and reset on admission") {
  RateLimiter rl(1, 1, t0);
  CHECK(rl.admit(t0).admitted);
  CHECK(rl.admit(t0).strikes == 1);
  CHECK(rl.admit(t0).strikes == 2);
  CHECK(rl.admit(t0).strikes == 3);
  auto ok = rl.admit(t0 + 1s);
  CHECK(ok.admitted);
  CHECK(ok.strikes == 0);
  CHECK(rl.admit(t0 + 1s).strikes == 1);
}

TEST_CASE("rate limiter: a clock going backwards takes nothing away") {
  RateLimiter rl(10, 5, t0 + 1s);
  CHECK(rl.admit(t0).admitted);  // older than the last time: no refill, no loss
  CHECK(rl.tokens(t0) == doctest::Approx(4.0));
  CHECK(rl.tokens(t0 + 1s) == doctest::Approx(4.0));
  CHECK(rl.tokens(t0 + 1100ms) == doctest::Approx(5.0));
}

TEST_CASE("rate limiter: fractional rates") {
  RateLimiter rl(0.5, 1, t0);  // one request per 2 s
  CHECK(rl.admit(t0).admitted);
  auto v = rl.admit(t0 + 500ms);
  CHECK_FALSE(v.admitted);
  CHECK(v.retry_after_ms == 1500);
  CHECK(rl.admit(t0 + 2s).admitted);
}

TEST_CASE("rate limiter: an expensive request takes several tokens; never more than the bucket") {
  RateLimiter rl(10, 25, t0);  // one token per 100 ms
  CHECK(rl.admit(t0, 10).admitted);
  CHECK(rl.admit(t0, 10).admitted);
  auto v = rl.admit(t0, 10);  // 5 left: 5 more tokens to wait for
  CHECK_FALSE(v.admitted);
  CHECK(v.retry_after_ms == 500);
  CHECK(rl.admit(t0, 1).admitted);  // cheap requests still pass
  // A cost over the bucket's size needs the whole bucket, not the impossible.
  CHECK(rl.admit(t0 + 10s, 1000).admitted);
  CHECK(rl.tokens(t0 + 10s) == doctest::Approx(0.0));
}
