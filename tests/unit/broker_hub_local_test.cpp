// The hub with two copies of each event (conversation_store.hpp, contract 15): the
// early local copy from the committing thread and the pub/sub copy. Every
// subscriber gets each seq once, in order, whatever the interleaving, and
// an early event waits for the ones before it instead of sending each
// subscription to re-read the log.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "live/hub.hpp"
#include "memory/memory_engine.hpp"

namespace {

using namespace parley;

// A socket that records the frames pushed to it.
class RecordingConnection : public Connection {
 public:
  explicit RecordingConnection(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
  const std::optional<Identity>& identity() const override { return who_; }
  void set_identity(Identity who) override { who_ = std::move(who); }
  using Connection::push;
  void withdraw_held(const void*) override {}
  bool push(std::shared_ptr<const std::string> frame, const void*) override {
    std::lock_guard lk(mu_);
    frames_.push_back(*frame);
    return true;
  }
  Status admit_request(double) override { return Ok{}; }
  void close(uint16_t, std::string_view) override {}
  boost::asio::any_io_executor executor() const override { return ex_; }
  const std::string& session_id() const override { return id_; }

  // The seq of every event frame, in push order; -1 for any other frame.
  std::vector<long> seqs() const {
    std::lock_guard lk(mu_);
    std::vector<long> out;
    for (const auto& f : frames_) {
      auto at = f.find("\"seq\":");
      out.push_back(at == std::string::npos ? -1 : std::stol(f.substr(at + 6)));
    }
    return out;
  }

 private:
  boost::asio::any_io_executor ex_;
  std::optional<Identity> who_;
  std::string id_ = "s1";
  mutable std::mutex mu_;
  std::vector<std::string> frames_;
};

EventPtr event(uint64_t seq) {
  Event e;
  e.type = "message";
  e.from_user = "c1";
  e.from_role = "CONSUMER";
  e.body = R"({"text":"hi"})";
  e.seq = seq;
  e.prev_public_seq = seq - 1;
  e.ts = 1000 + static_cast<Millis>(seq);
  return std::make_shared<const Event>(std::move(e));
}

std::vector<long> upto(long n) {
  std::vector<long> v;
  for (long i = 1; i <= n; ++i) v.push_back(i);
  return v;
}

struct Fixture {
  boost::asio::io_context io;
  MemoryEngine engine;
  Metrics metrics;
  Limits limits;
  Hub hub{engine, metrics, limits};
  ConvKey key{"t1", "c1"};
  std::vector<std::shared_ptr<RecordingConnection>> conns;
  std::vector<std::shared_ptr<Subscription>> subs;

  // `n` live subscribers that have seen nothing yet (horizon 0).
  void subscribe(int n, Audience a = Audience::agents) {
    for (int i = 0; i < n; ++i) {
      auto c = std::make_shared<RecordingConnection>(io.get_executor());
      auto s = hub.add(key, c, a, "u" + std::to_string(i));
      s->start("ep", 0, {});
      conns.push_back(c);
      subs.push_back(s);
    }
  }
  // The hub hands events to the io thread of each subscriber's socket (a
  // lane); the test's thread is not running `io`, so they wait there until
  // it runs what was posted.
  void settle() {
    io.restart();
    io.poll();
  }
  void local(uint64_t seq) {
    hub.on_local_events(key, "ep", {event(seq)});
    settle();
  }
  void pubsub(uint64_t seq) {
    hub.on_events(key, "ep", {event(seq)});
    settle();
  }
  ~Fixture() {
    for (auto& s : subs) hub.remove(s);
  }
};

}  // namespace

TEST_CASE("hub: the pub/sub copy of a locally delivered event is dropped") {
  Fixture f;
  f.subscribe(3);
  for (uint64_t s = 1; s <= 5; ++s) f.local(s);
  for (uint64_t s = 1; s <= 5; ++s) f.pubsub(s);
  for (const auto& c : f.conns) CHECK(c->seqs() == upto(5));
  CHECK(f.metrics.events_delivered.load() == 15);
  CHECK(f.metrics.events_committed.load() == 5);
}

TEST_CASE("hub: local copies out of order wait for the seqs before them") {
  Fixture f;
  f.subscribe(2);
  f.pubsub(1);
  f.local(3);  // 2 is still on another thread
  f.local(4);
  for (const auto& c : f.conns) CHECK(c->seqs() == upto(1));
  f.local(2);
  for (const auto& c : f.conns) CHECK(c->seqs() == upto(4));
  f.pubsub(2);
  f.pubsub(3);
  f.pubsub(4);
  for (const auto& c : f.conns) CHECK(c->seqs() == upto(4));
}

TEST_CASE("hub: the pub/sub copy fills the hole before an early local copy") {
  Fixture f;
  f.subscribe(1);
  f.pubsub(1);
  f.local(3);  // committed here; 2 was committed on another node
  CHECK(f.conns[0]->seqs() == upto(1));
  f.pubsub(2);
  CHECK(f.conns[0]->seqs() == upto(3));
  f.pubsub(3);
  CHECK(f.conns[0]->seqs() == upto(3));
}

TEST_CASE("hub: any interleaving of local and pub/sub copies gives each seq once, in order") {
  // Two nodes commit into one conversation: this node's events come twice
  // (local copies in a shuffled order, as from several io threads), the
  // other node's once; pub/sub brings everything in seq order.
  std::mt19937 rng(12345);
  for (int round = 0; round < 50; ++round) {
    Fixture f;
    f.subscribe(2);
    const uint64_t n = 40;
    std::vector<uint64_t> mine;
    for (uint64_t s = 1; s <= n; ++s)
      if (rng() % 2) mine.push_back(s);
    // Local copies: each within a few places of its commit order.
    std::vector<uint64_t> locals = mine;
    for (size_t i = 0; i + 1 < locals.size(); ++i)
      if (rng() % 3 == 0) std::swap(locals[i], locals[i + 1]);
    size_t li = 0;
    uint64_t next_pubsub = 1;
    while (li < locals.size() || next_pubsub <= n) {
      // A local copy may come before or after its pub/sub copy.
      const bool take_local = li < locals.size() && (next_pubsub > n || rng() % 2);
      if (take_local)
        f.local(locals[li++]);
      else
        f.pubsub(next_pubsub++);
    }
    for (const auto& c : f.conns) {
      std::string got;
      for (long v : c->seqs()) got += std::to_string(v) + " ";
      INFO("round " << round << ": " << got);
      REQUIRE(c->seqs() == upto(static_cast<long>(n)));
    }
  }
}

TEST_CASE("hub: a subscriber that joins late continues from its replay without a hole") {
  Fixture f;
  f.subscribe(1);
  f.local(1);
  f.local(2);
  // A second subscriber joins: it read the log up to 2.
  auto c = std::make_shared<RecordingConnection>(f.io.get_executor());
  auto s = f.hub.add(f.key, c, Audience::agents, "late");
  f.pubsub(1);  // the pub/sub copies of 1 and 2 arrive while it replays
  f.local(3);
  s->start("ep", 2, {event(1), event(2)});
  f.pubsub(2);
  f.pubsub(3);
  f.local(4);
  f.pubsub(4);
  CHECK(c->seqs() == upto(4));
  CHECK(f.conns[0]->seqs() == upto(4));
  f.hub.remove(s);
}

TEST_CASE("hub: on_gap releases what waited; the subscriptions re-read the hole once") {
  Fixture f;
  // The log holds seqs 1..3 (a conversation created with three events).
  CreateRequest rq;
  rq.record.tenant = f.key.tenant;
  rq.record.id = f.key.id;
  for (int i = 0; i < 3; ++i) {
    EventDraft d;
    d.type = "message";
    d.from_role = "SYSTEM";
    d.body = R"({"text":"x"})";
    rq.events.push_back(d);
  }
  std::string epoch;
  boost::asio::co_spawn(
      f.io,
      [&]() -> boost::asio::awaitable<void> {
        auto c = co_await f.engine.create(std::move(rq));
        REQUIRE(c.ok());
        epoch = c->record.epoch;
      },
      boost::asio::detached);
  f.io.run();
  f.io.restart();
  REQUIRE(!epoch.empty());
  auto c = std::make_shared<RecordingConnection>(f.io.get_executor());
  auto s = f.hub.add(f.key, c, Audience::agents, "u");
  s->start(epoch, 0, {});
  f.hub.on_events(f.key, epoch, {event(1)});
  f.settle();
  f.hub.on_local_events(f.key, epoch, {event(3)});  // 2's pub/sub copy was lost
  f.settle();
  CHECK(c->seqs() == upto(1));
  f.hub.on_gap(f.key);  // the engine says so
  f.io.restart();
  f.io.run();  // the refill reads 2 and 3 from the log
  CHECK(c->seqs() == upto(3));
  // Pub/sub goes on after the gap: the copy of 3 and then 4.
  f.hub.on_events(f.key, epoch, {event(3)});
  f.settle();
  f.hub.on_events(f.key, epoch, {event(4)});
  f.settle();
  CHECK(c->seqs() == upto(4));
  f.hub.remove(s);
}

// Revocation (docs/architecture.md): a subscription with a standing ends at
// the event that takes its access away, with subscriptionEnded, and gets
// nothing after it, whether the event comes live or while it buffers.
namespace {

EventPtr member_left(uint64_t seq, const std::string& user) {
  Event e = *event(seq);
  e.type = "member.left";
  e.body = R"({"userId":")" + user + R"(","role":"CONSUMER","reason":"removed"})";
  return std::make_shared<const Event>(std::move(e));
}

rules::Standing consumer_standing(const std::string& user) {
  rules::Standing s;
  s.user_id = user;
  s.has_entry = true;
  s.state = MemberState::active;
  return s;
}

}  // namespace

TEST_CASE("hub: a live subscription ends at its subscriber's removal; later events are dropped") {
  Fixture f;
  auto c = std::make_shared<RecordingConnection>(f.io.get_executor());
  auto s = f.hub.add(f.key, c, Audience::consumers, "c1");
  s->set_standing(consumer_standing("c1"), 0);
  s->start("ep", 0, {});
  f.subs.push_back(s);
  f.hub.on_events(f.key, "ep", {event(1), member_left(2, "someone-else"), member_left(3, "c1")});
  f.settle();
  f.hub.on_events(f.key, "ep", {event(4)});
  f.settle();
  CHECK(c->seqs() == std::vector<long>{1, 2, 3, -1});
  CHECK(s->ended());
  f.io.restart();
  f.io.run();  // the posted removal
  CHECK(f.hub.topics() == 0);
}

TEST_CASE("hub: a removal among the events buffered before start ends the subscription") {
  Fixture f;
  auto c = std::make_shared<RecordingConnection>(f.io.get_executor());
  auto s = f.hub.add(f.key, c, Audience::consumers, "c1");
  f.subs.push_back(s);
  f.hub.on_events(f.key, "ep", {event(1), member_left(2, "c1"), event(3)});
  f.settle();
  s->set_standing(consumer_standing("c1"), 0);
  s->start("ep", 0, {});
  CHECK(c->seqs() == std::vector<long>{1, 2, -1});
  CHECK(s->ended());
}

TEST_CASE("hub: a re-authentication that may no longer read ends the subscription") {
  Fixture f;
  auto c = std::make_shared<RecordingConnection>(f.io.get_executor());
  auto s = f.hub.add(f.key, c, Audience::agents, "a1");
  rules::Standing agent;
  agent.user_id = "a1";
  agent.account = AccountRole::agent;
  s->set_standing(agent, 0);
  s->start("ep", 0, {});
  f.subs.push_back(s);
  Identity still_agent;
  still_agent.user_id = "a1";
  still_agent.role = AccountRole::manager;
  CHECK(s->reauthorize(still_agent));
  CHECK(s->audience() == Audience::agents);
  Identity consumer;
  consumer.user_id = "a1";
  CHECK_FALSE(s->reauthorize(consumer));
  f.hub.on_events(f.key, "ep", {event(1)});
  f.settle();
  CHECK(c->seqs() == std::vector<long>{-1});
}

// Per-thread fan-out: subscribers on two io threads (two contexts here),
// and an event fanned out on a lane's own thread while an earlier event's
// hand-off still waits in that thread's queue: it must go behind it, not
// at once, or its subscriber would see 2 before 1 (a hole, and a re-read
// of a log that does not hold these events).
TEST_CASE("hub: a lane's own thread does not overtake a hand-off still queued for it") {
  Fixture f;
  boost::asio::io_context other;
  auto mine = std::make_shared<RecordingConnection>(f.io.get_executor());
  auto theirs = std::make_shared<RecordingConnection>(other.get_executor());
  auto a = f.hub.add(f.key, mine, Audience::agents, "a");
  auto b = f.hub.add(f.key, theirs, Audience::agents, "b");
  a->start("ep", 0, {});
  b->start("ep", 0, {});
  f.subs = {a, b};
  // Runs on f.io's thread, after the hand-off of 1 was queued behind it.
  boost::asio::post(f.io, [&] { f.hub.on_local_events(f.key, "ep", {event(2)}); });
  f.hub.on_events(f.key, "ep", {event(1)});  // from another thread: posted to both lanes
  CHECK(mine->seqs().empty());
  CHECK(theirs->seqs().empty());
  f.settle();
  other.poll();
  CHECK(mine->seqs() == upto(2));
  CHECK(theirs->seqs() == upto(2));
  CHECK(f.metrics.events_delivered.load() == 4);
  // Nothing waits now: the lane's own thread offers at once.
  boost::asio::post(f.io, [&] {
    f.hub.on_events(f.key, "ep", {event(3)});
    CHECK(mine->seqs() == upto(3));
  });
  f.settle();
  CHECK(theirs->seqs() == upto(2));
  other.restart();
  other.poll();
  CHECK(theirs->seqs() == upto(3));
  // A signal takes the same path as the events.
  Signal sig;
  sig.frame = std::make_shared<const std::string>("{\"method\":\"typing\"}");
  f.hub.on_signal(f.key, sig);
  f.settle();
  other.restart();
  other.poll();
  CHECK(mine->seqs() == std::vector<long>{1, 2, 3, -1});
  CHECK(theirs->seqs() == std::vector<long>{1, 2, 3, -1});
}

// Issue 13's hang: a subscription that starts re-reading its log on its
// socket's own thread (a gap offered there, or on_gap) must not run the
// refill inline under its own lock. It did: co_spawn dispatches, and the
// refill's first step took the lock again, deadlocking that io thread for
// good. A deadlock cannot be failed politely: past a generous bound this
// test says so and ends the process.
TEST_CASE("hub: a refill started on the socket's own thread does not deadlock it") {
  Fixture f;
  f.subscribe(1);
  f.pubsub(1);
  auto guard = boost::asio::make_work_guard(f.io);
  f.io.restart();
  std::thread runner([&] { f.io.run(); });
  std::promise<void> done;
  boost::asio::post(f.io, [&] {
    f.hub.on_gap(f.key);  // the subscription re-reads its log from here
    done.set_value();
  });
  if (done.get_future().wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    std::fprintf(stderr, "FAILED: the io thread deadlocked in Subscription::resync\n");
    std::_Exit(1);
  }
  guard.reset();
  f.io.stop();
  runner.join();
  CHECK(f.conns[0]->seqs() == upto(1));
}
