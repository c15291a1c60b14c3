// The scenarios. Each run opens its own sockets on its own threads, in a
// tenant of its own, and closes everything before it returns.
#pragma once

#include <sys/types.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "options.hpp"
#include "result.hpp"

namespace bench {

struct Target {
  boost::asio::ip::tcp::endpoint broker;
  boost::asio::ip::tcp::endpoint subscribers;  // fanout, latency: their broker (default: broker)
  pid_t broker_pid = 0;  // 0: unknown (no memory figure)
};

// fanout, latency and persist: publishers, conversations, subscribers.
RunResult run_fanout(const Options& o, const Target& t, const std::string& tenant);
// fanout and latency against a peer broker (bench/compare.sh; peer.hpp).
class Peer;
RunResult run_fanout_peer(const Options& o, const Target& t, Peer& peer,
                          const std::string& tenant);
// connect: handshake rate, then idle sockets and the broker's memory.
RunResult run_connect(const Options& o, const Target& t, const std::string& tenant);
// connect against a peer broker: subscriber sockets (one upgrade each,
// which also subscribes), then idle; the same figures.
RunResult run_connect_peer(const Options& o, const Target& t, Peer& peer,
                           const std::string& tenant);

// Source addresses for `connections` sockets: 127.0.0.1, .2, ... (the
// kernel has ~28k ephemeral ports per source address and destination).
std::vector<boost::asio::ip::address> source_addresses(const Options& o, size_t connections);

// Counts a failure and notes what it was, from any of the pool's threads.
class Failures {
 public:
  explicit Failures(RunResult& r) : r_(r) {}
  void operator()(std::string what);

 private:
  RunResult& r_;
  std::mutex mu_;
};

// Wall-clock time and the CPU the tool and the server (`tree`: with its
// child processes) used since it was made.
struct CpuWatch {
  CpuWatch(const Target& t, bool tree);
  double seconds() const;
  double tool_cpu() const;
  double server_cpu() const;

 private:
  const Target& target;
  const bool tree;
  const std::chrono::steady_clock::time_point t0;
  const double tool0, server0;
};

// The end of both connect scenarios. `opened`: how many of `conns`
// opened; counts those still open (a failure for each that ended while
// idle), then closes them all.
class Pool;
class WsClient;
size_t close_idle(Pool& pool, std::vector<std::shared_ptr<WsClient>>& conns, size_t opened,
                  RunResult& r);
// Their figures: connections/s, handshake latency, CPU per connection and
// (with a server pid) its memory per idle socket. `peer`: a peer's
// subscriber sockets (connect --peer), else Parley's authenticated ones.
class Histogram;
void connect_figures(RunResult& r, const Histogram& handshakes, double connect_s,
                     double tool_cpu, double server_cpu, const Target& t, uint64_t rss_before,
                     uint64_t rss_after, bool peer);

// A dev-mode authenticate's params.
std::string dev_identity(const std::string& user, const std::string& role,
                         const std::string& tenant);

}  // namespace bench
