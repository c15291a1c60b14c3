#include "options.hpp"

#include <boost/program_options.hpp>
#include <iostream>
#include <sstream>

namespace bench {

namespace po = boost::program_options;

namespace {

const char* const kUsage = R"(parley-bench: load generator for the Parley broker (WebSocket, JSON-RPC).

usage: parley-bench SCENARIO [options]

scenarios:
  fanout    C conversations x S subscribers each, P publishers flat out (or at
            --rate); delivered messages/s, publish acks/s, end-to-end latency
  latency   the same at a fixed --rate (default 1000/s): end-to-end latency
  persist   sendMessage acks/s and their latency: --connections publishers,
            one conversation each, no subscribers (for the Redis engine)
  connect   upgrade + authenticate rate; then N idle authenticated sockets
            with one subscription each, and the broker's memory per socket

Every run checks, per subscriber, that seq goes up by one: a gap, a
duplicate or an out-of-order event makes the run INVALID (exit status 2).
The broker must run with --dev, a request rate limit above the load and no
creation quota:
  parley --dev --rate-per-sec 1000000 --rate-burst 1000000 \
         --max-creations-per-min 0 --max-tenant-creations-per-min 0 \
         --max-open-conversations-per-user 0
or let the tool start it with --spawn build/parley.
)";

}  // namespace

std::optional<std::string> parse_options(int argc, char** argv, Options& o, int& exit_code) {
  po::options_description d("options", 100);
  // clang-format off
  d.add_options()
    ("help,h", "this text")
    ("host", po::value(&o.host), "broker address (default 127.0.0.1)")
    ("port", po::value(&o.port), "broker port (default 8080)")
    ("spawn", po::value(&o.spawn), "start this broker binary (--dev, port 0, no rate limit)")
    ("broker-arg", po::value(&o.broker_args), "extra flag for the spawned broker (repeatable)")
    ("broker-threads", po::value(&o.broker_threads), "the spawned broker's --threads")
    ("broker-pid", po::value(&o.broker_pid), "pid of the broker, for its memory (connect)")
    ("peer", po::value(&o.peer), "the server's protocol: parley (default), or nchan or "
                                 "socketio (fanout, latency, connect; see bench/compare.sh)")
    ("redis-pid", po::value(&o.redis_pids), "pid of a redis-server whose CPU to report "
                                            "(repeatable: a cluster's nodes, summed)")
    ("subscriber-host", po::value(&o.subscriber_host), "fanout, latency: the subscribers' "
                                                       "broker address (default --host)")
    ("subscriber-port", po::value(&o.subscriber_port), "fanout, latency: the subscribers' broker "
                                                       "port, a second node (default --port)")
    ("threads", po::value(&o.threads), "the tool's I/O threads (default 1; connect: 2)")
    ("duration", po::value(&o.duration), "seconds measured (default 10)")
    ("warmup", po::value(&o.warmup), "seconds of load before measuring (default 1)")
    ("drain-timeout", po::value(&o.drain_timeout), "seconds to wait for the tail (default 10)")
    ("setup-timeout", po::value(&o.setup_timeout), "seconds to connect and subscribe (default 120)")
    ("messages", po::value(&o.max_messages), "publish at most this many (default: time only)")
    ("tenant", po::value(&o.tenant), "tenant of the run (default bench-PID-RUN)")
    ("conversations,c", po::value(&o.conversations), "conversations (default 10)")
    ("subscribers,s", po::value(&o.subscribers), "subscribers per conversation (default 100)")
    ("publishers,p", po::value(&o.publishers), "publishing sockets (default 10)")
    ("rate,r", po::value(&o.rate), "messages/s in all; 0 = flat out (default 0; latency: 1000)")
    ("window,w", po::value(&o.window), "requests in flight per publisher, flat out (default 16)")
    ("size", po::value(&o.message_bytes), "message text bytes (default 100)")
    ("connections,n", po::value(&o.connections), "connect: sockets (10000); persist: publishers (64)")
    ("concurrency", po::value(&o.concurrency), "handshakes in flight (default 256)")
    ("source-addrs", po::value(&o.source_addrs), "source addresses 127.0.0.1.. (default 1 per 20k)")
    ("hold", po::value(&o.hold), "connect: seconds idle before reading memory (default 3)")
    ("json", po::bool_switch(&o.json), "print JSON instead of the table")
    ("svg", po::value(&o.svg), "write a chart of throughput and p99 (for --sweep)")
    ("sweep", po::value(&o.sweep), "KEY=V1,V2,..: a run per value; KEY is subscribers, "
                                   "conversations, publishers, rate, window, connections or size");
  // clang-format on
  po::options_description hidden;
  hidden.add_options()("scenario", po::value(&o.scenario));
  po::positional_options_description pos;
  pos.add("scenario", 1);
  po::options_description all;
  all.add(d).add(hidden);
  std::ostringstream usage;
  usage << kUsage << "\n" << d;
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
      exit_code = 0;
      return usage.str();
    }
    if (o.scenario != "fanout" && o.scenario != "latency" && o.scenario != "persist" &&
        o.scenario != "connect") {
      exit_code = 1;
      return (o.scenario.empty() ? "no scenario given\n\n"
                                 : "unknown scenario \"" + o.scenario + "\"\n\n") +
             usage.str();
    }
    if (o.peer != "parley" && o.peer != "nchan" && o.peer != "socketio") {
      exit_code = 1;
      return "unknown --peer \"" + o.peer + "\" (parley, nchan or socketio)\n";
    }
    if (o.peer != "parley" && o.scenario != "fanout" && o.scenario != "latency" &&
        o.scenario != "connect") {
      exit_code = 1;
      return "--peer " + o.peer + " runs fanout, latency and connect only\n";
    }
    if (o.subscriber_port != 0 && (o.peer != "parley" || (o.scenario != "fanout" &&
                                                          o.scenario != "latency"))) {
      exit_code = 1;
      return "--subscriber-port: Parley's fanout and latency only\n";
    }
    if (o.peer != "parley" && !o.spawn.empty()) {
      exit_code = 1;
      return "--spawn starts Parley only: start a peer yourself (bench/compare.sh does)\n";
    }
    // Scenario defaults where the generic one does not fit.
    if (o.scenario == "latency" && !vm.count("rate")) o.rate = 1000;
    if (o.scenario == "persist" && !vm.count("connections")) o.connections = 64;
    // Connecting is mostly kernel work on both sides; a second tool thread
    // lets the tool's part of it run beside the broker's on the other core.
    if (o.scenario == "connect" && !vm.count("threads")) o.threads = 2;
    if (o.scenario == "persist" && !vm.count("window")) o.window = 8;
  } catch (const std::exception& e) {
    exit_code = 1;
    return std::string(e.what()) + "\n\n" + usage.str();
  }
  return std::nullopt;
}

bool set_sweep_value(Options& o, const std::string& key, double v) {
  auto n = static_cast<size_t>(v);
  if (key == "subscribers") o.subscribers = n;
  else if (key == "conversations") o.conversations = n;
  else if (key == "publishers") o.publishers = n;
  else if (key == "rate") o.rate = v;
  else if (key == "window") o.window = n;
  else if (key == "connections") o.connections = n;
  else if (key == "size") o.message_bytes = n;
  else return false;
  return true;
}

}  // namespace bench
