// Process-wide counters, rendered as Prometheus text at GET /metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "hooks/hook_metrics.hpp"
#include "observe/request_metrics.hpp"

namespace parley {

struct Metrics {
  std::atomic<uint64_t> connections_open{0};
  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> frames_in{0};
  std::atomic<uint64_t> frames_out{0};
  std::atomic<uint64_t> bytes_out{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> request_errors{0};
  std::atomic<uint64_t> events_committed{0};
  std::atomic<uint64_t> events_delivered{0};
  std::atomic<uint64_t> slow_consumer_closes{0};
  std::atomic<uint64_t> rate_limited{0};
  std::atomic<uint64_t> subscriptions{0};
  // Bytes of frames queued on sockets and not yet written, all sockets
  // (net/session_write.cpp adds on queueing, subtracts on writing or
  // dropping).
  std::atomic<int64_t> outbound_queued_bytes{0};
  hooks::HookMetrics hooks;  // webhooks and the moderation hook
  observe::RequestMetrics request_latency;  // per method (api/dispatcher.cpp, finish_call)

  std::string render_prometheus() const;
};

}  // namespace parley
