// What one tool thread counts during a fanout, latency or persist run (the
// Parley scenario and the peers' alike), and their sum over the threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "histogram.hpp"
#include "result.hpp"

namespace bench {

struct alignas(64) ThreadStats {
  Histogram e2e;
  Histogram ack;
  uint64_t sent = 0;
  uint64_t acks = 0;
  uint64_t acks_window = 0;
  uint64_t delivered = 0;
  uint64_t delivered_window = 0;
  uint64_t behind = 0;
  Correctness check;
  std::vector<std::string> notes;
  void note(std::string s) {
    if (notes.size() < 4) notes.push_back(std::move(s));
  }
  // A failure, noted as `what` and the frame's first 200 bytes.
  void fail(const char* what, std::string_view frame) {
    ++check.failures;
    note(what + std::string(frame.substr(0, 200)));
  }
};

// The threads' figures added up; their correctness counters and notes go
// into `r`.
inline ThreadStats sum_threads(std::vector<ThreadStats>& threads, RunResult& r) {
  ThreadStats total;
  for (auto& s : threads) {
    total.e2e.merge(s.e2e);
    total.ack.merge(s.ack);
    total.sent += s.sent;
    total.acks += s.acks;
    total.acks_window += s.acks_window;
    total.delivered += s.delivered;
    total.delivered_window += s.delivered_window;
    total.behind += s.behind;
    r.check.add(s.check);
    for (auto& n : s.notes) r.note(n);
  }
  return total;
}

}  // namespace bench
