// The agent side's part of a conversation never reaches its consumer: every
// agents-only event type and the notes, through every path — live pushes,
// the replay of a subscribe, queryMessages (one conversation or across
// them), receipts, the Conversation object, listMembers, listNotes.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"
#include "workflow_support.hpp"

using namespace parley::it;

TEST_CASE("agents-only events and notes never reach the consumer, by any path") {
  BrokerProcess broker(jwt_args());
  const uint16_t port = broker.port();
  auto ann = login(port, "ann");
  auto alice = login(port, "alice", "agent");
  auto carl = login(port, "carl", "agent");

  const std::string id = create_conversation(*ann).get_string("/id");
  const std::string by_id = obj({{"conversationId", id}});
  subscribe(*ann, id, 0);
  alice->call("join", by_id);
  subscribe(*alice, id, 0);

  // Every kind of agents-only event, with public ones in between.
  carl->call("assign", obj({{"conversationId", id}, {"userId", "carl"}}));
  carl->call("leave", by_id);  // member.left, queue.returned
  const int64_t private_seq =
      alice->call("sendPrivateMessage", obj({{"conversationId", id}, {"text", "psst"}}))
          .get_int("/seq");
  send_message(*ann, id, "anyone there?");
  alice->call("sendEvent", obj({{"conversationId", id},
                                {"name", "agents-only"},
                                {"data", raw(R"({"x":1})")},
                                {"visibility", "agents"}}));
  alice->call("setNote", obj({{"conversationId", id}, {"text", "the secret note"}}));
  alice->call("setStatus", obj({{"conversationId", id}, {"status", "pending"}}));
  alice->call("setGroup", obj({{"conversationId", id}, {"groupId", "vip"}}));
  alice->call("setManualEttr", obj({{"conversationId", id}, {"time", int64_t{4102444800000}}}));
  alice->call("transfer", obj({{"conversationId", id}, {"agentId", "bob"}}));
  alice->call("transfer", obj({{"conversationId", id}, {"skillId", "sales"}}));
  alice->call("markRead", obj({{"conversationId", id}, {"seq", private_seq}}));
  alice->call("sendEvent", obj({{"conversationId", id}, {"name", "public"}, {"data", raw("[1]")}}));
  const int64_t last = send_message(*alice, id, "the end").get_int("/seq");

  // Live: every frame Ann got until the last message.
  std::vector<Json> live;
  for (;;) {
    auto frame = ann->read_frame();
    REQUIRE_MESSAGE(frame, "no push in time");
    if (frame->method() == "receipt")
      CHECK_MESSAGE(frame->get_int("/params/seq") != private_seq, frame->frame());
    if (frame->method() != "event") continue;
    live.push_back(frame->at("/params"));
    if (live.back().get_int("/seq") == last) break;
  }
  check_consumer_stream(live);
  const std::set<std::string> ann_types = [&] {
    auto t = types_of(live);
    return std::set<std::string>(t.begin(), t.end());
  }();
  CHECK(ann_types.count("member.left") == 1);
  CHECK(ann_types.count("custom") == 1);  // the public one

  // The agent side saw every one of them.
  std::vector<Json> agent_view =
      events_until(*alice, id, [&](const Json& e) { return e.get_int("/seq") == last; });
  for (const auto& type : agents_only_types()) {
    bool found = std::any_of(agent_view.begin(), agent_view.end(),
                             [&](const Json& e) { return e.get_string("/type") == type; });
    CHECK_MESSAGE(found, type);
  }

  // Replay: a second socket of Ann's, from the start, gets the same stream.
  auto ann2 = login(port, "ann");
  Subscription replay = subscribe(*ann2, id, 0);
  CHECK(replay.replayed == static_cast<int64_t>(live.size()));
  std::vector<Json> replayed =
      events_until(*ann2, id, [&](const Json& e) { return e.get_int("/seq") == last; });
  check_consumer_stream(replayed);
  CHECK(types_of(replayed) == types_of(live));

  // queryMessages, in one conversation and across them, whatever is asked.
  Json log = ann->call("queryMessages", obj({{"conversationId", id}, {"limit", 200}}));
  check_consumer_stream(log.items("/data"));
  CHECK(log.size("/data") == replayed.size());
  std::vector<std::string> hidden;
  for (const auto& t : agents_only_types()) hidden.push_back(quote(t));
  Json asked =
      ann->call("queryMessages", obj({{"conversationId", id}, {"types", raw(arr(hidden))}}));
  CHECK(asked.size("/data") == 0);
  std::vector<std::string> kinds = {"message", "message.private", "note.added", "custom"};
  for (std::string& k : kinds) k = quote(k);
  Json across = ann->call("queryMessages", obj({{"types", raw(arr(kinds))}}));
  for (const Json& e : across.items("/data")) CHECK(e.get_string("/visibility") == "all");
  Json desc =
      ann->call("queryMessages", obj({{"conversationId", id}, {"order", "desc"}, {"limit", 200}}));
  for (const Json& e : desc.items("/data")) CHECK(e.get_string("/visibility") == "all");

  // The Conversation object and the member list: the routing stays inside.
  Json seen_by_ann = ann->call("getConversation", by_id);
  CHECK(seen_by_ann.is_null("/groupId"));
  CHECK(seen_by_ann.is_null("/skillId"));
  Json ann_list = ann->call("listConversations", "{}");
  REQUIRE(ann_list.size("/data") == 1);
  CHECK(ann_list.is_null("/data/0/skillId"));
  Json ann_inbox = ann->call("subscribeInbox", "{}");
  REQUIRE(ann_inbox.size("/snapshot/data") == 1);
  CHECK(ann_inbox.is_null("/snapshot/data/0/skillId"));
  CHECK(ann->call("listConversations", obj({{"filter", raw(R"({"skillId":"sales"})")}}))
            .size("/data") == 0);
  CHECK(alice->call("getConversation", by_id).get_string("/skillId") == "sales");
  CHECK(seen_by_ann.is_null("/ttr/manualEffective"));
  Json seen_by_alice = alice->call("getConversation", by_id);
  CHECK(seen_by_alice.get_string("/groupId") == "vip");
  CHECK(seen_by_alice.get_int("/ttr/manualEffective") == 4102444800000);
  CHECK(seen_by_alice.get_int("/ttr/effective") == 4102444800000);
  auto has_bob = [](const Json& members) {
    for (const Json& m : members.items("/data"))
      if (m.get_string("/userId") == "bob") return true;
    return false;
  };
  CHECK_FALSE(has_bob(ann->call("listMembers", by_id)));
  CHECK(has_bob(alice->call("listMembers", by_id)));

  // Notes and the agents-only senders are closed to the consumer.
  expect_error(*ann, "listNotes", by_id, 403);
  expect_error(*ann, "setNote", obj({{"conversationId", id}, {"text", "x"}}), 403);
  expect_error(*ann, "sendPrivateMessage", obj({{"conversationId", id}, {"text", "x"}}), 403);
  expect_error(*ann, "sendEvent",
               obj({{"conversationId", id}, {"name", "n"}, {"data", 1}, {"visibility", "agents"}}),
               403);
  CHECK(alice->call("listNotes", by_id).size("/data") == 1);
}
