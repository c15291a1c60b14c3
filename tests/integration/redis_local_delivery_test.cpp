// Two nodes on one Redis, both committing into one conversation at once.
// A node hands the events it commits to its own subscribers at once (from
// the io thread that committed) and gets them again through pub/sub, with
// the other node's events in between (storage/engine.hpp, contract 15).
// Every subscriber, on either node, must still see every seq exactly once,
// in order, with no reset.
#include <atomic>
#include <mutex>
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
  std::mutex first_failure_mu;
  std::string first_failure;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < senders.size(); ++i)
    threads.emplace_back([&, i] {
      for (int n = 0; n < kEach; ++n) {
        try {
          send_message(*senders[i], id, "s" + std::to_string(i) + " m" + std::to_string(n));
        } catch (const std::exception& e) {
          if (++failures == 1) {
            std::lock_guard lock(first_failure_mu);
            first_failure = e.what();
          }
        }
      }
    });
  for (auto& t : threads) t.join();
  REQUIRE_MESSAGE(failures.load() == 0, first_failure);

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

// Pipelined sends (docs/protocol.md, "Order on one socket"): one socket
// sends many sendMessage frames without waiting; they run together on the
// Redis engine, yet commit in the order sent, are answered in that order,
// and each of the sender's own event pushes comes after its response.
TEST_CASE("redis: a socket's back-to-back sendMessages commit and answer in order") {
  RedisServer redis;
  BrokerProcess node(node_args(redis, "n1"));
  REQUIRE(storage_ready(node.port()));
  auto ann = login(node.port(), "ann", "consumer", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  const int64_t start = subscribe(*ann, id).last_seq;

  constexpr int kSends = 60;
  for (int n = 1; n <= kSends; ++n)
    ann->send_raw(R"({"jsonrpc":"2.0","id":)" + std::to_string(n) +
                  R"(,"method":"sendMessage","params":{"conversationId":")" + id +
                  R"(","text":"p)" + std::to_string(n) + R"("}})");
  int next_id = 1;
  int64_t answered_seq = start;  // the seq of the last response read
  int64_t pushed_seq = start;    // the seq of the last own event pushed
  while (next_id <= kSends || pushed_seq < start + kSends) {
    auto f = ann->read_frame();
    REQUIRE(f);
    if (f->is_push()) {
      if (f->method() != "event") continue;
      const int64_t seq = f->get_int("/params/seq");
      if (seq <= start) continue;
      CHECK(seq == pushed_seq + 1);
      CHECK(seq <= answered_seq);  // never before its response
      pushed_seq = seq;
      continue;
    }
    REQUIRE_MESSAGE(f->has("/result/seq"), f->frame());
    CHECK(f->get_int("/id") == next_id);  // answers in request order
    const int64_t seq = f->get_int("/result/seq");
    CHECK(seq == answered_seq + 1);  // committed in request order
    answered_seq = seq;
    ++next_id;
  }
  CHECK(answered_seq == start + kSends);
  Json page = ann->call("queryMessages", obj({{"conversationId", id}, {"fromSeq", start + 1},
                                              {"limit", 200}}));
  REQUIRE(page.size("/data") == kSends);
  for (int n = 0; n < kSends; ++n)
    CHECK(page.get_string("/data/" + std::to_string(n) + "/body/text") ==
          "p" + std::to_string(n + 1));
}
