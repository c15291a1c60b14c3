// The promise every fanout-like run checks (Parley's fanout, latency and
// persist, and the peers'): each stream of numbers, a conversation's seq
// or a peer publisher's counter, goes up by one as each subscriber reads
// it (and as a conversation's only publisher gets its answers); at the
// end every subscriber has reached the stream's last number. A gap, a
// duplicate or a number out of order makes the run INVALID (exit status 2).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "result.hpp"

namespace bench {

// One more number `next` of a stream after `last`: counts what broke the
// promise into `c`, and moves `last` on to the highest number seen.
inline void check_next(Correctness& c, uint64_t& last, uint64_t next) {
  if (next == last + 1) {
  } else if (next == last) {
    ++c.duplicates;
  } else if (next < last) {
    ++c.out_of_order;
  } else {
    c.gaps += next - last - 1;
  }
  last = std::max(last, next);
}

// How many numbers of a stream that ends at `final` a reader at `last`
// never saw.
inline uint64_t missed(uint64_t last, uint64_t final) { return last < final ? final - last : 0; }

// How the tail's losses are named in the notes.
struct TailWords {
  const char* messages;    // "events": "N events never reached their subscribers"
  const char* unanswered;  // "requests never answered": "N requests never answered"
};

// The tail's verdict: the `missing` numbers are gaps, the `unanswered`
// requests failures; each noted when there are any.
void report_tail(RunResult& r, uint64_t missing, uint64_t unanswered, const TailWords& words);

}  // namespace bench
