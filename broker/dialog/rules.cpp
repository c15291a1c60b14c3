// The conversation rules (rules.hpp). Every function here is a pure function
// of its arguments: the engine may call a decision several times (optimistic
// retries) and the tests call them directly, table by table.
//
// Order of checks, the same in every function, so that a caller learns the
// most fundamental problem first:
//   1. who may act at all (403; 404 when the caller must be a member),
//   2. idempotent repeats (noop: nothing is written, whatever the state),
//   3. the conversation's state (409 with data.state),
//   4. clashes and limits of the requested change (409, 413).
#include "dialog/rules.hpp"

#include <utility>

#include "json_merge.hpp"
#include "json_writer.hpp"
#include "dialog/support.hpp"

namespace parley::rules {

namespace {

using namespace detail;

std::string created_body(const Conversation& r) {
  JsonWriter w;
  w.begin_object();
  field_opt(w, "name", r.name);
  field_opt(w, "displayName", r.display_name);
  field_opt(w, "imageUrl", r.image_url);
  field_opt(w, "externalId", r.external_id);
  w.field("channel", r.channel);
  field_opt(w, "campaignId", r.campaign_id);
  field_opt(w, "skillId", r.skill_id);
  w.field_raw("metadata", r.metadata);
  if (r.ttl)
    w.field("ttl", *r.ttl);
  else
    w.field_null("ttl");
  w.end_object();
  return w.take();
}

std::string target_seq_body(uint64_t seq, std::optional<std::string_view> text) {
  JsonWriter w;
  w.begin_object().field("targetSeq", seq);
  if (text) w.field("text", *text);
  w.end_object();
  return w.take();
}

// The body delete_message leaves behind. The rules write it and only they
// test for it, so an exact comparison is enough (and is not fooled by a
// "redacted" key inside a message's own metadata).
constexpr std::string_view kRedactedBody = R"({"redacted":true})";

// Shared checks of edit_message and delete_message once the caller is
// allowed: the state, then the target itself.
std::optional<Error> check_editable(const Conversation& c, const Event& target) {
  if (c.state == ConvState::locked) return state_conflict(c.state);
  if (!is_message_type(target.type)) return conflict(to_string(c.state), "not a message");
  if (target.body == kRedactedBody) return conflict(to_string(c.state), "message is deleted");
  return std::nullopt;
}

}  // namespace

Status may_read(const Conversation& c, const Identity& who) {
  if (c.active_member(who.user_id) || is_agent_side(who.role)) return Ok{};
  return forbidden("member", "not a member of this conversation");
}

Audience audience(const Conversation& c, const Identity& who) { return audience_of(who, &c); }

bool holds_open(const Conversation& c, std::string_view user_id) {
  const Member* m = c.active_member(user_id);
  return c.state == ConvState::open && m && m->role == ParticipantRole::consumer;
}

Result<CreateRequest> create(const Identity& who, const params::CreateConversation& p,
                             std::string id, Millis now, const Limits& limits) {
  if (who.role == AccountRole::consumer && !p.participants.empty())
    return forbidden("agent", "consumers may not add participants");

  CreateRequest req;
  Conversation& r = req.record;
  r.tenant = who.tenant;
  r.id = std::move(id);
  r.name = p.name;
  r.display_name = p.display_name;
  r.image_url = p.image_url;
  r.external_id = p.external_id;
  r.channel = p.channel.value_or("web");
  r.campaign_id = p.campaign_id;
  r.skill_id = p.skill_id;
  r.metadata = p.metadata.value_or("{}");
  r.state = ConvState::open;
  r.status = "open";
  r.dialogs.push_back(Dialog{"MAIN", "MAIN", true, now, 0, {}});
  r.created_at = now;
  r.updated_at = now;
  r.ttl = p.ttl;
  r.post_survey = p.post_survey;

  // The caller first, then the participants in the order given.
  Member caller;
  caller.user_id = who.user_id;
  caller.name = who.name;
  caller.role = default_participant_role(who.role);
  caller.joined_at = now;
  r.members.push_back(std::move(caller));
  for (const params::Participant& part : p.participants) {
    if (r.member(part.user_id)) return invalid_params("participants", "duplicate userId");
    Member m;
    m.user_id = part.user_id;
    m.role = part.role;
    m.joined_at = now;
    r.members.push_back(std::move(m));
  }
  if (r.members.size() > limits.members) return too_large("participants", limits.members);

  // The seats of which a conversation has at most one (PROTOCOL §3).
  size_t consumers = 0, assigned = 0;
  for (const Member& m : r.members) {
    consumers += m.role == ParticipantRole::consumer;
    assigned += m.role == ParticipantRole::assigned_agent;
  }
  if (consumers > 1) return conflict("OPEN", "conversation already has a consumer");
  if (assigned > 1) return conflict("OPEN", "conversation already has an assigned agent");

  const ParticipantRole from_role = r.members.front().role;
  req.events.push_back(draft("conversation.created", who, from_role, created_body(r)));
  for (const Member& m : r.members)
    req.events.push_back(draft("member.joined", who, from_role, member_joined_body(m)));
  if (p.client_request_id) req.idempotency_key = who.user_id + '\x1f' + *p.client_request_id;
  return req;
}

Result<Decision> update(const Conversation& c, const Identity& who,
                        const params::UpdateConversation& p, Millis now, const Limits& limits) {
  // The agent side edits any conversation it can see; READER is read only
  // (PROTOCOL §3), so only the participant roles that may write count. The
  // consumer edits its own conversation.
  const Member* self = c.active_member(who.user_id);
  const bool writer = self && self->role != ParticipantRole::reader;
  if (!is_agent_side(who.role) && !writer)
    return forbidden("agent", "not allowed to update this conversation");
  if (c.state == ConvState::locked) return state_conflict(c.state);

  Decision d;
  d.next = c;
  Conversation& n = d.next;
  JsonWriter changes;
  changes.begin_object().key("changes").begin_object();
  bool changed = false;

  auto set_text = [&](std::string_view key, std::optional<std::string>& field,
                      const std::optional<std::optional<std::string>>& wanted) {
    if (!wanted || field == *wanted) return;
    field = *wanted;
    field_opt(changes, key, field);
    changed = true;
  };
  set_text("name", n.name, p.name);
  set_text("displayName", n.display_name, p.display_name);
  set_text("imageUrl", n.image_url, p.image_url);

  // Both given: the replacement first, then the patch over it.
  std::string metadata = p.metadata.value_or(c.metadata);
  if (p.metadata_patch) metadata = merge_object(metadata, *p.metadata_patch);
  if (metadata.size() > limits.metadata_bytes) return too_large("metadata", limits.metadata_bytes);
  if (metadata != c.metadata) {
    n.metadata = std::move(metadata);
    changes.field_raw("metadata", n.metadata);
    changed = true;
  }

  if (p.ttl && n.ttl != *p.ttl) {
    n.ttl = *p.ttl;
    if (n.ttl)
      changes.field("ttl", *n.ttl);
    else
      changes.field_null("ttl");
    changed = true;
  }

  if (!changed) return noop(c);
  changes.end_object().end_object();
  n.updated_at = now;
  d.events.push_back(draft("conversation.updated", who, acting_role(c, who), changes.take(),
                           Visibility::all, c.current_dialog_id()));
  return d;
}

// Deleting is allowed in every state, LOCKED included: LOCKED freezes the
// conversation's content, while erasure (retention, a user's request to be
// forgotten) must stay possible.
Result<Decision> remove(const Conversation& c, const Identity& who, Millis now) {
  if (!is_manager(who.role)) return forbidden("manager", "only managers may delete conversations");
  Decision d;
  d.next = c;
  d.next.updated_at = now;
  d.events.push_back(draft("conversation.deleted", who, acting_role(c, who), "{}", Visibility::all,
                           c.current_dialog_id()));
  d.erase = true;
  return d;
}

// Joining a CLOSE conversation: the agent side may (to read it, take it over
// or reopen it); a consumer may not, since a CLOSE conversation no longer
// takes consumer messages. Nobody joins a LOCKED one.
//
// An INVITED or SUGGESTED member joining without a role takes the seat it
// was offered (when its account may): a SUGGESTED agent accepts the
// transfer, becomes ASSIGNED_AGENT (previouslySuggested: true), and the
// assigned agent it replaces leaves with reason "transferred".
Result<Decision> join(const Conversation& c, const Identity& who,
                      std::optional<ParticipantRole> role, Millis now, const Limits& limits) {
  const Member* entry = c.member(who.user_id);
  const bool suggested = entry && entry->state == MemberState::suggested;
  const bool invited = entry && entry->state == MemberState::invited;
  ParticipantRole offered = default_participant_role(who.role);
  if (suggested) offered = ParticipantRole::assigned_agent;
  if (invited) offered = entry->role;
  if (!may_take_role(who.role, offered)) offered = default_participant_role(who.role);
  const ParticipantRole wanted = role.value_or(offered);
  if (!may_take_role(who.role, wanted)) return forbidden(to_string(wanted), "role not allowed");
  // Idempotent: an ACTIVE member stays as it is, whatever role it asks for.
  if (c.active_member(who.user_id)) return noop(c);
  if (c.state == ConvState::locked) return state_conflict(c.state);
  if (wanted == ParticipantRole::consumer) {
    if (c.state != ConvState::open) return state_conflict(c.state);
    if (consumer_seat_taken(c, who.user_id))
      return conflict(to_string(c.state), "conversation already has a consumer");
  }
  const Member* replaced = nullptr;
  if (wanted == ParticipantRole::assigned_agent && c.assigned_agent()) {
    if (!suggested)
      return conflict(to_string(c.state), "conversation already has an assigned agent");
    replaced = c.assigned_agent();
  }
  if (c.active_members() >= limits.members) return too_large("members", limits.members);

  Decision d;
  d.next = c;
  Member* m = &entry_of(d.next, who.user_id);
  // A returning member (LEFT, INVITED, SUGGESTED) keeps its entry and with
  // it its read horizon, so its unread count carries on where it was.
  if (!who.name.empty()) m->name = who.name;
  m->role = wanted;
  m->state = MemberState::active;
  m->joined_at = now;
  m->left_at = 0;
  d.next.updated_at = now;
  // A consumer taking the seat back after handing it over holds it again.
  if (wanted == ParticipantRole::consumer) std::erase(d.next.former_consumers, who.user_id);
  const std::string dialog = c.current_dialog_id();
  d.events.push_back(draft("member.joined", who, wanted, member_joined_body(*m, suggested),
                           Visibility::all, dialog));
  if (replaced) {
    Member* prev = d.next.member(replaced->user_id);
    prev->state = MemberState::left;
    prev->left_at = now;
    d.events.push_back(draft("member.left", who, wanted, member_left_body(*prev, "transferred"),
                             Visibility::all, dialog));
  }
  return d;
}

// Leaving is allowed in OPEN and CLOSE (agents drop closed conversations),
// refused in LOCKED, which is final. The assigned agent leaving an OPEN
// conversation sends it back to the queue (queue.returned).
Result<Decision> leave(const Conversation& c, const Identity& who, Millis now) {
  if (!c.active_member(who.user_id)) return not_found("not a member");
  if (c.state == ConvState::locked) return state_conflict(c.state);
  Decision d;
  d.next = c;
  Member* m = d.next.member(who.user_id);
  m->state = MemberState::left;
  m->left_at = now;
  d.next.updated_at = now;
  d.events.push_back(draft("member.left", who, m->role, member_left_body(*m, "left"),
                           Visibility::all, c.current_dialog_id()));
  if (m->role == ParticipantRole::assigned_agent) queue_returned(d, c, who, who.user_id);
  return d;
}

// Editing requires being able to read the conversation still (a consumer
// that left no longer may), then authorship. Allowed in OPEN and CLOSE.
Result<Decision> edit_message(const Conversation& c, const Identity& who, const Event& target,
                              std::string_view text, Millis now) {
  if (auto s = may_read(c, who); !s) return s.error();
  if (target.from_user != who.user_id) return forbidden("author", "only the author may edit");
  if (auto e = check_editable(c, target)) return std::move(*e);

  JsonWriter patch;
  patch.begin_object().field("text", text).field("editedAt", now).end_object();
  Decision d;
  d.next = c;
  d.next.updated_at = now;
  d.events.push_back(draft("message.edited", who, acting_role(c, who),
                           target_seq_body(target.seq, text), target.visibility,
                           c.current_dialog_id()));
  d.target_body = merge_object(target.body, patch.str());
  d.target_text = std::string(text);
  return d;
}

Result<Decision> delete_message(const Conversation& c, const Identity& who, const Event& target,
                                Millis now) {
  if (auto s = may_read(c, who); !s) return s.error();
  if (target.from_user != who.user_id && !is_manager(who.role))
    return forbidden("manager", "only the author or a manager may delete");
  if (auto e = check_editable(c, target)) return std::move(*e);

  Decision d;
  d.next = c;
  d.next.updated_at = now;
  d.events.push_back(draft("message.deleted", who, acting_role(c, who),
                           target_seq_body(target.seq, std::nullopt), target.visibility,
                           c.current_dialog_id()));
  d.target_body = std::string(kRedactedBody);
  d.target_text = std::string();
  return d;
}

// Read and accept are two independent horizons (a message is accepted when
// delivered, read when seen); each only moves forward. Allowed in every
// state: a member's horizon is its own, not the conversation's content. The
// unread counters follow the read horizon only, and updated_at stays, so a
// receipt does not reorder conversation lists.
Result<Decision> mark_read(const Conversation& c, const Identity& who, const Event& target,
                           bool accept) {
  const Member* self = c.active_member(who.user_id);
  if (!self) return forbidden("member", "not a member of this conversation");
  const uint64_t horizon = accept ? self->last_accept_seq : self->last_read_seq;
  if (target.seq <= horizon) return noop(c);

  Decision d;
  d.next = c;
  Member* m = d.next.member(who.user_id);
  if (accept) {
    m->last_accept_seq = target.seq;
  } else {
    m->last_read_seq = target.seq;
    m->read_messages_all = target.messages_all;
    m->read_messages_public = target.messages_public;
  }
  return d;
}

}  // namespace parley::rules
