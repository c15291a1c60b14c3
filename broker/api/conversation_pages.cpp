#include "api/conversation_pages.hpp"

#include <charconv>

#include "dialog/inbox.hpp"
#include "json_writer.hpp"

namespace parley {

std::string conversation_cursor(const Conversation& c) {
  return std::to_string(c.updated_at) + ":" + c.id;
}

std::optional<std::pair<Millis, std::string>> parse_conversation_cursor(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos || colon + 1 == s.size()) return std::nullopt;
  Millis t = 0;
  auto r = std::from_chars(s.data(), s.data() + colon, t);
  if (r.ec != std::errc() || r.ptr != s.data() + colon) return std::nullopt;
  return std::make_pair(t, std::string(s.substr(colon + 1)));
}

std::function<bool(const Conversation&)> list_filter(const params::ListFilter& f,
                                                     const Identity& who) {
  return [f, who](const Conversation& c) { return rules::matches_filter(c, f, who); };
}

asio::awaitable<Reply> list_page(Context& ctx, const params::ListConversations& p,
                                 std::function<bool(const Conversation&)> match) {
  ListRequest rq;
  rq.match = std::move(match);
  rq.descending = p.descending;
  rq.offset = p.paging.offset;
  rq.limit = p.paging.limit;
  if (p.paging.cursor) {
    rq.after = parse_conversation_cursor(*p.paging.cursor);
    if (!rq.after) co_return invalid_params("cursor", "invalid cursor");
  }
  auto page = co_await ctx.node.engine.list(ctx.who.tenant, std::move(rq));
  if (!page.ok()) co_return page.error();
  JsonWriter w;
  w.begin_object().key("data").begin_array();
  for (const auto& c : page->data) w.raw(conversation_json(c, ctx.who, ctx.node.cfg.ttr));
  w.end_array();
  w.field("hasNext", page->has_next)
      .field("hasPrev", p.paging.cursor.has_value() || p.paging.offset > 0);
  if (page->has_next && !page->data.empty())
    w.field("nextCursor", conversation_cursor(page->data.back()));
  else
    w.field_null("nextCursor");
  w.end_object();
  co_return w.take();
}

}  // namespace parley
