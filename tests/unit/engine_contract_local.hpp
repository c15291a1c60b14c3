// Contract 15 (storage/conversation_store.hpp, "Local hand-off") as doctest cases, run
// against every engine: an engine's test file instantiates them with
// PARLEY_ENGINE_CONTRACT_LOCAL(Factory).
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine_contract.hpp"
#include "engine_contract_support.hpp"

namespace parley::contract {

// Records the local copies (on_local_events) apart from the ordered
// hand-off (on_events, which RecordingSink records).
class LocalSink : public RecordingSink {
 public:
  void on_local_events(const ConvKey& key, const std::string& epoch,
                       const std::vector<EventPtr>& events) override {
    std::lock_guard lk(mu_);
    for (const auto& e : events) local_.push_back({key, epoch, e->seq});
  }
  // Whether the sink has `seq` of `key`, by either path, with `epoch`.
  bool has(const ConvKey& key, const std::string& epoch, uint64_t seq) const {
    {
      std::lock_guard lk(mu_);
      for (const auto& r : local_)
        if (r.key == key && r.epoch == epoch && r.seq == seq) return true;
    }
    auto all = events(key);
    auto eps = epochs(key);
    for (size_t i = 0; i < all.size(); ++i)
      if (all[i]->seq == seq && eps[i] == epoch) return true;
    return false;
  }
  size_t local_count(const ConvKey& key, uint64_t seq) const {
    std::lock_guard lk(mu_);
    size_t n = 0;
    for (const auto& r : local_) n += r.key == key && r.seq == seq;
    return n;
  }

 private:
  struct Record {
    ConvKey key;
    std::string epoch;
    uint64_t seq;
  };
  mutable std::mutex mu_;
  std::vector<Record> local_;
};

class LocalHarness {
 public:
  explicit LocalHarness(std::unique_ptr<Engine> e) : engine_(std::move(e)) {
    engine_->set_sink(&sink);
  }
  ~LocalHarness() { engine_.reset(); }
  Engine& engine() { return *engine_; }
  LocalSink sink;

 private:
  std::unique_ptr<Engine> engine_;
};

// When append() returns, this node's sink has the event already (no wait),
// once as a local copy at most; the ordered hand-off still brings every
// seq exactly once, in order; a duplicate append hands nothing over.
template <class F>
void local_handoff_before_append_returns() {
  LocalHarness h(fresh_engine<F>());
  Engine& e = h.engine();
  const ConvKey k{"t1", "c-local"};
  e.watch(k);
  auto created = run(e.create(conversation(k.tenant, k.id)));
  REQUIRE(created.ok());
  const std::string epoch = created->record.epoch;
  uint64_t last = created->record.last_seq;
  for (int i = 0; i < 20; ++i) {
    auto c = run(e.append(k, message("c1", "hello " + std::to_string(i),
                                     "m" + std::to_string(i))));
    REQUIRE(c.ok());
    CHECK(h.sink.has(k, epoch, c->seq));
    CHECK(h.sink.local_count(k, c->seq) <= 1);
    last = c->seq;
  }
  auto again = run(e.append(k, message("c1", "hello 3", "m3")));
  REQUIRE(again.ok());
  CHECK(again->duplicate);
  REQUIRE(h.sink.wait_for(k, last));
  CHECK(h.sink.seqs(k) == iota(1, last));
  CHECK(h.sink.local_count(k, again->seq) <= 1);
  e.unwatch(k);
}

// Commits racing from several threads: whatever order the local copies
// come in, each seq is handed over locally at most once and the ordered
// hand-off is still exactly once, in order.
template <class F>
void local_handoff_from_many_threads() {
  LocalHarness h(fresh_engine<F>());
  Engine& e = h.engine();
  const ConvKey k{"t1", "c-threads"};
  e.watch(k);
  auto created = run(e.create(conversation(k.tenant, k.id)));
  REQUIRE(created.ok());
  const std::string epoch = created->record.epoch;
  std::mutex mu;
  std::vector<uint64_t> committed;
  bool all_seen = true;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto c = run(e.append(k, message("c1", "t" + std::to_string(t))));
        if (!c.ok()) continue;
        const bool seen = h.sink.has(k, epoch, c->seq);
        std::lock_guard lk(mu);
        committed.push_back(c->seq);
        all_seen = all_seen && seen;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(committed.size() == 100);
  CHECK(all_seen);
  const uint64_t last = created->record.last_seq + 100;
  REQUIRE(h.sink.wait_for(k, last));
  CHECK(h.sink.seqs(k) == iota(1, last));
  for (uint64_t s : committed) CHECK(h.sink.local_count(k, s) <= 1);
  e.unwatch(k);
}

}  // namespace parley::contract

#define PARLEY_ENGINE_CONTRACT_LOCAL(F)                               \
  PARLEY_ENGINE_CONTRACT_CASE(F, local_handoff_before_append_returns) \
  PARLEY_ENGINE_CONTRACT_CASE(F, local_handoff_from_many_threads)
