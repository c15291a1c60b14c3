// parley-bench: drives a Parley broker over real WebSockets on loopback and
// reports what it sustained. See `parley-bench --help` and
// docs/performance.md.
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "broker_process.hpp"
#include "options.hpp"
#include "peer.hpp"
#include "report.hpp"
#include "scenario.hpp"

using namespace bench;

namespace {

// "rate=1000,2000" -> key and values.
bool parse_sweep(const std::string& spec, std::string& key, std::vector<double>& values) {
  auto eq = spec.find('=');
  if (eq == std::string::npos) return false;
  key = spec.substr(0, eq);
  std::stringstream in(spec.substr(eq + 1));
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      values.push_back(std::stod(item));
    } catch (...) {
      return false;
    }
  }
  return !values.empty();
}

// The broker the tool starts itself: dev mode, any free port, and no
// request-rate limit or creation quota in the way of the load.
std::vector<std::string> spawn_args(const Options& o) {
  std::vector<std::string> a = {"--dev",       "--listen",
                                "127.0.0.1:0", "--rate-per-sec",
                                "1000000",     "--rate-burst",
                                "1000000",     "--max-creations-per-min",
                                "0",           "--max-tenant-creations-per-min",
                                "0",           "--max-open-conversations-per-user",
                                "0",           "--log-level",
                                "warn"};
  if (o.broker_threads) {
    a.push_back("--threads");
    a.push_back(std::to_string(o.broker_threads));
  }
  a.insert(a.end(), o.broker_args.begin(), o.broker_args.end());
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  int code = 0;
  if (auto usage = parse_options(argc, argv, o, code)) {
    (code == 0 ? std::cout : std::cerr) << *usage;
    return code;
  }
  std::string key;
  std::vector<double> values;
  if (!o.sweep.empty()) {
    Options probe = o;
    if (!parse_sweep(o.sweep, key, values) || !set_sweep_value(probe, key, values.front())) {
      std::cerr << "bad --sweep \"" << o.sweep << "\" (KEY=V1,V2,...)\n";
      return 1;
    }
  }
  // Many sockets need many descriptors: take all the hard limit allows
  // (a spawned broker inherits it).
  uint64_t fds = raise_fd_limit();
  if (o.scenario == "connect" && o.connections + 64 > fds)
    std::cerr << "warning: --connections " << o.connections << " needs more descriptors than "
              << "RLIMIT_NOFILE allows here (" << fds << ")\n";

  std::unique_ptr<SpawnedBroker> spawned;
  Target target;
  try {
    if (!o.spawn.empty()) {
      spawned = std::make_unique<SpawnedBroker>(o.spawn, spawn_args(o));
      o.port = spawned->port();
      o.broker_pid = spawned->pid();
    }
    target.broker = {boost::asio::ip::make_address(o.host), o.port};
    target.subscribers = {
        boost::asio::ip::make_address(o.subscriber_host.empty() ? o.host : o.subscriber_host),
        o.subscriber_port ? o.subscriber_port : o.port};
  } catch (const std::exception& e) {
    std::cerr << "parley-bench: " << e.what() << "\n";
    return 1;
  }
  target.broker_pid = o.broker_pid;

  // Another broker's protocol (bench/compare.sh).
  std::unique_ptr<Peer> peer = o.peer == "parley" ? nullptr : make_peer(o.peer);

  std::vector<RunResult> runs;
  size_t steps = values.empty() ? 1 : values.size();
  for (size_t i = 0; i < steps; ++i) {
    Options run = o;
    if (!values.empty()) set_sweep_value(run, key, values[i]);
    std::string tenant = o.tenant.empty() ? "bench-" + std::to_string(::getpid()) + "-" +
                                                std::to_string(i)
                                          : o.tenant + (steps > 1 ? "-" + std::to_string(i) : "");
    if (!o.json && steps > 1)
      std::cerr << "run " << i + 1 << "/" << steps << ": " << key << "=" << values[i] << "\n";
    RunResult r;
    if (peer && o.scenario == "connect")
      r = run_connect_peer(run, target, *peer, tenant);
    else if (peer)
      r = run_fanout_peer(run, target, *peer, tenant);
    else if (o.scenario == "connect")
      r = run_connect(run, target, tenant);
    else
      r = run_fanout(run, target, tenant);
    if (spawned) {
      r.params.emplace_back("broker_threads",
                            o.broker_threads ? std::to_string(o.broker_threads) : "default");
      if (!spawned->alive()) {
        ++r.check.failures;
        r.note("the broker died:\n" + spawned->output_tail());
      }
    }
    if (!o.json && steps == 1) std::cout << table(r);
    runs.push_back(std::move(r));
    if (spawned && !spawned->alive()) break;
    // Let the broker finish with the closed sockets before the next step.
    if (i + 1 < steps) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (o.json)
    std::cout << json(o.scenario, key, runs);
  else if (steps > 1)
    std::cout << sweep_table(key, runs);
  if (!o.svg.empty()) {
    std::ofstream out(o.svg);
    out << svg_chart(o.scenario, key.empty() ? "run" : key, runs);
    if (!out) std::cerr << "cannot write " << o.svg << "\n";
  }
  for (const auto& r : runs)
    if (!r.valid()) return 2;
  return 0;
}
