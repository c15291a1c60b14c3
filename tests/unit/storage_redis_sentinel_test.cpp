// The seam Sentinel mode uses (asio_redis.hpp): a link that asks a provider
// for its address on every connect, refuses a server whose ROLE is not
// master, and reconnects at once when told the master moved. Against two
// real redis-servers, one a replica of the other, then swapped. The
// failover itself, with real sentinels, is tests/redis_ha/sentinel.sh.
#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/thread_pool.hpp>

#include "redis/redis_connection.hpp"
#include "redis/sentinel.hpp"
#include "storage_redis_server.hpp"

using namespace std::chrono_literals;
using parley::redis::RedisAddress;
using parley::testing::RedisServer;
using parley::testing::wait_until;

TEST_CASE("sentinel address: HOST:PORT with the port required") {
  using parley::redis::parse_sentinel_address;
  auto a = parse_sentinel_address("10.0.0.5:26379");
  REQUIRE(a);
  CHECK(a->host == "10.0.0.5");
  CHECK(a->port == 26379);
  auto v6 = parse_sentinel_address("[::1]:26380");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 26380);
  CHECK_FALSE(parse_sentinel_address("10.0.0.5"));
  CHECK_FALSE(parse_sentinel_address("[::1]"));
  CHECK_FALSE(parse_sentinel_address("h:0"));
  CHECK_FALSE(parse_sentinel_address("h:1/2"));
  CHECK_FALSE(parse_sentinel_address(":pw@h:1"));
  CHECK_FALSE(parse_sentinel_address(""));
}

TEST_CASE("redis link: the provider's address on every connect, ROLE master required") {
  RedisServer a, b;
  REQUIRE(b.command({"REPLICAOF", "127.0.0.1", std::to_string(a.port())}) == "OK");
  using namespace parley::redis;
  boost::asio::thread_pool pool(1);
  std::atomic<int> port{b.port()};  // where the provider points: first at the replica
  std::atomic<int> asked{0};
  std::atomic<bool> known{true};
  ConnectionOptions o;
  o.link.backoff_max = 200ms;
  auto c = std::make_shared<RedisConnection>(pool.get_executor(), RedisAddress{}, o, "parley-test");
  c->set_address_provider(
      [&](RedisLink::AddressDone done) {
        ++asked;
        if (!known) return done(std::nullopt);
        RedisAddress addr;
        addr.port = port.load();
        done(addr);
      },
      true);
  c->start();

  // A replica is never taken for the master: refused, and asked again.
  REQUIRE(wait_until([&] { return asked >= 3; }));
  CHECK_FALSE(c->up());
  CHECK(c->last_error().find("ROLE is not master") != std::string::npos);

  // Pointed at the master: up there.
  port = a.port();
  REQUIRE(wait_until([&] { return c->up(); }));
  CHECK(c->address().port == a.port());
  auto r = parley::testing::run_sync(c->command({"SET", "k", "v"}));
  REQUIRE(r);
  CHECK(r->str() == "OK");

  // The roles swap (a failover): told to, the link moves at once and
  // writes on the new master.
  REQUIRE(b.command({"REPLICAOF", "NO", "ONE"}) == "OK");
  REQUIRE(a.command({"REPLICAOF", "127.0.0.1", std::to_string(b.port())}) == "OK");
  port = b.port();
  const auto before = c->connects();
  c->reconnect("test: the master moved");
  REQUIRE(wait_until([&] { return c->up() && c->connects() > before; }));
  CHECK(c->address().port == b.port());
  r = parley::testing::run_sync(c->command({"SET", "k", "w"}));
  REQUIRE(r);
  CHECK(r->str() == "OK");
  CHECK(b.command({"GET", "k"}) == "w");

  // No address known (no sentinel answers): down, and it keeps asking.
  known = false;
  c->reconnect("test: nowhere to go");
  REQUIRE(wait_until([&] { return !c->up(); }));
  const int now = asked;
  REQUIRE(wait_until([&] { return asked > now + 1; }));
  CHECK_FALSE(c->up());
  CHECK(c->last_error().find("no address known") != std::string::npos);
  c->close();
}
