// The TimerService's decisions, driven step by step (poll_once with the
// time given) against the memory engine: what it commits, what it clears,
// what it moves. The loop and the engines' durability: integration tests.
#include <doctest/doctest.h>

#include "engine_contract_support.hpp"
#include "live/timer_service.hpp"
#include "memory/memory_engine.hpp"

namespace parley {
namespace {

using contract::Harness;
using contract::run;

constexpr Millis kT = 1'700'000'000'000;

// run() for the service's awaitable<void> calls.
void run(asio::awaitable<void> a) {
  auto wrapped = [](asio::awaitable<void> inner) -> asio::awaitable<int> {
    co_await std::move(inner);
    co_return 0;
  };
  contract::run(wrapped(std::move(a)));
}
constexpr Millis kLockAfter = 1000;

// A conversation CLOSE since `closed_at` (its MAIN dialog closed then).
CreateRequest closed_conversation(const std::string& id, Millis closed_at) {
  CreateRequest rq = contract::conversation("t", id);
  rq.record.state = ConvState::close;
  Dialog main;
  main.dialog_id = main.type = "MAIN";
  main.open = false;
  main.opened_at = closed_at - 100;
  main.closed_at = closed_at;
  rq.record.dialogs.push_back(main);
  return rq;
}

CreateRequest ttl_conversation(const std::string& id, Millis created_at, int64_t ttl) {
  CreateRequest rq = contract::conversation("t", id);
  rq.record.created_at = created_at;
  rq.record.ttl = ttl;
  return rq;
}

struct Fixture {
  Harness h{std::make_unique<MemoryEngine>()};
  TimerService svc{h.engine(), TimerService::Options{kLockAfter, 1000}};

  size_t poll(Millis now) { return run(svc.poll_once(now)); }
  std::optional<Conversation> get(const std::string& id) {
    auto r = run(h.engine().get(ConvKey{"t", id}));
    if (!r.ok()) return std::nullopt;
    return *r;
  }
  // Whether no timer is left: a poll long after every lease finds none.
  bool none_left() { return poll(kT + 100 * kTimerLease) == 0; }
};

TEST_CASE("timer service: the automatic lock fires when due, then its timer is gone") {
  Fixture f;
  REQUIRE(f.h.create(closed_conversation("c", kT)).ok());
  run(f.svc.closed(ConvKey{"t", "c"}, kT));
  CHECK(f.poll(kT + kLockAfter - 1) == 0);  // not due
  CHECK(f.get("c")->state == ConvState::close);
  CHECK(f.poll(kT + kLockAfter) == 1);
  CHECK(f.get("c")->state == ConvState::locked);
  const auto events = f.h.sink.events(ConvKey{"t", "c"});
  REQUIRE_FALSE(events.empty());
  CHECK(events.back()->type == "state.changed");
  CHECK(f.none_left());
}

TEST_CASE("timer service: a conversation reopened meanwhile is left alone") {
  Fixture f;
  CreateRequest rq = closed_conversation("c", kT);
  rq.record.state = ConvState::open;  // reopened since it closed at kT
  REQUIRE(f.h.create(std::move(rq)).ok());
  run(f.svc.closed(ConvKey{"t", "c"}, kT));
  CHECK(f.poll(kT + kLockAfter) == 1);
  CHECK(f.get("c")->state == ConvState::open);
  CHECK(f.none_left());  // nothing left to do: cleared
}

TEST_CASE("timer service: a timer that fires early waits for the record's deadline") {
  Fixture f;
  REQUIRE(f.h.create(closed_conversation("c", kT)).ok());
  // Armed for an earlier time than the record says (another node's clock).
  REQUIRE(run(f.h.engine().timer_set(ConvKey{"t", "c"}, TimerKind::auto_lock, kT + 10)).ok());
  CHECK(f.poll(kT + 10) == 1);
  CHECK(f.get("c")->state == ConvState::close);
  CHECK(f.poll(kT + kLockAfter - 1) == 0);  // and moved to closed_at + lock_after
  CHECK(f.poll(kT + kLockAfter) == 1);
  CHECK(f.get("c")->state == ConvState::locked);
  CHECK(f.none_left());
}

TEST_CASE("timer service: ttl deletes a conversation without messages, not one with") {
  Fixture f;
  REQUIRE(f.h.create(ttl_conversation("empty", kT, 5)).ok());
  REQUIRE(f.h.create(ttl_conversation("talked", kT, 5)).ok());
  REQUIRE(f.h.append(ConvKey{"t", "talked"}, contract::message("c1", "hello")).ok());
  run(f.svc.ttl_changed(*f.get("empty")));
  // Armed at creation, before the message: it fires and finds one.
  REQUIRE(run(f.h.engine().timer_set(ConvKey{"t", "talked"}, TimerKind::ttl, kT + 5000)).ok());
  CHECK(f.poll(kT + 4999) == 0);
  CHECK(f.poll(kT + 5000) == 2);
  CHECK_FALSE(f.get("empty"));
  const auto events = f.h.sink.events(ConvKey{"t", "empty"});
  REQUIRE_FALSE(events.empty());
  CHECK(events.back()->type == "conversation.deleted");
  CHECK(events.back()->from_user.empty());
  CHECK(f.get("talked"));
  CHECK(f.none_left());
}

TEST_CASE("timer service: ttl_changed moves or removes the deletion") {
  Fixture f;
  REQUIRE(f.h.create(ttl_conversation("c", kT, 5)).ok());
  Conversation c = *f.get("c");
  run(f.svc.ttl_changed(c));
  c.ttl = 60;  // updateConversation {ttl: 60}
  run(f.svc.ttl_changed(c));
  CHECK(f.poll(kT + 5000) == 0);
  CHECK(f.get("c"));
  c.ttl.reset();  // updateConversation {ttl: null}
  run(f.svc.ttl_changed(c));
  CHECK(f.none_left());
  CHECK(f.get("c"));
}

TEST_CASE("timer service: a timer of a conversation that is gone is cleared") {
  Fixture f;
  REQUIRE(run(f.h.engine().timer_set(ConvKey{"t", "ghost"}, TimerKind::auto_lock, kT)).ok());
  REQUIRE(run(f.h.engine().timer_set(ConvKey{"t", "ghost"}, TimerKind::ttl, kT)).ok());
  CHECK(f.poll(kT) == 2);
  CHECK(f.none_left());
}

TEST_CASE("timer service: lock-after 0 arms no automatic lock") {
  Harness h{std::make_unique<MemoryEngine>()};
  TimerService svc{h.engine(), TimerService::Options{0, 1000}};
  REQUIRE(h.create(closed_conversation("c", kT)).ok());
  run(svc.closed(ConvKey{"t", "c"}, kT));
  CHECK(run(svc.poll_once(kT + 365LL * 24 * 3600 * 1000)) == 0);
}

TEST_CASE("timer_deadline: by kind, from the record") {
  Conversation c;
  c.created_at = kT;
  c.ttl = 2;
  CHECK(timer_deadline(TimerKind::ttl, c, kLockAfter) == kT + 2000);
  CHECK_FALSE(timer_deadline(TimerKind::auto_lock, c, kLockAfter));  // OPEN
  c.state = ConvState::close;
  Dialog d;
  d.open = false;
  d.closed_at = kT + 50;
  c.dialogs.push_back(d);
  CHECK(timer_deadline(TimerKind::auto_lock, c, kLockAfter) == kT + 50 + kLockAfter);
  c.messages_all = 1;
  CHECK_FALSE(timer_deadline(TimerKind::ttl, c, kLockAfter));
}

}  // namespace
}  // namespace parley
