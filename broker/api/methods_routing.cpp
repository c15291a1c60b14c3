// Routing methods: invite, removeMember, assign, transfer, setGroup,
// consumerTakeover. Each is one rules decision committed through the engine.
#include "api/conversation_io.hpp"
#include "dialog/rules.hpp"
#include "json_writer.hpp"
#include "serialize.hpp"

namespace parley::methods {

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

asio::awaitable<Reply> invite(Context& ctx, const params::Invite& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::invite(cur, ctx.who, p, ctx.now, ctx.node.cfg.limits);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return member_json(commit->record, p.user_id);
}

asio::awaitable<Reply> remove_member(Context& ctx, const params::RemoveMember& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::remove_member(cur, ctx.who, p.user_id, ctx.now);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return std::string("{}");
}

asio::awaitable<Reply> assign(Context& ctx, const params::Assign& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::assign(cur, ctx.who, p.user_id, ctx.now, ctx.node.cfg.limits);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return member_json(commit->record, p.user_id);
}

asio::awaitable<Reply> transfer(Context& ctx, const params::Transfer& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::transfer(cur, ctx.who, p, ctx.now, ctx.node.cfg.limits);
  };
  co_return co_await rule_reply(ctx, p.conversation_id, std::move(rule));
}

asio::awaitable<Reply> set_group(Context& ctx, const params::SetGroup& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::set_group(cur, ctx.who, p.group_id, ctx.now);
  };
  co_return co_await rule_reply(ctx, p.conversation_id, std::move(rule));
}

asio::awaitable<Reply> consumer_takeover(Context& ctx, const params::ConsumerTakeover& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::consumer_takeover(cur, ctx.who, p.new_consumer_user_id, ctx.now,
                                    ctx.node.cfg.limits);
  };
  co_return co_await rule_reply(ctx, p.conversation_id, std::move(rule));
}

}  // namespace parley::methods
