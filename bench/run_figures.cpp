#include "run_figures.hpp"

#include <unistd.h>

#include <string>

#include "broker_process.hpp"

namespace bench {

CostMeter::CostMeter(pid_t server, std::vector<int> redis, bool server_tree)
    : server_(server), redis_(std::move(redis)), tree_(server_tree), start_(read()) {}

Costs CostMeter::read() const {
  Costs c;
  c.tool_cpu = cpu_seconds(::getpid());
  c.tool_wait = run_delay_seconds(::getpid());
  if (server_) {
    c.server_cpu = tree_ ? tree_cpu_seconds(server_) : cpu_seconds(server_);
    c.server_wait = tree_ ? tree_run_delay_seconds(server_) : run_delay_seconds(server_);
  }
  for (int pid : redis_) c.redis_cpu += cpu_seconds(pid);
  return c;
}

Costs CostMeter::elapsed() const {
  Costs now = read();
  now.tool_cpu -= start_.tool_cpu;
  now.server_cpu -= start_.server_cpu;
  now.tool_wait -= start_.tool_wait;
  now.server_wait -= start_.server_wait;
  now.redis_cpu -= start_.redis_cpu;
  return now;
}

void report_figures(RunResult& r, const ThreadStats& total, const Costs& c,
                    const FigureOptions& f, double drain_ms) {
  const double w = f.window_s;
  const std::string server = f.server;
  r.metric("sent", "messages sent", static_cast<double>(total.sent), "");
  r.metric("acks_per_sec", "publish acks/s", static_cast<double>(total.acks_window) / w, "/s", 0);
  if (!f.persist) {
    r.metric("delivered", "events delivered", static_cast<double>(total.delivered), "");
    r.metric("delivered_per_sec", "delivered msgs/s",
             static_cast<double>(total.delivered_window) / w, "/s", 0);
    r.latency("e2e", "end-to-end latency", total.e2e);
  }
  r.latency("ack", "ack latency", total.ack);
  r.metric("tool_cpu_pct", "tool CPU (100 = one core)", 100 * c.tool_cpu / w, "%", 0);
  if (f.has_server)
    r.metric("broker_cpu_pct", server + " CPU (100 = one core)", 100 * c.server_cpu / w, "%", 0);
  if (f.has_redis) r.metric("redis_cpu_pct", "redis-server CPU", 100 * c.redis_cpu / w, "%", 0);
  // Time spent runnable but waiting for a CPU: other load on the machine.
  r.metric("tool_runq_wait_pct", "tool waiting for a CPU", 100 * c.tool_wait / w, "%", 0);
  if (f.has_server)
    r.metric("broker_runq_wait_pct", server + " waiting for a CPU", 100 * c.server_wait / w, "%",
             0);
  // CPU per message: a figure that other load on the machine disturbs far
  // less than the rates do.
  const double per = static_cast<double>(f.persist ? total.acks_window : total.delivered_window);
  if (per > 0) {
    const std::string what = f.persist ? "ack" : "delivery";
    r.metric("tool_ns_per_msg", "tool CPU per " + what, 1e9 * c.tool_cpu / per, "ns", 0);
    if (f.has_server)
      r.metric("broker_ns_per_msg", server + " CPU per " + what, 1e9 * c.server_cpu / per, "ns",
               0);
  }
  r.metric("drain_ms", "tail drained in", drain_ms, "ms", 0);
  if (total.behind) {
    r.metric("behind", "sends skipped (backlog full)", static_cast<double>(total.behind), "");
    r.note("the " + server + " fell behind the requested rate: this rate is past saturation");
  }
}

}  // namespace bench
