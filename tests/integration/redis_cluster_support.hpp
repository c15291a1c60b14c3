// What the Redis Cluster integration tests (redis_cluster*_test.cpp) share:
// broker flags for a cluster and the slot of a conversation.
#pragma once

#include <string>
#include <vector>

#include "redis_cluster.hpp"
#include "redis_support.hpp"

namespace parley::it {

using testing::RedisCluster;

// Flags of a broker node on `c`, with tokens, named `node` (and `more`).
inline std::vector<std::string> cluster_node_args(const RedisCluster& c, const std::string& node,
                                                  std::vector<std::string> more = {}) {
  std::vector<std::string> args =
      jwt_args({"--redis-cluster", c.seeds(), "--node-id", node, "--redis-timeout-ms", "500"});
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// The cluster slot of a conversation of tenant "acme" (its keys' hash tag).
inline int slot_of(RedisCluster& c, const std::string& id) {
  return std::stoi(c.node(0).command({"CLUSTER", "KEYSLOT", "{c:acme:" + id + "}"}));
}

}  // namespace parley::it
