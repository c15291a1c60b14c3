// serialize.hpp: the Conversation, Event and member objects of PROTOCOL.md
// §4 and the JSON-RPC envelopes of §2.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "serialize.hpp"

using namespace parley;

namespace {

Conversation sample_conversation() {
  Conversation c;
  c.tenant = "t";
  c.id = "9dbe9e94";
  c.name = "conversation-office";
  c.display_name = "Office";
  c.skill_id = "billing";
  c.metadata = R"({"k":[1,2]})";
  c.dialogs.push_back({"MAIN", "MAIN", true, 1000, 0, ""});
  c.members.push_back({"c1", "Ann", ParticipantRole::consumer, MemberState::active, 1000});
  c.members.push_back(
      {"a0", "Old", ParticipantRole::assigned_agent, MemberState::left, 1000, 1500});
  c.epoch = "b3f1c2";
  c.last_seq = 12;
  c.created_at = 1000;
  c.updated_at = 2000;
  return c;
}

std::string conversation_json(const Conversation& c, ViewerState v = {}) {
  JsonWriter w;
  write_conversation(w, c, v);
  return w.take();
}

std::vector<std::string> keys_of(simdjson::dom::object obj) {
  std::vector<std::string> keys;
  for (auto field : obj) keys.emplace_back(field.key);
  return keys;
}

Event sample_event() {
  Event e;
  e.type = "message";
  e.from_user = "c1";
  e.from_role = "CONSUMER";
  e.client_message_id = "m-77";
  e.body = R"({"text":"How can I help you today?"})";
  e.seq = 42;
  e.prev_public_seq = 39;
  e.ts = 1708192187729;
  return e;
}

}  // namespace

TEST_CASE("the Conversation object: keys in order, nulls where unset") {
  Conversation c = sample_conversation();
  std::string json = conversation_json(c, {3, true, Audience::agents, {}});
  simdjson::dom::parser p;
  simdjson::dom::object obj;
  REQUIRE(p.parse(json).get_object().get(obj) == simdjson::SUCCESS);
  CHECK(keys_of(obj) == std::vector<std::string>{
                            "id",        "name",       "displayName",   "imageUrl", "externalId",
                            "channel",   "campaignId", "skillId",       "groupId",  "metadata",
                            "state",     "status",     "dialogs",       "consumer", "assignedAgent",
                            "ttr",       "csat",       "epoch",         "lastSeq",  "lastMessage",
                            "createdAt", "updatedAt",  "lastMessageAt", "unread",   "archived",
                            "ttl"});
  CHECK(std::string_view(obj["id"]) == "9dbe9e94");
  CHECK(std::string_view(obj["name"]) == "conversation-office");
  CHECK(obj["imageUrl"].is_null());
  CHECK(obj["externalId"].is_null());
  CHECK(obj["campaignId"].is_null());
  CHECK(obj["groupId"].is_null());
  CHECK(std::string_view(obj["channel"]) == "web");
  CHECK(simdjson::minify(obj["metadata"]) == R"({"k":[1,2]})");
  CHECK(std::string_view(obj["state"]) == "OPEN");
  CHECK(std::string_view(obj["status"]) == "open");
  CHECK(std::string_view(obj["consumer"]["userId"]) == "c1");
  CHECK(std::string_view(obj["consumer"]["name"]) == "Ann");
  CHECK(obj["assignedAgent"].is_null());  // the only one has LEFT
  // TTR NORMAL by default: the creation plus the configured 3600 s.
  CHECK(minify(obj["ttr"]) ==
        R"({"type":"NORMAL","value":3600,"effective":3601000,"manualEffective":null})");
  CHECK(obj["csat"].is_null());
  CHECK(std::string_view(obj["epoch"]) == "b3f1c2");
  CHECK(uint64_t(obj["lastSeq"]) == 12);
  CHECK(obj["lastMessage"].is_null());
  CHECK(int64_t(obj["createdAt"]) == 1000);
  CHECK(int64_t(obj["updatedAt"]) == 2000);
  CHECK(obj["lastMessageAt"].is_null());
  CHECK(uint64_t(obj["unread"]) == 3);
  CHECK(bool(obj["archived"]) == true);
  CHECK(obj["ttl"].is_null());
  simdjson::dom::array dialogs = obj["dialogs"];
  REQUIRE(dialogs.size() == 1);
  CHECK(minify(dialogs.at(0)) ==
        R"({"dialogId":"MAIN","type":"MAIN","state":"OPEN","openedAt":1000})");
}

TEST_CASE("the Conversation object: consumers see no routing (skillId, groupId)") {
  Conversation c = sample_conversation();
  c.group_id = "g";
  simdjson::dom::parser p;
  simdjson::dom::element agents, consumers;
  REQUIRE(p.parse(conversation_json(c, {0, false, Audience::agents, {}})).get(agents) ==
          simdjson::SUCCESS);
  CHECK(std::string_view(agents["skillId"]) == "billing");
  CHECK(std::string_view(agents["groupId"]) == "g");
  simdjson::dom::parser q;
  REQUIRE(q.parse(conversation_json(c, {0, false, Audience::consumers, {}})).get(consumers) ==
          simdjson::SUCCESS);
  CHECK(consumers["skillId"].is_null());
  CHECK(consumers["groupId"].is_null());
}

TEST_CASE("the Conversation object: set values") {
  Conversation c = sample_conversation();
  c.state = ConvState::close;
  c.status = "resolved";
  c.image_url = "u";
  c.external_id = "e";
  c.group_id = "g";
  c.ttl = 3600;
  c.members.push_back({"a1", "Bob", ParticipantRole::assigned_agent, MemberState::active, 1200});
  c.last_message = {12, "c1", "last words", 1900};
  c.last_message_at = 1900;
  c.dialogs[0].open = false;
  c.dialogs[0].closed_at = 1950;
  c.dialogs[0].closed_cause = "agent";
  c.dialogs.push_back({"POST_SURVEY", "POST_SURVEY", false, 1950, 1960, ""});
  std::string json = conversation_json(c);
  simdjson::dom::parser p;
  simdjson::dom::element obj;
  REQUIRE(p.parse(json).get(obj) == simdjson::SUCCESS);
  CHECK(std::string_view(obj["state"]) == "CLOSE");
  CHECK(std::string_view(obj["status"]) == "resolved");
  CHECK(std::string_view(obj["groupId"]) == "g");
  CHECK(int64_t(obj["ttl"]) == 3600);
  CHECK(minify(obj["assignedAgent"]) == R"({"userId":"a1","name":"Bob"})");
  CHECK(minify(obj["lastMessage"]) == R"({"seq":12,"from":"c1","text":"last words","ts":1900})");
  CHECK(int64_t(obj["lastMessageAt"]) == 1900);
  CHECK(uint64_t(obj["unread"]) == 0);
  CHECK(bool(obj["archived"]) == false);
  CHECK(minify(obj["dialogs"]) ==
        R"([{"dialogId":"MAIN","type":"MAIN","state":"CLOSE","openedAt":1000,"closedAt":1950,)"
        R"("closedCause":"agent"},{"dialogId":"POST_SURVEY","type":"POST_SURVEY","state":"CLOSE",)"
        R"("openedAt":1950,"closedAt":1960}])");
}

TEST_CASE("the Conversation object: TTR, CSAT, and what consumers do not see") {
  Conversation c = sample_conversation();
  c.group_id = "vip";
  c.ttr_type = "CUSTOM";
  c.ttr_value = 90;
  c.last_consumer_message_at = 5000;
  c.csat = Csat{4, true, "FILLED", 6000};
  ViewerState agents;
  agents.ttr.normal = 100;
  simdjson::dom::parser p;
  simdjson::dom::element obj;
  REQUIRE(p.parse(conversation_json(c, agents)).get(obj) == simdjson::SUCCESS);
  // CUSTOM: the consumer's last message plus its own value.
  CHECK(simdjson::minify(obj["ttr"]) ==
        R"({"type":"CUSTOM","value":90,"effective":95000,"manualEffective":null})");
  c.ttr_manual = 7777;
  REQUIRE(p.parse(conversation_json(c, agents)).get(obj) == simdjson::SUCCESS);
  CHECK(simdjson::minify(obj["ttr"]) ==
        R"({"type":"CUSTOM","value":90,"effective":7777,"manualEffective":7777})");
  CHECK(simdjson::minify(obj["csat"]) == R"({"csatRate":4,"csatResolutionConfirmation":true,)"
                                         R"("csatStatus":"FILLED","setAt":6000})");
  CHECK(std::string_view(obj["groupId"]) == "vip");
  // The manual ETTR and the group are the agent side's routing.
  ViewerState consumer = agents;
  consumer.audience = Audience::consumers;
  REQUIRE(p.parse(conversation_json(c, consumer)).get(obj) == simdjson::SUCCESS);
  CHECK(simdjson::minify(obj["ttr"]) ==
        R"({"type":"CUSTOM","value":90,"effective":95000,"manualEffective":null})");
  CHECK(obj["groupId"].is_null());
  CHECK(simdjson::minify(obj["csat"]) == R"({"csatRate":4,"csatResolutionConfirmation":true,)"
                                         R"("csatStatus":"FILLED","setAt":6000})");
}

TEST_CASE("an Event for each audience: prevSeq differs") {
  Event e = sample_event();
  JsonWriter agents, consumers;
  write_event(agents, e, "conv-1", "ep", Audience::agents);
  write_event(consumers, e, "conv-1", "ep", Audience::consumers);
  CHECK(agents.str() ==
        R"({"conversationId":"conv-1","epoch":"ep","seq":42,"prevSeq":41,"type":"message",)"
        R"("dialogId":"MAIN","from":{"userId":"c1","role":"CONSUMER"},"ts":1708192187729,)"
        R"("visibility":"all","clientMessageId":"m-77",)"
        R"("body":{"text":"How can I help you today?"}})");
  simdjson::dom::parser p;
  simdjson::dom::element obj;
  REQUIRE(p.parse(consumers.str()).get(obj) == simdjson::SUCCESS);
  CHECK(uint64_t(obj["prevSeq"]) == 39);
  CHECK(uint64_t(obj["seq"]) == 42);
}

TEST_CASE("conversation.created: consumers read skillId null, the rest as stored") {
  Event e = sample_event();
  e.type = "conversation.created";
  e.body = R"({"name":null,"channel":"web","skillId":"billing","metadata":{}})";
  JsonWriter agents, consumers;
  write_event(agents, e, "c", "ep", Audience::agents);
  write_event(consumers, e, "c", "ep", Audience::consumers);
  simdjson::dom::parser p, q;
  simdjson::dom::element a, c;
  REQUIRE(p.parse(agents.str()).get(a) == simdjson::SUCCESS);
  REQUIRE(q.parse(consumers.str()).get(c) == simdjson::SUCCESS);
  CHECK(minify(a["body"]) == e.body);
  CHECK(minify(c["body"]) == R"({"name":null,"channel":"web","skillId":null,"metadata":{}})");
  CHECK(uint64_t(c["seq"]) == 42);
}

TEST_CASE("an Event without sender or client id") {
  Event e = sample_event();
  e.from_user.clear();
  e.from_role = "SYSTEM";
  e.client_message_id.clear();
  e.type = "status.changed";
  e.visibility = Visibility::agents;
  e.body = R"({"from":"open","to":"pending"})";
  JsonWriter w;
  write_event(w, e, "c", "ep", Audience::agents);
  simdjson::dom::parser p;
  simdjson::dom::object obj;
  REQUIRE(p.parse(w.str()).get_object().get(obj) == simdjson::SUCCESS);
  CHECK(obj["from"].is_null());
  CHECK(obj["clientMessageId"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(std::string_view(obj["visibility"]) == "agents");
  CHECK(minify(obj["body"]) == R"({"from":"open","to":"pending"})");
}

TEST_CASE("strings are escaped: quotes, backslashes and control characters") {
  Conversation c = sample_conversation();
  c.name = std::string("q\"b\\n\nt\tz\x01\x1f", 11) + std::string(1, '\0') + "é";
  c.members[0].name = "A\"nn";
  std::string json = conversation_json(c);
  CHECK(json.find(R"("name":"q\"b\\n\nt\tz\u0001\u001f\u0000é")") != std::string::npos);
  simdjson::dom::parser p;
  simdjson::dom::element obj;
  REQUIRE(p.parse(json).get(obj) == simdjson::SUCCESS);
  CHECK(std::string_view(obj["name"]) == *c.name);
  CHECK(std::string_view(obj["consumer"]["name"]) == "A\"nn");

  Event e = sample_event();
  e.client_message_id = "m\"1\n";
  JsonWriter w;
  write_event(w, e, "c\x02", "ep", Audience::consumers);
  REQUIRE(p.parse(w.str()).get(obj) == simdjson::SUCCESS);
  CHECK(std::string_view(obj["clientMessageId"]) == "m\"1\n");
  CHECK(std::string_view(obj["conversationId"]) == "c\x02");
}

TEST_CASE("member rows and unread per audience") {
  Conversation c = sample_conversation();
  c.messages_all = 10;
  c.messages_public = 7;
  Member consumer{"c1", "Ann", ParticipantRole::consumer, MemberState::active, 1000};
  consumer.last_read_seq = 5;
  consumer.read_messages_all = 4;
  consumer.read_messages_public = 3;
  Member agent{"a1", "Bob", ParticipantRole::agent, MemberState::left, 1100, 1300};
  agent.read_messages_all = 4;
  agent.read_messages_public = 3;
  agent.last_accept_seq = 2;
  CHECK(unread_of(consumer, c) == 4);  // 7 - 3: public messages only
  CHECK(unread_of(agent, c) == 6);     // 10 - 4: agent side sees all
  Member ahead = consumer;
  ahead.read_messages_public = 9;  // never negative
  CHECK(unread_of(ahead, c) == 0);
  for (auto role : {ParticipantRole::assigned_agent, ParticipantRole::manager,
                    ParticipantRole::reader, ParticipantRole::bot}) {
    Member m = agent;
    m.role = role;
    CHECK(unread_of(m, c) == 6);
  }

  JsonWriter w;
  write_member(w, consumer, c);
  CHECK(w.str() ==
        R"({"userId":"c1","name":"Ann","role":"CONSUMER","state":"ACTIVE","joinedAt":1000,)"
        R"("leftAt":null,"lastReadSeq":5,"lastAcceptSeq":0,"unread":4})");
  w.clear();
  write_member(w, agent, c);
  CHECK(w.str() == R"({"userId":"a1","name":"Bob","role":"AGENT","state":"LEFT","joinedAt":1100,)"
                   R"("leftAt":1300,"lastReadSeq":0,"lastAcceptSeq":2,"unread":6})");
}

TEST_CASE("response and notification envelopes") {
  simdjson::dom::parser p;
  simdjson::dom::element obj;

  std::string ok = response_result("7", R"({"seq":1})");
  CHECK(ok == R"({"jsonrpc":"2.0","id":7,"result":{"seq":1}})");
  REQUIRE(p.parse(ok).get(obj) == simdjson::SUCCESS);
  CHECK(std::string_view(obj["jsonrpc"]) == "2.0");

  std::string with_data = response_error(R"("a\"b")", conflict("CLOSE", "conversation is CLOSE"));
  REQUIRE(p.parse(with_data).get(obj) == simdjson::SUCCESS);
  CHECK(std::string_view(obj["id"]) == "a\"b");
  CHECK(int64_t(obj["error"]["code"]) == 409);
  CHECK(std::string_view(obj["error"]["message"]) == "conversation is CLOSE");
  CHECK(std::string_view(obj["error"]["data"]["state"]) == "CLOSE");

  std::string no_data = response_error("null", parse_error());
  CHECK(no_data ==
        R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error: not JSON"}})");
  REQUIRE(p.parse(no_data).get(obj) == simdjson::SUCCESS);
  CHECK(obj["error"]["data"].error() == simdjson::NO_SUCH_FIELD);

  std::string note = notification("chatState", R"({"conversationId":"c","state":"COMPOSING"})");
  CHECK(
      note ==
      R"({"jsonrpc":"2.0","method":"chatState","params":{"conversationId":"c","state":"COMPOSING"}})");
  REQUIRE(p.parse(note).get(obj) == simdjson::SUCCESS);
  CHECK(obj["id"].error() == simdjson::NO_SUCH_FIELD);
}

TEST_CASE("event_frame is the event push for one audience") {
  Event e = sample_event();
  auto agents = event_frame(e, "conv-1", "ep", Audience::agents);
  auto consumers = event_frame(e, "conv-1", "ep", Audience::consumers);
  REQUIRE(agents);
  simdjson::dom::parser p;
  simdjson::dom::element obj;
  REQUIRE(p.parse(*agents).get(obj) == simdjson::SUCCESS);
  CHECK(std::string_view(obj["method"]) == "event");
  CHECK(uint64_t(obj["params"]["seq"]) == 42);
  CHECK(uint64_t(obj["params"]["prevSeq"]) == 41);
  REQUIRE(p.parse(*consumers).get(obj) == simdjson::SUCCESS);
  CHECK(uint64_t(obj["params"]["prevSeq"]) == 39);
  JsonWriter w;
  write_event(w, e, "conv-1", "ep", Audience::agents);
  CHECK(*agents == notification("event", w.str()));
}
