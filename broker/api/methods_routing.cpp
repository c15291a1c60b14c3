// Routing methods: invite, removeMember, assign, transfer, setGroup,
// consumerTakeover. Each is one rules decision committed through the engine.
#include "json_writer.hpp"
#include "api/router_impl.hpp"
#include "dialog/rules.hpp"
#include "serialize.hpp"

namespace parley {

namespace {

// The member row of `user_id` in a committed record.
Reply member_json(const Conversation& c, std::string_view user_id) {
  const Member* m = c.member(user_id);
  if (!m) return internal_error("committed without the member");
  JsonWriter w;
  write_member(w, *m, c);
  return w.take();
}

}  // namespace

asio::awaitable<Reply> Router::Impl::invite(Ctx& ctx, const params::Invite& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::invite(cur, ctx.who, p, ctx.now, cfg.limits);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return member_json(commit->record, p.user_id);
}

asio::awaitable<Reply> Router::Impl::remove_member(Ctx& ctx, const params::MemberRef& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::remove_member(cur, ctx.who, p.user_id, ctx.now);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return std::string("{}");
}

asio::awaitable<Reply> Router::Impl::assign(Ctx& ctx, const params::MemberRef& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::assign(cur, ctx.who, p.user_id, ctx.now, cfg.limits);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return member_json(commit->record, p.user_id);
}

asio::awaitable<Reply> Router::Impl::transfer(Ctx& ctx, const params::Transfer& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::transfer(cur, ctx.who, p, ctx.now, cfg.limits);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return conversation_json(commit->record, ctx.who, cfg.ttr);
}

asio::awaitable<Reply> Router::Impl::set_group(Ctx& ctx, const params::SetGroup& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::set_group(cur, ctx.who, p.group_id, ctx.now);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return conversation_json(commit->record, ctx.who, cfg.ttr);
}

asio::awaitable<Reply> Router::Impl::consumer_takeover(Ctx& ctx,
                                                       const params::ConsumerTakeover& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::consumer_takeover(cur, ctx.who, p.new_consumer_user_id, ctx.now, cfg.limits);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return conversation_json(commit->record, ctx.who, cfg.ttr);
}

}  // namespace parley
