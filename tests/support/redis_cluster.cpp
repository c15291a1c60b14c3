#include "redis_cluster.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "wait.hpp"

namespace parley::testing {

namespace {

// A blocking command on a fresh connection; the reply as hiredis gives it
// (null when the node cannot be reached). Freed by the caller.
struct Reply {
  redisReply* r = nullptr;
  ~Reply() {
    if (r) freeReplyObject(r);
  }
};

void run_on(int port, const std::vector<std::string>& args, Reply& out) {
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeval{0, 300000});
  if (!c || c->err) {
    if (c) redisFree(c);
    return;
  }
  redisSetTimeout(c, timeval{5, 0});
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  out.r = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  redisFree(c);
}

std::string text(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
               r->type == REDIS_REPLY_ERROR)
             ? std::string(r->str, r->len)
             : std::string();
}

}  // namespace

RedisCluster& RedisCluster::shared() {
  static RedisCluster cluster(3, 0);
  return cluster;
}

RedisCluster::RedisCluster(int masters, int replicas_each) {
  const int total = masters * (1 + replicas_each);
  for (int i = 0; i < total; ++i) {
    RedisServer::Options o;
    // The cluster bus port is the port + 10000 unless given: a free port
    // above 55535 would put it out of range.
    o.extra = {"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
               "--cluster-node-timeout", "1000", "--cluster-port",
               std::to_string(free_loopback_port()),
               // A replica's first sync starts at once, not 5 s later.
               "--repl-diskless-sync-delay", "0"};
    nodes_.push_back(std::make_unique<RedisServer>(o));
  }
  std::string cmd = "redis-cli --cluster create";
  for (auto& n : nodes_) cmd += " 127.0.0.1:" + std::to_string(n->port());
  cmd += " --cluster-replicas " + std::to_string(replicas_each) + " --cluster-yes >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0)
    throw std::runtime_error("redis-cli --cluster create failed (is redis-tools installed?)");
  if (!wait_ok()) throw std::runtime_error("the test cluster did not reach cluster_state:ok");
}

RedisCluster::~RedisCluster() = default;

bool RedisCluster::wait_ok() {
  return wait_until(
      [&] {
        for (auto& n : nodes_) {
          if (!n->running()) continue;
          if (n->command({"CLUSTER", "INFO"}).find("cluster_state:ok") == std::string::npos)
            return false;
        }
        // Every node's slot map agrees on a master per slot range.
        for (auto& n : nodes_) {
          if (!n->running()) continue;
          Reply r;
          run_on(n->port(), {"CLUSTER", "SLOTS"}, r);
          if (!r.r || r.r->type != REDIS_REPLY_ARRAY || r.r->elements == 0) return false;
        }
        return true;
      },
      std::chrono::seconds(30));
}

std::string RedisCluster::seeds() const {
  std::string out;
  for (auto& n : nodes_) {
    if (!out.empty()) out += ",";
    out += "127.0.0.1:" + std::to_string(n->port());
  }
  return out;
}

RedisServer* RedisCluster::master_of(int slot) {
  for (auto& n : nodes_) {
    if (!n->running()) continue;
    Reply r;
    run_on(n->port(), {"CLUSTER", "SLOTS"}, r);
    if (!r.r || r.r->type != REDIS_REPLY_ARRAY) continue;
    for (size_t i = 0; i < r.r->elements; ++i) {
      const redisReply* range = r.r->element[i];
      if (range->elements < 3 || slot < range->element[0]->integer ||
          slot > range->element[1]->integer)
        continue;
      const long long port = range->element[2]->element[1]->integer;
      for (auto& m : nodes_)
        if (m->port() == port) return m.get();
    }
  }
  return nullptr;
}

int RedisCluster::slots_through(int slot) {
  RedisServer* m = master_of(slot);
  if (!m) return 0;
  Reply r;
  run_on(m->port(), {"CLUSTER", "SLOTS"}, r);
  if (!r.r || r.r->type != REDIS_REPLY_ARRAY) return 0;
  long long n = 0;
  for (size_t i = 0; i < r.r->elements; ++i) {
    const redisReply* range = r.r->element[i];
    if (range->elements < 3 || range->element[2]->element[1]->integer != m->port()) continue;
    const long long lo = range->element[0]->integer, hi = range->element[1]->integer;
    if (lo <= slot) n += std::min<long long>(hi, slot) - lo + 1;
  }
  return static_cast<int>(n);
}

bool RedisCluster::reshard(int slot, RedisServer& to) {
  RedisServer* from = master_of(slot);
  if (!from) return false;
  if (from == &to) return true;
  const std::string cmd = "redis-cli --cluster reshard 127.0.0.1:" + std::to_string(to.port()) +
                          " --cluster-from " + from->command({"CLUSTER", "MYID"}) +
                          " --cluster-to " + to.command({"CLUSTER", "MYID"}) +
                          " --cluster-slots " + std::to_string(slots_through(slot)) +
                          " --cluster-yes >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

std::string RedisCluster::command_on_master(int slot, std::initializer_list<std::string> args) {
  RedisServer* m = master_of(slot);
  return m ? m->command(args) : std::string();
}

void RedisCluster::flush_all() {
  for (auto& n : nodes_)
    if (n->running()) n->command({"FLUSHALL"});
}

bool RedisCluster::move_slot(int slot, RedisServer& to) {
  RedisServer* from = master_of(slot);
  if (!from) return false;
  if (from == &to) return true;
  const std::string s = std::to_string(slot);
  const std::string from_id = from->command({"CLUSTER", "MYID"});
  const std::string to_id = to.command({"CLUSTER", "MYID"});
  if (to.command({"CLUSTER", "SETSLOT", s, "IMPORTING", from_id}) != "OK") return false;
  if (from->command({"CLUSTER", "SETSLOT", s, "MIGRATING", to_id}) != "OK") return false;
  for (;;) {
    Reply keys;
    run_on(from->port(), {"CLUSTER", "GETKEYSINSLOT", s, "50"}, keys);
    if (!keys.r || keys.r->type != REDIS_REPLY_ARRAY) return false;
    if (keys.r->elements == 0) break;
    std::vector<std::string> migrate = {"MIGRATE", "127.0.0.1", std::to_string(to.port()), "",
                                        "0", "5000", "KEYS"};
    for (size_t i = 0; i < keys.r->elements; ++i) migrate.push_back(text(keys.r->element[i]));
    Reply done;
    run_on(from->port(), migrate, done);
    if (!done.r || text(done.r) != "OK") return false;
  }
  // The new owner first, then the old one, then everyone else.
  if (to.command({"CLUSTER", "SETSLOT", s, "NODE", to_id}) != "OK") return false;
  if (from->command({"CLUSTER", "SETSLOT", s, "NODE", to_id}) != "OK") return false;
  for (auto& n : nodes_)
    if (n.get() != from && n.get() != &to && n->running())
      n->command({"CLUSTER", "SETSLOT", s, "NODE", to_id});
  return true;
}

}  // namespace parley::testing
