// The HTTP server API on two nodes sharing Redis: disconnectUser called on
// one node closes the user's sockets on the other, and a bot's message sent
// over HTTP to one node reaches a WebSocket subscriber on the other.
#include "http_api_support.hpp"
#include "redis_support.hpp"

using namespace parley::it;

TEST_CASE("redis: disconnectUser on node 1 closes the user's socket on node 2") {
  const std::string admin = "admin-key-redis-0123";
  const std::string bot = "bot-key-redis-0123";
  KeysFile keys(key_line("ops", "acme", "admin", "ops", "1000", admin) +
                key_line("helper", "acme", "bot", "helper", "1000", bot));
  TwoNodes c({}, {"--api-keys-file", keys.path()});
  const auto n1 = c.node1->port();
  auto ann = login(c.node2->port(), "ann", "consumer", "acme");
  auto carl = login(c.node2->port(), "carl", "consumer", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  Subscription sub = subscribe(*ann, id);

  // A bot's message over HTTP on node 1 reaches ann's subscription on node 2.
  CHECK(api_post(n1, "join", obj({{"conversationId", id}}), bot).status == 200);
  auto r = api_post(n1, "sendMessage", obj({{"conversationId", id}, {"text", "from n1"}}), bot);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  for (;;) {
    Json e = ann->expect_event().at("/params");
    if (e.get_string("/type") != "message") continue;
    CHECK(e.get_string("/body/text") == "from n1");
    break;
  }

  r = api_post(n1, "disconnectUser", obj({{"userId", "ann"}}), admin);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  auto closed = ann->expect_close();
  CHECK(closed.code == 4010);
  CHECK(closed.reason == "disconnected");
  // Another user of the tenant stays connected.
  CHECK(carl->call("ping").is_object());
  (void)sub;
}
