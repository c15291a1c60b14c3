// The session methods: authenticate, ping.
#include "api/conversation_io.hpp"
#include "json_writer.hpp"

namespace parley::methods {

asio::awaitable<Reply> authenticate(SocketContext& ctx, const params::Authenticate& p) {
  Identity who;
  if (p.token) {
    auto verified = ctx.node.auth.verify(*p.token, ctx.now);
    if (!verified.ok()) co_return verified.error();
    who = std::move(verified.value());
  } else {
    if (!ctx.node.cfg.dev) co_return unauthenticated("token required (the dev form needs --dev)");
    who.user_id = *p.user_id;
    if (p.role) who.role = *account_role_from(*p.role);
    if (p.tenant) who.tenant = *p.tenant;
    who.name = p.name ? *p.name : who.user_id;
    who.skills = p.skills;
  }
  // A socket carries one identity: a token refresh must name the same user.
  const auto& current = ctx.conn->identity();
  if (current && (current->user_id != who.user_id || current->tenant != who.tenant))
    co_return conflict("", "already authenticated as another user");
  const bool first = !current;
  const bool rights_changed = current && current->role != who.role;
  ctx.conn->set_identity(who);
  // A refresh with another role: every subscription of the socket, live and
  // inbox, follows the new rights (their pushes come after this response).
  if (rights_changed) {
    ctx.state.reauthorize(ctx.node.hub, who);
    ctx.node.inbox.reauthorize(*ctx.conn, who);
  }
  // From now on the socket counts for presence (a refresh changes nothing).
  if (first) co_await ctx.node.presence.open(*ctx.conn, who);
  // In the background: authenticate never waits for the registry.
  ctx.node.registrar.on_authenticated(ctx.conn->executor(), who, ctx.now);
  const Limits& l = ctx.node.cfg.limits;
  JsonWriter w;
  w.begin_object()
      .field("userId", who.user_id)
      .field("tenant", who.tenant)
      .field("role", to_string(who.role))
      .field("name", who.name);
  w.key("skills").begin_array();
  for (const auto& skill : who.skills) w.value(skill);
  w.end_array()
      .field("sessionId", ctx.conn->session_id())
      .field("nodeId", ctx.node.cfg.node_id)
      .field("serverTime", ctx.now);
  w.key("limits")
      .begin_object()
      .field("frameBytes", static_cast<uint64_t>(l.frame_bytes))
      .field("textChars", static_cast<uint64_t>(l.text_chars))
      .field("richContentChars", static_cast<uint64_t>(l.rich_content_chars))
      .field("noteChars", static_cast<uint64_t>(l.note_chars))
      .field("notesBytes", static_cast<uint64_t>(l.notes_bytes))
      .field("metadataBytes", static_cast<uint64_t>(l.metadata_bytes))
      .field("batch", static_cast<uint64_t>(l.batch))
      .field("subscriptions", static_cast<uint64_t>(l.subscriptions))
      .field("ratePerSec", l.rate_per_sec)
      .field("rateBurst", l.rate_burst)
      .field("replayEvents", l.replay_events)
      .field("outboundBytes", static_cast<uint64_t>(l.outbound_bytes))
      .field("openConversationsPerUser", l.open_conversations_per_user)
      .field("creationsPerMin", l.creations_per_min)
      .field("tenantCreationsPerMin", l.tenant_creations_per_min)
      .field("expensiveReadCost", l.expensive_read_cost)
      .end_object();
  w.end_object();
  co_return w.take();
}

asio::awaitable<Reply> ping(Context& ctx, const params::Ping&) {
  JsonWriter w;
  w.begin_object().field("serverTime", ctx.now).end_object();
  co_return w.take();
}

}  // namespace parley::methods
