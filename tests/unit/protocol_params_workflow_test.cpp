// decode_frame for the contact-centre methods: the typed params of a valid
// call of each, and each method's own params errors (the shared rules —
// unknown fields, types, ids — are covered by protocol_params_test.cpp).
#include <doctest/doctest.h>
#include <simdjson.h>

#include <string>

#include "protocol_params_support.hpp"
#include "request.hpp"

using namespace parley;
using namespace parley::testing;

TEST_CASE("workflow: a valid call of every method") {
  SUBCASE("closeConversation") {
    auto p = ok<params::CloseConversation>("closeConversation",
                                           R"({"conversationId":"c","closedCause":"solved"})");
    CHECK(p.conversation_id == "c");
    CHECK(p.closed_cause == "solved");
    CHECK_FALSE(ok<params::CloseConversation>("closeConversation", R"({"conversationId":"c"})")
                    .closed_cause);
  }
  SUBCASE("reopenConversation, lockConversation") {
    CHECK(ok<params::ConversationRef>("reopenConversation", R"({"conversationId":"c"})")
              .conversation_id == "c");
    CHECK(ok<params::ConversationRef>("lockConversation", R"({"conversationId":"c"})")
              .conversation_id == "c");
  }
  SUBCASE("setStatus") {
    CHECK(
        ok<params::SetStatus>("setStatus", R"({"conversationId":"c","status":"snoozed"})").status ==
        "snoozed");
  }
  SUBCASE("invite") {
    auto p = ok<params::Invite>("invite", R"({"conversationId":"c","userId":"u","role":"READER"})");
    CHECK(p.user_id == "u");
    CHECK(p.role == ParticipantRole::reader);
  }
  SUBCASE("removeMember, assign") {
    for (auto m : {"removeMember", "assign"}) {
      auto p = ok<params::MemberRef>(m, R"({"conversationId":"c","userId":"u"})");
      CHECK(p.conversation_id == "c");
      CHECK(p.user_id == "u");
    }
  }
  SUBCASE("transfer") {
    auto p =
        ok<params::Transfer>("transfer", R"({"conversationId":"c","agentId":"a","skillId":"s"})");
    CHECK(p.agent_id == "a");
    CHECK(p.skill_id == "s");
    CHECK_FALSE(
        ok<params::Transfer>("transfer", R"({"conversationId":"c","skillId":"s"})").agent_id);
  }
  SUBCASE("setGroup") {
    CHECK(ok<params::SetGroup>("setGroup", R"({"conversationId":"c","groupId":"g"})").group_id ==
          "g");
    CHECK_FALSE(
        ok<params::SetGroup>("setGroup", R"({"conversationId":"c","groupId":null})").group_id);
  }
  SUBCASE("consumerTakeover") {
    CHECK(ok<params::ConsumerTakeover>("consumerTakeover",
                                       R"({"conversationId":"c","newConsumerUserId":"n"})")
              .new_consumer_user_id == "n");
  }
  SUBCASE("sendPrivateMessage") {
    auto p = ok<params::SendMessage>(
        "sendPrivateMessage",
        R"({"conversationId":"c","text":"t","mentions":["a"],"clientMessageId":"m"})");
    CHECK(p.text == "t");
    CHECK(p.mentions == R"(["a"])");
  }
  SUBCASE("sendRichContent") {
    auto p = ok<params::SendRichContent>(
        "sendRichContent",
        R"({"conversationId":"c","content":{ "type" : "card" },"metadata":{},"quickReplies":[],"clientMessageId":"m"})");
    CHECK(p.content == R"({"type":"card"})");
    CHECK(p.metadata == "{}");
    CHECK(p.quick_replies == "[]");
    CHECK(p.client_message_id == "m");
  }
  SUBCASE("sendFile") {
    auto p = ok<params::SendFile>(
        "sendFile",
        R"({"conversationId":"c","url":"https://x/y.pdf","name":"y.pdf","mimeType":"application/pdf","size":10,"caption":"see"})");
    CHECK(p.url == "https://x/y.pdf");
    CHECK(p.name == "y.pdf");
    CHECK(p.mime_type == "application/pdf");
    CHECK(p.size == 10u);
    CHECK(p.caption == "see");
  }
  SUBCASE("sendEvent") {
    auto p = ok<params::SendEvent>(
        "sendEvent",
        R"({"conversationId":"c","name":"n","data":[1, {"a" : null}],"visibility":"agents"})");
    CHECK(p.name == "n");
    CHECK(p.data == R"([1,{"a":null}])");
    CHECK(p.visibility == Visibility::agents);
    CHECK(ok<params::SendEvent>("sendEvent", R"({"conversationId":"c","name":"n","data":null})")
              .data == "null");
  }
  SUBCASE("setNote") {
    auto p = ok<params::SetNote>(
        "setNote", R"({"conversationId":"c","text":"t","isAutoSummary":true,"truncate":false})");
    CHECK(p.text == "t");
    CHECK(p.is_auto_summary);
    CHECK_FALSE(p.truncate);
    auto d = ok<params::SetNote>("setNote", R"({"conversationId":"c","text":"t"})");
    CHECK_FALSE(d.is_auto_summary);
    CHECK(d.truncate);
  }
  SUBCASE("listNotes") {
    auto p = ok<params::ListNotes>("listNotes",
                                   R"({"conversationId":"c","limit":5,"cursor":"9","offset":1})");
    CHECK(p.paging.limit == 5);
    CHECK(p.paging.cursor == "9");
    CHECK(p.paging.offset == 1);
  }
  SUBCASE("setCsat") {
    auto p = ok<params::SetCsat>(
        "setCsat",
        R"({"conversationId":"c","csatRate":5,"csatResolutionConfirmation":false,"csatStatus":"SKIPPED"})");
    CHECK(p.rate == 5);
    CHECK_FALSE(p.resolution_confirmation);
    CHECK(p.status == "SKIPPED");
    CHECK(ok<params::SetCsat>(
              "setCsat", R"({"conversationId":"c","csatRate":1,"csatResolutionConfirmation":true})")
              .status == "FILLED");
  }
  SUBCASE("setTtr") {
    auto p =
        ok<params::SetTtr>("setTtr", R"({"conversationId":"c","ttrType":"CUSTOM","value":90})");
    CHECK(p.type == "CUSTOM");
    CHECK(p.value == 90);
    CHECK_FALSE(ok<params::SetTtr>("setTtr", R"({"conversationId":"c","ttrType":"URGENT"})").value);
  }
  SUBCASE("setManualEttr") {
    CHECK(
        ok<params::SetManualEttr>("setManualEttr", R"({"conversationId":"c","time":1700000000000})")
            .time == 1700000000000);
    CHECK_FALSE(
        ok<params::SetManualEttr>("setManualEttr", R"({"conversationId":"c","time":null})").time);
  }
}

TEST_CASE("workflow: each method's own params errors") {
  // Required fields.
  CHECK(error("setStatus", R"({"conversationId":"c"})") ==
        R"(-32602 {"field":"status","reason":"required"})");
  CHECK(error("invite", R"({"conversationId":"c","userId":"u"})") ==
        R"(-32602 {"field":"role","reason":"required"})");
  CHECK(error("assign", R"({"conversationId":"c"})") ==
        R"(-32602 {"field":"userId","reason":"required"})");
  CHECK(error("setGroup", R"({"conversationId":"c"})") ==
        R"(-32602 {"field":"groupId","reason":"required"})");
  CHECK(error("setManualEttr", R"({"conversationId":"c"})") ==
        R"(-32602 {"field":"time","reason":"required"})");
  CHECK(error("sendRichContent", R"({"conversationId":"c"})") ==
        R"(-32602 {"field":"content","reason":"required"})");
  CHECK(error("sendFile", R"({"conversationId":"c","name":"n"})") ==
        R"(-32602 {"field":"url","reason":"required"})");
  CHECK(error("sendEvent", R"({"conversationId":"c","name":"n"})") ==
        R"(-32602 {"field":"data","reason":"required"})");
  CHECK(error("setCsat", R"({"conversationId":"c","csatRate":3})") ==
        R"(-32602 {"field":"csatResolutionConfirmation","reason":"required"})");
  CHECK(error("setNote", R"({"conversationId":"c"})") ==
        R"(-32602 {"field":"text","reason":"required"})");

  // Enums and ranges.
  CHECK(error("setStatus", R"({"conversationId":"c","status":"closed"})") ==
        R"(-32602 {"field":"status","reason":"must be one of open|pending|snoozed|resolved"})");
  CHECK(error("invite", R"({"conversationId":"c","userId":"u","role":"ASSIGNED_AGENT"})") ==
        R"(-32602 {"field":"role","reason":"must be one of CONSUMER|AGENT|MANAGER|READER|BOT"})");
  CHECK(error("setCsat",
              R"({"conversationId":"c","csatRate":6,"csatResolutionConfirmation":true})") ==
        R"(-32602 {"field":"csatRate","reason":"out of range"})");
  CHECK(error("setCsat",
              R"({"conversationId":"c","csatRate":0,"csatResolutionConfirmation":true})") ==
        R"(-32602 {"field":"csatRate","reason":"out of range"})");
  CHECK(error("setCsat",
              R"({"conversationId":"c","csatRate":2,"csatResolutionConfirmation":"yes"})") ==
        R"(-32602 {"field":"csatResolutionConfirmation","reason":"expected boolean"})");
  CHECK(error("sendEvent", R"({"conversationId":"c","name":"n","data":1,"visibility":"some"})") ==
        R"(-32602 {"field":"visibility","reason":"must be one of all|agents"})");
  CHECK(error("setManualEttr", R"({"conversationId":"c","time":0})") ==
        R"(-32602 {"field":"time","reason":"out of range"})");
  // At most 9999-12-31T23:59:59.999Z, like setTtr's value at most a century.
  CHECK(*ok<params::SetManualEttr>("setManualEttr",
                                   R"({"conversationId":"c","time":253402300799999})")
             .time == 253402300799999);
  for (auto time : {"253402300800000", "9223372036854775807"})
    CHECK_MESSAGE(error("setManualEttr", R"({"conversationId":"c","time":)" + std::string(time) +
                                             "}") ==
                      R"(-32602 {"field":"time","reason":"out of range"})",
                  time);

  // The rules of each method.
  CHECK(error("transfer", R"({"conversationId":"c"})") ==
        R"(-32602 {"field":"agentId","reason":"one of agentId, skillId required"})");
  CHECK(error("setTtr", R"({"conversationId":"c","ttrType":"CUSTOM"})") ==
        R"(-32602 {"field":"value","reason":"required with CUSTOM"})");
  CHECK(error("setTtr", R"({"conversationId":"c","ttrType":"NORMAL","value":5})") ==
        R"(-32602 {"field":"value","reason":"only with CUSTOM"})");
  CHECK(error("setTtr", R"({"conversationId":"c","ttrType":"CUSTOM","value":0})") ==
        R"(-32602 {"field":"value","reason":"out of range"})");
  CHECK(error("sendPrivateMessage", R"({"conversationId":"c","text":"t","quickReplies":[]})") ==
        R"(-32602 {"field":"quickReplies","reason":"not allowed in a private message"})");
  for (auto url : {"javascript:alert(1)", "file:///etc/passwd", "ftp://x/y"})
    CHECK(error("sendFile",
                R"({"conversationId":"c","name":"n","url":")" + std::string(url) + R"("})") ==
          R"(-32602 {"field":"url","reason":"expected an http(s) URL"})");
  CHECK(error("sendFile", R"({"conversationId":"c","url":"http://x","name":"n","size":-1})") ==
        R"(-32602 {"field":"size","reason":"out of range"})");
  CHECK(error("sendRichContent", R"({"conversationId":"c","content":[1]})") ==
        R"(-32602 {"field":"content","reason":"expected object"})");
  CHECK(error("setGroup", R"({"conversationId":"c","groupId":""})") ==
        R"(-32602 {"field":"groupId","reason":"empty"})");
  CHECK(error("listNotes", R"({"conversationId":"c","limit":0})") ==
        R"(-32602 {"field":"limit","reason":"out of range"})");
}

TEST_CASE("workflow: limits") {
  Limits l;
  l.rich_content_chars = 20;
  l.metadata_bytes = 10;
  l.text_chars = 3;
  // Rich content counts code points of the serialized object: {"t":"éééé"}
  // is 12 characters (16 bytes).
  const std::string accented = R"({"conversationId":"c","content":{"t":"éééé"}})";
  CHECK(error("sendRichContent", accented, l) == "ok");
  l.rich_content_chars = 11;
  CHECK(error("sendRichContent", accented, l) == R"(413 {"field":"content","limit":11})");
  CHECK(error("sendEvent", R"({"conversationId":"c","name":"n","data":"0123456789"})", l) ==
        R"(413 {"field":"data","limit":10})");
  CHECK(error("sendFile", R"({"conversationId":"c","url":"http://x","name":"n","caption":"abcd"})",
              l) == R"(413 {"field":"caption","limit":3})");
  // A note is not bounded by the decoder: the rules truncate or refuse it.
  l.note_chars = 2;
  CHECK(error("setNote", R"({"conversationId":"c","text":"a long note"})", l) == "ok");
}
