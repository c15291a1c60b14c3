// Both transports give the same answer (issue 15): every method the
// decoder knows (parley::known_methods(), the method table's names), called
// over HTTP with an API key and over a WebSocket with a token of the same
// identity, answers the same error object with the status of its code, or
// (for the reads below) the same result. A method that acts on a socket
// answers 400 "needs a WebSocket" over HTTP, and only those do.
#include <request.hpp>

#include <map>

#include "http_api_support.hpp"

using namespace parley::it;

namespace {

const std::string kKey = "transports-key-0123456789";

int status_of(int64_t code) {
  if (code == -32700 || code == -32600 || code == -32602) return 400;
  if (code == -32601) return 404;
  return code >= 400 && code <= 599 ? static_cast<int>(code) : 500;
}

// The WebSocket's answer to `method` and HTTP's, compared.
void same_answer(WsClient& ws, uint16_t port, const std::string& method,
                 const std::string& params, bool compare_results) {
  CAPTURE(method);
  CAPTURE(params);
  Json over_ws = ws.request(method, params);
  HttpResult over_http = api_post(port, method, params, kKey);
  Json body = Json::parse(over_http.body);
  if (over_ws.has("/error")) {
    CHECK_MESSAGE(body.dump() == over_ws.at("/error").dump(), over_http.body, " vs ",
                  over_ws.frame());
    CHECK(over_http.status == status_of(over_ws.get_int("/error/code")));
    return;
  }
  REQUIRE_MESSAGE(over_http.status == 200, over_http.body);
  if (compare_results) CHECK(body.dump() == over_ws.at("/result").dump());
}

}  // namespace

TEST_CASE("http api: every method answers over HTTP as over the WebSocket") {
  KeysFile keys(key_line("bot", "default", "bot", "twin-bot", "100000", kKey));
  BrokerProcess broker(jwt_args({"--api-keys-file", keys.path()}));
  const auto port = broker.port();
  auto ws = login(port, Claims("twin-bot").role_("bot"));

  // Empty params: the same refusal (or the same kind of answer), method by method.
  // The methods that act on a socket, with valid params (bad ones are
  // refused as bad first, over both transports alike).
  const std::map<std::string, std::string> socket_only = {
      {"authenticate", obj({{"token", "x"}})},
      {"subscribe", obj({{"conversationId", "c1"}})},
      {"unsubscribe", obj({{"conversationId", "c1"}})},
      {"setChatState", obj({{"conversationId", "c1"}, {"state", "COMPOSING"}})},
      {"setPresence", obj({{"status", "away"}})},
      {"subscribeInbox", "{}"},
      {"unsubscribeInbox", obj({{"subscriptionId", "s1"}})}};
  for (auto name : parley::known_methods()) {
    const std::string method(name);
    CAPTURE(method);
    if (auto it = socket_only.find(method); it != socket_only.end()) {
      HttpResult r = api_post(port, method, it->second, kKey);
      CHECK(r.status == 400);
      CHECK_MESSAGE(r.body.find("needs a WebSocket") != std::string::npos, r.body);
      continue;
    }
    same_answer(*ws, port, method, "{}", false);
  }

  // Reads of one conversation, with valid params: the same result.
  Json conv = create_conversation(*ws, obj({{"displayName", "twins"}}));
  const std::string id = conv.get_string("/id");
  send_message(*ws, id, "one");
  const std::string ref = obj({{"conversationId", id}});
  for (const char* m : {"getConversation", "listMembers", "queryMessages", "getConversationStats",
                        "listNotes", "getDraft"})
    same_answer(*ws, port, m, ref, true);
  same_answer(*ws, port, "listConversations", "{}", true);
  same_answer(*ws, port, "countConversations", "{}", true);
  same_answer(*ws, port, "getUser", obj({{"userId", "twin-bot"}}), true);
  // A refusal with valid params: another tenant's view of nothing.
  same_answer(*ws, port, "getConversation",
              obj({{"conversationId", "00000000-0000-4000-8000-000000000000"}}), true);
}
