// A latency histogram for /metrics: fixed buckets, relaxed atomics, no
// lock and no allocation when observing, rendered in the Prometheus text
// format (cumulative `_bucket{le=...}` lines ending with +Inf, then `_sum`
// and `_count`). Header-only, so the broker (request latency) and the
// storage engines (Redis command latency) share one type without storage
// depending on the broker.
#pragma once

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley {

class LatencyHistogram {
 public:
  // Upper bounds of the buckets: 0.5 ms to 5 s (docs/operations.md).
  static constexpr size_t kBounds = 13;
  static constexpr std::array<uint64_t, kBounds> kBoundsNs = {
      500'000,       1'000'000,     2'500'000,     5'000'000,     10'000'000,
      25'000'000,    50'000'000,    100'000'000,   250'000'000,   500'000'000,
      1'000'000'000, 2'500'000'000, 5'000'000'000};
  // The same bounds as Prometheus `le` labels, in seconds.
  static constexpr std::array<std::string_view, kBounds> kLabels = {
      "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
      "0.1",    "0.25",  "0.5",    "1",     "2.5",  "5"};

  void observe_ns(uint64_t ns) noexcept {
    size_t i = 0;
    while (i < kBounds && ns > kBoundsNs[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);  // [kBounds]: over the last bound
    sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  }
  void observe(std::chrono::steady_clock::duration d) noexcept {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
    observe_ns(ns > 0 ? static_cast<uint64_t>(ns) : 0);
  }

  // The observations so far (the sum of the buckets).
  uint64_t count() const noexcept {
    uint64_t n = 0;
    for (const auto& b : buckets_) n += b.load(std::memory_order_relaxed);
    return n;
  }
  // The observations at or below bound i (cumulative, as rendered).
  uint64_t cumulative(size_t i) const noexcept {
    uint64_t n = 0;
    for (size_t j = 0; j <= i && j <= kBounds; ++j) n += buckets_[j].load(std::memory_order_relaxed);
    return n;
  }
  double sum_seconds() const noexcept {
    return static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  }

  // The `# HELP` and `# TYPE` lines of a histogram family `name`.
  static void render_header(std::string& out, std::string_view name, std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" histogram\n");
  }

  // The series of this histogram in family `name`, with `labels` (`a="b"`
  // pairs joined by commas, or empty) before `le`.
  void render(std::string& out, std::string_view name, std::string_view labels) const {
    uint64_t cumulative = 0;
    auto line = [&](std::string_view suffix, std::string_view le, const std::string& value) {
      out.append(name).append(suffix);
      if (!labels.empty() || !le.empty()) {
        out.push_back('{');
        out.append(labels);
        if (!le.empty()) {
          if (!labels.empty()) out.push_back(',');
          out.append("le=\"").append(le).append("\"");
        }
        out.push_back('}');
      }
      out.append(" ").append(value).append("\n");
    };
    for (size_t i = 0; i < kBounds; ++i) {
      cumulative += buckets_[i].load(std::memory_order_relaxed);
      line("_bucket", kLabels[i], std::to_string(cumulative));
    }
    cumulative += buckets_[kBounds].load(std::memory_order_relaxed);
    line("_bucket", "+Inf", std::to_string(cumulative));
    char sum[32];
    auto r = std::to_chars(sum, sum + sizeof sum, sum_seconds());
    line("_sum", "", std::string(sum, r.ptr));
    line("_count", "", std::to_string(cumulative));
  }

 private:
  std::array<std::atomic<uint64_t>, kBounds + 1> buckets_{};
  std::atomic<uint64_t> sum_ns_{0};
};

}  // namespace parley
