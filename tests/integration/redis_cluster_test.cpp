// Broker nodes on a Redis Cluster (--redis-cluster): two nodes converse on
// a 3-master cluster; a busy conversation's slot moves to another master
// while clients on both nodes send and follow it. Every acknowledged
// message arrives exactly once and in order (EventFollower checks
// seq = last + 1 on each event). A master killed under traffic:
// redis_cluster_failover_test.cpp.
#include <atomic>
#include <functional>
#include <optional>
#include <thread>

#include "redis_cluster_support.hpp"

using namespace parley::it;

namespace {

// The talks below go on for as long as a move takes, flat out.
const std::vector<std::string> kNoRateLimit = {"--rate-per-sec", "100000", "--rate-burst",
                                               "100000"};

struct ClusterNodes {
  explicit ClusterNodes(RedisCluster& c)
      : node1(std::make_unique<BrokerProcess>(cluster_node_args(c, "n1", kNoRateLimit))),
        node2(std::make_unique<BrokerProcess>(cluster_node_args(c, "n2", kNoRateLimit))) {
    REQUIRE(storage_ready(node1->port()));
    REQUIRE(storage_ready(node2->port()));
  }
  std::unique_ptr<BrokerProcess> node1, node2;
};

// sendMessage until it is acknowledged: a 503 (the slot moving, a master
// failing over) is retried with the same clientMessageId, as a client
// does, so a retry never makes a second copy. Returns the seq.
int64_t send_until_acked(WsClient& sender, const std::string& id, const std::string& text,
                         int* retries) {
  const std::string params = "{\"conversationId\":" + quote(id) + ",\"text\":" + quote(text) +
                             ",\"clientMessageId\":" + quote("cm-" + text) + "}";
  for (int attempt = 0; attempt < 400; ++attempt) {
    Json r = sender.request("sendMessage", params);
    if (r.has("/result/seq")) return r.get_int("/result/seq");
    INFO(r.frame());
    REQUIRE(r.get_int("/error/code") == 503);
    ++*retries;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL("sendMessage never acknowledged: " << text);
  return 0;
}

// ann (a consumer, on node 1) and bob (an agent, on node 2) in one
// conversation of tenant "acme", both following its events. With `cost`,
// ann creates `candidates` conversations and they talk in the cheapest.
struct Talk {
  Talk(uint16_t port1, uint16_t port2, int candidates = 1,
       const std::function<long(const std::string&)>& cost = nullptr)
      : ann(login(port1, "ann", "consumer", "acme")), bob(login(port2, "bob", "agent", "acme")) {
    id = create_conversation(*ann).get_string("/id");
    for (int i = 1; i < candidates; ++i) {
      std::string other = create_conversation(*ann).get_string("/id");
      if (cost(other) < cost(id)) id = other;
    }
    CHECK(bob->call("getConversation", obj({{"conversationId", id}})).get_string("/id") == id);
    bob->call("join", obj({{"conversationId", id}}));
    Subscription ann_sub = subscribe(*ann, id);
    Subscription bob_sub = subscribe(*bob, id);
    CHECK(ann_sub.epoch == bob_sub.epoch);
    ann_events.emplace(*ann, id, ann_sub.last_seq);
    bob_events.emplace(*bob, id, bob_sub.last_seq);
    // bob's member.joined may have been committed before ann subscribed.
    while (ann_events->last_seq() < bob_sub.last_seq) ann_events->next();
  }
  // One message, from ann and bob in turn, acknowledged (after retries),
  // then seen by both, next in line, with its text.
  void exchange(Millis wait = kWait) {
    WsClient& sender = sent % 2 == 0 ? *ann : *bob;
    const std::string text = "m" + std::to_string(sent++);
    const int64_t seq = send_until_acked(sender, id, text, &retries);
    Json a = ann_events->next(wait);
    Json b = bob_events->next(wait);
    CHECK(a.get_int("/seq") == seq);
    CHECK(b.get_int("/seq") == seq);
    CHECK(a.get_string("/body/text") == text);
    CHECK(b.get_string("/body/text") == text);
  }
  // The stored log is dense and ends where the followers are.
  void check_log() {
    Json page = bob->call("queryMessages", obj({{"conversationId", id}, {"limit", 200}}));
    CHECK(page.get_int("/lastSeq") == bob_events->last_seq());
    int64_t expect = 1;
    for (const Json& e : page.items("/data")) CHECK(e.get_int("/seq") == expect++);
  }
  std::unique_ptr<WsClient> ann, bob;
  std::string id;
  std::optional<EventFollower> ann_events, bob_events;
  int retries = 0, sent = 0;
};

}  // namespace

// Runs `move` on a thread while ann and bob keep talking; then 10 more
// messages, and the log checked. Returns what `move` returned.
bool talk_while(Talk& t, const std::function<bool()>& move) {
  std::atomic<bool> done{false};
  bool moved = false;
  std::thread mover([&] {
    moved = move();
    done = true;
  });
  while (!done) t.exchange();
  mover.join();
  for (int i = 0; i < 10; ++i) t.exchange();
  t.check_log();
  return moved;
}

// A master other than `not_this`.
RedisServer* other_master(RedisCluster& c, RedisServer* not_this) {
  RedisServer* to = nullptr;
  for (size_t i = 0; i < c.size(); ++i)
    if (&c.node(i) != not_this) to = &c.node(i);
  return to;
}

TEST_CASE("redis cluster: two nodes converse on a 3-master cluster; a moving slot loses nothing") {
  RedisCluster& c = RedisCluster::shared();
  c.flush_all();
  ClusterNodes n(c);
  Talk t(n.node1->port(), n.node2->port());
  for (int i = 0; i < 10; ++i) t.exchange();

  // Move the conversation's slot to another master (CLUSTER SETSLOT and
  // MIGRATE) while the two keep talking through both nodes.
  const int slot = slot_of(c, t.id);
  RedisServer* from = c.master_of(slot);
  REQUIRE(from);
  RedisServer* to = other_master(c, from);
  CHECK(talk_while(t, [&] { return c.move_slot(slot, *to); }));
  CHECK(c.master_of(slot) == to);
  MESSAGE(t.sent << " messages, " << t.retries << " retried after a 503 during the move");
}

// The operator's tool (docs/operations.md): redis-cli --cluster reshard
// takes the source's lowest slots first, so it moves every slot of the
// master up to the busy conversation's (the cheapest of a few).
TEST_CASE("redis cluster: redis-cli --cluster reshard of a busy conversation's slot loses nothing") {
  RedisCluster& c = RedisCluster::shared();
  c.flush_all();
  ClusterNodes n(c);
  Talk t(n.node1->port(), n.node2->port(), 12,
         [&](const std::string& id) { return c.slots_through(slot_of(c, id)); });
  for (int i = 0; i < 10; ++i) t.exchange();
  const int slot = slot_of(c, t.id);
  RedisServer* from = c.master_of(slot);
  REQUIRE(from);
  RedisServer* to = other_master(c, from);
  const int slots = c.slots_through(slot);
  CHECK(talk_while(t, [&] { return c.reshard(slot, *to); }));
  CHECK(c.master_of(slot) == to);
  MESSAGE("reshard of " << slots << " slots: " << t.sent << " messages, " << t.retries
                        << " retried after a 503");
}
