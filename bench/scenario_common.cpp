#include <unistd.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "broker_process.hpp"
#include "histogram.hpp"
#include "json_writer.hpp"
#include "pool.hpp"
#include "scenario.hpp"
#include "ws_client.hpp"

namespace bench {

std::vector<boost::asio::ip::address> source_addresses(const Options& o, size_t connections) {
  size_t n = o.source_addrs ? o.source_addrs : 1 + connections / 20000;
  std::vector<boost::asio::ip::address> out;
  if (n == 1) {
    out.emplace_back();  // unspecified: the kernel's choice
    return out;
  }
  for (size_t i = 0; i < n; ++i)
    out.push_back(boost::asio::ip::make_address_v4(0x7F000001u + static_cast<uint32_t>(i)));
  return out;
}

std::string dev_identity(const std::string& user, const std::string& role,
                         const std::string& tenant) {
  parley::JsonWriter w;
  w.begin_object().field("userId", user).field("role", role).field("tenant", tenant).end_object();
  return w.take();
}

namespace {
double server_seconds(const Target& t, bool tree) {
  if (!t.broker_pid) return 0;
  return tree ? tree_cpu_seconds(t.broker_pid) : cpu_seconds(t.broker_pid);
}
}  // namespace

void Failures::operator()(std::string what) {
  std::lock_guard lk(mu_);
  ++r_.check.failures;
  r_.note(std::move(what));
}

CpuWatch::CpuWatch(const Target& t, bool tree_)
    : target(t),
      tree(tree_),
      t0(std::chrono::steady_clock::now()),
      tool0(cpu_seconds(::getpid())),
      server0(server_seconds(t, tree_)) {}
double CpuWatch::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
double CpuWatch::tool_cpu() const { return cpu_seconds(::getpid()) - tool0; }
double CpuWatch::server_cpu() const { return server_seconds(target, tree) - server0; }

size_t close_idle(Pool& pool, std::vector<std::shared_ptr<WsClient>>& conns, size_t opened,
                  RunResult& r) {
  const size_t N = conns.size();
  std::mutex mu;
  size_t alive = 0;
  pool.on_each([&](size_t thread) {
    size_t n = 0;
    for (size_t i = thread; i < N; i += pool.size())
      if (conns[i] && conns[i]->is_open()) ++n;
    std::lock_guard lk(mu);
    alive += n;
  });
  if (alive < opened) {
    ++r.check.failures;
    r.note(std::to_string(opened - alive) + " sockets ended while idle");
  }
  pool.on_each([&](size_t thread) {
    for (size_t i = thread; i < N; i += pool.size())
      if (conns[i]) conns[i]->close();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  pool.stop();
  return alive;
}

void connect_figures(RunResult& r, const Histogram& hs, double connect_s, double tool_cpu,
                     double server_cpu, const Target& t, uint64_t rss_before, uint64_t rss_after,
                     bool peer) {
  const std::string server = peer ? "server" : "broker";
  r.metric("connections", peer ? "sockets subscribed" : "sockets authenticated",
           static_cast<double>(hs.count()), "");
  r.metric("connect_per_sec", peer ? "connect+upgrade(+subscribe)/s" : "connect+upgrade+auth/s",
           connect_s > 0 ? static_cast<double>(hs.count()) / connect_s : 0, "/s");
  r.latency("handshake", "handshake", hs);
  if (hs.count()) {
    r.metric("tool_us_per_connect", "tool CPU per connect", 1e6 * tool_cpu / hs.count(), "us", 1);
    if (t.broker_pid)
      r.metric("broker_us_per_connect", server + " CPU per connect",
               1e6 * server_cpu / hs.count(), "us", 1);
  }
  if (!t.broker_pid) {
    r.note("no --broker-pid (or --spawn): no memory figure");
    return;
  }
  r.metric("rss_before", server + " RSS before", static_cast<double>(rss_before) / 1024, "KiB");
  r.metric("rss_after", server + " RSS with the sockets", static_cast<double>(rss_after) / 1024,
           "KiB");
  double per = hs.count() ? (static_cast<double>(rss_after) - static_cast<double>(rss_before)) /
                                static_cast<double>(hs.count())
                          : 0;
  r.metric("bytes_per_connection", server + " bytes per idle socket", per, "B");
}

}  // namespace bench
