// The conversation rules: a pure state machine. Given the current record,
// the caller and a command, each function returns the decision (new record
// and events to append, which the engine commits atomically) or the exact
// JSON-RPC error. No I/O, no clock, no randomness: `now` and ids come in.
//
// Order of checks, everywhere: who may act (403/404), then idempotent
// repeats (noop), then the conversation's state (409), then clashes and
// limits (409/413). So an ACTIVE member joining a LOCKED conversation is a
// noop, not a 409.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "limits.hpp"
#include "model.hpp"
#include "params.hpp"
#include "write.hpp"

namespace parley::rules {

// Who may read a conversation (query, subscribe, get, listMembers): its
// active members, and agent/manager/admin accounts of the same tenant.
// Others: 403 {"required":"member"}. (Tenant mismatch never reaches here:
// the engine answers 404.)
Status may_read(const Conversation& c, const Identity& who);

// createConversation: the new record (id given) and its first events
// (conversation.created, then member.joined for the caller and for each
// participant). Consumers may not add participants (403).
Result<CreateRequest> create(const Identity& who, const params::CreateConversation& p,
                             std::string id, Millis now, const Limits& limits);

// updateConversation: agent/manager/admin accounts, active members on the
// agent side except READERs, and the conversation's consumer; emits conversation.updated {"changes":{...}} with the
// changed fields only (no change: noop). 409 when LOCKED.
Result<Decision> update(const Conversation& c, const Identity& who,
                        const params::UpdateConversation& p, Millis now, const Limits& limits);

// deleteConversation: manager and admin accounts only (403), in every state
// (LOCKED included: erasure for retention); emits conversation.deleted and
// erases.
Result<Decision> remove(const Conversation& c, const Identity& who, Millis now);

// join: idempotent (already ACTIVE: noop). The role defaults to the
// account's — or, for an INVITED or SUGGESTED member, to the seat it was
// offered; a role the account may not take is 403. A SUGGESTED member
// joining as ASSIGNED_AGENT accepts the transfer (previouslySuggested: true)
// and the assigned agent it replaces leaves with reason "transferred". A consumer may only be
// CONSUMER, and only when no other consumer ever held the seat (ACTIVE or
// LEFT: 409), so a departed consumer's history never passes to another.
// Consumers may join only OPEN conversations; the agent side may join a
// CLOSE one. 409 when LOCKED or for a second ASSIGNED_AGENT, 413 over
// limits.members active members. Emits member.joined.
Result<Decision> join(const Conversation& c, const Identity& who,
                      std::optional<ParticipantRole> role, Millis now, const Limits& limits);

// leave: the caller must be ACTIVE (404 otherwise); emits member.left
// {"reason":"left"}, then queue.returned {"unassignedUserId"} (agents) when
// the assigned agent leaves an OPEN conversation in its MAIN dialog.
Result<Decision> leave(const Conversation& c, const Identity& who, Millis now);

// editMessage: the author only (403), a `message` that is not redacted
// (409 otherwise), not LOCKED (409). Appends message.edited
// {"targetSeq","text"} with the target's visibility and rewrites the
// target's body: same fields, new `text`, `editedAt`.
Result<Decision> edit_message(const Conversation& c, const Identity& who, const Event& target,
                              std::string_view text, Millis now);

// deleteMessage: the author, or a manager/admin account (403); a message
// type not already redacted (409); not LOCKED. Appends message.deleted
// {"targetSeq"} and replaces the target's body with {"redacted":true}.
Result<Decision> delete_message(const Conversation& c, const Identity& who, const Event& target,
                                Millis now);

// markRead: an ACTIVE member only (403); moves last_read_seq (or, with
// accept, last_accept_seq) forward to the target; never back (noop). In
// every state; no event, and updated_at is left alone so receipts do not
// reorder conversation lists.
Result<Decision> mark_read(const Conversation& c, const Identity& who, const Event& target,
                           bool accept);

// The audience a reader of this conversation belongs to.
Audience audience(const Conversation& c, const Identity& who);

// Whether `user_id` holds `c` open as its consumer: `c` is OPEN and the
// user its ACTIVE CONSUMER (what --max-open-conversations-per-user counts).
bool holds_open(const Conversation& c, std::string_view user_id);

}  // namespace parley::rules

// The contact-centre rules: close/reopen/lock, routing, notes, CSAT, TTR.
#include "dialog/content.hpp"   // IWYU pragma: export
#include "dialog/routing.hpp"   // IWYU pragma: export
#include "dialog/workflow.hpp"  // IWYU pragma: export
