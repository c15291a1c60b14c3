// The Redis engine's presence (presence_store.hpp, contract 11).
//
// KEYS, per user under the hash tag {u:TENANT:USER}, on the shard the hash
// ring gives for "u:TENANT:USER" (TENANT and USER percent-escaped):
//   pl:{u:T:U}:sockets   zset  socket id -> expires_at (ms, the node's clock)
//   pl:{u:T:U}:presence  hash  status (offline|online|away|busy), last_seen;
//                              expires presence_keep after its last write, so
//                              an offline user's last_seen is kept that long
// and one due index per shard (the one key without a hash tag: it is never
// placed by the ring, each shard keeps its own, listing its own users):
//   pl:presence-due      zset  "T:U" -> the latest expiry of the user's
//                              sockets: when it passes, the user is offline
//                              unless a socket is renewed
//
// In cluster mode (--redis-cluster) the due index must share a slot with
// the keys each script touches, so users are split into kPresenceBuckets
// buckets, B = stable_hash("T:U") mod kPresenceBuckets, each under its own
// tag on the master of its slot:
//   pl:{p:B}:u:T:U:sockets, pl:{p:B}:u:T:U:presence, pl:{p:B}:presence-due
// and the sweep reads every bucket's due index.
//
// A change is decided inside one script on the user's shard (touch, leave,
// expire), so whichever node's script makes it is the only one told, and
// that node announces it. The sweep reads the due index (users whose every
// socket expired) and runs the expire script on each: two nodes sweeping at
// once both run it, and only the first finds the user still not offline.
#include <algorithm>
#include <map>

#include "redis_engine.hpp"
#include "redis_engine_support.hpp"

namespace parley::redis {

namespace {

constexpr std::string_view kDue = "pl:presence-due";

constexpr size_t kPresenceBuckets = 64;

std::string bucket_tag(size_t bucket) { return "p:" + std::to_string(bucket); }
std::string bucket_due(size_t bucket) { return "pl:{" + bucket_tag(bucket) + "}:presence-due"; }

struct UserKeys {
  UserKeys(std::string_view tenant, std::string_view user, bool cluster)
      : due_member(escape_component(tenant) + ":" + escape_component(user)) {
    if (cluster) {
      const size_t bucket = stable_hash(due_member) % kPresenceBuckets;
      tag = bucket_tag(bucket);
      sockets = "pl:{" + tag + "}:u:" + due_member + ":sockets";
      presence = "pl:{" + tag + "}:u:" + due_member + ":presence";
      due = bucket_due(bucket);
    } else {
      tag = "u:" + due_member;
      sockets = "pl:{" + tag + "}:sockets";
      presence = "pl:{" + tag + "}:presence";
      due = kDue;
    }
  }
  std::string due_member;  // "T:U": the user in the due index
  std::string tag;         // "u:T:U" (what the hash ring places), or the bucket's "p:B"
  std::string sockets;
  std::string presence;
  std::string due;
  std::vector<std::string> keys() const { return strs(sockets, presence, due); }
};

// The (tenant, user) of a due index member.
std::optional<std::pair<std::string, std::string>> user_of_due(std::string_view member) {
  const auto colon = member.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto tenant = unescape_component(member.substr(0, colon));
  auto user = unescape_component(member.substr(colon + 1));
  if (!tenant || !user) return std::nullopt;
  return std::make_pair(std::move(*tenant), std::move(*user));
}

Result<PresenceStatus> status_of(const RedisReply& r) {
  if (auto s = presence_status_from(r.str())) return *s;
  return unavailable("redis: unreadable presence status \"" + r.str() + "\"");
}

}  // namespace

asio::awaitable<Result<std::optional<PresenceChange>>> RedisEngine::presence_touch(
    PresenceSocket socket, std::optional<PresenceStatus> status, Millis now, Millis expires_at) {
  UserKeys k(socket.tenant, socket.user_id, cluster_mode());
  std::string wanted = status ? std::string(to_string(*status)) : std::string();
  std::vector<std::string> args =
      strs(std::to_string(now), std::to_string(expires_at), socket.socket_id, std::move(wanted),
           k.due_member, std::to_string(options_.presence_keep.count()));
  auto r = co_await eval(shard_of_tag(k.tag), ScriptId::presence_touch, k.keys(), std::move(args));
  if (!r) co_return std::move(r).error();
  if (!r->is_array() || r->size() != 2) co_return unavailable("redis: malformed presence reply");
  if ((*r)[0].as_int() != 1) co_return std::optional<PresenceChange>();
  auto after = status_of((*r)[1]);
  if (!after) co_return std::move(after).error();
  co_return std::optional<PresenceChange>(
      PresenceChange{socket.tenant, {socket.user_id, *after, now}});
}

asio::awaitable<Result<std::optional<PresenceChange>>> RedisEngine::presence_leave(
    PresenceSocket socket, Millis now) {
  UserKeys k(socket.tenant, socket.user_id, cluster_mode());
  std::vector<std::string> args = strs(std::to_string(now), socket.socket_id, k.due_member,
                                       std::to_string(options_.presence_keep.count()));
  auto r = co_await eval(shard_of_tag(k.tag), ScriptId::presence_leave, k.keys(), std::move(args));
  if (!r) co_return std::move(r).error();
  if (r->as_int() != 1) co_return std::optional<PresenceChange>();
  co_return std::optional<PresenceChange>(
      PresenceChange{socket.tenant, {socket.user_id, PresenceStatus::offline, now}});
}

asio::awaitable<Result<std::vector<PresenceSocket>>> RedisEngine::presence_refresh(
    std::vector<PresenceSocket> sockets, Millis now, Millis expires_at) {
  // One script call per user, one pipeline per shard.
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> by_user;
  for (size_t i = 0; i < sockets.size(); ++i)
    by_user[{sockets[i].tenant, sockets[i].user_id}].push_back(i);
  std::map<size_t, std::vector<const std::vector<size_t>*>> by_shard;
  std::map<size_t, std::vector<ScriptCall>> calls;
  for (const auto& [user, idx] : by_user) {
    UserKeys k(user.first, user.second, cluster_mode());
    const size_t shard = shard_index(k.tag);
    ScriptCall c;
    c.keys = k.keys();
    c.args = strs(std::to_string(now), std::to_string(expires_at), k.due_member,
                  std::to_string(options_.presence_keep.count()));
    for (size_t i : idx) c.args.push_back(sockets[i].socket_id);
    calls[shard].push_back(std::move(c));
    by_shard[shard].push_back(&idx);
  }
  std::vector<PresenceSocket> missing;
  for (auto& [shard, shard_calls] : calls) {
    auto replies =
        co_await eval_pipeline(shards_[shard], ScriptId::presence_refresh, std::move(shard_calls));
    if (!replies) co_return std::move(replies).error();
    const auto& users = by_shard[shard];
    for (size_t u = 0; u < users.size(); ++u) {
      const auto& idx = *users[u];
      for (const auto& pos : (*replies)[u].elements()) {
        const auto n = pos.as_int();
        if (!n || *n < 1 || static_cast<size_t>(*n) > idx.size())
          co_return unavailable("redis: malformed presence refresh reply");
        missing.push_back(sockets[idx[static_cast<size_t>(*n) - 1]]);
      }
    }
  }
  co_return missing;
}

asio::awaitable<Result<std::vector<PresenceChange>>> RedisEngine::presence_sweep(Millis now,
                                                                                 size_t limit) {
  std::vector<PresenceChange> changes;
  // The due indexes: one per shard, or one per bucket in cluster mode.
  std::vector<std::pair<Shard*, std::string>> indexes;
  if (cluster_mode()) {
    for (size_t b = 0; b < kPresenceBuckets; ++b)
      indexes.emplace_back(&shard_of_tag(bucket_tag(b)), bucket_due(b));
  } else {
    for (auto& s : shards_) indexes.emplace_back(&s, std::string(kDue));
  }
  for (auto& [shard, due_key] : indexes) {
    Shard& s = *shard;
    if (limit == 0) break;
    std::vector<std::string> cmd = strs("ZRANGE", due_key, "-inf", std::to_string(now), "BYSCORE",
                                        "LIMIT", "0", std::to_string(limit));
    auto due = co_await routed(s, std::move(cmd));
    if (!due) co_return std::move(due).error();
    if (due->is_error()) co_return unavailable("redis: " + due->str());
    std::vector<ScriptCall> calls;
    std::vector<std::pair<std::string, std::string>> users;
    for (const auto& member : due->elements()) {
      auto user = user_of_due(member.str());
      if (!user) {
        // Not ours to read: drop it rather than meet it on every sweep.
        s.cmd->async_command(strs("ZREM", due_key, member.str()), [](Result<RedisReply>) {});
        continue;
      }
      UserKeys k(user->first, user->second, cluster_mode());
      ScriptCall c;
      c.keys = k.keys();
      c.args =
          strs(std::to_string(now), k.due_member, std::to_string(options_.presence_keep.count()));
      calls.push_back(std::move(c));
      users.push_back(std::move(*user));
    }
    limit -= std::min(limit, due->size());
    if (calls.empty()) continue;
    auto replies = co_await eval_pipeline(s, ScriptId::presence_expire, std::move(calls));
    if (!replies) co_return std::move(replies).error();
    for (size_t i = 0; i < users.size(); ++i) {
      const RedisReply& r = (*replies)[i];
      if (!r.is_array() || r.size() != 2 || r[0].as_int() != 1) continue;
      changes.push_back(PresenceChange{
          users[i].first, {users[i].second, PresenceStatus::offline, r[1].as_int().value_or(0)}});
    }
  }
  co_return changes;
}

asio::awaitable<Result<std::vector<PresenceState>>> RedisEngine::presence_get(
    std::string tenant, std::vector<std::string> user_ids, Millis now) {
  std::vector<PresenceState> out(user_ids.size());
  // Two reads per user (live sockets, status), one pipeline per shard.
  std::map<size_t, std::vector<size_t>> by_shard;
  for (size_t i = 0; i < user_ids.size(); ++i) {
    out[i].user_id = user_ids[i];
    by_shard[shard_index(UserKeys(tenant, user_ids[i], cluster_mode()).tag)].push_back(i);
  }
  const std::string live_from = "(" + std::to_string(now);
  for (auto& [shard, idx] : by_shard) {
    std::vector<std::vector<std::string>> cmds;
    for (size_t i : idx) {
      UserKeys k(tenant, user_ids[i], cluster_mode());
      cmds.push_back(strs("ZCOUNT", k.sockets, live_from, "+inf"));
      cmds.push_back(strs("HMGET", k.presence, "status", "last_seen"));
    }
    auto replies = co_await routed_pipeline(shards_[shard], std::move(cmds));
    for (size_t j = 0; j < idx.size(); ++j) {
      auto& live = replies[2 * j];
      auto& hash = replies[2 * j + 1];
      if (!live) co_return std::move(live).error();
      if (!hash) co_return std::move(hash).error();
      if (live->is_error() || hash->is_error() || !hash->is_array() || hash->size() != 2)
        co_return unavailable("redis: malformed presence reply");
      PresenceState& st = out[idx[j]];
      st.last_seen = (*hash)[1].as_int().value_or(0);
      if (live->as_int().value_or(0) > 0 && !(*hash)[0].is_nil()) {
        auto status = status_of((*hash)[0]);
        if (!status) co_return std::move(status).error();
        st.status = *status;
      }
    }
  }
  co_return out;
}

}  // namespace parley::redis
