// Pure rules of a live subscription's access (docs/architecture.md,
// "Revocation"): whether a subscriber may still read a conversation, and as
// which audience, as the conversation's membership events and the
// subscriber's own re-authentication change things. No I/O: tested by tables.
#pragma once

#include <optional>
#include <string>

#include "model.hpp"

namespace parley::rules {

// Everything may_read and audience look at for one reader: its identity
// (user id, account role) and its own member entry. A live subscription
// keeps one and follows it through the events it delivers.
struct Standing {
  std::string user_id;
  AccountRole account = AccountRole::consumer;
  bool has_entry = false;  // false: never a member
  ParticipantRole role = ParticipantRole::consumer;
  MemberState state = MemberState::left;
};
Standing standing_of(const Conversation& c, const Identity& who);
// The identity a standing was taken for (user id and account role).
Identity identity_of(const Standing& s);

// What a standing allows: exactly may_read and audience (rules.hpp) on a
// conversation whose only member is the reader's entry.
struct Access {
  bool allowed = false;
  Audience audience = Audience::consumers;
  bool operator==(const Access&) const = default;
};
Access access(const Standing& s);

// A change of one user's seat carried by a committed event: member.joined
// (ACTIVE in its role), member.left (LEFT, with its reason: left, removed,
// transferred, stepped-up), member.invited / member.suggested (offered, not
// active). Other events change no seat: nullopt.
struct SeatChange {
  std::string user_id;
  ParticipantRole role = ParticipantRole::consumer;
  MemberState state = MemberState::active;
  std::string reason;  // member.left's; "" otherwise
};
std::optional<SeatChange> seat_change(const Event& e);

// Applies `e` to `s`. When it changed the reader's seat, the access it now
// has and why it changed (`reason`: member.left's reason, else the event's
// type); nullopt when `e` does not concern the reader.
struct Recheck {
  Access access;
  std::string reason;
};
std::optional<Recheck> recheck_after(Standing& s, const Event& e);

// The reader re-authenticated as `who` (same user, maybe another role):
// its new standing's access.
Access recheck_identity(Standing& s, const Identity& who);

}  // namespace parley::rules
