// Webhooks on the memory engine (docs/webhooks.md): signed deliveries in
// order per conversation, retries with the same delivery id, the
// dead-letter list and its replay through the admin methods.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "webhooks_support.hpp"

using namespace parley::it;

namespace {

// The message seqs of a conversation's log, in order.
std::vector<int64_t> message_seqs(WsClient& client, const std::string& id) {
  Json page = client.call("queryMessages",
                          obj({{"conversationId", id}, {"types", raw(R"(["message"])")}}));
  std::vector<int64_t> out;
  for (const auto& e : page.items("/data")) out.push_back(e.get_int("/seq"));
  return out;
}

}  // namespace

TEST_CASE("webhooks: every message delivered once, signed, in order per conversation") {
  HookReceiver receiver;
  BrokerProcess broker(jwt_args(webhook_args(receiver)));
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  auto eve = login(broker.port(), "eve", "consumer", "other");  // a tenant without webhooks
  const std::string a = create_conversation(*ann).get_string("/id");
  const std::string b = create_conversation(*ann).get_string("/id");
  const std::string other = create_conversation(*eve).get_string("/id");
  for (int i = 0; i < 10; ++i) {
    send_message(*ann, i % 2 ? a : b, "m" + std::to_string(i));
    send_message(*eve, other, "not for the hook");
  }
  REQUIRE(wait_until([&] {
    auto got = accepted(receiver);
    return got[a].size() == 5 && got[b].size() == 5;
  }));
  auto got = accepted(receiver);
  CHECK(got.size() == 2);  // conversation.created is not asked for; `other` has no webhook
  CHECK(got[a] == message_seqs(*ann, a));
  CHECK(got[b] == message_seqs(*ann, b));
  for (const auto& s : seen(receiver)) CHECK(s.signed_ok);
  CHECK(seen(receiver).size() == 10);
}

TEST_CASE("webhooks: a receiver answering 500 then 200 gets retries with the same id, in order") {
  // Every delivery fails twice before it is accepted.
  std::mutex m;
  std::map<std::string, int> tries;
  HookReceiver receiver([&](const HookRequest& r) {
    std::lock_guard lock(m);
    return HookAnswer{++tries[r.header("parley-delivery-id")] <= 2 ? 500 : 200};
  });
  BrokerProcess broker(jwt_args(webhook_args(receiver)));
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  for (int i = 0; i < 4; ++i) send_message(*ann, id, "m" + std::to_string(i));
  REQUIRE(wait_until([&] { return accepted(receiver)[id].size() == 4; }));
  CHECK(accepted(receiver)[id] == message_seqs(*ann, id));
  // Order: all attempts of seq n come before the first of seq n+1.
  auto all = seen(receiver);
  CHECK(all.size() == 12);
  for (size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].seq <= all[i].seq);
  for (const auto& [delivery, n] : tries) CHECK(n == 3);
  for (const auto& s : all) CHECK(s.signed_ok);
}

TEST_CASE("webhooks: a receiver down for 10 s gets everything afterwards, in order, once each") {
  auto receiver = std::make_unique<HookReceiver>();
  const uint16_t port = receiver->port();
  const auto args = jwt_args(webhook_args(*receiver));
  receiver.reset();  // down: connections to its port are refused
  BrokerProcess broker(args);
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  const std::string a = create_conversation(*ann).get_string("/id");
  const std::string b = create_conversation(*ann).get_string("/id");
  // Messages at the start of the outage and in its middle.
  for (int i = 0; i < 6; ++i) send_message(*ann, i % 2 ? a : b, "early " + std::to_string(i));
  std::this_thread::sleep_for(std::chrono::seconds(5));
  for (int i = 0; i < 4; ++i) send_message(*ann, i % 2 ? a : b, "late " + std::to_string(i));
  std::this_thread::sleep_for(std::chrono::seconds(5));
  // Meanwhile the attempts failed, and /metrics says so.
  const std::string metrics = http_get(broker.port(), "/metrics").body;
  CHECK(metrics.find("\nparley_webhook_failures_total 0\n") == std::string::npos);
  CHECK(metrics.find("\nparley_webhook_delivered_total 0\n") != std::string::npos);

  receiver = std::make_unique<HookReceiver>(HookReceiver::Policy{}, port);  // back up
  REQUIRE(wait_until([&] {
    auto got = accepted(*receiver);
    return got[a].size() == 5 && got[b].size() == 5;
  }));
  auto got = accepted(*receiver);
  CHECK(got[a] == message_seqs(*ann, a));
  CHECK(got[b] == message_seqs(*ann, b));
  for (const auto& s : seen(*receiver)) {
    CHECK(s.signed_ok);
    CHECK(s.status == 200);
  }
  CHECK(seen(*receiver).size() == 10);  // each once: nothing was half-delivered
}

TEST_CASE("webhooks: after the retry budget a delivery is dead-lettered, then replayed") {
  std::atomic<int> status{500};
  HookReceiver receiver([&](const HookRequest&) { return HookAnswer{status.load()}; });
  BrokerProcess broker(jwt_args(webhook_args(receiver, {"--webhook-retry-budget-ms", "300"})));
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  auto root = login(broker.port(), "root", "admin", "acme");
  auto agent = login(broker.port(), "bob", "agent", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  const int64_t seq = send_message(*ann, id, "lost for now").get_int("/seq");

  Json letters = dead_letters_when(*root, 1);
  INFO(letters.dump());
  const std::string delivery = letters.get_string("/data/0/id");
  CHECK(letters.get_string("/data/0/conversationId") == id);
  CHECK(letters.get_int("/data/0/seq") == seq);
  CHECK(letters.get_string("/data/0/webhook") == "crm");
  CHECK(letters.get_int("/data/0/attempts") >= 2);
  CHECK(letters.get_string("/data/0/error") == "HTTP 500");
  // The next message is not held up by the dead one.
  status = 200;
  const int64_t next = send_message(*ann, id, "after").get_int("/seq");
  REQUIRE(wait_until([&] { return accepted(receiver)[id] == std::vector<int64_t>{next}; }));

  // Admin only; another tenant's admin sees none of it.
  expect_error(*agent, "listWebhookDeadLetters", "{}", 403);
  expect_error(*agent, "replayWebhookDeadLetter", obj({{"id", delivery}}), 403);
  auto stranger = login(broker.port(), "root", "admin", "other");
  CHECK(stranger->call("listWebhookDeadLetters").size("/data") == 0);
  expect_error(*stranger, "replayWebhookDeadLetter", obj({{"id", delivery}}), 404);

  root->call("replayWebhookDeadLetter", obj({{"id", delivery}}));
  REQUIRE(wait_until([&] { return accepted(receiver)[id].size() == 2; }));
  CHECK(accepted(receiver)[id] == std::vector<int64_t>{next, seq});
  for (const auto& s : seen(receiver))
    if (s.seq == seq) CHECK(s.delivery_id == delivery);  // stable across retries and the replay
  CHECK(root->call("listWebhookDeadLetters").size("/data") == 0);
  expect_error(*root, "replayWebhookDeadLetter", obj({{"id", delivery}}), 404);
}

TEST_CASE("webhooks: a bad entry is refused at start") {
  for (const std::string bad : {"tenant=acme secret=s", "tenant=acme url=ftp://x secret=s",
                                "url=http://127.0.0.1:1/ secret=s", "tenant=a url=http://h/ color=red secret=s"}) {
    CAPTURE(bad);
    CHECK_THROWS(BrokerProcess(jwt_args({"--webhook", bad}), std::chrono::milliseconds(3000)));
  }
}
