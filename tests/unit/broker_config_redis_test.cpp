// Configuration of the Redis side (broker/config.cpp): --redis shards and
// time-outs, Redis Cluster, Sentinel, --redis-wait-replicas, --redis-password,
// and what goes with which mode.
#include <doctest/doctest.h>

#include <string>

#include "broker_config_support.hpp"
#include "config.hpp"

using namespace parley;
using namespace parley::config_testing;

TEST_CASE("config: Redis shards and time-outs") {
  Config c = ok({"--dev", "--redis", "redis://10.0.0.1:6380/2", "--redis", "redis://10.0.0.2",
                 "--redis-timeout-ms", "250", "--presence-ttl-ms", "3000"});
  CHECK(c.redis_urls == std::vector<std::string>{"redis://10.0.0.1:6380/2", "redis://10.0.0.2"});
  CHECK(c.redis_timeout_ms == 250);
  CHECK(c.presence_ttl_ms == 3000);
  // The environment takes a comma-separated list, like PARLEY_ALLOWED_ORIGIN.
  c = ok({"--dev"}, {"PARLEY_REDIS=redis://a:1,redis://b:2/1", "PARLEY_REDIS_TIMEOUT_MS=50"});
  CHECK(c.redis_urls == std::vector<std::string>{"redis://a:1", "redis://b:2/1"});
  CHECK(c.redis_timeout_ms == 50);
  TempFile file("redis = redis://file-a\nredis = redis://file-b\n");
  CHECK(ok({"--dev", "--config", file.name()}).redis_urls.size() == 2);
  CHECK(ok({"--dev", "--config", file.name(), "--redis", "redis://flag"}).redis_urls ==
        std::vector<std::string>{"redis://flag"});

  CHECK(error({"--dev", "--redis", "http://x"}) ==
        "--redis (PARLEY_REDIS): expected redis://HOST[:PORT][/DB] (IPv6 in brackets), got "
        "\"http://x\"");
  CHECK(contains(error({"--dev", "--redis", "redis://h:99999"}), "--redis (PARLEY_REDIS)"));
  // One shard named twice would be two points of view of one server.
  CHECK(error({"--dev", "--redis", "redis://h", "--redis", "redis://h:6379/0"}) ==
        "--redis (PARLEY_REDIS): h:6379/0 is given twice");
  CHECK(contains(error({"--dev", "--redis-timeout-ms", "5"}), "--redis-timeout-ms"));
  CHECK(contains(error({"--dev", "--presence-ttl-ms", "100"}), "--presence-ttl-ms"));
}

TEST_CASE("config: Sentinel mode and --redis-wait-replicas") {
  Config c = ok({"--dev", "--redis-sentinel", "10.0.0.1:26379,[::1]:26380", "--redis-master-name",
                 "main", "--redis-wait-replicas", "1", "--redis-wait-timeout-ms", "200"});
  CHECK(c.redis_sentinels == std::vector<std::string>{"10.0.0.1:26379", "[::1]:26380"});
  CHECK(c.redis_master_name == "main");
  CHECK(c.redis_urls.empty());
  CHECK(c.redis_wait_replicas == 1);
  CHECK(c.redis_wait_timeout_ms == 200);
  c = ok({"--dev"}, {"PARLEY_REDIS_SENTINEL=a:1,b:2", "PARLEY_REDIS_MASTER_NAME=m"});
  CHECK(c.redis_sentinels.size() == 2);
  CHECK(ok({"--dev"}).redis_wait_replicas == 0);
  // WAIT without Sentinel is fine too.
  CHECK(ok({"--dev", "--redis", "redis://h", "--redis-wait-replicas", "2"}).redis_wait_replicas == 2);

  CHECK(contains(error({"--dev", "--redis-sentinel", "h:26379"}), "needs --redis-master-name"));
  // AUTH for the cluster's nodes or the sentinels' master; a --redis URL has its own.
  CHECK(ok({"--dev", "--redis-cluster", "h:7000", "--redis-password", "pw"}).redis_password == "pw");
  CHECK(ok({"--dev"}, {"PARLEY_REDIS_SENTINEL=a:1", "PARLEY_REDIS_MASTER_NAME=m",
                       "PARLEY_REDIS_PASSWORD=s3"})
            .redis_password == "s3");
  CHECK(contains(error({"--dev", "--redis", "redis://h", "--redis-password", "pw"}),
                 "goes with --redis-cluster or --redis-sentinel"));
  CHECK(contains(error({"--dev", "--redis-master-name", "m"}), "goes with --redis-sentinel"));
  // Webhooks need the --redis outbox stream.
  const std::string hook = "tenant=t url=http://127.0.0.1:9/h secret=s";
  CHECK(contains(error({"--dev", "--redis-cluster", "h:7000", "--webhook", hook}),
                 "is not supported with --redis-cluster yet"));
  CHECK(contains(error({"--dev", "--redis-sentinel", "h:26379", "--redis-master-name", "m",
                        "--webhook", hook}),
                 "is not supported with --redis-sentinel yet"));
  CHECK(ok({"--dev", "--redis", "redis://h", "--webhook", hook}).hooks.webhooks.size() == 1);
  CHECK(error({"--dev", "--redis", "redis://h", "--redis-sentinel", "h:26379", "--redis-master-name",
               "m"}) == "set either --redis or --redis-sentinel, not both");
  // The port is required (a sentinel's is not Redis's), and nothing but HOST:PORT.
  CHECK(contains(error({"--dev", "--redis-sentinel", "h", "--redis-master-name", "m"}),
                 "expected HOST:PORT, got \"h\""));
  CHECK(contains(error({"--dev", "--redis-sentinel", "redis://h:1", "--redis-master-name", "m"}),
                 "expected HOST:PORT"));
  CHECK(contains(error({"--dev", "--redis-sentinel", ",h:1", "--redis-master-name", "m"}),
                 "expected HOST:PORT, got \"\""));
  CHECK(contains(error({"--dev", "--redis-sentinel", "", "--redis-master-name", "m"}),
                 "no sentinel given"));
  // WAIT must end before the command's own time-out does.
  CHECK(contains(error({"--dev", "--redis-wait-replicas", "1", "--redis-wait-timeout-ms", "1000"}),
                 "must be below --redis-timeout-ms"));
}
