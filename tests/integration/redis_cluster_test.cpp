// Broker nodes on a Redis Cluster (--redis-cluster): two nodes converse on
// a 3-master cluster; a busy conversation's slot moves to another master
// while clients on both nodes send and follow it; a master with a replica
// is killed with kill -9 and the clients go on once the replica took over.
// Every acknowledged message arrives exactly once and in order
// (EventFollower checks seq = last + 1 on each event).
#include <atomic>
#include <optional>
#include <thread>

#include "redis_cluster.hpp"
#include "redis_support.hpp"

using namespace parley::it;
using parley::testing::RedisCluster;

namespace {

std::vector<std::string> cluster_node_args(const RedisCluster& c, const std::string& node) {
  return jwt_args({"--redis-cluster", c.seeds(), "--node-id", node, "--redis-timeout-ms", "500"});
}

struct ClusterNodes {
  explicit ClusterNodes(RedisCluster& c)
      : node1(std::make_unique<BrokerProcess>(cluster_node_args(c, "n1"))),
        node2(std::make_unique<BrokerProcess>(cluster_node_args(c, "n2"))) {
    REQUIRE(storage_ready(node1->port()));
    REQUIRE(storage_ready(node2->port()));
  }
  std::unique_ptr<BrokerProcess> node1, node2;
};

// The cluster slot of a conversation of tenant "acme" (its keys' hash tag).
int slot_of(RedisCluster& c, const std::string& id) {
  return std::stoi(c.node(0).command({"CLUSTER", "KEYSLOT", "{c:acme:" + id + "}"}));
}

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
// conversation of tenant "acme", both following its events.
struct Talk {
  Talk(uint16_t port1, uint16_t port2)
      : ann(login(port1, "ann", "consumer", "acme")), bob(login(port2, "bob", "agent", "acme")) {
    id = create_conversation(*ann).get_string("/id");
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

TEST_CASE("redis cluster: two nodes converse on a 3-master cluster; a moving slot loses nothing") {
  RedisCluster& c = RedisCluster::shared();
  c.flush_all();
  ClusterNodes n(c);
  Talk t(n.node1->port(), n.node2->port());
  for (int i = 0; i < 10; ++i) t.exchange();

  // Move the conversation's slot to another master while the two keep
  // talking through both nodes.
  const int slot = slot_of(c, t.id);
  RedisServer* from = c.master_of(slot);
  REQUIRE(from);
  RedisServer* to = nullptr;
  for (size_t i = 0; i < c.size(); ++i)
    if (&c.node(i) != from) to = &c.node(i);
  std::atomic<bool> done{false};
  bool moved = false;
  std::thread mover([&] {
    moved = c.move_slot(slot, *to);
    done = true;
  });
  while (!done) t.exchange();
  mover.join();
  CHECK(moved);
  CHECK(c.master_of(slot) == to);
  for (int i = 0; i < 10; ++i) t.exchange();
  MESSAGE(t.sent << " messages, " << t.retries << " retried after a 503 during the move");
  t.check_log();
}

TEST_CASE("redis cluster: kill -9 of a master with a replica; clients go on after the failover") {
  RedisCluster c(3, 1);
  ClusterNodes n(c);
  Talk t(n.node1->port(), n.node2->port());
  for (int i = 0; i < 10; ++i) t.exchange();

  // kill -9 the conversation's master once its replica has everything
  // acknowledged so far (without --redis-wait-replicas an acknowledged
  // write the replica had not received yet would be lost: see
  // docs/operations.md), then keep talking through the failover.
  const int slot = slot_of(c, t.id);
  RedisServer* master = c.master_of(slot);
  REQUIRE(master);
  REQUIRE(wait_until([&] {
    const std::string info = master->command({"INFO", "replication"});
    const auto at = info.find("master_repl_offset:");
    if (at == std::string::npos) return false;
    const std::string offset = info.substr(at + 19, info.find('\r', at) - at - 19);
    return info.find("offset=" + offset + ",") != std::string::npos;
  }));
  master->kill_hard();
  const auto killed = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) t.exchange(Millis(20000));
  const auto window =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed);
  REQUIRE(c.master_of(slot) != master);
  MESSAGE("failover: " << t.retries << " sends answered 503 and were retried; 10 sends took "
                       << window.count() << " ms from the kill");
  t.check_log();
}
