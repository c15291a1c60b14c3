// The presence part of the storage contract (presence_store.hpp, contract 11) as
// doctest cases, run against every engine through PARLEY_ENGINE_CONTRACT
// (engine_contract.hpp). Time is the callers' clock, so the cases pass
// their own `now` and never sleep.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine_contract_support.hpp"

namespace parley::contract {

// An arbitrary start of time, and the entries' lifetime the cases use.
inline constexpr Millis kT0 = 1'700'000'000'000;
inline constexpr Millis kTtl = 20'000;

inline PresenceSocket sock(std::string user, std::string id, std::string tenant = "t1") {
  return PresenceSocket{std::move(tenant), std::move(user), std::move(id)};
}

// The engine's calls, run synchronously; a storage error fails the case.
class PresenceCalls {
 public:
  explicit PresenceCalls(Engine& e) : e_(e) {}
  std::optional<PresenceChange> touch(const PresenceSocket& s, Millis now,
                                      std::optional<PresenceStatus> status = std::nullopt) {
    auto r = run(e_.presence_touch(s, status, now, now + kTtl));
    REQUIRE(r.ok());
    return *r;
  }
  std::optional<PresenceChange> leave(const PresenceSocket& s, Millis now) {
    auto r = run(e_.presence_leave(s, now));
    REQUIRE(r.ok());
    return *r;
  }
  std::vector<PresenceSocket> refresh(std::vector<PresenceSocket> s, Millis now) {
    auto r = run(e_.presence_refresh(std::move(s), now, now + kTtl));
    REQUIRE(r.ok());
    return *r;
  }
  std::vector<PresenceChange> sweep(Millis now, size_t limit = 1000) {
    auto r = run(e_.presence_sweep(now, limit));
    REQUIRE(r.ok());
    return *r;
  }
  PresenceState get(const std::string& user, Millis now, const std::string& tenant = "t1") {
    std::vector<std::string> ids{user};
    auto r = run(e_.presence_get(tenant, ids, now));
    REQUIRE(r.ok());
    REQUIRE(r->size() == 1);
    return r->front();
  }

 private:
  Engine& e_;
};

inline void check_change(const std::optional<PresenceChange>& c, const std::string& user,
                         PresenceStatus status, Millis last_seen,
                         const std::string& tenant = "t1") {
  REQUIRE(c.has_value());
  CHECK(c->tenant == tenant);
  CHECK(c->state.user_id == user);
  CHECK(c->state.status == status);
  CHECK(c->state.last_seen == last_seen);
}

// What the presence announcement relies on to find a user's conversations.
template <class F>
void list_scan_limit_bounds_the_work() {
  Harness h(fresh_engine<F>());
  const std::string t = "t-scan";
  for (int i = 0; i < 6; ++i) {
    CreateRequest rq = conversation(t, "c" + std::to_string(i));
    rq.record.skill_id = i == 0 ? "rare" : "common";
    REQUIRE(h.create(std::move(rq)).ok());
  }
  ListRequest rq;
  rq.match = [](const Conversation& c) { return c.skill_id == std::optional<std::string>("rare"); };
  rq.scan_limit = 3;  // the oldest, the only match, is beyond the bound
  auto bounded = h.list(t, rq);
  REQUIRE(bounded.ok());
  CHECK(bounded->data.empty());
  CHECK(bounded->has_next);
  rq.scan_limit = 6;
  auto enough = h.list(t, rq);
  REQUIRE(enough->data.size() == 1);
  CHECK(enough->data[0].id == "c0");
  CHECK_FALSE(enough->has_next);
  rq.scan_limit = 0;
  CHECK(h.list(t, rq)->data.size() == 1);
}

template <class F>
void presence_follows_sockets() {
  Harness h(fresh_engine<F>());
  PresenceCalls p(h.engine());
  const auto never = p.get("ann", kT0);
  CHECK(never.user_id == "ann");
  CHECK(never.status == PresenceStatus::offline);
  CHECK(never.last_seen == 0);

  check_change(p.touch(sock("ann", "s1"), kT0), "ann", PresenceStatus::online, kT0);
  CHECK(p.get("ann", kT0 + 1).status == PresenceStatus::online);
  CHECK(p.get("ann", kT0 + 1).last_seen == kT0);
  CHECK_FALSE(p.touch(sock("ann", "s2"), kT0 + 10));  // a second socket: no change
  CHECK_FALSE(p.touch(sock("ann", "s1"), kT0 + 20));  // the same socket again
  CHECK_FALSE(p.leave(sock("ann", "s1"), kT0 + 30));  // s2 is still there
  CHECK(p.get("ann", kT0 + 31).status == PresenceStatus::online);
  CHECK(p.get("ann", kT0 + 31).last_seen == kT0 + 30);
  check_change(p.leave(sock("ann", "s2"), kT0 + 40), "ann", PresenceStatus::offline, kT0 + 40);
  const auto gone = p.get("ann", kT0 + 50);
  CHECK(gone.status == PresenceStatus::offline);
  CHECK(gone.last_seen == kT0 + 40);
  CHECK_FALSE(p.leave(sock("ann", "s2"), kT0 + 60));  // twice: nothing more
  CHECK_FALSE(p.leave(sock("bob", "s9"), kT0 + 60));  // never seen: nothing
  CHECK(p.get("bob", kT0 + 60).last_seen == 0);
  CHECK(p.sweep(kT0 + 10 * kTtl).empty());  // nothing left to expire
}

template <class F>
void presence_status_belongs_to_the_user() {
  Harness h(fresh_engine<F>());
  PresenceCalls p(h.engine());
  check_change(p.touch(sock("ann", "s1"), kT0, PresenceStatus::busy), "ann", PresenceStatus::busy,
               kT0);
  check_change(p.touch(sock("ann", "s1"), kT0 + 1, PresenceStatus::away), "ann",
               PresenceStatus::away, kT0 + 1);
  CHECK_FALSE(p.touch(sock("ann", "s1"), kT0 + 2, PresenceStatus::away));
  CHECK_FALSE(p.touch(sock("ann", "s2"), kT0 + 3));  // another socket keeps the user's choice
  CHECK(p.get("ann", kT0 + 4).status == PresenceStatus::away);
  check_change(p.touch(sock("ann", "s2"), kT0 + 5, PresenceStatus::online), "ann",
               PresenceStatus::online, kT0 + 5);
  REQUIRE(p.touch(sock("ann", "s2"), kT0 + 6, PresenceStatus::busy));
  CHECK_FALSE(p.leave(sock("ann", "s1"), kT0 + 7));
  REQUIRE(p.leave(sock("ann", "s2"), kT0 + 8));
  // Offline forgets the choice: the next first socket is plain online.
  check_change(p.touch(sock("ann", "s3"), kT0 + 9), "ann", PresenceStatus::online, kT0 + 9);
}

template <class F>
void presence_expires_and_the_sweep_reports_it_once() {
  Harness h(fresh_engine<F>());
  PresenceCalls p(h.engine());
  REQUIRE(p.touch(sock("ann", "s1"), kT0));
  REQUIRE(p.touch(sock("bob", "s2"), kT0));
  REQUIRE(p.touch(sock("cid", "s3"), kT0));
  CHECK_FALSE(p.touch(sock("cid", "s4"), kT0 + kTtl / 2));  // cid outlives the others
  CHECK(p.get("ann", kT0 + kTtl - 1).status == PresenceStatus::online);
  CHECK(p.sweep(kT0 + kTtl - 1).empty());
  // Past its expiry an entry no longer counts, swept or not.
  const auto expired = p.get("ann", kT0 + kTtl);
  CHECK(expired.status == PresenceStatus::offline);
  CHECK(expired.last_seen == kT0);

  auto first = p.sweep(kT0 + kTtl, 1);  // the limit bounds one call
  REQUIRE(first.size() == 1);
  auto rest = p.sweep(kT0 + kTtl);
  REQUIRE(rest.size() == 1);
  std::vector<std::string> users{first[0].state.user_id, rest[0].state.user_id};
  std::sort(users.begin(), users.end());
  CHECK(users == std::vector<std::string>{"ann", "bob"});
  for (const auto& c : {first[0], rest[0]}) {
    CHECK(c.tenant == "t1");
    CHECK(c.state.status == PresenceStatus::offline);
    CHECK(c.state.last_seen == kT0);  // the last time anything vouched for it
  }
  CHECK(p.sweep(kT0 + kTtl + 1).empty());  // reported once
  CHECK(p.get("cid", kT0 + kTtl).status == PresenceStatus::online);
  // An expired user coming back is a change again.
  check_change(p.touch(sock("ann", "s5"), kT0 + 2 * kTtl), "ann", PresenceStatus::online,
               kT0 + 2 * kTtl);
  // A socket that leaves after its user was swept changes nothing.
  CHECK_FALSE(p.leave(sock("bob", "s2"), kT0 + 2 * kTtl));
}

template <class F>
void presence_refresh_renews_but_never_recreates() {
  Harness h(fresh_engine<F>());
  PresenceCalls p(h.engine());
  REQUIRE(p.touch(sock("ann", "s1"), kT0));
  REQUIRE(p.touch(sock("bob", "s2"), kT0));
  auto missing = p.refresh({sock("ann", "s1"), sock("ann", "nope"), sock("bob", "s2"),
                            sock("zed", "s3"), sock("ann", "s1", "t2")},
                           kT0 + kTtl / 2);
  CHECK(missing.size() == 3);
  for (const auto& m : {sock("ann", "nope"), sock("zed", "s3"), sock("ann", "s1", "t2")})
    CHECK(std::find(missing.begin(), missing.end(), m) != missing.end());
  // Renewed: alive past the first expiry, and last_seen moved.
  const auto later = p.get("ann", kT0 + kTtl + 1);
  CHECK(later.status == PresenceStatus::online);
  CHECK(later.last_seen == kT0 + kTtl / 2);
  CHECK(p.sweep(kT0 + kTtl + 1).empty());
  CHECK(p.get("zed", kT0 + kTtl).status == PresenceStatus::offline);  // not created

  REQUIRE(p.leave(sock("bob", "s2"), kT0 + kTtl));
  CHECK(p.refresh({sock("bob", "s2")}, kT0 + kTtl + 1).size() == 1);  // left: stays gone
  CHECK(p.get("bob", kT0 + kTtl + 2).status == PresenceStatus::offline);
  // Swept: stays gone too, until the socket registers again.
  REQUIRE(p.sweep(kT0 + 3 * kTtl).size() == 1);
  CHECK(p.refresh({sock("ann", "s1")}, kT0 + 3 * kTtl).size() == 1);
  CHECK(p.get("ann", kT0 + 3 * kTtl).status == PresenceStatus::offline);
}

template <class F>
void presence_is_per_tenant_and_answers_in_order() {
  Harness h(fresh_engine<F>());
  PresenceCalls p(h.engine());
  REQUIRE(p.touch(sock("ann", "s1", "t1"), kT0, PresenceStatus::busy));
  CHECK(p.get("ann", kT0, "t2").status == PresenceStatus::offline);
  check_change(p.touch(sock("ann", "s1", "t2"), kT0 + 1), "ann", PresenceStatus::online, kT0 + 1,
               "t2");
  check_change(p.leave(sock("ann", "s1", "t2"), kT0 + 2), "ann", PresenceStatus::offline, kT0 + 2,
               "t2");
  CHECK(p.get("ann", kT0 + 3, "t1").status == PresenceStatus::busy);
  REQUIRE(p.touch(sock("bob", "s2"), kT0));
  std::vector<std::string> ids{"zed", "bob", "ann", "zed"};
  auto all = run(h.engine().presence_get("t1", ids, kT0 + 4));
  REQUIRE(all.ok());
  REQUIRE(all->size() == 4);
  CHECK((*all)[0].user_id == "zed");
  CHECK((*all)[0].status == PresenceStatus::offline);
  CHECK((*all)[1].user_id == "bob");
  CHECK((*all)[1].status == PresenceStatus::online);
  CHECK((*all)[2].user_id == "ann");
  CHECK((*all)[2].status == PresenceStatus::busy);
  CHECK((*all)[3].user_id == "zed");
}

template <class F>
void presence_changes_are_reported_once_under_races() {
  Harness h(fresh_engine<F>());
  PresenceCalls p(h.engine());
  constexpr int kUsers = 40, kThreads = 4;
  for (int u = 0; u < kUsers; ++u)
    for (int t = 0; t < kThreads; ++t)
      p.touch(sock("u" + std::to_string(u), "s" + std::to_string(t)), kT0);

  // Every socket of every user leaves at once, one thread per socket:
  // exactly one of them reports each user's offline.
  std::atomic<int> offline{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int u = 0; u < kUsers / 2; ++u) {
        auto c = run(h.engine().presence_leave(
            sock("u" + std::to_string(u), "s" + std::to_string(t)), kT0 + 1));
        if (c.ok() && c.value()) ++offline;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(offline == kUsers / 2);

  // The other half expire; several sweepers at once report each user once.
  std::mutex mu;
  std::map<std::string, int> reported;
  threads.clear();
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int round = 0; round < 5; ++round) {
        auto changes = run(h.engine().presence_sweep(kT0 + kTtl, 7));
        if (!changes.ok()) continue;
        std::lock_guard lk(mu);
        for (const auto& c : *changes) ++reported[c.state.user_id];
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& c : p.sweep(kT0 + kTtl)) ++reported[c.state.user_id];  // what is left
  CHECK(reported.size() == kUsers / 2);
  for (const auto& [user, n] : reported) CHECK_MESSAGE(n == 1, user << " reported " << n);
}

}  // namespace parley::contract

// The presence cases, and the listing bound presence relies on; part of
// PARLEY_ENGINE_CONTRACT.
#define PARLEY_ENGINE_CONTRACT_PRESENCE(F)                                       \
  PARLEY_ENGINE_CONTRACT_CASE(F, list_scan_limit_bounds_the_work)                \
  PARLEY_ENGINE_CONTRACT_CASE(F, presence_follows_sockets)                       \
  PARLEY_ENGINE_CONTRACT_CASE(F, presence_status_belongs_to_the_user)            \
  PARLEY_ENGINE_CONTRACT_CASE(F, presence_expires_and_the_sweep_reports_it_once) \
  PARLEY_ENGINE_CONTRACT_CASE(F, presence_refresh_renews_but_never_recreates)    \
  PARLEY_ENGINE_CONTRACT_CASE(F, presence_is_per_tenant_and_answers_in_order)    \
  PARLEY_ENGINE_CONTRACT_CASE(F, presence_changes_are_reported_once_under_races)
