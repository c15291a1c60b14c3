// Contract 14 (storage/conversation_store.hpp, "Tenant watch") as doctest cases, run
// against every engine: an engine's test file instantiates them with
// PARLEY_ENGINE_CONTRACT_INBOX(Factory). A shared engine's watch takes
// effect asynchronously, so each case first waits until a probe commit is
// reported (bounded), then checks.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine_contract_support.hpp"

namespace parley::contract {

// Records on_changed / on_tenant_gap besides what RecordingSink records.
class ChangeSink : public RecordingSink {
 public:
  void on_changed(const ConvKey& key, bool erased) override {
    std::lock_guard lk(mu_);
    changes_.emplace_back(key, erased);
    cv_.notify_all();
  }
  void on_tenant_gap(const std::string& tenant) override {
    std::lock_guard lk(mu_);
    gaps_.push_back(tenant);
    cv_.notify_all();
  }
  // How many notices `key` got (with erased == `erased`).
  size_t count(const ConvKey& key, bool erased = false) const {
    std::lock_guard lk(mu_);
    return static_cast<size_t>(std::count(changes_.begin(), changes_.end(),
                                           std::make_pair(key, erased)));
  }
  bool wait_count(const ConvKey& key, size_t n, bool erased = false,
                  std::chrono::milliseconds limit = 5s) const {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, limit, [&] {
      return static_cast<size_t>(std::count(changes_.begin(), changes_.end(),
                                            std::make_pair(key, erased))) >= n;
    });
  }
  size_t tenant_gaps(const std::string& tenant) const {
    std::lock_guard lk(mu_);
    return static_cast<size_t>(std::count(gaps_.begin(), gaps_.end(), tenant));
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<std::pair<ConvKey, bool>> changes_;
  std::vector<std::string> gaps_;
};

// One engine with a ChangeSink.
class ChangeHarness {
 public:
  explicit ChangeHarness(std::unique_ptr<Engine> e) : engine_(std::move(e)) {
    engine_->set_sink(&sink);
  }
  ~ChangeHarness() { engine_.reset(); }
  Engine& engine() { return *engine_; }

  // Waits until `tenant`'s watch is in force: a probe conversation's
  // commits are reported. True when they were within the limit.
  bool settle(const std::string& tenant, const std::string& probe_id) {
    const ConvKey probe{tenant, probe_id};
    if (!run(engine_->create(conversation(tenant, probe_id))).ok()) return false;
    for (int i = 0; i < 100; ++i) {
      if (sink.count(probe) > 0) return true;
      auto r = run(engine_->append(probe, message("c1", "probe")));
      if (!r.ok()) return false;
      if (sink.wait_count(probe, 1, false, 50ms)) return true;
    }
    return false;
  }

  ChangeSink sink;

 private:
  std::unique_ptr<Engine> engine_;
};

// A tenant with characters the Redis key layout escapes (':' and ' ').
inline const std::string kOddTenant = "t 1:x";

template <class F>
void tenant_watch_reports_every_commit() {
  ChangeHarness h(fresh_engine<F>());
  Engine& e = h.engine();
  e.watch_tenant(kOddTenant);
  REQUIRE(h.settle(kOddTenant, "probe"));

  const ConvKey key{kOddTenant, "c:1"};
  REQUIRE(run(e.create(conversation(key.tenant, key.id))).ok());
  CHECK(h.sink.wait_count(key, 1));
  REQUIRE(run(e.append(key, message("c1", "hello", "m-1"))).ok());
  CHECK(h.sink.wait_count(key, 2));
  auto dup = run(e.append(key, message("c1", "hello", "m-1")));
  REQUIRE(dup.ok());
  CHECK(dup->duplicate);
  REQUIRE(run(e.update(key, UpdateRequest{0, close_conversation()})).ok());
  CHECK(h.sink.wait_count(key, 3));
  // A duplicate append and a noop update commit nothing: not reported.
  REQUIRE(run(e.update(key, UpdateRequest{0, [](const Conversation& c, const Event*) {
                         Decision d;
                         d.next = c;
                         d.noop = true;
                         return Result<Decision>(std::move(d));
                       }}))
              .ok());
  REQUIRE(run(e.update(key, UpdateRequest{0, erase_conversation()})).ok());
  CHECK(h.sink.wait_count(key, 1, true));
  CHECK(h.sink.count(key, false) == 3);
}

template <class F>
void tenant_watch_is_per_tenant_and_counted() {
  ChangeHarness h(fresh_engine<F>());
  Engine& e = h.engine();
  e.watch_tenant("t1");
  e.watch_tenant("t1");  // two watchers
  REQUIRE(h.settle("t1", "probe-1"));

  // Another tenant's commits are not reported; a later commit in t1 is.
  const ConvKey other{"t2", "c-other"};
  REQUIRE(run(e.create(conversation(other.tenant, other.id))).ok());
  const ConvKey mark1{"t1", "mark-1"};
  REQUIRE(run(e.create(conversation(mark1.tenant, mark1.id))).ok());
  REQUIRE(h.sink.wait_count(mark1, 1));
  CHECK(h.sink.count(other) == 0);

  // One of two watchers left: still watched.
  e.unwatch_tenant("t1");
  const ConvKey mark2{"t1", "mark-2"};
  REQUIRE(run(e.create(conversation(mark2.tenant, mark2.id))).ok());
  CHECK(h.sink.wait_count(mark2, 1));

  // The last one left: t1 is no longer reported. (Proved against a tenant
  // that is still watched: its later commit arrives, t1's does not.)
  e.unwatch_tenant("t1");
  e.watch_tenant("t3");
  REQUIRE(h.settle("t3", "probe-3"));
  const ConvKey quiet{"t1", "quiet"};
  REQUIRE(run(e.create(conversation(quiet.tenant, quiet.id))).ok());
  const ConvKey mark3{"t3", "mark-3"};
  REQUIRE(run(e.create(conversation(mark3.tenant, mark3.id))).ok());
  REQUIRE(h.sink.wait_count(mark3, 1));
  CHECK(h.sink.count(quiet) == 0);
  e.unwatch_tenant("t3");
}

}  // namespace parley::contract

#define PARLEY_ENGINE_CONTRACT_INBOX(F)                                     \
  PARLEY_ENGINE_CONTRACT_CASE(F, tenant_watch_reports_every_commit)        \
  PARLEY_ENGINE_CONTRACT_CASE(F, tenant_watch_is_per_tenant_and_counted)
