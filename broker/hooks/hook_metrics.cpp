#include "hooks/hook_metrics.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

namespace parley::hooks {

namespace {

void put(std::string& out, std::string_view name, std::string_view type, std::string_view help,
         std::string_view labels, uint64_t value) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(labels).append(" ").append(std::to_string(value)).append("\n");
}

uint64_t get(const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); }

}  // namespace

void HookMetrics::observe_send_hook(uint64_t micros) {
  for (size_t i = 0; i < kBucketsMs.size(); ++i)
    if (micros <= kBucketsMs[i] * 1000) {
      send_hook_buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  send_hook_count.fetch_add(1, std::memory_order_relaxed);
  send_hook_sum_us.fetch_add(micros, std::memory_order_relaxed);
}

void HookMetrics::render(std::string& out) const {
  // The histogram: cumulative buckets in seconds.
  out.append("# HELP parley_send_hook_seconds Latency of the moderation hook's calls.\n");
  out.append("# TYPE parley_send_hook_seconds histogram\n");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBucketsMs.size(); ++i) {
    cumulative += get(send_hook_buckets[i]);
    out.append("parley_send_hook_seconds_bucket{le=\"")
        .append(std::to_string(kBucketsMs[i] / 1000.0).substr(0, 5))
        .append("\"} ")
        .append(std::to_string(cumulative))
        .append("\n");
  }
  const uint64_t count = get(send_hook_count);
  out.append("parley_send_hook_seconds_bucket{le=\"+Inf\"} ").append(std::to_string(count));
  out.append("\nparley_send_hook_seconds_sum ")
      .append(std::to_string(get(send_hook_sum_us) / 1e6))
      .append("\nparley_send_hook_seconds_count ")
      .append(std::to_string(count))
      .append("\n");
  out.append("# HELP parley_send_hook_outcomes_total Moderation calls by outcome.\n");
  out.append("# TYPE parley_send_hook_outcomes_total counter\n");
  const std::pair<const char*, const std::atomic<uint64_t>*> outcomes[] = {
      {"allow", &send_hook_allow},   {"reject", &send_hook_reject},
      {"rewrite", &send_hook_rewrite}, {"error", &send_hook_error},
      {"overload", &send_hook_overload}};
  for (const auto& [name, v] : outcomes)
    out.append("parley_send_hook_outcomes_total{outcome=\"")
        .append(name)
        .append("\"} ")
        .append(std::to_string(get(*v)))
        .append("\n");
  put(out, "parley_send_hook_inflight", "gauge", "Moderation calls in flight.", "",
      get(send_hook_inflight));
  put(out, "parley_webhook_delivered_total", "counter", "Webhook deliveries answered 2xx.", "",
      get(webhook_delivered));
  put(out, "parley_webhook_failures_total", "counter", "Webhook attempts that failed.", "",
      get(webhook_failures));
  put(out, "parley_webhook_dead_lettered_total", "counter",
      "Webhook deliveries that used up their retries (this node).", "",
      get(webhook_dead_lettered));
  put(out, "parley_webhook_pending", "gauge", "Outbox entries this node is delivering.", "",
      get(webhook_pending));
  put(out, "parley_webhook_lag_ms", "gauge",
      "From the commit to the receiver's 2xx, of the last delivery.", "",
      static_cast<uint64_t>(std::max<int64_t>(0, webhook_lag_ms.load())));
}

}  // namespace parley::hooks
