// Helpers of the contact-centre integration tests: following one
// conversation's events on a client, and the checks a consumer's stream
// must pass (nothing agents-only, prevSeq chained over what it may see).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "harness.hpp"

namespace parley::it {

// The `event` pushes of conversation `id` on `client` (other pushes and
// other conversations' events are skipped), up to and including the first
// for which `last` is true. Each wait is bounded by `timeout`.
inline std::vector<Json> events_until(WsClient& client, const std::string& id,
                                      const std::function<bool(const Json&)>& last,
                                      Millis timeout = kWait) {
  std::vector<Json> out;
  for (;;) {
    Json event = client.expect_event(timeout).at("/params");
    if (event.get_string("/conversationId") != id) continue;
    out.push_back(event);
    if (last(event)) return out;
  }
}

inline std::vector<std::string> types_of(const std::vector<Json>& events) {
  std::vector<std::string> out;
  for (const Json& e : events) out.push_back(e.get_string("/type"));
  return out;
}

// The event types only the agent side may see (PROTOCOL §4).
inline const std::vector<std::string>& agents_only_types() {
  static const std::vector<std::string> types = {
      "message.private", "note.added",    "status.changed", "transfer.agent",  "transfer.skill",
      "queue.returned",  "group.changed", "ettr.changed",   "member.suggested"};
  return types;
}

// A consumer's events: none agents-only, seqs increasing, and each prevSeq
// the seq of the event before it in this (consumer-visible) stream.
inline void check_consumer_stream(const std::vector<Json>& events) {
  int64_t last = -1;
  for (const Json& e : events) {
    INFO("event " << e.dump());
    CHECK(e.get_string("/visibility") == "all");
    const std::string type = e.get_string("/type");
    for (const auto& hidden : agents_only_types()) CHECK(type != hidden);
    if (type == "custom") CHECK(e.get_string("/body/name") != "agents-only");
    if (last >= 0) {
      CHECK(e.get_int("/seq") > last);
      CHECK(e.get_int("/prevSeq") == last);
    }
    last = e.get_int("/seq");
  }
}

}  // namespace parley::it
