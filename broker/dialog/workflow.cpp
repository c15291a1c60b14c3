// OPEN / CLOSE / LOCKED: closeConversation, reopenConversation,
// lockConversation, the automatic lock and setStatus (rules_workflow.hpp).
#include "dialog/workflow.hpp"

#include "dialog/support.hpp"

namespace parley::rules {

using namespace detail;

namespace {

Error forbidden_for(const Identity& who) {
  // A consumer is refused for not being this conversation's consumer; any
  // other account for not being on the agent side.
  if (who.role == AccountRole::consumer)
    return forbidden("member", "not the consumer of this conversation");
  return forbidden("agent", "only the agent side may do this");
}

std::string state_body(ConvState from, ConvState to) {
  JsonWriter w;
  w.begin_object().field("from", to_string(from)).field("to", to_string(to)).end_object();
  return w.take();
}

}  // namespace

// Closing what is closed already is a repeat (noop), even when LOCKED: the
// caller's goal holds and nothing is written.
Result<Decision> close(const Conversation& c, const Identity& who,
                       const std::optional<std::string>& cause, Millis now) {
  if (!agent_side_writer(c, who) && !active_consumer(c, who)) return forbidden_for(who);
  if (c.state != ConvState::open) return noop(c);
  Decision d;
  d.next = c;
  close_open_dialog(d, c, who, cause, now);
  return d;
}

// Reopening brings MAIN back: the post-survey, if it ran, stays closed (it
// runs again at the next close).
Result<Decision> reopen(const Conversation& c, const Identity& who, Millis now) {
  if (!agent_side_writer(c, who)) return forbidden("agent", "only the agent side may reopen");
  if (c.state == ConvState::open) return noop(c);
  if (c.state == ConvState::locked) return state_conflict(c.state);
  Decision d;
  d.next = c;
  Conversation& n = d.next;
  Dialog* main = nullptr;
  for (Dialog& dl : n.dialogs)
    if (dl.type == "MAIN") main = &dl;
  if (!main) {
    n.dialogs.insert(n.dialogs.begin(), Dialog{"MAIN", "MAIN", true, now, 0, {}});
    main = &n.dialogs.front();
  }
  main->open = true;
  main->opened_at = now;
  main->closed_at = 0;
  main->closed_cause.clear();
  n.state = ConvState::open;
  n.updated_at = now;
  const ParticipantRole role = acting_role(c, who);
  JsonWriter w;
  w.begin_object().field("dialogId", main->dialog_id).field("type", main->type).end_object();
  d.events.push_back(draft("dialog.opened", who, role, w.take(), Visibility::all, main->dialog_id));
  d.events.push_back(draft("state.changed", who, role,
                           state_body(ConvState::close, ConvState::open), Visibility::all,
                           main->dialog_id));
  change_status(d, c, who, "open");
  return d;
}

Result<Decision> lock(const Conversation& c, const Identity& who, Millis now) {
  if (!is_manager(who.role)) return forbidden("manager", "only managers may lock");
  if (c.state == ConvState::locked) return noop(c);
  if (c.state == ConvState::open) return state_conflict(c.state);
  Decision d;
  d.next = c;
  d.next.state = ConvState::locked;
  d.next.updated_at = now;
  d.events.push_back(draft("state.changed", who, acting_role(c, who),
                           state_body(ConvState::close, ConvState::locked), Visibility::all,
                           c.current_dialog_id()));
  return d;
}

Result<Decision> auto_lock(const Conversation& c, Millis now, Millis lock_after) {
  if (c.state != ConvState::close || c.closed_at() + lock_after > now) return noop(c);
  Decision d;
  d.next = c;
  d.next.state = ConvState::locked;
  d.next.updated_at = now;
  d.events.push_back(system_draft("state.changed", state_body(ConvState::close, ConvState::locked),
                                  c.current_dialog_id()));
  return d;
}

std::optional<Millis> lock_deadline(const Conversation& c, Millis lock_after) {
  if (c.state != ConvState::close || lock_after <= 0) return std::nullopt;
  return c.closed_at() + lock_after;
}

std::optional<Millis> ttl_deadline(const Conversation& c) {
  if (!c.ttl || c.messages_all > 0) return std::nullopt;
  return c.created_at + *c.ttl * 1000;
}

Result<Decision> expire_ttl(const Conversation& c, Millis now) {
  const auto due = ttl_deadline(c);
  if (!due || *due > now) return noop(c);
  Decision d;
  d.next = c;
  d.next.updated_at = now;
  d.events.push_back(system_draft("conversation.deleted", "{}", c.current_dialog_id()));
  d.erase = true;
  return d;
}

Result<Decision> set_status(const Conversation& c, const Identity& who, std::string_view status,
                            Millis now) {
  if (!agent_side_writer(c, who)) return forbidden("agent", "only the agent side may set status");
  if (c.status == status) return noop(c);
  if (c.state != ConvState::open) return state_conflict(c.state);
  Decision d;
  d.next = c;
  if (status == "resolved") {
    close_open_dialog(d, c, who, std::nullopt, now);
    return d;
  }
  change_status(d, c, who, status);
  d.next.updated_at = now;
  return d;
}

}  // namespace parley::rules
