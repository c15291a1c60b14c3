// The Redis engine's timers (timer_store.hpp, contract 13).
//
// KEYS, one pair per shard (like presence's due index, without a hash tag:
// never placed by the ring, each shard keeps its own, listing the timers of
// the conversations the ring places on that shard):
//   pl:timers      zset  "KIND:T:ID" -> when the timer may next be handed
//                        out: its due time, or the end of a claim's lease
//   pl:timer-due   hash  "KIND:T:ID" -> the due time timer_set() gave it
// KIND is auto_lock or ttl; T and ID are percent-escaped (redis_keys.hpp).
//
// In cluster mode (--redis-cluster) a key without a tag lives in one slot,
// so the pair is split into kTimerBuckets buckets instead, each under its
// own tag on the master of its slot: pl:{tm:B}:timers, pl:{tm:B}:timer-due,
// B = stable_hash(member) mod kTimerBuckets; a poll claims from each bucket.
//
// A claim is one script per shard (timer_claim): it reads the members
// ready by `now` and pushes each to the end of its lease with ZADD XX in the
// same atomic step, so two nodes polling at once get disjoint sets. The due
// time stays in the hash, which is what timer_clear(if_due) compares: a
// timer moved by timer_set() while a node acted on its old time survives
// that node's clear.
#include <algorithm>

#include "redis_engine.hpp"
#include "redis_engine_support.hpp"

namespace parley::redis {

namespace {

constexpr std::string_view kQueue = "pl:timers";
constexpr std::string_view kDue = "pl:timer-due";

constexpr size_t kTimerBuckets = 16;

std::vector<std::string> timer_keys() { return strs(kQueue, kDue); }

std::string bucket_tag(size_t bucket) { return "tm:" + std::to_string(bucket); }

std::vector<std::string> bucket_keys(size_t bucket) {
  const std::string head = "pl:{" + bucket_tag(bucket) + "}:";
  return strs(head + "timers", head + "timer-due");
}

std::string member_of(const ConvKey& key, TimerKind kind) {
  std::string m(to_string(kind));
  m += ':';
  m += escape_component(key.tenant);
  m += ':';
  m += escape_component(key.id);
  return m;
}

// The (key, kind) of a queue member, if it is one of ours.
std::optional<std::pair<ConvKey, TimerKind>> timer_of(std::string_view member) {
  const auto a = member.find(':');
  if (a == std::string_view::npos) return std::nullopt;
  const auto b = member.find(':', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  auto kind = timer_kind_from(member.substr(0, a));
  auto tenant = unescape_component(member.substr(a + 1, b - a - 1));
  auto id = unescape_component(member.substr(b + 1));
  if (!kind || !tenant || !id) return std::nullopt;
  return std::make_pair(ConvKey{std::move(*tenant), std::move(*id)}, *kind);
}

}  // namespace

asio::awaitable<Status> RedisEngine::timer_set(ConvKey key, TimerKind kind, Millis due) {
  std::vector<std::string> args = strs(member_of(key, kind), std::to_string(due));
  const ConvKeys ck(key);
  const size_t bucket = stable_hash(args[0]) % kTimerBuckets;
  Shard& shard = cluster_mode() ? shard_of_tag(bucket_tag(bucket)) : shard_of(ck);
  std::vector<std::string> keys = cluster_mode() ? bucket_keys(bucket) : timer_keys();
  auto r = co_await eval(shard, ScriptId::timer_set, std::move(keys), std::move(args));
  if (!r) co_return std::move(r).error();
  co_return Ok{};
}

asio::awaitable<Status> RedisEngine::timer_clear(ConvKey key, TimerKind kind,
                                                 std::optional<Millis> if_due) {
  std::string expected = if_due ? std::to_string(*if_due) : std::string();
  std::vector<std::string> args = strs(member_of(key, kind), std::move(expected));
  const ConvKeys ck(key);
  const size_t bucket = stable_hash(args[0]) % kTimerBuckets;
  Shard& shard = cluster_mode() ? shard_of_tag(bucket_tag(bucket)) : shard_of(ck);
  std::vector<std::string> keys = cluster_mode() ? bucket_keys(bucket) : timer_keys();
  auto r = co_await eval(shard, ScriptId::timer_clear, std::move(keys), std::move(args));
  if (!r) co_return std::move(r).error();
  co_return Ok{};
}

asio::awaitable<Result<std::vector<DueTimer>>> RedisEngine::timers_due(Millis now, size_t limit,
                                                                       Millis lease) {
  std::vector<DueTimer> out;
  // Where the queues are: one per shard, or one per bucket in cluster mode.
  std::vector<std::pair<Shard*, std::vector<std::string>>> queues;
  if (cluster_mode()) {
    for (size_t b = 0; b < kTimerBuckets; ++b)
      queues.emplace_back(&shard_of_tag(bucket_tag(b)), bucket_keys(b));
  } else {
    for (auto& s : shards_) queues.emplace_back(&s, timer_keys());
  }
  for (auto& [shard, keys] : queues) {
    Shard& s = *shard;
    if (out.size() >= limit) break;
    std::vector<std::string> args =
        strs(std::to_string(now), std::to_string(limit - out.size()), std::to_string(now + lease));
    auto r = co_await eval(s, ScriptId::timer_claim, keys, std::move(args));
    if (!r) co_return std::move(r).error();
    if (!r->is_array() || r->size() % 2 != 0) co_return unavailable("redis: malformed timer reply");
    for (size_t i = 0; i + 1 < r->size(); i += 2) {
      const std::string& member = (*r)[i].str();
      auto timer = timer_of(member);
      auto due = (*r)[i + 1].as_int();
      if (!timer || !due) {
        // Not ours to read: drop it rather than claim it every lease.
        std::vector<std::string> cmd = strs("ZREM", keys[0], member);
        s.cmd->async_command(std::move(cmd), [](Result<RedisReply>) {});
        continue;
      }
      out.push_back(DueTimer{std::move(timer->first), timer->second, *due});
    }
  }
  // Earliest first across shards too (each shard's part already is).
  std::stable_sort(out.begin(), out.end(),
                   [](const DueTimer& a, const DueTimer& b) { return a.due < b.due; });
  co_return out;
}

}  // namespace parley::redis
