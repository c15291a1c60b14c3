// The memory engine's commits: create, update and append (the hot path),
// each whole under its conversation's lock (memory_engine.hpp).
#include <algorithm>

#include "engine_common.hpp"
#include "memory_engine.hpp"

namespace parley {

namespace {

// What append() returns: identity, state and the engine-owned fields, not the
// members or metadata (see AppendRequest in write.hpp).
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

}  // namespace

// ---- create ----------------------------------------------------------------

Result<Commit> MemoryEngine::create_now(CreateRequest req) {
  const ConvKey key{req.record.tenant, req.record.id};
  Tenant& t = tenant_of(key.tenant);

  // Build the whole entry before anyone can see it; on a duplicate or a
  // clash it is simply dropped.
  auto entry = std::make_shared<Entry>();
  Staged staged = stage_create(req);
  Conversation& rec = entry->record;
  rec = std::move(staged.record);
  std::vector<EventPtr> events = std::move(staged.events);
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
  // The conversation lock makes decide's view the committed one: contract 6's
  // retry never happens here.
  auto [e, lk] = find_locked(key);
  if (!e) return not_found("no such conversation");
  const Conversation& cur = e->record;

  const Event* target = nullptr;
  if (req.target_seq > 0) {
    if (req.target_seq > e->log.size()) return not_found("no such message");
    target = e->log[req.target_seq - 1].get();
  }
  // Work on a copy until every check passed: a 409 must leave no trace.
  Result<Staged> staged = stage_update(cur, req, target);
  if (!staged) return std::move(staged).error();
  if (staged->noop) return unchanged(cur);
  Conversation& next = staged->record;
  std::vector<EventPtr> events = std::move(staged->events);
  EventPtr rewritten;
  if (staged->target_body) {
    auto copy = std::make_shared<Event>(*target);
    copy->body = std::move(*staged->target_body);
    rewritten = std::move(copy);
  }

  Tenant& t = tenant_of(key.tenant);
  if (!staged->erase) {
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
  if (staged->erase) {
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
  if (staged->erase) {
    {
      std::lock_guard tl(t.mu);
      unindex(t, indexed, e->create_key);
    }
    e->erased = true;
  }
  notify_changed(key, staged->erase);
  Commit c;
  c.record = e->record;
  c.events = std::move(events);
  return c;
}

// ---- append (the hot path) -------------------------------------------------

Result<Commit> MemoryEngine::append_now(const ConvKey& key, AppendRequest req) {
  auto [e, lk] = find_locked(key);
  if (!e) return not_found("no such conversation");
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

// ---- awaitable surface -----------------------------------------------------

asio::awaitable<Result<Commit>> MemoryEngine::create(CreateRequest req) {
  co_return create_now(std::move(req));
}

asio::awaitable<Result<Commit>> MemoryEngine::update(ConvKey key, UpdateRequest req) {
  co_return update_now(key, std::move(req));
}

asio::awaitable<Result<Commit>> MemoryEngine::append(ConvKey key, AppendRequest req) {
  co_return append_now(key, std::move(req));
}

}  // namespace parley
