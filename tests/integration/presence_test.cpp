// Presence on one node (the memory engine): setPresence, getPresence, and
// the `presence` pushes to the subscribers of the user's conversations.
#include "harness.hpp"

using namespace parley::it;

namespace {

Json presence(WsClient& client, const std::string& ids_json) {
  return client.call("getPresence", obj({{"userIds", raw(ids_json)}}));
}

// The next presence push about `user`, skipping any about others.
Json next_presence_of(WsClient& client, const std::string& user) {
  for (;;) {
    Json p = client.expect_push("presence").at("/params");
    if (p.get_string("/userId") == user) return p;
  }
}

}  // namespace

TEST_CASE("presence: status follows sockets and setPresence; subscribers get pushes") {
  BrokerProcess broker{jwt_args()};
  auto bob = login(broker.port(), "bob", "agent", "acme");
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  bob->call("join", obj({{"conversationId", id}}));
  subscribe(*bob, id);

  Json both = presence(*bob, R"(["ann","bob","zed","ann"])");
  REQUIRE(both.size() == 3);  // one entry per distinct id, in the order asked
  CHECK(both.at("/0/userId").get_string("") == "ann");
  CHECK(both.at("/0/status").get_string("") == "online");
  CHECK(both.at("/0/lastSeen").is_int());
  CHECK(both.at("/1/status").get_string("") == "online");
  CHECK(both.at("/2/userId").get_string("") == "zed");
  CHECK(both.at("/2/status").get_string("") == "offline");
  CHECK(both.at("/2/lastSeen").is_null());
  CHECK(presence(*bob, "[]").size() == 0);

  CHECK(ann->call("setPresence", obj({{"status", "busy"}})).size() == 0);
  Json busy = next_presence_of(*bob, "ann");
  CHECK(busy.get_string("/status") == "busy");
  CHECK(busy.get_string("/conversationId") == id);
  CHECK(busy.is_int("/lastSeen"));
  CHECK(presence(*bob, R"(["ann"])").at("/0/status").get_string("") == "busy");

  ann->close();
  Json offline = next_presence_of(*bob, "ann");
  CHECK(offline.get_string("/status") == "offline");
  CHECK(presence(*bob, R"(["ann"])").at("/0/status").get_string("") == "offline");

  // Another tenant's ann is someone else.
  auto other = login(broker.port(), "carl", "agent", "other");
  CHECK(presence(*other, R"(["bob"])").at("/0/status").get_string("") == "offline");
}

TEST_CASE("presence: bad params and unauthenticated calls") {
  BrokerProcess broker{jwt_args()};
  WsClient anon;
  anon.connect(broker.port());
  expect_error(anon, "getPresence", obj({{"userIds", raw(R"(["a"])")}}), 401);
  expect_error(anon, "setPresence", obj({{"status", "away"}}), 401);
  auto ann = login(broker.port(), "ann");
  expect_error(*ann, "setPresence", obj({{"status", "offline"}}), -32602);
  expect_error(*ann, "setPresence", "{}", -32602);
  expect_error(*ann, "getPresence", "{}", -32602);
  std::string many = "[";
  for (int i = 0; i <= 100; ++i) many += (i ? ",\"u" : "\"u") + std::to_string(i) + "\"";
  many += "]";
  Json big = expect_error(*ann, "getPresence", obj({{"userIds", raw(many)}}), 413);
  CHECK(big.get_int("/error/data/limit") == 100);
}

TEST_CASE("presence: sockets that close right after a token upgrade leave no one online") {
  BrokerProcess broker{jwt_args()};
  auto bob = login(broker.port(), "bob", "agent");
  const std::string token = mint_token(Claims("ann"));
  for (int i = 0; i < 20; ++i) {
    WsClient quick("ann");
    quick.connect(broker.port(), "/ws?token=" + token);
    if (i % 2) quick.close();  // the others just drop the connection
  }
  CHECK(wait_until(
      [&] { return presence(*bob, R"(["ann"])").at("/0/status").get_string("") == "offline"; }));
}
