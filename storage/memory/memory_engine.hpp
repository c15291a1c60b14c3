// The embedded engine: every conversation lives in this process's memory and
// dies with it (a restarted broker mints new epochs, so clients refetch).
//
// Locking. Each conversation has its own mutex, held for the whole of a
// commit — numbering, log append, record update and the hand-off to the
// sink — which gives contract 1 (atomic), 2 (dense) and 3 (ordered) at once.
// The per-tenant indexes (id, name, externalId, (updated_at, id), create
// idempotency keys) have one mutex per tenant. The order is always
// conversation, then tenant index: a commit holds its conversation while it
// updates the indexes, so nothing takes a conversation lock while holding a
// tenant's (list() snapshots keys first, then locks conversations one by one).
//
// Commits are in memory_commits.cpp, the rest of the conversations in
// memory_engine.cpp. Presence (memory_presence.cpp), timers
// (memory_timers.cpp) and the users registry (memory_users.cpp) have their
// own mutexes, each taken alone.
//
// Every method completes without suspending.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine.hpp"

namespace parley {

class MemoryEngine : public Engine {
 public:
  MemoryEngine() = default;
  MemoryEngine(const MemoryEngine&) = delete;
  MemoryEngine& operator=(const MemoryEngine&) = delete;

  std::string_view name() const override { return "memory"; }
  bool ready() const override { return true; }
  void set_sink(EventSink* sink) override { sink_.store(sink); }
  // One process holds every subscriber: nothing to subscribe to.
  void watch(const ConvKey&) override {}
  void unwatch(const ConvKey&) override {}
  // Contract 14: a reference count per tenant; commits check it.
  void watch_tenant(const std::string& tenant) override;
  void unwatch_tenant(const std::string& tenant) override;

  asio::awaitable<Result<Commit>> create(CreateRequest req) override;
  asio::awaitable<Result<Conversation>> get(ConvKey key) override;
  asio::awaitable<Result<Conversation>> get_by_external_id(std::string tenant,
                                                           std::string external_id) override;
  asio::awaitable<Result<Commit>> update(ConvKey key, UpdateRequest req) override;
  asio::awaitable<Result<Commit>> append(ConvKey key, AppendRequest req) override;
  asio::awaitable<Result<LogPage>> read(ConvKey key, ReadRequest req) override;
  asio::awaitable<Result<ListPage>> list(std::string tenant, ListRequest req) override;
  void publish_signal(const ConvKey& key, Signal signal) override;

  asio::awaitable<Result<std::optional<PresenceChange>>> presence_touch(
      PresenceSocket socket, std::optional<PresenceStatus> status, Millis now,
      Millis expires_at) override;
  asio::awaitable<Result<std::optional<PresenceChange>>> presence_leave(PresenceSocket socket,
                                                                        Millis now) override;
  asio::awaitable<Result<std::vector<PresenceSocket>>> presence_refresh(
      std::vector<PresenceSocket> sockets, Millis now, Millis expires_at) override;
  asio::awaitable<Result<std::vector<PresenceChange>>> presence_sweep(Millis now,
                                                                      size_t limit) override;
  asio::awaitable<Result<std::vector<PresenceState>>> presence_get(
      std::string tenant, std::vector<std::string> user_ids, Millis now) override;

  asio::awaitable<Status> timer_set(ConvKey key, TimerKind kind, Millis due) override;
  asio::awaitable<Status> timer_clear(ConvKey key, TimerKind kind,
                                      std::optional<Millis> if_due) override;
  asio::awaitable<Result<std::vector<DueTimer>>> timers_due(Millis now, size_t limit,
                                                            Millis lease) override;
  // Users: memory_users.cpp.
  asio::awaitable<Result<User>> user_put(UserPut put) override;
  asio::awaitable<Result<User>> user_get(std::string tenant, std::string user_id) override;
  asio::awaitable<Result<UserPage>> user_list(std::string tenant, UserListRequest req) override;

  // Live conversations in `tenant` (for tests and metrics).
  size_t size(const std::string& tenant) const;

 private:
  struct Entry {
    std::mutex mu;
    Conversation record;
    std::vector<EventPtr> log;  // log[seq - 1]
    // from_user + '\x1f' + client_message_id -> (seq, ts) of the first append.
    std::unordered_map<std::string, std::pair<uint64_t, Millis>> sent;
    std::string create_key;  // the create() idempotency key that made it, if any
    bool erased = false;     // set under `mu` once the indexes no longer list it
  };
  using EntryPtr = std::shared_ptr<Entry>;
  using UpdatedKey = std::pair<Millis, std::string>;  // (updated_at, id)

  struct Tenant {
    mutable std::mutex mu;
    std::unordered_map<std::string, EntryPtr> by_id;
    std::unordered_map<std::string, std::string> by_name;  // name -> id
    std::unordered_map<std::string, std::string> by_external_id;
    std::set<UpdatedKey> by_updated;
    std::unordered_map<std::string, std::string> create_keys;  // idempotency key -> id
  };

  Result<Commit> create_now(CreateRequest req);
  Result<Commit> update_now(const ConvKey& key, UpdateRequest req);
  Result<Commit> append_now(const ConvKey& key, AppendRequest req);
  Result<Conversation> get_now(const ConvKey& key);
  Result<Conversation> get_by_external_id_now(const std::string& tenant,
                                              const std::string& external_id);
  Result<LogPage> read_now(const ConvKey& key, const ReadRequest& req);
  Result<ListPage> list_now(const std::string& tenant, const ListRequest& req);

  Tenant* find_tenant(const std::string& tenant) const;
  Tenant& tenant_of(const std::string& tenant);
  EntryPtr find(const ConvKey& key) const;
  // `key`'s entry under its lock; no entry (and no lock) when it does not
  // exist or was erased.
  struct Locked {
    EntryPtr entry;
    std::unique_lock<std::mutex> lock;
  };
  Locked find_locked(const ConvKey& key) const;
  // Moves the entry's (updated_at, id) index key when a commit changed it.
  static void reindex_updated(Tenant& t, const std::string& id, Millis before, Millis after);
  // Removes an erased conversation's index entries (`indexed`: the id, name,
  // external_id and updated_at the indexes hold for it).
  static void unindex(Tenant& t, const Conversation& indexed, const std::string& create_key);
  void publish(const ConvKey& key, const Entry& e, const std::vector<EventPtr>& events) const;
  // Contract 14: on_changed when `key`'s tenant is watched (one relaxed
  // load when no tenant is).
  void notify_changed(const ConvKey& key, bool erased) const;

  // One user's presence: its sockets' expiries, its status, last_seen.
  struct PresenceEntry {
    std::map<std::string, Millis> sockets;  // socket id -> expires_at
    PresenceStatus status = PresenceStatus::offline;
    Millis last_seen = 0;
  };
  using UserKey = std::pair<std::string, std::string>;  // (tenant, user)
  std::optional<PresenceChange> presence_touch_now(const PresenceSocket& socket,
                                                   std::optional<PresenceStatus> status, Millis now,
                                                   Millis expires_at);
  std::optional<PresenceChange> presence_leave_now(const PresenceSocket& socket, Millis now);
  std::vector<PresenceSocket> presence_refresh_now(const std::vector<PresenceSocket>& sockets,
                                                   Millis now, Millis expires_at);
  std::vector<PresenceChange> presence_sweep_now(Millis now, size_t limit);
  std::vector<PresenceState> presence_get_now(const std::string& tenant,
                                              const std::vector<std::string>& user_ids,
                                              Millis now) const;

  // Timers: (tenant, id, kind) -> (due, hand-out time), and the queue of
  // hand-out times (the due time, or the end of a claim's lease).
  using TimerId = std::tuple<std::string, std::string, TimerKind>;
  struct TimerEntry {
    Millis due = 0;
    Millis ready_at = 0;
  };
  void timer_set_now(const ConvKey& key, TimerKind kind, Millis due);
  void timer_clear_now(const ConvKey& key, TimerKind kind, std::optional<Millis> if_due);
  std::vector<DueTimer> timers_due_now(Millis now, size_t limit, Millis lease);
  std::mutex timers_mu_;
  std::map<TimerId, TimerEntry> timers_;
  std::set<std::pair<Millis, TimerId>> timer_queue_;
  // The users registry: per tenant, users by id and their ids by role.
  struct UserDir {
    std::map<std::string, User> by_id;
    std::map<AccountRole, std::set<std::string>> by_role;
  };
  UserPage user_list_now(const std::string& tenant, const UserListRequest& req) const;
  mutable std::mutex users_mu_;  // taken alone
  std::unordered_map<std::string, UserDir> users_;

  std::atomic<EventSink*> sink_{nullptr};
  mutable std::mutex watch_mu_;  // taken alone, or last (inside a conversation's)
  std::unordered_map<std::string, size_t> watched_tenants_;  // tenant -> watch count
  std::atomic<size_t> watched_count_{0};                     // watched_tenants_.size()
  mutable std::mutex presence_mu_;
  std::map<UserKey, PresenceEntry> presence_;
  mutable std::shared_mutex tenants_mu_;  // guards the map, not the Tenants
  std::unordered_map<std::string, std::unique_ptr<Tenant>> tenants_;
};

}  // namespace parley
