// --rate, for the fanout-like scenarios (Parley's and the peers'): the
// publishers share `rate` messages/s evenly. One timer per tool thread
// fires at the start and then every millisecond, and each publisher of
// that thread sends what is due by then (open loop: a slow server builds a
// backlog, which shows as latency, rather than slowing the senders down).
// A publisher kMaxBacklog requests behind stops adding to its backlog: the
// sends it skips are counted as `behind`, not owed (the server is past
// saturation).
#pragma once

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "pool.hpp"
#include "ws_client.hpp"

namespace bench {

class RateTicker {
 public:
  static constexpr size_t kMaxBacklog = 20000;

  // Ticks from `start_ns` until `end_ns` or until `stopping` is set.
  RateTicker(Pool& pool, double rate, size_t publishers, int64_t start_ns, int64_t end_ns,
             const std::atomic<bool>& stopping);

  // Starts `thread`'s timer; called on that thread. At each tick every
  // publisher p of `pubs` on this thread (p.thread) whose socket is open
  // gets publish(p) for each send due, p.scheduled counting them; `behind`
  // counts the skipped ones. A publisher needs .ws, .thread, .scheduled and
  // .inflight (its requests not yet answered).
  template <class Pubs, class Publish>
  void start(size_t thread, Pubs& pubs, uint64_t& behind, Publish publish) {
    run(thread, [this, thread, &pubs, &behind, publish](int64_t now) {
      double elapsed = static_cast<double>(now - start_ns_) / 1e9;
      for (size_t i = 0; i < pubs.size(); ++i) {
        auto& p = pubs[i];
        if (p.thread != thread || !p.ws->is_open()) continue;
        uint64_t due = due_by(i, elapsed);
        while (p.scheduled < due && !stopping()) {
          if (p.inflight.size() >= kMaxBacklog) {
            behind += due - p.scheduled;
            p.scheduled = due;  // skipped, not owed
            break;
          }
          ++p.scheduled;
          publish(p);
        }
      }
    });
  }

 private:
  // Arms `thread`'s timer for the start; each tick calls send(now).
  void run(size_t thread, std::function<void(int64_t now)> send);
  void wait(size_t thread);  // for the timer, then tick()
  void tick(size_t thread);
  // How many sends publisher i has due `elapsed` seconds after the start.
  uint64_t due_by(size_t i, double elapsed) const;
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }

  double rate_per_pub_;
  size_t publishers_;
  int64_t start_ns_, end_ns_;
  const std::atomic<bool>& stopping_;
  std::vector<std::unique_ptr<asio::steady_timer>> timers_;  // one per thread
  std::vector<std::function<void(int64_t)>> sends_;          // one per thread
};

}  // namespace bench
