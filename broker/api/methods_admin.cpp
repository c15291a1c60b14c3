// The admin methods a back end needs (docs/protocol.md, "Admin methods"):
// disconnectUser closes a user's sockets on every node (user_control.hpp);
// publishSystemEvent commits a `system` event into a conversation's log,
// fanned out like any other event.
#include "api/conversation_io.hpp"
#include "api/user_control.hpp"
#include "dialog/support.hpp"
#include "json_writer.hpp"

namespace parley::methods {

asio::awaitable<Reply> disconnect_user(Context& ctx, const params::DisconnectUser& p) {
  if (ctx.who.role != AccountRole::admin)
    co_return forbidden("admin", "only an admin may disconnect a user");
  ctx.node.control.disconnect(ctx.who.tenant, p.user_id, p.reason.value_or("disconnected"));
  JsonWriter w;
  w.begin_object()
      .field("userId", p.user_id)
      .field("closeCode", int64_t{kDisconnectedCode})
      .end_object();
  co_return w.take();
}

asio::awaitable<Reply> publish_system_event(Context& ctx, const params::PublishSystemEvent& p) {
  JsonWriter b;
  b.begin_object().field("text", p.text);
  if (p.data) b.field_raw("data", *p.data);
  b.end_object();
  const std::string body = b.take();
  const Millis now = ctx.now;
  const AccountRole role = ctx.who.role;
  // Checked on the loaded record, so another tenant's caller gets the 404
  // of a conversation it cannot see, whatever its role.
  Rule rule = [&body, now, role](const Conversation& cur) -> Result<Decision> {
    if (role != AccountRole::admin && role != AccountRole::bot)
      return forbidden("admin", "only an admin or a bot may publish a system event");
    if (cur.state == ConvState::locked)
      return conflict(to_string(cur.state), "the conversation is locked");
    Decision d;
    d.next = cur;
    d.next.updated_at = now;
    d.events.push_back(rules::detail::system_draft("system", body, "MAIN"));
    return d;
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  JsonWriter w;
  w.begin_object()
      .field("seq", commit->events.empty() ? uint64_t{0} : commit->events.back()->seq)
      .end_object();
  co_return w.take();
}

}  // namespace parley::methods
