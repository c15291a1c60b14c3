// The scenarios. Each run opens its own sockets on its own threads, in a
// tenant of its own, and closes everything before it returns.
#pragma once

#include <sys/types.h>

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "options.hpp"
#include "result.hpp"

namespace bench {

struct Target {
  boost::asio::ip::tcp::endpoint broker;
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

// Source addresses for `connections` sockets: 127.0.0.1, .2, ... (the
// kernel has ~28k ephemeral ports per source address and destination).
std::vector<boost::asio::ip::address> source_addresses(const Options& o, size_t connections);

// A dev-mode authenticate's params.
std::string dev_identity(const std::string& user, const std::string& role,
                         const std::string& tenant);

}  // namespace bench
