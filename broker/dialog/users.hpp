// The rules of the users, drafts and archive methods (PROTOCOL §5): who may
// do what, and the member-only decisions of saveDraft and
// archiveConversation. Pure, like rules.hpp: no I/O, `now` comes in.
#pragma once

#include <string>

#include "model.hpp"
#include "write.hpp"

namespace parley::rules {

// upsertUser: yourself; admins anyone (403 {"required":"admin"}).
Status may_upsert_user(const Identity& who, const std::string& user_id);
// listUsers: the agent side by account role (403 {"required":"agent"}).
Status may_list_users(const Identity& who);
// listUserConversations: yourself; the agent side anyone (403 {"required":"agent"}).
Status may_list_user_conversations(const Identity& who, const std::string& user_id);
// getInvitableUsers: agent-side accounts that may read the conversation
// (403 {"required":"agent"}, then may_read's 403).
Status may_list_invitable(const Conversation& c, const Identity& who);

// The caller's Member entry for its own state: any member entry, LEFT and
// INVITED ones included; a caller that never was a member: 403
// {"required":"member"}.
Result<const Member*> own_member(const Conversation& c, const Identity& who);

// saveDraft: the caller's draft becomes `text` ("" clears it) at `now`.
// 403 for a non-member; the same text again is a noop; 409 when LOCKED
// (read only). Appends no event.
Result<Decision> save_draft(const Conversation& c, const Identity& who, const std::string& text,
                            Millis now);
// archiveConversation: the caller's archived flag, in every state. 403 for
// a non-member; the same value again is a noop. Appends no event.
Result<Decision> archive(const Conversation& c, const Identity& who, bool archived);

}  // namespace parley::rules
