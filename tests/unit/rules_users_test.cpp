// The rules of the users, drafts and archive methods (rules_users.hpp), as
// tables of caller x situation -> outcome.
#include <doctest/doctest.h>

#include "rules_fixtures.hpp"
#include "dialog/users.hpp"

using namespace parley;
using namespace parley::rules_test;

namespace {

Conversation with_members(ConvState state) {
  return conv(state, {member("c1", ParticipantRole::consumer),
                      member("a1", ParticipantRole::assigned_agent),
                      member("gone", ParticipantRole::agent, MemberState::left),
                      member("inv", ParticipantRole::agent, MemberState::invited)});
}

}  // namespace

TEST_CASE("users rules: who may upsert, list and list a user's conversations") {
  struct Row {
    AccountRole role;
    const char* upsert_self;
    const char* upsert_other;
    const char* list;
    const char* list_other_convs;
  };
  const Row rows[] = {
      {AccountRole::consumer, "ok", "403 admin", "403 agent", "403 agent"},
      {AccountRole::bot, "ok", "403 admin", "403 agent", "403 agent"},
      {AccountRole::agent, "ok", "403 admin", "ok", "ok"},
      {AccountRole::manager, "ok", "403 admin", "ok", "ok"},
      {AccountRole::admin, "ok", "ok", "ok", "ok"},
  };
  for (const Row& r : rows) {
    CAPTURE(to_string(r.role));
    Identity who = ident("me", r.role);
    CHECK(outcome(rules::may_upsert_user(who, "me")) == r.upsert_self);
    CHECK(outcome(rules::may_upsert_user(who, "other")) == r.upsert_other);
    CHECK(outcome(rules::may_list_users(who)) == r.list);
    CHECK(outcome(rules::may_list_user_conversations(who, "me")) == "ok");
    CHECK(outcome(rules::may_list_user_conversations(who, "other")) == r.list_other_convs);
  }
}

TEST_CASE("users rules: getInvitableUsers needs the agent side and read access") {
  const Conversation c = with_members(ConvState::open);
  CHECK(outcome(rules::may_list_invitable(c, ident("c1", AccountRole::consumer))) == "403 agent");
  CHECK(outcome(rules::may_list_invitable(c, ident("x", AccountRole::agent))) == "ok");
  CHECK(outcome(rules::may_list_invitable(c, ident("x", AccountRole::bot))) == "403 agent");
  CHECK(outcome(rules::may_list_invitable(c, ident("x", AccountRole::admin))) == "ok");
}

TEST_CASE("users rules: drafts") {
  struct Row {
    const char* user;
    ConvState state;
    const char* text;
    const char* expect;
  };
  const Row rows[] = {
      {"c1", ConvState::open, "hi", "ok"},      {"c1", ConvState::close, "hi", "ok"},
      {"c1", ConvState::locked, "hi", "409 LOCKED"}, {"a1", ConvState::open, "", "noop"},
      {"gone", ConvState::open, "hi", "ok"},    {"inv", ConvState::open, "hi", "ok"},
      {"stranger", ConvState::open, "hi", "403 member"},
      {"stranger", ConvState::locked, "hi", "403 member"},
  };
  for (const Row& r : rows) {
    CAPTURE(r.user);
    CAPTURE(to_string(r.state));
    const Conversation c = with_members(r.state);
    auto d = rules::save_draft(c, ident(r.user, AccountRole::agent), r.text, kNow);
    CHECK(outcome(d) == r.expect);
    if (d && !d->noop) {
      CHECK(d->events.empty());
      const Member* m = d->next.member(r.user);
      REQUIRE(m != nullptr);
      CHECK(m->draft == r.text);
      CHECK(m->draft_at == kNow);
      // Nothing else moves: only the caller's entry changes.
      Conversation expected = c;
      expected.member(r.user)->draft = r.text;
      expected.member(r.user)->draft_at = kNow;
      CHECK(dump(d->next) == dump(expected));
    }
  }
  // Clearing resets the time; the same text again is a noop.
  Conversation c = with_members(ConvState::open);
  c.member("c1")->draft = "old";
  c.member("c1")->draft_at = kNow - 5;
  auto cleared = rules::save_draft(c, ident("c1", AccountRole::consumer), "", kNow);
  REQUIRE(cleared.ok());
  CHECK(cleared->next.member("c1")->draft.empty());
  CHECK(cleared->next.member("c1")->draft_at == 0);
  CHECK(outcome(rules::save_draft(c, ident("c1", AccountRole::consumer), "old", kNow)) == "noop");
  // A LOCKED conversation keeps its drafts: reading is not refused, the
  // idempotent repeat is still a noop.
  c.state = ConvState::locked;
  CHECK(outcome(rules::save_draft(c, ident("c1", AccountRole::consumer), "old", kNow)) == "noop");
  CHECK(rules::own_member(c, ident("c1", AccountRole::consumer)).ok());
}

TEST_CASE("users rules: archive is per member, in every state") {
  for (ConvState state : {ConvState::open, ConvState::close, ConvState::locked}) {
    CAPTURE(to_string(state));
    const Conversation c = with_members(state);
    auto d = rules::archive(c, ident("a1", AccountRole::agent), true);
    REQUIRE(d.ok());
    CHECK_FALSE(d->noop);
    CHECK(d->events.empty());
    CHECK(d->next.member("a1")->archived);
    CHECK_FALSE(d->next.member("c1")->archived);
    CHECK(outcome(rules::archive(c, ident("a1", AccountRole::agent), false)) == "noop");
    CHECK(outcome(rules::archive(c, ident("gone", AccountRole::agent), true)) == "ok");
    CHECK(outcome(rules::archive(c, ident("x", AccountRole::admin), true)) == "403 member");
  }
}
