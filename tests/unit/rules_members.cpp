// join, leave and markRead: roles, seats, rejoining, read horizons.
#include "rules_fixtures.hpp"

namespace parley::rules_test {
namespace {

using AR = AccountRole;
using PR = ParticipantRole;

// OPEN; consumer c0, agent a0, and l0: an agent that left after reading to 8.
Conversation members_fixture() {
  Member left = member("l0", PR::agent, MemberState::left);
  left.last_read_seq = 8;
  left.last_accept_seq = 9;
  left.read_messages_all = 4;
  left.read_messages_public = 3;
  return conv(ConvState::open, {member("c0", PR::consumer), member("a0", PR::agent), left});
}

Result<Decision> join_as(const Conversation& c, const Identity& who,
                         std::optional<PR> role = std::nullopt, Limits limits = {}) {
  return rules::join(c, who, role, kNow, limits);
}

std::string joined_line(const std::string& user, const char* role) {
  return "member.joined " + user + "/" + role + R"( all MAIN {"userId":")" + user +
         R"(","role":")" + role + R"(","previouslySuggested":false})";
}

TEST_CASE("join: a new member is appended, ACTIVE, and announced") {
  auto r = join_as(members_fixture(), ident("a9", AR::agent, "Zed"));
  REQUIRE(r);
  Conversation want = members_fixture();
  Member m = member("a9", PR::agent);
  m.name = "Zed";
  m.joined_at = kNow;
  want.members.push_back(m);
  want.updated_at = kNow;
  CHECK(dump(r->next) == dump(want));
  CHECK(lines(r->events) == expect_lines({joined_line("a9", "AGENT")}));
}

TEST_CASE("join: which roles each account may take") {
  struct Row {
    AR account;
    PR role;
    const char* expect;
  };
  // clang-format off
  const Row rows[] = {
    {AR::consumer, PR::consumer, "ok"},          {AR::consumer, PR::agent, "403 AGENT"},
    {AR::consumer, PR::reader, "403 READER"},    {AR::agent, PR::agent, "ok"},
    {AR::agent, PR::reader, "ok"},               {AR::agent, PR::assigned_agent, "ok"},
    {AR::agent, PR::manager, "403 MANAGER"},     {AR::agent, PR::consumer, "403 CONSUMER"},
    {AR::agent, PR::bot, "403 BOT"},             {AR::manager, PR::manager, "ok"},
    {AR::manager, PR::agent, "ok"},              {AR::manager, PR::reader, "ok"},
    {AR::manager, PR::assigned_agent, "ok"},     {AR::manager, PR::bot, "403 BOT"},
    {AR::admin, PR::manager, "ok"},              {AR::admin, PR::assigned_agent, "ok"},
    {AR::admin, PR::consumer, "403 CONSUMER"},   {AR::bot, PR::bot, "ok"},
    {AR::bot, PR::agent, "403 AGENT"},           {AR::bot, PR::reader, "403 READER"},
  };
  // clang-format on
  // A conversation without consumer, so that the consumer row can take the seat.
  const Conversation c = conv(ConvState::open, {member("a0", PR::agent)});
  for (const Row& row : rows) {
    INFO(to_string(row.account), " as ", to_string(row.role));
    auto r = join_as(c, ident("u", row.account), row.role);
    CHECK(outcome(r) == row.expect);
    if (r) {
      CHECK(r->next.members.back().role == row.role);
      CHECK(lines(r->events) == expect_lines({joined_line("u", to_string(row.role).data())}));
    }
  }
}

TEST_CASE("join: idempotent for an ACTIVE member, whatever role it asks") {
  for (std::optional<PR> role : {std::optional<PR>(), std::optional<PR>(PR::reader),
                                 std::optional<PR>(PR::assigned_agent)}) {
    auto r = join_as(members_fixture(), ident("a0", AR::agent), role);
    REQUIRE(r);
    CHECK(r->noop);
    CHECK(r->events.empty());
    CHECK(dump(r->next) == dump(members_fixture()));
  }
  // Not a noop when the role itself is refused: the request is wrong.
  CHECK(outcome(join_as(members_fixture(), ident("a0", AR::agent), PR::manager)) == "403 MANAGER");
}

TEST_CASE("join: a LEFT member comes back in its own entry, read horizon kept") {
  auto r = join_as(members_fixture(), ident("l0", AR::agent), PR::reader);
  REQUIRE(r);
  Conversation want = members_fixture();
  Member& m = *want.member("l0");
  m.role = PR::reader;
  m.state = MemberState::active;
  m.joined_at = kNow;
  m.left_at = 0;
  want.updated_at = kNow;
  CHECK(dump(r->next) == dump(want));
  CHECK(lines(r->events) == expect_lines({joined_line("l0", "READER")}));
}

TEST_CASE("join: the consumer seat") {
  Conversation c = members_fixture();
  // Someone else's conversation: refused while its consumer is here...
  CHECK(outcome(join_as(c, ident("c9", AR::consumer))) == "409 OPEN");
  // ...and after it left: the conversation is still that consumer's.
  c.member("c0")->state = MemberState::left;
  CHECK(outcome(join_as(c, ident("c9", AR::consumer))) == "409 OPEN");
  // Its own consumer may come back.
  auto r = join_as(c, ident("c0", AR::consumer));
  REQUIRE(r);
  CHECK(r->next.consumer()->user_id == "c0");
  CHECK(lines(r->events) == expect_lines({joined_line("c0", "CONSUMER")}));
  // A conversation that never had one takes the first consumer.
  CHECK(outcome(join_as(conv(ConvState::open, {member("a0", PR::agent)}),
                        ident("c9", AR::consumer))) == "ok");
}

TEST_CASE("join: one ASSIGNED_AGENT at a time") {
  Conversation c = members_fixture();
  CHECK(outcome(join_as(c, ident("a9", AR::agent), PR::assigned_agent)) == "ok");
  c.members.push_back(member("g0", PR::assigned_agent));
  auto r = join_as(c, ident("a9", AR::agent), PR::assigned_agent);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == 409);
  CHECK(r.error().message == "conversation already has an assigned agent");
  // The seat frees up when its holder leaves.
  c.member("g0")->state = MemberState::left;
  CHECK(outcome(join_as(c, ident("a9", AR::agent), PR::assigned_agent)) == "ok");
}

TEST_CASE("join: the active member limit") {
  Limits limits;
  limits.members = 3;  // the fixture has 2 active members and one LEFT
  Conversation c = members_fixture();
  CHECK(outcome(join_as(c, ident("a9", AR::agent), std::nullopt, limits)) == "ok");
  c.members.push_back(member("a8", PR::agent));
  auto r = join_as(c, ident("a9", AR::agent), std::nullopt, limits);
  REQUIRE_FALSE(r);
  CHECK(r.error().data == R"({"field":"members","limit":3})");
  // An idempotent repeat is not a new member: still a noop at the limit.
  CHECK(outcome(join_as(c, ident("a8", AR::agent), std::nullopt, limits)) == "noop");
}

// --- leave ----------------------------------------------------------------

TEST_CASE("leave: the member turns LEFT and member.left says so") {
  Conversation c = members_fixture();
  auto r = rules::leave(c, ident("a0", AR::agent), kNow);
  REQUIRE(r);
  Conversation want = c;
  want.member("a0")->state = MemberState::left;
  want.member("a0")->left_at = kNow;
  want.updated_at = kNow;
  CHECK(dump(r->next) == dump(want));
  CHECK(lines(r->events) == expect_lines({R"(member.left a0/AGENT all MAIN {"userId":"a0",)"
                                          R"("role":"AGENT","reason":"left"})"}));
}

TEST_CASE("leave: the assigned agent leaving an OPEN conversation returns it to the queue") {
  Conversation c = members_fixture();
  c.members.push_back(member("g0", PR::assigned_agent));
  auto r = rules::leave(c, ident("g0", AR::agent), kNow);
  REQUIRE(r);
  Conversation want = c;
  want.member("g0")->state = MemberState::left;
  want.member("g0")->left_at = kNow;
  want.updated_at = kNow;
  CHECK(dump(r->next) == dump(want));
  CHECK(
      lines(r->events) ==
      expect_lines({R"(member.left g0/ASSIGNED_AGENT all MAIN {"userId":"g0",)"
                    R"("role":"ASSIGNED_AGENT","reason":"left"})",
                    R"(queue.returned g0/ASSIGNED_AGENT agents MAIN {"unassignedUserId":"g0"})"}));
  // A CLOSE conversation has no queue to go back to.
  c.state = ConvState::close;
  auto closed = rules::leave(c, ident("g0", AR::agent), kNow);
  REQUIRE(closed);
  CHECK(closed->events.size() == 1);
}

TEST_CASE("leave: only an ACTIVE member") {
  auto r = rules::leave(members_fixture(), ident("l0", AR::agent), kNow);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == 404);
  CHECK(r.error().message == "not a member");
  CHECK(outcome(rules::leave(members_fixture(), ident("x", AR::manager), kNow)) == "404");
}

// --- markRead -------------------------------------------------------------

TEST_CASE("markRead: READ moves the read horizon and its counters forward") {
  Conversation c = members_fixture();
  auto r = rules::mark_read(c, ident("c0", AR::consumer), event(9, "a0"), false);
  REQUIRE(r);
  CHECK_FALSE(r->noop);
  CHECK(r->events.empty());  // the receipt is a signal, not a log event
  Conversation want = c;
  Member& m = *want.member("c0");
  m.last_read_seq = 9;
  m.read_messages_all = 4;  // event(9): messages_all = 9 / 2, messages_public = 9 / 3
  m.read_messages_public = 3;
  CHECK(dump(r->next) == dump(want));  // updated_at untouched
}

TEST_CASE("markRead: never backwards") {
  Conversation c = members_fixture();
  c.member("a0")->last_read_seq = 7;
  c.member("a0")->last_accept_seq = 5;
  for (uint64_t seq : {3u, 7u}) {
    auto r = rules::mark_read(c, ident("a0", AR::agent), event(seq, "c0"), false);
    REQUIRE(r);
    CHECK(r->noop);
    CHECK(dump(r->next) == dump(c));
  }
  CHECK(rules::mark_read(c, ident("a0", AR::agent), event(5, "c0"), true)->noop);
  CHECK_FALSE(rules::mark_read(c, ident("a0", AR::agent), event(6, "c0"), true)->noop);
}

TEST_CASE("markRead: ACCEPT moves only the accept horizon") {
  Conversation c = members_fixture();
  c.member("a0")->last_read_seq = 7;
  auto r = rules::mark_read(c, ident("a0", AR::agent), event(6, "c0"), true);
  REQUIRE(r);
  Conversation want = c;
  want.member("a0")->last_accept_seq = 6;
  CHECK(dump(r->next) == dump(want));
}

TEST_CASE("markRead: members only") {
  auto r = rules::mark_read(members_fixture(), ident("l0", AR::agent), event(9, "a0"), false);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == 403);
  CHECK(r.error().data == R"({"required":"member"})");
}

}  // namespace
}  // namespace parley::rules_test
