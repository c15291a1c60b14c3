// The Redis engine on Redis Cluster (--redis-cluster): routing each command
// to the master of its slot, following the cluster's redirects, keeping the
// slot map current, and the script variants with sharded pub/sub.
//
// ROUTING. Every key carries a hash tag (redis_keys.hpp), and its slot is
// CRC16 of the tag (cluster_slots.hpp). The engine keeps a table slot ->
// shard (one command connection per master), read with CLUSTER SLOTS from
// any node it knows (the seeds first) at start, every second, and at once
// after a -MOVED. Every keyed command (scripts, plain commands, each command
// of a pipeline) goes through routed(), which follows redirects as
// cluster_step() (cluster_slots.hpp) says:
//  - -MOVED slot host:port: the slot lives there now; send it there (and
//    read the map again).
//  - -ASK slot host:port: the slot is being migrated and this key already
//    moved: ASKING and the command back to back on that node, this once.
//  - -TRYAGAIN (a multi-key call while the slot's keys are split between
//    the two nodes of a migration) and -CLUSTERDOWN (a failover in
//    progress): wait 20 ms and send it again.
// A call gives up after kClusterMaxRounds of these and answers 503 (nothing
// was written: a redirected command did not run). With
// --redis-wait-replicas, WAIT follows the write on the node that ran it.
//
// WHAT EACH SCRIPT TOUCHES. A conversation's scripts touch only keys under
// {c:T:ID} (one slot); when the tenant's {t:T} is in the same slot (never
// assumed: same_place() compares slots) the updated-at index moves in the
// same script, else a ZADD follows on the tenant's slot. Tenant scripts
// touch {t:T} only. Presence and timers, whose per-shard indexes had no hash
// tag, use buckets in cluster mode (redis_presence.cpp, redis_timers.cpp).
//
// PUB/SUB: cluster_pubsub.hpp. The conversation channel is a shard channel:
// the commit scripts' PUBLISH of it becomes SPUBLISH in cluster mode (the
// variant below: the scripts' text is otherwise the same).
#include "redis_engine_cluster.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

#include "redis_engine_support.hpp"

namespace parley::redis {

namespace {

constexpr auto kPause = std::chrono::milliseconds(20);
constexpr auto kRefreshEvery = std::chrono::seconds(1);
constexpr auto kRefreshGap = std::chrono::milliseconds(50);  // between two map reads

// The conversation channel is published with SPUBLISH; the tenant change
// channel (a literal 'pl:{t:' name) stays a classic PUBLISH.
std::string sharded_variant(std::string_view source) {
  static constexpr std::string_view from = "redis.call('PUBLISH', ARGV[";
  static constexpr std::string_view to = "redis.call('SPUBLISH', ARGV[";
  std::string out(source);
  for (size_t at = out.find(from); at != std::string::npos; at = out.find(from, at + to.size()))
    out.replace(at, from.size(), to);
  return out;
}

}  // namespace

size_t RedisEngine::shard_index(std::string_view tag) const {
  if (!cluster_) return ring_.shard_for(tag);
  const int16_t o = cluster_->owner[tag_slot(tag)].load(std::memory_order_acquire);
  return o < 0 ? 0 : static_cast<size_t>(o);  // no map yet: a seed, which redirects
}

bool RedisEngine::same_place(std::string_view tag_a, std::string_view tag_b) const {
  if (cluster_) return tag_slot(tag_a) == tag_slot(tag_b);
  return ring_.shard_for(tag_a) == ring_.shard_for(tag_b);
}

std::string_view RedisEngine::source_of(ScriptId id) const {
  if (cluster_) return cluster_->sources[static_cast<size_t>(id)];
  return script(id).source;
}

uint64_t RedisEngine::cluster_maps_read() const { return cluster_ ? cluster_->maps.load() : 0; }

void RedisEngine::cluster_start() {
  auto seeds = parse_seed_list(options_.cluster);
  if (!seeds)
    throw std::invalid_argument("redis cluster: not a HOST:PORT[,HOST:PORT...] list: " +
                                options_.cluster);
  cluster_ = std::make_unique<Cluster>(io_.get_executor());
  cluster_->seeds = *seeds;
  // The map's nodes and the redirects' take the seed's password.
  for (auto& a : cluster_->seeds) a.password = options_.password;
  for (int i = 0; i < kScriptCount; ++i)
    cluster_->sources[static_cast<size_t>(i)] = sharded_variant(script(static_cast<ScriptId>(i)).source);
  cluster_->pubsub = std::make_unique<ClusterPubsub>(io_.get_executor(), options_.connection.link,
                                                     dispatcher(),
                                                     [this] { cluster_refresh_soon(); });
  shards_.reserve(kClusterMaxNodes);
  for (const auto& a : cluster_->seeds) cluster_shard(a);
  asio::co_spawn(io_, cluster_refresh_loop(), asio::detached);
}

void RedisEngine::cluster_stop() {
  cluster_->stopping.store(true);
  asio::post(io_, [this] { cluster_->refresh_timer.cancel(); });
  cluster_->pubsub->close();
}

RedisEngine::Shard& RedisEngine::cluster_shard(const RedisAddress& address) {
  std::lock_guard lk(cluster_->mu);
  for (auto& s : shards_)
    if (s.address.host == address.host && s.address.port == address.port) return s;
  // Past kClusterMaxNodes nodes, the first shard stands in: it redirects.
  if (shards_.size() == shards_.capacity()) return shards_.front();
  Shard s;
  s.address = address;
  s.cmd.own = std::make_shared<RedisConnection>(io_.get_executor(), address, options_.connection,
                                            "parley");
  shards_.push_back(std::move(s));
  shards_.back().cmd.own->start();
  return shards_.back();
}

bool RedisEngine::cluster_ready() const {
  if (cluster_->maps.load() == 0) return false;
  std::lock_guard lk(cluster_->mu);
  for (size_t i : cluster_->masters)
    if (!shards_[i].cmd->up()) return false;
  return true;
}

void RedisEngine::cluster_refresh_soon() {
  if (cluster_->refresh_wanted.exchange(true)) return;
  asio::post(io_, [this] { cluster_->refresh_timer.cancel(); });
}

asio::awaitable<void> RedisEngine::cluster_refresh_loop() {
  asio::steady_timer gap(co_await asio::this_coro::executor);
  while (!cluster_->stopping.load()) {
    cluster_->refresh_wanted.store(false);
    // Until a first map, try often: every call waits for it.
    const bool got = co_await cluster_refresh();
    boost::system::error_code ec;
    gap.expires_after(kRefreshGap);
    co_await gap.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (cluster_->stopping.load()) break;
    if (!got || cluster_->refresh_wanted.load()) continue;
    cluster_->refresh_timer.expires_after(kRefreshEvery);
    co_await cluster_->refresh_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<bool> RedisEngine::cluster_refresh() {
  // Ask the current masters first, then every other node known.
  std::vector<size_t> order;
  {
    std::lock_guard lk(cluster_->mu);
    order = cluster_->masters;
    for (size_t i = 0; i < shards_.size(); ++i)
      if (std::find(order.begin(), order.end(), i) == order.end()) order.push_back(i);
  }
  for (size_t i : order) {
    Shard& s = shards_[i];
    if (!s.cmd->up()) continue;
    auto r = co_await s.cmd->command(strs("CLUSTER", "SLOTS"));
    if (!r || r->is_error()) continue;
    auto map = SlotMap::parse(*r, s.address);
    if (!map || map->masters.empty()) continue;
    std::vector<size_t> masters;
    for (const auto& m : map->masters) masters.push_back(&cluster_shard(m) - shards_.data());
    for (size_t slot = 0; slot < kClusterSlots; ++slot) {
      const int16_t o = map->owner[slot];
      cluster_->owner[slot].store(o < 0 ? int16_t{-1} : static_cast<int16_t>(masters[static_cast<size_t>(o)]),
                                  std::memory_order_release);
    }
    {
      std::lock_guard lk(cluster_->mu);
      cluster_->masters = masters;
    }
    cluster_->pubsub->set_map(*map);
    cluster_->maps.fetch_add(1);
    co_return true;
  }
  co_return false;
}

asio::awaitable<Result<RedisReply>> RedisEngine::routed(Shard*& to, std::vector<std::string> cmd,
                                                        bool acked) {
  if (!cluster_) co_return co_await send(*to, std::move(cmd), false, acked);
  bool asking = false;
  for (int rounds = 0;; ++rounds) {
    auto r = co_await send(*to, cmd, asking, acked);  // a copy: it may go again
    if (!r) co_return r;
    ClusterStep step = cluster_step(*r, to->address, rounds);
    asking = false;
    switch (step.kind) {
      case ClusterStep::Kind::done:
      case ClusterStep::Kind::give_up:
        co_return r;
      case ClusterStep::Kind::moved:
        cluster_refresh_soon();
        to = &cluster_shard(step.to);
        break;
      case ClusterStep::Kind::ask:
        to = &cluster_shard(step.to);
        asking = true;
        break;
      case ClusterStep::Kind::pause: {
        asio::steady_timer pause(co_await asio::this_coro::executor);
        pause.expires_after(kPause);
        boost::system::error_code ec;
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        break;
      }
    }
  }
}

asio::awaitable<std::vector<Result<RedisReply>>> RedisEngine::routed_pipeline(
    Shard& s, std::vector<std::vector<std::string>> cmds) {
  if (!cluster_) co_return co_await s.cmd->pipeline(std::move(cmds));
  auto replies = co_await s.cmd->pipeline(cmds);  // a copy: some may go again
  for (size_t i = 0; i < replies.size(); ++i)
    if (replies[i] && is_cluster_redirect(*replies[i]))
      replies[i] = co_await routed(s, std::move(cmds[i]));
  co_return replies;
}

}  // namespace parley::redis
