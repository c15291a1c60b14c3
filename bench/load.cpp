#include "load.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

namespace bench {

void SetupFailures::add(std::string what) {
  std::lock_guard lk(mu_);
  ++check_.failures;
  if (notes_.size() < 4) notes_.push_back(std::move(what));
}

bool SetupFailures::report(RunResult& r) {
  std::lock_guard lk(mu_);
  r.check.add(check_);
  for (auto& n : notes_) r.note(n);
  if (check_.ok()) return true;
  r.note("set-up failed: nothing measured");
  return false;
}

std::vector<std::pair<std::string, std::string>> fanout_params(const Options& o, size_t C, size_t S,
                                                               size_t P) {
  char duration[32];
  std::snprintf(duration, sizeof duration, "%g", o.duration);
  return {{"conversations", std::to_string(C)},
          {"subscribers", std::to_string(S)},
          {"publishers", std::to_string(P)},
          {"rate", o.rate > 0 ? std::to_string(static_cast<uint64_t>(o.rate)) : "max"},
          {"window", o.rate > 0 ? "-" : std::to_string(o.window)},
          {"size", std::to_string(o.message_bytes)},
          {"duration", duration},
          {"threads", std::to_string(o.threads)}};
}

void wait_until(const std::function<bool()>& done, double seconds) {
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (!done() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

Load::Load(const Options& options, size_t threads) : o(options), stats(threads) {}

bool Load::take_send() {
  uint64_t b = budget.load(std::memory_order_relaxed);
  while (b > 0)
    if (budget.compare_exchange_weak(b, b - 1, std::memory_order_relaxed)) return true;
  stopping.store(true, std::memory_order_relaxed);
  return false;
}

std::function<void()> Load::on_socket_end(const char* who, size_t thread, const WsClient* ws) {
  return [load = shared_from_this(), who, thread, ws] {
    if (load->closing.load()) return;
    auto& ts = load->stats[thread];
    ++ts.check.failures;
    ts.note(std::string("a ") + who + "'s socket ended (close code " +
            std::to_string(ws->close_code()) + ")");
  };
}

void Load::start_clock(Pool& pool, size_t publishers) {
  budget.store(o.max_messages);
  start_ns = now_ns();
  window_start_ns = start_ns + static_cast<int64_t>(o.warmup * 1e9);
  window_end_ns = window_start_ns + static_cast<int64_t>(o.duration * 1e9);
  ticker_ =
      std::make_unique<RateTicker>(pool, o.rate, publishers, start_ns, window_end_ns, stopping);
}

// CPU used during the measured window, by the tool and by the server:
// tells which of the two was the limit.
void Load::measure(pid_t server, bool server_tree) {
  wait_until([&] { return now_ns() >= window_start_ns; }, o.warmup + 1);
  CostMeter meter(server, o.redis_pids, server_tree);
  wait_until([&] { return stopping.load() || now_ns() >= window_end_ns; }, o.duration + 1);
  costs_ = meter.elapsed();
  stopping.store(true);
}

void Load::report(RunResult& r, const ThreadStats& total, FigureOptions f) const {
  f.window_s = o.duration;
  f.has_redis = !o.redis_pids.empty();
  report_figures(r, total, costs_, f, static_cast<double>(finished_ns_ - window_end_ns) / 1e6);
}

}  // namespace bench
