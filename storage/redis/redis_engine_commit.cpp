// The Redis engine's commits: append (the hot path), update (optimistic,
// compare-and-set on version), create, and the tenant-wide claims that keep
// names and externalIds unique. What is atomic is set out in
// redis_engine.hpp.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <unordered_map>

#include "clock.hpp"
#include "engine_common.hpp"
#include "redis_engine.hpp"
#include "redis_engine_support.hpp"
#include "redis_record_codec.hpp"

namespace parley::redis {

namespace {

constexpr Millis kPendingGraceMs = 60000;  // a create in progress holds its claims this long

void push_fields(std::vector<std::string>& args, const FieldList& fields) {
  for (const auto& [k, v] : fields) {
    args.push_back(k);
    args.push_back(v);
  }
}

// Event seq/encoding pairs for the scripts, and the pub/sub message of them.
// Webhooks: whether a commit's events enter the outbox (RedisEngineOptions::outbox).
bool outbox_wanted(const RedisEngineOptions& o, const std::string& tenant,
                   const std::vector<EventPtr>& events) {
  if (!o.outbox) return false;
  for (const auto& e : events)
    if (o.outbox(tenant, e->type)) return true;
  return false;
}

std::vector<std::string> encode_all(const std::vector<EventPtr>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(encode_event(*e));
  return out;
}

asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

}  // namespace

// ---- tenant claims -----------------------------------------------------------

asio::awaitable<Result<bool>> RedisEngine::claim_is_stale(const std::string& tenant,
                                                          const std::string& holder,
                                                          const RedisReply& pending_ms) {
  if (auto since = pending_ms.as_int(); since && wall_clock_ms() - *since < kPendingGraceMs)
    co_return false;  // its create is still on the way
  ConvKeys k(ConvKey{tenant, holder});
  auto r = co_await routed(shard_of(k), strs("EXISTS", k.meta));
  if (!r) co_return std::move(r).error();
  if (r->is_error()) co_return unavailable("redis: " + r->str());
  co_return r->integer() == 0;
}

asio::awaitable<Result<RedisEngine::Claimed>> RedisEngine::claim(
    const std::string& tenant, const std::string& id, const std::string& name,
    const std::string& ext, const std::string& create_key, bool mark_pending) {
  TenantKeys t(tenant);
  Shard& s = shard_of(t);
  std::string reclaim;
  for (int round = 0; round < 4; ++round) {
    // (Arguments are built outside the co_await: GCC 12 destroys temporaries
    // of a ?: inside a co_await expression twice.)
    std::vector<std::string> keys =
        strs(t.names, t.ext, t.pending, create_key.empty() ? t.names : t.create_key(create_key));
    std::vector<std::string> args =
        strs(id, name, ext, create_key.empty() ? "0" : "1", std::to_string(wall_clock_ms()),
             std::to_string(options_.create_key_ttl.count()), reclaim, mark_pending ? "1" : "0");
    auto r = co_await eval(s, ScriptId::claim, std::move(keys), std::move(args));
    if (!r) co_return std::move(r).error();
    const std::string kind = r->size() > 0 ? (*r)[0].str() : "";
    if (kind == "ok" && r->size() == 3) {
      Claimed c;
      c.name = (*r)[1].str() == "1";
      c.ext = (*r)[2].str() == "1";
      co_return c;
    }
    const bool dup = kind == "dup" && r->size() == 3;
    const bool taken = kind == "taken" && r->size() == 4;
    if (!dup && !taken) co_return unavailable("redis: malformed claim reply");
    const std::string holder = (*r)[dup ? 1 : 2].str();
    auto stale = co_await claim_is_stale(tenant, holder, (*r)[dup ? 2 : 3]);
    if (!stale) co_return std::move(stale).error();
    if (*stale) {
      reclaim = holder;  // left behind by a create or erase that failed half-way
      continue;
    }
    if (dup) {
      Claimed c;
      c.duplicate_of = holder;
      co_return c;
    }
    co_return conflict("", (*r)[1].str() + " already in use");
  }
  co_return unavailable("redis: names of tenant " + tenant + " keep changing");
}

asio::awaitable<void> RedisEngine::release(const std::string& tenant, const std::string& id,
                                           const std::string& name, const std::string& ext,
                                           const std::string& create_key, bool drop_listing) {
  TenantKeys t(tenant);
  std::vector<std::string> keys = strs(t.names, t.ext, t.pending, t.updated,
                                       create_key.empty() ? t.names : t.create_key(create_key));
  std::vector<std::string> args =
      strs(id, name, ext, create_key.empty() ? "0" : "1", drop_listing ? "1" : "0");
  co_await eval(shard_of(t), ScriptId::release, std::move(keys), std::move(args));
}

// ---- create ------------------------------------------------------------------

asio::awaitable<Result<Commit>> RedisEngine::create(CreateRequest req) {
  const ConvKey key{req.record.tenant, req.record.id};
  ConvKeys k(key);
  TenantKeys t(key.tenant);
  Shard& cs = shard_of(k);
  Shard& ts = shard_of(t);
  const bool same_shard = same_place(k.tag, t.tag);
  if (gate_.any_closed()) co_await gate_.wait(k.channel);

  // The whole record, numbered, before anything is written.
  Staged staged = stage_create(req);
  Conversation& rec = staged.record;
  std::vector<EventPtr>& events = staged.events;
  const std::string name = index_value(rec.name), ext = index_value(rec.external_id);

  // A taken id is refused before any claim: the undo below must never touch
  // entries of the conversation that owns this id.
  auto exists = co_await routed(cs, strs("EXISTS", k.meta));
  if (!exists) co_return std::move(exists).error();
  if (exists->integer() != 0) co_return conflict("", "conversation id already in use");

  // (1) names, externalId and the idempotency key, on the tenant's shard.
  Claimed claimed;
  for (int round = 0;; ++round) {
    auto c = co_await claim(key.tenant, key.id, name, ext, req.idempotency_key, true);
    if (!c) co_return std::move(c).error();
    if (c->duplicate_of.empty()) {
      claimed = std::move(*c);
      break;
    }
    ConvKey first_key{key.tenant, c->duplicate_of};  // not a temporary: see claim()
    auto first = co_await get(first_key);
    if (first) {
      Commit dup;
      dup.record = std::move(*first);
      dup.duplicate = true;
      co_return dup;
    }
    if (first.error().code != code::not_found) co_return std::move(first).error();
    // The first create with this key is still on its way: give it a moment.
    if (round >= 40) co_return unavailable("a create with this clientRequestId is in progress");
    co_await pause(std::chrono::milliseconds(25));
  }

  // (2) the conversation itself, on its shard: from here it exists.
  std::vector<std::string> encs = encode_all(events);
  FieldList meta = encode_meta(rec);
  if (!req.idempotency_key.empty()) meta.emplace_back("creq", req.idempotency_key);
  std::vector<std::string> args =
      strs(k.channel, encs.empty() ? std::string() : events_message(rec.epoch, encs), key.id,
           std::to_string(rec.updated_at), std::to_string(meta.size() * 2),
           std::to_string(rec.members.size() * 2));
  push_fields(args, meta);
  for (size_t i = 0; i < rec.members.size(); ++i) {
    args.push_back(rec.members[i].user_id);
    args.push_back(encode_member(rec.members[i], i));
  }
  for (size_t i = 0; i < events.size(); ++i) {
    args.push_back(std::to_string(events[i]->seq));
    args.push_back(std::move(encs[i]));
  }
  if (outbox_wanted(options_, key.tenant, events)) args.push_back(key.tenant);  // webhooks outbox
  std::vector<std::string> keys = strs(k.meta, k.members, k.log, k.ovr);
  if (same_shard) keys.push_back(t.updated);
  auto r = co_await eval(cs, ScriptId::create, std::move(keys), std::move(args));
  const bool taken = r && r->size() > 0 && (*r)[0].str() == "exists";
  if (!r || taken) {
    const std::string undo_name = claimed.name ? name : "", undo_ext = claimed.ext ? ext : "";
    co_await release(key.tenant, key.id, undo_name, undo_ext, req.idempotency_key, false);
    if (taken) co_return conflict("", "conversation id already in use");
    co_return std::move(r).error();
  }

  // (3) listed, and no longer pending; a failure here only delays the listing.
  std::vector<std::vector<std::string>> finish;
  finish.push_back(strs("HDEL", t.pending, key.id));
  if (!same_shard)
    finish.push_back(strs("ZADD", t.updated, std::to_string(rec.updated_at), key.id));
  co_await routed_pipeline(ts, std::move(finish));

  Commit c;
  c.record = std::move(rec);
  c.events = std::move(events);
  co_return c;
}

// ---- update ------------------------------------------------------------------

asio::awaitable<Result<Commit>> RedisEngine::update(ConvKey key, UpdateRequest req) {
  ConvKeys k(key);
  TenantKeys t(key.tenant);
  Shard& cs = shard_of(k);
  const bool same_shard = same_place(k.tag, t.tag);
  for (int attempt = 0; attempt < options_.update_attempts; ++attempt) {
    auto loaded = co_await load(key, req.target_seq);
    if (!loaded) co_return std::move(loaded).error();
    const Conversation& cur = loaded->record;
    const Event* target = nullptr;
    if (req.target_seq > 0) {
      if (!loaded->target) co_return not_found("no such message");
      target = &*loaded->target;
    }
    Result<Staged> staged = stage_update(cur, req, target);
    if (!staged) co_return std::move(staged).error();
    if (staged->noop) co_return unchanged(cur);
    Conversation& next = staged->record;
    std::vector<EventPtr>& events = staged->events;
    const bool erase = staged->erase;
    std::string target_enc;
    if (staged->target_body) {
      Event rewritten = *target;
      rewritten.body = std::move(*staged->target_body);
      target_enc = encode_event(rewritten);
    }

    // A new name or externalId is reserved before the commit.
    const std::string &old_name = index_value(cur.name), &new_name = index_value(next.name);
    const std::string &old_ext = index_value(cur.external_id),
                      &new_ext = index_value(next.external_id);
    const bool name_moved = !erase && old_name != new_name;
    const bool ext_moved = !erase && old_ext != new_ext;
    Claimed claimed;
    if ((name_moved && !new_name.empty()) || (ext_moved && !new_ext.empty())) {
      const std::string want_name = name_moved ? new_name : "";
      const std::string want_ext = ext_moved ? new_ext : "";
      const std::string none;
      auto c = co_await claim(key.tenant, key.id, want_name, want_ext, none, false);
      if (!c) co_return std::move(c).error();
      claimed = std::move(*c);
    }
    auto undo_claims = [&]() -> asio::awaitable<void> {
      const std::string undo_name = claimed.name ? new_name : "";
      const std::string undo_ext = claimed.ext ? new_ext : "";
      const std::string none;
      if (claimed.name || claimed.ext)
        co_await release(key.tenant, key.id, undo_name, undo_ext, none, false);
    };

    // The compare-and-set: commits only if nobody committed since the load.
    std::vector<std::string> encs = encode_all(events);
    FieldList meta;
    if (!erase) meta = encode_meta(next);
    std::unordered_map<std::string_view, std::string> before;
    for (size_t i = 0; i < cur.members.size(); ++i)
      before.emplace(cur.members[i].user_id, encode_member(cur.members[i], i));
    std::vector<std::string> member_args, removed;
    if (!erase) {
      for (size_t i = 0; i < next.members.size(); ++i) {
        std::string enc = encode_member(next.members[i], i);
        auto it = before.find(next.members[i].user_id);
        if (it != before.end() && it->second == enc) {
          before.erase(it);
          continue;
        }
        if (it != before.end()) before.erase(it);
        member_args.push_back(next.members[i].user_id);
        member_args.push_back(std::move(enc));
      }
      for (const auto& [user, enc] : before) removed.emplace_back(user);
    }
    std::string expected;  // as meta `hot` holds it
    append_fixed(expected, cur.version);
    std::vector<std::string> args = strs(
        std::move(expected), erase ? "1" : "0", k.channel,
        encs.empty() ? std::string() : events_message(cur.epoch, encs), key.id,
        std::to_string(next.updated_at), target_enc.empty() ? "0" : std::to_string(req.target_seq),
        target_enc, std::to_string(meta.size() * 2), std::to_string(member_args.size()),
        std::to_string(removed.size()));
    push_fields(args, meta);
    args.insert(args.end(), member_args.begin(), member_args.end());
    args.insert(args.end(), removed.begin(), removed.end());
    for (size_t i = 0; i < events.size(); ++i) {
      args.push_back(std::to_string(events[i]->seq));
      args.push_back(std::move(encs[i]));
    }
    if (outbox_wanted(options_, key.tenant, events)) args.push_back(key.tenant);  // webhooks outbox
    std::vector<std::string> keys = strs(k.meta, k.members, k.log, k.ovr);
    if (same_shard && !erase) keys.push_back(t.updated);
    auto r = co_await eval(cs, ScriptId::commit, std::move(keys), std::move(args));
    // A 503 here may or may not have committed: the claims stay (see the header).
    if (!r) co_return std::move(r).error();
    const std::string status = r->size() > 0 ? (*r)[0].str() : "";
    if (status == "404") {
      co_await undo_claims();
      co_return not_found("no such conversation");
    }
    if (status == "conflict") {
      co_await undo_claims();
      continue;  // someone committed since the load: decide again
    }
    if (status != "ok") co_return unavailable("redis: malformed commit reply");

    if (erase) {
      co_await release(key.tenant, key.id, old_name, old_ext, loaded->creq, true);
    } else {
      const std::string drop_name = name_moved ? old_name : "";
      const std::string drop_ext = ext_moved ? old_ext : "";
      const std::string none;
      if (name_moved || ext_moved)
        co_await release(key.tenant, key.id, drop_name, drop_ext, none, false);
      if (!same_shard && next.updated_at != cur.updated_at)
        co_await index_updated(key.tenant, key.id, next.updated_at);
    }
    Commit c;
    c.record = std::move(next);
    c.events = std::move(events);
    co_return c;
  }
  co_return unavailable("conversation " + key.id + " is changing too fast, retry");
}

// ---- append (the hot path) ---------------------------------------------------

asio::awaitable<Result<Commit>> RedisEngine::append(ConvKey key, AppendRequest req) {
  ConvKeys k(key);
  TenantKeys t(key.tenant);
  Shard& cs = shard_of(k);
  const bool same_shard = same_place(k.tag, t.tag);
  if (gate_.any_closed()) co_await gate_.wait(k.channel);

  Event ev;
  static_cast<EventDraft&>(ev) = std::move(req.event);
  // The lastMessage preview, computed the one way every engine does.
  Conversation scratch;
  apply_appended(scratch, ev);
  const bool has_idem = !ev.client_message_id.empty();
  std::vector<std::string> keys =
      strs(k.meta, k.members, k.log,
           has_idem ? k.idempotency(ev.from_user, ev.client_message_id) : k.meta);
  if (same_shard) keys.push_back(t.updated);
  // The event's encoding around the dialog, sender and seat, which the
  // script fills in (see kAppend).
  std::string type_token, rest_tokens, preview, head;
  append_token(type_token, ev.type);
  append_token(rest_tokens, to_string(ev.visibility));
  append_token(rest_tokens, ev.client_message_id);
  append_token(rest_tokens, ev.body);
  append_token(preview, scratch.last_message.text);
  for (bool f : {req.require_open, req.mark_read, ev.visibility == Visibility::all,
                 is_message_type(ev.type), has_idem})
    head.push_back(f ? '1' : '0');
  append_fixed(head, static_cast<int64_t>(wall_clock_ms()));
  append_fixed(head, static_cast<uint64_t>(req.sender_roles));
  head.append(std::to_string(options_.message_id_ttl.count()));
  std::vector<std::string> args =
      strs(ev.from_user, std::move(head), std::move(preview), std::move(type_token), k.channel,
           key.id, std::move(rest_tokens), t.changes);
  if (options_.outbox && options_.outbox(key.tenant, ev.type))
    args.push_back(key.tenant);  // webhooks outbox
  auto r = co_await eval(cs, ScriptId::append, std::move(keys), std::move(args));
  if (!r) co_return std::move(r).error();
  const std::string status = r->size() > 0 ? (*r)[0].str() : "";
  if (status == "404") co_return not_found("no such conversation");

  if (status == "pre" && r->size() == 3) {
    // Refused inside the script: check_append on what the script saw gives
    // the same Error as every other engine.
    Conversation seen;
    const std::string state = (*r)[1].str();  // its first letter (meta `hot`)
    seen.state = state == "O"   ? ConvState::open
                 : state == "C" ? ConvState::close
                                : ConvState::locked;
    if (!(*r)[2].is_nil())
      if (auto m = decode_member(ev.from_user, (*r)[2].str())) seen.members.push_back(m->first);
    AppendRequest again;
    again.event.from_user = ev.from_user;
    again.sender_roles = req.sender_roles;
    again.require_open = req.require_open;
    Status st = check_append(seen, again);
    co_return st ? unavailable("redis: append refused without a reason") : std::move(st).error();
  }

  Commit c;
  c.record.tenant = key.tenant;
  c.record.id = key.id;
  // The lean record: meta `hot`, `status` and `lm` as the script left them.
  auto lean = [&](size_t at) {
    return (*r)[at].is_string() && (*r)[at + 1].is_string() && (*r)[at + 2].is_string() &&
           decode_lean((*r)[at].str(), (*r)[at + 1].str(), (*r)[at + 2].str(), c.record);
  };
  if (status == "dup" && r->size() == 6) {
    auto seq = (*r)[1].as_int(), ts = (*r)[2].as_int();
    if (!seq || !ts || !lean(3)) co_return unavailable("redis: malformed append reply");
    c.duplicate = true;
    c.seq = static_cast<uint64_t>(*seq);
    c.ts = *ts;
    co_return c;
  }
  if (status != "ok" || r->size() != 7) co_return unavailable("redis: malformed append reply");
  const auto prev = (*r)[1].as_int();
  std::string_view role = (*r)[5].str();  // a token: "8:CONSUMER"
  const auto colon = role.find(':');
  if (!prev || !lean(2) || colon == std::string_view::npos)
    co_return unavailable("redis: malformed append reply");
  ev.seq = c.record.last_seq;
  ev.ts = c.record.updated_at;
  ev.prev_public_seq = static_cast<uint64_t>(*prev);
  ev.messages_all = c.record.messages_all;
  ev.messages_public = c.record.messages_public;
  ev.from_role = role.substr(colon + 1);
  ev.dialog_id = (*r)[6].str();
  c.seq = ev.seq;
  c.ts = ev.ts;
  c.events.push_back(std::make_shared<const Event>(std::move(ev)));
  // Contract 15: this node's subscribers get the event now, on the thread
  // that committed it, rather than through pub/sub and the engine's own
  // thread. The pub/sub copy, for the other nodes, reaches this node's hub
  // too, which drops it by seq.
  if (EventSink* sink = sink_.load()) sink->on_local_events(key, c.record.epoch, c.events);
  // The tenant's listing lives elsewhere: move it after. The message is
  // committed whatever happens here (list() repairs a lagging index).
  if (!same_shard) co_await index_updated(key.tenant, key.id, c.ts);
  co_return c;
}

}  // namespace parley::redis
