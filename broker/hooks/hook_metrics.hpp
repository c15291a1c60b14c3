// What /metrics shows of the hooks: the moderation hook's latency histogram
// and outcomes, the webhook deliveries, their lag and the dead letters.
// A member of Metrics (metrics.hpp); rendered by render().
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace parley::hooks {

struct HookMetrics {
  // Upper bounds of the moderation latency buckets, in milliseconds.
  static constexpr std::array<uint64_t, 10> kBucketsMs = {5,   10,  25,   50,   100,
                                                           250, 500, 1000, 2500, 5000};
  std::array<std::atomic<uint64_t>, kBucketsMs.size()> send_hook_buckets{};
  std::atomic<uint64_t> send_hook_count{0};
  std::atomic<uint64_t> send_hook_sum_us{0};
  std::atomic<uint64_t> send_hook_inflight{0};
  // Outcomes: allow, reject, rewrite, error (failure or time-out), overload.
  std::atomic<uint64_t> send_hook_allow{0};
  std::atomic<uint64_t> send_hook_reject{0};
  std::atomic<uint64_t> send_hook_rewrite{0};
  std::atomic<uint64_t> send_hook_error{0};
  std::atomic<uint64_t> send_hook_overload{0};

  std::atomic<uint64_t> webhook_delivered{0};     // answered 2xx
  std::atomic<uint64_t> webhook_failures{0};      // attempts that failed
  std::atomic<uint64_t> webhook_dead_lettered{0}; // deliveries that gave up
  std::atomic<uint64_t> webhook_pending{0};       // outbox entries this node holds
  std::atomic<int64_t> webhook_lag_ms{0};         // commit to 2xx, last delivery

  void observe_send_hook(uint64_t micros);
  void render(std::string& out) const;
};

}  // namespace parley::hooks
