// parley-bench's command line: one struct with every setting and its
// default, filled by parse_options().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bench {

struct Options {
  std::string scenario;  // fanout | latency | persist | connect

  // The broker: an address, or a binary to start (--spawn).
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string spawn;                     // path of the broker binary
  std::vector<std::string> broker_args;  // extra flags for the spawned broker
  unsigned broker_threads = 0;           // its --threads (0: its default)
  int broker_pid = 0;                    // for the memory figure (connect)
  // The broker's protocol: parley, or a peer of bench/compare.sh (nchan,
  // socketio) for fanout and latency.
  std::string peer = "parley";
  std::vector<int> redis_pids;  // redis-servers whose CPU to report, summed (the Redis rows)
  // fanout / latency: the subscribers' broker when not the publishers' (a
  // second node on the same Redis: the cross-node fan-out). Port 0: the same.
  std::string subscriber_host;  // default: --host
  uint16_t subscriber_port = 0;

  unsigned threads = 1;        // the tool's own I/O threads
  double duration = 10;        // seconds measured
  double warmup = 1;           // seconds of load before measuring
  double drain_timeout = 10;   // seconds to wait for the last acks and deliveries
  double setup_timeout = 120;  // seconds for connecting and subscribing
  uint64_t max_messages = 0;   // stop publishing after this many (0: time only)
  std::string tenant;          // default: bench-<pid>-<run>

  // fanout / latency / persist
  size_t conversations = 10;
  size_t subscribers = 100;  // per conversation
  size_t publishers = 10;
  double rate = 0;            // messages/s over all publishers; 0 = as fast as acks come
  size_t window = 16;         // requests in flight per publisher when flat out
  size_t message_bytes = 100; // text length

  // connect
  size_t connections = 10000;
  size_t concurrency = 256;  // handshakes in flight
  size_t source_addrs = 0;   // 127.0.0.1, .2, ...; 0 = one per 20,000 connections
  double hold = 3;           // seconds idle before reading the broker's memory

  // output
  bool json = false;
  std::string svg;    // chart file (most useful with --sweep)
  std::string sweep;  // KEY=V1,V2,... : one run per value
};

// Parses argv. Returns the usage text (and sets `exit_code`) when the tool
// should print it and stop; otherwise nullopt.
std::optional<std::string> parse_options(int argc, char** argv, Options& out, int& exit_code);

// Applies KEY=VALUE (a sweep step) to `o`; false for an unknown key.
bool set_sweep_value(Options& o, const std::string& key, double value);

}  // namespace bench
