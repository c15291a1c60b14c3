// The memory engine's presence (presence_store.hpp, contract 11): one map of users
// under one mutex. Every call is a whole step under that mutex, which is
// what makes each status change happen — and be reported — exactly once.
#include <algorithm>

#include "memory_engine.hpp"

namespace parley {

namespace {

using Sockets = std::map<std::string, Millis>;

// Entries past their expiry no longer count (contract 11a).
void drop_expired(Sockets& sockets, Millis now) {
  std::erase_if(sockets, [now](const auto& kv) { return kv.second <= now; });
}

bool any_live(const Sockets& sockets, Millis now) {
  return std::any_of(sockets.begin(), sockets.end(),
                     [now](const auto& kv) { return kv.second > now; });
}

}  // namespace

std::optional<PresenceChange> MemoryEngine::presence_touch_now(const PresenceSocket& socket,
                                                               std::optional<PresenceStatus> status,
                                                               Millis now, Millis expires_at) {
  std::lock_guard lk(presence_mu_);
  PresenceEntry& e = presence_[{socket.tenant, socket.user_id}];
  drop_expired(e.sockets, now);
  const bool first = e.sockets.empty();
  e.sockets[socket.socket_id] = expires_at;
  const PresenceStatus before = e.status;
  // The first live socket makes the user online, whatever an expired one
  // left behind; later sockets keep the status the user chose.
  PresenceStatus after = before;
  if (status)
    after = *status;
  else if (first || before == PresenceStatus::offline)
    after = PresenceStatus::online;
  e.status = after;
  e.last_seen = now;
  if (after == before) return std::nullopt;
  return PresenceChange{socket.tenant, {socket.user_id, after, now}};
}

std::optional<PresenceChange> MemoryEngine::presence_leave_now(const PresenceSocket& socket,
                                                               Millis now) {
  std::lock_guard lk(presence_mu_);
  auto it = presence_.find({socket.tenant, socket.user_id});
  if (it == presence_.end()) return std::nullopt;
  PresenceEntry& e = it->second;
  if (e.sockets.erase(socket.socket_id) > 0) e.last_seen = now;
  drop_expired(e.sockets, now);
  if (!e.sockets.empty() || e.status == PresenceStatus::offline) return std::nullopt;
  e.status = PresenceStatus::offline;
  e.last_seen = now;
  return PresenceChange{socket.tenant, {socket.user_id, e.status, now}};
}

std::vector<PresenceSocket> MemoryEngine::presence_refresh_now(
    const std::vector<PresenceSocket>& sockets, Millis now, Millis expires_at) {
  std::vector<PresenceSocket> missing;
  std::lock_guard lk(presence_mu_);
  for (const auto& s : sockets) {
    auto it = presence_.find({s.tenant, s.user_id});
    PresenceEntry* e = it == presence_.end() ? nullptr : &it->second;
    auto entry = e ? e->sockets.find(s.socket_id) : Sockets::iterator{};
    if (!e || entry == e->sockets.end()) {
      missing.push_back(s);
      continue;
    }
    entry->second = std::max(entry->second, expires_at);
    e->last_seen = std::max(e->last_seen, now);
  }
  return missing;
}

std::vector<PresenceChange> MemoryEngine::presence_sweep_now(Millis now, size_t limit) {
  std::vector<PresenceChange> changes;
  std::lock_guard lk(presence_mu_);
  size_t swept = 0;
  for (auto& [key, e] : presence_) {
    if (swept == limit) break;
    if (e.sockets.empty() || any_live(e.sockets, now)) continue;
    ++swept;
    e.sockets.clear();
    if (e.status == PresenceStatus::offline) continue;
    // last_seen stays the last refresh: the last time a node vouched for it.
    e.status = PresenceStatus::offline;
    changes.push_back(PresenceChange{key.first, {key.second, e.status, e.last_seen}});
  }
  return changes;
}

std::vector<PresenceState> MemoryEngine::presence_get_now(const std::string& tenant,
                                                          const std::vector<std::string>& user_ids,
                                                          Millis now) const {
  std::vector<PresenceState> out;
  out.reserve(user_ids.size());
  std::lock_guard lk(presence_mu_);
  for (const auto& user : user_ids) {
    PresenceState st{user, PresenceStatus::offline, 0};
    if (auto it = presence_.find({tenant, user}); it != presence_.end()) {
      st.last_seen = it->second.last_seen;
      if (any_live(it->second.sockets, now)) st.status = it->second.status;
    }
    out.push_back(std::move(st));
  }
  return out;
}

// ---- awaitable surface -------------------------------------------------------

asio::awaitable<Result<std::optional<PresenceChange>>> MemoryEngine::presence_touch(
    PresenceSocket socket, std::optional<PresenceStatus> status, Millis now, Millis expires_at) {
  co_return presence_touch_now(socket, status, now, expires_at);
}

asio::awaitable<Result<std::optional<PresenceChange>>> MemoryEngine::presence_leave(
    PresenceSocket socket, Millis now) {
  co_return presence_leave_now(socket, now);
}

asio::awaitable<Result<std::vector<PresenceSocket>>> MemoryEngine::presence_refresh(
    std::vector<PresenceSocket> sockets, Millis now, Millis expires_at) {
  co_return presence_refresh_now(sockets, now, expires_at);
}

asio::awaitable<Result<std::vector<PresenceChange>>> MemoryEngine::presence_sweep(Millis now,
                                                                                  size_t limit) {
  co_return presence_sweep_now(now, limit);
}

asio::awaitable<Result<std::vector<PresenceState>>> MemoryEngine::presence_get(
    std::string tenant, std::vector<std::string> user_ids, Millis now) {
  co_return presence_get_now(tenant, user_ids, now);
}

}  // namespace parley
