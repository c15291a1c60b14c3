// getConversationStats: the agent side's figures of one conversation.
#include "harness.hpp"

using namespace parley::it;

TEST_CASE("getConversationStats: counts from the record, for the agent side only") {
  BrokerProcess broker(jwt_args());
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  auto bob = login(broker.port(), "bob", "agent", "acme");
  auto root = login(broker.port(), "root", "admin", "acme");

  Json conversation = create_conversation(*ann);
  const std::string id = conversation.get_string("/id");
  bob->call("join", obj({{"conversationId", id}}));
  send_message(*ann, id, "hello");
  send_message(*bob, id, "hi, how can I help?");
  Json secret = bob->call("sendPrivateMessage", obj({{"conversationId", id}, {"text", "vip"}}));
  CHECK(secret.is_int("/seq"));

  Json stats = bob->call("getConversationStats", obj({{"conversationId", id}}));
  INFO(stats.frame());
  CHECK(stats.get_string("/conversationId") == id);
  CHECK(stats.get_string("/state") == "OPEN");
  CHECK(stats.get_string("/status") == "open");
  CHECK(stats.get_int("/messages") == 3);  // the private one included
  CHECK(stats.get_int("/members/active") == 2);
  CHECK(stats.get_int("/members/left") == 0);
  CHECK(stats.get_int("/lastSeq") == secret.get_int("/seq"));
  CHECK(stats.is_int("/lastMessageAt"));
  CHECK(stats.get_int("/createdAt") == conversation.get_int("/createdAt"));

  // An admin reads them too; a consumer, even a member, does not.
  Json by_admin = root->call("getConversationStats", obj({{"conversationId", id}}));
  CHECK(by_admin.get_int("/messages") == 3);
  expect_error(*ann, "getConversationStats", obj({{"conversationId", id}}), 403);
  expect_error(*bob, "getConversationStats", obj({{"conversationId", "nope"}}), 404);
  expect_error(*bob, "getConversationStats", "{}", -32602);
}
