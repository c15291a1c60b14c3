// The timers' rules: when the automatic lock and the ttl deletion are due,
// and the ttl deletion itself (the automatic lock: rules_workflow_test.cpp).
#include "rules_fixtures.hpp"

namespace parley::rules_test {
namespace {

using AR = AccountRole;
using PR = ParticipantRole;

Conversation fixture() {
  Conversation c = conv(ConvState::open, {member("c0", PR::consumer), member("a0", PR::agent)});
  c.status = "open";
  c.messages_all = c.messages_public = 0;  // only system events so far
  return c;
}

TEST_CASE("lock_deadline: closed_at + lock_after while CLOSE, none otherwise") {
  const Conversation open = fixture();
  CHECK_FALSE(rules::lock_deadline(open, 1000));
  auto closed = rules::close(open, ident("a0", AR::agent), std::nullopt, kNow);
  REQUIRE(closed);
  CHECK(rules::lock_deadline(closed->next, 1000) == kNow + 1000);
  CHECK_FALSE(rules::lock_deadline(closed->next, 0));  // automatic locking is off
  auto locked = rules::auto_lock(closed->next, kNow + 1000, 1000);
  REQUIRE(locked);
  CHECK_FALSE(rules::lock_deadline(locked->next, 1000));
  auto reopened = rules::reopen(closed->next, ident("a0", AR::agent), kNow + 10);
  REQUIRE(reopened);
  CHECK_FALSE(rules::lock_deadline(reopened->next, 1000));
}

TEST_CASE("ttl_deadline: created_at + ttl while there is no message") {
  Conversation c = fixture();
  CHECK_FALSE(rules::ttl_deadline(c));  // no ttl
  c.ttl = 5;
  CHECK(rules::ttl_deadline(c) == kCreated + 5000);
  c.ttl = 3600;
  CHECK(rules::ttl_deadline(c) == kCreated + 3'600'000);
  c.messages_all = 1;  // a message, public or not, makes it permanent
  CHECK_FALSE(rules::ttl_deadline(c));
}

TEST_CASE("expire_ttl: erases once due with conversation.deleted from the system; else noop") {
  Conversation c = fixture();
  c.ttl = 5;
  CHECK(outcome(rules::expire_ttl(c, kCreated + 4999)) == "noop");  // not due yet
  auto r = rules::expire_ttl(c, kCreated + 5000);
  REQUIRE(r);
  CHECK(r->erase);
  CHECK_FALSE(r->noop);
  CHECK(r->next.updated_at == kCreated + 5000);
  CHECK(lines(r->events) == expect_lines({R"(conversation.deleted /SYSTEM all MAIN {})"}));

  Conversation with_message = c;
  with_message.messages_all = 2;
  CHECK(outcome(rules::expire_ttl(with_message, kCreated + 60'000)) == "noop");
  Conversation no_ttl = c;
  no_ttl.ttl.reset();
  CHECK(outcome(rules::expire_ttl(no_ttl, kCreated + 60'000)) == "noop");
  // Closed or locked conversations without a message go too.
  Conversation locked = c;
  locked.state = ConvState::locked;
  auto gone = rules::expire_ttl(locked, kCreated + 5000);
  REQUIRE(gone);
  CHECK(gone->erase);
}

}  // namespace
}  // namespace parley::rules_test
