// Conversation and member methods: create, get, list, update, delete, join,
// leave, listMembers; getConversationStats.
#include "api/conversation_pages.hpp"
#include "dialog/inbox.hpp"
#include "dialog/rules.hpp"
#include "json_writer.hpp"
#include "serialize.hpp"
#include "tuning.hpp"

namespace parley::methods {

namespace {


// The quotas a creation by the caller must pass (quota.hpp): OK or 429.
asio::awaitable<Status> creation_quotas(Context& ctx) {
  // The rate first: it is free, and bounds how often the count below runs.
  if (auto v = ctx.node.creations.admit(ctx.who, ctx.now); !v.admitted) co_return quota_error(v);
  const uint64_t cap = ctx.node.cfg.limits.open_conversations_per_user;
  if (ctx.who.role != AccountRole::consumer || cap == 0) co_return Ok{};
  // Counted in storage, so every node's conversations count; the walk stops
  // at the cap.
  ListRequest rq;
  rq.limit = cap;
  rq.scan_limit = kOpenScan;
  rq.match = [&user = ctx.who.user_id](const Conversation& c) {
    return rules::holds_open(c, user);
  };
  auto page = co_await ctx.node.engine.list(ctx.who.tenant, std::move(rq));
  if (!page.ok()) co_return page.error();
  if (auto v = open_conversations(ctx.who.role, page->data.size(), cap); !v.admitted)
    co_return quota_error(v);
  co_return Ok{};
}

}  // namespace

asio::awaitable<Reply> create_conversation(Context& ctx, const params::CreateConversation& p) {
  auto req = rules::create(ctx.who, p, new_conversation_id(), ctx.now, ctx.node.cfg.limits);
  if (!req.ok()) co_return req.error();
  if (auto q = co_await creation_quotas(ctx); !q.ok()) co_return q.error();
  auto commit = co_await ctx.node.engine.create(std::move(req.value()));
  if (!commit.ok()) co_return commit.error();
  // A repeat (clientRequestId) armed it the first time.
  if (commit->record.ttl && !commit->duplicate)
    co_await ctx.node.timers.ttl_changed(commit->record);
  co_return conversation_json(commit->record, ctx.who, ctx.node.cfg.ttr);
}

asio::awaitable<Reply> get_conversation(Context& ctx, const params::GetConversation& p) {
  // Two statements, not a conditional expression: GCC 12 miscompiles
  // co_await inside ?: (temporaries destroyed twice).
  Result<Conversation> conv = Error{};
  if (p.conversation_id)
    conv = co_await ctx.node.engine.get(ctx.key(*p.conversation_id));
  else
    conv = co_await ctx.node.engine.get_by_external_id(ctx.who.tenant, *p.external_id);
  if (!conv.ok()) co_return conv.error();
  if (auto st = rules::may_read(*conv, ctx.who); !st.ok()) co_return st.error();
  co_return conversation_json(*conv, ctx.who, ctx.node.cfg.ttr);
}

asio::awaitable<Reply> list_conversations(Context& ctx, const params::ListConversations& p) {
  std::function<bool(const Conversation&)> match = list_filter(p.filter, ctx.who);
  co_return co_await list_page(ctx, p, std::move(match));
}

asio::awaitable<Reply> update_conversation(Context& ctx, const params::UpdateConversation& p) {
  UpdateRequest rq;
  rq.decide = [&](const Conversation& cur, const Event*) {
    return rules::update(cur, ctx.who, p, ctx.now, ctx.node.cfg.limits);
  };
  auto commit = co_await ctx.node.engine.update(ctx.key(p.conversation_id), std::move(rq));
  if (!commit.ok()) co_return commit.error();
  // ttl given (a number or null): its deletion moves or goes.
  if (p.ttl) co_await ctx.node.timers.ttl_changed(commit->record);
  co_return conversation_json(commit->record, ctx.who, ctx.node.cfg.ttr);
}

asio::awaitable<Reply> delete_conversation(Context& ctx, const params::DeleteConversation& p) {
  UpdateRequest rq;
  rq.decide = [&](const Conversation& cur, const Event*) {
    return rules::remove(cur, ctx.who, ctx.now);
  };
  auto commit = co_await ctx.node.engine.update(ctx.key(p.conversation_id), std::move(rq));
  if (!commit.ok()) co_return commit.error();
  co_return std::string("{}");
}

asio::awaitable<Reply> join(Context& ctx, const params::Join& p) {
  UpdateRequest rq;
  rq.decide = [&](const Conversation& cur, const Event*) {
    return rules::join(cur, ctx.who, p.role, ctx.now, ctx.node.cfg.limits);
  };
  auto commit = co_await ctx.node.engine.update(ctx.key(p.conversation_id), std::move(rq));
  if (!commit.ok()) co_return commit.error();
  const Member* m = commit->record.member(ctx.who.user_id);
  if (!m) co_return internal_error("join committed without the member");
  JsonWriter w;
  write_member(w, *m, commit->record);
  co_return w.take();
}

asio::awaitable<Reply> leave(Context& ctx, const params::Leave& p) {
  UpdateRequest rq;
  rq.decide = [&](const Conversation& cur, const Event*) {
    return rules::leave(cur, ctx.who, ctx.now);
  };
  auto commit = co_await ctx.node.engine.update(ctx.key(p.conversation_id), std::move(rq));
  if (!commit.ok()) co_return commit.error();
  // A member that left no longer reads the conversation: this socket's
  // subscription ends (an agent-side account may subscribe again).
  if (ctx.socket) ctx.socket->state.unsubscribe(ctx.node.hub, p.conversation_id);
  co_return std::string("{}");
}

asio::awaitable<Reply> list_members(Context& ctx, const params::ListMembers& p) {
  auto conv = co_await readable(ctx, p.conversation_id);
  if (!conv.ok()) co_return conv.error();
  // Suggestions are the agent side's (member.suggested is agents-only):
  // consumers do not see suggested members, nor ones that left without
  // ever joining.
  const bool consumer = rules::audience(*conv, ctx.who) == Audience::consumers;
  JsonWriter w;
  w.begin_object().key("data").begin_array();
  for (const auto& m : conv->members) {
    const bool never_joined = m.state == MemberState::left && m.joined_at == 0;
    if (consumer && (m.state == MemberState::suggested || never_joined)) continue;
    write_member(w, m, *conv);
  }
  w.end_array();
  w.field("hasNext", false).field("hasPrev", false).field_null("nextCursor").end_object();
  co_return w.take();
}

// The agent side's figures of one conversation, from its record.
asio::awaitable<Reply> get_conversation_stats(Context& ctx, const params::GetConversationStats& p) {
  // The conversation first: another tenant's is 404, never 403.
  auto conv = co_await readable(ctx, p.conversation_id);
  if (!conv.ok()) co_return conv.error();
  if (!is_agent_side(ctx.who.role) && ctx.who.role != AccountRole::bot)
    co_return forbidden("agent", "only the agent side reads conversation stats");
  uint64_t members[4] = {0, 0, 0, 0};  // by MemberState
  for (const auto& m : conv->members) ++members[static_cast<size_t>(m.state)];
  JsonWriter w;
  w.begin_object()
      .field("conversationId", conv->id)
      .field("state", to_string(conv->state))
      .field("status", conv->status)
      .field("lastSeq", conv->last_seq)
      .field("messages", conv->messages_all)
      .field("notes", conv->notes_count)
      .field("dialogs", static_cast<uint64_t>(conv->dialogs.size()));
  w.key("members")
      .begin_object()
      .field("invited", members[static_cast<size_t>(MemberState::invited)])
      .field("suggested", members[static_cast<size_t>(MemberState::suggested)])
      .field("active", members[static_cast<size_t>(MemberState::active)])
      .field("left", members[static_cast<size_t>(MemberState::left)])
      .end_object();
  w.field("createdAt", conv->created_at).field("updatedAt", conv->updated_at);
  if (conv->last_message_at > 0)
    w.field("lastMessageAt", conv->last_message_at);
  else
    w.field_null("lastMessageAt");
  w.field("ttrEffective", conv->ttr_effective(ctx.node.cfg.ttr)).end_object();
  co_return w.take();
}

}  // namespace parley::methods
