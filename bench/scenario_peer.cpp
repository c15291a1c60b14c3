// fanout and latency against a peer broker (--peer nchan|socketio, for
// bench/compare.sh): the same load, counters, checks and figures as
// scenario_fanout.cpp, through a Peer adapter (peer.hpp) instead of
// Parley's JSON-RPC. Kept apart from Parley's path so that path stays as it
// is; the figures are computed the same way and carry the same keys.
//
// Differences that follow from the peers' protocols:
// - A channel (Nchan) or room (Socket.IO) per conversation, named after the
//   run; nothing to create.
// - Each publisher sends into one conversation (so --publishers must be at
//   least --conversations); the text carries its counter, checked by every
//   subscriber per publisher exactly as Parley's seq is per conversation.
// - Before publishing, each publisher sends "probe" messages until every
//   subscriber of its conversation has seen one: a peer may answer the
//   upgrade before the subscription is in place everywhere (Nchan hands it
//   to the worker that owns the channel), and a message published before
//   that would be missed and counted as a gap.
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <thread>

#include "broker_process.hpp"
#include "histogram.hpp"
#include "peer.hpp"
#include "pool.hpp"
#include "scenario.hpp"
#include "run_figures.hpp"
#include "thread_stats.hpp"

namespace bench {

namespace {

constexpr std::string_view kProbe = "probe";
constexpr size_t kMaxBacklog = 20000;  // as in scenario_fanout.cpp

int64_t now_ns() { return Clock::now().time_since_epoch().count(); }
int64_t ns_of(Clock::time_point t) { return t.time_since_epoch().count(); }

struct Conv {
  std::string channel;
  uint32_t publishers = 0;
};

struct InFlight {
  int64_t sent_ns;
  uint64_t id;
};

struct Publisher {
  std::shared_ptr<WsClient> ws;
  size_t thread = 0;
  uint32_t conv = 0;
  uint32_t index = 0;  // among its conversation's publishers
  uint64_t next_id = 1;
  uint64_t counter = 0;    // messages sent (the text's n)
  uint64_t scheduled = 0;  // --rate: sends due so far, skipped ones included
  uint64_t acked = 0;
  uint64_t probes_out = 0;  // probes not yet acknowledged
  std::deque<InFlight> inflight;
};

struct Subscriber {
  std::shared_ptr<WsClient> ws;
  size_t thread = 0;
  uint32_t conv = 0;
  bool ready = false;          // has seen a probe
  std::vector<uint64_t> last;  // per publisher of the conversation: last counter
};

struct State {
  Options o;
  Peer* peer = nullptr;
  std::vector<Conv> convs;
  std::vector<Publisher> pubs;
  std::vector<Subscriber> subs;
  std::vector<ThreadStats> stats;
  int64_t start_ns = 0;
  int64_t window_start_ns = 0;
  int64_t window_end_ns = 0;
  double rate_per_pub = 0;
  std::atomic<uint64_t> budget{0};
  std::atomic<bool> running{false};  // probes done, publishing
  std::atomic<bool> stopping{false};
  std::atomic<bool> closing{false};
  std::vector<std::unique_ptr<asio::steady_timer>> tickers;

  bool in_window(int64_t t) const { return t >= window_start_ns && t < window_end_ns; }
  void probe(Publisher& p);
  void publish_one(Publisher& p);
  void on_publisher_frame(Publisher& p, std::string_view frame);
  void on_subscriber_frame(Subscriber& s, std::string_view frame);
  void tick(size_t thread);
};

void State::probe(Publisher& p) {
  peer->publish(*p.ws, convs[p.conv].channel, kProbe, p.next_id++);
  ++p.probes_out;
}

void State::publish_one(Publisher& p) {
  if (o.max_messages) {
    uint64_t b = budget.load(std::memory_order_relaxed);
    for (;;) {
      if (b == 0) {
        stopping.store(true, std::memory_order_relaxed);
        return;
      }
      if (budget.compare_exchange_weak(b, b - 1, std::memory_order_relaxed)) break;
    }
  }
  thread_local std::string text;
  int64_t t = now_ns();
  peer_text(text, t, ++p.counter, p.index, o.message_bytes);
  uint64_t id = p.next_id++;
  peer->publish(*p.ws, convs[p.conv].channel, text, id);
  p.inflight.push_back({t, id});
  ++stats[p.thread].sent;
}

void State::on_publisher_frame(Publisher& p, std::string_view frame) {
  ThreadStats& s = stats[p.thread];
  uint64_t id = 0;
  Peer::Frame kind = peer->publisher_frame(*p.ws, frame, id);
  if (kind == Peer::Frame::other) return;
  if (kind == Peer::Frame::error) {
    ++s.check.failures;
    s.note("publish failed: " + std::string(frame.substr(0, 200)));
    return;
  }
  if (p.probes_out > 0) {  // probes are all answered before publishing starts
    --p.probes_out;
    return;
  }
  if (p.inflight.empty()) {
    ++s.check.failures;
    s.note("an acknowledgement nobody asked for: " + std::string(frame.substr(0, 200)));
    return;
  }
  InFlight f = p.inflight.front();
  p.inflight.pop_front();
  if (id != 0 && id != f.id) {
    ++s.check.out_of_order;
    s.note("ack " + std::to_string(id) + " came when " + std::to_string(f.id) + " was due");
  }
  ++p.acked;
  int64_t now = ns_of(p.ws->batch_time());
  ++s.acks;
  if (in_window(now)) ++s.acks_window;
  if (in_window(f.sent_ns)) s.ack.record(static_cast<uint64_t>(now - f.sent_ns));
  if (o.rate == 0 && !stopping.load(std::memory_order_relaxed) && now < window_end_ns)
    publish_one(p);
}

void State::on_subscriber_frame(Subscriber& sub, std::string_view frame) {
  ThreadStats& s = stats[sub.thread];
  auto text = peer->subscriber_frame(*sub.ws, frame);
  if (!text) return;
  if (*text == kProbe) {
    sub.ready = true;
    return;
  }
  auto stamp = parse_peer_text(*text);
  if (!stamp || stamp->publisher >= sub.last.size()) {
    ++s.check.failures;
    s.note("not a message of this run: " + std::string(frame.substr(0, 200)));
    return;
  }
  uint64_t& last = sub.last[stamp->publisher];
  if (stamp->counter == last + 1) {
  } else if (stamp->counter == last) {
    ++s.check.duplicates;
  } else if (stamp->counter < last) {
    ++s.check.out_of_order;
  } else {
    s.check.gaps += stamp->counter - last - 1;
  }
  last = std::max(last, stamp->counter);
  int64_t now = ns_of(sub.ws->batch_time());
  ++s.delivered;
  if (in_window(now)) ++s.delivered_window;
  if (in_window(stamp->sent_ns))
    s.e2e.record(static_cast<uint64_t>(std::max<int64_t>(0, now - stamp->sent_ns)));
}

// --rate: as in scenario_fanout.cpp.
void State::tick(size_t thread) {
  int64_t now = now_ns();
  if (now >= window_end_ns || stopping.load(std::memory_order_relaxed)) return;
  double elapsed = static_cast<double>(now - start_ns) / 1e9;
  for (size_t i = 0; i < pubs.size(); ++i) {
    auto& p = pubs[i];
    if (p.thread != thread || !p.ws->is_open()) continue;
    double phase = static_cast<double>(i) / static_cast<double>(pubs.size());
    auto due = static_cast<uint64_t>(rate_per_pub * elapsed + phase) + 1;
    while (p.scheduled < due && !stopping.load(std::memory_order_relaxed)) {
      if (p.inflight.size() >= kMaxBacklog) {
        stats[thread].behind += due - p.scheduled;
        p.scheduled = due;  // skipped, not owed
        break;
      }
      ++p.scheduled;
      publish_one(p);
    }
  }
  auto& timer = *tickers[thread];
  timer.expires_at(timer.expiry() + std::chrono::milliseconds(1));
  timer.async_wait([this, thread](boost::system::error_code ec) {
    if (!ec) tick(thread);
  });
}

void wait_until(const std::function<bool()>& done, double seconds) {
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (!done() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

// Whether `pred` holds for every publisher (or subscriber) on its own thread.
template <class Items, class Pred>
bool all_on_threads(Pool& pool, Items& items, Pred pred) {
  std::atomic<bool> ok{true};
  pool.on_each([&](size_t thread) {
    for (auto& x : items)
      if (x.thread == thread && x.ws && !pred(x)) ok = false;
  });
  return ok.load();
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

}  // namespace

RunResult run_fanout_peer(const Options& o, const Target& target, Peer& peer,
                          const std::string& tenant) {
  RunResult r;
  r.scenario = o.scenario;
  const size_t C = o.conversations, P = o.publishers, S = o.subscribers;
  r.params = {{"peer", peer.name()},
              {"conversations", std::to_string(C)},
              {"subscribers", std::to_string(S)},
              {"publishers", std::to_string(P)},
              {"rate", o.rate > 0 ? std::to_string(static_cast<uint64_t>(o.rate)) : "max"},
              {"window", o.rate > 0 ? "-" : std::to_string(o.window)},
              {"size", std::to_string(o.message_bytes)},
              {"duration", seconds_text(o.duration)},
              {"threads", std::to_string(o.threads)}};
  if (C == 0 || P < C) {
    ++r.check.failures;
    r.note("--peer needs at least one conversation and --publishers >= --conversations");
    return r;
  }
  if (o.message_bytes < kPeerTextFields) {
    ++r.check.failures;
    r.note("--peer needs --size >= " + std::to_string(kPeerTextFields));
    return r;
  }

  auto pool = std::make_unique<Pool>(o.threads);
  auto st = std::make_shared<State>();
  st->o = o;
  st->peer = &peer;
  st->stats = std::vector<ThreadStats>(pool->size());
  st->convs.resize(C);
  st->pubs.resize(P);
  st->subs.resize(C * S);
  std::string run_name;
  for (char ch : tenant)
    run_name.push_back(std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
  for (size_t c = 0; c < C; ++c) st->convs[c].channel = run_name + "_c" + std::to_string(c);
  for (size_t p = 0; p < P; ++p) {
    auto& pub = st->pubs[p];
    pub.thread = p % pool->size();
    pub.conv = static_cast<uint32_t>(p % C);
    pub.index = st->convs[pub.conv].publishers++;
  }
  const auto setup_timeout = std::chrono::milliseconds(static_cast<int64_t>(o.setup_timeout * 1e3));
  const auto sources = source_addresses(o, P + C * S);
  Correctness setup;
  std::vector<std::string> setup_notes;
  std::mutex setup_mu;
  auto setup_fail = [&](std::string what) {
    std::lock_guard lk(setup_mu);
    ++setup.failures;
    if (setup_notes.size() < 4) setup_notes.push_back(std::move(what));
  };
  struct StopFirst {
    Pool& pool;
    ~StopFirst() { pool.stop(); }
  } stop_first{*pool};

  // 1. Subscribers first, then publishers (a Socket.IO room exists once
  // somebody is in it; Nchan creates a channel on either side).
  pool->run_jobs(
      C * S, o.concurrency,
      [&](size_t i, size_t thread) -> asio::awaitable<void> {
        auto& sub = st->subs[i];
        sub.conv = static_cast<uint32_t>(i % C);
        sub.thread = thread;
        sub.last.assign(st->convs[sub.conv].publishers, 0);
        auto ws = std::make_shared<WsClient>(pool->io(thread));
        ws->hold_pushes();
        std::string err = co_await peer.open_subscriber(
            *ws, target.broker, sources[(P + i) % sources.size()], st->convs[sub.conv].channel);
        if (!err.empty()) {
          setup_fail("subscriber " + std::to_string(i) + ": " + err);
          co_return;
        }
        sub.ws = std::move(ws);
      },
      setup_timeout);
  pool->run_jobs(
      P, o.concurrency,
      [&](size_t i, size_t thread) -> asio::awaitable<void> {
        auto& pub = st->pubs[i];
        auto ws = std::make_shared<WsClient>(pool->io(thread));
        ws->hold_pushes();
        std::string err = co_await peer.open_publisher(
            *ws, target.broker, sources[i % sources.size()], st->convs[pub.conv].channel);
        if (!err.empty()) {
          setup_fail("publisher " + std::to_string(i) + ": " + err);
          co_return;
        }
        pub.ws = std::move(ws);
      },
      setup_timeout);
  r.check.add(setup);
  for (auto& n : setup_notes) r.note(n);
  if (!setup.ok()) {
    r.note("set-up failed: nothing measured");
    return r;
  }

  // 2. The handlers, on each socket's own thread; frames held since the
  // upgrade go to them first.
  pool->on_each([&, st](size_t thread) {
    for (auto& sub : st->subs) {
      if (sub.thread != thread) continue;
      Subscriber* s = &sub;
      sub.ws->on_push = [st, s](std::string_view f) { st->on_subscriber_frame(*s, f); };
      sub.ws->on_end = [st, s] {
        if (st->closing.load()) return;
        auto& ts = st->stats[s->thread];
        ++ts.check.failures;
        ts.note("a subscriber's socket ended (close code " + std::to_string(s->ws->close_code()) +
                ")");
      };
      for (auto& f : sub.ws->take_held()) sub.ws->on_push(f);
    }
    for (auto& pub : st->pubs) {
      if (pub.thread != thread) continue;
      Publisher* p = &pub;
      pub.ws->on_push = [st, p](std::string_view f) { st->on_publisher_frame(*p, f); };
      pub.ws->on_end = [st, p] {
        if (st->closing.load()) return;
        auto& ts = st->stats[p->thread];
        ++ts.check.failures;
        ts.note("a publisher's socket ended (close code " + std::to_string(p->ws->close_code()) +
                ")");
      };
      for (auto& f : pub.ws->take_held()) pub.ws->on_push(f);
    }
  });

  // 3. Probes until every subscriber has seen one; then until every probe
  // is acknowledged.
  {
    std::vector<std::atomic<size_t>> waiting(C);
    auto deadline = Clock::now() + setup_timeout;
    for (;;) {
      for (auto& w : waiting) w = 0;
      pool->on_each([&](size_t thread) {
        for (auto& s : st->subs)
          if (s.thread == thread && !s.ready) ++waiting[s.conv];
      });
      size_t left = 0;
      for (auto& w : waiting) left += w;
      if (left == 0 || Clock::now() > deadline) {
        if (left) {
          ++r.check.failures;
          r.note(std::to_string(left) + " subscribers never saw a probe: nothing measured");
        }
        break;
      }
      pool->on_each([&](size_t thread) {
        for (auto& p : st->pubs)
          if (p.thread == thread && waiting[p.conv] > 0 && p.probes_out == 0) st->probe(p);
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    wait_until(
        [&] {
          return all_on_threads(*pool, st->pubs, [](Publisher& p) { return p.probes_out == 0; });
        },
        o.setup_timeout);
    if (!all_on_threads(*pool, st->pubs, [](Publisher& p) { return p.probes_out == 0; })) {
      ++r.check.failures;
      r.note("probes never acknowledged: nothing measured");
    }
    if (!r.valid()) {
      st->closing = true;
      pool->stop();
      return r;
    }
  }

  // 4. Publish.
  st->rate_per_pub = o.rate / static_cast<double>(P);
  st->budget.store(o.max_messages);
  st->start_ns = now_ns();
  st->window_start_ns = st->start_ns + static_cast<int64_t>(o.warmup * 1e9);
  st->window_end_ns = st->window_start_ns + static_cast<int64_t>(o.duration * 1e9);
  for (size_t t = 0; t < pool->size(); ++t)
    st->tickers.push_back(std::make_unique<asio::steady_timer>(pool->io(t)));
  st->running = true;
  pool->on_each([&, st](size_t thread) {
    if (o.rate == 0) {
      for (auto& p : st->pubs)
        if (p.thread == thread)
          for (size_t k = 0; k < o.window; ++k) st->publish_one(p);
    } else {
      auto& timer = *st->tickers[thread];
      timer.expires_at(Clock::time_point(Clock::duration(st->start_ns)));
      timer.async_wait([st, thread](boost::system::error_code ec) {
        if (!ec) st->tick(thread);
      });
    }
  });
  // CPU of the tool and of the server (its worker processes included).
  wait_until([&] { return now_ns() >= st->window_start_ns; }, o.warmup + 1);
  CostMeter meter(target.broker_pid, o.redis_pid, true);
  wait_until([&] { return st->stopping.load() || now_ns() >= st->window_end_ns; }, o.duration + 1);
  const Costs costs = meter.elapsed();
  st->stopping.store(true);

  // 5. The tail: every ack, then every subscriber at every publisher's
  // last acknowledged counter.
  wait_until(
      [&] {
        return all_on_threads(*pool, st->pubs,
                              [](Publisher& p) { return p.inflight.empty() || !p.ws->is_open(); });
      },
      o.drain_timeout);
  std::vector<std::vector<uint64_t>> final_counter(C);
  for (size_t c = 0; c < C; ++c) final_counter[c].assign(st->convs[c].publishers, 0);
  pool->on_each([&](size_t thread) {
    for (auto& p : st->pubs)
      if (p.thread == thread) final_counter[p.conv][p.index] = p.acked;  // own slot: no race
  });
  auto reached = [&](Subscriber& s) {
    for (size_t k = 0; k < s.last.size(); ++k)
      if (s.last[k] < final_counter[s.conv][k]) return false;
    return true;
  };
  wait_until(
      [&] {
        return all_on_threads(*pool, st->subs,
                              [&](Subscriber& s) { return reached(s) || !s.ws->is_open(); });
      },
      o.drain_timeout);
  const int64_t finished_ns = now_ns();

  // 6. Close, stop the threads, read the figures.
  st->closing.store(true);
  close_all(*pool, st->pubs, st->subs);

  ThreadStats total = sum_threads(st->stats, r);
  uint64_t missing = 0, unanswered = 0;
  for (auto& s : st->subs)
    for (size_t k = 0; k < s.last.size(); ++k)
      if (s.last[k] < final_counter[s.conv][k]) missing += final_counter[s.conv][k] - s.last[k];
  for (auto& p : st->pubs) unanswered += p.inflight.size();
  if (missing) {
    r.check.gaps += missing;
    r.note(std::to_string(missing) + " messages never reached their subscribers");
  }
  if (unanswered) {
    r.check.failures += unanswered;
    r.note(std::to_string(unanswered) + " publishes never acknowledged");
  }
  FigureOptions f;
  f.window_s = o.duration;
  f.has_server = target.broker_pid != 0;
  f.has_redis = o.redis_pid != 0;
  f.server = "server";
  report_figures(r, total, costs, f, static_cast<double>(finished_ns - st->window_end_ns) / 1e6);
  return r;
}

}  // namespace bench
