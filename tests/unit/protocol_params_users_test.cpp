// decode_frame for the users, drafts and archive methods: the typed params of
// a valid call of each, and each method's own params errors (the shared
// rules are covered by protocol_params_test.cpp).
#include <doctest/doctest.h>

#include <string>

#include "protocol_params_support.hpp"
#include "request.hpp"

using namespace parley;
using namespace parley::testing;

TEST_CASE("users: a valid call of every method") {
  SUBCASE("upsertUser") {
    auto p = ok<params::UpsertUser>(
        "upsertUser", R"({"userId":"u","name":"N","displayName":null,"imageUrl":"https://i"})");
    CHECK(p.user_id == "u");
    CHECK(p.name == "N");
    REQUIRE(p.display_name.has_value());
    CHECK_FALSE(p.display_name->has_value());
    REQUIRE(p.image_url.has_value());
    CHECK(**p.image_url == "https://i");
    auto empty = ok<params::UpsertUser>("upsertUser", "{}");
    CHECK_FALSE(empty.user_id);
    CHECK_FALSE(empty.name);
    CHECK_FALSE(empty.display_name);
    CHECK_FALSE(empty.image_url);
  }
  SUBCASE("getUser") { CHECK(ok<params::GetUser>("getUser", R"({"userId":"u"})").user_id == "u"); }
  SUBCASE("listUsers") {
    auto p = ok<params::ListUsers>("listUsers",
                                   R"({"role":"agent","q":"  ann\tsmith ","limit":5,"cursor":"x"})");
    CHECK(p.role == AccountRole::agent);
    CHECK(p.words == std::vector<std::string>{"ann", "smith"});
    CHECK(p.paging.limit == 5);
    CHECK(p.paging.cursor == "x");
    auto all = ok<params::ListUsers>("listUsers", "{}");
    CHECK_FALSE(all.role);
    CHECK(all.words.empty());
    CHECK(all.paging.limit == 20);
  }
  SUBCASE("listUserConversations") {
    auto p = ok<params::ListUserConversations>("listUserConversations",
                                               R"({"userId":"u","limit":3,"offset":2})");
    CHECK(p.user_id == "u");
    CHECK(p.paging.limit == 3);
    CHECK(p.paging.offset == 2);
  }
  SUBCASE("getInvitableUsers") {
    auto p = ok<params::GetInvitableUsers>("getInvitableUsers",
                                           R"({"conversationId":"c","cursor":"a"})");
    CHECK(p.conversation_id == "c");
    CHECK(p.paging.cursor == "a");
  }
  SUBCASE("saveDraft, getDraft") {
    auto p = ok<params::SaveDraft>("saveDraft", R"({"conversationId":"c","text":"half"})");
    CHECK(p.conversation_id == "c");
    CHECK(p.text == "half");
    CHECK(ok<params::SaveDraft>("saveDraft", R"({"conversationId":"c","text":""})").text.empty());
    CHECK(ok<params::GetDraft>("getDraft", R"({"conversationId":"c"})").conversation_id == "c");
  }
  SUBCASE("archiveConversation") {
    CHECK(ok<params::ArchiveConversation>("archiveConversation",
                                          R"({"conversationId":"c","archived":true})")
              .archived);
    CHECK_FALSE(ok<params::ArchiveConversation>("archiveConversation",
                                                R"({"conversationId":"c","archived":false})")
                    .archived);
  }
}

TEST_CASE("users: each method's own params errors") {
  // Required fields.
  CHECK(error("getUser", "{}") == R"(-32602 {"field":"userId","reason":"required"})");
  CHECK(error("listUserConversations", "{}") ==
        R"(-32602 {"field":"userId","reason":"required"})");
  CHECK(error("getInvitableUsers", "{}") ==
        R"(-32602 {"field":"conversationId","reason":"required"})");
  CHECK(error("saveDraft", R"({"conversationId":"c"})") ==
        R"(-32602 {"field":"text","reason":"required"})");
  CHECK(error("saveDraft", R"({"conversationId":"c","text":null})") ==
        R"(-32602 {"field":"text","reason":"required"})");
  CHECK(error("getDraft", "{}") == R"(-32602 {"field":"conversationId","reason":"required"})");
  CHECK(error("archiveConversation", R"({"conversationId":"c"})") ==
        R"(-32602 {"field":"archived","reason":"required"})");

  // Types, values and ranges.
  CHECK(error("upsertUser", R"({"userId":""})") == R"(-32602 {"field":"userId","reason":"empty"})");
  CHECK(error("upsertUser", R"({"name":null,"displayName":7})") ==
        R"(-32602 {"field":"displayName","reason":"expected string"})");
  CHECK(error("upsertUser", R"({"role":"admin"})") ==
        R"(-32602 {"field":"role","reason":"unknown field"})");
  CHECK(error("listUsers", R"({"role":"boss"})").starts_with(R"(-32602 {"field":"role")"));
  CHECK(error("listUsers", R"({"q":""})") == R"(-32602 {"field":"q","reason":"empty"})");
  CHECK(error("listUsers", R"({"limit":0})").starts_with(R"(-32602 {"field":"limit")"));
  CHECK(error("listUsers", R"({"limit":101})").starts_with(R"(-32602 {"field":"limit")"));
  CHECK(error("listUsers", R"({"offset":1})") ==
        R"(-32602 {"field":"offset","reason":"unknown field"})");
  CHECK(error("getInvitableUsers", R"({"conversationId":"c","offset":1})") ==
        R"(-32602 {"field":"offset","reason":"unknown field"})");
  CHECK(error("saveDraft", R"({"conversationId":"c","text":5})") ==
        R"(-32602 {"field":"text","reason":"expected string"})");
  CHECK(error("archiveConversation", R"({"conversationId":"c","archived":"yes"})") ==
        R"(-32602 {"field":"archived","reason":"expected boolean"})");

  // Limits: the draft follows the text limit, in code points.
  Limits small;
  small.text_chars = 3;
  CHECK(error("saveDraft", R"({"conversationId":"c","text":"héé"})", small) == "ok");
  CHECK(error("saveDraft", R"({"conversationId":"c","text":"abcd"})", small) ==
        R"(413 {"field":"text","limit":3})");
  CHECK(error("upsertUser", R"({"imageUrl":"http://)" + std::string(2042, 'x') + R"("})") ==
        R"(413 {"field":"imageUrl","limit":2048})");
}
