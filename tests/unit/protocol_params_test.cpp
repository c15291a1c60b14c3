// decode_frame: the typed params of every method and every params error
// (PROTOCOL.md §2 error data, §5 methods, §6 limits).
#include <doctest/doctest.h>
#include <simdjson.h>

#include <string>

#include "protocol_params_support.hpp"
#include "request.hpp"

using namespace parley;
using namespace parley::testing;

namespace {

simdjson::dom::element data_of(simdjson::dom::parser& parser, const Error& e) {
  simdjson::dom::element root;
  REQUIRE(parser.parse(e.data).get(root) == simdjson::SUCCESS);
  return root;
}

// Expects -32602 with {"field":field,"reason":reason}.
void invalid(std::string_view method, std::string_view params, std::string_view field,
             std::string_view reason, const Limits& limits = {}) {
  CAPTURE(method);
  CAPTURE(params);
  auto p = decode_params(method, params, limits);
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code == code::invalid_params);
  simdjson::dom::parser parser;
  auto data = data_of(parser, p.error());
  CHECK(std::string_view(data["field"]) == field);
  CHECK(std::string_view(data["reason"]) == reason);
}

// Expects 413 with {"field":field,"limit":limit}.
void too_big(std::string_view method, std::string_view params, std::string_view field,
             uint64_t limit, const Limits& limits = {}) {
  CAPTURE(method);
  auto p = decode_params(method, params, limits);
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code == code::too_large);
  simdjson::dom::parser parser;
  auto data = data_of(parser, p.error());
  CHECK(std::string_view(data["field"]) == field);
  CHECK(uint64_t(data["limit"]) == limit);
}

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.append(s);
  return out;
}

}  // namespace

TEST_CASE("unknown and repeated params fields") {
  invalid("ping", R"({"x":1})", "x", "unknown field");
  invalid("join", R"({"conversationId":"c","colour":"red"})", "colour", "unknown field");
  invalid("join", R"({"conversationId":"c","conversationId":"d"})", "conversationId",
          "duplicate field");
  // Nested objects report the path.
  invalid("listConversations", R"({"filter":{"state":"OPEN","shape":1}})", "filter.shape",
          "unknown field");
  invalid("createConversation", R"({"participants":[{"userId":"u","role":"BOT","x":0}]})",
          "participants[0].x", "unknown field");
  // An unknown field with a null value is still unknown.
  invalid("ping", R"({"x":null})", "x", "unknown field");
}

TEST_CASE("repeated keys inside free-form JSON are refused at any depth, with the path") {
  invalid("createConversation", R"({"metadata":{"a":1,"a":2}})", "metadata.a", "duplicate field");
  invalid("updateConversation", R"({"conversationId":"c","metadata":{"x":{"y":{"k":1,"k":1}}}})",
          "metadata.x.y.k", "duplicate field");
  invalid("updateConversation", R"({"conversationId":"c","metadataPatch":{"p":[0,{"q":1,"q":2}]}})",
          "metadataPatch.p[1].q", "duplicate field");
  invalid("sendMessage", R"({"conversationId":"c","text":"t","metadata":{"m":{"n":1,"n":1}}})",
          "metadata.m.n", "duplicate field");
  invalid("sendMessage", R"({"conversationId":"c","text":"t","quickReplies":[{"t":"a","t":"b"}]})",
          "quickReplies[0].t", "duplicate field");
  invalid("sendRichContent", R"({"conversationId":"c","content":{"type":"card","type":"x"}})",
          "content.type", "duplicate field");
  invalid("sendEvent", R"({"conversationId":"c","name":"n","data":[{"d":1,"d":2}]})", "data[0].d",
          "duplicate field");
  invalid("sendEvent", R"({"conversationId":"c","name":"n","data":{"d":1,"d":2}})", "data.d",
          "duplicate field");
  // The same key in different objects is no repeat.
  CHECK(*ok<params::CreateConversation>("createConversation",
                                        R"({"metadata":{"a":{"k":1},"b":{"k":2},"k":[{"k":3}]}})")
             .metadata == R"({"a":{"k":1},"b":{"k":2},"k":[{"k":3}]})");
}

TEST_CASE("missing required fields") {
  invalid("join", "{}", "conversationId", "required");
  invalid("sendMessage", R"({"conversationId":"c"})", "text", "required");
  invalid("sendMessage", R"({"text":"x"})", "conversationId", "required");
  invalid("editMessage", R"({"conversationId":"c","text":"t"})", "seq", "required");
  invalid("deleteMessage", R"({"conversationId":"c"})", "seq", "required");
  invalid("markRead", R"({"conversationId":"c"})", "seq", "required");
  invalid("setChatState", R"({"conversationId":"c"})", "state", "required");
  invalid("createConversation", R"({"participants":[{"userId":"u"}]})", "participants[0].role",
          "required");
  invalid("createConversation", R"({"participants":[{"role":"BOT"}]})", "participants[0].userId",
          "required");
  // null for a required field is the same as leaving it out.
  invalid("join", R"({"conversationId":null})", "conversationId", "required");
  invalid("markRead", R"({"conversationId":"c","seq":null})", "seq", "required");
}

TEST_CASE("null for an optional field reads as absent") {
  auto p = ok<params::ListConversations>("listConversations",
                                         R"({"cursor":null,"limit":null,"filter":null})");
  CHECK_FALSE(p.paging.cursor);
  CHECK(p.paging.limit == 20);
  auto s = ok<params::SendMessage>(
      "sendMessage", R"({"conversationId":"c","text":"t","mentions":null,"metadata":null})");
  CHECK_FALSE(s.mentions);
  CHECK_FALSE(s.metadata);
}

TEST_CASE("wrong JSON types") {
  invalid("join", R"({"conversationId":5})", "conversationId", "expected string");
  invalid("sendMessage", R"({"conversationId":"c","text":["x"]})", "text", "expected string");
  invalid("editMessage", R"({"conversationId":"c","seq":"4","text":"t"})", "seq",
          "expected integer");
  invalid("editMessage", R"({"conversationId":"c","seq":4.0,"text":"t"})", "seq",
          "expected integer");
  invalid("editMessage", R"({"conversationId":"c","seq":1e2,"text":"t"})", "seq",
          "expected integer");
  invalid("createConversation", R"({"postSurvey":"yes"})", "postSurvey", "expected boolean");
  invalid("createConversation", R"({"metadata":[1]})", "metadata", "expected object");
  invalid("createConversation", R"({"metadata":"{}"})", "metadata", "expected object");
  invalid("createConversation", R"({"participants":{}})", "participants", "expected array");
  invalid("createConversation", R"({"participants":["u1"]})", "participants[0]", "expected object");
  invalid("listConversations", R"({"filter":[]})", "filter", "expected object");
  invalid("listConversations", R"({"filter":{"archived":1}})", "filter.archived",
          "expected boolean");
  invalid("sendMessage", R"({"conversationId":"c","text":"t","quickReplies":{}})", "quickReplies",
          "expected array");
  invalid("sendMessage", R"({"conversationId":"c","text":"t","mentions":"u1"})", "mentions",
          "expected array");
  invalid("sendMessage", R"({"conversationId":"c","text":"t","mentions":["u1",2]})", "mentions[1]",
          "expected string");
  invalid("queryMessages", R"({"types":[true]})", "types[0]", "expected string");
  invalid("setChatState", R"({"conversationId":"c","state":1})", "state", "expected string");
}

TEST_CASE("integer ranges") {
  invalid("editMessage", R"({"conversationId":"c","seq":-1,"text":"t"})", "seq", "out of range");
  invalid("queryMessages", R"({"fromSeq":-5})", "fromSeq", "out of range");
  invalid("subscribe", R"({"conversationId":"c","sinceSeq":-1})", "sinceSeq", "out of range");
  invalid("queryMessages", R"({"since":-1})", "since", "out of range");
  invalid("listConversations", R"({"filter":{"until":-1}})", "filter.until", "out of range");
  invalid("createConversation", R"({"ttl":0})", "ttl", "out of range");
  invalid("createConversation", R"({"ttl":-10})", "ttl", "out of range");
  invalid("createConversation", R"({"ttl":18446744073709551615})", "ttl", "out of range");
  invalid("listConversations", R"({"offset":-1})", "offset", "out of range");
  // A seq beyond int64 is still a valid unsigned.
  auto e = ok<params::DeleteMessage>("deleteMessage",
                                     R"({"conversationId":"c","seq":18446744073709551615})");
  CHECK(e.seq == 18446744073709551615ull);
}

TEST_CASE("limit ranges") {
  invalid("listConversations", R"({"limit":0})", "limit", "out of range");
  invalid("listConversations", R"({"limit":101})", "limit", "out of range");
  invalid("listConversations", R"({"limit":-3})", "limit", "out of range");
  CHECK(ok<params::ListConversations>("listConversations", R"({"limit":1})").paging.limit == 1);
  invalid("queryMessages", R"({"limit":0})", "limit", "out of range");
  invalid("queryMessages", R"({"limit":201})", "limit", "out of range");
  CHECK(ok<params::QueryMessages>("queryMessages", R"({"limit":101})").limit == 101);
  // The maxima follow the configured limits.
  Limits l;
  l.page_max = 10;
  l.query_max = 15;
  invalid("listConversations", R"({"limit":11})", "limit", "out of range", l);
  invalid("queryMessages", R"({"limit":16})", "limit", "out of range", l);
  CHECK(ok<params::QueryMessages>("queryMessages", R"({"limit":15})", l).limit == 15);
}

TEST_CASE("enum values") {
  invalid("authenticate", R"({"userId":"u","role":"root"})", "role",
          "must be one of consumer|agent|manager|bot|admin");
  invalid("authenticate", R"({"userId":"u","role":"AGENT"})", "role",
          "must be one of consumer|agent|manager|bot|admin");
  invalid("join", R"({"conversationId":"c","role":"agent"})", "role",
          "must be one of CONSUMER|ASSIGNED_AGENT|AGENT|MANAGER|READER|BOT");
  invalid("createConversation", R"({"participants":[{"userId":"u","role":"OWNER"}]})",
          "participants[0].role",
          "must be one of CONSUMER|ASSIGNED_AGENT|AGENT|MANAGER|READER|BOT");
  invalid("listConversations", R"({"filter":{"state":"open"}})", "filter.state",
          "must be one of OPEN|CLOSE|LOCKED");
  invalid("listConversations", R"({"filter":{"status":"OPEN"}})", "filter.status",
          "must be one of open|pending|snoozed|resolved");
  invalid("listConversations", R"({"filter":{"memberOf":"u1"}})", "filter.memberOf",
          "must be one of me");
  invalid("listConversations", R"({"order":"up"})", "order", "must be one of asc|desc");
  invalid("queryMessages", R"({"order":"DESC"})", "order", "must be one of asc|desc");
  invalid("setChatState", R"({"conversationId":"c","state":"TYPING"})", "state",
          "must be one of COMPOSING|PAUSE|ACTIVE|INACTIVE|GONE");
  invalid("markRead", R"({"conversationId":"c","seq":1,"status":"SEEN"})", "status",
          "must be one of READ|ACCEPT");
  for (std::string_view role : {"consumer", "agent", "manager", "bot", "admin"}) {
    auto p =
        ok<params::Authenticate>("authenticate", R"({"userId":"u","role":)" + jstr(role) + "}");
    CHECK(*p.role == role);
  }
  for (std::string_view s : {"open", "pending", "snoozed", "resolved"}) {
    auto p = ok<params::ListConversations>("listConversations",
                                           R"({"filter":{"status":)" + jstr(s) + "}}");
    CHECK(*p.filter.status == s);
  }
}

TEST_CASE("ids and names: empty and over limits.name_chars code points") {
  invalid("join", R"({"conversationId":""})", "conversationId", "empty");
  invalid("createConversation", R"({"name":""})", "name", "empty");
  invalid("queryMessages", R"({"types":["message",""]})", "types[1]", "empty");
  // 200 two-byte characters fit; 201 do not.
  std::string at_limit = repeat("é", 200), over = repeat("é", 201);
  CHECK(ok<params::Join>("join", R"({"conversationId":)" + jstr(at_limit) + "}").conversation_id ==
        at_limit);
  too_big("join", R"({"conversationId":)" + jstr(over) + "}", "conversationId", 200);
  too_big("createConversation", R"({"displayName":)" + jstr(over) + "}", "displayName", 200);
  too_big("subscribe", R"({"conversationId":"c","epoch":)" + jstr(over) + "}", "epoch", 200);
  too_big("listConversations", R"({"cursor":)" + jstr(over) + "}", "cursor", 200);
  too_big("listConversations", R"({"filter":{"skillId":)" + jstr(over) + "}}", "filter.skillId",
          200);
  too_big("sendMessage",
          R"({"conversationId":"c","text":"t","clientMessageId":)" + jstr(over) + "}",
          "clientMessageId", 200);
  too_big("queryMessages", R"({"types":[)" + jstr(over) + "]}", "types[0]", 200);
  too_big("authenticate", R"({"userId":)" + jstr(over) + "}", "userId", 200);
  Limits l;
  l.name_chars = 3;
  too_big("join", R"({"conversationId":"abcd"})", "conversationId", 3, l);
}

TEST_CASE("text is counted in code points, not bytes") {
  std::string e8000 = repeat("é", 8000);  // 16000 bytes
  REQUIRE(e8000.size() == 16000);
  auto p = ok<params::SendMessage>("sendMessage",
                                   R"({"conversationId":"c","text":)" + jstr(e8000) + "}");
  CHECK(p.text == e8000);
  too_big("sendMessage", R"({"conversationId":"c","text":)" + jstr(repeat("é", 8001)) + "}", "text",
          8000);
  too_big("sendMessage", R"({"conversationId":"c","text":)" + jstr(repeat("a", 8001)) + "}", "text",
          8000);
  // Four-byte characters too.
  auto emoji = ok<params::EditMessage>(
      "editMessage", R"({"conversationId":"c","seq":1,"text":)" + jstr(repeat("😀", 8000)) + "}");
  CHECK(emoji.text.size() == 32000);
  too_big("editMessage", R"({"conversationId":"c","seq":1,"text":)" + jstr(repeat("😀", 8001)) + "}",
          "text", 8000);
  // Escapes count once decoded: \u00e9 is one character.
  auto escaped = ok<params::SendMessage>(
      "sendMessage", R"({"conversationId":"c","text":")" + repeat("\\u00e9", 8000) + "\"}");
  CHECK(escaped.text == e8000);
  invalid("sendMessage", R"({"conversationId":"c","text":""})", "text", "empty");
  invalid("editMessage", R"({"conversationId":"c","seq":1,"text":""})", "text", "empty");
}

TEST_CASE("metadata, quickReplies, mentions, imageUrl and token limits") {
  // {"k":"..."} minified is 8 bytes plus the value.
  std::string fits = R"({"k":")" + std::string(4096 - 8, 'x') + "\"}";
  std::string over = R"({"k":")" + std::string(4096 - 7, 'x') + "\"}";
  REQUIRE(fits.size() == 4096);
  auto p = ok<params::SendMessage>("sendMessage",
                                   R"({"conversationId":"c","text":"t","metadata":)" + fits + "}");
  CHECK(p.metadata->size() == 4096);
  too_big("sendMessage", R"({"conversationId":"c","text":"t","metadata":)" + over + "}", "metadata",
          4096);
  too_big("createConversation", R"({"metadata":)" + over + "}", "metadata", 4096);
  too_big("updateConversation", R"({"conversationId":"c","metadataPatch":)" + over + "}",
          "metadataPatch", 4096);
  // Whitespace does not count: the limit is on the minified form.
  std::string spaced = R"({ "k" :    ")" + std::string(4096 - 8, 'x') + "\"   }";
  CHECK(ok<params::CreateConversation>("createConversation", R"({"metadata":)" + spaced + "}")
            .metadata->size() == 4096);

  too_big(
      "sendMessage",
      R"({"conversationId":"c","text":"t","quickReplies":[")" + std::string(15000, 'q') + "\"]}",
      "quickReplies", 15000);

  Limits l;
  l.members = 2;
  too_big("sendMessage", R"({"conversationId":"c","text":"t","mentions":["a","b","c"]})",
          "mentions", 2, l);

  too_big("createConversation", R"({"imageUrl":"https://)" + std::string(2041, 'u') + "\"}",
          "imageUrl", 2048);
  CHECK(ok<params::CreateConversation>("createConversation",
                                       R"({"imageUrl":"https://)" + std::string(2040, 'u') + "\"}")
            .image_url->size() == 2048);
  too_big("authenticate", R"({"token":")" + std::string(8193, 't') + "\"}", "token", 8192);
  invalid("authenticate", R"({"token":""})", "token", "empty");
}

TEST_CASE("imageUrl is an http(s) URL, as sendFile's url") {
  for (std::string url : {"javascript:alert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd",
                          "ftp://x/y", "u"}) {
    const std::string v = R"("imageUrl":")" + url + "\"";
    const std::string want = R"(-32602 {"field":"imageUrl","reason":"expected an http(s) URL"})";
    CHECK_MESSAGE(error("createConversation", "{" + v + "}") == want, url);
    CHECK_MESSAGE(error("updateConversation", R"({"conversationId":"c",)" + v + "}") == want, url);
    CHECK_MESSAGE(error("upsertUser", "{" + v + "}") == want, url);
  }
  CHECK(*ok<params::CreateConversation>("createConversation", R"({"imageUrl":"https://i/x.png"})")
             .image_url == "https://i/x.png");
  auto cleared = ok<params::UpsertUser>("upsertUser", R"({"imageUrl":null})").image_url;
  REQUIRE(cleared.has_value());
  CHECK_FALSE(cleared->has_value());
}

TEST_CASE("createConversation participants are bounded by limits.members") {
  Limits l;
  l.members = 2;
  too_big("createConversation",
          R"({"participants":[{"userId":"a","role":"BOT"},{"userId":"b","role":"BOT"},)"
          R"({"userId":"c","role":"BOT"}]})",
          "participants", 2, l);
}

TEST_CASE("getConversation takes exactly one of conversationId and externalId") {
  invalid("getConversation", "{}", "conversationId", "exactly one of conversationId, externalId");
  invalid("getConversation", R"({"conversationId":"c","externalId":"e"})", "conversationId",
          "exactly one of conversationId, externalId");
  invalid("getConversation", R"({"conversationId":null,"externalId":null})", "conversationId",
          "exactly one of conversationId, externalId");
  // A field's own error comes first.
  invalid("getConversation", R"({"externalId":7})", "externalId", "expected string");
}

TEST_CASE("updateConversation: null clears, absent leaves alone") {
  auto p = ok<params::UpdateConversation>(
      "updateConversation",
      R"({"conversationId":"c","name":null,"displayName":null,"imageUrl":null,"ttl":null})");
  REQUIRE(p.name.has_value());
  CHECK_FALSE(p.name->has_value());
  REQUIRE(p.display_name.has_value());
  CHECK_FALSE(p.display_name->has_value());
  REQUIRE(p.image_url.has_value());
  CHECK_FALSE(p.image_url->has_value());
  REQUIRE(p.ttl.has_value());
  CHECK_FALSE(p.ttl->has_value());

  auto untouched =
      ok<params::UpdateConversation>("updateConversation", R"({"conversationId":"c"})");
  CHECK_FALSE(untouched.name);
  CHECK_FALSE(untouched.display_name);
  CHECK_FALSE(untouched.image_url);
  CHECK_FALSE(untouched.ttl);
  CHECK_FALSE(untouched.metadata);

  auto patch = ok<params::UpdateConversation>(
      "updateConversation", R"({"conversationId":"c","metadataPatch":{"a":null,"b":1}})");
  CHECK(*patch.metadata_patch == R"({"a":null,"b":1})");

  invalid("updateConversation", R"({"conversationId":"c","metadata":{},"metadataPatch":{}})",
          "metadataPatch", "not allowed with metadata");
  invalid("updateConversation", R"({"conversationId":"c","name":""})", "name", "empty");
  invalid("updateConversation", R"({"conversationId":"c","ttl":0})", "ttl", "out of range");
  invalid("updateConversation", R"({"conversationId":"c","name":1})", "name", "expected string");
  invalid("updateConversation", R"({"name":"n"})", "conversationId", "required");
}

TEST_CASE("authenticate: a token or the dev form, not both, not neither") {
  invalid("authenticate", "{}", "token", "required");
  invalid("authenticate", R"({"role":"agent"})", "token", "required");
  invalid("authenticate", R"({"token":"t","userId":"u"})", "userId", "not allowed with token");
  invalid("authenticate", R"({"token":"t","tenant":"x"})", "tenant", "not allowed with token");
  invalid("authenticate", R"({"token":5})", "token", "expected string");
  invalid("authenticate", R"({"token":"t","skills":["a"]})", "skills", "not allowed with token");
}

TEST_CASE("authenticate: the dev form's skills, checked like the token's claim") {
  auto p = ok<params::Authenticate>("authenticate",
                                    R"({"userId":"u","role":"agent","skills":["sales","billing"]})");
  CHECK(p.skills == std::vector<std::string>{"sales", "billing"});
  CHECK(ok<params::Authenticate>("authenticate", R"({"userId":"u","skills":[]})").skills.empty());
  CHECK(ok<params::Authenticate>("authenticate", R"({"userId":"u"})").skills.empty());
  CHECK(ok<params::Authenticate>("authenticate", R"({"userId":"u","skills":null})").skills.empty());
  const std::string longest(200, 's');
  CHECK(ok<params::Authenticate>("authenticate", R"({"userId":"u","skills":[")" + longest + "\"]}")
            .skills.front() == longest);
  const std::string rule = "expected an array of non-empty strings of at most 200 characters";
  for (const std::string& bad : std::vector<std::string>{R"("sales")", R"(["a",1])", R"([""])", R"([["a"]])", R"({"a":1})",
                          R"([")" + longest + "s\"]"})
    invalid("authenticate", R"({"userId":"u","skills":)" + bad + "}", "skills", rule);
}

TEST_CASE("the first error wins") {
  // Fields are checked in the decoder's order; unknown fields come last.
  invalid("sendMessage", R"({"zzz":1,"conversationId":5,"text":""})", "conversationId",
          "expected string");
  invalid("sendMessage", R"({"zzz":1,"conversationId":"c","text":""})", "text", "empty");
  invalid("sendMessage", R"({"zzz":1,"conversationId":"c","text":"t"})", "zzz", "unknown field");
}

TEST_CASE("setPresence and getPresence") {
  for (std::string_view s : {"online", "away", "busy"})
    CHECK(ok<params::SetPresence>("setPresence", R"({"status":)" + jstr(s) + "}").status == s);
  invalid("setPresence", "{}", "status", "required");
  invalid("setPresence", R"({"status":"offline"})", "status", "must be one of online|away|busy");
  invalid("setPresence", R"({"status":"ONLINE"})", "status", "must be one of online|away|busy");
  invalid("setPresence", R"({"status":"away","until":1})", "until", "unknown field");

  auto p = ok<params::GetPresence>("getPresence", R"({"userIds":["ann","bob"]})");
  CHECK(p.user_ids == std::vector<std::string>{"ann", "bob"});
  CHECK(ok<params::GetPresence>("getPresence", R"({"userIds":[]})").user_ids.empty());
  invalid("getPresence", "{}", "userIds", "required");
  invalid("getPresence", R"({"userIds":null})", "userIds", "required");
  invalid("getPresence", R"({"userIds":"ann"})", "userIds", "expected array");
  invalid("getPresence", R"({"userIds":["ann",7]})", "userIds[1]", "expected string");
  invalid("getPresence", R"({"userIds":[""]})", "userIds[0]", "empty");
  std::string hundred = "[", hundred_one;
  for (int i = 0; i < 100; ++i) hundred += (i ? ",\"u" : "\"u") + std::to_string(i) + "\"";
  hundred_one = hundred + ",\"u100\"]";
  hundred += "]";
  CHECK(ok<params::GetPresence>("getPresence", R"({"userIds":)" + hundred + "}").user_ids.size() ==
        100);
  too_big("getPresence", R"({"userIds":)" + hundred_one + "}", "userIds", 100);
}
