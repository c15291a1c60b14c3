// Resuming a subscription: sinceSeq + epoch replays exactly what was
// missed, then the live stream continues with no gap and no duplicate.
#include <atomic>
#include <exception>
#include <thread>

#include "harness.hpp"

using namespace parley::it;

namespace {

struct Setup {
  BrokerProcess broker{jwt_args()};
  std::unique_ptr<WsClient> ann = login(broker.port(), "ann", "consumer", "acme");
  std::unique_ptr<WsClient> bob = login(broker.port(), "bob", "agent", "acme");
  std::string id;

  Setup() {
    id = create_conversation(*ann).get_string("/id");
    bob->call("join", obj({{"conversationId", id}}));
  }
};

}  // namespace

TEST_CASE("resume: a subscriber that reconnects gets exactly the missed events, then live ones") {
  Setup s;
  Subscription sub = subscribe(*s.bob, s.id);
  EventFollower before(*s.bob, s.id, sub.last_seq);
  send_message(*s.ann, s.id, "before the drop");
  CHECK(before.next().get_string("/body/text") == "before the drop");
  const int64_t last_seen = before.last_seq();

  // Bob goes away; Ann goes on.
  s.bob->close();
  s.bob.reset();
  constexpr int kMissed = 5;
  std::vector<int64_t> missed;
  for (int i = 0; i < kMissed; ++i) {
    missed.push_back(send_message(*s.ann, s.id, "missed " + std::to_string(i)).get_int("/seq"));
  }

  s.bob = login(s.broker.port(), "bob", "agent", "acme");
  Subscription resumed = subscribe(*s.bob, s.id, last_seen, sub.epoch);
  CHECK(resumed.recovered == true);
  CHECK(resumed.replayed == kMissed);
  CHECK(resumed.epoch == sub.epoch);
  CHECK(resumed.last_seq == missed.back());

  EventFollower after(*s.bob, s.id, last_seen);
  for (int i = 0; i < kMissed; ++i) {
    Json event = after.next();
    CHECK(event.get_int("/seq") == missed[static_cast<size_t>(i)]);
    CHECK(event.get_string("/body/text") == "missed " + std::to_string(i));
    CHECK(event.get_string("/epoch") == sub.epoch);
  }
  // Live again: the next event is the next send, nothing repeated in between.
  const int64_t live = send_message(*s.ann, s.id, "live again").get_int("/seq");
  Json event = after.next();
  CHECK(event.get_int("/seq") == live);
  CHECK(event.get_string("/body/text") == "live again");
}

TEST_CASE("resume while messages keep coming: the replay and the live stream join seamlessly") {
  Setup s;
  Subscription sub = subscribe(*s.bob, s.id);
  send_message(*s.ann, s.id, "first");
  EventFollower before(*s.bob, s.id, sub.last_seq);
  before.next();
  const int64_t last_seen = before.last_seq();
  s.bob.reset();  // an abrupt drop this time

  // Ann sends from another socket while Bob resubscribes.
  constexpr int kConcurrent = 40;
  auto ann2 = login(s.broker.port(), "ann", "consumer", "acme");
  for (int i = 0; i < 3; ++i) send_message(*ann2, s.id, "while away " + std::to_string(i));
  std::atomic<int64_t> final_seq{0};
  std::exception_ptr sender_error;
  std::thread sender([&] {
    try {
      for (int i = 0; i < kConcurrent; ++i) {
        final_seq = send_message(*ann2, s.id, "during " + std::to_string(i)).get_int("/seq");
      }
    } catch (...) {
      sender_error = std::current_exception();
    }
  });
  std::unique_ptr<WsClient> bob;
  Subscription resumed;
  try {
    bob = login(s.broker.port(), "bob", "agent", "acme");
    resumed = subscribe(*bob, s.id, last_seen, sub.epoch);
  } catch (...) {
    sender.join();
    throw;
  }
  sender.join();
  if (sender_error) std::rethrow_exception(sender_error);

  CHECK(resumed.recovered == true);
  CHECK(resumed.replayed == resumed.last_seq - last_seen);
  // Every event after last_seen, each exactly once, in order.
  EventFollower after(*bob, s.id, last_seen);
  while (after.last_seq() < final_seq) after.next();
  CHECK(after.last_seq() == final_seq);
  const int64_t live = send_message(*s.ann, s.id, "after the storm").get_int("/seq");
  CHECK(after.next().get_int("/seq") == live);
}

TEST_CASE("resume with a stale epoch or a sinceSeq from the future is not recovered") {
  Setup s;
  Subscription sub = subscribe(*s.bob, s.id);
  send_message(*s.ann, s.id, "one");
  send_message(*s.ann, s.id, "two");

  auto carol = login(s.broker.port(), "carol", "agent", "acme");
  Subscription stale = subscribe(*carol, s.id, sub.last_seq, std::string("not-the-epoch"));
  CHECK(stale.recovered == false);
  CHECK(stale.replayed == 0);
  CHECK(stale.epoch == sub.epoch);
  // Nothing replayed: the next event is live.
  const int64_t live = send_message(*s.ann, s.id, "three").get_int("/seq");
  CHECK(live == stale.last_seq + 1);
  EventFollower carol_events(*carol, s.id, stale.last_seq);
  CHECK(carol_events.next().get_string("/body/text") == "three");

  auto dan = login(s.broker.port(), "dan", "agent", "acme");
  Subscription future = subscribe(*dan, s.id, live + 100, sub.epoch);
  CHECK(future.recovered == false);
  CHECK(future.replayed == 0);
}
