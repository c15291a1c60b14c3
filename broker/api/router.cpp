#include "api/router.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <random>

#include "json_writer.hpp"
#include "api/quota.hpp"
#include "api/router_impl.hpp"
#include "clock.hpp"
#include "dialog/rules.hpp"
#include "serialize.hpp"

namespace parley {

std::string new_conversation_id() {
  // UUID v4 from a per-thread generator seeded by the OS.
  thread_local std::mt19937_64 gen{std::random_device{}()};
  uint64_t hi = gen(), lo = gen();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  auto put = [&](uint64_t v, int from_nibble, int count) {
    for (int i = from_nibble; i < from_nibble + count; ++i) s.push_back(hex[(v >> (60 - 4 * i)) & 0xF]);
  };
  put(hi, 0, 8);
  s.push_back('-');
  put(hi, 8, 4);
  s.push_back('-');
  put(hi, 12, 4);
  s.push_back('-');
  put(lo, 0, 4);
  s.push_back('-');
  put(lo, 4, 12);
  return s;
}

std::string conversation_json(const Conversation& c, const Identity& who, const TtrSeconds& ttr) {
  ViewerState viewer;
  if (const Member* m = c.active_member(who.user_id)) viewer.unread = unread_of(*m, c);
  if (const Member* m = c.member(who.user_id)) viewer.archived = m->archived;
  viewer.audience = rules::audience(c, who);
  viewer.ttr = ttr;
  JsonWriter w;
  write_conversation(w, c, viewer);
  return w.take();
}

Router::Router(const Config& cfg, Engine& engine, Hub& hub, Metrics& metrics,
               const Authenticator& auth)
    : impl_(std::make_shared<Impl>(cfg, engine, hub, metrics, auth)) {}

void Router::on_open(const std::shared_ptr<Connection>& c) {
  c->context = std::make_shared<ClientState>();
  // Authenticated by the upgrade's token: the socket counts for presence.
  if (const auto& who = c->identity()) {
    asio::co_spawn(c->executor(), impl_->presence->open(*c, *who), asio::detached);
    impl_->registrar->on_authenticated(c->executor(), *who, wall_clock_ms());
  }
}

void Router::on_close(const std::shared_ptr<Connection>& c) {
  if (auto state = std::static_pointer_cast<ClientState>(c->context))
    impl_->drop_subscriptions(*state);
  impl_->inbox->drop(*c);
  impl_->presence->close(*c);
}

void Router::start(asio::any_io_executor ex) {
  impl_->timers.start(ex);
  impl_->presence->start(std::move(ex));
}

void Router::stop() {
  impl_->timers.stop();
  impl_->presence->stop();
}

size_t Router::pending() const { return impl_->presence->pending(); }

asio::awaitable<std::string> Router::on_frame(std::shared_ptr<Connection> c, std::string frame) {
  auto decoded = decode_frame(frame, impl_->cfg.limits);
  if (!decoded.ok()) {
    impl_->metrics.request_errors.fetch_add(1, std::memory_order_relaxed);
    // A frame that is no request (not JSON, a bad batch) counts against
    // the rate like one: refusals must not be free.
    auto admitted = c->admit_request(1);
    co_return response_error("null", admitted.ok() ? decoded.error() : admitted.error());
  }
  auto& calls = decoded->calls;
  if (!decoded->batch) co_return co_await impl_->run_call(c, calls.front());
  // A batch runs in order and answers one array, notifications left out
  // (and nothing at all when every call was a notification).
  std::string out = "[";
  bool any = false;
  for (auto& call : calls) {
    std::string r = co_await impl_->run_call(c, call);
    if (r.empty()) continue;
    if (any) out.push_back(',');
    out += r;
    any = true;
  }
  if (!any) co_return std::string();
  out.push_back(']');
  co_return out;
}

asio::awaitable<std::string> Router::Impl::run_call(std::shared_ptr<Connection> conn,
                                                    Call& call) {
  metrics.requests.fetch_add(1, std::memory_order_relaxed);
  auto state = std::static_pointer_cast<ClientState>(conn->context);
  Ctx ctx{conn, *state, conn->identity() ? *conn->identity() : Identity{}, wall_clock_ms()};
  Reply reply = Error{};
  // Every call counts against the rate, the refused ones (unknown method,
  // bad params, bad envelope) included; the expensive reads count more.
  if (auto admitted = conn->admit_request(request_cost(call.method, cfg.limits));
      !admitted.ok()) {
    reply = admitted.error();
  } else if (!call.params.ok()) {
    reply = call.params.error();
  } else if (!conn->identity() && call.method != "authenticate") {
    reply = unauthenticated("authenticate first");
  } else {
    try {
      reply = co_await dispatch(ctx, call.method, call.params.value());
    } catch (const std::exception& ex) {
      auto id = new_conversation_id();
      spdlog::error("internal error {} in {}: {}", id, call.method, ex.what());
      reply = internal_error(id);
    }
  }
  if (!reply.ok()) metrics.request_errors.fetch_add(1, std::memory_order_relaxed);
  if (call.notification) co_return std::string();
  co_return reply.ok() ? response_result(call.id, reply.value())
                       : response_error(call.id, reply.error());
}

asio::awaitable<Reply> Router::Impl::dispatch(Ctx& ctx, const std::string& method, Params& p) {
  if (auto* a = std::get_if<params::Authenticate>(&p)) co_return co_await authenticate(ctx, *a);
  if (std::holds_alternative<params::Ping>(p)) {
    JsonWriter w;
    w.begin_object().field("serverTime", ctx.now).end_object();
    co_return w.take();
  }
  if (auto* x = std::get_if<params::CreateConversation>(&p))
    co_return co_await create_conversation(ctx, *x);
  if (auto* x = std::get_if<params::GetConversation>(&p))
    co_return co_await get_conversation(ctx, *x);
  if (auto* x = std::get_if<params::ListConversations>(&p))
    co_return co_await list_conversations(ctx, *x);
  if (auto* x = std::get_if<params::UpdateConversation>(&p))
    co_return co_await update_conversation(ctx, *x);
  if (auto* x = std::get_if<params::Join>(&p)) co_return co_await join(ctx, *x);
  if (auto* x = std::get_if<params::SendMessage>(&p)) {
    if (method == "sendPrivateMessage") co_return co_await send_private_message(ctx, *x);
    co_return co_await send_message(ctx, *x);
  }
  if (auto* x = std::get_if<params::EditMessage>(&p)) co_return co_await edit_message(ctx, *x);
  if (auto* x = std::get_if<params::DeleteMessage>(&p))
    co_return co_await delete_message(ctx, *x);
  if (auto* x = std::get_if<params::QueryMessages>(&p))
    co_return co_await query_messages(ctx, *x);
  if (auto* x = std::get_if<params::Subscribe>(&p)) co_return co_await subscribe(ctx, *x);
  if (auto* x = std::get_if<params::SetChatState>(&p))
    co_return co_await set_chat_state(ctx, *x);
  if (auto* x = std::get_if<params::MarkRead>(&p)) co_return co_await mark_read(ctx, *x);
  if (auto* x = std::get_if<params::SetPresence>(&p)) co_return co_await set_presence(ctx, *x);
  if (auto* x = std::get_if<params::GetPresence>(&p)) co_return co_await get_presence(ctx, *x);
  if (auto* x = std::get_if<params::UpsertUser>(&p)) co_return co_await upsert_user(ctx, *x);
  if (auto* x = std::get_if<params::GetUser>(&p)) co_return co_await get_user(ctx, *x);
  if (auto* x = std::get_if<params::ListUsers>(&p)) co_return co_await list_users(ctx, *x);
  if (auto* x = std::get_if<params::ListUserConversations>(&p))
    co_return co_await list_user_conversations(ctx, *x);
  if (auto* x = std::get_if<params::GetInvitableUsers>(&p))
    co_return co_await get_invitable_users(ctx, *x);
  if (auto* x = std::get_if<params::SaveDraft>(&p)) co_return co_await save_draft(ctx, *x);
  if (auto* x = std::get_if<params::GetDraft>(&p)) co_return co_await get_draft(ctx, *x);
  if (auto* x = std::get_if<params::ArchiveConversation>(&p))
    co_return co_await archive_conversation(ctx, *x);
  if (auto* x = std::get_if<params::CountConversations>(&p))
    co_return co_await count_conversations(ctx, *x);
  if (auto* x = std::get_if<params::SearchConversations>(&p))
    co_return co_await search_conversations(ctx, *x);
  if (auto* x = std::get_if<params::SubscribeInbox>(&p)) co_return co_await subscribe_inbox(ctx, *x);
  if (auto* x = std::get_if<params::UnsubscribeInbox>(&p))
    co_return co_await unsubscribe_inbox(ctx, *x);
  if (auto* x = std::get_if<params::ConversationRef>(&p)) {
    if (method == "deleteConversation") co_return co_await delete_conversation(ctx, *x);
    if (method == "leave") co_return co_await leave(ctx, *x);
    if (method == "listMembers") co_return co_await list_members(ctx, *x);
    if (method == "unsubscribe") co_return co_await unsubscribe(ctx, *x);
    if (method == "reopenConversation") co_return co_await reopen_conversation(ctx, *x);
    if (method == "lockConversation") co_return co_await lock_conversation(ctx, *x);
  }
  co_return co_await dispatch_workflow(ctx, method, p);
}

asio::awaitable<Reply> Router::Impl::authenticate(Ctx& ctx, const params::Authenticate& p) {
  Identity who;
  if (p.token) {
    auto verified = auth.verify(*p.token, ctx.now);
    if (!verified.ok()) co_return verified.error();
    who = std::move(verified.value());
  } else {
    if (!cfg.dev) co_return unauthenticated("token required (the dev form needs --dev)");
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
    reauthorize_subscriptions(ctx.state, who);
    inbox->reauthorize(*ctx.conn, who);
  }
  // From now on the socket counts for presence (a refresh changes nothing).
  if (first) co_await presence->open(*ctx.conn, who);
  // In the background: authenticate never waits for the registry.
  registrar->on_authenticated(ctx.conn->executor(), who, ctx.now);
  const Limits& l = cfg.limits;
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
      .field("nodeId", cfg.node_id)
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

asio::awaitable<Result<Conversation>> Router::Impl::readable(Ctx& ctx, const std::string& id) {
  auto conv = co_await engine.get(ctx.key(id));
  if (!conv.ok()) co_return conv;
  if (auto st = rules::may_read(*conv, ctx.who); !st.ok()) co_return st.error();
  co_return conv;
}

}  // namespace parley
