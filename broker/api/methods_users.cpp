// The users, drafts and archive methods (docs/protocol.md, "Users, drafts,
// archive": getInvitableUsers, saveDraft/getDraft, archiveConversation). The
// rules are in dialog/users.cpp; the registry is the engine's (contract 12).
#include "api/conversation_pages.hpp"
#include "dialog/rules.hpp"
#include "dialog/users.hpp"
#include "json_writer.hpp"
#include "tuning.hpp"

namespace parley::methods {

namespace {


void write_user(JsonWriter& w, const User& u) {
  w.begin_object().field("userId", u.user_id);
  if (u.name.empty())
    w.field_null("name");
  else
    w.field("name", u.name);
  if (u.display_name)
    w.field("displayName", *u.display_name);
  else
    w.field_null("displayName");
  if (u.image_url)
    w.field("imageUrl", *u.image_url);
  else
    w.field_null("imageUrl");
  w.field("role", to_string(u.role))
      .field("createdAt", u.created_at)
      .field("updatedAt", u.updated_at)
      .end_object();
}

std::string user_json(const User& u) {
  JsonWriter w;
  write_user(w, u);
  return w.take();
}

// The list envelope of a page of users; the cursor is the last id examined.
std::string user_page_json(const UserPage& page, bool has_prev) {
  JsonWriter w;
  w.begin_object().key("data").begin_array();
  for (const auto& u : page.data) write_user(w, u);
  w.end_array();
  w.field("hasNext", page.has_next).field("hasPrev", has_prev);
  if (page.has_next)
    w.field("nextCursor", page.next_after);
  else
    w.field_null("nextCursor");
  w.end_object();
  return w.take();
}

// One page of the tenant's users that `rq` selects, as listUsers and
// getInvitableUsers answer it.
asio::awaitable<Reply> user_page(Context& ctx, UserListRequest rq, const params::Paging& paging) {
  rq.after = paging.cursor;
  rq.limit = paging.limit;
  rq.scan_limit = kUserScanLimit;
  auto page = co_await ctx.node.engine.user_list(ctx.who.tenant, std::move(rq));
  if (!page) co_return std::move(page).error();
  co_return user_page_json(*page, paging.cursor.has_value());
}

}  // namespace

asio::awaitable<Reply> upsert_user(Context& ctx, const params::UpsertUser& p) {
  const std::string target = p.user_id.value_or(ctx.who.user_id);
  if (auto st = rules::may_upsert_user(ctx.who, target); !st) co_return st.error();
  UserPut put;
  put.tenant = ctx.who.tenant;
  put.user_id = target;
  put.name = p.name;
  put.display_name = p.display_name;
  put.image_url = p.image_url;
  put.now = ctx.now;
  // Yourself: your token says your role, so a user that upserts itself
  // before its registration landed is not left a consumer.
  if (target == ctx.who.user_id) put.role = ctx.who.role;
  auto u = co_await ctx.node.engine.user_put(std::move(put));
  if (!u) co_return std::move(u).error();
  co_return user_json(*u);
}

asio::awaitable<Reply> get_user(Context& ctx, const params::GetUser& p) {
  auto u = co_await ctx.node.engine.user_get(ctx.who.tenant, p.user_id);
  if (!u) co_return std::move(u).error();
  co_return user_json(*u);
}

asio::awaitable<Reply> list_users(Context& ctx, const params::ListUsers& p) {
  if (auto st = rules::may_list_users(ctx.who); !st) co_return st.error();
  UserListRequest rq;
  if (p.role) rq.roles.push_back(*p.role);
  rq.words = p.words;
  co_return co_await user_page(ctx, std::move(rq), p.paging);
}

asio::awaitable<Reply> list_user_conversations(Context& ctx,
                                               const params::ListUserConversations& p) {
  if (auto st = rules::may_list_user_conversations(ctx.who, p.user_id); !st) co_return st.error();
  params::ListConversations lp;
  lp.paging = p.paging;
  const std::string user = p.user_id;
  std::function<bool(const Conversation&)> match = [user](const Conversation& c) {
    return c.active_member(user) != nullptr;
  };
  co_return co_await list_page(ctx, lp, std::move(match));
}

asio::awaitable<Reply> get_invitable_users(Context& ctx, const params::GetInvitableUsers& p) {
  // The conversation first: another tenant's is 404, never 403, as for
  // every method that names one.
  auto conv = co_await ctx.node.engine.get(ctx.key(p.conversation_id));
  if (!conv) co_return std::move(conv).error();
  if (auto st = rules::may_list_users(ctx.who); !st) co_return st.error();
  if (auto st = rules::may_list_invitable(*conv, ctx.who); !st) co_return st.error();
  UserListRequest rq;
  rq.roles = {AccountRole::agent, AccountRole::manager};
  for (const auto& m : conv->members)
    if (m.state == MemberState::active) rq.exclude.push_back(m.user_id);
  co_return co_await user_page(ctx, std::move(rq), p.paging);
}

asio::awaitable<Reply> save_draft(Context& ctx, const params::SaveDraft& p) {
  // commit_rule, like every rule-driven update: the rule appends no event,
  // so the automatic lock it may arm is never touched.
  Rule rule = [&](const Conversation& cur) {
    return rules::save_draft(cur, ctx.who, p.text, ctx.now);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit) co_return std::move(commit).error();
  co_return std::string("{}");
}

asio::awaitable<Reply> get_draft(Context& ctx, const params::GetDraft& p) {
  auto conv = co_await ctx.node.engine.get(ctx.key(p.conversation_id));
  if (!conv) co_return std::move(conv).error();
  auto m = rules::own_member(*conv, ctx.who);
  if (!m) co_return std::move(m).error();
  JsonWriter w;
  w.begin_object().field("text", (*m)->draft);
  if ((*m)->draft_at > 0)
    w.field("updatedAt", (*m)->draft_at);
  else
    w.field_null("updatedAt");
  w.end_object();
  co_return w.take();
}

asio::awaitable<Reply> archive_conversation(Context& ctx, const params::ArchiveConversation& p) {
  Rule rule = [&](const Conversation& cur) { return rules::archive(cur, ctx.who, p.archived); };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit) co_return std::move(commit).error();
  co_return std::string("{}");
}

}  // namespace parley::methods
