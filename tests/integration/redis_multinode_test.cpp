// Several broker processes on one Redis: one conversation space. A consumer
// on one node and an agent on another converse live; a node killed with
// kill -9 loses nothing, its clients resume on the other node, and it
// rejoins when started again.
#include "redis_support.hpp"

using namespace parley::it;

TEST_CASE("redis: a consumer on node 1 and an agent on node 2 converse live, seq dense") {
  TwoNodes c;
  auto ann = login(c.node1->port(), "ann", "consumer", "acme");
  auto bob = login(c.node2->port(), "bob", "agent", "acme");
  CHECK(ann->call("ping").is_int("/serverTime"));
  const std::string id = create_conversation(*ann).get_string("/id");
  // Node 2 reads what node 1 created.
  CHECK(bob->call("getConversation", obj({{"conversationId", id}})).get_string("/id") == id);
  bob->call("join", obj({{"conversationId", id}}));
  Subscription ann_sub = subscribe(*ann, id);
  Subscription bob_sub = subscribe(*bob, id);
  CHECK(ann_sub.epoch == bob_sub.epoch);
  EventFollower ann_events(*ann, id, ann_sub.last_seq);
  EventFollower bob_events(*bob, id, bob_sub.last_seq);
  // bob's member.joined may have been committed before ann subscribed.
  while (ann_events.last_seq() < bob_sub.last_seq) ann_events.next();

  constexpr int kRounds = 20;
  for (int i = 0; i < kRounds; ++i) {
    const bool from_ann = i % 2 == 0;
    WsClient& sender = from_ann ? *ann : *bob;
    const std::string text = (from_ann ? "question " : "answer ") + std::to_string(i);
    const int64_t seq = send_message(sender, id, text).get_int("/seq");
    // Both sides see it, next in line, whichever node it was sent to.
    Json a = ann_events.next();
    Json b = bob_events.next();
    CHECK(a.get_int("/seq") == seq);
    CHECK(b.get_int("/seq") == seq);
    CHECK(a.get_string("/body/text") == text);
    CHECK(b.get_string("/body/text") == text);
    CHECK(a.get_string("/from/userId") == (from_ann ? "ann" : "bob"));
  }
  Json page = bob->call("queryMessages", obj({{"conversationId", id}, {"limit", 200}}));
  CHECK(page.get_int("/lastSeq") == bob_events.last_seq());
  int64_t expect = 1;
  for (const Json& e : page.items("/data")) CHECK(e.get_int("/seq") == expect++);
}

TEST_CASE(
    "redis: kill -9 a node; its client resumes on the other node with exactly the missed "
    "events; the node comes back") {
  TwoNodes c;
  auto ann = login(c.node1->port(), "ann", "consumer", "acme");
  auto bob = login(c.node2->port(), "bob", "agent", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  bob->call("join", obj({{"conversationId", id}}));
  Subscription sub = subscribe(*bob, id);
  EventFollower before(*bob, id, sub.last_seq);
  send_message(*ann, id, "before the crash");
  CHECK(before.next().get_string("/body/text") == "before the crash");
  const int64_t last_seen = before.last_seq();

  // Node 2 dies on the spot; bob's socket goes with it.
  CHECK(c.node2->crash().empty());
  CHECK(bob->expect_close().code != 1000);
  std::vector<int64_t> missed;
  for (int i = 0; i < 5; ++i)
    missed.push_back(send_message(*ann, id, "missed " + std::to_string(i)).get_int("/seq"));

  // Bob comes back through the other node.
  bob = login(c.node1->port(), "bob", "agent", "acme");
  Subscription resumed = subscribe(*bob, id, last_seen, sub.epoch);
  CHECK(resumed.recovered);
  CHECK(resumed.epoch == sub.epoch);
  CHECK(resumed.replayed == static_cast<int64_t>(missed.size()));
  CHECK(resumed.last_seq == missed.back());
  EventFollower after(*bob, id, last_seen);
  for (size_t i = 0; i < missed.size(); ++i) {
    Json e = after.next();
    CHECK(e.get_int("/seq") == missed[i]);
    CHECK(e.get_string("/body/text") == "missed " + std::to_string(i));
  }

  // Node 2 starts again and serves the same conversation space: a client
  // there resumes too, and live events cross between the nodes again.
  c.node2 = std::make_unique<BrokerProcess>(node_args(c.redis, "n2"));
  REQUIRE(storage_ready(c.node2->port()));
  auto carol = login(c.node2->port(), "carol", "agent", "acme");
  Subscription carol_sub = subscribe(*carol, id, last_seen, sub.epoch);
  CHECK(carol_sub.recovered);
  CHECK(carol_sub.replayed == static_cast<int64_t>(missed.size()));
  EventFollower carol_events(*carol, id, last_seen);
  for (size_t i = 0; i < missed.size(); ++i) carol_events.next();
  const int64_t live = send_message(*ann, id, "after the restart").get_int("/seq");
  CHECK(carol_events.next().get_int("/seq") == live);
  CHECK(after.next().get_int("/seq") == live);
}
