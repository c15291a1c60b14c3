// connect against a peer broker (bench/compare.sh's connect rows): N
// subscriber sockets, `concurrency` handshakes at a time, spread over
// `conversations` channels; then they stay idle and the server's memory
// (its processes together: nginx's master and workers) is read before and
// after. A peer's subscriber upgrade is also its subscription (Nchan's
// /sub/<channel>), so its handshake is Parley's upgrade + authenticate and
// subscribe in one; the figures have the names of `connect`'s.
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <chrono>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "broker_process.hpp"
#include "histogram.hpp"
#include "peer.hpp"
#include "pool.hpp"
#include "scenario.hpp"
#include "ws_client.hpp"

namespace bench {

RunResult run_connect_peer(const Options& o, const Target& target, Peer& peer,
                           const std::string& tenant) {
  RunResult r;
  r.scenario = o.scenario;
  const size_t N = o.connections;
  const size_t C = std::max<size_t>(1, std::min(o.conversations, N));
  const auto sources = source_addresses(o, N);
  r.params = {{"peer", peer.name()},
              {"connections", std::to_string(N)},
              {"conversations", std::to_string(C)},
              {"concurrency", std::to_string(o.concurrency)},
              {"sources", std::to_string(sources.size())},
              {"threads", std::to_string(o.threads)}};
  std::string run_name;
  for (char ch : tenant)
    run_name.push_back(std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
  auto pool = std::make_unique<Pool>(o.threads);
  std::vector<std::shared_ptr<WsClient>> conns(N);
  std::vector<Histogram> handshakes(pool->size());
  Failures fail(r);
  Pool::StopOnExit stop_first{*pool};
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.setup_timeout * 1e3));

  const uint64_t rss_before = target.broker_pid ? tree_rss_bytes(target.broker_pid) : 0;
  CpuWatch watch(target, true);
  size_t opened = pool->run_jobs(
      N, o.concurrency,
      [&](size_t i, size_t thread) -> asio::awaitable<void> {
        auto start = Clock::now();
        auto ws = std::make_shared<WsClient>(pool->io(thread));
        ws->hold_pushes();
        std::string err = co_await peer.open_subscriber(
            *ws, target.broker, sources[i % sources.size()], run_name + "_c" + std::to_string(i % C));
        if (!err.empty()) {
          fail("socket " + std::to_string(i) + ": " + err);
          co_return;
        }
        handshakes[thread].record(static_cast<uint64_t>((Clock::now() - start).count()));
        conns[i] = std::move(ws);
      },
      timeout);
  const double connect_s = watch.seconds(), tool_cpu = watch.tool_cpu(),
               server_cpu = watch.server_cpu();

  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(o.hold * 1e3)));
  const uint64_t rss_after = target.broker_pid ? tree_rss_bytes(target.broker_pid) : 0;
  close_idle(*pool, conns, opened, r);
  Histogram hs;
  for (auto& h : handshakes) hs.merge(h);
  connect_figures(r, hs, connect_s, tool_cpu, server_cpu, target, rss_before, rss_after, true);
  return r;
}

}  // namespace bench
