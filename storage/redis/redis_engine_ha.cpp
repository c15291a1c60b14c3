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
  so.master_password = o.password;
  for (const auto& s : o.sentinels) {
    auto a = parse_sentinel_address(s);
    if (!a) throw std::invalid_argument("redis engine: not a sentinel HOST:PORT: " + s);
    so.sentinels.push_back(std::move(*a));
  }
  return std::make_unique<Sentinel>(ex, std::move(so), o.connection);
}

// The scripts whose commit a client is answered about (waited for with
// --redis-wait-replicas). The others are bookkeeping (claims, index
// entries), presence and timers: a failover that loses them is repaired by
// the next commit, presence renewal or poll. Used by eval()
// (redis_engine_scripts.cpp).
bool script_answers_client(ScriptId id) {
  return id == ScriptId::append || id == ScriptId::commit || id == ScriptId::create;
}

// WAIT goes right behind the command on the same connection (in cluster
// mode: the slot master's, where routed() sent the command, after ASKING
// when the slot is being migrated): Redis counts the replicas that have
// everything this connection wrote so far, this command included. While it
// waits, the commands behind it on the connection wait too (WAIT blocks its
// client).
asio::awaitable<Result<RedisReply>> RedisEngine::send(Shard& s, std::vector<std::string> cmd,
                                                      bool asking, bool acked) {
  const bool wait = acked && options_.wait_replicas > 0;
  if (!asking && !wait) co_return co_await s.cmd->command(std::move(cmd));
  std::vector<std::vector<std::string>> cmds;
  if (asking) cmds.push_back(strs("ASKING"));
  cmds.push_back(std::move(cmd));
  if (wait)
    cmds.push_back(strs("WAIT", std::to_string(options_.wait_replicas),
                        std::to_string(options_.wait_timeout.count())));
  auto replies = co_await s.cmd->pipeline(std::move(cmds));
  auto& reply = replies[asking ? 1 : 0];
  // A transport failure or an error reply (NOSCRIPT, a redirect: nothing
  // ran) is the caller's to handle, as without WAIT.
  if (!wait || !reply || reply->is_error()) co_return std::move(reply);
  const auto& w = replies.back();
  const auto acked_by = w ? w->as_int() : std::nullopt;
  if (!acked_by || *acked_by < options_.wait_replicas)
    co_return unavailable(
        "redis: the write reached " + (acked_by ? std::to_string(*acked_by) : std::string("?")) +
        " of " + std::to_string(options_.wait_replicas) + " replicas within " +
        std::to_string(options_.wait_timeout.count()) +
        " ms; it may still be applied (a retry with the same clientMessageId is not duplicated)");
  co_return std::move(reply);
}

}  // namespace parley::redis
