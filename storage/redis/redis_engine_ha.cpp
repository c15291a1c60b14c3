// The Redis engine's high-availability parts: Sentinel mode (the one shard
// follows the master the sentinels name, sentinel.hpp) and
// --redis-wait-replicas (an acknowledged write is a replicated one).
#include <stdexcept>

#include "redis_engine.hpp"
#include "redis_engine_support.hpp"

namespace parley::redis {

RedisAddress sentinel_shard_address(const RedisEngineOptions& o) {
  if (o.master_name.empty())
    throw std::invalid_argument("redis engine: Sentinel mode needs a master name");
  // Not an address anything connects to: the links ask the sentinels.
  RedisAddress a;
  a.host = "sentinel-" + o.master_name;
  a.port = 0;
  return a;
}

std::unique_ptr<Sentinel> make_sentinel(asio::any_io_executor ex, const RedisEngineOptions& o) {
  if (o.sentinels.empty()) return nullptr;
  SentinelOptions so;
  so.master_name = o.master_name;
  for (const auto& s : o.sentinels) {
    auto a = parse_sentinel_address(s);
    if (!a) throw std::invalid_argument("redis engine: not a sentinel HOST:PORT: " + s);
    so.sentinels.push_back(std::move(*a));
  }
  return std::make_unique<Sentinel>(ex, std::move(so), o.connection);
}

namespace {

// The scripts whose commit a client is answered about. The others are
// bookkeeping (claims, index entries), presence and timers: a failover that
// loses them is repaired by the next commit, presence renewal or poll.
bool answers_client(ScriptId id) {
  return id == ScriptId::append || id == ScriptId::commit || id == ScriptId::create;
}

}  // namespace

asio::awaitable<Result<RedisReply>> RedisEngine::script_command(Shard& s, ScriptId id,
                                                                std::vector<std::string> cmd) {
  if (answers_client(id)) co_return co_await acked_command(s, std::move(cmd));
  co_return co_await s.cmd->command(std::move(cmd));
}

// WAIT goes right behind the command on the same connection: Redis counts
// the replicas that have everything this connection wrote so far, this
// command included. While it waits, the commands behind it on the
// connection wait too (WAIT blocks its client).
asio::awaitable<Result<RedisReply>> RedisEngine::acked_command(Shard& s,
                                                               std::vector<std::string> cmd) {
  if (options_.wait_replicas <= 0) co_return co_await s.cmd->command(std::move(cmd));
  std::vector<std::vector<std::string>> cmds;
  cmds.push_back(std::move(cmd));
  cmds.push_back(strs("WAIT", std::to_string(options_.wait_replicas),
                      std::to_string(options_.wait_timeout.count())));
  auto replies = co_await s.cmd->pipeline(std::move(cmds));
  // A transport failure or an error reply (NOSCRIPT: nothing ran) is the
  // caller's to handle, as without WAIT.
  if (!replies[0] || replies[0]->is_error()) co_return std::move(replies[0]);
  const auto& w = replies[1];
  const auto acked = w ? w->as_int() : std::nullopt;
  if (!acked || *acked < options_.wait_replicas)
    co_return unavailable(
        "redis: the write reached " + (acked ? std::to_string(*acked) : std::string("?")) +
        " of " + std::to_string(options_.wait_replicas) + " replicas within " +
        std::to_string(options_.wait_timeout.count()) +
        " ms; it may still be applied (a retry with the same clientMessageId is not duplicated)");
  co_return std::move(replies[0]);
}

}  // namespace parley::redis
