// Driver::probe: what each principal may read of a conversation (and of
// its tenant) now, checked against the model after every cell; and what a
// consumer's view of a conversation may hold.
#include "matrix_driver.hpp"

#include <algorithm>

namespace parley::it::matrix {

namespace {

bool is_message_kind(const std::string& type) {
  return type == "message" || type == "message.rich" || type == "message.file";
}

}  // namespace

void Driver::probe(const Conv* conv, bool tenant_wide_too, const std::string& context) {
  const std::string by = conv ? obj({{"conversationId", conv->id}}) : "";
  std::vector<std::pair<std::string, std::string>> calls;
  if (conv) {
    calls = {{"getConversation", by},
             {"queryMessages", obj({{"conversationId", conv->id}, {"limit", 200}})},
             {"listMembers", by},
             {"subscribe", obj({{"conversationId", conv->id}, {"sinceSeq", 0}})}};
  }
  const size_t tenant_wide = calls.size();
  if (tenant_wide_too) {
    calls.push_back({"listConversations", obj({{"limit", 100}})});
    calls.push_back({"searchConversations", obj({{"q", "pubword"}})});
    calls.push_back({"searchConversations", obj({{"q", "secretword"}})});
    calls.push_back({"queryMessages", obj({{"limit", 200}})});
    calls.push_back({"countConversations", "{}"});
    calls.push_back({"listUserConversations", "{}"});
  }
  for (Principal* w : watchers_) {
    if (tenant_wide_too) calls.back().second = obj({{"userId", w->user}});
    w->ws->send_raw(batch_frame(calls));
    counts_.calls += static_cast<int64_t>(calls.size());
  }
  for (Principal* w : watchers_) {
    const std::string ctx = context + ", probed by " + w->key;
    Json answer = Json::parse("null");
    for (;;) {
      auto frame = w->ws->read_frame();
      REQUIRE_MESSAGE(frame, w->key << ": no answer to the probe after " << context);
      handle_frame(*w, *frame, ctx);
      if (!frame->is_push()) {
        answer = *frame;
        break;
      }
    }
    REQUIRE_MESSAGE(answer.is_array(), answer.frame());
    for (size_t k = tenant_wide; k < calls.size(); ++k) {
      Json a = item(answer, k + 1);
      ++counts_.probe_checks;
      CHECK_MESSAGE(!a.has("/error"), ctx << ": " << calls[k].first << " " << a.dump());
      if (a.has("/error")) continue;
      if (w->consumer() && calls[k].first != "countConversations" && a.has("/result/data"))
        for (const Json& c : a.items("/result/data"))
          if (c.has("/lastSeq")) check_consumer_conversation(*w, c, ctx);
    }
    if (tenant_wide_too) {
      Json search_secret = item(answer, tenant_wide + 3);
      if (w->consumer() && !search_secret.has("/error"))
        CHECK_MESSAGE(search_secret.size("/result/data") == 0, ctx << ": " << search_secret.dump());
      Json count = item(answer, tenant_wide + 5);
      if (!count.has("/error"))
        CHECK_MESSAGE(count.get_int("/result/total") == model_.readable_count(*w),
                      ctx << ": countConversations " << count.dump() << ", the model says "
                          << model_.readable_count(*w));
    }
    if (!conv) continue;

    ConvModel* m = model_.find(conv->id);
    REQUIRE(m);
    const bool readable = model_.may_read(*w, *m);
    const char want = readable ? 'A' : (m->deleted || w->tenant != m->tenant) ? '4' : '3';
    for (size_t k = 0; k < tenant_wide; ++k) {
      Json a = item(answer, k + 1);
      ++counts_.probe_checks;
      CHECK_MESSAGE(outcome_of(a) == want, ctx << ": " << calls[k].first << " expected " << want
                                               << ", got " << a.dump().substr(0, 600));
    }
    Json sub = item(answer, 4);
    if (sub.has("/error")) continue;
    // The replay: the next `replayed` events of this conversation.
    const int64_t replayed = sub.get_int("/result/replayed");
    std::vector<Json> replay;
    while (static_cast<int64_t>(replay.size()) < replayed) {
      auto frame = w->ws->read_frame();
      REQUIRE_MESSAGE(frame, ctx << ": the replay stopped at " << replay.size() << " of "
                                 << replayed);
      handle_frame(*w, *frame, ctx + " (replay)");
      if (frame->method() == "event" && frame->get_string("/params/conversationId") == conv->id)
        replay.push_back(frame->at("/params"));
    }
    if (readable && w->consumer() && !item(answer, 1).has("/error"))
      check_consumer_view(*w, *conv, item(answer, 1).at("/result"), item(answer, 2).at("/result"),
                          item(answer, 3).at("/result"), replay, replayed, ctx);
  }
}

void Driver::check_consumer_view(const Principal& w, const Conv& conv, const Json& get,
                                 const Json& query, const Json& members,
                                 const std::vector<Json>& replay, int64_t replayed,
                                 const std::string& context) {
  INFO(context << " on " << conv.id);
  check_consumer_conversation(w, get, context);
  // queryMessages: nothing agents-only.
  std::vector<Json> events = query.items("/data");
  int64_t last_message = 0;
  for (const Json& e : events) {
    ++counts_.probe_checks;
    CHECK_MESSAGE(e.get_string("/visibility") == "all", e.dump());
    const std::string type = e.get_string("/type");
    for (const auto& hidden : agents_only_types()) CHECK_MESSAGE(type != hidden, e.dump());
    if (is_message_kind(type)) last_message = std::max(last_message, e.get_int("/seq"));
  }
  // lastMessage: the last message it may see; unread: the ones it may see
  // after its read horizon.
  ++counts_.probe_checks;
  if (get.is_null("/lastMessage"))
    CHECK_MESSAGE(last_message == 0, get.dump());
  else
    CHECK_MESSAGE(get.get_int("/lastMessage/seq") == last_message, get.dump());
  int64_t horizon = -1;
  for (const Json& mem : members.items("/data")) {
    ++counts_.probe_checks;
    CHECK_MESSAGE(mem.get_string("/state") != "SUGGESTED", mem.dump());
    if (mem.get_string("/userId") == w.user) horizon = mem.get_int("/lastReadSeq");
  }
  CHECK_MESSAGE(horizon >= 0, members.dump());
  int64_t unread = 0;
  for (const Json& e : events)
    unread += is_message_kind(e.get_string("/type")) && e.get_int("/seq") > horizon ? 1 : 0;
  ++counts_.probe_checks;
  CHECK_MESSAGE(get.get_int("/unread") == unread, get.dump());
  // The replay from 0: the same events as queryMessages, chained.
  check_consumer_stream(replay);
  ++counts_.probe_checks;
  if (!query.get_bool("/hasNext")) {
    CHECK(replayed == static_cast<int64_t>(events.size()));
    for (size_t k = 0; k < std::min(replay.size(), events.size()); ++k)
      CHECK(replay[k].get_int("/seq") == events[k].get_int("/seq"));
  }
}

}  // namespace parley::it::matrix
