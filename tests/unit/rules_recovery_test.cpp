// Subscribe's recovery (dialog/recovery.hpp) as a table over hand-made log
// pages, the cases of a recovery test suite: from a position, too far back,
// gone (a new epoch), not there yet, the same position, no position, a
// wrong epoch. Each row: the client's position, the plan it gives, what the
// log answers that plan (an engine's page), and the recovery.
// broker_recovery_test.cpp runs the same steps over both engines.
#include <doctest/doctest.h>

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dialog/recovery.hpp"

namespace parley {
namespace {

constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();

struct Row {
  const char* what;
  // the client's position
  std::optional<uint64_t> since;
  std::optional<std::string> epoch;
  uint64_t replay_max;
  // the plan: want_replay, from_seq, limit
  bool want_replay;
  uint64_t from_seq;
  uint64_t limit;
  // the page the log, of epoch "ep1", answers the plan with
  uint64_t last_seq;
  std::vector<uint64_t> read;
  bool has_more;
  // the recovery
  bool recovered;
  std::vector<uint64_t> replay;
};

// clang-format off
const Row kRows[] = {
  // what                                                  since    epoch    max | want   from  limit | last read              more  | rec    replay
  {"from a position",                                      17,      "ep1",   5,   true,  18,   5,      20,  {18, 19, 20},         false,  true,  {18, 19, 20}},
  {"from a position, no epoch named",                      17,      {},      5,   true,  18,   5,      20,  {18, 19, 20},         false,  true,  {18, 19, 20}},
  {"from the start",                                       0,       "ep1",   5,   true,  1,    5,      3,   {1, 2, 3},            false,  true,  {1, 2, 3}},
  {"exactly the replay cap behind",                        15,      "ep1",   5,   true,  16,   5,      20,  {16, 17, 18, 19, 20}, false,  true,  {16, 17, 18, 19, 20}},
  {"agents-only events skipped (consumer), within cap",    16,      "ep1",   5,   true,  17,   5,      20,  {17, 19},             false,  true,  {17, 19}},
  {"too far back: over the replay cap",                    14,      "ep1",   5,   true,  15,   5,      20,  {15, 16, 17, 18, 19}, true,   false, {}},
  {"too far back, though few events are visible",          10,      "ep1",   5,   true,  11,   5,      20,  {12, 15, 18},         false,  false, {}},
  {"the read stopped early (has_more) within the cap",     17,      "ep1",   5,   true,  18,   5,      20,  {18},                 true,   false, {}},
  {"the same position",                                    20,      "ep1",   5,   true,  21,   5,      20,  {},                   false,  true,  {}},
  {"a position that does not exist yet",                   21,      "ep1",   5,   true,  22,   5,      20,  {},                   false,  false, {}},
  {"a position far ahead",                                 1000,    "ep1",   5,   true,  1001, 5,      20,  {},                   false,  false, {}},
  {"an empty position: live only",                         {},      {},      5,   false, kNone, 0,     20,  {},                   false,  true,  {}},
  {"an empty position, an old epoch named: live only",     {},      "ep0",   5,   false, kNone, 0,     20,  {},                   false,  true,  {}},
  {"a wrong epoch",                                        17,      "ep0",   5,   false, kNone, 0,     20,  {},                   false,  false, {}},
  {"a position gone: the log lost, a new shorter one",     2,       "ep0",   5,   false, kNone, 0,     3,   {},                   false,  false, {}},
  {"replay cap 0: the same position recovers",             20,      "ep1",   0,   true,  21,   0,      20,  {},                   false,  true,  {}},
  {"replay cap 0: one behind does not",                    19,      "ep1",   0,   true,  20,   0,      20,  {},                   true,   false, {}},
};
// clang-format on

std::vector<std::shared_ptr<const Event>> events_of(const std::vector<uint64_t>& seqs) {
  std::vector<std::shared_ptr<const Event>> out;
  for (uint64_t s : seqs) {
    auto e = std::make_shared<Event>();
    e->seq = s;
    e->type = "message";
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<uint64_t> seqs_of(const std::vector<std::shared_ptr<const Event>>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e->seq);
  return out;
}

TEST_CASE("subscribe recovery: the plan and the recovery, case by case") {
  for (const Row& row : kRows) {
    INFO(row.what);
    const rules::Ask ask{row.since, row.epoch};
    const rules::ReadPlan plan = rules::plan_read(ask, "ep1", row.replay_max);
    CHECK(plan.want_replay == row.want_replay);
    CHECK(plan.from_seq == row.from_seq);
    CHECK(plan.limit == row.limit);

    rules::LogTail page{"ep1", row.last_seq, events_of(row.read), row.has_more};
    const rules::Recovery rec = rules::recover(ask, plan, std::move(page), row.replay_max);
    CHECK(rec.recovered == row.recovered);
    CHECK(seqs_of(rec.replay) == row.replay);
    CHECK(rec.epoch == "ep1");
    CHECK(rec.position == row.last_seq);
  }
}

TEST_CASE("subscribe recovery: the replay is the very events read, in order") {
  const rules::Ask ask{7, std::nullopt};
  const rules::ReadPlan plan = rules::plan_read(ask, "ep1", 1000);
  auto read = events_of({8, 9});
  const Event* first = read[0].get();
  rules::Recovery rec = rules::recover(ask, plan, {"ep1", 9, std::move(read), false}, 1000);
  REQUIRE(rec.replay.size() == 2);
  CHECK(rec.replay[0].get() == first);  // moved, not copied
}

}  // namespace
}  // namespace parley
