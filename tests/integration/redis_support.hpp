// What the Redis integration tests (redis_*_test.cpp) share: broker nodes
// on one private Redis, readiness, and waiting for presence pushes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"
#include "redis_server.hpp"

namespace parley::it {

// A private redis-server (tests/support/redis_server.hpp).
using testing::RedisServer;

// Flags of a broker node on `redis`, with tokens, named `node`.
inline std::vector<std::string> node_args(const RedisServer& redis, const std::string& node,
                                          std::vector<std::string> more = {}) {
  std::vector<std::string> args =
      jwt_args({"--redis", redis.url(), "--node-id", node, "--redis-timeout-ms", "500"});
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Two broker nodes, "n1" and "n2", on one private Redis, both ready (with
// `more` flags each). Held by pointer so that a test can kill one and start
// it again.
struct TwoNodes {
  explicit TwoNodes(RedisServer::Options redis_options = {}, std::vector<std::string> more = {});
  RedisServer redis;
  std::unique_ptr<BrokerProcess> node1, node2;
};

// GET /readyz's status (0 when the broker did not answer).
inline int readyz(uint16_t port) {
  try {
    return http_get(port, "/readyz").status;
  } catch (const std::exception&) {
    return 0;
  }
}

// Waits (bounded) until the broker's storage answers.
inline bool storage_ready(uint16_t port) {
  return wait_until([&] { return readyz(port) == 200; });
}

inline TwoNodes::TwoNodes(RedisServer::Options redis_options, std::vector<std::string> more)
    : redis(redis_options),
      node1(std::make_unique<BrokerProcess>(node_args(redis, "n1", more))),
      node2(std::make_unique<BrokerProcess>(node_args(redis, "n2", more))) {
  REQUIRE(storage_ready(node1->port()));
  REQUIRE(storage_ready(node2->port()));
}

// The next `presence` push about `user` with `status`, skipping others
// (other users, earlier states of this one). Throws Timeout past `limit`.
inline Json expect_presence(WsClient& client, const std::string& user, const std::string& status,
                            Millis limit = Millis(10000)) {
  const auto until = Clock::now() + limit;
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(until - Clock::now());
    if (left <= Millis(0)) throw Timeout(client.name() + ": no presence " + status + " of " + user);
    Json push = client.expect_push("presence", left);
    Json p = push.at("/params");
    if (p.get_string("/userId") == user && p.get_string("/status") == status) return p;
  }
}

// getPresence of one user: {userId, status, lastSeen}.
inline Json presence_of(WsClient& client, const std::string& user) {
  Json result = client.call("getPresence", obj({{"userIds", raw("[" + quote(user) + "]")}}));
  REQUIRE_MESSAGE(result.size() == 1, result.frame());
  return result.items().front();
}

}  // namespace parley::it
