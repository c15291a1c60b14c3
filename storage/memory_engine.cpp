#include "memory_engine.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

namespace parley {

namespace {

constexpr size_t kPreviewCodePoints = 200;  // lastMessage.text (PROTOCOL §4)
constexpr size_t kListBatch = 128;          // keys list() copies per tenant-lock hold

Millis now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// 48 random bits as 12 hex digits. Seeded per thread from random_device so
// two processes (a restarted broker) never hand out the same epochs.
std::string new_epoch() {
  thread_local std::mt19937_64 gen{(static_cast<uint64_t>(std::random_device{}()) << 32) ^
                                   std::random_device{}()};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%012llx",
                static_cast<unsigned long long>(gen() & 0xFFFFFFFFFFFFULL));
  return buf;
}

// The commit time: the wall clock, but never before the conversation's last
// commit, so ts never decreases along a log (read() relies on it) even when
// the system clock steps back.
Millis commit_time(const Conversation& rec) { return std::max(now_ms(), rec.updated_at); }

// Contract 8: whatever a Decision says, these fields stay the engine's.
void keep_engine_owned(Conversation& next, const Conversation& cur) {
  next.tenant = cur.tenant;
  next.id = cur.id;
  next.epoch = cur.epoch;
  next.last_seq = cur.last_seq;
  next.last_public_seq = cur.last_public_seq;
  next.messages_all = cur.messages_all;
  next.messages_public = cur.messages_public;
  next.last_message = cur.last_message;
  next.last_message_at = cur.last_message_at;
  next.last_consumer_message_at = cur.last_consumer_message_at;
  next.version = cur.version;
  next.updated_at = cur.updated_at;
}

// What append() returns: identity, state and the engine-owned fields, not the
// members or metadata (see AppendRequest in engine.hpp).
Conversation lean_copy(const Conversation& rec) {
  Conversation c;
  c.tenant = rec.tenant;
  c.id = rec.id;
  c.state = rec.state;
  c.status = rec.status;
  c.epoch = rec.epoch;
  c.last_seq = rec.last_seq;
  c.last_public_seq = rec.last_public_seq;
  c.messages_all = rec.messages_all;
  c.messages_public = rec.messages_public;
  c.last_message = rec.last_message;
  c.last_message_at = rec.last_message_at;
  c.last_consumer_message_at = rec.last_consumer_message_at;
  c.created_at = rec.created_at;
  c.updated_at = rec.updated_at;
  c.version = rec.version;
  return c;
}

// The value a unique index holds for an optional field: "" when unset (an
// empty name or externalId is treated as none).
const std::string& index_value(const std::optional<std::string>& v) {
  static const std::string none;
  return v ? *v : none;
}

// Stamps `drafts` onto `rec` at time `ts`, returning the log entries.
std::vector<EventPtr> stamp_all(Conversation& rec, std::vector<EventDraft>& drafts, Millis ts) {
  std::vector<EventPtr> out;
  out.reserve(drafts.size());
  for (auto& d : drafts) {
    Event e;
    static_cast<EventDraft&>(e) = std::move(d);
    e.ts = ts;
    stamp_appended(rec, e);
    out.push_back(std::make_shared<const Event>(std::move(e)));
  }
  return out;
}

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

// ---- create ----------------------------------------------------------------

Result<Commit> MemoryEngine::create_now(CreateRequest req) {
  const ConvKey key{req.record.tenant, req.record.id};
  Tenant& t = tenant_of(key.tenant);

  // Build the whole entry before anyone can see it; on a duplicate or a
  // clash it is simply dropped.
  auto entry = std::make_shared<Entry>();
  Conversation& rec = entry->record;
  const Millis now = now_ms();
  rec = std::move(req.record);
  Conversation blank;
  blank.tenant = key.tenant;
  blank.id = key.id;
  blank.epoch = new_epoch();
  blank.updated_at = now;
  keep_engine_owned(rec, blank);
  if (rec.created_at == 0) rec.created_at = now;
  std::vector<EventPtr> events = stamp_all(rec, req.events, now);
  rec.version = 1;
  entry->log = events;
  entry->create_key = req.idempotency_key;

  // Held until the sink has the events: a reader that finds the new id in the
  // index waits here, so nothing is served before it is published.
  std::unique_lock entry_lock(entry->mu);
  for (;;) {
    EntryPtr first;
    {
      std::lock_guard lk(t.mu);
      if (!req.idempotency_key.empty()) {
        if (auto it = t.create_keys.find(req.idempotency_key); it != t.create_keys.end())
          if (auto f = t.by_id.find(it->second); f != t.by_id.end()) first = f->second;
      }
      if (!first) {
        if (t.by_id.count(key.id)) return conflict("", "conversation id already in use");
        const auto& name = index_value(rec.name);
        const auto& ext = index_value(rec.external_id);
        if (!name.empty() && t.by_name.count(name)) return conflict("", "name already in use");
        if (!ext.empty() && t.by_external_id.count(ext))
          return conflict("", "externalId already in use");
        t.by_id.emplace(key.id, entry);
        t.by_updated.emplace(rec.updated_at, key.id);
        if (!name.empty()) t.by_name.emplace(name, key.id);
        if (!ext.empty()) t.by_external_id.emplace(ext, key.id);
        if (!req.idempotency_key.empty()) t.create_keys[req.idempotency_key] = key.id;
        break;
      }
    }
    // Never lock a conversation while holding the tenant index.
    std::lock_guard lk(first->mu);
    if (!first->erased) {
      Commit dup;
      dup.record = first->record;
      dup.duplicate = true;
      return dup;
    }
    // Erased meanwhile: its key is gone from the index, so the next round
    // creates ours.
  }
  publish(key, *entry, events);
  notify_changed(key, false);
  Commit c;
  c.record = rec;
  c.events = std::move(events);
  return c;
}

// ---- update ----------------------------------------------------------------

Result<Commit> MemoryEngine::update_now(const ConvKey& key, UpdateRequest req) {
  EntryPtr e = find(key);
  if (!e) return not_found("no such conversation");
  // The conversation lock makes decide's view the committed one: contract 6's
  // retry never happens here.
  std::unique_lock lk(e->mu);
  if (e->erased) return not_found("no such conversation");
  const Conversation& cur = e->record;

  const Event* target = nullptr;
  if (req.target_seq > 0) {
    if (req.target_seq > e->log.size()) return not_found("no such message");
    target = e->log[req.target_seq - 1].get();
  }
  Result<Decision> decided = req.decide(cur, target);
  if (!decided) return std::move(decided).error();
  Decision& d = decided.value();
  if (d.noop) {
    Commit c;
    c.record = cur;
    return c;
  }

  // Work on a copy until every check passed: a 409 must leave no trace.
  Conversation next = std::move(d.next);
  keep_engine_owned(next, cur);
  std::vector<EventPtr> events = stamp_all(next, d.events, commit_time(cur));
  next.version = cur.version + 1;
  EventPtr rewritten;
  if (target && d.target_body) {
    auto copy = std::make_shared<Event>(*target);
    copy->body = std::move(*d.target_body);
    rewritten = std::move(copy);
  }
  if (target && d.target_text && next.last_message.seq == req.target_seq)
    next.last_message.text = std::string(first_code_points(*d.target_text, kPreviewCodePoints));

  Tenant& t = tenant_of(key.tenant);
  if (!d.erase) {
    std::lock_guard tl(t.mu);
    const auto& old_name = index_value(cur.name);
    const auto& new_name = index_value(next.name);
    const auto& old_ext = index_value(cur.external_id);
    const auto& new_ext = index_value(next.external_id);
    const bool name_moved = old_name != new_name;
    const bool ext_moved = old_ext != new_ext;
    if (name_moved && !new_name.empty() && t.by_name.count(new_name))
      return conflict("", "name already in use");
    if (ext_moved && !new_ext.empty() && t.by_external_id.count(new_ext))
      return conflict("", "externalId already in use");
    if (name_moved) {
      if (!old_name.empty()) t.by_name.erase(old_name);
      if (!new_name.empty()) t.by_name.emplace(new_name, key.id);
    }
    if (ext_moved) {
      if (!old_ext.empty()) t.by_external_id.erase(old_ext);
      if (!new_ext.empty()) t.by_external_id.emplace(new_ext, key.id);
    }
    reindex_updated(t, key.id, cur.updated_at, next.updated_at);
  }

  // Commit: nothing below can fail. An erase leaves the indexes as they are
  // until the final events are published, so remember what they hold.
  Conversation indexed;
  if (d.erase) {
    indexed.id = cur.id;
    indexed.name = cur.name;
    indexed.external_id = cur.external_id;
    indexed.updated_at = cur.updated_at;
  }
  e->record = std::move(next);
  // Replacing the pointer drops storage's copy of the original content; only
  // frames already handed out may still hold it.
  if (rewritten) e->log[req.target_seq - 1] = std::move(rewritten);
  e->log.insert(e->log.end(), events.begin(), events.end());
  publish(key, *e, events);
  if (d.erase) {
    {
      std::lock_guard tl(t.mu);
      unindex(t, indexed, e->create_key);
    }
    e->erased = true;
  }
  notify_changed(key, d.erase);
  Commit c;
  c.record = e->record;
  c.events = std::move(events);
  return c;
}

// ---- append (the hot path) -------------------------------------------------

Result<Commit> MemoryEngine::append_now(const ConvKey& key, AppendRequest req) {
  EntryPtr e = find(key);
  if (!e) return not_found("no such conversation");
  std::lock_guard lk(e->mu);
  if (e->erased) return not_found("no such conversation");
  Conversation& rec = e->record;

  // Idempotency before preconditions: a retry of a message that went through
  // gets its first answer even if the conversation has closed since.
  std::string sent_key;
  if (!req.event.client_message_id.empty()) {
    sent_key.reserve(req.event.from_user.size() + 1 + req.event.client_message_id.size());
    sent_key.append(req.event.from_user).push_back('\x1f');
    sent_key.append(req.event.client_message_id);
    if (auto it = e->sent.find(sent_key); it != e->sent.end()) {
      Commit dup;
      dup.record = lean_copy(rec);
      dup.duplicate = true;
      dup.seq = it->second.first;
      dup.ts = it->second.second;
      return dup;
    }
  }
  if (Status ok = check_append(rec, req); !ok) return std::move(ok).error();
  // The sender's seat, not its account's default role, labels the event;
  // the dialog in progress files it.
  req.event.from_role = to_string(rec.active_member(req.event.from_user)->role);
  req.event.dialog_id = rec.current_dialog_id();

  const Millis before = rec.updated_at;
  Event ev;
  static_cast<EventDraft&>(ev) = std::move(req.event);
  ev.ts = commit_time(rec);
  stamp_appended(rec, ev);
  if (req.mark_read) {
    if (Member* m = rec.member(ev.from_user)) mark_read_to(*m, ev);
  }
  ++rec.version;
  auto p = std::make_shared<const Event>(std::move(ev));
  e->log.push_back(p);
  if (!sent_key.empty()) e->sent.emplace(std::move(sent_key), std::make_pair(p->seq, p->ts));
  if (rec.updated_at != before) {
    Tenant& t = tenant_of(key.tenant);
    std::lock_guard tl(t.mu);
    reindex_updated(t, key.id, before, rec.updated_at);
  }

  Commit c;
  c.events.push_back(p);
  publish(key, *e, c.events);
  notify_changed(key, false);
  c.record = lean_copy(rec);
  c.seq = p->seq;
  c.ts = p->ts;
  return c;
}

// ---- reads -----------------------------------------------------------------

Result<Conversation> MemoryEngine::get_now(const ConvKey& key) {
  EntryPtr e = find(key);
  if (!e) return not_found("no such conversation");
  std::lock_guard lk(e->mu);
  if (e->erased) return not_found("no such conversation");
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
  EntryPtr e = find(key);
  if (!e) return not_found("no such conversation");
  std::lock_guard lk(e->mu);
  if (e->erased) return not_found("no such conversation");

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
  size_t skipped = 0, examined = 0;
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
        while (it != idx.begin() && batch.size() < kListBatch) add(*--it);
      } else {
        auto it = pos ? idx.upper_bound(*pos) : idx.begin();
        for (; it != idx.end() && batch.size() < kListBatch; ++it) add(*it);
      }
    }
    if (batch.empty()) return page;
    for (const auto& [k, entry] : batch) {
      pos = k;
      std::lock_guard lk(entry->mu);
      // Moved since the snapshot: it is listed at its new place, if at all.
      if (entry->erased || entry->record.updated_at != k.first) continue;
      if (req.scan_limit && examined == req.scan_limit) {
        page.has_next = true;
        return page;
      }
      ++examined;
      if (req.match && !req.match(entry->record)) continue;
      if (skipped < req.offset) {
        ++skipped;
        continue;
      }
      if (page.data.size() == req.limit) {
        page.has_next = true;
        return page;
      }
      page.data.push_back(entry->record);
    }
  }
}

// ---- awaitable surface -----------------------------------------------------
// Thin wrappers: the work is synchronous. GCC 12 inlines Asio's recycling
// operator new/delete of the coroutine frame and then flags them as a
// mismatched pair (-Wmismatched-new-delete, a known false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

asio::awaitable<Result<Commit>> MemoryEngine::create(CreateRequest req) {
  co_return create_now(std::move(req));
}

asio::awaitable<Result<Conversation>> MemoryEngine::get(ConvKey key) { co_return get_now(key); }

asio::awaitable<Result<Conversation>> MemoryEngine::get_by_external_id(std::string tenant,
                                                                       std::string external_id) {
  co_return get_by_external_id_now(tenant, external_id);
}

asio::awaitable<Result<Commit>> MemoryEngine::update(ConvKey key, UpdateRequest req) {
  co_return update_now(key, std::move(req));
}

asio::awaitable<Result<Commit>> MemoryEngine::append(ConvKey key, AppendRequest req) {
  co_return append_now(key, std::move(req));
}

asio::awaitable<Result<LogPage>> MemoryEngine::read(ConvKey key, ReadRequest req) {
  co_return read_now(key, req);
}

asio::awaitable<Result<ListPage>> MemoryEngine::list(std::string tenant, ListRequest req) {
  co_return list_now(tenant, req);
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

void MemoryEngine::publish_signal(const ConvKey& key, Signal signal) {
  if (EventSink* sink = sink_.load()) sink->on_signal(key, signal);
}

}  // namespace parley
