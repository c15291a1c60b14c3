// Redis Cluster failover under traffic (issue 14): kill -9 of the master of
// a busy conversation while four senders (two sockets on each of two broker
// nodes) keep sending, each its next message as soon as the last one was
// answered, so several are in flight when the master dies and nothing waits
// for the replicas to catch up first. A 503 is sent again 20 ms later with
// the same clientMessageId, as a client does. Afterwards every sender went
// on, the log is dense, no message is in it twice, and two followers (one
// per node) saw exactly the log. With --redis-wait-replicas 1 every
// acknowledged message is in the log at its seq; without it (a measurement
// run by hand, skipped by default) the loss is counted and reported.
//
// The cluster has 3 masters with 2 replicas each, so the promoted replica
// still has one replica and WAIT 1 is satisfied again after the failover
// (with one replica each, writes with --redis-wait-replicas 1 stop until a
// replica is back: docs/operations.md).
#include <atomic>
#include <map>
#include <optional>
#include <thread>

#include "redis_cluster_support.hpp"

using namespace parley::it;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Sender {
  std::unique_ptr<WsClient> ws;
  std::string name;
  std::vector<std::pair<int64_t, std::string>> acked;  // seq, text
  std::atomic<int> acked_n{0}, acked_after_kill{0};  // read by the test thread meanwhile
  std::atomic<bool> failed{false};
  std::vector<SteadyClock::time_point> refused;  // each 503
  std::string failure;                           // anything but an ack or a 503
};

// Sends s.name-0, s.name-1, ... until `stop`; each until acknowledged.
void send_loop(Sender& s, const std::string& id, const std::atomic<bool>& stop,
               const std::atomic<bool>& killed) {
  try {
    for (int i = 0; !stop; ++i) {
      const std::string text = s.name + "-" + std::to_string(i);
      const std::string params = "{\"conversationId\":" + quote(id) + ",\"text\":" + quote(text) +
                                 ",\"clientMessageId\":" + quote("cm-" + text) + "}";
      for (int attempt = 0;; ++attempt) {
        Json r = s.ws->request("sendMessage", params, Millis(10000));
        if (r.has("/result/seq")) {
          s.acked.emplace_back(r.get_int("/result/seq"), text);
          ++s.acked_n;
          if (killed) ++s.acked_after_kill;
          break;
        }
        if (!r.has("/error/code") || r.get_int("/error/code") != 503 || attempt >= 1500) {
          s.failure = r.frame();
          s.failed = true;
          return;
        }
        s.refused.push_back(SteadyClock::now());
        std::this_thread::sleep_for(Millis(20));
      }
    }
  } catch (const std::exception& e) {
    s.failure = s.name + ": " + e.what();
    s.failed = true;
  }
}

// Every event of the conversation, seq -> the message text ("" for events
// that are not messages), read back through queryMessages pages.
std::map<int64_t, std::string> read_log(WsClient& c, const std::string& id, int64_t& last_seq) {
  std::map<int64_t, std::string> log;
  for (int64_t from = 1;;) {
    Json page = c.call("queryMessages", obj({{"conversationId", id}, {"fromSeq", from},
                                             {"limit", 200}}));
    last_seq = page.get_int("/lastSeq");
    int64_t seen = 0;
    for (const Json& e : page.items("/data")) {
      const int64_t seq = e.get_int("/seq");
      log[seq] = e.has("/body/text") ? e.get_string("/body/text") : std::string();
      seen = seq;
    }
    if (seen == 0 || seen >= last_seq) return log;
    from = seen + 1;
  }
}

struct FailoverFigures {
  int64_t acked = 0, lost = 0, refused = 0;
  long long last_refusal_ms = 0;  // after the kill
};

FailoverFigures failover_under_traffic(int wait_replicas) {
  RedisCluster c(3, 2);
  // Every master's two replicas are online (done with the first sync:
  // only those acknowledge, and WAIT counts them).
  REQUIRE(wait_until(
      [&] {
        int online = 0;
        for (size_t i = 0; i < c.size(); ++i) {
          const std::string info = c.node(i).command({"INFO", "replication"});
          for (auto at = info.find("state=online"); at != std::string::npos;
               at = info.find("state=online", at + 1))
            ++online;
        }
        return online == 6;
      },
      std::chrono::seconds(30)));
  std::vector<std::string> more = {"--rate-per-sec", "100000", "--rate-burst", "100000"};
  if (wait_replicas > 0)
    for (const std::string& a : {std::string("--redis-wait-replicas"),
                                 std::to_string(wait_replicas),
                                 std::string("--redis-wait-timeout-ms"), std::string("300")})
      more.push_back(a);
  BrokerProcess node1(cluster_node_args(c, "n1", more)), node2(cluster_node_args(c, "n2", more));
  REQUIRE(storage_ready(node1.port()));
  REQUIRE(storage_ready(node2.port()));

  // ann (a consumer, node 1) and bob (an agent, node 2) follow it.
  auto ann = login(node1.port(), "ann", "consumer", "acme");
  auto bob = login(node2.port(), "bob", "agent", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  bob->call("join", obj({{"conversationId", id}}));
  Subscription ann_sub = subscribe(*ann, id);
  Subscription bob_sub = subscribe(*bob, id);
  EventFollower ann_events(*ann, id, ann_sub.last_seq), bob_events(*bob, id, bob_sub.last_seq);
  while (ann_events.last_seq() < bob_sub.last_seq) ann_events.next();

  std::vector<std::unique_ptr<Sender>> senders;
  for (int i = 0; i < 4; ++i) {
    auto s = std::make_unique<Sender>();
    const bool first = i < 2;
    s->ws = login(first ? node1.port() : node2.port(), first ? "ann" : "bob",
                  first ? "consumer" : "agent", "acme");
    s->name = "s" + std::to_string(i);
    senders.push_back(std::move(s));
  }
  std::atomic<bool> stop{false}, killed{false};
  std::vector<std::thread> threads;
  for (auto& s : senders) threads.emplace_back(send_loop, std::ref(*s), id, std::cref(stop),
                                               std::cref(killed));
  auto all_senders = [&](auto pred) {
    for (auto& s : senders)
      if (s->failed || !pred(*s)) return false;
    return true;
  };
  // Traffic flows on both nodes; then the master dies under it.
  const int slot = slot_of(c, id);
  RedisServer* master = c.master_of(slot);
  REQUIRE(master);
  const bool flowing = wait_until(
      [&] { return all_senders([](Sender& s) { return s.acked_n.load() >= 20; }); },
      std::chrono::seconds(20));
  killed = true;
  master->kill_hard();
  const auto kill_at = SteadyClock::now();
  // Every sender goes on: 20 acknowledged after the kill, each.
  const bool went_on = flowing && wait_until([&] {
    return all_senders([](Sender& s) { return s.acked_after_kill.load() >= 20; });
  }, std::chrono::seconds(60));
  stop = true;
  for (auto& t : threads) t.join();
  for (auto& s : senders) CHECK_MESSAGE(s->failure.empty(), s->failure);
  CHECK(flowing);
  CHECK(went_on);
  CHECK(c.master_of(slot) != master);

  FailoverFigures f;
  for (auto& s : senders)
    for (auto at : s->refused) {
      if (at < kill_at) continue;
      ++f.refused;
      f.last_refusal_ms = std::max<long long>(
          f.last_refusal_ms,
          std::chrono::duration_cast<std::chrono::milliseconds>(at - kill_at).count());
    }

  // The log: dense, each message once; every acknowledged one at its seq.
  int64_t last_seq = 0;
  const auto log = read_log(*bob, id, last_seq);
  CHECK(static_cast<int64_t>(log.size()) == last_seq);
  CHECK((log.empty() || (log.begin()->first == 1 && log.rbegin()->first == last_seq)));
  std::map<std::string, int> copies;
  for (const auto& [seq, text] : log)
    if (!text.empty()) ++copies[text];
  for (const auto& [text, n] : copies) CHECK_MESSAGE(n == 1, text << " is in the log " << n << " times");
  for (auto& s : senders)
    for (const auto& [seq, text] : s->acked) {
      ++f.acked;
      auto at = log.find(seq);
      if (at != log.end() && at->second == text) continue;
      ++f.lost;
      MESSAGE("acknowledged " << text << " at seq " << seq << "; the log has "
                              << (at == log.end() ? std::string("nothing") : at->second)
                              << " there, and " << text << " " << copies.count(text)
                              << " times elsewhere");
    }
  // The followers saw the log as it is, in order (EventFollower checks
  // seq = previous + 1), through the failover.
  for (EventFollower* follower : {&ann_events, &bob_events}) {
    int64_t differ = 0;
    while (follower->last_seq() < last_seq) {
      Json e = follower->next(Millis(20000));
      const std::string text = e.has("/body/text") ? e.get_string("/body/text") : std::string();
      if (log.at(e.get_int("/seq")) != text) ++differ;
    }
    if (wait_replicas > 0) CHECK(differ == 0);
    else if (differ > 0) MESSAGE(differ << " events a follower saw are not the log's (lost acks)");
  }
  MESSAGE("--redis-wait-replicas " << wait_replicas << ": " << f.acked << " acknowledged, "
          << f.lost << " lost; " << f.refused << " sends answered 503 after the kill, the last "
          << f.last_refusal_ms << " ms after it");
  return f;
}

}  // namespace

TEST_CASE("redis cluster: kill -9 of a busy master with --redis-wait-replicas 1 loses nothing") {
  const FailoverFigures f = failover_under_traffic(1);
  CHECK(f.acked > 0);
  CHECK(f.lost == 0);
}

// A measurement for docs/operations.md, not a check: without WAIT, what the
// same failover loses (often nothing on loopback, where the replicas keep
// up). Run by hand: build/parley_integration --no-skip -tc='*without*'
TEST_CASE("redis cluster: kill -9 of a busy master without --redis-wait-replicas (measured)" *
          doctest::skip()) {
  const FailoverFigures f = failover_under_traffic(0);
  CHECK(f.acked > 0);
}
