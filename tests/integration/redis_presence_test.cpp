// Presence across broker nodes on one Redis: a user online on one node is
// online on every node; it goes offline when its last socket, on any node,
// closes, or — when its node dies — once that node's entries expire.
#include "redis_support.hpp"

using namespace parley::it;

namespace {

// Two nodes whose presence entries live `ttl_ms` (renewed every quarter of
// it). The waits below are bounds, not expectations.
struct Cluster : TwoNodes {
  std::unique_ptr<WsClient> bob;  // the watcher, on node 2
  std::string id;                 // a conversation of ann and bob

  explicit Cluster(const std::string& ttl_ms = "1000")
      : TwoNodes({}, {"--presence-ttl-ms", ttl_ms}),
        bob(login(node2->port(), "bob", "agent", "acme")) {}

  // ann (consumer) on node 1, in a conversation bob joined and watches.
  std::unique_ptr<WsClient> ann_with_conversation() {
    auto ann = login(node1->port(), "ann", "consumer", "acme");
    id = create_conversation(*ann).get_string("/id");
    bob->call("join", obj({{"conversationId", id}}));
    subscribe(*bob, id);
    return ann;
  }
};

}  // namespace

TEST_CASE(
    "redis presence: online on node 1 is online from node 2; offline when the socket "
    "closes") {
  Cluster c;
  CHECK(presence_of(*c.bob, "ann").get_string("/status") == "offline");
  CHECK(presence_of(*c.bob, "ann").is_null("/lastSeen"));
  auto ann = c.ann_with_conversation();
  Json online = presence_of(*c.bob, "ann");
  CHECK(online.get_string("/status") == "online");
  CHECK(online.is_int("/lastSeen"));

  ann->call("setPresence", obj({{"status", "away"}}));
  Json pushed = expect_presence(*c.bob, "ann", "away");
  CHECK(pushed.get_string("/conversationId") == c.id);
  CHECK(pushed.is_int("/lastSeen"));
  CHECK(presence_of(*c.bob, "ann").get_string("/status") == "away");

  // A second socket on the other node: closing the first changes nothing.
  auto ann2 = login(c.node2->port(), "ann", "consumer", "acme");
  ann->close();
  CHECK(presence_of(*c.bob, "ann").get_string("/status") == "away");
  ann2->close();
  Json offline = expect_presence(*c.bob, "ann", "offline");
  CHECK(offline.is_int("/lastSeen"));
  Json now = presence_of(*c.bob, "ann");
  CHECK(now.get_string("/status") == "offline");
  CHECK(now.get_int("/lastSeen") >= online.get_int("/lastSeen"));

  // Back: plain online again (the away choice ended with the last socket).
  ann = login(c.node1->port(), "ann", "consumer", "acme");
  expect_presence(*c.bob, "ann", "online");
  CHECK(presence_of(*c.bob, "ann").get_string("/status") == "online");
}

TEST_CASE("redis presence: the users of a node killed with kill -9 go offline by themselves") {
  Cluster c;
  auto ann = c.ann_with_conversation();
  CHECK(presence_of(*c.bob, "ann").get_string("/status") == "online");
  CHECK(c.node1->crash().empty());
  // Nobody closed ann's socket: its entry expires and node 2's sweep says so.
  expect_presence(*c.bob, "ann", "offline");
  CHECK(presence_of(*c.bob, "ann").get_string("/status") == "offline");
}

TEST_CASE("redis presence: a node stopped cleanly takes its users offline itself") {
  // Entries that outlive every wait here: only node 1's own leave, on its
  // way out, can make ann offline in time.
  Cluster c("600000");
  auto ann = c.ann_with_conversation();
  CHECK(c.node1->stop().empty());
  expect_presence(*c.bob, "ann", "offline");
}
