// The routing rules of the contact centre (PROTOCOL §5 "Members"): who is
// invited, removed, assigned or transferred, and who holds the consumer's
// seat. Pure functions with the order of checks of workflow.hpp ("agent
// side writer" is defined there).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "limits.hpp"
#include "model.hpp"
#include "params.hpp"
#include "write.hpp"

namespace parley::rules {

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

}  // namespace parley::rules
