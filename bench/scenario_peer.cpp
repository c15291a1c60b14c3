// fanout and latency against a peer broker (--peer nchan|socketio, for
// bench/compare.sh): the same load, counters, checks and figures as
// scenario_fanout.cpp (load.hpp, ticker.hpp, delivery_check.hpp), through
// a Peer adapter (peer.hpp) instead of Parley's JSON-RPC. Kept apart from
// Parley's set-up and frames so that path stays as it is; the figures are
// computed the same way and carry the same keys.
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
#include <deque>
#include <memory>
#include <thread>

#include "load.hpp"
#include "peer.hpp"
#include "pool.hpp"
#include "scenario.hpp"

namespace bench {

namespace {

constexpr std::string_view kProbe = "probe";

struct Conv {
  std::string channel;
  uint32_t publishers = 0;
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
  uint64_t probes_out = 0;        // probes not yet acknowledged
  std::deque<InFlight> inflight;  // key: the publish's id
};

struct Subscriber {
  std::shared_ptr<WsClient> ws;
  size_t thread = 0;
  uint32_t conv = 0;
  bool ready = false;          // has seen a probe
  std::vector<uint64_t> last;  // per publisher of the conversation: last counter
};

struct State : Load {
  using Load::Load;
  Peer* peer = nullptr;
  std::vector<Conv> convs;
  std::vector<Publisher> pubs;
  std::vector<Subscriber> subs;

  void probe(Publisher& p);
  void publish_one(Publisher& p);
  void on_publisher_frame(Publisher& p, std::string_view frame);
  void on_subscriber_frame(Subscriber& s, std::string_view frame);
};

void State::probe(Publisher& p) {
  peer->publish(*p.ws, convs[p.conv].channel, kProbe, p.next_id++);
  ++p.probes_out;
}

void State::publish_one(Publisher& p) {
  if (o.max_messages && !take_send()) return;
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
    s.fail("publish failed: ", frame);
    return;
  }
  if (p.probes_out > 0) {  // probes are all answered before publishing starts
    --p.probes_out;
    return;
  }
  InFlight f;
  if (!pop_answered(s, p.inflight, "an acknowledgement nobody asked for: ", frame, f)) return;
  if (id != 0 && id != f.key) {
    ++s.check.out_of_order;
    s.note("ack " + std::to_string(id) + " came when " + std::to_string(f.key) + " was due");
  }
  ++p.acked;
  int64_t now = ns_of(p.ws->batch_time());
  count_ack(s, f.sent_ns, now);
  if (send_next(now)) publish_one(p);
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
    s.fail("not a message of this run: ", frame);
    return;
  }
  check_next(s.check, sub.last[stamp->publisher], stamp->counter);
  int64_t now = ns_of(sub.ws->batch_time());
  count_delivery(s, now);
  count_e2e(s, stamp->sent_ns, now);
}

}  // namespace

RunResult run_fanout_peer(const Options& o, const Target& target, Peer& peer,
                          const std::string& tenant) {
  RunResult r;
  r.scenario = o.scenario;
  const size_t C = o.conversations, P = o.publishers, S = o.subscribers;
  r.params = fanout_params(o, C, S, P);
  r.params.insert(r.params.begin(), {"peer", peer.name()});
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
  auto st = std::make_shared<State>(o, pool->size());
  st->peer = &peer;
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
  SetupFailures setup;
  Pool::StopOnExit stop_first{*pool};

  // 1. Subscribers first, then publishers (a Socket.IO room exists once
  // somebody is in it; Nchan creates a channel on either side). Opens
  // socket number `index` on `thread` (the calling job's own) for `who`,
  // following conversation `conv`.
  auto open = [&](size_t thread, size_t index, bool subscriber, uint32_t conv, std::string who,
                  std::shared_ptr<WsClient>& slot) -> asio::awaitable<void> {
    auto ws = std::make_shared<WsClient>(pool->io(thread));
    ws->hold_pushes();
    const auto source = sources[index % sources.size()];
    const auto& channel = st->convs[conv].channel;
    std::string err;
    if (subscriber)
      err = co_await peer.open_subscriber(*ws, target.broker, source, channel);
    else
      err = co_await peer.open_publisher(*ws, target.broker, source, channel);
    if (!err.empty()) {
      setup.add(who + ": " + err);
      co_return;
    }
    slot = std::move(ws);
  };
  place_subscribers(st->subs, C, pool->size());
  pool->run_jobs(
      C * S, o.concurrency,
      [&](size_t i, size_t thread) -> asio::awaitable<void> {
        auto& sub = st->subs[i];
        sub.last.assign(st->convs[sub.conv].publishers, 0);
        co_await open(thread, P + i, true, sub.conv, "subscriber " + std::to_string(i), sub.ws);
      },
      setup_timeout);
  pool->run_jobs(
      P, o.concurrency,
      [&](size_t i, size_t thread) -> asio::awaitable<void> {
        auto& pub = st->pubs[i];
        co_await open(thread, i, false, pub.conv, "publisher " + std::to_string(i), pub.ws);
      },
      setup_timeout);
  if (!setup.report(r)) return r;

  // 2. The handlers, on each socket's own thread; frames held since the
  // upgrade go to them first.
  st->attach(
      *pool, st->pubs, st->subs,
      [st](Subscriber& s) {
        s.ws->on_push = [st, sub = &s](std::string_view f) { st->on_subscriber_frame(*sub, f); };
      },
      [st](Publisher& p) {
        p.ws->on_push = [st, pub = &p](std::string_view f) { st->on_publisher_frame(*pub, f); };
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

  // 4. Publish. CPU of the tool and of the server (its worker processes
  // included).
  State* state = st.get();
  st->publish(
      *pool, st->pubs, [state](Publisher& p) { state->publish_one(p); }, target.broker_pid, true);

  // 5. The tail: every ack, then every subscriber at every publisher's
  // last acknowledged counter.
  st->wait_for_answers(*pool, st->pubs);
  std::vector<std::vector<uint64_t>> final_counter(C);
  for (size_t c = 0; c < C; ++c) final_counter[c].assign(st->convs[c].publishers, 0);
  pool->on_each([&](size_t thread) {
    for (auto& p : st->pubs)
      if (p.thread == thread) final_counter[p.conv][p.index] = p.acked;  // own slot: no race
  });
  // How many of its publishers' messages subscriber s has not seen.
  auto missing = [&](Subscriber& s) {
    uint64_t n = 0;
    for (size_t k = 0; k < s.last.size(); ++k) n += missed(s.last[k], final_counter[s.conv][k]);
    return n;
  };
  st->wait_for_deliveries(*pool, st->subs, [&](Subscriber& s) { return missing(s) == 0; });

  // 6. Close, stop the threads, read the figures.
  FigureOptions f;
  f.has_server = target.broker_pid != 0;
  f.server = "server";
  st->finish(r, *pool, st->pubs, st->subs, missing, {"messages", "publishes never acknowledged"},
             f);
  return r;
}

}  // namespace bench
