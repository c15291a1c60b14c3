// Internal to the rules (rules*.cpp): the checks and event builders every
// rules file shares, so that "who is agent side", "which seat is the
// consumer's" and the shape of member events are decided in one place.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "json_writer.hpp"
#include "model.hpp"
#include "write.hpp"

namespace parley::rules::detail {

inline bool is_manager(AccountRole r) {
  return r == AccountRole::manager || r == AccountRole::admin;
}

// The participant role a caller acts with: its own when it is an ACTIVE
// member, else the role it would join with (agent-side accounts act on
// conversations they are not members of).
ParticipantRole acting_role(const Conversation& c, const Identity& who);

// Who may change a conversation on the agent side: agent, manager and admin
// accounts, and ACTIVE members with an agent-side seat except READER (read
// only, PROTOCOL §3) — so a bot acts as a member, never as an outsider.
bool agent_side_writer(const Conversation& c, const Identity& who);
// Who may read the agent side's part (notes): agent-side accounts, and
// ACTIVE members with an agent-side seat, READER included.
bool agent_side_reader(const Conversation& c, const Identity& who);
// The caller when it holds the conversation's ACTIVE CONSUMER seat.
const Member* active_consumer(const Conversation& c, const Identity& who);

// An event drafted by `who` acting as `role`, filed under `dialog_id`.
EventDraft draft(std::string_view type, const Identity& who, ParticipantRole role, std::string body,
                 Visibility visibility = Visibility::all, std::string_view dialog_id = "MAIN");
// An event of the system itself (the automatic lock): from null.
EventDraft system_draft(std::string_view type, std::string body, std::string_view dialog_id);

// 409 {"state"} "conversation is <STATE>".
Error state_conflict(ConvState s);
// A decision that writes nothing: the record as it is.
Decision noop(const Conversation& c);

void field_opt(JsonWriter& w, std::string_view key, const std::optional<std::string>& v);

std::string member_joined_body(const Member& m, bool previously_suggested = false);
std::string member_left_body(const Member& m, std::string_view reason);

// Which participant roles an account may take by joining (PROTOCOL §3).
bool may_take_role(AccountRole account, ParticipantRole role);

// The member holding the CONSUMER seat, ACTIVE or LEFT: the conversation
// belongs to that consumer. Those that handed it over (consumerTakeover)
// no longer hold it.
const Member* seat_consumer(const Conversation& c);
// Whether someone other than `user_id` holds the CONSUMER seat.
bool consumer_seat_taken(const Conversation& c, std::string_view user_id);

// The entry of `user_id` in `next`, appended (never joined) when absent.
Member& entry_of(Conversation& next, std::string_view user_id);

// The CLOSE side of the state machine, shared by closeConversation,
// setStatus resolved and setCsat: closes the open dialog of `d.next`; after
// MAIN with a post-survey, the POST_SURVEY dialog opens (the conversation
// stays OPEN); after the last dialog the conversation becomes CLOSE.
// Whenever MAIN or the conversation closes the status becomes "resolved".
// Appends dialog.closed, then dialog.opened or state.changed, then
// status.changed. `c` is the record the decision started from.
void close_open_dialog(Decision& d, const Conversation& c, const Identity& who,
                       const std::optional<std::string>& cause, Millis now);

// status.changed {"from","to"} (agents) and the new status, when it changes.
void change_status(Decision& d, const Conversation& c, const Identity& who, std::string_view to);

// queue.returned {"unassignedUserId"} (agents), for an assigned agent that
// left an OPEN conversation still in MAIN with nobody taking its seat.
void queue_returned(Decision& d, const Conversation& c, const Identity& who,
                    std::string_view unassigned);

}  // namespace parley::rules::detail
