// Subscribe's recovery: the read plan and the decision (recovery.hpp).
#include "dialog/recovery.hpp"

namespace parley::rules {

ReadPlan plan_read(const Ask& ask, std::string_view current_epoch, uint64_t replay_max) {
  ReadPlan plan;
  plan.want_replay = ask.since_seq.has_value() && (!ask.epoch || *ask.epoch == current_epoch);
  if (plan.want_replay) {
    plan.from_seq = *ask.since_seq + 1;
    plan.limit = replay_max;
  }
  return plan;
}

Recovery recover(const Ask& ask, const ReadPlan& plan, LogTail page, uint64_t replay_max) {
  Recovery out;
  out.recovered = plan.want_replay && *ask.since_seq <= page.last_seq &&
                  page.last_seq - *ask.since_seq <= replay_max && !page.has_more;
  if (out.recovered) out.replay = std::move(page.events);
  if (!ask.since_seq) out.recovered = true;
  out.epoch = std::move(page.epoch);
  out.position = page.last_seq;
  return out;
}

}  // namespace parley::rules
