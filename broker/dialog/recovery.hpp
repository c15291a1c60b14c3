// Subscribe's recovery (PROTOCOL §5 "Subscriptions"): from the client's
// position, what to read of the log and whether what was read recovers the
// client's stream. Pure: the caller reads the log between the two steps
// (api/methods_subscriptions.cpp: plan_read, engine read, recover).
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model.hpp"

namespace parley::rules {

// The client's position, as subscribe names it.
struct Ask {
  std::optional<uint64_t> since_seq;  // the last seq the client holds; none: live only
  std::optional<std::string> epoch;   // the epoch that seq is of; none: any
};

// What to read of the log.
struct ReadPlan {
  // The position is worth replaying from: a sinceSeq, in the current epoch
  // (or no epoch given).
  bool want_replay = false;
  uint64_t from_seq = std::numeric_limits<uint64_t>::max();  // first seq read
  uint64_t limit = 0;  // at most this many events (0: only the epoch and last seq)
};

// From sinceSeq + 1, at most `replay_max` events, when the position is in
// `current_epoch` (the conversation's); else nothing but the log's head.
ReadPlan plan_read(const Ask& ask, std::string_view current_epoch, uint64_t replay_max);

// What the read answered: the fields of the engine's page the decision uses.
struct LogTail {
  std::string epoch;
  uint64_t last_seq = 0;
  std::vector<std::shared_ptr<const Event>> events;  // from the plan's from_seq, in order
  bool has_more = false;                             // more matched beyond the limit
};

// Where the subscription starts and what it replays first.
struct Recovery {
  // The client's stream goes on without a hole. Without sinceSeq: true (live
  // only, nothing was asked to be recovered).
  bool recovered = false;
  std::vector<std::shared_ptr<const Event>> replay;  // the events after the position
  std::string epoch;                                 // the log's epoch
  uint64_t position = 0;                             // its last seq: live goes on after it
};

// Recovered when the plan wanted a replay and the position is no more than
// `replay_max` behind the log's last seq, not ahead of it, and the read got
// everything after it (no has_more). Then the events read are the replay;
// otherwise nothing is replayed (the client pages the hole).
Recovery recover(const Ask& ask, const ReadPlan& plan, LogTail page, uint64_t replay_max);

}  // namespace parley::rules
