// Tables for a live subscription's access (rules_access.hpp): the seat
// changes events carry, the verdict after each, a re-authentication; and
// that following the events of real decisions lands where may_read and
// audience on the decision's record do.
#include "dialog/access.hpp"

#include <doctest/doctest.h>

#include "dialog/rules.hpp"
#include "rules_fixtures.hpp"

using namespace parley;
using namespace parley::rules_test;

namespace {

rules::Standing standing(std::string user, AccountRole account, std::optional<ParticipantRole> seat,
                         MemberState state = MemberState::active) {
  rules::Standing s;
  s.user_id = std::move(user);
  s.account = account;
  if (seat) {
    s.has_entry = true;
    s.role = *seat;
    s.state = state;
  }
  return s;
}

std::string verdict(const std::optional<rules::Recheck>& r) {
  if (!r) return "unchanged";
  if (!r->access.allowed) return "ended " + r->reason;
  return r->access.audience == Audience::agents ? "agents" : "consumers";
}

Event from_draft(const EventDraft& d, uint64_t seq) {
  Event e;
  static_cast<EventDraft&>(e) = d;
  e.seq = seq;
  return e;
}

}  // namespace

TEST_CASE("recheck_after: which events end, keep or change a subscription") {
  using P = ParticipantRole;
  using A = AccountRole;
  struct Row {
    const char* what;
    rules::Standing s;
    const char* type;
    const char* body;
    const char* expected;
  };
  const Row rows[] = {
      {"consumer removed", standing("c1", A::consumer, P::consumer), "member.left",
       R"({"userId":"c1","role":"CONSUMER","reason":"removed"})", "ended removed"},
      {"consumer left", standing("c1", A::consumer, P::consumer), "member.left",
       R"({"userId":"c1","role":"CONSUMER","reason":"left"})", "ended left"},
      {"consumer stepped up", standing("c1", A::consumer, P::consumer), "member.left",
       R"({"userId":"c1","role":"CONSUMER","reason":"stepped-up"})", "ended stepped-up"},
      {"someone else removed", standing("c1", A::consumer, P::consumer), "member.left",
       R"({"userId":"c2","role":"CONSUMER","reason":"removed"})", "unchanged"},
      {"agent account removed keeps reading", standing("a1", A::agent, P::agent), "member.left",
       R"({"userId":"a1","role":"AGENT","reason":"removed"})", "agents"},
      {"bot removed", standing("b1", A::bot, P::bot), "member.left",
       R"({"userId":"b1","role":"BOT","reason":"removed"})", "ended removed"},
      {"agent transferred away keeps reading", standing("a1", A::manager, P::assigned_agent),
       "member.left", R"({"userId":"a1","role":"ASSIGNED_AGENT","reason":"transferred"})",
       "agents"},
      {"consumer joins", standing("c1", A::consumer, std::nullopt), "member.joined",
       R"({"userId":"c1","role":"CONSUMER","previouslySuggested":false})", "consumers"},
      {"invited, not yet in", standing("c1", A::consumer, P::consumer, MemberState::left),
       "member.invited", R"({"userId":"c1","role":"CONSUMER","by":"a1"})", "ended member.invited"},
      {"an offer to an active member changes nothing", standing("c1", A::consumer, P::consumer),
       "member.invited", R"({"userId":"c1","role":"CONSUMER","by":"a1"})", "consumers"},
      {"a message", standing("c1", A::consumer, P::consumer), "message", R"({"text":"c1"})",
       "unchanged"},
      {"a member event without a user", standing("c1", A::consumer, P::consumer), "member.left",
       R"({"role":"CONSUMER"})", "unchanged"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    rules::Standing s = r.s;
    CHECK(verdict(rules::recheck_after(s, event(9, "x", r.type, r.body))) ==
          std::string(r.expected));
  }
}

TEST_CASE("recheck_identity: a token refresh with another role") {
  using P = ParticipantRole;
  using A = AccountRole;
  struct Row {
    const char* what;
    rules::Standing s;
    AccountRole now;
    bool allowed;
    Audience audience;
  };
  const Row rows[] = {
      {"agent reader becomes a consumer", standing("u", A::agent, std::nullopt), A::consumer, false,
       Audience::consumers},
      {"agent in the consumer seat becomes a consumer", standing("u", A::agent, P::consumer),
       A::consumer, true, Audience::consumers},
      {"agent seated as AGENT becomes a consumer", standing("u", A::agent, P::agent), A::consumer,
       true, Audience::agents},
      {"agent becomes a manager", standing("u", A::agent, std::nullopt), A::manager, true,
       Audience::agents},
      {"consumer becomes an agent", standing("u", A::consumer, P::consumer), A::agent, true,
       Audience::agents},
      {"bot not a member becomes a consumer", standing("u", A::bot, std::nullopt), A::consumer,
       false, Audience::consumers},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    rules::Standing s = r.s;
    auto a = rules::recheck_identity(s, ident("u", r.now));
    CHECK(a.allowed == r.allowed);
    CHECK(a.audience == r.audience);
  }
}

TEST_CASE("following a decision's events gives what may_read and audience say of its record") {
  const Conversation c = conv(ConvState::open, {member("c1", ParticipantRole::consumer),
                                                member("a1", ParticipantRole::assigned_agent)});
  const Identity consumer = ident("c1", AccountRole::consumer);
  const Identity agent = ident("a1", AccountRole::agent);
  const Identity next_consumer = [] {
    Identity i = ident("c2", AccountRole::consumer);
    i.prev = "c1";
    return i;
  }();
  const Limits limits;
  struct Row {
    const char* what;
    Result<Decision> d;
  };
  Row rows[] = {
      {"removeMember", rules::remove_member(c, agent, "c1", kNow)},
      {"leave", rules::leave(c, consumer, kNow)},
      {"consumerTakeover", rules::consumer_takeover(c, next_consumer, std::nullopt, kNow, limits)},
      {"agent leaves", rules::leave(c, agent, kNow)},
  };
  for (auto& r : rows) {
    CAPTURE(r.what);
    REQUIRE(r.d.ok());
    for (const Identity& who : {consumer, agent, next_consumer}) {
      CAPTURE(who.user_id);
      rules::Standing s = rules::standing_of(c, who);
      rules::Access now = rules::access(s);
      uint64_t seq = c.last_seq;
      for (const auto& draft : r.d->events)
        if (auto v = rules::recheck_after(s, from_draft(draft, ++seq))) now = v->access;
      CHECK(now.allowed == rules::may_read(r.d->next, who).ok());
      CHECK(now.audience == rules::audience(r.d->next, who));
    }
  }
}

TEST_CASE("holds_open: what the open-conversation quota counts") {
  using P = ParticipantRole;
  struct Row {
    const char* what;
    Conversation c;
    bool held;
  };
  const Row rows[] = {
      {"OPEN, the active consumer", conv(ConvState::open, {member("c1", P::consumer)}), true},
      {"CLOSE", conv(ConvState::close, {member("c1", P::consumer)}), false},
      {"LOCKED", conv(ConvState::locked, {member("c1", P::consumer)}), false},
      {"left it", conv(ConvState::open, {member("c1", P::consumer, MemberState::left)}), false},
      {"another seat", conv(ConvState::open, {member("c1", P::agent)}), false},
      {"someone else's", conv(ConvState::open, {member("c2", P::consumer)}), false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    CHECK(rules::holds_open(r.c, "c1") == r.held);
  }
}
