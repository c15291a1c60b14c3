// Subscribe's recovery over both engines (memory and a real Redis), as a
// table: each case builds a conversation's log, then runs the subscribe
// read the way api/methods_subscriptions.cpp does (the record, plan_read,
// engine read, recover) and checks recovered, the replay and the epoch.
// The pure function's own table: rules_recovery_test.cpp.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dialog/recovery.hpp"
#include "engine_contract_support.hpp"
#include "memory/memory_engine.hpp"
#include "redis/redis_engine.hpp"
#include "redis_server.hpp"

namespace parley {
namespace {

using contract::Harness;
using contract::message;
using testing::RedisServer;

constexpr uint64_t kReplayMax = 5;

// What became of the conversation between the client's position and its
// subscribe.
enum class Gone {
  no,
  deleted,   // deleteConversation: the subscribe answers 404
  lost,      // the engine lost everything (a memory broker restarted, Redis
             // wiped): 404
  relogged,  // lost, then created again under its id: a new epoch, a new log
};

// The epoch the client names with its sinceSeq.
enum class Named { none, its_own, another };

struct Row {
  const char* what;
  std::optional<uint64_t> since;
  Named epoch;
  Audience audience;
  Gone gone;
  // expected: 404, or recovered, the replay's seqs, the position (lastSeq)
  bool not_found;
  bool recovered;
  std::vector<uint64_t> replay;
  uint64_t position;
};

constexpr Audience kAgents = Audience::agents;
constexpr Audience kConsumer = Audience::consumers;

// The log of every case: conversation.created, member.joined (1, 2), then
// messages 3..20, of which 17 and 19 are agents-only.
// clang-format off
const Row kRows[] = {
  // what                                      since  epoch           audience   gone            404    rec    replay                position
  {"from a position",                          17,    Named::its_own, kAgents,   Gone::no,       false, true,  {18, 19, 20},         20},
  {"from a position, no epoch named",          17,    Named::none,    kAgents,   Gone::no,       false, true,  {18, 19, 20},         20},
  {"from a position, a consumer's replay",     16,    Named::its_own, kConsumer, Gone::no,       false, true,  {18, 20},             20},
  {"exactly the replay cap behind",            15,    Named::its_own, kAgents,   Gone::no,       false, true,  {16, 17, 18, 19, 20}, 20},
  {"too far back: over the replay cap",        14,    Named::its_own, kAgents,   Gone::no,       false, false, {},                   20},
  {"too far back: from the start",             0,     Named::its_own, kAgents,   Gone::no,       false, false, {},                   20},
  {"the same position",                        20,    Named::its_own, kAgents,   Gone::no,       false, true,  {},                   20},
  {"a position that does not exist yet",       21,    Named::its_own, kAgents,   Gone::no,       false, false, {},                   20},
  {"a position far ahead",                     1000,  Named::its_own, kAgents,   Gone::no,       false, false, {},                   20},
  {"an empty position: live only",             {},    Named::none,    kAgents,   Gone::no,       false, true,  {},                   20},
  {"a wrong epoch",                            17,    Named::another, kAgents,   Gone::no,       false, false, {},                   20},
  {"a position gone: deleted",                 17,    Named::its_own, kAgents,   Gone::deleted,  true,  false, {},                   0},
  {"a position gone: the log lost",            17,    Named::its_own, kAgents,   Gone::lost,     true,  false, {},                   0},
  {"a position gone: lost, then a new epoch",  2,     Named::its_own, kAgents,   Gone::relogged, false, false, {},                   2},
};
// clang-format on

struct MemoryEngines {
  static std::unique_ptr<Engine> make() { return std::make_unique<MemoryEngine>(); }
  static void reset() {}
  // A memory broker that restarts starts empty.
  static void lose_everything(std::unique_ptr<Harness>& h) {
    h = std::make_unique<Harness>(make());
  }
};

struct RedisEngines {
  static std::unique_ptr<Engine> make() {
    redis::RedisEngineOptions o;
    o.urls = {RedisServer::shared().url()};
    auto e = std::make_unique<redis::RedisEngine>(std::move(o));
    if (!e->wait_until_ready(std::chrono::seconds(5)))
      throw std::runtime_error("redis engine not ready within 5 s");
    return e;
  }
  static void reset() { RedisServer::shared().command({"FLUSHALL"}); }
  static void lose_everything(std::unique_ptr<Harness>&) { reset(); }
};

std::vector<uint64_t> seqs_of(const std::vector<EventPtr>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e->seq);
  return out;
}

template <class E>
void recovery_table() {
  E::reset();
  int n = 0;
  for (const Row& row : kRows) {
    INFO(row.what);
    auto h = std::make_unique<Harness>(E::make());
    const ConvKey k{"t1", "recovery-" + std::to_string(++n)};
    REQUIRE(h->create(k).ok());
    for (uint64_t seq = 3; seq <= 20; ++seq) {
      const bool agents_only = seq == 17 || seq == 19;
      REQUIRE(h->append(k, message("a1", "m" + std::to_string(seq), {},
                                   agents_only ? "message.private" : "message",
                                   agents_only ? Visibility::agents : Visibility::all))
                  .ok());
    }
    const std::string held = h->get(k)->epoch;  // the client's epoch
    switch (row.gone) {
      case Gone::no: break;
      case Gone::deleted: REQUIRE(h->update(k, contract::erase_conversation()).ok()); break;
      case Gone::lost: E::lose_everything(h); break;
      case Gone::relogged:
        E::lose_everything(h);
        REQUIRE(h->create(k).ok());
        break;
    }

    // subscribe: the record (readable), the plan, the read, the recovery.
    auto conv = h->get(k);
    if (row.not_found) {
      REQUIRE_FALSE(conv.ok());
      CHECK(conv.error().code == code::not_found);
      CHECK(h->read(k).error().code == code::not_found);
      continue;
    }
    REQUIRE(conv.ok());
    std::optional<std::string> named;
    if (row.epoch == Named::its_own) named = held;
    if (row.epoch == Named::another) named = "not-" + held;
    const rules::Ask ask{row.since, named};
    const rules::ReadPlan plan = rules::plan_read(ask, conv->epoch, kReplayMax);
    ReadRequest rq;
    rq.audience = row.audience;
    rq.from_seq = plan.from_seq;
    rq.limit = plan.limit;
    auto page = h->read(k, rq);
    REQUIRE(page.ok());
    const rules::Recovery rec = rules::recover(
        ask, plan, {page->epoch, page->last_seq, std::move(page->events), page->has_more},
        kReplayMax);

    CHECK(rec.recovered == row.recovered);
    CHECK(seqs_of(rec.replay) == row.replay);
    CHECK(rec.position == row.position);
    CHECK(rec.epoch == conv->epoch);
    // The epoch is the client's own unless the log was lost and began again.
    CHECK((rec.epoch == held) == (row.gone != Gone::relogged));
  }
}

TEST_CASE("subscribe recovery over the memory engine") { recovery_table<MemoryEngines>(); }

TEST_CASE("subscribe recovery over the Redis engine") { recovery_table<RedisEngines>(); }

}  // namespace
}  // namespace parley
