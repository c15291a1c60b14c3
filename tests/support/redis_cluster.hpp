// A private Redis Cluster for the cluster tests: `masters` redis-servers
// (plus `replicas_each` replicas of each) with --cluster-enabled yes on free
// loopback ports, joined by `redis-cli --cluster create`, ready once every
// node says cluster_state:ok. Like RedisServer, the processes die with the
// test process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "redis_server.hpp"

namespace parley::testing {

// A loopback port nobody uses right now (redis_server.cpp).
int free_loopback_port();

class RedisCluster {
 public:
  // The one 3-master cluster of this test process, made on first use.
  static RedisCluster& shared();

  RedisCluster(int masters, int replicas_each);
  ~RedisCluster();

  // "127.0.0.1:P1,127.0.0.1:P2,...": the --redis-cluster seed list.
  std::string seeds() const;
  size_t size() const { return nodes_.size(); }
  RedisServer& node(size_t i) { return *nodes_[i]; }
  // The node serving `slot` as master now (by CLUSTER SLOTS on any node).
  RedisServer* master_of(int slot);
  // A command on the master of `key`'s slot (following nothing: it asks
  // CLUSTER KEYSLOT and CLUSTER SLOTS first).
  std::string command_on_master(int slot, std::initializer_list<std::string> args);
  // FLUSHALL on every master.
  void flush_all();
  // Moves `slot` to the master `to` with redis-cli (CLUSTER SETSLOT +
  // MIGRATE); true when redis-cli succeeded.
  bool move_slot(int slot, RedisServer& to);
  // How many slots the master of `slot` serves up to and including it (what
  // reshard() moves); 0 when no master serves it.
  int slots_through(int slot);
  // Moves `slot` to the master `to` with the operator's tool: redis-cli
  // --cluster reshard --cluster-from (its master) --cluster-to --cluster-slots
  // slots_through(slot) --cluster-yes, which takes the lowest slots first;
  // true when redis-cli succeeded.
  bool reshard(int slot, RedisServer& to);
  // Waits until every running node says cluster_state:ok.
  bool wait_ok();

 private:
  std::vector<std::unique_ptr<RedisServer>> nodes_;
};

}  // namespace parley::testing
