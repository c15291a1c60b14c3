// What the fanout-like scenarios share around their own protocols
// (Parley's fanout, latency and persist in scenario_fanout.cpp, the peers'
// in scenario_peer.cpp): the set-up's failures and the run's parameters;
// then, in Load, the clock and the measured window, the --messages
// budget, the counters of acks and deliveries, the publishing (flat out:
// `window` requests in flight per publisher, the next sent when an answer
// comes; at a --rate: the ticker), the tail and the teardown.
//
// A scenario's state derives from Load; its publishers and subscribers are
// its own structs, of which the templates here need .ws and .thread, and
// of a publisher also .scheduled and .inflight (a deque of InFlight).
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "delivery_check.hpp"
#include "options.hpp"
#include "pool.hpp"
#include "result.hpp"
#include "run_figures.hpp"
#include "thread_stats.hpp"
#include "ticker.hpp"
#include "ws_client.hpp"

namespace bench {

// A request in flight: when it was sent, and what its scenario needs to
// match the answer with it.
struct InFlight {
  int64_t sent_ns;
  uint64_t key;
};

// The set-up's failures, from the pool's threads: all counted, the first
// few kept.
class SetupFailures {
 public:
  void add(std::string what);
  // Adds them to `r`; false when there were any (and then nothing is
  // measured, which the notes say).
  bool report(RunResult& r);

 private:
  std::mutex mu_;
  Correctness check_;
  std::vector<std::string> notes_;
};

// A fanout-like run's parameters: C conversations, S subscribers each, P
// publishers, and the load's settings.
std::vector<std::pair<std::string, std::string>> fanout_params(const Options& o, size_t C, size_t S,
                                                               size_t P);

// Subscriber i follows conversation i % C and lives on thread i % threads,
// where the pool runs set-up job i (Pool::run_jobs).
template <class Subs>
void place_subscribers(Subs& subs, size_t C, size_t threads) {
  for (size_t i = 0; i < subs.size(); ++i) {
    subs[i].conv = static_cast<uint32_t>(i % C);
    subs[i].thread = i % threads;
  }
}

// Returns once `done()` holds, or after `seconds`; polls every 20 ms.
void wait_until(const std::function<bool()>& done, double seconds);

// Whether `pred` holds for every item with a socket, each checked on its
// own thread.
template <class Items, class Pred>
bool all_on_threads(Pool& pool, Items& items, Pred pred) {
  std::atomic<bool> ok{true};
  pool.on_each([&](size_t thread) {
    for (auto& x : items)
      if (x.thread == thread && x.ws && !pred(x)) ok = false;
  });
  return ok.load();
}

struct Load : std::enable_shared_from_this<Load> {
  Load(const Options& options, size_t threads);

  Options o;
  std::vector<ThreadStats> stats;   // one per tool thread
  int64_t start_ns = 0;             // publishing starts
  int64_t window_start_ns = 0;      // measuring starts (after the warm-up)
  int64_t window_end_ns = 0;        // publishing and measuring stop
  std::atomic<uint64_t> budget{0};  // --messages: how many may still be sent
  std::atomic<bool> stopping{false};
  std::atomic<bool> closing{false};  // the teardown: sockets ending is no failure

  bool in_window(int64_t t) const { return t >= window_start_ns && t < window_end_ns; }
  // --messages: takes one send from the budget; false (and stopping) when
  // none is left.
  bool take_send();
  // Flat out, whether an answer that came at `now` lets its publisher send
  // the next request.
  bool send_next(int64_t now) const {
    return o.rate == 0 && !stopping.load(std::memory_order_relaxed) && now < window_end_ns;
  }
  // The request an answer is for, into `f`: the oldest in flight (answers
  // come in request order). False, a failure noted as `what` and the
  // frame, when there is none.
  static bool pop_answered(ThreadStats& s, std::deque<InFlight>& inflight, const char* what,
                           std::string_view frame, InFlight& f) {
    if (inflight.empty()) {
      s.fail(what, frame);
      return false;
    }
    f = inflight.front();
    inflight.pop_front();
    return true;
  }
  // An answer read at `now` to a request sent at `sent_ns`.
  void count_ack(ThreadStats& s, int64_t sent_ns, int64_t now) const {
    ++s.acks;
    if (in_window(now)) ++s.acks_window;
    if (in_window(sent_ns)) s.ack.record(static_cast<uint64_t>(now - sent_ns));
  }
  // A delivery read at `now`; then its end-to-end latency, for one sent at
  // `sent_ns`.
  void count_delivery(ThreadStats& s, int64_t now) const {
    ++s.delivered;
    if (in_window(now)) ++s.delivered_window;
  }
  void count_e2e(ThreadStats& s, int64_t sent_ns, int64_t now) const {
    if (in_window(sent_ns))
      s.e2e.record(static_cast<uint64_t>(std::max<int64_t>(0, now - sent_ns)));
  }
  // Sets every socket's handlers, each on its own thread: on_end (the
  // socket ending is a failure unless the run is closing), then the
  // scenario's own, by on_sub(s) and on_pub(p); pushes held since the
  // upgrade (WsClient::hold_pushes) then go to on_push. The handlers hold
  // this state until the teardown drops them.
  template <class Pubs, class Subs, class OnSub, class OnPub>
  void attach(Pool& pool, Pubs& pubs, Subs& subs, OnSub on_sub, OnPub on_pub) {
    auto set = [this](auto& x, const char* who, size_t thread, auto& on_x) {
      x.ws->on_end = on_socket_end(who, thread, x.ws.get());
      on_x(x);
      for (auto& f : x.ws->take_held()) x.ws->on_push(f);
    };
    pool.on_each([&](size_t thread) {
      for (auto& s : subs)
        if (s.thread == thread) set(s, "subscriber", thread, on_sub);
      for (auto& p : pubs)
        if (p.thread == thread) set(p, "publisher", thread, on_pub);
    });
  }

  // Publishes: starts the clock; on each thread, flat out, `window`
  // requests per publisher (send(p) sends one), or at a --rate the
  // ticker; waits through the warm-up, measures the CPU of the tool and of
  // the server (`server_tree`: with its child processes) over the window,
  // and sets `stopping` at its end or when the --messages are all sent.
  template <class Pubs, class Send>
  void publish(Pool& pool, Pubs& pubs, Send send, pid_t server, bool server_tree) {
    start_clock(pool, pubs.size());
    pool.on_each([&](size_t thread) {
      if (o.rate > 0) {
        ticker_->start(thread, pubs, stats[thread].behind, send);
        return;
      }
      for (auto& p : pubs)
        if (p.thread == thread)
          for (size_t k = 0; k < o.window; ++k) send(p);
    });
    measure(server, server_tree);
  }

  // The tail: waits until every publisher has its answers (or its socket
  // ended), then until every subscriber has `reached(s)` the end of its
  // streams (or its socket ended); --drain-timeout at most for each.
  template <class Pubs>
  void wait_for_answers(Pool& pool, Pubs& pubs) {
    wait_until(
        [&] {
          return all_on_threads(pool, pubs,
                                [](auto& p) { return p.inflight.empty() || !p.ws->is_open(); });
        },
        o.drain_timeout);
  }
  template <class Subs, class Reached>
  void wait_for_deliveries(Pool& pool, Subs& subs, Reached reached) {
    wait_until(
        [&] {
          return all_on_threads(pool, subs,
                                [&](auto& s) { return reached(s) || !s.ws->is_open(); });
        },
        o.drain_timeout);
    finished_ns_ = now_ns();
  }

  // The teardown: closes every socket, stops the threads, and reports into
  // `r` what they counted, the tail's verdict (`missing(s)`: the numbers
  // subscriber s never saw; the requests never answered), then the figures
  // (`f`: the server's part).
  template <class Pubs, class Subs, class Missing>
  void finish(RunResult& r, Pool& pool, Pubs& pubs, Subs& subs, Missing missing,
              const TailWords& words, FigureOptions f) {
    closing.store(true);
    close_all(pool, pubs, subs);
    ThreadStats total = sum_threads(stats, r);
    uint64_t lost = 0, unanswered = 0;
    for (auto& s : subs) lost += missing(s);
    for (auto& p : pubs) unanswered += p.inflight.size();
    report_tail(r, lost, unanswered, words);
    report(r, total, f);
  }

 private:
  std::function<void()> on_socket_end(const char* who, size_t thread, const WsClient* ws);
  void start_clock(Pool& pool, size_t publishers);
  void measure(pid_t server, bool server_tree);
  void report(RunResult& r, const ThreadStats& total, FigureOptions f) const;

  std::unique_ptr<RateTicker> ticker_;
  Costs costs_;
  int64_t finished_ns_ = 0;  // the tail is in
};

}  // namespace bench
