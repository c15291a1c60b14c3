// The inbox manager: subscribeInbox's subscriptions, per tenant, fed by the
// engine's tenant watch (storage/engine.hpp, contract 14, through the hub).
//
// A subscription reports a set of conversations: its snapshot's rows, then
// every conversation that comes to match its filter. When the engine says a
// conversation of the tenant changed, the manager re-reads it with get() —
// at most one read in flight per conversation; notices arriving meanwhile
// mark it dirty and it is read once more — and, for each subscription,
// pushes UPSERT (it matches, newer than what was pushed) or DELETE (it was
// reported and is gone or no longer matches). Pushes reflect the state
// read, so intermediate states may be skipped. When notices may have been
// lost (contract 14's on_tenant_gap) each subscription re-lists its filter
// and re-reads what it reports.
//
// Threading: on_changed / on_tenant_gap come from engine threads (under a
// conversation's lock, for the memory engine) and only post work. One
// mutex guards the manager's state; lock order: this mutex, then the
// engine's watch bookkeeping, then a session's queue (pushes are queued
// under it, so one subscription's pushes keep the order they were decided
// in). Nothing here is touched on a commit when the tenant has no inbox
// subscription on this node: the engine does not report unwatched tenants.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "net/connection.hpp"
#include "engine.hpp"
#include "live/hub.hpp"
#include "params.hpp"
#include "tuning.hpp"

namespace parley {

// The conversations one inbox subscription reports, each with the version
// and updatedAt it was last pushed with: at most `cap` of them. Reporting
// one more drops the one with the oldest updatedAt (ties: the smallest id),
// which the subscription then DELETEs (docs/protocol.md, subscribeInbox).
class InboxReported {
 public:
  explicit InboxReported(size_t cap) : cap_(cap) {}

  // The version last pushed for `id`; nullopt when it is not reported.
  std::optional<uint64_t> version(const std::string& id) const;
  // Records a push of `id`. When `id` is new and `cap` are reported, the
  // oldest is dropped first and its id returned.
  std::optional<std::string> put(const std::string& id, uint64_t version, Millis updated_at);
  void erase(const std::string& id);
  // Makes every reported conversation look never pushed (version 0), so
  // the next read of each pushes it again (after a change of the viewer).
  void forget_versions();
  size_t size() const { return by_id_.size(); }
  template <class F>
  void for_each_id(F&& f) const {
    for (const auto& [id, entry] : by_id_) f(id);
  }

 private:
  struct Entry {
    uint64_t version = 0;
    Millis updated_at = 0;
  };
  size_t cap_;
  std::unordered_map<std::string, Entry> by_id_;
  std::set<std::pair<Millis, std::string>> by_age_;  // oldest first
};

class InboxManager : public ChangeListener, public std::enable_shared_from_this<InboxManager> {
 public:
  // The Conversation object as a user sees it (serialized).
  using View = std::function<std::string(const Conversation&, const Identity&)>;
  InboxManager(Engine& engine, View view, size_t per_socket, size_t max_reported = kInboxMaxReported);

  // subscribeInbox: the result JSON {subscriptionId, snapshot: {data, total}},
  // or the error (413 over the per-socket limit, 503 from storage).
  asio::awaitable<Result<std::string>> subscribe(std::shared_ptr<Connection> conn, Identity who,
                                                 params::SubscribeInbox p);
  // unsubscribeInbox: drops it if `conn` owns it (else nothing happens).
  void unsubscribe(const Connection& conn, const std::string& subscription_id);
  // The socket closed: drops its subscriptions.
  void drop(const Connection& conn);
  // The socket re-authenticated as `who` (same user, another role): its
  // subscriptions now see as `who` does. Each lists its filter again and
  // pushes every conversation it reports anew: UPSERT as `who` sees it, or
  // DELETE for one `who` may not read (or that no longer matches).
  void reauthorize(const Connection& conn, const Identity& who);
  size_t subscriptions() const { return count_.load(std::memory_order_relaxed); }

  void on_changed(const ConvKey& key, bool erased) override;
  void on_tenant_gap(const std::string& tenant) override;

  // Walks the listing order of `tenant` under `filter` for `who`: the first
  // `limit` matching rows and the count of all of them (one engine scan).
  static asio::awaitable<Result<std::pair<std::vector<Conversation>, uint64_t>>> snapshot(
      Engine& engine, const Identity& who, const params::ListFilter& filter, size_t limit);

 private:
  struct Sub {
    std::string id;
    std::string tenant;
    std::weak_ptr<Connection> conn;
    const Connection* owner = nullptr;
    Identity who;
    params::ListFilter filter;
    size_t limit = 20;
    // Under mu_.
    bool started = false;             // the snapshot is taken: changes are pushed
    bool resync_after_start = false;  // a gap came before the snapshot was in
    bool resyncing = false, resync_again = false;
    InboxReported reported{kInboxMaxReported};
    std::unordered_set<std::string> pending;  // changed before start
  };
  using SubPtr = std::shared_ptr<Sub>;
  struct Tenant {
    std::vector<SubPtr> subs;
    std::unordered_map<std::string, bool> in_flight;  // conversation id -> dirty
    asio::any_io_executor ex;                         // where its reads run
  };

  // Starts the re-read of `id` unless one is in flight (then marks it dirty).
  void schedule_locked(const std::string& tenant, const std::string& id);
  asio::awaitable<void> reread(ConvKey key);
  // Decides and pushes for one subscription and one state of `id`
  // (`conv` null: erased). Under mu_.
  void apply_locked(Sub& sub, const std::string& id, const Conversation* conv);
  void remove_locked(SubPtr sub);
  void start_resync_locked(const SubPtr& sub);
  asio::awaitable<void> resync(SubPtr sub);

  Engine& engine_;
  const View view_;
  const size_t per_socket_;
  const size_t max_reported_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Tenant> tenants_;
  std::unordered_map<std::string, SubPtr> by_id_;
  std::unordered_map<const Connection*, std::vector<std::string>> by_conn_;
  std::atomic<size_t> count_{0};
};

}  // namespace parley
