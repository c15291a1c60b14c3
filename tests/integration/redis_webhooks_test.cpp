// Webhooks on the Redis engine: the outbox is a stream written by the
// commit scripts. A node killed with kill -9 while its deliveries are
// pending loses none: another node takes the lease and claims them.
#include <atomic>

#include "redis_support.hpp"
#include "webhooks_support.hpp"

using namespace parley::it;

TEST_CASE("redis webhooks: kill -9 with deliveries pending, another node delivers them all") {
  RedisServer redis;
  std::atomic<int> status{500};  // the receiver fails until the first node is dead
  HookReceiver receiver([&](const HookRequest&) { return HookAnswer{status.load()}; });
  auto flags = [&](const std::string& node) {
    return node_args(redis, node, webhook_args(receiver, {"--webhook-lease-ms", "1000"}));
  };
  auto n1 = std::make_unique<BrokerProcess>(flags("n1"));
  REQUIRE(storage_ready(n1->port()));
  auto ann = login(n1->port(), "ann", "consumer", "acme");
  std::vector<std::string> ids = {create_conversation(*ann).get_string("/id"),
                                  create_conversation(*ann).get_string("/id")};
  std::map<std::string, std::vector<int64_t>> committed;
  for (int i = 0; i < 20; ++i) {
    const std::string& id = ids[i % 2];
    committed[id].push_back(send_message(*ann, id, "m" + std::to_string(i)).get_int("/seq"));
  }
  // n1 has taken them and is retrying.
  REQUIRE(wait_until([&] { return seen(receiver).size() >= 4; }));
  ann.reset();
  n1->crash();

  status = 200;
  BrokerProcess n2(flags("n2"));
  REQUIRE(storage_ready(n2.port()));
  REQUIRE(wait_until(
      [&] {
        auto got = accepted(receiver);
        return got[ids[0]].size() == 10 && got[ids[1]].size() == 10;
      },
      Millis(20000)));
  auto got = accepted(receiver);
  CHECK(got[ids[0]] == committed[ids[0]]);  // nothing missing, in order
  CHECK(got[ids[1]] == committed[ids[1]]);
  for (const auto& s : seen(receiver)) CHECK(s.signed_ok);
}

TEST_CASE("redis webhooks: retries and dead letters, shared by the nodes") {
  RedisServer redis;
  std::atomic<int> status{500};
  HookReceiver receiver([&](const HookRequest&) { return HookAnswer{status.load()}; });
  BrokerProcess node(node_args(redis, "n1",
                               webhook_args(receiver, {"--webhook-retry-budget-ms", "300"})));
  REQUIRE(storage_ready(node.port()));
  auto ann = login(node.port(), "ann", "consumer", "acme");
  auto root = login(node.port(), "root", "admin", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  const int64_t seq = send_message(*ann, id, "dead for now").get_int("/seq");
  Json letters = dead_letters_when(*root, 1);
  CHECK(letters.get_int("/data/0/seq") == seq);
  status = 200;
  root->call("replayWebhookDeadLetter", obj({{"id", letters.get_string("/data/0/id")}}));
  REQUIRE(wait_until([&] { return accepted(receiver)[id] == std::vector<int64_t>{seq}; }));
  CHECK(root->call("listWebhookDeadLetters").size("/data") == 0);
}
