// fanout, latency and persist: P publishers send sendMessage requests into
// C conversations, each followed by S subscribers.
//
// Flat out, every publisher keeps `window` requests in flight and sends the
// next when an answer comes; at a --rate, one timer per thread sends what is
// due (ticker.hpp; open loop: a slow broker builds a backlog, which shows as
// latency, rather than slowing the senders down). Each text starts with its
// send time (steady clock, ns), so a subscriber knows the end-to-end latency
// of every event it reads. Every subscriber checks that seq goes up by one
// (delivery_check.hpp); at the end, after the publishers have their last
// answers, every subscriber must have reached the last seq of its
// conversation. The load, the tail and the teardown are the ones the peers'
// scenario uses too (load.hpp).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <memory>

#include "load.hpp"
#include "pool.hpp"
#include "scan.hpp"
#include "scenario.hpp"
#include "ws_client.hpp"

namespace bench {

namespace {

constexpr std::string_view kEventPrefix = R"({"jsonrpc":"2.0","method":"event","params":{)";

struct Conv {
  std::string id;
  std::string send_prefix;  // {"conversationId":"ID","text":"
  uint64_t setup_seq = 0;   // lastSeq when publishing starts
  size_t publishers = 0;    // how many publish into it
};

struct Publisher {
  std::shared_ptr<WsClient> ws;
  size_t thread = 0;
  std::vector<uint32_t> convs;     // conversation indexes it sends to
  std::vector<uint64_t> last_ack;  // per entry of convs: highest seq acknowledged
  size_t next = 0;
  std::deque<InFlight> inflight;  // answers come in request order; key: index into convs
  uint64_t scheduled = 0;         // --rate: sends due so far, skipped ones included
};

struct Subscriber {
  std::shared_ptr<WsClient> ws;
  size_t thread = 0;
  uint32_t conv = 0;
  uint64_t last_seq = 0;
};

struct State : Load {
  using Load::Load;
  std::vector<Conv> convs;
  std::vector<Publisher> pubs;
  std::vector<Subscriber> subs;
  std::string padding;

  void publish_one(Publisher& p);
  void on_ack(Publisher& p, std::string_view frame);
  void on_event(Subscriber& s, std::string_view frame);
};

void State::publish_one(Publisher& p) {
  if (o.max_messages && !take_send()) return;
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
  ++stats[p.thread].sent;
}

void State::on_ack(Publisher& p, std::string_view frame) {
  ThreadStats& s = stats[p.thread];
  InFlight f;
  if (!pop_answered(s, p.inflight, "an answer nobody asked for: ", frame, f)) return;
  int64_t now = ns_of(p.ws->batch_time());
  count_ack(s, f.sent_ns, now);
  auto seq = u64_after(frame, R"("seq":)");
  if (!seq || frame.find(R"("error":)") != std::string_view::npos) {
    s.fail("sendMessage failed: ", frame);
  } else {
    uint64_t& last = p.last_ack[f.key];
    // With one publisher per conversation its answers must count up by one.
    if (convs[p.convs[f.key]].publishers == 1)
      check_next(s.check, last, *seq);
    else
      last = std::max(last, *seq);
  }
  if (send_next(now)) publish_one(p);
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
    s.fail("an event without seq: ", frame);
    return;
  }
  check_next(s.check, sub.last_seq, *seq);
  int64_t now = ns_of(sub.ws->batch_time());
  count_delivery(s, now);
  // The text is in the body, the event's last field: start near the end.
  size_t body = frame.size() > o.message_bytes + 64 ? frame.size() - o.message_bytes - 64 : 0;
  auto sent = u64_after(frame, R"("text":"t)", std::max(body, kEventPrefix.size()));
  if (sent) count_e2e(s, static_cast<int64_t>(*sent), now);
}

// Runs `method` on `ws`'s own thread and returns its response frame.
asio::awaitable<std::string> call_on(std::shared_ptr<WsClient> ws, std::string method,
                                     std::string params) {
  auto call = [ws, method, params]() -> asio::awaitable<std::string> {
    co_return co_await ws->call(method, params);
  };
  co_return co_await asio::co_spawn(ws->io(), call, asio::use_awaitable);
}

bool is_result(const std::string& frame) { return frame.find(R"("result":)") != std::string::npos; }

std::string short_frame(const std::string& f) {
  return f.empty() ? std::string("(the connection ended)") : f.substr(0, 200);
}

}  // namespace

RunResult run_fanout(const Options& o, const Target& target, const std::string& tenant) {
  RunResult r;
  r.scenario = o.scenario;
  const bool persist = o.scenario == "persist";
  const size_t C = persist ? o.connections : o.conversations;
  const size_t P = persist ? o.connections : o.publishers;
  const size_t S = persist ? 0 : o.subscribers;
  r.params = fanout_params(o, C, S, P);
  if (C == 0 || P == 0) {
    ++r.check.failures;
    r.note("needs at least one conversation and one publisher");
    return r;
  }

  auto pool = std::make_unique<Pool>(o.threads);
  auto st = std::make_shared<State>(o, pool->size());
  st->convs.resize(C);
  st->pubs.resize(P);
  st->subs.resize(C * S);
  st->padding.assign(std::max<size_t>(o.message_bytes, 64), 'x');
  const auto setup_timeout = std::chrono::milliseconds(static_cast<int64_t>(o.setup_timeout * 1e3));
  const auto sources = source_addresses(o, P + C * S);
  SetupFailures setup;

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
  // (Subscribers go to target.subscribers: a second node, or the same.)
  auto open = [&, st](size_t thread, size_t index, std::string user,
                      std::shared_ptr<WsClient>& slot) -> asio::awaitable<bool> {
    auto ws = std::make_shared<WsClient>(pool->io(thread));
    const auto& to = index < P ? target.broker : target.subscribers;
    std::string err = co_await ws->connect(to, sources[index % sources.size()]);
    if (!err.empty()) {
      setup.add(user + ": " + err);
      co_return false;
    }
    std::string auth = co_await ws->call("authenticate", dev_identity(user, "agent", tenant));
    if (!is_result(auth)) {
      setup.add(user + ": authenticate: " + short_frame(auth));
      co_return false;
    }
    slot = std::move(ws);
    co_return true;
  };
  // The jobs use the locals above: the threads stop before those go, even
  // when a set-up step timed out with jobs still running.
  Pool::StopOnExit stop_first{*pool};
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
          setup.add("createConversation: " + short_frame(res));
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
        if (!is_result(res)) setup.add("join: " + short_frame(res));
      },
      setup_timeout);

  // 3. Subscribers: subscriber i follows conversation i % C.
  place_subscribers(st->subs, C, pool->size());
  pool->run_jobs(
      C * S, o.concurrency,
      [&](size_t i, size_t thread) -> asio::awaitable<void> {
        auto& sub = st->subs[i];
        const auto& conv = st->convs[sub.conv];
        if (conv.id.empty()) co_return;
        std::shared_ptr<WsClient> ws;
        bool opened = co_await open(thread, P + i, "sub" + std::to_string(i), ws);
        if (!opened) co_return;
        std::string res =
            co_await call_on(ws, "subscribe", R"({"conversationId":")" + conv.id + "\"}");
        auto last = u64_after(res, R"("lastSeq":)");
        if (!is_result(res) || !last) {
          setup.add("subscribe: " + short_frame(res));
          co_return;
        }
        sub.last_seq = *last;
        sub.ws = std::move(ws);
      },
      setup_timeout);

  if (!setup.report(r)) return r;

  // 4. The callbacks, installed on each socket's own thread; then publish.
  auto events = [st](Subscriber& s) {
    s.ws->on_push = [st, sub = &s](std::string_view f) { st->on_event(*sub, f); };
  };
  auto answers = [st](Publisher& p) {
    for (size_t k = 0; k < p.convs.size(); ++k) p.last_ack[k] = st->convs[p.convs[k]].setup_seq;
    p.ws->on_response = [st, pub = &p](uint64_t, std::string_view f) { st->on_ack(*pub, f); };
  };
  st->attach(*pool, st->pubs, st->subs, events, answers);
  State* state = st.get();
  st->publish(
      *pool, st->pubs, [state](Publisher& p) { state->publish_one(p); }, target.broker_pid, false);

  // 5. The tail: every publisher has its answers, then every subscriber
  // reaches the last seq of its conversation.
  st->wait_for_answers(*pool, st->pubs);
  std::vector<uint64_t> final_seq(C, 0);
  pool->on_each([&](size_t thread) {
    static std::mutex mu;
    std::lock_guard lk(mu);
    for (auto& p : st->pubs)
      if (p.thread == thread)
        for (size_t k = 0; k < p.convs.size(); ++k)
          final_seq[p.convs[k]] = std::max(final_seq[p.convs[k]], p.last_ack[k]);
  });
  st->wait_for_deliveries(*pool, st->subs,
                          [&](Subscriber& s) { return s.last_seq >= final_seq[s.conv]; });

  // 6. Close everything, stop the threads, then read the figures.
  FigureOptions f;
  f.has_server = target.broker_pid != 0;
  f.persist = persist;
  f.server = "broker";
  st->finish(
      r, *pool, st->pubs, st->subs,
      [&](Subscriber& s) { return missed(s.last_seq, final_seq[s.conv]); },
      {"events", "requests never answered"}, f);
  return r;
}

}  // namespace bench
