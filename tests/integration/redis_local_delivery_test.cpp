// Two nodes on one Redis, both committing into one conversation at once.
// A node hands the events it commits to its own subscribers at once (from
// the io thread that committed) and gets them again through pub/sub, with
// the other node's events in between (storage/engine.hpp, contract 15).
// Every subscriber, on either node, must still see every seq exactly once,
// in order, with no reset.
#include <atomic>
#include <thread>

#include "redis_support.hpp"

using namespace parley::it;

TEST_CASE("redis: both nodes publish into one conversation; every subscriber sees each seq once") {
  RedisServer redis;
  BrokerProcess node1(node_args(redis, "n1"));
  BrokerProcess node2(node_args(redis, "n2"));
  REQUIRE(storage_ready(node1.port()));
  REQUIRE(storage_ready(node2.port()));

  auto ann = login(node1.port(), "ann", "consumer", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  auto bob = login(node2.port(), "bob", "agent", "acme");
  bob->call("join", obj({{"conversationId", id}}));

  // Two subscribers per node, agents (they see every event).
  std::vector<std::unique_ptr<WsClient>> watchers;
  std::vector<EventFollower> followers;
  for (uint16_t port : {node1.port(), node2.port(), node1.port(), node2.port()})
    watchers.push_back(login(port, "bob", "agent", "acme"));
  int64_t start = 0;
  for (auto& w : watchers) {
    Subscription s = subscribe(*w, id);
    start = std::max(start, s.last_seq);
    followers.emplace_back(*w, id, s.last_seq);
  }
  // Everyone at the same point (bob's member.joined raced the first ones).
  for (auto& f : followers)
    while (f.last_seq() < start) f.next();

  // Three sockets per node send at once, each on its own thread: commits
  // finish on the nodes' io threads in any order.
  constexpr int kSenders = 3, kEach = 30;
  std::vector<std::unique_ptr<WsClient>> senders;
  for (int i = 0; i < kSenders; ++i) {
    senders.push_back(login(node1.port(), "ann", "consumer", "acme"));
    senders.push_back(login(node2.port(), "bob", "agent", "acme"));
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < senders.size(); ++i)
    threads.emplace_back([&, i] {
      for (int n = 0; n < kEach; ++n) {
        try {
          send_message(*senders[i], id, "s" + std::to_string(i) + " m" + std::to_string(n));
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  for (auto& t : threads) t.join();
  REQUIRE(failures.load() == 0);

  // EventFollower::next checks seq == previous + 1 and prevSeq: nothing
  // missing, nothing twice, nothing out of order, on both nodes.
  const int64_t last = start + static_cast<int64_t>(senders.size()) * kEach;
  for (auto& f : followers) {
    while (f.last_seq() < last) f.next();
    CHECK(f.last_seq() == last);
  }
  // And nothing after: no late duplicate, no subscriptionReset.
  for (auto& w : watchers) {
    auto extra = w->read_frame(Millis(300));
    CHECK_MESSAGE(!extra, (extra ? extra->frame() : std::string()));
  }
  Json page = ann->call("queryMessages", obj({{"conversationId", id}, {"limit", 200}}));
  CHECK(page.get_int("/lastSeq") == last);
}
