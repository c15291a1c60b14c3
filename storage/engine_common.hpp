// What the memory and Redis engines do the same way, written once: epochs,
// contract 8 (engine-owned fields), numbering a commit's events, the commit
// time, the unique-index value of an optional field, and the offset / limit
// / scan bound of a conversation listing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "conversation_store.hpp"

namespace parley {

// A new epoch: 48 random bits as 12 hex digits, seeded per thread from
// random_device, so nodes and restarts never hand out the same epoch.
std::string new_epoch();

// Contract 8: whatever a Decision says, these fields of `next` stay those of
// `cur` (tenant, id, epoch, counters, last_message, version, updated_at...).
void keep_engine_owned(Conversation& next, const Conversation& cur);

// Stamps `drafts` onto `rec` at time `ts` (stamp_appended, one by one),
// returning the log entries.
std::vector<EventPtr> stamp_all(Conversation& rec, std::vector<EventDraft>& drafts, Millis ts);

// The commit time: the wall clock, but never before the conversation's last
// commit, so ts never decreases along a log (read() relies on it) even when
// the system clock steps back.
Millis commit_time(const Conversation& rec);

// The value a unique index holds for an optional field: "" when unset (an
// empty name or externalId is treated as none).
const std::string& index_value(const std::optional<std::string>& v);

// A commit worked out before anything is written: the record after it and
// the events it appends, numbered.
struct Staged {
  Conversation record;
  std::vector<EventPtr> events;
  bool noop = false;                       // update(): nothing to commit (`record` is
                                           // the current one)
  bool erase = false;                      // update(): the decision erases
  std::optional<std::string> target_body;  // update(): the target event's new body,
                                           // for the engine to store
};

// create(): `req.record` with a new epoch and empty engine-owned fields,
// created_at (when unset) and updated_at the commit time, req.events
// stamped at it, version 1.
Staged stage_create(CreateRequest& req);

// update(): calls req.decide on `cur` and `target` (the event at
// req.target_seq, or null), then stages the Decision: contract 8 applied
// against `cur`, its events stamped at commit_time(cur), version + 1, and
// last_message.text following a rewritten target that is the last message.
Result<Staged> stage_update(const Conversation& cur, const UpdateRequest& req,
                            const Event* target);

// What update() answers for a noop decision: the current record, nothing
// appended.
Commit unchanged(const Conversation& cur);

// The offset, limit and scan bound of a ListRequest, applied to the
// candidates an engine walks in listing order.
class ListPager {
 public:
  enum class Verdict {
    take,  // the caller adds it to page.data
    pass,  // filtered out, or within the offset
    done,  // the page is complete (has_next set): stop walking
  };
  ListPager(const ListRequest& req, ListPage& page) : req_(req), page_(page) {}
  Verdict judge(const Conversation& c);

 private:
  const ListRequest& req_;
  ListPage& page_;
  size_t skipped_ = 0;
  size_t examined_ = 0;
};

}  // namespace parley
