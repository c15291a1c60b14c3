// The memory engine: lookups, the per-tenant indexes, tenant watches and
// the reads (get, read, list). Commits are in memory_commits.cpp.
#include "memory_engine.hpp"

#include <algorithm>

#include "engine_common.hpp"
#include "tuning.hpp"

namespace parley {

namespace {


}  // namespace

// ---- lookups ---------------------------------------------------------------

MemoryEngine::Tenant* MemoryEngine::find_tenant(const std::string& tenant) const {
  std::shared_lock lk(tenants_mu_);
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? nullptr : it->second.get();
}

MemoryEngine::Tenant& MemoryEngine::tenant_of(const std::string& tenant) {
  if (Tenant* t = find_tenant(tenant)) return *t;
  std::unique_lock lk(tenants_mu_);
  auto& slot = tenants_[tenant];
  if (!slot) slot = std::make_unique<Tenant>();
  return *slot;
}

MemoryEngine::EntryPtr MemoryEngine::find(const ConvKey& key) const {
  Tenant* t = find_tenant(key.tenant);
  if (!t) return nullptr;
  std::lock_guard lk(t->mu);
  auto it = t->by_id.find(key.id);
  return it == t->by_id.end() ? nullptr : it->second;
}

MemoryEngine::Locked MemoryEngine::find_locked(const ConvKey& key) const {
  Locked l;
  l.entry = find(key);
  if (!l.entry) return l;
  l.lock = std::unique_lock(l.entry->mu);
  if (!l.entry->erased) return l;
  l.lock.unlock();
  l.entry.reset();
  return l;
}

size_t MemoryEngine::size(const std::string& tenant) const {
  Tenant* t = find_tenant(tenant);
  if (!t) return 0;
  std::lock_guard lk(t->mu);
  return t->by_id.size();
}

void MemoryEngine::reindex_updated(Tenant& t, const std::string& id, Millis before, Millis after) {
  if (before == after) return;
  t.by_updated.erase(UpdatedKey{before, id});
  t.by_updated.emplace(after, id);
}

void MemoryEngine::unindex(Tenant& t, const Conversation& indexed, const std::string& create_key) {
  t.by_id.erase(indexed.id);
  t.by_updated.erase(UpdatedKey{indexed.updated_at, indexed.id});
  if (const auto& n = index_value(indexed.name); !n.empty()) t.by_name.erase(n);
  if (const auto& x = index_value(indexed.external_id); !x.empty()) t.by_external_id.erase(x);
  // A create retried after the erase makes a new conversation, not a ghost.
  if (!create_key.empty()) t.create_keys.erase(create_key);
}

void MemoryEngine::publish(const ConvKey& key, const Entry& e,
                           const std::vector<EventPtr>& events) const {
  EventSink* sink = sink_.load();
  if (sink && !events.empty()) sink->on_events(key, e.record.epoch, events);
}

void MemoryEngine::watch_tenant(const std::string& tenant) {
  std::lock_guard lk(watch_mu_);
  ++watched_tenants_[tenant];
  watched_count_.store(watched_tenants_.size(), std::memory_order_relaxed);
}

void MemoryEngine::unwatch_tenant(const std::string& tenant) {
  std::lock_guard lk(watch_mu_);
  auto it = watched_tenants_.find(tenant);
  if (it == watched_tenants_.end()) return;
  if (--it->second == 0) watched_tenants_.erase(it);
  watched_count_.store(watched_tenants_.size(), std::memory_order_relaxed);
}

void MemoryEngine::notify_changed(const ConvKey& key, bool erased) const {
  if (watched_count_.load(std::memory_order_relaxed) == 0) return;
  EventSink* sink = sink_.load();
  if (!sink) return;
  {
    std::lock_guard lk(watch_mu_);
    if (!watched_tenants_.count(key.tenant)) return;
  }
  sink->on_changed(key, erased);
}

// ---- reads -----------------------------------------------------------------

Result<Conversation> MemoryEngine::get_now(const ConvKey& key) {
  auto [e, lk] = find_locked(key);
  if (!e) return not_found("no such conversation");
  return e->record;
}

Result<Conversation> MemoryEngine::get_by_external_id_now(const std::string& tenant,
                                                          const std::string& external_id) {
  EntryPtr e;
  if (Tenant* t = find_tenant(tenant); t && !external_id.empty()) {
    std::lock_guard lk(t->mu);
    if (auto it = t->by_external_id.find(external_id); it != t->by_external_id.end())
      if (auto f = t->by_id.find(it->second); f != t->by_id.end()) e = f->second;
  }
  if (!e) return not_found("no such conversation");
  std::lock_guard lk(e->mu);
  // It may have been erased or renamed between the index and its lock.
  if (e->erased || index_value(e->record.external_id) != external_id)
    return not_found("no such conversation");
  return e->record;
}

Result<LogPage> MemoryEngine::read_now(const ConvKey& key, const ReadRequest& req) {
  auto [e, lk] = find_locked(key);
  if (!e) return not_found("no such conversation");

  LogPage page;
  page.epoch = e->record.epoch;
  page.last_seq = e->record.last_seq;
  const uint64_t lo = std::max<uint64_t>(req.from_seq, 1);
  const uint64_t hi = std::min<uint64_t>(req.to_seq, e->log.size());
  if (lo > hi) return page;

  // ts never decreases along a log (commit_time), so the time window is a
  // contiguous sub-range found by binary search.
  auto first = e->log.begin() + static_cast<ptrdiff_t>(lo - 1);
  auto last = e->log.begin() + static_cast<ptrdiff_t>(hi);
  first = std::lower_bound(first, last, req.since,
                           [](const EventPtr& p, Millis t) { return p->ts < t; });
  last = std::upper_bound(first, last, req.until,
                          [](Millis t, const EventPtr& p) { return t < p->ts; });

  auto matches = [&](const Event& ev) {
    if (req.audience && !ev.visible_to(*req.audience)) return false;
    return req.types.empty() ||
           std::find(req.types.begin(), req.types.end(), ev.type) != req.types.end();
  };
  auto take = [&](const EventPtr& p) {
    if (!matches(*p)) return true;
    if (page.events.size() == req.limit) {
      page.has_more = true;
      return false;
    }
    page.events.push_back(p);
    return true;
  };
  if (req.descending) {
    for (auto it = last; it != first;)
      if (!take(*--it)) break;
  } else {
    for (auto it = first; it != last; ++it)
      if (!take(*it)) break;
  }
  return page;
}

Result<ListPage> MemoryEngine::list_now(const std::string& tenant, const ListRequest& req) {
  ListPage page;
  Tenant* t = find_tenant(tenant);
  if (!t) return page;

  std::optional<UpdatedKey> pos = req.after;
  ListPager pager(req, page);
  std::vector<std::pair<UpdatedKey, EntryPtr>> batch;
  for (;;) {
    // Snapshot a batch of keys under the tenant lock, then visit each
    // conversation under its own lock (the lock order forbids both at once).
    batch.clear();
    {
      std::lock_guard lk(t->mu);
      auto add = [&](const UpdatedKey& k) {
        if (auto it = t->by_id.find(k.second); it != t->by_id.end())
          batch.emplace_back(k, it->second);
      };
      const auto& idx = t->by_updated;
      if (req.descending) {
        auto it = pos ? idx.lower_bound(*pos) : idx.end();
        while (it != idx.begin() && batch.size() < kMemoryListBatch) add(*--it);
      } else {
        auto it = pos ? idx.upper_bound(*pos) : idx.begin();
        for (; it != idx.end() && batch.size() < kMemoryListBatch; ++it) add(*it);
      }
    }
    if (batch.empty()) return page;
    for (const auto& [k, entry] : batch) {
      pos = k;
      std::lock_guard lk(entry->mu);
      // Moved since the snapshot: it is listed at its new place, if at all.
      if (entry->erased || entry->record.updated_at != k.first) continue;
      switch (pager.judge(entry->record)) {
        case ListPager::Verdict::done: return page;
        case ListPager::Verdict::pass: continue;
        case ListPager::Verdict::take: page.data.push_back(entry->record);
      }
    }
  }
}

// ---- awaitable surface -----------------------------------------------------
// Thin wrappers: the work is synchronous.

asio::awaitable<Result<Conversation>> MemoryEngine::get(ConvKey key) { co_return get_now(key); }

asio::awaitable<Result<Conversation>> MemoryEngine::get_by_external_id(std::string tenant,
                                                                       std::string external_id) {
  co_return get_by_external_id_now(tenant, external_id);
}

asio::awaitable<Result<LogPage>> MemoryEngine::read(ConvKey key, ReadRequest req) {
  co_return read_now(key, req);
}

asio::awaitable<Result<ListPage>> MemoryEngine::list(std::string tenant, ListRequest req) {
  co_return list_now(tenant, req);
}

void MemoryEngine::publish_signal(const ConvKey& key, Signal signal) {
  if (EventSink* sink = sink_.load()) sink->on_signal(key, signal);
}

}  // namespace parley
