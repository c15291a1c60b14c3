// sendMessage, editMessage, deleteMessage, and who reads as which audience.
#include "rules_fixtures.hpp"

namespace parley::rules_test {
namespace {

using AR = AccountRole;
using PR = ParticipantRole;

Conversation messages_fixture(ConvState state = ConvState::open) {
  return conv(state, {member("c0", PR::consumer), member("a0", PR::agent),
                      member("m0", PR::manager), member("r0", PR::reader)});
}

// --- sendMessage ----------------------------------------------------------

TEST_CASE("sendMessage: the event and the preconditions the engine checks") {
  params::SendMessage p;
  p.conversation_id = "conv-1";
  p.text = "hello \"you\"\n";
  auto req = rules::send_message(ident("c0", AR::consumer), p);
  CHECK(line(req.event) == R"(message c0/CONSUMER all MAIN {"text":"hello \"you\"\n"})");
  CHECK(req.require_open);
  CHECK(req.mark_read);
  // Every seat but READER may send.
  uint32_t want = 0;
  for (PR r : {PR::consumer, PR::assigned_agent, PR::agent, PR::manager, PR::bot})
    want |= 1u << static_cast<unsigned>(r);
  CHECK(req.sender_roles == want);
  CHECK((req.sender_roles & (1u << static_cast<unsigned>(PR::reader))) == 0);
}

TEST_CASE("sendMessage: optional fields in protocol order, spliced as given") {
  params::SendMessage p;
  p.text = "t";
  p.mentions = R"(["a0"])";
  p.quick_replies = R"([{"title":"yes"}])";
  p.metadata = R"({"k":1})";
  p.client_message_id = "m-77";
  auto req = rules::send_message(ident("b1", AR::bot), p);
  CHECK(line(req.event) == R"(message b1/BOT all MAIN cmid=m-77 {"text":"t","metadata":{"k":1},)"
                           R"("quickReplies":[{"title":"yes"}],"mentions":["a0"]})");

  params::SendMessage only_mentions;
  only_mentions.text = "t";
  only_mentions.mentions = "[]";
  CHECK(rules::send_message(ident("a1", AR::admin), only_mentions).event.body ==
        R"({"text":"t","mentions":[]})");
  CHECK(rules::send_message(ident("a1", AR::admin), only_mentions).event.from_role == "MANAGER");
}

// --- editMessage ----------------------------------------------------------

TEST_CASE("editMessage: message.edited, the target rewritten") {
  const Event target = event(4, "c0", "message", R"({"text":"hi","metadata":{"x":1}})");
  auto r = rules::edit_message(messages_fixture(), ident("c0", AR::consumer), target, "hey", kNow);
  REQUIRE(r);
  CHECK_FALSE(r->noop);
  CHECK(lines(r->events) ==
        expect_lines({R"(message.edited c0/CONSUMER all MAIN {"targetSeq":4,"text":"hey"})"}));
  CHECK(r->target_body ==
        std::string(R"({"text":"hey","metadata":{"x":1},"editedAt":1700000000000})"));
  CHECK(r->target_text == std::string("hey"));
  Conversation want = messages_fixture();
  want.updated_at = kNow;
  CHECK(dump(r->next) == dump(want));
}

TEST_CASE("editMessage: the edit is as visible as its target") {
  const Event target = event(4, "a0", "message.private", R"({"text":"psst"})", Visibility::agents);
  auto r = rules::edit_message(messages_fixture(), ident("a0", AR::agent), target, "ok", kNow);
  REQUIRE(r);
  CHECK(lines(r->events) ==
        expect_lines({R"(message.edited a0/AGENT agents MAIN {"targetSeq":4,"text":"ok"})"}));
}

TEST_CASE("editMessage: refusals") {
  const Conversation c = messages_fixture();
  auto edit = [&](const Identity& who, const Event& target) {
    return outcome(rules::edit_message(c, who, target, "x", kNow));
  };
  CHECK(edit(ident("m0", AR::manager), event(4, "c0")) == "403 author");
  CHECK(edit(ident("c0", AR::consumer), event(2, "c0", "member.joined")) == "409 OPEN");
  CHECK(edit(ident("c0", AR::consumer), event(4, "c0", "message", R"({"redacted":true})")) ==
        "409 OPEN");
  // An author that left and cannot read the conversation any more.
  Conversation gone = c;
  gone.member("c0")->state = MemberState::left;
  CHECK(outcome(rules::edit_message(gone, ident("c0", AR::consumer), event(4, "c0"), "x", kNow)) ==
        "403 member");
  auto r = rules::edit_message(c, ident("c0", AR::consumer), event(2, "c0", "custom"), "x", kNow);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "not a message");
}

TEST_CASE("editMessage: every message type may be edited") {
  for (const char* type : {"message", "message.private", "message.rich", "message.file"}) {
    INFO(type);
    auto r = rules::edit_message(messages_fixture(), ident("a0", AR::agent), event(4, "a0", type),
                                 "x", kNow);
    CHECK(outcome(r) == "ok");
  }
}

// --- deleteMessage --------------------------------------------------------

TEST_CASE("deleteMessage: message.deleted, the target redacted") {
  const Event target = event(4, "c0", "message", R"({"text":"oops"})");
  for (const char* who : {"c0", "m0"}) {
    INFO(who);
    Identity caller = ident(who, who[0] == 'c' ? AR::consumer : AR::manager);
    auto r = rules::delete_message(messages_fixture(), caller, target, kNow);
    REQUIRE(r);
    const std::string role = who[0] == 'c' ? "CONSUMER" : "MANAGER";
    CHECK(lines(r->events) == expect_lines({"message.deleted " + std::string(who) + "/" + role +
                                            R"( all MAIN {"targetSeq":4})"}));
    CHECK(r->target_body == std::string(R"({"redacted":true})"));
    CHECK(r->target_text == std::string());
    CHECK_FALSE(r->erase);
    Conversation want = messages_fixture();
    want.updated_at = kNow;
    CHECK(dump(r->next) == dump(want));
  }
}

TEST_CASE("deleteMessage: refusals and redaction detection") {
  const Conversation c = messages_fixture();
  auto del = [&](const Identity& who, const Event& target) {
    return outcome(rules::delete_message(c, who, target, kNow));
  };
  CHECK(del(ident("a0", AR::agent), event(4, "c0")) == "403 manager");
  CHECK(del(ident("r0", AR::agent), event(4, "c0")) == "403 manager");
  CHECK(del(ident("m0", AR::manager), event(1, "", "conversation.created")) == "409 OPEN");
  auto twice = rules::delete_message(c, ident("c0", AR::consumer),
                                     event(4, "c0", "message", R"({"redacted":true})"), kNow);
  REQUIRE_FALSE(twice);
  CHECK(twice.error().message == "message is deleted");
  // A message whose own metadata mentions "redacted" is not a redaction.
  CHECK(del(ident("c0", AR::consumer),
            event(4, "c0", "message", R"({"text":"x","metadata":{"redacted":true}})")) == "ok");
  // Agents-only targets keep their audience.
  auto priv = rules::delete_message(
      c, ident("m0", AR::manager),
      event(5, "a0", "message.private", R"({"text":"p"})", Visibility::agents), kNow);
  REQUIRE(priv);
  CHECK(priv->events.at(0).visibility == Visibility::agents);
}

// --- audience and read access ---------------------------------------------

TEST_CASE("audience: agent side by account, or by seat; bots read as agents") {
  const Conversation c = messages_fixture();
  CHECK(rules::audience(c, ident("c0", AR::consumer)) == Audience::consumers);
  CHECK(rules::audience(c, ident("zz", AR::consumer)) == Audience::consumers);
  CHECK(rules::audience(c, ident("a9", AR::agent)) == Audience::agents);
  CHECK(rules::audience(c, ident("m9", AR::manager)) == Audience::agents);
  CHECK(rules::audience(c, ident("ad", AR::admin)) == Audience::agents);
  CHECK(rules::audience(c, ident("b9", AR::bot)) == Audience::agents);
  // A member seated on the agent side reads as an agent, whatever its account.
  CHECK(rules::audience(c, ident("r0", AR::consumer)) == Audience::agents);
}

TEST_CASE("may_read: a LEFT member reads no more; the refusal names membership") {
  Conversation c = messages_fixture();
  c.member("c0")->state = MemberState::left;
  auto s = rules::may_read(c, ident("c0", AR::consumer));
  REQUIRE_FALSE(s);
  CHECK(s.error().code == 403);
  CHECK(s.error().data == R"({"required":"member"})");
  CHECK(outcome(rules::may_read(c, ident("r0", AR::bot))) == "ok");
}

}  // namespace
}  // namespace parley::rules_test
