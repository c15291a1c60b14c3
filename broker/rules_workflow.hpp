// The contact-centre rules (PROTOCOL §5 "Contact-centre workflow", the
// routing methods of "Members", the message kinds of "Messages"): pure
// functions like the rest of rules.hpp, with the same order of checks —
// who may act (403/404), idempotent repeats (noop), the conversation's
// state (409), clashes and limits (409/413).
//
// "Agent side writer" below: agent, manager and admin accounts, and ACTIVE
// members in an agent-side seat other than READER (ASSIGNED_AGENT, AGENT,
// MANAGER, BOT). Others get 403 {"required":"agent"}.
//
// THE STATE MACHINE
//   OPEN ──close (MAIN; postSurvey)──► OPEN in POST_SURVEY ──close / final setCsat──► CLOSE
//   OPEN ──close (MAIN; no survey) / setStatus resolved─────────────────────────────► CLOSE
//   CLOSE ──reopen──► OPEN (MAIN open again)
//   CLOSE ──lock / lockAfter elapsed──► LOCKED (final, read only)
// Whenever MAIN or the conversation closes, status becomes "resolved";
// reopening makes it "open".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine.hpp"
#include "limits.hpp"
#include "model.hpp"
#include "params.hpp"

namespace parley::rules {

// ---- OPEN / CLOSE / LOCKED (rules_workflow.cpp) -------------------------------

// closeConversation: agent side writers and the conversation's ACTIVE
// consumer (a consumer that is not: 403 member). Closes the open dialog (see
// above). Already CLOSE or LOCKED: noop. Events: dialog.closed, then
// dialog.opened (POST_SURVEY) or state.changed {OPEN→CLOSE}, then
// status.changed when the status was not "resolved".
Result<Decision> close(const Conversation& c, const Identity& who,
                       const std::optional<std::string>& cause, Millis now);
// reopenConversation: agent side writers. OPEN: noop; CLOSE → OPEN with MAIN
// open again (dialog.opened, state.changed, status.changed → "open");
// LOCKED: 409.
Result<Decision> reopen(const Conversation& c, const Identity& who, Millis now);
// lockConversation: manager and admin accounts (403 manager). LOCKED: noop;
// OPEN: 409; CLOSE → LOCKED (state.changed).
Result<Decision> lock(const Conversation& c, const Identity& who, Millis now);
// The automatic lock, the system's decision: CLOSE for at least
// `lock_after` ms (since its last dialog closed) → LOCKED, state.changed
// with from null; anything else is a noop, so a timer that fires late or
// after a reopen does no harm.
Result<Decision> auto_lock(const Conversation& c, Millis now, Millis lock_after);
// When the automatic lock of `c` is due: closed_at + lock_after while it is
// CLOSE (lock_after > 0); none otherwise.
std::optional<Millis> lock_deadline(const Conversation& c, Millis lock_after);
// When `c` is deleted for its ttl (createConversation `ttl`, seconds):
// created_at + ttl while it has no message; none once it has one, or
// without a ttl.
std::optional<Millis> ttl_deadline(const Conversation& c);
// The ttl deletion, the system's decision: past its ttl_deadline → erased,
// conversation.deleted {} from the system (what deleteConversation's
// subscribers get, with from null); anything else (a message arrived, the
// ttl was removed or moved later) is a noop.
Result<Decision> expire_ttl(const Conversation& c, Millis now);
// setStatus: agent side writers. The same status: noop. LOCKED: 409. In
// CLOSE only "resolved" (a noop) is possible: 409 (reopen first). In OPEN,
// "resolved" closes as closeConversation does; the others emit
// status.changed (agents).
Result<Decision> set_status(const Conversation& c, const Identity& who, std::string_view status,
                            Millis now);

// ---- routing (rules_routing.cpp) ------------------------------------------------

// invite: agent side writers. The user becomes INVITED in `role`
// (member.invited {"userId","role","by"}); it joins in that role. Already
// ACTIVE, or INVITED in that role: noop. LOCKED: 409. CONSUMER: OPEN only,
// and not when another consumer holds the seat (409). 413 over
// limits.members members that have not left.
Result<Decision> invite(const Conversation& c, const Identity& who, const params::Invite& p,
                        Millis now, const Limits& limits);
// removeMember: agent side writers. Not a member: 404; LEFT: noop; LOCKED:
// 409. member.left {"reason":"removed"} (agents-only for a SUGGESTED
// member: its suggestion was never shown to consumers), then queue.returned
// when it was the assigned agent of an OPEN conversation still in MAIN.
Result<Decision> remove_member(const Conversation& c, const Identity& who, std::string_view user_id,
                               Millis now);
// assign: manager/admin accounts assign anyone; an agent account only
// itself (403 manager otherwise), and only from the queue (an assigned
// agent already: 409). Already the ACTIVE ASSIGNED_AGENT: noop. OPEN only.
// The consumer's seat cannot be assigned (409); 413 over limits.members.
// member.joined {role ASSIGNED_AGENT}, then member.left {"transferred"} of
// the agent it replaces.
Result<Decision> assign(const Conversation& c, const Identity& who, std::string_view user_id,
                        Millis now, const Limits& limits);
// transfer: agent side writers, OPEN only. skillId first: the skill
// changes and the assigned agent leaves ("transferred"): transfer.skill
// {"fromSkillId","toSkillId","unassignedUserId"}, member.left. Then agentId:
// that user becomes SUGGESTED for ASSIGNED_AGENT: member.suggested
// {"userId","role","by"}, transfer.agent {"toUserId","fromUserId"}, all
// agents-only but member.left. Nothing to change (same skill and nobody
// assigned; the agent already assigned or suggested): noop. The consumer's
// seat: 409; 413 over limits.members.
Result<Decision> transfer(const Conversation& c, const Identity& who, const params::Transfer& p,
                          Millis now, const Limits& limits);
// setGroup: agent side writers; same group: noop; LOCKED: 409.
// group.changed {"prevGroupId","newGroupId"} (agents).
Result<Decision> set_group(const Conversation& c, const Identity& who,
                           const std::optional<std::string>& group_id, Millis now);
// consumerTakeover: a consumer whose token's `prev` names the seat's
// consumer (403 prev otherwise) takes the seat; admin and bot accounts name
// the new consumer with `new_user` (required: -32602); others 403 admin. A
// consumer may not name anyone but itself (403 admin). The new consumer
// already holds the seat (ACTIVE or LEFT: a LEFT one comes back by join):
// noop. LOCKED: 409. No consumer to take over, or
// the new one ACTIVE in another seat: 409. Events: consumer.steppedUp
// {"oldUserId","newUserId"}, member.left {"stepped-up"} (when the old one
// was ACTIVE), member.joined of the new consumer.
Result<Decision> consumer_takeover(const Conversation& c, const Identity& who,
                                   const std::optional<std::string>& new_user, Millis now,
                                   const Limits& limits);

// ---- content, notes, CSAT, TTR (rules_content.cpp) --------------------------------

// The hot path's appends. Like send_message: the sender must be ACTIVE in
// an allowed seat and the conversation OPEN (checked by the engine).
// sendPrivateMessage: message.private {"text","metadata"?,"mentions"?},
// agents-only, from ASSIGNED_AGENT, AGENT, MANAGER or BOT seats.
AppendRequest send_private_message(const Identity& who, const params::SendMessage& p);
// sendRichContent: message.rich {"content","metadata"?,"quickReplies"?}.
AppendRequest send_rich_content(const Identity& who, const params::SendRichContent& p);
// sendFile: message.file {"url","name","mimeType"?,"size"?,"caption"?}.
AppendRequest send_file(const Identity& who, const params::SendFile& p);
// sendEvent: custom {"name","data"}; with visibility "agents" only the
// agent-side seats may send it. Not a message: no read horizon moves.
AppendRequest send_event(const Identity& who, const params::SendEvent& p);

// A note's text as stored: at most `max_chars` code points.
struct NoteText {
  std::string text;
  bool truncated = false;
};
NoteText clip_note(std::string_view text, size_t max_chars);

// setNote: agent side writers; not LOCKED (409). Over limits.note_chars:
// truncated, or 413 {"field":"text"} with truncate false. More than
// limits.notes_bytes of note text in the conversation: 409 "no room left to
// add agent note". note.added {"noteId","agentId","name","text",
// "isAutoSummary","truncated"} (agents).
Result<Decision> set_note(const Conversation& c, const Identity& who, const params::SetNote& p,
                          std::string note_id, Millis now, const Limits& limits);
// listNotes: agent-side accounts and agent-side members, READER included
// (403 agent).
Status may_read_notes(const Conversation& c, const Identity& who);
// setCsat: the conversation's ACTIVE consumer (403 consumer). The same
// answer: noop. LOCKED: 409; OPEN outside the post-survey: 409. csat.set
// {"csatRate","csatResolutionConfirmation","csatStatus"}; in the
// post-survey a FILLED or SKIPPED answer ends it (close as above).
Result<Decision> set_csat(const Conversation& c, const Identity& who, const params::SetCsat& p,
                          Millis now);
// setTtr: agent side writers, and the ACTIVE consumer for NORMAL and URGENT
// (403 agent for the others). The same type and value: noop. OPEN only.
// ttr.changed {"ttrType","ttrValue","ttrEffective"} (all; ttrEffective is
// the type's deadline, without the agent side's manual ETTR).
Result<Decision> set_ttr(const Conversation& c, const Identity& who, const params::SetTtr& p,
                         Millis now, const TtrSeconds& ttr);
// setManualEttr: agent side writers; null clears. The same: noop. OPEN only.
// ettr.changed {"ttrEffectiveManual","ttrEffective"} (agents).
Result<Decision> set_manual_ettr(const Conversation& c, const Identity& who,
                                 std::optional<Millis> time, Millis now, const TtrSeconds& ttr);

}  // namespace parley::rules
