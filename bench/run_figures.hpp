// What the fanout-like scenarios (Parley's fanout, latency and persist, and
// the peers') share at their end: the CPU and run-queue time of the tool,
// the server and redis-server over the window; closing every socket; and
// the one table of figures they all report.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <thread>
#include <vector>

#include "pool.hpp"
#include "result.hpp"
#include "thread_stats.hpp"

namespace bench {

struct Costs {
  double tool_cpu = 0, server_cpu = 0;    // seconds of CPU
  double tool_wait = 0, server_wait = 0;  // seconds runnable but waiting for a CPU
  double redis_cpu = 0;
};

// Started at the window's start; elapsed() at its end. `server_tree` counts
// the server's child processes too (nginx's workers).
class CostMeter {
 public:
  CostMeter(pid_t server, std::vector<int> redis, bool server_tree);  // redis: CPU summed
  Costs elapsed() const;

 private:
  Costs read() const;
  pid_t server_;
  std::vector<int> redis_;
  bool tree_;
  Costs start_;
};

// Closes every publisher's and subscriber's socket on its own thread, lets
// the closes go out, stops the threads, then drops the sockets' callbacks
// (they hold the run's state).
template <class Pubs, class Subs>
void close_all(Pool& pool, Pubs& pubs, Subs& subs) {
  pool.on_each([&](size_t thread) {
    for (auto& p : pubs)
      if (p.thread == thread && p.ws) p.ws->close();
    for (auto& s : subs)
      if (s.thread == thread && s.ws) s.ws->close();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  pool.stop();
  auto let_go = [](auto& ws) {
    if (!ws) return;
    ws->on_response = nullptr;
    ws->on_push = nullptr;
    ws->on_end = nullptr;
  };
  for (auto& p : pubs) let_go(p.ws);
  for (auto& s : subs) let_go(s.ws);
}

struct FigureOptions {
  double window_s = 0;
  bool has_server = false;  // a pid to measure
  bool has_redis = false;
  bool persist = false;           // acks only: no deliveries, CPU per ack
  const char* server = "broker";  // how the labels name the server
};

// sent, acks/s, deliveries and their latency, ack latency, CPU and waiting
// shares, CPU per message, the tail's drain time and skipped sends, in that
// order.
void report_figures(RunResult& r, const ThreadStats& total, const Costs& c,
                    const FigureOptions& f, double drain_ms);

}  // namespace bench
