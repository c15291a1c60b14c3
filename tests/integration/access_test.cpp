// Who may read a conversation: its members; agents of its tenant; nobody
// of another tenant (404, so existence does not leak).
#include "harness.hpp"

using namespace parley::it;

TEST_CASE("a consumer cannot read another consumer's conversation; another tenant gets 404") {
  BrokerProcess broker(jwt_args());
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  send_message(*ann, id, "private to ann and the agents");
  const std::string by_id = obj({{"conversationId", id}});

  SUBCASE("a consumer of the same tenant: 403") {
    auto carl = login(broker.port(), "carl", "consumer", "acme");
    for (const char* method : {"getConversation", "subscribe", "queryMessages"}) {
      Json r = expect_error(*carl, method, by_id, 403);
      CHECK_MESSAGE(r.has("/error/data/required"), r.frame());
    }
    expect_error(*carl, "sendMessage", obj({{"conversationId", id}, {"text", "hi"}}), 403);
  }

  SUBCASE("users of another tenant: 404, whatever their role") {
    auto dave = login(broker.port(), "dave", "consumer", "globex");
    auto erin = login(broker.port(), "erin", "agent", "globex");
    for (WsClient* other : {dave.get(), erin.get()}) {
      for (const char* method : {"getConversation", "subscribe", "queryMessages"}) {
        expect_error(*other, method, by_id, 404);
      }
      expect_error(*other, "sendMessage", obj({{"conversationId", id}, {"text", "hi"}}), 404);
      expect_error(*other, "join", by_id, 404);
    }
    // The same user id in another tenant is another user.
    auto ann_elsewhere = login(broker.port(), "ann", "consumer", "globex");
    expect_error(*ann_elsewhere, "getConversation", by_id, 404);
  }

  SUBCASE("an agent of the same tenant may read without joining") {
    auto frank = login(broker.port(), "frank", "agent", "acme");
    CHECK(frank->call("getConversation", by_id).get_string("/id") == id);
    Json log = frank->call("queryMessages", by_id);
    CHECK(log.size("/data") >= 1);
    subscribe(*frank, id);
  }

  SUBCASE("a conversation id that does not exist: 404") {
    expect_error(*ann, "getConversation",
                 obj({{"conversationId", "00000000-0000-4000-8000-000000000000"}}), 404);
  }
}
