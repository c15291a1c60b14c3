// The Redis engine: the shared storage contract, then what only a shared
// engine has to get right — two nodes on one Redis, Redis going away and
// coming back, a dropped pub/sub link, scripts flushed, data wiped.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "engine_contract.hpp"
#include "engine_contract_inbox.hpp"
#include "engine_contract_local.hpp"
#include "redis/redis_engine.hpp"
#include "storage_redis_server.hpp"

namespace {

using namespace parley;
using namespace parley::contract;
using namespace std::chrono_literals;
using parley::redis::RedisEngine;
using parley::redis::RedisEngineOptions;
using parley::testing::RedisServer;
using parley::testing::wait_until;

// An engine on the URLs `o` names, once ready.
std::unique_ptr<RedisEngine> ready_engine(RedisEngineOptions o) {
  auto e = std::make_unique<RedisEngine>(std::move(o));
  if (!e->wait_until_ready(5s)) throw std::runtime_error("redis engine not ready within 5 s");
  return e;
}

std::unique_ptr<RedisEngine> make_engine(RedisEngineOptions o = {}) {
  o.urls = {RedisServer::shared().url()};
  return ready_engine(std::move(o));
}

// Two databases of the one server act as two shards.
std::unique_ptr<RedisEngine> make_two_shard_engine() {
  RedisEngineOptions o;
  o.urls = {RedisServer::shared().url() + "/0", RedisServer::shared().url() + "/1"};
  return ready_engine(std::move(o));
}

// What the Lua expression `count` (an integer reply) gives in database `db`
// of the server: how the sharded tests see that both shards were used.
int count_in_db(int db, const std::string& count) {
  const std::string script = "redis.call('SELECT', " + std::to_string(db) + ") return " + count;
  return std::stoi(RedisServer::shared().command({"EVAL", script, "0"}));
}

struct RedisFactory {
  static std::unique_ptr<Engine> make() { return make_engine(); }
  static void reset() { RedisServer::shared().command({"FLUSHALL"}); }
};

}  // namespace

PARLEY_ENGINE_CONTRACT(RedisFactory)
PARLEY_ENGINE_CONTRACT_INBOX(RedisFactory)
PARLEY_ENGINE_CONTRACT_LOCAL(RedisFactory)

TEST_CASE("redis engine: two nodes on one Redis see each other's events in order") {
  RedisFactory::reset();
  Harness a(make_engine()), b(make_engine());
  const ConvKey k{"t", "two-nodes"};
  // Both nodes' subscriptions in force first: a node reports each
  // subscription it gained as a gap (what was published before it did not
  // reach it), so the first gap says the node now hears everything.
  a.engine().watch(k);
  b.engine().watch(k);
  REQUIRE(wait_until([&] { return a.sink.gaps() >= 1 && b.sink.gaps() >= 1; }));
  REQUIRE(a.create(k).ok());
  for (int i = 0; i < 50; ++i) REQUIRE(a.append(k, message("c1", "m" + std::to_string(i))).ok());
  for (int i = 0; i < 50; ++i) REQUIRE(b.append(k, message("a1", "r" + std::to_string(i))).ok());
  REQUIRE(a.sink.wait_for(k, 102));
  REQUIRE(b.sink.wait_for(k, 102));
  CHECK(a.sink.seqs(k) == iota(1, 102));
  CHECK(b.sink.seqs(k) == iota(1, 102));
  // Signals reach every node too, this one included.
  Signal s;
  s.frame = std::make_shared<const std::string>(R"({"typing":true})");
  s.from_user = "c1";
  s.skip_sender = true;
  a.engine().publish_signal(k, s);
  CHECK(wait_until([&] { return a.sink.signals() == 1 && b.sink.signals() == 1; }));
}

TEST_CASE("redis engine: append returns a lean record") {
  RedisFactory::reset();
  Harness h(make_engine());
  const ConvKey k{"t", "lean"};
  CreateRequest rq = conversation(k.tenant, k.id);
  rq.record.metadata = R"({"big":true})";
  REQUIRE(h.create(std::move(rq)).ok());
  auto a = h.append(k, message("c1", "hi"));
  REQUIRE(a.ok());
  CHECK(a->record.id == "lean");
  CHECK(a->record.tenant == "t");
  CHECK(a->record.epoch == h.get(k)->epoch);
  CHECK(a->record.last_seq == 3);
  CHECK(a->record.last_message.text == "hi");
  CHECK(a->record.version == h.get(k)->version);
  CHECK(a->record.members.empty());
  CHECK(a->record.metadata == "{}");
  auto g = h.get(k);
  CHECK(g->metadata == R"({"big":true})");
  CHECK(g->members.front().user_id == "c1");  // the record's member order survives
}

TEST_CASE("redis engine: Redis down answers 503 fast, and it recovers without a restart") {
  RedisFactory::reset();
  auto& server = RedisServer::shared();
  Harness h(make_engine());
  const ConvKey k{"t", "outage"};
  REQUIRE(h.create(k).ok());
  REQUIRE(h.append(k, message("c1", "before")).ok());
  server.kill_hard();
  REQUIRE(wait_until([&] { return !h.engine().ready(); }, 2s));
  auto down = h.append(k, message("c1", "during", "m-during"));
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().code == code::unavailable);
  // At once, because the connection knows Redis is down, not after the
  // command time-out ("command timed out"): told by the answer, not a clock.
  CHECK(down.error().message.find("unreachable") != std::string::npos);
  CHECK(h.get(k).error().code == code::unavailable);
  CHECK(h.create(ConvKey{"t", "outage-2"}).error().code == code::unavailable);
  auto presence = run(h.engine().presence_touch(sock("ann", "s1"), std::nullopt, kT0, kT0 + kTtl));
  CHECK(presence.error().code == code::unavailable);
  // No persistence in the test server: its data is gone when it comes back.
  server.start();
  REQUIRE(wait_until([&] { return h.engine().ready(); }, 5s));
  CHECK(h.get(k).error().code == code::not_found);  // the conversation is gone: 404
  auto again = h.create(ConvKey{"t", "outage-2"});
  REQUIRE(again.ok());
  CHECK(h.append(ConvKey{"t", "outage-2"}, message("c1", "after")).ok());
}

TEST_CASE("redis engine: a dropped pub/sub link resubscribes and reports the gap") {
  RedisFactory::reset();
  auto& server = RedisServer::shared();
  Harness h(make_engine());
  const ConvKey k{"t", "gap"};
  REQUIRE(h.create(k).ok());
  REQUIRE(h.sink.wait_for(k, 2));
  const size_t gaps = h.sink.gaps();
  CHECK(server.command({"CLIENT", "KILL", "TYPE", "pubsub"}) == "1");
  REQUIRE(wait_until([&] { return h.sink.gaps() > gaps; }));
  // Subscribed again: live events flow as before.
  REQUIRE(h.append(k, message("c1", "after the gap")).ok());
  CHECK(h.sink.wait_for(k, 3));
}

TEST_CASE("redis engine: scripts reload after SCRIPT FLUSH") {
  RedisFactory::reset();
  auto& server = RedisServer::shared();
  Harness h(make_engine());
  const ConvKey k{"t", "noscript"};
  REQUIRE(h.create(k).ok());
  REQUIRE(h.append(k, message("c1", "one")).ok());
  CHECK(server.command({"SCRIPT", "FLUSH"}) == "OK");
  auto two = h.append(k, message("c1", "two"));
  REQUIRE(two.ok());
  CHECK(two->seq == 4);
  CHECK(h.read_seqs(k) == iota(1, 4));
}

TEST_CASE("redis engine: FLUSHALL makes the conversation 404 for everyone") {
  RedisFactory::reset();
  auto& server = RedisServer::shared();
  Harness h(make_engine());
  const ConvKey k{"t", "wiped"};
  REQUIRE(h.create(k).ok());
  CHECK(server.command({"FLUSHALL"}) == "OK");
  CHECK(h.get(k).error().code == code::not_found);
  CHECK(h.read(k).error().code == code::not_found);
  CHECK(h.append(k, message("c1", "hi")).error().code == code::not_found);
  CHECK(h.update(k, close_conversation()).error().code == code::not_found);
}

TEST_CASE("redis engine: conversations spread over several shards") {
  RedisFactory::reset();
  auto engine = make_two_shard_engine();
  CHECK(engine->shards() == 2);
  Harness h(std::move(engine));
  for (int i = 0; i < 20; ++i) {
    const ConvKey k{"t", "s" + std::to_string(i)};
    CreateRequest rq = conversation(k.tenant, k.id);
    rq.record.name = "name-" + std::to_string(i);
    REQUIRE(h.create(std::move(rq)).ok());
    REQUIRE(h.append(k, message("c1", "hello")).ok());
    REQUIRE(h.sink.wait_for(k, 3));
  }
  // Both shards hold conversations (160 ring points each spread 20 ids).
  CHECK(count_in_db(0, "redis.call('DBSIZE')") > 0);
  CHECK(count_in_db(1, "redis.call('DBSIZE')") > 0);
  ListRequest rq;
  rq.limit = 100;
  auto all = h.list("t", rq);
  REQUIRE(all.ok());
  CHECK(all->data.size() == 20);
  auto clash = h.create([] {
    CreateRequest c = conversation("t", "s-clash");
    c.record.name = "name-7";
    return c;
  }());
  REQUIRE_FALSE(clash.ok());
  CHECK(clash.error().code == code::conflict);
}

TEST_CASE("redis engine: nodes share presence, and one node reports each change") {
  RedisFactory::reset();
  Harness a(make_engine()), b(make_engine());
  PresenceCalls pa(a.engine()), pb(b.engine());
  check_change(pa.touch(sock("ann", "on-a"), kT0), "ann", PresenceStatus::online, kT0);
  CHECK_FALSE(pb.touch(sock("ann", "on-b"), kT0 + 1));
  CHECK(pb.get("ann", kT0 + 2).status == PresenceStatus::online);
  check_change(pb.touch(sock("ann", "on-b"), kT0 + 3, PresenceStatus::away), "ann",
               PresenceStatus::away, kT0 + 3);
  CHECK(pa.get("ann", kT0 + 4).status == PresenceStatus::away);
  CHECK_FALSE(pa.leave(sock("ann", "on-a"), kT0 + 5));
  check_change(pb.leave(sock("ann", "on-b"), kT0 + 6), "ann", PresenceStatus::offline, kT0 + 6);

  // Node a "crashes": its users' entries are no longer refreshed. Both
  // nodes sweep at once; each user's offline is reported by one of them.
  for (int i = 0; i < 30; ++i) pa.touch(sock("u" + std::to_string(i), "s"), kT0);
  std::vector<PresenceChange> from_a, from_b;
  std::thread ta([&] { from_a = pa.sweep(kT0 + kTtl); });
  std::thread tb([&] { from_b = pb.sweep(kT0 + kTtl); });
  ta.join();
  tb.join();
  std::set<std::string> users;
  for (const auto& c : from_a) users.insert(c.state.user_id);
  for (const auto& c : from_b) users.insert(c.state.user_id);
  CHECK(from_a.size() + from_b.size() == 30);
  CHECK(users.size() == 30);
}

TEST_CASE("redis engine: presence spreads over shards") {
  RedisFactory::reset();
  Harness h(make_two_shard_engine());
  PresenceCalls p(h.engine());
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    ids.push_back("user-" + std::to_string(i));
    REQUIRE(p.touch(sock(ids.back(), "s"), kT0, PresenceStatus::busy));
  }
  CHECK(count_in_db(0, "redis.call('ZCARD', 'pl:presence-due')") > 0);
  CHECK(count_in_db(1, "redis.call('ZCARD', 'pl:presence-due')") > 0);
  auto all = run(h.engine().presence_get("t1", ids, kT0 + 1));
  REQUIRE(all.ok());
  REQUIRE(all->size() == 20);
  for (size_t i = 0; i < ids.size(); ++i) {
    CHECK((*all)[i].user_id == ids[i]);
    CHECK((*all)[i].status == PresenceStatus::busy);
  }
  CHECK(p.refresh({sock(ids[0], "s"), sock(ids[7], "s"), sock(ids[7], "x")}, kT0 + 2).size() == 1);
  CHECK(p.sweep(kT0 + kTtl, 5).size() == 5);
  CHECK(p.sweep(kT0 + kTtl).size() == 13);  // ids 0 and 7 were renewed
  CHECK(p.sweep(kT0 + kTtl + 1).empty());
}

TEST_CASE("redis engine: timers live on their conversation's shard; every shard is polled") {
  RedisFactory::reset();
  Harness h(make_two_shard_engine());
  TimerCalls t(h.engine());
  for (int i = 0; i < 20; ++i) t.set("conv-" + std::to_string(i), TimerKind::ttl, kTimerT0 + i);
  CHECK(count_in_db(0, "redis.call('ZCARD', 'pl:timers')") > 0);
  CHECK(count_in_db(1, "redis.call('ZCARD', 'pl:timers')") > 0);
  const auto due = t.due(kTimerT0 + 100, 1000);
  REQUIRE(due.size() == 20);
  for (size_t i = 1; i < due.size(); ++i) CHECK(due[i - 1].due <= due[i].due);  // earliest first
  std::set<std::string> ids;
  for (const auto& d : due) ids.insert(d.key.id);
  CHECK(ids.size() == 20);
  // A limit over shards still bounds the whole answer.
  for (int i = 0; i < 20; ++i) t.set("conv-" + std::to_string(i), TimerKind::ttl, kTimerT0 + i);
  CHECK(t.due(kTimerT0 + 100, 7).size() == 7);
  CHECK(t.due(kTimerT0 + 100, 1000).size() == 13);
}

TEST_CASE("redis engine: two nodes claim disjoint timers, and one takes over a lapsed claim") {
  RedisFactory::reset();
  Harness a(make_engine()), b(make_engine());
  TimerCalls ta(a.engine()), tb(b.engine());
  ta.set("x", TimerKind::auto_lock, kTimerT0);
  CHECK(tb.due(kTimerT0).size() == 1);  // node b claims it...
  CHECK(ta.due(kTimerT0 + 1).empty());  // ...so node a does not get it
  // Node b dies without clearing it: after the lease node a does.
  CHECK(ta.due(kTimerT0 + kLease).size() == 1);
  ta.clear("x", TimerKind::auto_lock, kTimerT0);
  CHECK(tb.due(kTimerT0 + 10 * kLease).empty());
}

TEST_CASE("redis engine: a tenant watch sees the other node's commits and reports its gaps") {
  RedisFactory::reset();
  auto& server = RedisServer::shared();
  ChangeHarness a(make_engine()), b(make_engine());
  b.engine().watch_tenant("t");
  // The first confirmation is a gap: commits before it went unreported.
  REQUIRE(wait_until([&] { return b.sink.tenant_gaps("t") >= 1; }));
  const ConvKey k{"t", "inbox-two-nodes"};
  REQUIRE(run(a.engine().create(conversation(k.tenant, k.id))).ok());
  REQUIRE(run(a.engine().append(k, message("c1", "from node a"))).ok());
  CHECK(b.sink.wait_count(k, 2));
  CHECK(a.sink.count(k) == 0);  // node a does not watch the tenant
  // A dropped pub/sub link: once subscribed again, the tenant is a gap.
  const size_t gaps = b.sink.tenant_gaps("t");
  CHECK(server.command({"CLIENT", "KILL", "TYPE", "pubsub"}) != "0");
  REQUIRE(wait_until([&] { return b.sink.tenant_gaps("t") > gaps; }));
  REQUIRE(run(a.engine().append(k, message("c1", "after the gap"))).ok());
  CHECK(b.sink.wait_count(k, 3));
  b.engine().unwatch_tenant("t");
}

TEST_CASE("redis engine: a conversation in the earlier layout is refused, clearly, and untouched") {
  RedisFactory::reset();
  Harness h(make_engine());
  // What the layout before meta `hot` wrote (docs/storage.md, Upgrading).
  const std::string meta = "pl:{c:t:old}:meta";
  RedisServer::shared().command({"HSET", meta, "epoch", "0123456789ab", "version", "3", "state",
                                 "OPEN", "last_seq", "2", "rec", "{}"});
  RedisServer::shared().command({"HSET", "pl:{c:t:old}:members", "c1", "0|2|0|0|0|0|0|0|0|Ann"});
  const ConvKey k{"t", "old"};
  for (const Error& e : {h.get(k).error(), h.append(k, message("c1", "hi")).error(),
                         h.update(k, close_conversation()).error()}) {
    CHECK(e.code == code::unavailable);
    CHECK(e.message.find("older Parley layout") != std::string::npos);
  }
  auto page = run(h.engine().read(k, ReadRequest{}));
  REQUIRE_FALSE(page.ok());
  CHECK(page.error().message.find("older Parley layout") != std::string::npos);
  CHECK(h.create(k).error().code == code::conflict);
  // Nothing was written: the old fields are as they were, no `hot` appeared.
  CHECK(RedisServer::shared().command({"HGET", meta, "last_seq"}) == "2");
  CHECK(RedisServer::shared().command({"HEXISTS", meta, "hot"}) == "0");
  CHECK(RedisServer::shared().command({"EXISTS", "pl:{c:t:old}:log"}) == "0");
}
