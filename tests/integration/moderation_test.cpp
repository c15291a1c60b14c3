// The moderation hook (--send-hook, docs/webhooks.md): allow, reject (403
// with the reason, nothing committed), rewrite (the rewrite is committed),
// and a hook slower than its time-out, failing closed and failing open.
#include "harness.hpp"
#include "hook_receiver.hpp"

using namespace parley::it;

namespace {

constexpr const char* kHookSecret = "mod-secret";

// allow, unless the text asks for something else.
HookAnswer moderate(const HookRequest& r) {
  Json body = Json::parse(r.body);
  const std::string text = body.get_string("/text");
  if (text.find("reject") != std::string::npos)
    return {200, R"({"action":"reject","reason":"no such words here"})"};
  if (text.find("4111") != std::string::npos)
    return {200, R"({"action":"rewrite","text":"card [redacted]"})"};
  if (text.find("slow") != std::string::npos)
    return {200, R"({"action":"allow"})", std::chrono::milliseconds(1500)};
  return {200, R"({"action":"allow"})"};
}

std::vector<std::string> hook_args(const HookReceiver& hook, std::vector<std::string> more = {}) {
  std::vector<std::string> args = jwt_args({"--send-hook", hook.url("/moderate"),
                                            "--send-hook-secret", kHookSecret,
                                            "--send-hook-timeout-ms", "300"});
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// The texts of the conversation's message events, in log order.
std::vector<std::string> texts(WsClient& client, const std::string& id) {
  Json page = client.call("queryMessages", obj({{"conversationId", id}, {"types", raw(R"(["message"])")}}));
  std::vector<std::string> out;
  for (const auto& e : page.items("/data")) out.push_back(e.get_string("/body/text"));
  return out;
}

}  // namespace

TEST_CASE("send hook: allow, reject with a reason, rewrite; every call signed") {
  HookReceiver hook(moderate);
  BrokerProcess broker(hook_args(hook));
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");

  send_message(*ann, id, "hello there");
  Json refused = expect_error(*ann, "sendMessage",
                              obj({{"conversationId", id}, {"text", "please reject this"}}), 403);
  CHECK(refused.get_string("/error/data/reason") == "no such words here");
  send_message(*ann, id, "my card is 4111 1111 1111 1111");
  CHECK(texts(*ann, id) == std::vector<std::string>{"hello there", "card [redacted]"});

  auto calls = hook.requests();
  REQUIRE(calls.size() == 3);
  for (const auto& [req, status] : calls) {
    INFO(req.body);
    CHECK(req.target == "/moderate");
    CHECK(req.header("parley-event") == "message.send");
    CHECK(signature_valid(req.header("parley-signature"), kHookSecret, req.body));
    CHECK_FALSE(signature_valid(req.header("parley-signature"), "another secret", req.body));
    Json body = Json::parse(req.body);
    CHECK(body.get_string("/conversationId") == id);
    CHECK(body.get_string("/from/userId") == "ann");
    CHECK(body.get_string("/tenant") == "acme");
  }
  std::string metrics = http_get(broker.port(), "/metrics").body;
  CHECK(metrics.find("parley_send_hook_outcomes_total{outcome=\"reject\"} 1") != std::string::npos);
  CHECK(metrics.find("parley_send_hook_outcomes_total{outcome=\"rewrite\"} 1") != std::string::npos);
  CHECK(metrics.find("parley_send_hook_seconds_count 3") != std::string::npos);
}

TEST_CASE("send hook: a time-out fails closed by default, open with --send-hook-fail-open") {
  HookReceiver hook(moderate);
  {
    BrokerProcess broker(hook_args(hook));
    auto ann = login(broker.port(), "ann", "consumer", "acme");
    const std::string id = create_conversation(*ann).get_string("/id");
    Json refused = expect_error(*ann, "sendMessage",
                                obj({{"conversationId", id}, {"text", "a slow one"}}), 503);
    CHECK(refused.get_string("/error/data/reason") == "moderation unavailable");
    CHECK(texts(*ann, id).empty());
  }
  {
    BrokerProcess broker(hook_args(hook, {"--send-hook-fail-open"}));
    auto ann = login(broker.port(), "ann", "consumer", "acme");
    const std::string id = create_conversation(*ann).get_string("/id");
    send_message(*ann, id, "a slow one");
    CHECK(texts(*ann, id) == std::vector<std::string>{"a slow one"});
    std::string metrics = http_get(broker.port(), "/metrics").body;
    CHECK(metrics.find("parley_send_hook_outcomes_total{outcome=\"error\"} 1") != std::string::npos);
  }
}

TEST_CASE("send hook: bots are not moderated; a hook that is down fails closed") {
  HookReceiver hook(moderate);
  std::string url;
  {
    HookReceiver gone;
    url = gone.url("/moderate");
  }  // nothing listens there any more
  BrokerProcess broker(jwt_args({"--send-hook", url, "--send-hook-secret", kHookSecret}));
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  auto bot = login(broker.port(), "bot1", "bot", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  expect_error(*ann, "sendMessage", obj({{"conversationId", id}, {"text", "hi"}}), 503);
  bot->call("join", obj({{"conversationId", id}}));
  send_message(*bot, id, "a bot's answer");
  CHECK(texts(*ann, id) == std::vector<std::string>{"a bot's answer"});
}
