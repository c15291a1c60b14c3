#include "live/inbox.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "clock.hpp"
#include "dialog/inbox.hpp"
#include "json_writer.hpp"
#include "serialize.hpp"

namespace parley {

namespace {



std::shared_ptr<const std::string> inbox_frame(const std::string& sub_id, bool upsert,
                                               const std::string& conversation_json,
                                               Millis updated_at) {
  JsonWriter w;
  w.begin_object()
      .field("subscriptionId", sub_id)
      .field("change", upsert ? "UPSERT" : "DELETE")
      .key("conversation")
      .raw(conversation_json)
      .field("updatedAt", updated_at)
      .end_object();
  return std::make_shared<const std::string>(notification("inbox", w.str()));
}

// A DELETE carries only the id: the subscriber may no longer be allowed to
// read the rest.
std::shared_ptr<const std::string> delete_frame(const std::string& sub_id, const std::string& id) {
  JsonWriter w;
  w.begin_object().field("id", id).end_object();
  return inbox_frame(sub_id, false, w.str(), wall_clock_ms());
}

// Starts `coro` on `ex` later, never inline (the caller holds locks).
template <class F>
void spawn(const asio::any_io_executor& ex, F coro) {
  asio::post(ex, [ex, coro = std::move(coro)]() mutable {
    asio::co_spawn(ex, std::move(coro), asio::detached);
  });
}

std::string new_subscription_id() {
  static std::atomic<uint64_t> next{1};
  return "inbox-" + std::to_string(wall_clock_ms()) + "-" + std::to_string(next.fetch_add(1));
}

}  // namespace

std::optional<uint64_t> InboxReported::version(const std::string& id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second.version;
}

std::optional<std::string> InboxReported::put(const std::string& id, uint64_t version,
                                              Millis updated_at) {
  std::optional<std::string> dropped;
  auto it = by_id_.find(id);
  if (it != by_id_.end()) {
    by_age_.erase({it->second.updated_at, id});
  } else {
    if (cap_ > 0 && by_id_.size() >= cap_) {
      auto oldest = by_age_.begin();
      dropped = oldest->second;
      by_id_.erase(oldest->second);
      by_age_.erase(oldest);
    }
    it = by_id_.emplace(id, Entry{}).first;
  }
  it->second = Entry{version, updated_at};
  by_age_.emplace(updated_at, id);
  return dropped;
}

void InboxReported::forget_versions() {
  for (auto& [id, entry] : by_id_) entry.version = 0;
}

void InboxReported::erase(const std::string& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  by_age_.erase({it->second.updated_at, id});
  by_id_.erase(it);
}

InboxManager::InboxManager(Engine& engine, View view, size_t per_socket, size_t max_reported)
    : engine_(engine),
      view_(std::move(view)),
      per_socket_(per_socket),
      max_reported_(max_reported) {}

asio::awaitable<Result<std::pair<std::vector<Conversation>, uint64_t>>> InboxManager::snapshot(
    Engine& engine, const Identity& who, const params::ListFilter& filter, size_t limit) {
  // The predicate keeps the first `limit` matches and refuses the rest, so
  // the engine walks the whole listing once and `total` is exact.
  uint64_t total = 0;
  ListRequest rq;
  rq.limit = limit;
  rq.match = [&](const Conversation& c) {
    if (!rules::matches_filter(c, filter, who)) return false;
    return ++total <= limit;
  };
  auto page = co_await engine.list(who.tenant, std::move(rq));
  if (!page.ok()) co_return page.error();
  co_return std::make_pair(std::move(page->data), total);
}

asio::awaitable<Result<std::string>> InboxManager::subscribe(std::shared_ptr<Connection> conn,
                                                             Identity who,
                                                             params::SubscribeInbox p) {
  auto sub = std::make_shared<Sub>();
  sub->id = new_subscription_id();
  sub->tenant = who.tenant;
  sub->conn = conn;
  sub->owner = conn.get();
  sub->who = who;
  sub->filter = p.filter;
  sub->limit = p.limit;
  sub->reported = InboxReported(max_reported_);
  {
    std::lock_guard lock(mu_);
    auto& mine = by_conn_[conn.get()];
    if (mine.size() >= per_socket_) co_return too_large("inboxSubscriptions", per_socket_);
    mine.push_back(sub->id);
    by_id_.emplace(sub->id, sub);
    auto& t = tenants_[who.tenant];
    // Registered before the snapshot is read: a change committed meanwhile
    // is held in `pending` and re-read once the snapshot is in.
    t.subs.push_back(sub);
    t.ex = conn->executor();
    if (t.subs.size() == 1) engine_.watch_tenant(who.tenant);
    count_.fetch_add(1, std::memory_order_relaxed);
  }

  auto snap = co_await snapshot(engine_, who, p.filter, p.limit);
  if (!snap.ok()) {
    std::lock_guard lock(mu_);
    remove_locked(sub);
    co_return snap.error();
  }
  {
    std::lock_guard lock(mu_);
    // At most `limit` rows, fewer than the cap: nothing is dropped.
    for (const auto& c : snap->first) sub->reported.put(c.id, c.version, c.updated_at);
    sub->started = true;
    for (const auto& id : sub->pending) schedule_locked(sub->tenant, id);
    sub->pending.clear();
    if (sub->resync_after_start) start_resync_locked(sub);
  }
  JsonWriter w;
  w.begin_object().field("subscriptionId", sub->id).key("snapshot").begin_object();
  w.key("data").begin_array();
  for (const auto& c : snap->first) w.raw(view_(c, who));
  w.end_array().field("total", snap->second).end_object().end_object();
  co_return w.take();
}

void InboxManager::unsubscribe(const Connection& conn, const std::string& subscription_id) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(subscription_id);
  if (it == by_id_.end() || it->second->owner != &conn) return;
  remove_locked(it->second);
}

void InboxManager::drop(const Connection& conn) {
  std::lock_guard lock(mu_);
  auto it = by_conn_.find(&conn);
  if (it == by_conn_.end()) return;
  const auto ids = it->second;
  for (const auto& id : ids)
    if (auto s = by_id_.find(id); s != by_id_.end()) remove_locked(s->second);
  by_conn_.erase(&conn);
}

void InboxManager::reauthorize(const Connection& conn, const Identity& who) {
  std::lock_guard lock(mu_);
  auto it = by_conn_.find(&conn);
  if (it == by_conn_.end()) return;
  for (const auto& id : it->second) {
    auto s = by_id_.find(id);
    if (s == by_id_.end()) continue;
    const SubPtr& sub = s->second;
    sub->who = who;
    sub->reported.forget_versions();
    if (!sub->started)
      sub->resync_after_start = true;
    else
      start_resync_locked(sub);
  }
}

// `sub` by value: callers pass the map entry that the first erase destroys.
void InboxManager::remove_locked(SubPtr sub) {
  if (!by_id_.erase(sub->id)) return;
  count_.fetch_sub(1, std::memory_order_relaxed);
  if (auto c = by_conn_.find(sub->owner); c != by_conn_.end()) {
    std::erase(c->second, sub->id);
    if (c->second.empty()) by_conn_.erase(c);
  }
  auto t = tenants_.find(sub->tenant);
  if (t == tenants_.end()) return;
  std::erase(t->second.subs, sub);
  if (t->second.subs.empty()) {
    engine_.unwatch_tenant(sub->tenant);
    // Reads in flight find no tenant and stop.
    tenants_.erase(t);
  }
}

void InboxManager::on_changed(const ConvKey& key, bool /*erased: get() will say*/) {
  if (count_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard lock(mu_);
  schedule_locked(key.tenant, key.id);
}

void InboxManager::schedule_locked(const std::string& tenant, const std::string& id) {
  auto t = tenants_.find(tenant);
  if (t == tenants_.end()) return;
  auto [it, fresh] = t->second.in_flight.try_emplace(id, false);
  if (!fresh) {
    it->second = true;  // read again once the read in flight is done
    return;
  }
  // Never into the engine from here (this may be the engine's callback,
  // under a conversation's lock): posted, since co_spawn would start the
  // coroutine inline when already on that executor.
  spawn(t->second.ex, [self = shared_from_this(), key = ConvKey{tenant, id}]() mutable {
    return self->reread(std::move(key));
  });
}

asio::awaitable<void> InboxManager::reread(ConvKey key) {
  int failures = 0;
  for (;;) {
    auto conv = co_await engine_.get(key);
    if (!conv.ok() && conv.error().code != code::not_found) {
      if (++failures < kInboxReadAttempts) {
        asio::steady_timer t(co_await asio::this_coro::executor);
        t.expires_after(std::chrono::milliseconds(100 << failures));
        co_await t.async_wait(asio::use_awaitable);
        continue;
      }
      spdlog::warn("inbox: cannot read conversation {}: {}", key.id, conv.error().message);
    }
    std::lock_guard lock(mu_);
    auto t = tenants_.find(key.tenant);
    if (t == tenants_.end()) co_return;
    if (conv.ok() || failures < kInboxReadAttempts) {
      const Conversation* c = conv.ok() ? &conv.value() : nullptr;
      for (const auto& sub : t->second.subs) apply_locked(*sub, key.id, c);
    }
    auto f = t->second.in_flight.find(key.id);
    if (f == t->second.in_flight.end() || !f->second) {
      if (f != t->second.in_flight.end()) t->second.in_flight.erase(f);
      co_return;
    }
    f->second = false;  // dirty: read once more
    failures = 0;
  }
}

void InboxManager::apply_locked(Sub& sub, const std::string& id, const Conversation* conv) {
  if (!sub.started) {
    sub.pending.insert(id);
    return;
  }
  auto conn = sub.conn.lock();
  if (!conn) return;
  const std::optional<uint64_t> reported = sub.reported.version(id);
  rules::InboxSeen seen;
  if (conv) {
    seen.exists = true;
    seen.version = conv->version;
    seen.matches = rules::matches_filter(*conv, sub.filter, sub.who);
  }
  switch (rules::inbox_change(reported, seen)) {
    case rules::InboxChange::none:
      return;
    case rules::InboxChange::upsert:
      // At the cap the oldest reported one is dropped: DELETEd first, so
      // the subscriber never holds more than the cap.
      if (auto dropped = sub.reported.put(id, conv->version, conv->updated_at))
        conn->push(delete_frame(sub.id, *dropped));
      conn->push(inbox_frame(sub.id, true, view_(*conv, sub.who), conv->updated_at));
      return;
    case rules::InboxChange::remove:
      sub.reported.erase(id);
      conn->push(delete_frame(sub.id, id));
      return;
  }
}

void InboxManager::on_tenant_gap(const std::string& tenant) {
  if (count_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard lock(mu_);
  auto t = tenants_.find(tenant);
  if (t == tenants_.end()) return;
  for (const auto& sub : t->second.subs) {
    if (!sub->started)
      sub->resync_after_start = true;
    else
      start_resync_locked(sub);
  }
}

void InboxManager::start_resync_locked(const SubPtr& sub) {
  if (sub->resyncing) {
    sub->resync_again = true;
    return;
  }
  auto t = tenants_.find(sub->tenant);
  if (t == tenants_.end()) return;
  sub->resyncing = true;
  spawn(t->second.ex, [self = shared_from_this(), sub]() { return self->resync(sub); });
}

// Notices may have been lost: the filter's listing brings what matches now
// (UPSERT where newer), and every other reported conversation is re-read
// (DELETE when gone or no longer matching).
asio::awaitable<void> InboxManager::resync(SubPtr sub) {
  for (;;) {
    Identity who;  // reauthorize() may change it meanwhile
    {
      std::lock_guard lock(mu_);
      who = sub->who;
    }
    auto snap = co_await snapshot(engine_, who, sub->filter, sub->limit);
    std::lock_guard lock(mu_);
    if (!by_id_.count(sub->id)) co_return;
    if (snap.ok()) {
      std::unordered_set<std::string> listed;
      for (const auto& c : snap->first) {
        listed.insert(c.id);
        apply_locked(*sub, c.id, &c);
      }
      sub->reported.for_each_id([&](const std::string& id) {
        if (!listed.count(id)) schedule_locked(sub->tenant, id);
      });
    } else {
      // Storage is away; the link's return reports another gap.
      spdlog::warn("inbox: resync of {} failed: {}", sub->id, snap.error().message);
      sub->resyncing = false;
      co_return;
    }
    if (!sub->resync_again) {
      sub->resyncing = false;
      co_return;
    }
    sub->resync_again = false;
  }
}

}  // namespace parley
