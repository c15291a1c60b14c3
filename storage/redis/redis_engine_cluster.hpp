// The Redis engine's Redis Cluster state (redis_engine_cluster.cpp): the
// slot table the engine routes by, and the sharded pub/sub.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <mutex>
#include <vector>

#include "cluster_pubsub.hpp"
#include "cluster_slots.hpp"
#include "redis_engine.hpp"

namespace parley::redis {

// The shards (node connections) of a cluster are made as nodes appear and
// never dropped, so a Shard& stays valid; the vector is reserved up front
// and never reallocates.
inline constexpr size_t kClusterMaxNodes = 128;

struct RedisEngine::Cluster {
  explicit Cluster(asio::any_io_executor ex) : refresh_timer(ex) {
    for (auto& o : owner) o.store(-1, std::memory_order_relaxed);
  }
  std::vector<RedisAddress> seeds;
  std::array<std::atomic<int16_t>, kClusterSlots> owner;  // slot -> shard index, -1 unknown
  std::mutex mu;                                          // adding shards, `masters`
  std::vector<size_t> masters;                            // shards serving slots now
  std::atomic<uint64_t> maps{0};                          // slot maps applied
  std::atomic<bool> refresh_wanted{false};
  asio::steady_timer refresh_timer;
  std::unique_ptr<ClusterPubsub> pubsub;
  std::array<std::string, kScriptCount> sources;  // the scripts with SPUBLISH
  std::atomic<bool> stopping{false};
};

}  // namespace parley::redis
