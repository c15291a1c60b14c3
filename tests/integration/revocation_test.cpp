// Access is re-checked at every change of membership, seat or identity: a
// live subscription whose subscriber may no longer read the conversation
// ends with `subscriptionEnded {conversationId, reason, lastSeq}`, on every
// node, before any later event of the conversation reaches it
// (docs/protocol.md, "Subscriptions"; docs/architecture.md, "Revocation").
#include "redis_support.hpp"

using namespace parley::it;

namespace {

// The next subscriptionEnded push (other pushes skipped): of `id`, for `reason`.
void expect_ended(WsClient& client, const std::string& id, const std::string& reason) {
  Json p = client.expect_push("subscriptionEnded").at("/params");
  CHECK_MESSAGE(p.get_string("/conversationId") == id, p.dump());
  CHECK_MESSAGE(p.get_string("/reason") == reason, p.dump());
  CHECK(p.is_int("/lastSeq"));
}

// Reads `client`'s events up to the message "sentinel" of `sentinel_id`,
// sent after something in `gone`: none of them may be of `gone`.
void expect_nothing_of_before_sentinel(WsClient& client, const std::string& gone,
                                       const std::string& sentinel_id) {
  for (;;) {
    Json push = client.expect_event();
    Json e = push.at("/params");
    CHECK_MESSAGE(e.get_string("/conversationId") != gone, push.frame());
    if (e.get_string("/conversationId") == sentinel_id && e.get_string("/type") == "message" &&
        e.get_string("/body/text") == "sentinel")
      return;
  }
}

// `victim`'s subscription to `gone` ended for `reason`; then `sender`'s
// message to `gone` does not reach it: `bob` sends "sentinel" to `kept`, a
// conversation the victim still follows, and it comes first.
void expect_cut_off(WsClient& victim, const std::string& gone, const std::string& reason,
                    WsClient& sender, WsClient& bob, const std::string& kept) {
  expect_ended(victim, gone, reason);
  expect_error(victim, "queryMessages", obj({{"conversationId", gone}}), 403);
  send_message(sender, gone, "after the end");
  send_message(bob, kept, "sentinel");
  expect_nothing_of_before_sentinel(victim, gone, kept);
}

// A conversation of `consumer` that `agent` joined; both subscribed.
std::string joined_conversation(WsClient& consumer, WsClient& agent) {
  const std::string id = create_conversation(consumer).get_string("/id");
  agent.call("join", obj({{"conversationId", id}}));
  subscribe(consumer, id);
  return id;
}

}  // namespace

TEST_CASE(
    "revocation: a removed consumer's subscription ends; the next message does not reach it") {
  BrokerProcess broker(jwt_args());
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  auto bob = login(broker.port(), "bob", "agent", "acme");
  const std::string id = joined_conversation(*ann, *bob);
  const std::string other = joined_conversation(*ann, *bob);

  bob->call("removeMember", obj({{"conversationId", id}, {"userId", "ann"}}));
  expect_cut_off(*ann, id, "removed", *bob, *bob, other);
}

TEST_CASE("revocation: leave on one socket ends the user's subscriptions on its other sockets") {
  BrokerProcess broker(jwt_args());
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  auto ann_phone = login(broker.port(), "ann", "consumer", "acme");
  auto bob = login(broker.port(), "bob", "agent", "acme");
  const std::string id = joined_conversation(*ann, *bob);
  const std::string other = joined_conversation(*ann, *bob);

  ann_phone->call("leave", obj({{"conversationId", id}}));
  expect_cut_off(*ann, id, "left", *bob, *bob, other);
}

TEST_CASE("revocation: consumerTakeover ends the previous consumer's subscription") {
  BrokerProcess broker(jwt_args());
  auto visitor = login(broker.port(), "visitor-17");
  auto bob = login(broker.port(), "bob", "agent");
  const std::string id = joined_conversation(*visitor, *bob);
  const std::string other = joined_conversation(*visitor, *bob);
  auto kim = login(broker.port(), Claims("kim").prev_("visitor-17"));

  kim->call("consumerTakeover", obj({{"conversationId", id}}));
  expect_cut_off(*visitor, id, "stepped-up", *kim, *bob, other);
}

TEST_CASE("revocation: an agent-side account keeps its subscription when it leaves elsewhere") {
  BrokerProcess broker(jwt_args());
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  auto bob = login(broker.port(), "bob", "agent", "acme");
  auto bob_console = login(broker.port(), "bob", "agent", "acme");
  const std::string id = joined_conversation(*ann, *bob);
  Subscription sub = subscribe(*bob_console, id);
  bob->call("leave", obj({{"conversationId", id}}));
  // An agent account reads without being a member: the stream goes on.
  send_message(*ann, id, "still there?");
  for (;;) {
    Json e = bob_console->expect_event().at("/params");
    if (e.get_string("/type") == "message") {
      CHECK(e.get_string("/body/text") == "still there?");
      break;
    }
  }
  for (const Json& push : bob_console->stashed())
    CHECK_MESSAGE(push.method() != "subscriptionEnded", push.frame());
}

TEST_CASE(
    "revocation: re-authenticating with a consumer token ends what the consumer may not read") {
  BrokerProcess broker(jwt_args());
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  auto bob = login(broker.port(), "bob", "agent", "acme");
  auto zed = login(broker.port(), "zed", "agent", "acme");
  const std::string id = joined_conversation(*ann, *bob);
  subscribe(*zed, id);
  Json inbox = zed->call("subscribeInbox", "{}");
  const std::string sid = inbox.get_string("/subscriptionId");
  CHECK(inbox.get_int("/snapshot/total") == 1);

  Json re =
      zed->call("authenticate",
                obj({{"token", mint_token(Claims("zed").tenant_("acme").role_("consumer"))}}));
  CHECK(re.get_string("/role") == "consumer");
  expect_ended(*zed, id, "reauthenticated");
  // Its inbox lists again as a consumer: the conversation is no longer its.
  for (;;) {
    Json p = zed->expect_push("inbox").at("/params");
    CHECK(p.get_string("/subscriptionId") == sid);
    if (p.get_string("/conversation/id") != id) continue;
    CHECK_MESSAGE(p.get_string("/change") == "DELETE", p.dump());
    break;
  }
  expect_error(*zed, "queryMessages", obj({{"conversationId", id}}), 403);

  bob->call("sendPrivateMessage", obj({{"conversationId", id}, {"text", "agents only"}}));
  bob->call("setNote", obj({{"conversationId", id}, {"text", "a note"}}));
  const std::string mine = create_conversation(*zed).get_string("/id");
  subscribe(*zed, mine);
  send_message(*zed, mine, "sentinel");
  expect_nothing_of_before_sentinel(*zed, id, mine);
}

TEST_CASE("revocation: a consumer token refresh keeps the consumer's subscriptions") {
  BrokerProcess broker(jwt_args());
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  subscribe(*ann, id);
  ann->call("authenticate",
            obj({{"token", mint_token(Claims("ann").tenant_("acme").role_("consumer"))}}));
  send_message(*ann, id, "sentinel");
  Json e = ann->expect_event().at("/params");
  CHECK(e.get_string("/body/text") == "sentinel");
  for (const Json& push : ann->stashed())
    CHECK_MESSAGE(push.method() != "subscriptionEnded", push.frame());
}

TEST_CASE("redis: a removal on node 2 ends the consumer's subscription on node 1") {
  TwoNodes c;
  auto ann = login(c.node1->port(), "ann", "consumer", "acme");
  auto bob = login(c.node2->port(), "bob", "agent", "acme");
  const std::string id = joined_conversation(*ann, *bob);
  const std::string other = joined_conversation(*ann, *bob);

  bob->call("removeMember", obj({{"conversationId", id}, {"userId", "ann"}}));
  // The message and the sentinel are both published by node 2, in this
  // order, on the one Redis: node 1 hands them over in order.
  expect_cut_off(*ann, id, "removed", *bob, *bob, other);
}
