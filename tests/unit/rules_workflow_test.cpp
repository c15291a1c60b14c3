// closeConversation, reopenConversation, lockConversation, the automatic
// lock and setStatus: the exact records and events.
#include "rules_fixtures.hpp"

namespace parley::rules_test {
namespace {

using AR = AccountRole;
using PR = ParticipantRole;

Conversation open_fixture(bool post_survey) {
  Conversation c = conv(ConvState::open, {member("c0", PR::consumer), member("a0", PR::agent),
                                          member("m0", PR::manager)});
  c.status = "open";
  c.post_survey = post_survey;
  return c;
}

TEST_CASE("close without post-survey: MAIN closes, the conversation is CLOSE and resolved") {
  const Conversation c = open_fixture(false);
  auto r = rules::close(c, ident("a0", AR::agent), std::string("solved"), kNow);
  REQUIRE(r);
  Conversation want = c;
  want.state = ConvState::close;
  want.status = "resolved";
  want.dialogs[0].open = false;
  want.dialogs[0].closed_at = kNow;
  want.dialogs[0].closed_cause = "solved";
  want.updated_at = kNow;
  CHECK(dump(r->next) == dump(want));
  CHECK(
      lines(r->events) ==
      expect_lines({
          R"(dialog.closed a0/AGENT all MAIN {"dialogId":"MAIN","type":"MAIN","closedCause":"solved"})",
          R"(state.changed a0/AGENT all MAIN {"from":"OPEN","to":"CLOSE","closedCause":"solved"})",
          R"(status.changed a0/AGENT agents MAIN {"from":"open","to":"resolved"})",
      }));
  CHECK(r->next.closed_at() == kNow);
}

TEST_CASE("close with post-survey: MAIN closes into POST_SURVEY, then the survey closes") {
  const Conversation c = open_fixture(true);
  auto first = rules::close(c, ident("c0", AR::consumer), std::nullopt, kNow);
  REQUIRE(first);
  const Conversation& mid = first->next;
  CHECK(mid.state == ConvState::open);
  CHECK(mid.status == "resolved");
  REQUIRE(mid.dialogs.size() == 2);
  CHECK(mid.dialogs[1].dialog_id == "POST_SURVEY");
  CHECK(mid.dialogs[1].open);
  CHECK(mid.dialogs[1].opened_at == kNow);
  CHECK(mid.current_dialog_id() == "POST_SURVEY");
  CHECK(
      lines(first->events) ==
      expect_lines({
          R"(dialog.closed c0/CONSUMER all MAIN {"dialogId":"MAIN","type":"MAIN"})",
          R"(dialog.opened c0/CONSUMER all POST_SURVEY {"dialogId":"POST_SURVEY","type":"POST_SURVEY"})",
          R"(status.changed c0/CONSUMER agents POST_SURVEY {"from":"open","to":"resolved"})",
      }));

  auto second = rules::close(mid, ident("a0", AR::agent), std::nullopt, kNow + 10);
  REQUIRE(second);
  CHECK(second->next.state == ConvState::close);
  CHECK_FALSE(second->next.dialogs[1].open);
  CHECK(second->next.dialogs[1].closed_at == kNow + 10);
  CHECK(
      lines(second->events) ==
      expect_lines({
          R"(dialog.closed a0/AGENT all POST_SURVEY {"dialogId":"POST_SURVEY","type":"POST_SURVEY"})",
          R"(state.changed a0/AGENT all POST_SURVEY {"from":"OPEN","to":"CLOSE"})",
      }));
  // Closed already: a repeat changes nothing.
  CHECK(outcome(rules::close(second->next, ident("a0", AR::agent), std::nullopt, kNow)) == "noop");
}

TEST_CASE("reopen: MAIN opens again, OPEN and open; a second close runs the survey again") {
  Conversation c = open_fixture(true);
  auto closed = rules::close(c, ident("a0", AR::agent), std::nullopt, kNow);
  closed = rules::close(closed->next, ident("a0", AR::agent), std::nullopt, kNow);
  REQUIRE(closed);
  REQUIRE(closed->next.state == ConvState::close);
  auto r = rules::reopen(closed->next, ident("m0", AR::manager), kNow + 100);
  REQUIRE(r);
  CHECK(r->next.state == ConvState::open);
  CHECK(r->next.status == "open");
  CHECK(r->next.dialogs[0].open);
  CHECK(r->next.dialogs[0].opened_at == kNow + 100);
  CHECK(r->next.dialogs[0].closed_at == 0);
  CHECK_FALSE(r->next.dialogs[1].open);
  CHECK(r->next.current_dialog_id() == "MAIN");
  CHECK(lines(r->events) ==
        expect_lines({
            R"(dialog.opened m0/MANAGER all MAIN {"dialogId":"MAIN","type":"MAIN"})",
            R"(state.changed m0/MANAGER all MAIN {"from":"CLOSE","to":"OPEN"})",
            R"(status.changed m0/MANAGER agents MAIN {"from":"resolved","to":"open"})",
        }));
  auto again = rules::close(r->next, ident("a0", AR::agent), std::nullopt, kNow + 200);
  REQUIRE(again);
  CHECK(again->next.state == ConvState::open);
  CHECK(again->next.dialogs.size() == 2);  // the same POST_SURVEY dialog, open again
  CHECK(again->next.dialogs[1].open);
  CHECK(again->next.dialogs[1].opened_at == kNow + 200);
}

TEST_CASE("lock: a manager locks a CLOSE conversation; the system locks when it is due") {
  Conversation c = open_fixture(false);
  auto closed = rules::close(c, ident("a0", AR::agent), std::nullopt, kNow);
  REQUIRE(closed);
  auto r = rules::lock(closed->next, ident("m0", AR::manager), kNow + 5);
  REQUIRE(r);
  CHECK(r->next.state == ConvState::locked);
  CHECK(lines(r->events) ==
        expect_lines({R"(state.changed m0/MANAGER all MAIN {"from":"CLOSE","to":"LOCKED"})"}));

  // The automatic lock: from null (a system event), only once due.
  CHECK(outcome(rules::auto_lock(closed->next, kNow + 999, 1000)) == "noop");
  auto a = rules::auto_lock(closed->next, kNow + 1000, 1000);
  REQUIRE(a);
  CHECK_FALSE(a->noop);
  CHECK(a->next.state == ConvState::locked);
  CHECK(lines(a->events) ==
        expect_lines({R"(state.changed /SYSTEM all MAIN {"from":"CLOSE","to":"LOCKED"})"}));
  // Reopened meanwhile: the timer that fires finds nothing to do.
  auto reopened = rules::reopen(closed->next, ident("a0", AR::agent), kNow + 10);
  CHECK(outcome(rules::auto_lock(reopened->next, kNow + 5000, 1000)) == "noop");
}

TEST_CASE("LOCKED is read only: every change is 409, repeats are noops") {
  Conversation c = open_fixture(false);
  c.state = ConvState::locked;
  c.status = "resolved";
  c.dialogs[0].open = false;
  auto r = rules::reopen(c, ident("m0", AR::manager), kNow);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "conversation is LOCKED");
  CHECK(r.error().data == R"({"state":"LOCKED"})");
  CHECK(outcome(rules::lock(c, ident("m0", AR::manager), kNow)) == "noop");
  CHECK(outcome(rules::close(c, ident("a0", AR::agent), std::nullopt, kNow)) == "noop");
  CHECK(outcome(rules::set_status(c, ident("a0", AR::agent), "open", kNow)) == "409 LOCKED");
}

TEST_CASE("setStatus: status.changed for the agent side; resolved closes") {
  const Conversation c = open_fixture(false);
  auto r = rules::set_status(c, ident("a0", AR::agent), "snoozed", kNow);
  REQUIRE(r);
  CHECK(r->next.status == "snoozed");
  CHECK(r->next.state == ConvState::open);
  CHECK(lines(r->events) ==
        expect_lines({R"(status.changed a0/AGENT agents MAIN {"from":"open","to":"snoozed"})"}));
  CHECK(outcome(rules::set_status(c, ident("a0", AR::agent), "open", kNow)) == "noop");

  auto resolved = rules::set_status(r->next, ident("a0", AR::agent), "resolved", kNow);
  REQUIRE(resolved);
  CHECK(resolved->next.state == ConvState::close);
  CHECK(lines(resolved->events) ==
        expect_lines({
            R"(dialog.closed a0/AGENT all MAIN {"dialogId":"MAIN","type":"MAIN"})",
            R"(state.changed a0/AGENT all MAIN {"from":"OPEN","to":"CLOSE"})",
            R"(status.changed a0/AGENT agents MAIN {"from":"snoozed","to":"resolved"})",
        }));
  // A CLOSE conversation is resolved; another status needs a reopen first.
  CHECK(outcome(rules::set_status(resolved->next, ident("a0", AR::agent), "pending", kNow)) ==
        "409 CLOSE");
}

}  // namespace
}  // namespace parley::rules_test
