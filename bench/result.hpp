// What one run measured: named figures, the correctness counters, and
// whatever went wrong. A run with any broken promise is INVALID.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "histogram.hpp"

namespace bench {

struct Metric {
  std::string key;    // stable name for --json and the chart
  std::string label;  // for the table
  double value = 0;
  std::string unit;
  int precision = 0;
};

// The promises checked on every run.
struct Correctness {
  uint64_t gaps = 0;          // seqs skipped (a subscriber or a publisher's acks)
  uint64_t duplicates = 0;    // a seq seen twice
  uint64_t out_of_order = 0;  // a seq lower than one already seen
  uint64_t resets = 0;        // subscriptionReset pushes
  uint64_t failures = 0;      // error answers, sockets that ended, set-up steps that failed

  bool ok() const { return gaps + duplicates + out_of_order + resets + failures == 0; }
  void add(const Correctness& o) {
    gaps += o.gaps;
    duplicates += o.duplicates;
    out_of_order += o.out_of_order;
    resets += o.resets;
    failures += o.failures;
  }
};

struct RunResult {
  std::string scenario;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<Metric> metrics;
  Correctness check;
  std::vector<std::string> notes;  // what failed, at most a few lines

  bool valid() const { return check.ok(); }
  void metric(std::string key, std::string label, double value, std::string unit,
              int precision = 0) {
    metrics.push_back({std::move(key), std::move(label), value, std::move(unit), precision});
  }
  // Adds p50 .. max of `h` (nanoseconds) in milliseconds as KEY_p50_ms ...
  void latency(const std::string& key, const std::string& label, const Histogram& h);
  double get(const std::string& key) const;  // 0 when absent
  void note(std::string text) {
    if (notes.size() < 8) notes.push_back(std::move(text));
  }
};

}  // namespace bench
