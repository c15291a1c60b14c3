// invite, removeMember, assign, transfer (and the join that accepts it),
// setGroup, consumerTakeover: the exact records, events and errors.
#include "rules_fixtures.hpp"

namespace parley::rules_test {
namespace {

using AR = AccountRole;
using PR = ParticipantRole;

// OPEN; consumer c0, assigned agent g0, agent a0, manager m0.
Conversation routing_fixture() {
  return conv(ConvState::open, {member("c0", PR::consumer), member("g0", PR::assigned_agent),
                                member("a0", PR::agent), member("m0", PR::manager)});
}

// Without an assigned agent: in the queue.
Conversation queued_fixture() {
  return conv(ConvState::open, {member("c0", PR::consumer), member("a0", PR::agent)});
}

TEST_CASE("invite: INVITED in the role given, then join takes that role") {
  auto r = rules::invite(routing_fixture(), ident("a0", AR::agent), {"conv-1", "r9", PR::reader},
                         kNow, Limits{});
  REQUIRE(r);
  const Member* m = r->next.member("r9");
  REQUIRE(m);
  CHECK(m->state == MemberState::invited);
  CHECK(m->role == PR::reader);
  CHECK(m->joined_at == 0);
  CHECK(r->next.active_members() == 4);
  CHECK(lines(r->events) ==
        expect_lines(
            {R"(member.invited a0/AGENT all MAIN {"userId":"r9","role":"READER","by":"a0"})"}));
  // Inviting again in the same role is a repeat; an active member too.
  CHECK(outcome(rules::invite(r->next, ident("a0", AR::agent), {"conv-1", "r9", PR::reader}, kNow,
                              Limits{})) == "noop");
  CHECK(outcome(rules::invite(r->next, ident("a0", AR::agent), {"conv-1", "g0", PR::agent}, kNow,
                              Limits{})) == "noop");

  auto joined = rules::join(r->next, ident("r9", AR::agent), std::nullopt, kNow + 1, Limits{});
  REQUIRE(joined);
  CHECK(joined->next.active_member("r9")->role == PR::reader);
  CHECK(lines(joined->events) ==
        expect_lines({R"(member.joined r9/READER all MAIN {"userId":"r9","role":"READER",)"
                      R"("previouslySuggested":false})"}));
}

TEST_CASE("invite: the consumer seat and the member limit") {
  // Another consumer holds the seat.
  CHECK(outcome(rules::invite(routing_fixture(), ident("a0", AR::agent),
                              {"conv-1", "c9", PR::consumer}, kNow, Limits{})) == "409 OPEN");
  // No consumer yet: inviting one is how an agent-started chat finds it.
  CHECK(outcome(rules::invite(conv(ConvState::open, {member("a0", PR::agent)}),
                              ident("a0", AR::agent), {"conv-1", "c9", PR::consumer}, kNow,
                              Limits{})) == "ok");
  Limits small;
  small.members = 4;  // four present already
  auto r = rules::invite(routing_fixture(), ident("a0", AR::agent), {"conv-1", "r9", PR::reader},
                         kNow, small);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == 413);
  CHECK(r.error().data == R"({"field":"members","limit":4})");
}

TEST_CASE("removeMember: LEFT with reason removed; the assigned agent returns it to the queue") {
  auto r = rules::remove_member(routing_fixture(), ident("m0", AR::manager), "g0", kNow);
  REQUIRE(r);
  CHECK(r->next.member("g0")->state == MemberState::left);
  CHECK(r->next.member("g0")->left_at == kNow);
  CHECK(r->next.assigned_agent() == nullptr);
  CHECK(
      lines(r->events) ==
      expect_lines({
          R"(member.left m0/MANAGER all MAIN {"userId":"g0","role":"ASSIGNED_AGENT","reason":"removed"})",
          R"(queue.returned m0/MANAGER agents MAIN {"unassignedUserId":"g0"})",
      }));
  CHECK(outcome(rules::remove_member(r->next, ident("m0", AR::manager), "g0", kNow)) == "noop");
  CHECK(outcome(rules::remove_member(r->next, ident("m0", AR::manager), "zz", kNow)) == "404");
}

TEST_CASE("removeMember: a withdrawn suggestion is the agent side's business") {
  auto t = rules::transfer(routing_fixture(), ident("g0", AR::agent), {"conv-1", "a9", {}}, kNow,
                           Limits{});
  REQUIRE(t);
  auto r = rules::remove_member(t->next, ident("g0", AR::agent), "a9", kNow);
  REQUIRE(r);
  CHECK(lines(r->events) ==
        expect_lines({R"(member.left g0/ASSIGNED_AGENT agents MAIN {"userId":"a9",)"
                      R"("role":"ASSIGNED_AGENT","reason":"removed"})"}));
}

TEST_CASE("assign: an agent takes a conversation from the queue") {
  auto r = rules::assign(queued_fixture(), ident("a1", AR::agent, "Ann"), "a1", kNow, Limits{});
  REQUIRE(r);
  const Member* m = r->next.assigned_agent();
  REQUIRE(m);
  CHECK(m->user_id == "a1");
  CHECK(m->name == "Ann");
  CHECK(m->joined_at == kNow);
  CHECK(lines(r->events) ==
        expect_lines({R"(member.joined a1/AGENT all MAIN {"userId":"a1","role":"ASSIGNED_AGENT",)"
                      R"("previouslySuggested":false})"}));
  // Taken: another agent may not take it, the same one repeats.
  CHECK(outcome(rules::assign(r->next, ident("a2", AR::agent), "a2", kNow, Limits{})) ==
        "409 OPEN");
  CHECK(outcome(rules::assign(r->next, ident("a1", AR::agent), "a1", kNow, Limits{})) == "noop");
  // An active member keeps its join time when promoted.
  auto a0 = rules::assign(queued_fixture(), ident("a0", AR::agent), "a0", kNow, Limits{});
  REQUIRE(a0);
  CHECK(a0->next.member("a0")->joined_at == kCreated);
}

TEST_CASE("assign: a manager reassigns; the previous agent leaves as transferred") {
  auto r = rules::assign(routing_fixture(), ident("m0", AR::manager), "a0", kNow, Limits{});
  REQUIRE(r);
  CHECK(r->next.assigned_agent()->user_id == "a0");
  CHECK(r->next.member("g0")->state == MemberState::left);
  CHECK(
      lines(r->events) ==
      expect_lines({
          R"(member.joined m0/MANAGER all MAIN {"userId":"a0","role":"ASSIGNED_AGENT","previouslySuggested":false})",
          R"(member.left m0/MANAGER all MAIN {"userId":"g0","role":"ASSIGNED_AGENT","reason":"transferred"})",
      }));
  CHECK(outcome(rules::assign(routing_fixture(), ident("m0", AR::manager), "c0", kNow, Limits{})) ==
        "409 OPEN");
}

TEST_CASE("transfer to an agent: SUGGESTED, and joining accepts it") {
  const Conversation c = routing_fixture();
  auto t =
      rules::transfer(c, ident("g0", AR::agent), {"conv-1", "a9", std::nullopt}, kNow, Limits{});
  REQUIRE(t);
  const Member* s = t->next.member("a9");
  REQUIRE(s);
  CHECK(s->state == MemberState::suggested);
  CHECK(s->role == PR::assigned_agent);
  CHECK(t->next.assigned_agent()->user_id == "g0");  // until a9 accepts
  CHECK(
      lines(t->events) ==
      expect_lines({
          R"(member.suggested g0/ASSIGNED_AGENT agents MAIN {"userId":"a9","role":"ASSIGNED_AGENT","by":"g0"})",
          R"(transfer.agent g0/ASSIGNED_AGENT agents MAIN {"toUserId":"a9","fromUserId":"g0"})",
      }));
  // Suggested already: a repeat.
  CHECK(outcome(rules::transfer(t->next, ident("g0", AR::agent), {"conv-1", "a9", std::nullopt},
                                kNow, Limits{})) == "noop");

  auto j = rules::join(t->next, ident("a9", AR::agent, "Nine"), std::nullopt, kNow + 1, Limits{});
  REQUIRE(j);
  CHECK(j->next.assigned_agent()->user_id == "a9");
  CHECK(j->next.member("a9")->name == "Nine");
  CHECK(j->next.member("g0")->state == MemberState::left);
  CHECK(
      lines(j->events) ==
      expect_lines({
          R"(member.joined a9/ASSIGNED_AGENT all MAIN {"userId":"a9","role":"ASSIGNED_AGENT","previouslySuggested":true})",
          R"(member.left a9/ASSIGNED_AGENT all MAIN {"userId":"g0","role":"ASSIGNED_AGENT","reason":"transferred"})",
      }));
  // Joining in another seat declines the transfer: the assigned agent stays.
  auto reader = rules::join(t->next, ident("a9", AR::agent), PR::reader, kNow + 1, Limits{});
  REQUIRE(reader);
  CHECK(reader->next.assigned_agent()->user_id == "g0");
  CHECK(reader->events.size() == 1);
  // Without a second seat to hand over, a second assigned agent is still refused.
  CHECK(outcome(rules::join(c, ident("a8", AR::agent), PR::assigned_agent, kNow, Limits{})) ==
        "409 OPEN");
}

TEST_CASE("transfer to a skill: the skill changes and the assigned agent is unassigned") {
  Conversation c = routing_fixture();
  c.skill_id = "billing";
  auto t =
      rules::transfer(c, ident("g0", AR::agent), {"conv-1", std::nullopt, "sales"}, kNow, Limits{});
  REQUIRE(t);
  CHECK(t->next.skill_id == "sales");
  CHECK(t->next.assigned_agent() == nullptr);
  CHECK(
      lines(t->events) ==
      expect_lines({
          R"(transfer.skill g0/ASSIGNED_AGENT agents MAIN {"fromSkillId":"billing","toSkillId":"sales","unassignedUserId":"g0"})",
          R"(member.left g0/ASSIGNED_AGENT all MAIN {"userId":"g0","role":"ASSIGNED_AGENT","reason":"transferred"})",
      }));
  // From the queue, by a bot: no one to unassign.
  Conversation q = queued_fixture();
  q.members.push_back(member("b0", PR::bot));
  auto b =
      rules::transfer(q, ident("b0", AR::bot), {"conv-1", std::nullopt, "sales"}, kNow, Limits{});
  REQUIRE(b);
  CHECK(
      lines(b->events) ==
      expect_lines({R"(transfer.skill b0/BOT agents MAIN {"fromSkillId":null,"toSkillId":"sales",)"
                    R"("unassignedUserId":null})"}));
  // The same skill with nobody assigned: nothing to do.
  CHECK(outcome(rules::transfer(b->next, ident("b0", AR::bot), {"conv-1", std::nullopt, "sales"},
                                kNow, Limits{})) == "noop");
  // To the consumer: refused.
  CHECK(outcome(rules::transfer(c, ident("g0", AR::agent), {"conv-1", "c0", std::nullopt}, kNow,
                                Limits{})) == "409 OPEN");
}

TEST_CASE("setGroup: group.changed for the agent side; null clears") {
  auto r = rules::set_group(routing_fixture(), ident("a0", AR::agent), "vip", kNow);
  REQUIRE(r);
  CHECK(r->next.group_id == "vip");
  CHECK(lines(r->events) ==
        expect_lines(
            {R"(group.changed a0/AGENT agents MAIN {"prevGroupId":null,"newGroupId":"vip"})"}));
  auto cleared = rules::set_group(r->next, ident("a0", AR::agent), std::nullopt, kNow);
  REQUIRE(cleared);
  CHECK_FALSE(cleared->next.group_id);
  CHECK(outcome(rules::set_group(r->next, ident("a0", AR::agent), "vip", kNow)) == "noop");
}

TEST_CASE("consumerTakeover: the logged-in consumer steps up from the anonymous one") {
  Identity known = ident("k1", AR::consumer, "Kim");
  known.prev = "c0";
  auto r = rules::consumer_takeover(routing_fixture(), known, std::nullopt, kNow, Limits{});
  REQUIRE(r);
  CHECK(r->next.consumer()->user_id == "k1");
  CHECK(r->next.consumer()->name == "Kim");
  CHECK(r->next.member("c0")->state == MemberState::left);
  CHECK(r->next.former_consumers == std::vector<std::string>{"c0"});
  CHECK(
      lines(r->events) ==
      expect_lines({
          R"(consumer.steppedUp k1/CONSUMER all MAIN {"oldUserId":"c0","newUserId":"k1"})",
          R"(member.left k1/CONSUMER all MAIN {"userId":"c0","role":"CONSUMER","reason":"stepped-up"})",
          R"(member.joined k1/CONSUMER all MAIN {"userId":"k1","role":"CONSUMER","previouslySuggested":false})",
      }));
  // The new consumer may come and go as its own; the old one may not return.
  CHECK(outcome(rules::consumer_takeover(r->next, known, std::nullopt, kNow, Limits{})) == "noop");
  CHECK(outcome(rules::join(r->next, ident("c0", AR::consumer), std::nullopt, kNow, Limits{})) ==
        "409 OPEN");
  auto left = rules::leave(r->next, ident("k1", AR::consumer), kNow);
  REQUIRE(left);
  CHECK(outcome(rules::join(left->next, ident("k1", AR::consumer), std::nullopt, kNow, Limits{})) ==
        "ok");
}

TEST_CASE("consumerTakeover: who may, and whom") {
  const Conversation c = routing_fixture();
  Identity stranger = ident("k1", AR::consumer);
  CHECK(outcome(rules::consumer_takeover(c, stranger, std::nullopt, kNow, Limits{})) == "403 prev");
  stranger.prev = "zz";
  CHECK(outcome(rules::consumer_takeover(c, stranger, std::nullopt, kNow, Limits{})) == "403 prev");
  Identity known = ident("k1", AR::consumer);
  known.prev = "c0";
  CHECK(outcome(rules::consumer_takeover(c, known, std::string("k2"), kNow, Limits{})) ==
        "403 admin");
  CHECK(outcome(rules::consumer_takeover(c, ident("a0", AR::agent), std::string("k2"), kNow,
                                         Limits{})) == "403 admin");
  auto admin = rules::consumer_takeover(c, ident("x", AR::admin), std::nullopt, kNow, Limits{});
  REQUIRE_FALSE(admin);
  CHECK(admin.error().code == code::invalid_params);
  CHECK(admin.error().data == R"({"field":"newConsumerUserId","reason":"required"})");
  auto named =
      rules::consumer_takeover(c, ident("x", AR::admin), std::string("k2"), kNow, Limits{});
  REQUIRE(named);
  CHECK(named->next.consumer()->user_id == "k2");
  CHECK(named->events[0].from_user == "x");
  // A bot acts as a member: an ACTIVE BOT seat names the new consumer; a
  // bot account outside the conversation is refused.
  CHECK(outcome(rules::consumer_takeover(c, ident("b9", AR::bot), std::string("k2"), kNow,
                                         Limits{})) == "403 member");
  Conversation with_bot = c;
  with_bot.members.push_back(member("b1", PR::bot));
  auto by_bot =
      rules::consumer_takeover(with_bot, ident("b1", AR::bot), std::string("k2"), kNow, Limits{});
  REQUIRE(by_bot);
  CHECK(by_bot->next.consumer()->user_id == "k2");
  // Nobody to take over; the new one seated elsewhere.
  CHECK(outcome(rules::consumer_takeover(conv(ConvState::open, {member("a0", PR::agent)}),
                                         ident("x", AR::admin), std::string("k2"), kNow,
                                         Limits{})) == "409 OPEN");
  CHECK(outcome(rules::consumer_takeover(c, ident("x", AR::admin), std::string("a0"), kNow,
                                         Limits{})) == "409 OPEN");
}

}  // namespace
}  // namespace parley::rules_test
