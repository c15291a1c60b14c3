// Routing: invite, removeMember, assign, transfer, setGroup and
// consumerTakeover (rules_workflow.hpp). join and leave, which complete a
// transfer and send a conversation back to the queue, are in rules.cpp.
#include <algorithm>

#include "dialog/support.hpp"
#include "dialog/routing.hpp"

namespace parley::rules {

using namespace detail;

namespace {

Error not_agent_side() { return forbidden("agent", "only the agent side may do this"); }

// Members that have not left: the INVITED and SUGGESTED ones hold a place
// too, so invitations cannot grow a conversation past the member limit.
size_t present_members(const Conversation& c) {
  return static_cast<size_t>(std::count_if(c.members.begin(), c.members.end(), [](const Member& m) {
    return m.state != MemberState::left;
  }));
}

// member.invited / member.suggested {"userId","role","by"}.
std::string offer_body(const Member& m, std::string_view by) {
  JsonWriter w;
  w.begin_object()
      .field("userId", m.user_id)
      .field("role", to_string(m.role))
      .field("by", by)
      .end_object();
  return w.take();
}

// Whether `user_id` is the conversation's consumer (the seat's holder).
bool is_seat_consumer(const Conversation& c, std::string_view user_id) {
  const Member* holder = seat_consumer(c);
  return holder && holder->user_id == user_id;
}

// The assigned agent leaves its seat with reason "transferred".
void unseat(Decision& d, const Identity& who, ParticipantRole role, std::string_view user_id,
            Millis now, std::string_view dialog) {
  Member* prev = d.next.member(user_id);
  prev->state = MemberState::left;
  prev->left_at = now;
  d.events.push_back(draft("member.left", who, role, member_left_body(*prev, "transferred"),
                           Visibility::all, dialog));
}

}  // namespace

Result<Decision> invite(const Conversation& c, const Identity& who, const params::Invite& p,
                        Millis now, const Limits& limits) {
  if (!agent_side_writer(c, who)) return not_agent_side();
  const Member* target = c.member(p.user_id);
  if (target && (target->state == MemberState::active ||
                 (target->state == MemberState::invited && target->role == p.role)))
    return noop(c);
  if (c.state == ConvState::locked) return state_conflict(c.state);
  if (p.role == ParticipantRole::consumer) {
    if (c.state != ConvState::open) return state_conflict(c.state);
    if (consumer_seat_taken(c, p.user_id))
      return conflict(to_string(c.state), "conversation already has a consumer");
  }
  const bool present = target && target->state != MemberState::left;
  if (!present && present_members(c) >= limits.members) return too_large("members", limits.members);

  Decision d;
  d.next = c;
  Member& m = entry_of(d.next, p.user_id);
  m.role = p.role;
  m.state = MemberState::invited;
  d.next.updated_at = now;
  d.events.push_back(draft("member.invited", who, acting_role(c, who), offer_body(m, who.user_id),
                           Visibility::all, c.current_dialog_id()));
  return d;
}

Result<Decision> remove_member(const Conversation& c, const Identity& who, std::string_view user_id,
                               Millis now) {
  if (!agent_side_writer(c, who)) return not_agent_side();
  const Member* target = c.member(user_id);
  if (!target) return not_found("not a member");
  if (target->state == MemberState::left) return noop(c);
  if (c.state == ConvState::locked) return state_conflict(c.state);

  Decision d;
  d.next = c;
  Member* m = d.next.member(user_id);
  const bool was_suggested = m->state == MemberState::suggested;
  const bool was_assigned =
      m->state == MemberState::active && m->role == ParticipantRole::assigned_agent;
  m->state = MemberState::left;
  m->left_at = now;
  d.next.updated_at = now;
  d.events.push_back(draft("member.left", who, acting_role(c, who), member_left_body(*m, "removed"),
                           was_suggested ? Visibility::agents : Visibility::all,
                           c.current_dialog_id()));
  if (was_assigned) queue_returned(d, c, who, user_id);
  return d;
}

Result<Decision> assign(const Conversation& c, const Identity& who, std::string_view user_id,
                        Millis now, const Limits& limits) {
  const bool manager = is_manager(who.role);
  const bool self_service = who.role == AccountRole::agent && user_id == who.user_id;
  if (!manager && !self_service)
    return forbidden("manager", "only managers assign; an agent may take a conversation itself");
  const Member* current = c.assigned_agent();
  if (current && current->user_id == user_id) return noop(c);
  if (c.state != ConvState::open) return state_conflict(c.state);
  // Taking it from the queue: an agent does not take it from a colleague.
  if (!manager && current)
    return conflict(to_string(c.state), "conversation already has an assigned agent");
  if (is_seat_consumer(c, user_id))
    return conflict(to_string(c.state), "the consumer cannot be the assigned agent");
  const Member* target = c.member(user_id);
  const bool active = target && target->state == MemberState::active;
  if (!active && c.active_members() >= limits.members) return too_large("members", limits.members);

  Decision d;
  d.next = c;
  Member& m = entry_of(d.next, user_id);
  const bool suggested = m.state == MemberState::suggested;
  if (user_id == who.user_id && !who.name.empty()) m.name = who.name;
  m.role = ParticipantRole::assigned_agent;
  if (!active) m.joined_at = now;
  m.state = MemberState::active;
  m.left_at = 0;
  d.next.updated_at = now;
  const ParticipantRole role = acting_role(c, who);
  const std::string dialog = c.current_dialog_id();
  d.events.push_back(
      draft("member.joined", who, role, member_joined_body(m, suggested), Visibility::all, dialog));
  if (current) unseat(d, who, role, current->user_id, now, dialog);
  return d;
}

Result<Decision> transfer(const Conversation& c, const Identity& who, const params::Transfer& p,
                          Millis now, const Limits& limits) {
  if (!agent_side_writer(c, who)) return not_agent_side();
  const Member* assigned = c.assigned_agent();
  // What each half would change, on the record as it stands after the
  // skill half (which may unseat the agent the agent half names).
  const bool skill_moves = p.skill_id && (p.skill_id != c.skill_id || assigned);
  const bool unseats = skill_moves && assigned;
  bool agent_moves = false;
  if (p.agent_id) {
    const Member* t = c.member(*p.agent_id);
    const bool is_assigned = assigned && assigned->user_id == *p.agent_id && !unseats;
    const bool is_suggested = t && t->state == MemberState::suggested;
    agent_moves = !is_assigned && !is_suggested;
  }
  if (!skill_moves && !agent_moves) return noop(c);
  if (c.state != ConvState::open) return state_conflict(c.state);
  if (agent_moves) {
    if (is_seat_consumer(c, *p.agent_id))
      return conflict(to_string(c.state), "the consumer cannot be transferred to");
    const Member* t = c.member(*p.agent_id);
    if ((!t || t->state == MemberState::left) && present_members(c) >= limits.members)
      return too_large("members", limits.members);
  }

  Decision d;
  d.next = c;
  d.next.updated_at = now;
  const ParticipantRole role = acting_role(c, who);
  const std::string dialog = c.current_dialog_id();
  if (skill_moves) {
    JsonWriter w;
    w.begin_object();
    field_opt(w, "fromSkillId", c.skill_id);
    w.field("toSkillId", *p.skill_id);
    field_opt(w, "unassignedUserId",
              unseats ? std::optional<std::string>(assigned->user_id) : std::nullopt);
    w.end_object();
    d.next.skill_id = p.skill_id;
    d.events.push_back(draft("transfer.skill", who, role, w.take(), Visibility::agents, dialog));
    if (unseats) unseat(d, who, role, assigned->user_id, now, dialog);
  }
  if (agent_moves) {
    Member& m = entry_of(d.next, *p.agent_id);
    m.role = ParticipantRole::assigned_agent;
    m.state = MemberState::suggested;
    d.events.push_back(draft("member.suggested", who, role, offer_body(m, who.user_id),
                             Visibility::agents, dialog));
    JsonWriter w;
    w.begin_object()
        .field("toUserId", *p.agent_id)
        .field("fromUserId", assigned ? assigned->user_id : who.user_id)
        .end_object();
    d.events.push_back(draft("transfer.agent", who, role, w.take(), Visibility::agents, dialog));
  }
  return d;
}

Result<Decision> set_group(const Conversation& c, const Identity& who,
                           const std::optional<std::string>& group_id, Millis now) {
  if (!agent_side_writer(c, who)) return not_agent_side();
  if (c.group_id == group_id) return noop(c);
  if (c.state == ConvState::locked) return state_conflict(c.state);
  Decision d;
  d.next = c;
  d.next.group_id = group_id;
  d.next.updated_at = now;
  JsonWriter w;
  w.begin_object();
  field_opt(w, "prevGroupId", c.group_id);
  field_opt(w, "newGroupId", group_id);
  w.end_object();
  d.events.push_back(draft("group.changed", who, acting_role(c, who), w.take(), Visibility::agents,
                           c.current_dialog_id()));
  return d;
}

Result<Decision> consumer_takeover(const Conversation& c, const Identity& who,
                                   const std::optional<std::string>& new_user, Millis now,
                                   const Limits& limits) {
  const Member* holder = seat_consumer(c);
  std::string target;
  if (who.role == AccountRole::admin || who.role == AccountRole::bot) {
    if (!new_user) return invalid_params("newConsumerUserId", "required");
    target = *new_user;
  } else if (who.role == AccountRole::consumer) {
    if (new_user && *new_user != who.user_id)
      return forbidden("admin", "only admins and bots name the new consumer");
    target = who.user_id;
    // The token's `prev` proves the caller was the seat's consumer before
    // (an anonymous visitor that logged in). The new consumer repeating
    // its takeover is let through to the noop below.
    const bool proven = !who.prev.empty() && holder && holder->user_id == who.prev;
    const bool repeat = holder && holder->user_id == who.user_id;
    if (!proven && !repeat)
      return forbidden("prev", "the token's prev is not this conversation's consumer");
  } else {
    return forbidden("admin", "only the consumer, admins and bots take over");
  }
  // Already the seat's consumer (a LEFT one comes back with join).
  if (holder && holder->user_id == target) return noop(c);
  if (c.state == ConvState::locked) return state_conflict(c.state);
  if (!holder) return conflict(to_string(c.state), "conversation has no consumer");
  const Member* t = c.member(target);
  const bool active = t && t->state == MemberState::active;
  if (active && t->role != ParticipantRole::consumer)
    return conflict(to_string(c.state), "the new consumer is a member in another role");
  const bool holder_active = holder->state == MemberState::active;
  if (!active && !holder_active && c.active_members() >= limits.members)
    return too_large("members", limits.members);

  Decision d;
  d.next = c;
  Conversation& n = d.next;
  n.updated_at = now;
  const ParticipantRole role = acting_role(c, who);
  const std::string dialog = c.current_dialog_id();
  const std::string old_user = holder->user_id;
  JsonWriter w;
  w.begin_object().field("oldUserId", old_user).field("newUserId", target).end_object();
  d.events.push_back(draft("consumer.steppedUp", who, role, w.take(), Visibility::all, dialog));
  Member* old = n.member(old_user);
  if (holder_active) {
    old->state = MemberState::left;
    old->left_at = now;
    d.events.push_back(draft("member.left", who, role, member_left_body(*old, "stepped-up"),
                             Visibility::all, dialog));
  }
  n.former_consumers.push_back(old_user);
  std::erase(n.former_consumers, target);
  Member& m = entry_of(n, target);
  if (target == who.user_id && !who.name.empty()) m.name = who.name;
  m.role = ParticipantRole::consumer;
  m.state = MemberState::active;
  m.joined_at = now;
  m.left_at = 0;
  d.events.push_back(
      draft("member.joined", who, role, member_joined_body(m), Visibility::all, dialog));
  return d;
}

}  // namespace parley::rules
