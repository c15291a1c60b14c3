// The contact-centre workflow end to end over real WebSockets: a consumer's
// chat greeted by a bot, routed to a skill, taken from the queue, noted,
// transferred, closed into a post-survey, rated, locked (the automatic lock:
// timers_test.cpp); and a consumer stepping up to its logged-in self.
#include <algorithm>
#include <string>
#include <vector>

#include "harness.hpp"
#include "workflow_support.hpp"

using namespace parley::it;

TEST_CASE("a chat from greeting to lock: bot, skill, queue, note, transfer, survey, CSAT") {
  BrokerProcess broker(jwt_args());
  const uint16_t port = broker.port();
  auto ann = login(port, Claims("ann").tenant_("acme").name_("Ann"));
  auto bot = login(port, "greeter", "bot", "acme");
  auto alice = login(port, Claims("alice").tenant_("acme").role_("agent").name_("Alice"));
  auto bob = login(port, Claims("bob").tenant_("acme").role_("agent").name_("Bob"));
  auto mia = login(port, "mia", "manager", "acme");

  Json created = create_conversation(*ann, obj({{"postSurvey", true}, {"skillId", "general"}}));
  const std::string id = created.get_string("/id");
  const std::string by_id = obj({{"conversationId", id}});
  CHECK(created.get_string("/ttr/type") == "NORMAL");
  CHECK(created.is_null("/csat"));
  subscribe(*ann, id, 0);  // from the start: the replay, then live

  // The bot greets, then routes the chat to billing and leaves.
  CHECK(bot->call("join", by_id).get_string("/role") == "BOT");
  send_message(*bot, id, "Hi! I am the bot.");
  send_message(*ann, id, "My invoice is wrong");
  Json routed = bot->call("transfer", obj({{"conversationId", id}, {"skillId", "billing"}}));
  CHECK(routed.get_string("/skillId") == "billing");
  CHECK(routed.is_null("/assignedAgent"));
  bot->call("leave", by_id);

  // Alice takes it from the queue; notes for the agent side only.
  Json taken = alice->call("assign", obj({{"conversationId", id}, {"userId", "alice"}}));
  CHECK(taken.get_string("/role") == "ASSIGNED_AGENT");
  CHECK(taken.get_string("/state") == "ACTIVE");
  expect_error(*bob, "assign", obj({{"conversationId", id}, {"userId", "bob"}}), 409);
  alice->call("sendPrivateMessage", obj({{"conversationId", id}, {"text", "VIP, be nice"}}));
  Json note =
      alice->call("setNote", obj({{"conversationId", id}, {"text", "Disputes the March invoice"}}));
  CHECK(note.is_string("/noteId"));
  CHECK(note.get_bool("/truncated") == false);
  send_message(*alice, id, "Let me check that for you");

  // Alice hands over to Bob, who accepts by joining.
  alice->call("transfer", obj({{"conversationId", id}, {"agentId", "bob"}}));
  Json accepted = bob->call("join", by_id);
  CHECK(accepted.get_string("/role") == "ASSIGNED_AGENT");
  Json after_transfer = bob->call("getConversation", by_id);
  CHECK(after_transfer.get_string("/assignedAgent/userId") == "bob");
  send_message(*bob, id, "Fixed: the refund is on its way");

  // Bob closes: MAIN closes into the post-survey; the conversation stays OPEN.
  Json surveyed =
      bob->call("closeConversation", obj({{"conversationId", id}, {"closedCause", "solved"}}));
  CHECK(surveyed.get_string("/state") == "OPEN");
  CHECK(surveyed.get_string("/status") == "resolved");
  CHECK(surveyed.get_string("/dialogs/1/dialogId") == "POST_SURVEY");
  Json in_survey = send_message(*ann, id, "thanks!");
  Json rated = ann->call(
      "setCsat",
      obj({{"conversationId", id}, {"csatRate", 5}, {"csatResolutionConfirmation", true}}));
  CHECK(rated.get_string("/state") == "CLOSE");
  CHECK(rated.get_int("/csat/csatRate") == 5);
  expect_error(*ann, "sendMessage", obj({{"conversationId", id}, {"text", "hello?"}}), 409);

  // A note after CLOSE is accepted; after LOCKED it is refused.
  bob->call("setNote", obj({{"conversationId", id}, {"text", "Refund issued"}}));
  expect_error(*alice, "lockConversation", by_id, 403);
  CHECK(mia->call("lockConversation", by_id).get_string("/state") == "LOCKED");
  Json refused =
      expect_error(*bob, "setNote", obj({{"conversationId", id}, {"text", "late"}}), 409);
  CHECK(refused.get_string("/error/data/state") == "LOCKED");
  expect_error(*bob, "reopenConversation", by_id, 409);

  // What Ann saw live: every consumer-visible step, nothing of the agent side.
  std::vector<Json> seen = events_until(*ann, id, [](const Json& e) {
    return e.get_string("/type") == "state.changed" && e.get_string("/body/to") == "LOCKED";
  });
  const std::vector<std::string> expected = {"conversation.created",
                                             "member.joined",
                                             "member.joined",
                                             "message",
                                             "message",
                                             "member.left",
                                             "member.joined",
                                             "message",
                                             "member.joined",
                                             "member.left",
                                             "message",
                                             "dialog.closed",
                                             "dialog.opened",
                                             "message",
                                             "csat.set",
                                             "dialog.closed",
                                             "state.changed",
                                             "state.changed"};
  CHECK(types_of(seen) == expected);
  check_consumer_stream(seen);
  for (const Json& e : seen) {
    if (e.get_int("/seq") == in_survey.get_int("/seq"))
      CHECK(e.get_string("/dialogId") == "POST_SURVEY");
  }
  const Json* joined_bob = nullptr;
  for (const Json& e : seen)
    if (e.get_string("/type") == "member.joined" && e.get_string("/body/userId") == "bob")
      joined_bob = &e;
  REQUIRE(joined_bob);
  CHECK(joined_bob->get_bool("/body/previouslySuggested") == true);
  CHECK(joined_bob->get_string("/body/role") == "ASSIGNED_AGENT");

  // The agent side replays the whole log, dense, agents-only events included.
  auto bob2 = login(port, Claims("bob").tenant_("acme").role_("agent"));
  Subscription full = subscribe(*bob2, id, 0);
  EventFollower all(*bob2, id, 0);
  std::vector<std::string> agent_types;
  for (int64_t i = 0; i < full.last_seq; ++i) agent_types.push_back(all.next().get_string("/type"));
  for (const char* t : {"transfer.skill", "message.private", "note.added", "member.suggested",
                        "transfer.agent", "status.changed"})
    CHECK_MESSAGE(std::count(agent_types.begin(), agent_types.end(), t) >= 1, t);
  CHECK(full.last_seq == static_cast<int64_t>(expected.size()) + 7);

  Json notes = bob->call("listNotes", by_id);
  REQUIRE(notes.size("/data") == 2);
  CHECK(notes.get_string("/data/0/text") == "Disputes the March invoice");
  CHECK(notes.get_string("/data/0/agentId") == "alice");
  CHECK(notes.get_string("/data/1/text") == "Refund issued");
  expect_error(*ann, "listNotes", by_id, 403);

  Json final_state = ann->call("getConversation", by_id);
  CHECK(final_state.get_string("/state") == "LOCKED");
  CHECK(final_state.get_string("/assignedAgent/userId") == "bob");
  CHECK(final_state.get_string("/csat/csatStatus") == "FILLED");
  CHECK(final_state.get_string("/dialogs/0/closedCause") == "solved");
  CHECK(final_state.get_string("/dialogs/1/state") == "CLOSE");
}

TEST_CASE("consumerTakeover: the logged-in consumer takes over the anonymous one's chat") {
  BrokerProcess broker(jwt_args());
  auto visitor = login(broker.port(), "visitor-17");
  const std::string id = create_conversation(*visitor).get_string("/id");
  send_message(*visitor, id, "hello, anonymously");
  auto stranger = login(broker.port(), Claims("eve").prev_("visitor-99"));
  expect_error(*stranger, "consumerTakeover", obj({{"conversationId", id}}), 403);
  auto known = login(broker.port(), Claims("kim").prev_("visitor-17").name_("Kim"));
  Json taken = known->call("consumerTakeover", obj({{"conversationId", id}}));
  CHECK(taken.get_string("/consumer/userId") == "kim");
  // Kim reads the history; the visitor no longer may.
  Json log = known->call("queryMessages", obj({{"conversationId", id}}));
  CHECK(log.size("/data") >= 1);
  expect_error(*visitor, "queryMessages", obj({{"conversationId", id}}), 403);
  send_message(*known, id, "it's me, logged in");
}
