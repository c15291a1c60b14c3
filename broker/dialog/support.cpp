// The helpers every rules file shares (rules_detail.hpp). Pure, like the
// rules themselves.
#include <algorithm>
#include <utility>

#include "dialog/support.hpp"

namespace parley::rules::detail {

ParticipantRole acting_role(const Conversation& c, const Identity& who) {
  if (const Member* m = c.active_member(who.user_id)) return m->role;
  return default_participant_role(who.role);
}

bool agent_side_writer(const Conversation& c, const Identity& who) {
  if (is_agent_side(who.role)) return true;
  const Member* m = c.active_member(who.user_id);
  return m && is_agent_side(m->role) && m->role != ParticipantRole::reader;
}

bool agent_side_reader(const Conversation& c, const Identity& who) {
  if (is_agent_side(who.role)) return true;
  const Member* m = c.active_member(who.user_id);
  return m && is_agent_side(m->role);
}

const Member* active_consumer(const Conversation& c, const Identity& who) {
  const Member* m = c.active_member(who.user_id);
  return m && m->role == ParticipantRole::consumer ? m : nullptr;
}

EventDraft draft(std::string_view type, const Identity& who, ParticipantRole role, std::string body,
                 Visibility visibility, std::string_view dialog_id) {
  EventDraft e;
  e.type = type;
  e.dialog_id = dialog_id;
  e.from_user = who.user_id;
  e.from_role = to_string(role);
  e.visibility = visibility;
  e.body = std::move(body);
  return e;
}

EventDraft system_draft(std::string_view type, std::string body, std::string_view dialog_id) {
  EventDraft e;
  e.type = type;
  e.dialog_id = dialog_id;
  e.from_role = "SYSTEM";
  e.body = std::move(body);
  return e;
}

Error state_conflict(ConvState s) {
  std::string msg = "conversation is ";
  msg.append(to_string(s));
  return conflict(to_string(s), msg);
}

Decision noop(const Conversation& c) {
  Decision d;
  d.next = c;
  d.noop = true;
  return d;
}

void field_opt(JsonWriter& w, std::string_view key, const std::optional<std::string>& v) {
  if (v)
    w.field(key, *v);
  else
    w.field_null(key);
}

std::string member_joined_body(const Member& m, bool previously_suggested) {
  JsonWriter w;
  w.begin_object()
      .field("userId", m.user_id)
      .field("role", to_string(m.role))
      .field("previouslySuggested", previously_suggested)
      .end_object();
  return w.take();
}

std::string member_left_body(const Member& m, std::string_view reason) {
  JsonWriter w;
  w.begin_object()
      .field("userId", m.user_id)
      .field("role", to_string(m.role))
      .field("reason", reason)
      .end_object();
  return w.take();
}

bool may_take_role(AccountRole account, ParticipantRole role) {
  using P = ParticipantRole;
  switch (account) {
    case AccountRole::consumer: return role == P::consumer;
    case AccountRole::agent:
      return role == P::agent || role == P::reader || role == P::assigned_agent;
    case AccountRole::manager:
    case AccountRole::admin:
      return role == P::manager || role == P::agent || role == P::reader ||
             role == P::assigned_agent;
    case AccountRole::bot: return role == P::bot;
  }
  return false;
}

const Member* seat_consumer(const Conversation& c) {
  const Member* left = nullptr;
  for (const Member& m : c.members) {
    if (m.role != ParticipantRole::consumer || m.state == MemberState::invited) continue;
    if (std::find(c.former_consumers.begin(), c.former_consumers.end(), m.user_id) !=
        c.former_consumers.end())
      continue;
    if (m.state == MemberState::active) return &m;
    if (!left) left = &m;
  }
  return left;
}

// A consumer may take the CONSUMER seat only when nobody else holds it:
// another consumer's entry, active or LEFT, means the conversation belongs
// to that consumer (moving it to someone else is consumerTakeover's job).
// Refusing LEFT owners too keeps consumers out of each other's history.
bool consumer_seat_taken(const Conversation& c, std::string_view user_id) {
  const Member* holder = seat_consumer(c);
  return holder && holder->user_id != user_id;
}

Member& entry_of(Conversation& next, std::string_view user_id) {
  if (Member* m = next.member(user_id)) return *m;
  next.members.push_back(Member{});
  Member& m = next.members.back();
  m.user_id = user_id;
  m.state = MemberState::left;  // the caller sets the state it gets
  return m;
}

namespace {

std::string dialog_body(const Dialog& dl, bool closing) {
  JsonWriter w;
  w.begin_object().field("dialogId", dl.dialog_id).field("type", dl.type);
  if (closing && !dl.closed_cause.empty()) w.field("closedCause", dl.closed_cause);
  w.end_object();
  return w.take();
}

std::string state_body(ConvState from, ConvState to, std::string_view cause) {
  JsonWriter w;
  w.begin_object().field("from", to_string(from)).field("to", to_string(to));
  if (!cause.empty()) w.field("closedCause", cause);
  w.end_object();
  return w.take();
}

constexpr std::string_view kPostSurvey = "POST_SURVEY";

}  // namespace

void close_open_dialog(Decision& d, const Conversation& c, const Identity& who,
                       const std::optional<std::string>& cause, Millis now) {
  Conversation& n = d.next;
  const ParticipantRole role = acting_role(c, who);
  Dialog* open = nullptr;
  for (auto it = n.dialogs.rbegin(); it != n.dialogs.rend() && !open; ++it)
    if (it->open) open = &*it;
  bool survey_opens = false;
  std::string closed_type, closed_id;
  if (open) {
    open->open = false;
    open->closed_at = now;
    open->closed_cause = cause.value_or("");
    closed_type = open->type;
    closed_id = open->dialog_id;
    d.events.push_back(
        draft("dialog.closed", who, role, dialog_body(*open, true), Visibility::all, closed_id));
    survey_opens = closed_type == "MAIN" && n.post_survey;
  }
  if (survey_opens) {
    Dialog* survey = nullptr;
    for (Dialog& dl : n.dialogs)
      if (dl.type == kPostSurvey) survey = &dl;
    if (!survey) {
      n.dialogs.push_back(
          Dialog{std::string(kPostSurvey), std::string(kPostSurvey), true, now, 0, {}});
      survey = &n.dialogs.back();
    }
    // A survey that ran before (the conversation was reopened) runs again.
    survey->open = true;
    survey->opened_at = now;
    survey->closed_at = 0;
    survey->closed_cause.clear();
    d.events.push_back(draft("dialog.opened", who, role, dialog_body(*survey, false),
                             Visibility::all, survey->dialog_id));
  } else {
    n.state = ConvState::close;
    d.events.push_back(draft("state.changed", who, role,
                             state_body(ConvState::open, ConvState::close, cause.value_or("")),
                             Visibility::all,
                             closed_id.empty() ? c.current_dialog_id() : closed_id));
  }
  change_status(d, c, who, "resolved");
  n.updated_at = now;
}

void change_status(Decision& d, const Conversation& c, const Identity& who, std::string_view to) {
  if (d.next.status == to) return;
  JsonWriter w;
  w.begin_object().field("from", d.next.status).field("to", to).end_object();
  d.next.status = to;
  d.events.push_back(draft("status.changed", who, acting_role(c, who), w.take(), Visibility::agents,
                           d.next.current_dialog_id()));
}

void queue_returned(Decision& d, const Conversation& c, const Identity& who,
                    std::string_view unassigned) {
  // Only a conversation still in its MAIN dialog waits in a queue: a CLOSE
  // one, or one in its post-survey, needs no agent any more.
  const Dialog* open = c.open_dialog();
  if (c.state != ConvState::open || !open || open->type != "MAIN") return;
  JsonWriter w;
  w.begin_object().field("unassignedUserId", unassigned).end_object();
  d.events.push_back(draft("queue.returned", who, acting_role(c, who), w.take(), Visibility::agents,
                           c.current_dialog_id()));
}

}  // namespace parley::rules::detail
