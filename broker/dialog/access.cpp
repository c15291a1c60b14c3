#include "dialog/access.hpp"

#include "dialog/rules.hpp"

namespace parley::rules {

Standing standing_of(const Conversation& c, const Identity& who) {
  Standing s;
  s.user_id = who.user_id;
  s.account = who.role;
  if (const Member* m = c.member(who.user_id)) {
    s.has_entry = true;
    s.role = m->role;
    s.state = m->state;
  }
  return s;
}

Identity identity_of(const Standing& s) {
  Identity who;
  who.user_id = s.user_id;
  who.role = s.account;
  return who;
}

Access access(const Standing& s) {
  // The very rules subscribe uses, on the only part of the record they read.
  Conversation c;
  if (s.has_entry) {
    Member m;
    m.user_id = s.user_id;
    m.role = s.role;
    m.state = s.state;
    c.members.push_back(std::move(m));
  }
  const Identity who = identity_of(s);
  return Access{may_read(c, who).ok(), audience(c, who)};
}

std::optional<SeatChange> seat_change(const Event& e) {
  const std::string_view type = e.type;
  SeatChange ch;
  if (type == "member.joined")
    ch.state = MemberState::active;
  else if (type == "member.left")
    ch.state = MemberState::left;
  else if (type == "member.invited")
    ch.state = MemberState::invited;
  else if (type == "member.suggested")
    ch.state = MemberState::suggested;
  else
    return std::nullopt;
  ch.user_id = body_string(e.body, {"userId"});
  if (ch.user_id.empty()) return std::nullopt;
  if (auto r = participant_role_from(body_string(e.body, {"role"}))) ch.role = *r;
  if (ch.state == MemberState::left) ch.reason = body_string(e.body, {"reason"});
  return ch;
}

std::optional<Recheck> recheck_after(Standing& s, const Event& e) {
  auto ch = seat_change(e);
  if (!ch || ch->user_id != s.user_id) return std::nullopt;
  // An offer to someone active changes nothing it holds (the rules do not
  // make one, but the log is the truth).
  const bool offer = ch->state == MemberState::invited || ch->state == MemberState::suggested;
  if (!(offer && s.has_entry && s.state == MemberState::active)) {
    s.has_entry = true;
    s.role = ch->role;
    s.state = ch->state;
  }
  Recheck r;
  r.access = access(s);
  r.reason = ch->reason.empty() ? std::string(e.type) : ch->reason;
  return r;
}

Access recheck_identity(Standing& s, const Identity& who) {
  s.account = who.role;
  return access(s);
}

}  // namespace parley::rules
