// fanout, latency and persist: P publishers send sendMessage requests into
// C conversations, each followed by S subscribers.
//
// Flat out, every publisher keeps `window` requests in flight and sends the
// next when an answer comes; at a --rate, one timer per thread sends what is
// due (open loop: a slow broker builds a backlog, which shows as latency,
// rather than slowing the senders down). Each text starts with its send time
// (steady clock, ns), so a subscriber knows the end-to-end latency of every
// event it reads. Every subscriber checks that seq goes up by one; at the
// end, after the publishers have their last answers, every subscriber must
// have reached the last seq of its conversation.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <deque>
#include <memory>
#include <thread>
#include <unistd.h>

#include "broker_process.hpp"
#include "histogram.hpp"
#include "pool.hpp"
#include "scan.hpp"
#include "scenario.hpp"
#include "run_figures.hpp"
#include "thread_stats.hpp"
#include "ws_client.hpp"

namespace bench {

namespace {

constexpr std::string_view kEventPrefix = R"({"jsonrpc":"2.0","method":"event","params":{)";
// A publisher at a --rate that is this far behind stops adding to its
// backlog (counted as `behind`): the broker is past saturation.
constexpr size_t kMaxBacklog = 20000;

int64_t now_ns() { return Clock::now().time_since_epoch().count(); }
int64_t ns_of(Clock::time_point t) { return t.time_since_epoch().count(); }

struct Conv {
  std::string id;
  std::string send_prefix;  // {"conversationId":"ID","text":"
  uint64_t setup_seq = 0;   // lastSeq when publishing starts
  size_t publishers = 0;    // how many publish into it
};

struct InFlight {
  int64_t sent_ns;
  uint32_t pos;  // index into Publisher::convs
};

struct Publisher {
  std::shared_ptr<WsClient> ws;
  size_t thread = 0;
  std::vector<uint32_t> convs;     // conversation indexes it sends to
  std::vector<uint64_t> last_ack;  // per entry of convs: highest seq acknowledged
  size_t next = 0;
  std::deque<InFlight> inflight;   // answers come in request order
  uint64_t sent = 0;
};

struct Subscriber {
  std::shared_ptr<WsClient> ws;
  size_t thread = 0;
  uint32_t conv = 0;
  uint64_t last_seq = 0;
};

struct State {
  Options o;
  Target target;
  std::string tenant;
  std::vector<Conv> convs;
  std::vector<Publisher> pubs;
  std::vector<Subscriber> subs;
  std::vector<ThreadStats> stats;
  std::string padding;
  int64_t start_ns = 0;         // publishing starts
  int64_t window_start_ns = 0;  // measuring starts (after the warm-up)
  int64_t window_end_ns = 0;    // publishing and measuring stop
  double rate_per_pub = 0;
  std::atomic<uint64_t> budget{0};  // --messages: how many may still be sent
  std::atomic<bool> stopping{false};
  std::atomic<bool> closing{false};
  std::vector<std::unique_ptr<asio::steady_timer>> tickers;

  bool in_window(int64_t t) const { return t >= window_start_ns && t < window_end_ns; }
  void publish_one(Publisher& p);
  void on_ack(Publisher& p, std::string_view frame);
  void on_event(Subscriber& s, std::string_view frame);
  void tick(size_t thread);
};

bool take_budget(std::atomic<uint64_t>& budget) {
  uint64_t b = budget.load(std::memory_order_relaxed);
  while (b > 0)
    if (budget.compare_exchange_weak(b, b - 1, std::memory_order_relaxed)) return true;
  return false;
}

void State::publish_one(Publisher& p) {
  if (o.max_messages && !take_budget(budget)) {
    stopping.store(true, std::memory_order_relaxed);
    return;
  }
  uint32_t pos = static_cast<uint32_t>(p.next);
  p.next = (p.next + 1) % p.convs.size();
  thread_local std::string params;
  params = convs[p.convs[pos]].send_prefix;
  int64_t t = now_ns();
  char digits[24];
  int n = std::snprintf(digits, sizeof digits, "t%019lld ", static_cast<long long>(t));
  params.append(digits, static_cast<size_t>(n));
  size_t text = static_cast<size_t>(n);
  if (o.message_bytes > text) params.append(padding, 0, o.message_bytes - text);
  params.append("\"}");
  p.ws->send_request("sendMessage", params);
  p.inflight.push_back({t, pos});
  ++p.sent;
  ++stats[p.thread].sent;
}

void State::on_ack(Publisher& p, std::string_view frame) {
  ThreadStats& s = stats[p.thread];
  if (p.inflight.empty()) {
    ++s.check.failures;
    s.note("an answer nobody asked for: " + std::string(frame.substr(0, 200)));
    return;
  }
  InFlight f = p.inflight.front();
  p.inflight.pop_front();
  int64_t now = ns_of(p.ws->batch_time());
  ++s.acks;
  if (in_window(now)) ++s.acks_window;
  if (in_window(f.sent_ns)) s.ack.record(static_cast<uint64_t>(now - f.sent_ns));
  auto seq = u64_after(frame, R"("seq":)");
  if (!seq || frame.find(R"("error":)") != std::string_view::npos) {
    ++s.check.failures;
    s.note("sendMessage failed: " + std::string(frame.substr(0, 200)));
  } else {
    uint64_t& last = p.last_ack[f.pos];
    // With one publisher per conversation its answers must count up by one.
    if (convs[p.convs[f.pos]].publishers == 1) {
      if (*seq == last + 1) {
      } else if (*seq == last) {
        ++s.check.duplicates;
      } else if (*seq < last) {
        ++s.check.out_of_order;
      } else {
        s.check.gaps += *seq - last - 1;
      }
    }
    last = std::max(last, *seq);
  }
  if (o.rate == 0 && !stopping.load(std::memory_order_relaxed) && now < window_end_ns)
    publish_one(p);
}

void State::on_event(Subscriber& sub, std::string_view frame) {
  ThreadStats& s = stats[sub.thread];
  if (!starts_with(frame, kEventPrefix)) {
    if (frame.find(R"("method":"subscriptionReset")") != std::string_view::npos) {
      ++s.check.resets;
      s.note("subscriptionReset: " + std::string(frame.substr(0, 200)));
    }
    return;
  }
  auto seq = u64_after(frame, R"("seq":)", kEventPrefix.size());
  if (!seq) {
    ++s.check.failures;
    s.note("an event without seq: " + std::string(frame.substr(0, 200)));
    return;
  }
  if (*seq == sub.last_seq + 1) {
  } else if (*seq == sub.last_seq) {
    ++s.check.duplicates;
  } else if (*seq < sub.last_seq) {
    ++s.check.out_of_order;
  } else {
    s.check.gaps += *seq - sub.last_seq - 1;
  }
  sub.last_seq = std::max(sub.last_seq, *seq);
  int64_t now = ns_of(sub.ws->batch_time());
  ++s.delivered;
  if (in_window(now)) ++s.delivered_window;
  // The text is in the body, the event's last field: start near the end.
  size_t body = frame.size() > o.message_bytes + 64 ? frame.size() - o.message_bytes - 64 : 0;
  auto sent = u64_after(frame, R"("text":"t)", std::max(body, kEventPrefix.size()));
  if (sent && in_window(static_cast<int64_t>(*sent)))
    s.e2e.record(static_cast<uint64_t>(std::max<int64_t>(0, now - static_cast<int64_t>(*sent))));
}

// --rate: every millisecond, each publisher of this thread sends what is due.
void State::tick(size_t thread) {
  int64_t now = now_ns();
  if (now >= window_end_ns || stopping.load(std::memory_order_relaxed)) return;
  double elapsed = static_cast<double>(now - start_ns) / 1e9;
  for (size_t i = 0; i < pubs.size(); ++i) {
    auto& p = pubs[i];
    if (p.thread != thread || !p.ws->is_open()) continue;
    // Each publisher's schedule is shifted by its share of one interval, so
    // that together they send evenly rather than in bursts of P.
    double phase = static_cast<double>(i) / static_cast<double>(pubs.size());
    auto due = static_cast<uint64_t>(rate_per_pub * elapsed + phase) + 1;
    while (p.sent < due && !stopping.load(std::memory_order_relaxed)) {
      if (p.inflight.size() >= kMaxBacklog) {
        stats[thread].behind += due - p.sent;
        p.sent = due;  // skipped, not owed
        break;
      }
      publish_one(p);
    }
  }
  auto& timer = *tickers[thread];
  timer.expires_at(timer.expiry() + std::chrono::milliseconds(1));
  timer.async_wait([this, thread](boost::system::error_code ec) {
    if (!ec) tick(thread);
  });
}

// Runs `method` on `ws`'s own thread and returns its response frame.
asio::awaitable<std::string> call_on(std::shared_ptr<WsClient> ws, std::string method,
                                     std::string params) {
  auto call = [ws, method, params]() -> asio::awaitable<std::string> {
    co_return co_await ws->call(method, params);
  };
  co_return co_await asio::co_spawn(ws->io(), call, asio::use_awaitable);
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

bool is_result(const std::string& frame) { return frame.find(R"("result":)") != std::string::npos; }

std::string short_frame(const std::string& f) {
  return f.empty() ? std::string("(the connection ended)") : f.substr(0, 200);
}

void wait_until(const std::function<bool()>& done, double seconds) {
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (!done() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace

RunResult run_fanout(const Options& o, const Target& target, const std::string& tenant) {
  RunResult r;
  r.scenario = o.scenario;
  const bool persist = o.scenario == "persist";
  const size_t C = persist ? o.connections : o.conversations;
  const size_t P = persist ? o.connections : o.publishers;
  const size_t S = persist ? 0 : o.subscribers;
  r.params = {{"conversations", std::to_string(C)},
              {"subscribers", std::to_string(S)},
              {"publishers", std::to_string(P)},
              {"rate", o.rate > 0 ? std::to_string(static_cast<uint64_t>(o.rate)) : "max"},
              {"window", o.rate > 0 ? "-" : std::to_string(o.window)},
              {"size", std::to_string(o.message_bytes)},
              {"duration", seconds_text(o.duration)},
              {"threads", std::to_string(o.threads)}};
  if (C == 0 || P == 0) {
    ++r.check.failures;
    r.note("needs at least one conversation and one publisher");
    return r;
  }

  auto pool = std::make_unique<Pool>(o.threads);
  auto st = std::make_shared<State>();
  st->o = o;
  st->target = target;
  st->tenant = tenant;
  st->stats = std::vector<ThreadStats>(pool->size());
  st->convs.resize(C);
  st->pubs.resize(P);
  st->subs.resize(C * S);
  st->padding.assign(std::max<size_t>(o.message_bytes, 64), 'x');
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

  // Which conversations each publisher sends to: with fewer publishers than
  // conversations each takes every P-th one; with more, several share one.
  for (size_t p = 0; p < P; ++p) {
    auto& pub = st->pubs[p];
    pub.thread = p % pool->size();
    if (P <= C) {
      for (size_t c = p; c < C; c += P) pub.convs.push_back(static_cast<uint32_t>(c));
    } else {
      pub.convs.push_back(static_cast<uint32_t>(p % C));
    }
    pub.last_ack.assign(pub.convs.size(), 0);
    for (auto c : pub.convs) ++st->convs[c].publishers;
  }

  // 1. Publishers connect and authenticate.
  // Opens socket number `index` on `thread` (the calling job's own) and
  // authenticates it.
  auto open = [&, st](size_t thread, size_t index, std::string user,
                      std::shared_ptr<WsClient>& slot) -> asio::awaitable<bool> {
    auto ws = std::make_shared<WsClient>(pool->io(thread));
    std::string err = co_await ws->connect(target.broker, sources[index % sources.size()]);
    if (!err.empty()) {
      setup_fail(user + ": " + err);
      co_return false;
    }
    std::string auth = co_await ws->call("authenticate", dev_identity(user, "agent", tenant));
    if (!is_result(auth)) {
      setup_fail(user + ": authenticate: " + short_frame(auth));
      co_return false;
    }
    slot = std::move(ws);
    co_return true;
  };
  // The jobs use the locals above: the threads stop before those go, even
  // when a set-up step timed out with jobs still running.
  struct StopFirst {
    Pool& pool;
    ~StopFirst() { pool.stop(); }
  } stop_first{*pool};
  pool->run_jobs(
      P, o.concurrency,
      [&](size_t i, size_t thread) -> asio::awaitable<void> {
        co_await open(thread, i, "pub" + std::to_string(i), st->pubs[i].ws);
      },
      setup_timeout);

  // 2. Conversation c is created by publisher c % P; the other publishers
  // that send to it join.
  pool->run_jobs(
      C, o.concurrency,
      [&](size_t c, size_t) -> asio::awaitable<void> {
        auto& creator = st->pubs[c % P];
        if (!creator.ws) co_return;
        std::string res = co_await call_on(creator.ws, "createConversation", "{}");
        std::string id(string_after(res, R"("id":)", res.find(R"("result":)")));
        if (id.empty()) {
          setup_fail("createConversation: " + short_frame(res));
          co_return;
        }
        auto& conv = st->convs[c];
        conv.id = id;
        conv.setup_seq = u64_after(res, R"("lastSeq":)").value_or(0);
        conv.send_prefix = R"({"conversationId":")" + id + R"(","text":")";
      },
      setup_timeout);
  pool->run_jobs(
      P > C ? P - C : 0, o.concurrency,
      [&](size_t k, size_t) -> asio::awaitable<void> {
        auto& pub = st->pubs[C + k];
        auto& conv = st->convs[pub.convs.front()];
        if (!pub.ws || conv.id.empty()) co_return;
        std::string res =
            co_await call_on(pub.ws, "join", R"({"conversationId":")" + conv.id + "\"}");
        if (!is_result(res)) setup_fail("join: " + short_frame(res));
      },
      setup_timeout);

  // 3. Subscribers: subscriber i follows conversation i % C.
  pool->run_jobs(
      C * S, o.concurrency,
      [&](size_t i, size_t thread) -> asio::awaitable<void> {
        auto& sub = st->subs[i];
        sub.conv = static_cast<uint32_t>(i % C);
        sub.thread = thread;
        const auto& conv = st->convs[sub.conv];
        if (conv.id.empty()) co_return;
        std::shared_ptr<WsClient> ws;
        bool opened = co_await open(thread, P + i, "sub" + std::to_string(i), ws);
        if (!opened) co_return;
        std::string res =
            co_await call_on(ws, "subscribe", R"({"conversationId":")" + conv.id + "\"}");
        auto last = u64_after(res, R"("lastSeq":)");
        if (!is_result(res) || !last) {
          setup_fail("subscribe: " + short_frame(res));
          co_return;
        }
        sub.last_seq = *last;
        sub.ws = std::move(ws);
      },
      setup_timeout);

  r.check.add(setup);
  for (auto& n : setup_notes) r.note(n);
  if (!setup.ok()) {
    r.note("set-up failed: nothing measured");
    return r;
  }

  // 4. Publish. Callbacks are installed on each socket's own thread.
  st->rate_per_pub = o.rate / static_cast<double>(P);
  st->budget.store(o.max_messages);
  st->start_ns = now_ns();
  st->window_start_ns = st->start_ns + static_cast<int64_t>(o.warmup * 1e9);
  st->window_end_ns = st->window_start_ns + static_cast<int64_t>(o.duration * 1e9);
  for (size_t t = 0; t < pool->size(); ++t)
    st->tickers.push_back(std::make_unique<asio::steady_timer>(pool->io(t)));
  pool->on_each([&, st](size_t thread) {
    for (auto& sub : st->subs) {
      if (sub.thread != thread) continue;
      Subscriber* s = &sub;
      sub.ws->on_push = [st, s](std::string_view f) { st->on_event(*s, f); };
      sub.ws->on_end = [st, s] {
        if (st->closing.load()) return;
        auto& ts = st->stats[s->thread];
        ++ts.check.failures;
        ts.note("a subscriber's socket ended (close code " + std::to_string(s->ws->close_code()) +
                ")");
      };
    }
    for (auto& pub : st->pubs) {
      if (pub.thread != thread) continue;
      Publisher* p = &pub;
      for (size_t k = 0; k < p->convs.size(); ++k) p->last_ack[k] = st->convs[p->convs[k]].setup_seq;
      pub.ws->on_response = [st, p](uint64_t, std::string_view f) { st->on_ack(*p, f); };
      pub.ws->on_end = [st, p] {
        if (st->closing.load()) return;
        auto& ts = st->stats[p->thread];
        ++ts.check.failures;
        ts.note("a publisher's socket ended (close code " + std::to_string(p->ws->close_code()) +
                ")");
      };
      if (o.rate == 0)
        for (size_t k = 0; k < o.window; ++k) st->publish_one(*p);
    }
    if (o.rate > 0) {
      auto& timer = *st->tickers[thread];
      timer.expires_at(Clock::time_point(Clock::duration(st->start_ns)));
      timer.async_wait([st, thread](boost::system::error_code ec) {
        if (!ec) st->tick(thread);
      });
    }
  });
  // CPU used during the measured window, by the tool and by the broker:
  // tells which of the two was the limit.
  wait_until([&] { return now_ns() >= st->window_start_ns; }, o.warmup + 1);
  CostMeter meter(target.broker_pid, o.redis_pid, false);
  wait_until([&] { return st->stopping.load() || now_ns() >= st->window_end_ns; },
             o.duration + 1);
  const Costs costs = meter.elapsed();
  st->stopping.store(true);

  // 5. The tail: every publisher has its answers, then every subscriber
  // reaches the last seq of its conversation.
  wait_until(
      [&] {
        std::atomic<bool> ok{true};
        pool->on_each([&](size_t thread) {
          for (auto& p : st->pubs)
            if (p.thread == thread && !p.inflight.empty() && p.ws->is_open()) ok = false;
        });
        return ok.load();
      },
      o.drain_timeout);
  std::vector<uint64_t> final_seq(C, 0);
  pool->on_each([&](size_t thread) {
    static std::mutex mu;
    std::lock_guard lk(mu);
    for (auto& p : st->pubs)
      if (p.thread == thread)
        for (size_t k = 0; k < p.convs.size(); ++k)
          final_seq[p.convs[k]] = std::max(final_seq[p.convs[k]], p.last_ack[k]);
  });
  wait_until(
      [&] {
        std::atomic<bool> ok{true};
        pool->on_each([&](size_t thread) {
          for (auto& s : st->subs)
            if (s.thread == thread && s.last_seq < final_seq[s.conv] && s.ws->is_open())
              ok = false;
        });
        return ok.load();
      },
      o.drain_timeout);
  const int64_t finished_ns = now_ns();

  // 6. Close everything, stop the threads, then read the figures.
  st->closing.store(true);
  close_all(*pool, st->pubs, st->subs);

  ThreadStats total = sum_threads(st->stats, r);
  uint64_t missing = 0, unanswered = 0;
  for (auto& s : st->subs)
    if (s.last_seq < final_seq[s.conv]) missing += final_seq[s.conv] - s.last_seq;
  for (auto& p : st->pubs) unanswered += p.inflight.size();
  if (missing) {
    r.check.gaps += missing;
    r.note(std::to_string(missing) + " events never reached their subscribers");
  }
  if (unanswered) {
    r.check.failures += unanswered;
    r.note(std::to_string(unanswered) + " requests never answered");
  }
  FigureOptions f;
  f.window_s = o.duration;
  f.has_server = target.broker_pid != 0;
  f.has_redis = o.redis_pid != 0;
  f.persist = persist;
  f.server = "broker";
  report_figures(r, total, costs, f, static_cast<double>(finished_ns - st->window_end_ns) / 1e6);
  return r;
}

}  // namespace bench
