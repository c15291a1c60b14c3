// Presence methods: setPresence, getPresence (the bookkeeping is presence.cpp).
#include <algorithm>

#include "api/conversation_io.hpp"
#include "json_writer.hpp"

namespace parley::methods {

asio::awaitable<Reply> set_presence(SocketContext& ctx, const params::SetPresence& p) {
  auto status = presence_status_from(p.status);
  if (!status) co_return invalid_params("status", "must be one of online|away|busy");
  auto done = co_await ctx.node.presence.set_status(*ctx.conn, ctx.who, *status);
  if (!done.ok()) co_return done.error();
  co_return std::string("{}");
}

// Anyone in the tenant may ask about anyone in it; one entry per distinct
// id, in the order asked.
asio::awaitable<Reply> get_presence(Context& ctx, const params::GetPresence& p) {
  std::vector<std::string> ids;
  ids.reserve(p.user_ids.size());
  for (const auto& id : p.user_ids)
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  auto states = co_await ctx.node.presence.get(ctx.who.tenant, std::move(ids));
  if (!states.ok()) co_return states.error();
  JsonWriter w;
  w.begin_array();
  for (const auto& s : *states) {
    w.begin_object().field("userId", s.user_id).field("status", to_string(s.status));
    if (s.last_seen > 0)
      w.field("lastSeen", s.last_seen);
    else
      w.field_null("lastSeen");
    w.end_object();
  }
  w.end_array();
  co_return w.take();
}

}  // namespace parley::methods
