#include "engine_common.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

#include "clock.hpp"

namespace parley {

std::string new_epoch() {
  thread_local std::mt19937_64 gen{(static_cast<uint64_t>(std::random_device{}()) << 32) ^
                                   std::random_device{}()};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%012llx",
                static_cast<unsigned long long>(gen() & 0xFFFFFFFFFFFFULL));
  return buf;
}

void keep_engine_owned(Conversation& next, const Conversation& cur) {
  next.tenant = cur.tenant;
  next.id = cur.id;
  next.epoch = cur.epoch;
  next.last_seq = cur.last_seq;
  next.last_public_seq = cur.last_public_seq;
  next.messages_all = cur.messages_all;
  next.messages_public = cur.messages_public;
  next.last_message = cur.last_message;
  next.last_message_at = cur.last_message_at;
  next.last_consumer_message_at = cur.last_consumer_message_at;
  next.version = cur.version;
  next.updated_at = cur.updated_at;
}

std::vector<EventPtr> stamp_all(Conversation& rec, std::vector<EventDraft>& drafts, Millis ts) {
  std::vector<EventPtr> out;
  out.reserve(drafts.size());
  for (auto& d : drafts) {
    Event e;
    static_cast<EventDraft&>(e) = std::move(d);
    e.ts = ts;
    stamp_appended(rec, e);
    out.push_back(std::make_shared<const Event>(std::move(e)));
  }
  return out;
}

Millis commit_time(const Conversation& rec) { return std::max(wall_clock_ms(), rec.updated_at); }

const std::string& index_value(const std::optional<std::string>& v) {
  static const std::string none;
  return v ? *v : none;
}

Staged stage_create(CreateRequest& req) {
  Staged s;
  Conversation& rec = s.record;
  const Millis now = wall_clock_ms();
  Conversation blank;
  blank.tenant = req.record.tenant;
  blank.id = req.record.id;
  blank.epoch = new_epoch();
  blank.updated_at = now;
  rec = std::move(req.record);
  keep_engine_owned(rec, blank);
  if (rec.created_at == 0) rec.created_at = now;
  s.events = stamp_all(rec, req.events, now);
  rec.version = 1;
  return s;
}

Result<Staged> stage_update(const Conversation& cur, const UpdateRequest& req,
                            const Event* target) {
  Result<Decision> decided = req.decide(cur, target);
  if (!decided) return std::move(decided).error();
  Decision& d = decided.value();
  Staged s;
  if (d.noop) {
    s.record = cur;
    s.noop = true;
    return s;
  }
  Conversation& next = s.record;
  next = std::move(d.next);
  keep_engine_owned(next, cur);
  s.events = stamp_all(next, d.events, commit_time(cur));
  next.version = cur.version + 1;
  if (target && d.target_text && next.last_message.seq == req.target_seq)
    next.last_message.text = message_preview(*d.target_text);
  s.erase = d.erase;
  if (target) s.target_body = std::move(d.target_body);
  return s;
}

Commit unchanged(const Conversation& cur) {
  Commit c;
  c.record = cur;
  return c;
}

ListPager::Verdict ListPager::judge(const Conversation& c) {
  if (req_.scan_limit && examined_ == req_.scan_limit) {
    page_.has_next = true;
    return Verdict::done;
  }
  ++examined_;
  if (req_.match && !req_.match(c)) return Verdict::pass;
  if (skipped_ < req_.offset) {
    ++skipped_;
    return Verdict::pass;
  }
  if (page_.data.size() == req_.limit) {
    page_.has_next = true;
    return Verdict::done;
  }
  return Verdict::take;
}

}  // namespace parley
