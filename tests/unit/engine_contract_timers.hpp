// The timers part of the storage contract (timer_store.hpp, contract 13) as
// doctest cases, run against every engine through PARLEY_ENGINE_CONTRACT
// (engine_contract.hpp). Time is the callers' clock: the cases pass their
// own `now` and never sleep.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine_contract_support.hpp"

namespace parley::contract {

inline constexpr Millis kTimerT0 = 1'700'000'000'000;
inline constexpr Millis kLease = 30'000;

// The engine's timer calls, run synchronously; a storage error fails the case.
class TimerCalls {
 public:
  explicit TimerCalls(Engine& e) : e_(e) {}
  void set(const std::string& id, TimerKind kind, Millis due, const std::string& tenant = "t1") {
    REQUIRE(run(e_.timer_set(ConvKey{tenant, id}, kind, due)).ok());
  }
  void clear(const std::string& id, TimerKind kind, std::optional<Millis> if_due = std::nullopt,
             const std::string& tenant = "t1") {
    REQUIRE(run(e_.timer_clear(ConvKey{tenant, id}, kind, if_due)).ok());
  }
  std::vector<DueTimer> due(Millis now, size_t limit = 100, Millis lease = kLease) {
    auto r = run(e_.timers_due(now, limit, lease));
    REQUIRE(r.ok());
    return *r;
  }

 private:
  Engine& e_;
};

inline DueTimer timer(const std::string& id, TimerKind kind, Millis due,
                      const std::string& tenant = "t1") {
  return DueTimer{ConvKey{tenant, id}, kind, due};
}

template <class F>
void timers_come_due_in_order() {
  Harness h(fresh_engine<F>());
  TimerCalls t(h.engine());
  CHECK(t.due(kTimerT0).empty());
  t.set("c", TimerKind::auto_lock, kTimerT0 + 300);
  t.set("a", TimerKind::auto_lock, kTimerT0 + 100);
  t.set("b", TimerKind::ttl, kTimerT0 + 200);
  t.set("b", TimerKind::auto_lock, kTimerT0 + 250, "t2");  // another tenant: another timer
  CHECK(t.due(kTimerT0 + 99).empty());                      // none due yet
  const std::vector<DueTimer> first{timer("a", TimerKind::auto_lock, kTimerT0 + 100),
                                    timer("b", TimerKind::ttl, kTimerT0 + 200)};
  CHECK(t.due(kTimerT0 + 200) == first);  // due <= now, earliest first; c and t2's b wait
  const std::vector<DueTimer> rest{timer("b", TimerKind::auto_lock, kTimerT0 + 250, "t2"),
                                   timer("c", TimerKind::auto_lock, kTimerT0 + 300)};
  CHECK(t.due(kTimerT0 + 1000) == rest);  // the claimed ones are not handed out again
  CHECK(t.due(kTimerT0 + 2000).empty());
}

template <class F>
void timer_set_replaces_and_clear_removes() {
  Harness h(fresh_engine<F>());
  TimerCalls t(h.engine());
  // One timer per (conversation, kind): a second set moves it.
  t.set("a", TimerKind::auto_lock, kTimerT0 + 100);
  t.set("a", TimerKind::auto_lock, kTimerT0 + 500);
  t.set("a", TimerKind::ttl, kTimerT0 + 100);
  const std::vector<DueTimer> ttl_only{timer("a", TimerKind::ttl, kTimerT0 + 100)};
  CHECK(t.due(kTimerT0 + 200) == ttl_only);
  const std::vector<DueTimer> moved{timer("a", TimerKind::auto_lock, kTimerT0 + 500)};
  CHECK(t.due(kTimerT0 + 500) == moved);

  // Clear removes one kind only; clearing an absent timer is fine.
  t.set("b", TimerKind::auto_lock, kTimerT0 + 100);
  t.set("b", TimerKind::ttl, kTimerT0 + 100);
  t.clear("b", TimerKind::auto_lock);
  t.clear("b", TimerKind::auto_lock);
  t.clear("nobody", TimerKind::ttl);
  const std::vector<DueTimer> b_ttl{timer("b", TimerKind::ttl, kTimerT0 + 100)};
  CHECK(t.due(kTimerT0 + 600) == b_ttl);

  // A cleared timer is never handed out again, even after the lease.
  t.clear("a", TimerKind::ttl);
  t.clear("a", TimerKind::auto_lock);
  t.clear("b", TimerKind::ttl);
  CHECK(t.due(kTimerT0 + 10 * kLease).empty());
}

template <class F>
void timer_clear_if_due_spares_a_moved_timer() {
  Harness h(fresh_engine<F>());
  TimerCalls t(h.engine());
  t.set("a", TimerKind::auto_lock, kTimerT0 + 100);
  const auto got = t.due(kTimerT0 + 100);
  REQUIRE(got.size() == 1);
  // While a node acts on the old time, the timer is set again (reopened
  // and closed once more): the node's clear of the old time leaves it.
  t.set("a", TimerKind::auto_lock, kTimerT0 + 900);
  t.clear("a", TimerKind::auto_lock, got[0].due);
  const std::vector<DueTimer> moved{timer("a", TimerKind::auto_lock, kTimerT0 + 900)};
  CHECK(t.due(kTimerT0 + 900) == moved);  // a new time also ends the claim
  // The matching time clears it.
  t.clear("a", TimerKind::auto_lock, kTimerT0 + 900);
  CHECK(t.due(kTimerT0 + 10 * kLease).empty());
}

template <class F>
void timer_claims_expire_after_the_lease() {
  Harness h(fresh_engine<F>());
  TimerCalls t(h.engine());
  t.set("a", TimerKind::ttl, kTimerT0 + 100);
  const std::vector<DueTimer> a{timer("a", TimerKind::ttl, kTimerT0 + 100)};
  CHECK(t.due(kTimerT0 + 200) == a);
  CHECK(t.due(kTimerT0 + 200).empty());                 // claimed
  CHECK(t.due(kTimerT0 + 200 + kLease - 1).empty());    // still within the lease
  CHECK(t.due(kTimerT0 + 200 + kLease) == a);           // the claimer never cleared it
  CHECK(t.due(kTimerT0 + 200 + kLease + 1).empty());    // claimed again
  t.clear("a", TimerKind::ttl, kTimerT0 + 100);
  CHECK(t.due(kTimerT0 + 200 + 5 * kLease).empty());
}

template <class F>
void timers_due_honours_the_limit() {
  Harness h(fresh_engine<F>());
  TimerCalls t(h.engine());
  for (int i = 0; i < 7; ++i) t.set("c" + std::to_string(i), TimerKind::auto_lock, kTimerT0 + i);
  std::map<std::string, int> seen;
  for (int round = 0; round < 3; ++round) {
    const auto got = t.due(kTimerT0 + 100, 3);
    CHECK(got.size() == (round < 2 ? 3u : 1u));
    for (const auto& d : got) ++seen[d.key.id];
  }
  CHECK(seen.size() == 7);
  for (const auto& [id, n] : seen) CHECK_MESSAGE(n == 1, id << " handed out " << n);
  CHECK(t.due(kTimerT0 + 100, 3).empty());
  CHECK(t.due(kTimerT0 + 100, 0).empty());
}

template <class F>
void timer_claimers_see_disjoint_sets() {
  Harness h(fresh_engine<F>());
  TimerCalls t(h.engine());
  constexpr int kTimers = 60, kThreads = 4;
  for (int i = 0; i < kTimers; ++i)
    t.set("c" + std::to_string(i), i % 2 ? TimerKind::ttl : TimerKind::auto_lock, kTimerT0 + i);
  std::mutex mu;
  std::map<std::string, int> claimed;
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; ++k)
    threads.emplace_back([&] {
      for (int round = 0; round < 10; ++round) {
        auto got = run(h.engine().timers_due(kTimerT0 + kTimers, 5, kLease));
        if (!got.ok()) continue;
        std::lock_guard lk(mu);
        for (const auto& d : *got) ++claimed[d.key.id + "/" + std::string(to_string(d.kind))];
      }
    });
  for (auto& th : threads) th.join();
  for (const auto& d : t.due(kTimerT0 + kTimers, 1000))  // whatever the threads left
    ++claimed[d.key.id + "/" + std::string(to_string(d.kind))];
  CHECK(claimed.size() == kTimers);
  for (const auto& [id, n] : claimed) CHECK_MESSAGE(n == 1, id << " claimed " << n);
}

}  // namespace parley::contract

// The timer cases; part of PARLEY_ENGINE_CONTRACT.
#define PARLEY_ENGINE_CONTRACT_TIMERS(F)                                   \
  PARLEY_ENGINE_CONTRACT_CASE(F, timers_come_due_in_order)                 \
  PARLEY_ENGINE_CONTRACT_CASE(F, timer_set_replaces_and_clear_removes)     \
  PARLEY_ENGINE_CONTRACT_CASE(F, timer_clear_if_due_spares_a_moved_timer)  \
  PARLEY_ENGINE_CONTRACT_CASE(F, timer_claims_expire_after_the_lease)      \
  PARLEY_ENGINE_CONTRACT_CASE(F, timers_due_honours_the_limit)             \
  PARLEY_ENGINE_CONTRACT_CASE(F, timer_claimers_see_disjoint_sets)
