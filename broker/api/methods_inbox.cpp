// countConversations, searchConversations, subscribeInbox, unsubscribeInbox
// (docs/protocol.md, "Inbox, search, count"). They share listConversations'
// filter and read rules (dialog/inbox.hpp); the inbox's pushes are the
// InboxManager's (live/inbox.hpp).
#include <algorithm>

#include "api/conversation_pages.hpp"
#include "dialog/inbox.hpp"
#include "dialog/rules.hpp"
#include "json_writer.hpp"
#include "tuning.hpp"

namespace parley::methods {

namespace {


// name, displayName, externalId: what a search matches besides messages.
bool strike_fields(std::vector<std::string>& terms, const Conversation& c) {
  for (const auto* f : {&c.name, &c.display_name, &c.external_id})
    if (*f && rules::strike_terms(terms, **f)) return true;
  return terms.empty();
}

// Whether every word of `terms` occurs in `c`'s fields or in the text of a
// message event `ctx.who` may see among its newest `max_events`.
asio::awaitable<Result<bool>> search_matches(Context& ctx, const Conversation& c,
                                             std::vector<std::string> terms) {
  if (strike_fields(terms, c)) co_return true;
  const Audience audience = rules::audience(c, ctx.who);
  const size_t max_events = static_cast<size_t>(ctx.node.cfg.listing.search_events);
  ReadRequest rq;
  rq.descending = true;
  rq.audience = audience;
  rq.types = {"message"};
  // Private messages are the agent side's (and read() would drop them for
  // consumers anyway).
  if (audience == Audience::agents) rq.types.push_back("message.private");
  size_t read = 0;
  while (read < max_events) {
    rq.limit = std::min(kSearchEventPage, max_events - read);
    auto page = co_await ctx.node.engine.read(ctx.key(c.id), rq);
    if (!page.ok()) {
      if (page.error().code == code::not_found) co_return false;  // deleted meanwhile
      co_return page.error();
    }
    for (const auto& e : page->events) {
      ++read;
      if (rules::strike_terms(terms, rules::body_text(e->body))) co_return true;
      rq.to_seq = e->seq - 1;
    }
    if (!page->has_more || page->events.empty() || rq.to_seq == 0) break;
  }
  co_return false;
}

}  // namespace

asio::awaitable<Reply> count_conversations(Context& ctx, const params::CountConversations& p) {
  // Every conversation is examined and none is kept: the predicate counts.
  uint64_t total = 0;
  uint64_t by_state[3] = {0, 0, 0};
  uint64_t by_status[4] = {0, 0, 0, 0};
  static constexpr std::string_view kStatuses[4] = {"open", "pending", "snoozed", "resolved"};
  ListRequest rq;
  rq.match = [&](const Conversation& c) {
    if (!rules::matches_filter(c, p.filter, ctx.who)) return false;
    ++total;
    ++by_state[std::min<size_t>(static_cast<size_t>(c.state), 2)];
    for (size_t i = 0; i < 4; ++i)
      if (c.status == kStatuses[i]) ++by_status[i];
    return false;
  };
  auto page = co_await ctx.node.engine.list(ctx.who.tenant, std::move(rq));
  if (!page.ok()) co_return page.error();
  JsonWriter w;
  w.begin_object().field("total", total).key("byState").begin_object();
  for (auto s : {ConvState::open, ConvState::close, ConvState::locked})
    w.field(to_string(s), by_state[static_cast<size_t>(s)]);
  w.end_object().key("byStatus").begin_object();
  for (size_t i = 0; i < 4; ++i) w.field(kStatuses[i], by_status[i]);
  w.end_object().end_object();
  co_return w.take();
}

asio::awaitable<Reply> search_conversations(Context& ctx, const params::SearchConversations& p) {
  const std::vector<std::string> terms = rules::search_terms(p.q);
  if (terms.empty()) co_return invalid_params("q", "no word to search for");
  std::optional<std::pair<Millis, std::string>> after;
  if (p.paging.cursor) {
    after = parse_conversation_cursor(*p.paging.cursor);
    if (!after) co_return invalid_params("cursor", "invalid cursor");
  }
  const size_t limit = p.paging.limit;
  const size_t bound = static_cast<size_t>(ctx.node.cfg.listing.search_conversations);
  std::vector<Conversation> found;
  size_t examined = 0;
  bool exhausted = false;
  while (found.size() <= limit && examined < bound) {
    ListRequest rq;
    rq.match = list_filter(p.filter, ctx.who);
    rq.after = after;
    rq.limit = std::min(kSearchBatch, bound - examined);
    auto page = co_await ctx.node.engine.list(ctx.who.tenant, std::move(rq));
    if (!page.ok()) co_return page.error();
    for (auto& c : page->data) {
      after = std::make_pair(c.updated_at, c.id);
      ++examined;
      auto hit = co_await search_matches(ctx, c, terms);
      if (!hit.ok()) co_return hit.error();
      if (*hit) found.push_back(std::move(c));
      if (found.size() > limit) break;
    }
    if (!page->has_next) {
      exhausted = found.size() <= limit;
      break;
    }
  }
  // Stopped by the page (one more hit than asked), by the bound, or at the
  // end of the listing. The cursor continues after the last row served, or
  // after the last conversation examined when the bound stopped the scan.
  const bool over = found.size() > limit;
  if (over) found.resize(limit);
  const bool has_next = over || !exhausted;
  JsonWriter w;
  w.begin_object().key("data").begin_array();
  for (const auto& c : found) w.raw(conversation_json(c, ctx.who, ctx.node.cfg.ttr));
  w.end_array();
  w.field("hasNext", has_next).field("hasPrev", p.paging.cursor.has_value());
  if (over && !found.empty())
    w.field("nextCursor", conversation_cursor(found.back()));
  else if (has_next && after)
    w.field("nextCursor", std::to_string(after->first) + ":" + after->second);
  else
    w.field_null("nextCursor");
  w.end_object();
  co_return w.take();
}

asio::awaitable<Reply> subscribe_inbox(SocketContext& ctx, const params::SubscribeInbox& p) {
  co_return co_await ctx.node.inbox.subscribe(ctx.conn, ctx.who, p);
}

asio::awaitable<Reply> unsubscribe_inbox(SocketContext& ctx, const params::UnsubscribeInbox& p) {
  ctx.node.inbox.unsubscribe(*ctx.conn, p.subscription_id);
  co_return std::string("{}");
}

}  // namespace parley::methods
