// The rules of the users, drafts and archive methods (rules_users.hpp).
#include "rules_users.hpp"

#include "rules.hpp"

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

Result<Decision> save_draft(const Conversation& c, const Identity& who, const std::string& text,
                            Millis now) {
  auto m = own_member(c, who);
  if (!m) return std::move(m).error();
  Decision d;
  if ((*m)->draft == text) {
    d.noop = true;
    return d;
  }
  if (c.state == ConvState::locked) return conflict("LOCKED", "conversation is LOCKED");
  d.next = c;
  Member* mine = d.next.member(who.user_id);
  mine->draft = text;
  mine->draft_at = text.empty() ? 0 : now;
  return d;
}

Result<Decision> archive(const Conversation& c, const Identity& who, bool archived) {
  auto m = own_member(c, who);
  if (!m) return std::move(m).error();
  Decision d;
  if ((*m)->archived == archived) {
    d.noop = true;
    return d;
  }
  d.next = c;
  d.next.member(who.user_id)->archived = archived;
  return d;
}

}  // namespace parley::rules
