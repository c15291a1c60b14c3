// The dialog state machine of the contact centre (PROTOCOL §5
// "Contact-centre workflow"): open, close, lock, the automatic lock, the ttl
// deletion and setStatus. Pure functions like the rest of rules.hpp, and
// like routing.hpp and content.hpp, with the same order of checks —
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

#include "limits.hpp"
#include "model.hpp"
#include "params.hpp"
#include "write.hpp"

namespace parley::rules {

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

}  // namespace parley::rules
