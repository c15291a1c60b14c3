// The rules of the users, drafts and archive methods (rules_users.hpp).
#include "dialog/users.hpp"

#include "dialog/rules.hpp"

namespace parley::rules {

Status may_upsert_user(const Identity& who, const std::string& user_id) {
  if (user_id == who.user_id || who.role == AccountRole::admin) return Ok{};
  return forbidden("admin", "only admins may change another user");
}

Status may_list_users(const Identity& who) {
  if (is_agent_side(who.role)) return Ok{};
  return forbidden("agent", "listing users is for the agent side");
}

Status may_list_user_conversations(const Identity& who, const std::string& user_id) {
  if (user_id == who.user_id || is_agent_side(who.role)) return Ok{};
  return forbidden("agent", "only the agent side may list another user's conversations");
}

Status may_list_invitable(const Conversation& c, const Identity& who) {
  if (!is_agent_side(who.role)) return forbidden("agent", "inviting is for the agent side");
  return may_read(c, who);
}

Result<const Member*> own_member(const Conversation& c, const Identity& who) {
  const Member* m = c.member(who.user_id);
  if (!m) return forbidden("member", "not a member of the conversation");
  return m;
}

namespace {

// A decision that changes only the caller's own Member entry (saveDraft,
// archiveConversation): 403 for a non-member; a noop when `same` holds for
// its entry; with `locked_refused`, 409 when LOCKED; else `change` applied to
// its entry in a copy of the conversation.
template <class Same, class Change>
Result<Decision> change_own_member(const Conversation& c, const Identity& who, bool locked_refused,
                                   Same same, Change change) {
  auto m = own_member(c, who);
  if (!m) return std::move(m).error();
  Decision d;
  if (same(**m)) {
    d.noop = true;
    return d;
  }
  if (locked_refused && c.state == ConvState::locked)
    return conflict("LOCKED", "conversation is LOCKED");
  d.next = c;
  change(*d.next.member(who.user_id));
  return d;
}

}  // namespace

Result<Decision> save_draft(const Conversation& c, const Identity& who, const std::string& text,
                            Millis now) {
  return change_own_member(
      c, who, /*locked_refused=*/true, [&](const Member& m) { return m.draft == text; },
      [&](Member& m) {
        m.draft = text;
        m.draft_at = text.empty() ? 0 : now;
      });
}

Result<Decision> archive(const Conversation& c, const Identity& who, bool archived) {
  return change_own_member(
      c, who, /*locked_refused=*/false, [&](const Member& m) { return m.archived == archived; },
      [&](Member& m) { m.archived = archived; });
}

}  // namespace parley::rules
