#include "result.hpp"

namespace bench {

void RunResult::latency(const std::string& key, const std::string& label, const Histogram& h) {
  constexpr double ms = 1e6;
  metric(key + "_count", label + " samples", static_cast<double>(h.count()), "");
  metric(key + "_p50_ms", label + " p50", h.quantile(0.50) / ms, "ms", 3);
  metric(key + "_p90_ms", label + " p90", h.quantile(0.90) / ms, "ms", 3);
  metric(key + "_p99_ms", label + " p99", h.quantile(0.99) / ms, "ms", 3);
  metric(key + "_p999_ms", label + " p99.9", h.quantile(0.999) / ms, "ms", 3);
  metric(key + "_max_ms", label + " max", h.max() / ms, "ms", 3);
}

double RunResult::get(const std::string& key) const {
  for (const auto& m : metrics)
    if (m.key == key) return m.value;
  return 0;
}

}  // namespace bench
