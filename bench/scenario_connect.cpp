// connect: how fast the broker takes new sockets (TCP connect, upgrade,
// authenticate), then what an idle authenticated socket with one
// subscription costs it in memory (its VmRSS before and after, divided by
// the sockets).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "broker_process.hpp"
#include "histogram.hpp"
#include "pool.hpp"
#include "scan.hpp"
#include "scenario.hpp"
#include "ws_client.hpp"

namespace bench {

namespace {

struct alignas(64) ThreadSlot {
  Histogram handshake;
  Histogram subscribe;
};

bool is_result(const std::string& frame) { return frame.find(R"("result":)") != std::string::npos; }

}  // namespace

RunResult run_connect(const Options& o, const Target& target, const std::string& tenant) {
  RunResult r;
  r.scenario = o.scenario;
  const size_t N = o.connections;
  const size_t C = std::max<size_t>(1, std::min(o.conversations, N));
  const auto sources = source_addresses(o, N);
  r.params = {{"connections", std::to_string(N)},
              {"conversations", std::to_string(C)},
              {"concurrency", std::to_string(o.concurrency)},
              {"sources", std::to_string(sources.size())},
              {"threads", std::to_string(o.threads)}};
  auto pool = std::make_unique<Pool>(o.threads);
  std::vector<std::shared_ptr<WsClient>> conns(N);
  std::vector<ThreadSlot> slots(pool->size());
  std::vector<std::string> ids(C);
  Failures fail(r);
  Pool::StopOnExit stop_first{*pool};
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.setup_timeout * 1e3));

  // The conversations the sockets will subscribe to, made by one owner.
  std::shared_ptr<WsClient> owner;
  pool->run_jobs(
      1, 1,
      [&](size_t, size_t thread) -> asio::awaitable<void> {
        auto ws = std::make_shared<WsClient>(pool->io(thread));
        std::string err = co_await ws->connect(target.broker, sources.front());
        if (!err.empty()) {
          fail("owner: " + err);
          co_return;
        }
        std::string auth = co_await ws->call("authenticate", dev_identity("owner", "agent", tenant));
        if (!is_result(auth)) {
          fail("owner: authenticate: " + auth.substr(0, 200));
          co_return;
        }
        for (size_t c = 0; c < C; ++c) {
          std::string res = co_await ws->call("createConversation", "{}");
          ids[c] = std::string(string_after(res, R"("id":)", res.find(R"("result":)")));
          if (ids[c].empty()) {
            fail("createConversation: " + res.substr(0, 200));
            co_return;
          }
        }
        owner = std::move(ws);
      },
      timeout);
  if (!r.valid()) return r;
  // Settle, then the broker's memory before.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const uint64_t rss_before = target.broker_pid ? rss_bytes(target.broker_pid) : 0;

  // 1. Connect + upgrade + authenticate, `concurrency` at a time.
  CpuWatch watch(target, false);
  size_t opened = pool->run_jobs(
      N, o.concurrency,
      [&](size_t i, size_t thread) -> asio::awaitable<void> {
        auto start = Clock::now();
        auto ws = std::make_shared<WsClient>(pool->io(thread));
        std::string err = co_await ws->connect(target.broker, sources[i % sources.size()]);
        if (!err.empty()) {
          fail("socket " + std::to_string(i) + ": " + err);
          co_return;
        }
        std::string auth = co_await ws->call(
            "authenticate", dev_identity("user" + std::to_string(i), "agent", tenant));
        if (!is_result(auth)) {
          fail("socket " + std::to_string(i) + ": authenticate: " + auth.substr(0, 200));
          co_return;
        }
        slots[thread].handshake.record(
            static_cast<uint64_t>((Clock::now() - start).count()));
        conns[i] = std::move(ws);
      },
      timeout);
  const double connect_s = watch.seconds(), tool_cpu = watch.tool_cpu(),
               broker_cpu = watch.server_cpu();

  // 2. One subscription each.
  auto t1 = Clock::now();
  pool->run_jobs(
      N, o.concurrency,
      [&](size_t i, size_t thread) -> asio::awaitable<void> {
        if (!conns[i]) co_return;
        auto start = Clock::now();
        std::string res = co_await conns[i]->call(
            "subscribe", R"({"conversationId":")" + ids[i % C] + "\"}");
        if (!is_result(res)) {
          fail("socket " + std::to_string(i) + ": subscribe: " + res.substr(0, 200));
          co_return;
        }
        slots[thread].subscribe.record(static_cast<uint64_t>((Clock::now() - start).count()));
      },
      timeout);
  double subscribe_s = std::chrono::duration<double>(Clock::now() - t1).count();

  // 3. Idle: let the broker settle, then its memory after.
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(o.hold * 1e3)));
  const uint64_t rss_after = target.broker_pid ? rss_bytes(target.broker_pid) : 0;
  pool->on_each([&](size_t thread) {
    if (thread == 0 && owner) owner->close();
  });
  close_idle(*pool, conns, opened, r);

  Histogram hs, ss;
  for (auto& s : slots) {
    hs.merge(s.handshake);
    ss.merge(s.subscribe);
  }
  connect_figures(r, hs, connect_s, tool_cpu, broker_cpu, target, rss_before, rss_after, false);
  r.metric("subscribe_per_sec", "subscribes/s",
           subscribe_s > 0 ? static_cast<double>(ss.count()) / subscribe_s : 0, "/s");
  return r;
}

}  // namespace bench
