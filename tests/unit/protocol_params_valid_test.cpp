// decode_frame: a valid call of every method decodes to its typed params
// (PROTOCOL.md §5 methods). The errors are in protocol_params_test.cpp.
#include <doctest/doctest.h>

#include <string>

#include "protocol_params_support.hpp"
#include "request.hpp"

using namespace parley;
using namespace parley::testing;

TEST_CASE("a valid call of every method") {
  SUBCASE("authenticate with a token") {
    auto p = ok<params::Authenticate>("authenticate", R"({"token":"a.b.c"})");
    CHECK(*p.token == "a.b.c");
    CHECK_FALSE(p.user_id);
  }
  SUBCASE("authenticate, the dev form") {
    auto p = ok<params::Authenticate>(
        "authenticate", R"({"userId":"u1","role":"agent","tenant":"acme","name":"Ann"})");
    CHECK_FALSE(p.token);
    CHECK(*p.user_id == "u1");
    CHECK(*p.role == "agent");
    CHECK(*p.tenant == "acme");
    CHECK(*p.name == "Ann");
    auto minimal = ok<params::Authenticate>("authenticate", R"({"userId":"u1"})");
    CHECK_FALSE(minimal.role);
  }
  SUBCASE("ping") { ok<params::Ping>("ping", "{}"); }
  SUBCASE("createConversation, everything") {
    auto p = ok<params::CreateConversation>("createConversation", R"({
      "name":"n","displayName":"D","imageUrl":"https://x/y.png","externalId":"e-1",
      "channel":"sms","campaignId":"camp","skillId":"billing","metadata":{ "a" : [1, 2] },
      "ttl":60,"postSurvey":true,
      "participants":[{"userId":"a1","role":"ASSIGNED_AGENT"},{"userId":"r","role":"READER"}],
      "clientRequestId":"req-1"})");
    CHECK(*p.name == "n");
    CHECK(*p.display_name == "D");
    CHECK(*p.image_url == "https://x/y.png");
    CHECK(*p.external_id == "e-1");
    CHECK(*p.channel == "sms");
    CHECK(*p.campaign_id == "camp");
    CHECK(*p.skill_id == "billing");
    CHECK(*p.metadata == R"({"a":[1,2]})");  // minified
    CHECK(*p.ttl == 60);
    CHECK(p.post_survey);
    REQUIRE(p.participants.size() == 2);
    CHECK(p.participants[0].user_id == "a1");
    CHECK(p.participants[0].role == ParticipantRole::assigned_agent);
    CHECK(p.participants[1].role == ParticipantRole::reader);
    CHECK(*p.client_request_id == "req-1");
  }
  SUBCASE("createConversation, nothing") {
    auto p = ok<params::CreateConversation>("createConversation", "{}");
    CHECK_FALSE(p.name);
    CHECK_FALSE(p.metadata);
    CHECK_FALSE(p.post_survey);
    CHECK(p.participants.empty());
    // No params at all reads as {}.
    auto f = decode_frame(R"({"jsonrpc":"2.0","id":1,"method":"createConversation"})", {});
    REQUIRE(f.ok());
    CHECK(f->calls[0].params.ok());
  }
  SUBCASE("getConversation by id or by externalId") {
    auto by_id = ok<params::GetConversation>("getConversation", R"({"conversationId":"c1"})");
    CHECK(*by_id.conversation_id == "c1");
    CHECK_FALSE(by_id.external_id);
    auto by_ext = ok<params::GetConversation>("getConversation", R"({"externalId":"x"})");
    CHECK(*by_ext.external_id == "x");
  }
  SUBCASE("listConversations, defaults") {
    auto p = ok<params::ListConversations>("listConversations", "{}");
    CHECK(p.descending);
    CHECK(p.paging.limit == 20);
    CHECK(p.paging.offset == 0);
    CHECK_FALSE(p.paging.cursor);
    CHECK_FALSE(p.filter.state);
    CHECK_FALSE(p.filter.member_of_me);
  }
  SUBCASE("listConversations, everything") {
    auto p = ok<params::ListConversations>("listConversations", R"({
      "filter":{"state":"CLOSE","status":"pending","channel":"web","skillId":"s",
                "campaignId":"c","assignedTo":"me","memberOf":"me","since":5,"until":10,
                "archived":false},
      "order":"asc","limit":100,"cursor":"abc","offset":40})");
    CHECK(*p.filter.state == ConvState::close);
    CHECK(*p.filter.status == "pending");
    CHECK(*p.filter.channel == "web");
    CHECK(*p.filter.skill_id == "s");
    CHECK(*p.filter.campaign_id == "c");
    CHECK(*p.filter.assigned_to == "me");
    CHECK(p.filter.member_of_me);
    CHECK(*p.filter.since == 5);
    CHECK(*p.filter.until == 10);
    CHECK(*p.filter.archived == false);
    CHECK_FALSE(p.descending);
    CHECK(p.paging.limit == 100);
    CHECK(*p.paging.cursor == "abc");
    CHECK(p.paging.offset == 40);
  }
  SUBCASE("updateConversation") {
    auto p = ok<params::UpdateConversation>(
        "updateConversation",
        R"({"conversationId":"c","name":"n","displayName":"d","imageUrl":"http://u","metadata":{},"ttl":5})");
    CHECK(p.conversation_id == "c");
    CHECK(**p.name == "n");
    CHECK(**p.display_name == "d");
    CHECK(**p.image_url == "http://u");
    CHECK(*p.metadata == "{}");
    CHECK_FALSE(p.metadata_patch);
    CHECK(**p.ttl == 5);
  }
  SUBCASE("the conversation-reference methods") {
    for (std::string_view m : {"deleteConversation", "leave", "listMembers", "unsubscribe"}) {
      CAPTURE(m);
      auto p = ok<params::ConversationRef>(m, R"({"conversationId":"c9"})");
      CHECK(p.conversation_id == "c9");
    }
  }
  SUBCASE("join") {
    auto p = ok<params::Join>("join", R"({"conversationId":"c"})");
    CHECK_FALSE(p.role);
    p = ok<params::Join>("join", R"({"conversationId":"c","role":"MANAGER"})");
    CHECK(*p.role == ParticipantRole::manager);
  }
  SUBCASE("sendMessage") {
    auto p = ok<params::SendMessage>("sendMessage", R"({"conversationId":"c","text":"hi",
      "metadata":{"k":"v"},"quickReplies":[{"title":"Yes"}],"mentions":["u1","u2"],
      "clientMessageId":"m-1"})");
    CHECK(p.conversation_id == "c");
    CHECK(p.text == "hi");
    CHECK(*p.metadata == R"({"k":"v"})");
    CHECK(*p.quick_replies == R"([{"title":"Yes"}])");
    CHECK(*p.mentions == R"(["u1","u2"])");
    CHECK(*p.client_message_id == "m-1");
    auto bare = ok<params::SendMessage>("sendMessage", R"({"conversationId":"c","text":"x"})");
    CHECK_FALSE(bare.metadata);
    CHECK_FALSE(bare.quick_replies);
    CHECK_FALSE(bare.mentions);
    CHECK_FALSE(bare.client_message_id);
    auto no_mentions = ok<params::SendMessage>(
        "sendMessage", R"({"conversationId":"c","text":"x","mentions":[]})");
    CHECK(*no_mentions.mentions == "[]");
  }
  SUBCASE("editMessage and deleteMessage") {
    auto e = ok<params::EditMessage>("editMessage", R"({"conversationId":"c","seq":4,"text":"t"})");
    CHECK(e.seq == 4);
    CHECK(e.text == "t");
    auto d = ok<params::DeleteMessage>("deleteMessage", R"({"conversationId":"c","seq":0})");
    CHECK(d.seq == 0);
  }
  SUBCASE("queryMessages") {
    auto p = ok<params::QueryMessages>("queryMessages", "{}");
    CHECK_FALSE(p.conversation_id);
    CHECK(p.limit == 20);
    CHECK_FALSE(p.descending);
    p = ok<params::QueryMessages>("queryMessages", R"({"conversationId":"c","fromSeq":1,
      "toSeq":9,"since":0,"until":99,"types":["message","message.rich"],"order":"desc",
      "limit":200})");
    CHECK(*p.conversation_id == "c");
    CHECK(*p.from_seq == 1);
    CHECK(*p.to_seq == 9);
    CHECK(*p.since == 0);
    CHECK(*p.until == 99);
    REQUIRE(p.types.size() == 2);
    CHECK(p.types[1] == "message.rich");
    CHECK(p.descending);
    CHECK(p.limit == 200);
  }
  SUBCASE("subscribe") {
    auto p = ok<params::Subscribe>("subscribe", R"({"conversationId":"c"})");
    CHECK_FALSE(p.since_seq);
    p = ok<params::Subscribe>("subscribe", R"({"conversationId":"c","sinceSeq":0,"epoch":"e1"})");
    CHECK(*p.since_seq == 0);
    CHECK(*p.epoch == "e1");
  }
  SUBCASE("setChatState") {
    for (std::string_view s : {"COMPOSING", "PAUSE", "ACTIVE", "INACTIVE", "GONE"}) {
      auto p = ok<params::SetChatState>("setChatState",
                                        R"({"conversationId":"c","state":)" + jstr(s) + "}");
      CHECK(p.state == s);
    }
  }
  SUBCASE("markRead") {
    auto p = ok<params::MarkRead>("markRead", R"({"conversationId":"c","seq":7})");
    CHECK(p.seq == 7);
    CHECK_FALSE(p.accept);
    p = ok<params::MarkRead>("markRead", R"({"conversationId":"c","seq":7,"status":"ACCEPT"})");
    CHECK(p.accept);
    p = ok<params::MarkRead>("markRead", R"({"conversationId":"c","seq":7,"status":"READ"})");
    CHECK_FALSE(p.accept);
  }
}
