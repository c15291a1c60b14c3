// The HTTP server API (docs/server-api.md) against the real binary: every
// status of the error mapping, batches, keep-alive, keys reloaded on
// SIGHUP, clientMessageId idempotent across HTTP and the WebSocket, a bot's
// message reaching a WebSocket subscriber, disconnectUser closing sockets.
#include <signal.h>

#include "http_api_support.hpp"

using namespace parley::it;

namespace {

const std::string kAdmin = "admin-key-0123456789";
const std::string kBot = "bot-key-0123456789";
const std::string kSlow = "slow-key-0123456789";
const std::string kOther = "other-tenant-key-0123456789";

std::string keys_text() {
  return key_line("ops", "default", "admin", "ops-admin", "1000", kAdmin) +
         key_line("helper", "default", "bot", "helper-bot", "1000", kBot) +
         "# a key of one request a second\n" +
         key_line("slow", "default", "bot", "slow-bot", "1", kSlow) +
         key_line("elsewhere", "other", "admin", "other-admin", "1000", kOther);
}

Json body_of(const HttpResult& r) { return Json::parse(r.body); }

// The status of an answer, CHECKed, showing the body.
void expect_status(const HttpResult& r, int status) {
  CHECK_MESSAGE(r.status == status, r.status, " ", r.body);
}

}  // namespace

TEST_CASE("http api: every status of the mapping") {
  KeysFile keys(keys_text());
  BrokerProcess broker(jwt_args({"--api-keys-file", keys.path(), "--max-frame-bytes", "4096"}));
  const auto port = broker.port();

  // 401: no key, an unknown key.
  auto r = api_post(port, "ping", "{}", "");
  expect_status(r, 401);
  CHECK(body_of(r).get_int("/code") == 401);
  CHECK(r.header("WWW-Authenticate") == "Bearer");
  expect_status(api_post(port, "ping", "{}", "not-a-key"), 401);
  // 200: the JSON-RPC result itself.
  r = api_post(port, "ping", "{}", kBot);
  expect_status(r, 200);
  CHECK(r.header("Content-Type") == "application/json");
  // 405: not POST.
  r = http_request(port, "GET", "/api/v1/ping", {{"Authorization", "Bearer " + kBot}});
  expect_status(r, 405);
  CHECK(r.header("Allow") == "POST");
  // 415: not JSON.
  expect_status(api_post(port, "ping", "{}", kBot, "text/plain"), 415);
  expect_status(api_post(port, "ping", "{}", kBot, ""), 415);
  CHECK(api_post(port, "ping", "{}", kBot, "Application/JSON; charset=utf-8").status == 200);
  // 413: a body over --max-frame-bytes, and one over 64 KiB (past any
  // other limit of the port).
  expect_status(
      api_post(port, "sendMessage", "{\"text\":\"" + std::string(5000, 'a') + "\"}", kBot), 413);
  // (Announced with Expect: 100-continue and not sent: the broker answers
  // at once and closes, which would cut a client still sending.)
  r = http_exchange(port, "POST /api/v1/sendMessage HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                              kBot +
                              "\r\nContent-Type: application/json\r\nContent-Length: 70000\r\n"
                              "Expect: 100-continue\r\n\r\n");
  expect_status(r, 413);
  CHECK(body_of(r).get_int("/code") == 413);
  // 400: not JSON; params that are not an object; bad params; a method that needs a socket.
  r = api_post(port, "ping", "{\"a\":", kBot);
  expect_status(r, 400);
  CHECK(body_of(r).get_int("/code") == -32700);
  expect_status(api_post(port, "ping", "[1]", kBot), 400);
  r = api_post(port, "getConversation", "{\"conversationId\":7}", kBot);
  expect_status(r, 400);
  CHECK(body_of(r).get_int("/code") == -32602);
  r = api_post(port, "subscribe", "{\"conversationId\":\"x\"}", kBot);
  expect_status(r, 400);
  CHECK(body_of(r).get_string("/message").find("WebSocket") != std::string::npos);
  // 404: an unknown method; an unknown conversation.
  r = api_post(port, "noSuchMethod", "{}", kBot);
  expect_status(r, 404);
  CHECK(body_of(r).get_int("/code") == -32601);
  expect_status(api_post(port, "getConversation",
                         "{\"conversationId\":\"00000000-0000-4000-8000-000000000000\"}", kBot),
                404);
  // 403: a bot may not disconnect users.
  expect_status(api_post(port, "disconnectUser", "{\"userId\":\"ann\"}", kBot), 403);
  // 409: a conversation closed, then locked, refuses a system event.
  r = api_post(port, "createConversation", "{}", kAdmin);
  expect_status(r, 200);
  const std::string id = body_of(r).get_string("/id");
  // A key of another tenant does not see it.
  expect_status(api_post(port, "getConversation", obj({{"conversationId", id}}), kOther), 404);
  expect_status(
      api_post(port, "publishSystemEvent", obj({{"conversationId", id}, {"text", "x"}}), kOther),
      404);
  expect_status(api_post(port, "closeConversation", obj({{"conversationId", id}}), kAdmin), 200);
  expect_status(api_post(port, "lockConversation", obj({{"conversationId", id}}), kAdmin), 200);
  r = api_post(port, "publishSystemEvent", obj({{"conversationId", id}, {"text", "hi"}}), kAdmin);
  expect_status(r, 409);
  // 429: over the key's rate (one a second, a burst of one).
  expect_status(api_post(port, "ping", "{}", kSlow), 200);
  r = api_post(port, "ping", "{}", kSlow);
  expect_status(r, 429);
  CHECK(body_of(r).get_int("/code") == 429);
  CHECK(body_of(r).get_int("/data/retryAfterMs") > 0);
  CHECK(r.header("Retry-After") == "1");  // under a second, rounded up
}

TEST_CASE("http api: 503 while storage is unavailable") {
  KeysFile keys(keys_text());
  // A Redis that is not there: the engine never becomes ready.
  BrokerProcess broker(jwt_args({"--api-keys-file", keys.path(), "--redis",
                                 "redis://127.0.0.1:1", "--redis-timeout-ms", "200"}));
  auto r = api_post(broker.port(), "createConversation", "{}", kAdmin);
  expect_status(r, 503);
  CHECK(body_of(r).get_int("/code") == 503);
}

TEST_CASE("http api: a batch answers in order; keep-alive serves several requests") {
  KeysFile keys(keys_text());
  BrokerProcess broker(jwt_args({"--api-keys-file", keys.path()}));
  const auto port = broker.port();
  auto r = api_post(port, "batch",
                    "[{\"method\":\"createConversation\",\"params\":{\"name\":\"b\"}},"
                    "{\"method\":\"noSuchMethod\"},"
                    "{\"method\":\"getConversation\",\"params\":{\"conversationId\":1}},"
                    "{\"method\":\"ping\"}]",
                    kAdmin);
  expect_status(r, 200);
  Json answers = body_of(r);
  REQUIRE(answers.size() == 4);
  CHECK(answers.get_int("/0/status") == 200);
  CHECK(answers.get_string("/0/result/name") == "b");
  CHECK(answers.get_int("/1/status") == 404);
  CHECK(answers.get_int("/1/error/code") == -32601);
  CHECK(answers.get_int("/2/status") == 400);
  CHECK(answers.get_int("/3/status") == 200);
  // Bounded: more calls than --max-batch is 413; an empty batch 400.
  std::string many = "[";
  for (int i = 0; i < 51; ++i) many += std::string(i ? "," : "") + "{\"method\":\"ping\"}";
  expect_status(api_post(port, "batch", many + "]", kAdmin), 413);
  expect_status(api_post(port, "batch", "[]", kAdmin), 400);
  expect_status(api_post(port, "batch", "{}", kAdmin), 400);

  // Two requests on one connection: the first kept alive, the second closes.
  const std::string one = "POST /api/v1/ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                          kBot + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n";
  r = http_exchange(port, one + "\r\n{}" + one + "Connection: close\r\n\r\n{}");
  expect_status(r, 200);
  CHECK(r.header("Connection") != "close");
  CHECK_MESSAGE(r.body.find("HTTP/1.1 200 OK") != std::string::npos, r.body);
}

TEST_CASE("http api: keys are reloaded on SIGHUP; a bad file keeps the old ones") {
  KeysFile keys(keys_text());
  BrokerProcess broker(jwt_args({"--api-keys-file", keys.path()}));
  const auto port = broker.port();
  const std::string fresh = "fresh-key-abcdefghij";
  expect_status(api_post(port, "ping", "{}", fresh), 401);
  keys.write(key_line("fresh", "default", "bot", "fresh-bot", "100", fresh));
  REQUIRE(::kill(broker.pid(), SIGHUP) == 0);
  CHECK(wait_until([&] { return api_post(port, "ping", "{}", fresh).status == 200; }));
  expect_status(api_post(port, "ping", "{}", kBot), 401);  // no longer listed
  keys.write("this line is not a key\n");
  REQUIRE(::kill(broker.pid(), SIGHUP) == 0);
  CHECK(wait_until([&] { return broker.output().find("not reloaded") != std::string::npos; }));
  expect_status(api_post(port, "ping", "{}", fresh), 200);
  CHECK(broker.running());
}

TEST_CASE("http api: a bot's message reaches a WebSocket subscriber; clientMessageId is shared") {
  KeysFile keys(keys_text());
  BrokerProcess broker(jwt_args({"--api-keys-file", keys.path()}));
  const auto port = broker.port();
  auto ann = login(port, "ann");
  Json conv = create_conversation(*ann);
  const std::string id = conv.get_string("/id");
  auto sub = subscribe(*ann, id);
  expect_status(api_post(port, "join", obj({{"conversationId", id}}), kBot), 200);

  auto r = api_post(port, "sendMessage",
                    obj({{"conversationId", id}, {"text", "hello from a bot"},
                         {"clientMessageId", "m-1"}}),
                    kBot);
  expect_status(r, 200);
  const int64_t seq = body_of(r).get_int("/seq");
  CHECK_FALSE(body_of(r).get_bool("/duplicate"));
  for (;;) {
    Json e = ann->expect_event().at("/params");
    if (e.get_string("/type") != "message") continue;
    CHECK(e.get_string("/body/text") == "hello from a bot");
    CHECK(e.get_int("/seq") == seq);
    break;
  }
  // The same clientMessageId again, over HTTP then over the WebSocket as
  // the same identity: the first message, not a second one.
  r = api_post(port, "sendMessage",
               obj({{"conversationId", id}, {"text", "hello from a bot"},
                    {"clientMessageId", "m-1"}}),
               kBot);
  expect_status(r, 200);
  CHECK(body_of(r).get_int("/seq") == seq);
  CHECK(body_of(r).get_bool("/duplicate"));
  auto bot = login(port, Claims("helper-bot").role_("bot"));
  Json again = send_message(*bot, id, "hello from a bot", "m-1");
  CHECK(again.get_int("/seq") == seq);
  CHECK(again.get_bool("/duplicate"));
  (void)sub;
}

TEST_CASE("http api: disconnectUser closes the user's sockets; publishSystemEvent fans out") {
  KeysFile keys(keys_text());
  BrokerProcess broker(jwt_args({"--api-keys-file", keys.path()}));
  const auto port = broker.port();
  auto ann = login(port, "ann");
  auto ann2 = login(port, "ann");
  auto bob = login(port, "bob");
  Json conv = create_conversation(*bob);
  const std::string id = conv.get_string("/id");
  subscribe(*bob, id);

  auto r = api_post(port, "publishSystemEvent",
                    obj({{"conversationId", id}, {"text", "maintenance at noon"},
                         {"data", raw("{\"k\":1}")}}),
                    kAdmin);
  expect_status(r, 200);
  for (;;) {
    Json e = bob->expect_event().at("/params");
    if (e.get_string("/type") != "system") continue;
    CHECK(e.get_string("/body/text") == "maintenance at noon");
    CHECK(e.get_int("/seq") == body_of(r).get_int("/seq"));
    break;
  }

  r = api_post(port, "disconnectUser", obj({{"userId", "ann"}, {"reason", "account closed"}}),
               kAdmin);
  expect_status(r, 200);
  CHECK(body_of(r).get_int("/closeCode") == 4010);
  for (auto* c : {ann.get(), ann2.get()}) {
    auto closed = c->expect_close();
    CHECK(closed.code == 4010);
    CHECK(closed.reason == "account closed");
  }
  // Bob, another user, still talks.
  CHECK(bob->call("ping").is_object());
}
