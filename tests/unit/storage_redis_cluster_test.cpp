// The Redis engine on Redis Cluster (--redis-cluster): slot computation
// against the cluster's own answer, the slot map and redirect parsing, the
// whole engine contract on a 3-master cluster, two engines conversing, and
// a conversation whose slot moves to another master while it is busy.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include "engine_contract.hpp"
#include "engine_contract_inbox.hpp"
#include "engine_contract_local.hpp"
#include "engine_contract_users.hpp"
#include "redis/cluster_slots.hpp"
#include "redis/redis_engine.hpp"
#include "redis/redis_keys.hpp"
#include "redis_cluster.hpp"
#include "storage_redis_server.hpp"

namespace {

using namespace parley;
using namespace parley::contract;
using namespace parley::redis;
using namespace std::chrono_literals;
using parley::testing::RedisCluster;
using parley::testing::RedisServer;
using parley::testing::wait_until;

std::unique_ptr<RedisEngine> cluster_engine(RedisCluster& c = RedisCluster::shared()) {
  RedisEngineOptions o;
  o.cluster = c.seeds();
  auto e = std::make_unique<RedisEngine>(std::move(o));
  if (!e->wait_until_ready(10s)) throw std::runtime_error("cluster engine not ready within 10 s");
  return e;
}

struct ClusterFactory {
  static std::unique_ptr<Engine> make() { return cluster_engine(); }
  static void reset() { RedisCluster::shared().flush_all(); }
};

RedisReply str(std::string s) { return RedisReply::make_string(std::move(s)); }
RedisReply num(int64_t n) { return RedisReply::make_integer(n); }
RedisReply arr(std::vector<RedisReply> v) { return RedisReply::make_array(std::move(v)); }

}  // namespace

TEST_CASE("redis cluster: CRC16 and key slots as Redis computes them") {
  CHECK(crc16_xmodem("123456789") == 0x31C3);  // the XMODEM check value
  CHECK(key_slot("{user1000}.following") == key_slot("{user1000}.followers"));
  CHECK(key_slot("foo{}{bar}") == crc16_xmodem("foo{}{bar}") % 16384);  // empty tag: whole key
  CHECK(key_slot("foo{{bar}}zap") == tag_slot("{bar"));
  CHECK(key_slot("{c:t:1}:meta") == tag_slot("c:t:1"));
  // Ground truth: CLUSTER KEYSLOT on a live node.
  RedisCluster& c = RedisCluster::shared();
  const ConvKeys k(ConvKey{"acme", "c-42"});
  const TenantKeys t("acme");
  for (const std::string& key : {std::string("foo"), std::string("somekey"), std::string("a{b}c"),
                                std::string("{}x"), std::string("\xff\x01{"), k.meta, k.log,
                                k.channel, k.idempotency("u", "m"), t.updated, t.changes}) {
    CAPTURE(key);
    CHECK(std::to_string(key_slot(key)) == c.node(0).command({"CLUSTER", "KEYSLOT", key}));
  }
}

TEST_CASE("redis cluster: slot maps, redirects and seed lists parse, and bad ones are refused") {
  RedisAddress seed;
  seed.host = "10.0.0.1";
  seed.port = 7000;
  auto node = [](std::string host, int64_t port) { return arr({str(host), num(port), str("id")}); };
  auto map = SlotMap::parse(
      arr({arr({num(0), num(5460), node("127.0.0.1", 7001), node("127.0.0.1", 7004)}),
           arr({num(5461), num(16383), node("", 7002)})}),
      seed);
  REQUIRE(map);
  CHECK(map->complete());
  REQUIRE(map->masters.size() == 2);
  CHECK(map->masters[0].port == 7001);
  CHECK(map->masters[1].host == "10.0.0.1");  // "" is the node asked
  CHECK(map->owner[5460] == 0);
  CHECK(map->owner[5461] == 1);
  CHECK_FALSE(SlotMap::parse(arr({arr({num(0), num(16384), node("h", 1)})}), seed));
  CHECK_FALSE(SlotMap::parse(str("OK"), seed));
  auto partial = SlotMap::parse(arr({arr({num(0), num(10), node("h", 1)})}), seed);
  REQUIRE(partial);
  CHECK_FALSE(partial->complete());

  auto moved = parse_redirect(RedisReply::make_error("MOVED 3999 127.0.0.1:6381"), seed);
  REQUIRE(moved);
  CHECK_FALSE(moved->ask);
  CHECK(moved->slot == 3999);
  CHECK(moved->to.port == 6381);
  auto ask = parse_redirect(RedisReply::make_error("ASK 1 [::1]:7000"), seed);
  REQUIRE(ask);
  CHECK(ask->ask);
  CHECK(ask->to.host == "::1");
  CHECK_FALSE(parse_redirect(RedisReply::make_error("MOVED x 127.0.0.1:1"), seed));
  CHECK_FALSE(parse_redirect(RedisReply::make_error("ERR no"), seed));
  CHECK_FALSE(parse_redirect(str("MOVED 1 h:1"), seed));

  auto seeds = parse_seed_list("127.0.0.1:7000,redis-a:7001");
  REQUIRE(seeds);
  CHECK(seeds->size() == 2);
  CHECK((*seeds)[1].host == "redis-a");
  CHECK_FALSE(parse_seed_list(""));
  CHECK_FALSE(parse_seed_list("127.0.0.1"));
  CHECK_FALSE(parse_seed_list("h:1,"));
  CHECK_FALSE(parse_seed_list("h:99999"));
}

TEST_CASE("redis cluster: what every command kind does with each reply (cluster_step)") {
  RedisAddress at;
  at.host = "10.0.0.1";
  at.port = 7000;
  at.password = "secret";
  using K = ClusterStep::Kind;
  struct Row {
    RedisReply reply;
    int rounds;
    K kind;
    int to_port;  // moved / ask
  };
  const Row rows[] = {
      {str("OK"), 0, K::done, 0},
      {num(1), 49, K::done, 0},
      {RedisReply::make_error("ERR wrong number of arguments"), 0, K::done, 0},
      {RedisReply::make_error("NOSCRIPT No matching script"), 0, K::done, 0},
      {RedisReply::make_error("MOVED 3999 127.0.0.1:6381"), 0, K::moved, 6381},
      {RedisReply::make_error("ASK 3999 127.0.0.1:6382"), 3, K::ask, 6382},
      {RedisReply::make_error("TRYAGAIN Multiple keys request during rehashing of slot"), 0,
       K::pause, 0},
      {RedisReply::make_error("CLUSTERDOWN The cluster is down"), 10, K::pause, 0},
      {RedisReply::make_error("CLUSTERDOWN Hash slot not served"), 0, K::pause, 0},
      {RedisReply::make_error("MOVED 3999 127.0.0.1:6381"), kClusterMaxRounds, K::give_up, 0},
      {RedisReply::make_error("TRYAGAIN x"), kClusterMaxRounds, K::give_up, 0},
      {RedisReply::make_error("MOVED nowhere"), 0, K::done, 0},  // malformed: the error stands
      {RedisReply::make_error("MOVEDX 1 h:1"), 0, K::done, 0},
      {str("MOVED 1 h:1"), 0, K::done, 0},  // a value, not an error
  };
  for (const Row& row : rows) {
    CAPTURE(row.reply.str());
    CAPTURE(row.rounds);
    const ClusterStep step = cluster_step(row.reply, at, row.rounds);
    CHECK(step.kind == row.kind);
    CHECK(is_cluster_redirect(row.reply) ==
          (row.kind != K::done || row.reply.str() == "MOVED nowhere"));
    if (row.kind == K::moved || row.kind == K::ask) {
      CHECK(step.to.host == "127.0.0.1");
      CHECK(step.to.port == row.to_port);
      CHECK(step.to.password == "secret");  // as the node it came from
    }
  }
}

// The plain commands (not scripts) follow the cluster too: a user's record
// (HMGET) and the users index (ZRANGE) are read at once through -ASK while
// the tenant's slot migrates and through -MOVED once it moved, before the
// engine's next slot map (before, they answered 503 until that map).
TEST_CASE("redis cluster: plain commands follow ASK and MOVED while a slot moves") {
  ClusterFactory::reset();
  RedisCluster& c = RedisCluster::shared();
  auto e = cluster_engine();
  const std::string tenant = "plain";
  put_user(*e, tenant, "u1", AccountRole::agent, "Una");
  put_user(*e, tenant, "u2", AccountRole::agent, "Ugo");
  const TenantKeys t(tenant);
  const int slot = tag_slot(t.tag);
  RedisServer* from = c.master_of(slot);
  REQUIRE(from);
  RedisServer* to = nullptr;
  for (size_t i = 0; i < c.size(); ++i)
    if (&c.node(i) != from) to = &c.node(i);
  const std::string s = std::to_string(slot);
  const std::string from_id = from->command({"CLUSTER", "MYID"});
  const std::string to_id = to->command({"CLUSTER", "MYID"});
  REQUIRE(to->command({"CLUSTER", "SETSLOT", s, "IMPORTING", from_id}) == "OK");
  REQUIRE(from->command({"CLUSTER", "SETSLOT", s, "MIGRATING", to_id}) == "OK");
  // One user's record moves ahead: the old master answers -ASK for it.
  const std::string u1 = "pl:{" + t.tag + "}:user:u1";
  REQUIRE(from->command({"MIGRATE", "127.0.0.1", std::to_string(to->port()), u1, "0", "5000"}) ==
          "OK");
  CHECK(from->command({"HGET", u1, "name"}).rfind("ASK ", 0) == 0);
  auto u = run(e->user_get(tenant, "u1"));
  REQUIRE(u.ok());
  CHECK(u->name == "Una");
  auto u2 = run(e->user_get(tenant, "u2"));  // still on the old master
  REQUIRE(u2.ok());
  CHECK(u2->name == "Ugo");
  // The rest moves and the slot is handed over: -MOVED, followed at once.
  for (const std::string& key : {"pl:{" + t.tag + "}:user:u2", "pl:{" + t.tag + "}:users",
                                 "pl:{" + t.tag + "}:users:agent"})
    REQUIRE(from->command({"MIGRATE", "127.0.0.1", std::to_string(to->port()), key, "0", "5000"}) ==
            "OK");
  REQUIRE(from->command({"CLUSTER", "COUNTKEYSINSLOT", s}) == "0");
  REQUIRE(to->command({"CLUSTER", "SETSLOT", s, "NODE", to_id}) == "OK");
  REQUIRE(from->command({"CLUSTER", "SETSLOT", s, "NODE", to_id}) == "OK");
  for (size_t i = 0; i < c.size(); ++i)
    if (&c.node(i) != from && &c.node(i) != to)
      c.node(i).command({"CLUSTER", "SETSLOT", s, "NODE", to_id});
  CHECK(from->command({"HGET", u1, "name"}).rfind("MOVED ", 0) == 0);
  const uint64_t maps = e->cluster_maps_read();
  auto moved = run(e->user_get(tenant, "u2"));
  REQUIRE(moved.ok());
  CHECK(moved->name == "Ugo");
  auto page = run(e->user_list(tenant, UserListRequest{}));
  REQUIRE(page.ok());
  CHECK(user_ids(*page) == std::vector<std::string>{"u1", "u2"});
  MESSAGE("slot maps read during the MOVED reads: " << e->cluster_maps_read() - maps);
}

PARLEY_ENGINE_CONTRACT(ClusterFactory)
PARLEY_ENGINE_CONTRACT_INBOX(ClusterFactory)
PARLEY_ENGINE_CONTRACT_LOCAL(ClusterFactory)

// --redis-password: every node of the map gets AUTH, not only the seeds.
TEST_CASE("redis cluster: a cluster with requirepass is reached with the password") {
  RedisCluster c(3, 0);  // its own: it gets a password
  for (size_t i = 0; i < c.size(); ++i)
    REQUIRE(c.node(i).command({"CONFIG", "SET", "requirepass", "s3cret"}) == "OK");
  {
    RedisEngineOptions o;
    o.cluster = "127.0.0.1:" + std::to_string(c.node(0).port());  // one seed: the map names the rest
    auto refused = std::make_unique<RedisEngine>(std::move(o));
    CHECK_FALSE(refused->wait_until_ready(1500ms));
  }
  RedisEngineOptions o;
  o.cluster = "127.0.0.1:" + std::to_string(c.node(0).port());
  o.password = "s3cret";
  Harness h(std::make_unique<RedisEngine>(std::move(o)));
  auto& e = static_cast<RedisEngine&>(h.engine());
  // Ready: the command connection of every master (two of them known
  // only from the slot map) is up, so each took the AUTH.
  REQUIRE(e.wait_until_ready(10s));
  CHECK(e.shards() == 3);
  for (int i = 0; i < 12; ++i) {
    const ConvKey k{"t", "auth-" + std::to_string(i)};
    REQUIRE(h.create(k).ok());
    REQUIRE(h.append(k, message("c1", "hi")).ok());
  }
}

TEST_CASE("redis cluster: the engine reads the slot map and spreads conversations on every master") {
  ClusterFactory::reset();
  auto e = cluster_engine();
  CHECK(e->cluster_maps_read() >= 1);
  Harness h(std::move(e));
  std::set<int> ports;
  for (int i = 0; i < 30; ++i) {
    const ConvKey k{"t", "spread-" + std::to_string(i)};
    REQUIRE(h.create(k).ok());
    REQUIRE(h.append(k, message("c1", "hello")).ok());
    const int slot = key_slot(ConvKeys(k).meta);
    auto* m = RedisCluster::shared().master_of(slot);
    REQUIRE(m);
    // The record is on the slot's master, written there by the script.
    CHECK(m->command({"EXISTS", ConvKeys(k).meta}) == "1");
    ports.insert(m->port());
  }
  CHECK(ports.size() == 3);
}

TEST_CASE("redis cluster: two engines see each other's events through sharded pub/sub") {
  ClusterFactory::reset();
  Harness a(cluster_engine()), b(cluster_engine());
  const ConvKey k{"t", "two-nodes"};
  a.engine().watch(k);
  b.engine().watch(k);
  REQUIRE(wait_until([&] { return a.sink.gaps() >= 1 && b.sink.gaps() >= 1; }));
  REQUIRE(a.create(k).ok());
  for (int i = 0; i < 30; ++i) REQUIRE(a.append(k, message("c1", "m" + std::to_string(i))).ok());
  for (int i = 0; i < 30; ++i) REQUIRE(b.append(k, message("a1", "r" + std::to_string(i))).ok());
  REQUIRE(a.sink.wait_for(k, 62));
  REQUIRE(b.sink.wait_for(k, 62));
  CHECK(a.sink.seqs(k) == iota(1, 62));
  CHECK(b.sink.seqs(k) == iota(1, 62));
  // The conversation channel is a shard channel on the slot's master.
  const int slot = key_slot(ConvKeys(k).channel);
  CHECK(RedisCluster::shared().command_on_master(slot, {"PUBSUB", "SHARDNUMSUB",
                                                        ConvKeys(k).channel}) == "(array 2)");
}

TEST_CASE("redis cluster: a busy conversation's slot moves to another master; appends go on") {
  ClusterFactory::reset();
  RedisCluster& c = RedisCluster::shared();
  Harness a(cluster_engine()), b(cluster_engine());
  const ConvKey k{"t", "moving"};
  const int slot = key_slot(ConvKeys(k).meta);
  a.engine().watch(k);
  b.engine().watch(k);
  REQUIRE(wait_until([&] { return a.sink.gaps() >= 1 && b.sink.gaps() >= 1; }));
  REQUIRE(a.create(k).ok());
  const size_t gaps_before = a.sink.gaps() + b.sink.gaps();

  // Two writers, one per engine; a 503 is retried with the same client
  // message id, as a client would (idempotent: never a second copy).
  std::atomic<bool> moved{false};
  std::atomic<int> retries{0};
  std::mutex mu;
  std::set<uint64_t> acked;
  auto writer = [&](Harness& h, const std::string& who) {
    for (int i = 0; i < 150; ++i) {
      for (int attempt = 0;; ++attempt) {
        auto r = h.append(k, message(who, who + std::to_string(i), who + "-" + std::to_string(i)));
        if (r.ok()) {
          std::lock_guard lk(mu);
          CHECK(acked.insert(r->seq).second);
          break;
        }
        if (attempt >= 100) {
          FAIL_CHECK(who << ": append " << i << " kept failing: " << r.error().message);
          return;
        }
        ++retries;
        std::this_thread::sleep_for(10ms);
      }
      if (i == 40) moved.wait(false);  // the move starts with both writers going
    }
  };
  std::thread ta(writer, std::ref(a), "c1");
  std::thread tb(writer, std::ref(b), "a1");
  RedisServer* from = nullptr;
  REQUIRE(wait_until([&] { return (from = c.master_of(slot)) != nullptr; }));
  RedisServer* to = nullptr;
  for (size_t i = 0; i < c.size(); ++i)
    if (&c.node(i) != from) to = &c.node(i);
  moved = true;
  moved.notify_all();
  CHECK(c.move_slot(slot, *to));
  ta.join();
  tb.join();
  CHECK(c.master_of(slot) == to);
  MESSAGE("appends retried after a 503 during the move: " << retries.load());

  // Every acknowledged message exactly once in the log, dense.
  REQUIRE(acked.size() == 300);
  CHECK(*acked.begin() == 3);  // after conversation.created and member.joined
  CHECK(*acked.rbegin() == 302);
  ReadRequest all;
  all.limit = 500;
  CHECK(a.read_seqs(k, all) == iota(1, 302));
  // The subscriptions followed the slot: a new append reaches both engines
  // through the new master, and each told its hub of the possible gap.
  REQUIRE(wait_until([&] { return a.sink.gaps() + b.sink.gaps() > gaps_before; }));
  REQUIRE(a.append(k, message("c1", "after the move")).ok());
  CHECK(a.sink.wait_for(k, 303));
  CHECK(b.sink.wait_for(k, 303));
}
