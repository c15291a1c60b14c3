#include "api/conversation_io.hpp"

#include <algorithm>

#include "dialog/rules.hpp"
#include "json_writer.hpp"
#include "serialize.hpp"

namespace parley {

asio::awaitable<Result<Conversation>> readable(Context& ctx, const std::string& id) {
  auto conv = co_await ctx.node.engine.get(ctx.key(id));
  if (!conv.ok()) co_return conv;
  if (auto st = rules::may_read(*conv, ctx.who); !st.ok()) co_return st.error();
  co_return conv;
}

asio::awaitable<Result<Commit>> commit_rule(Context& ctx, const std::string& id, Rule rule) {
  UpdateRequest rq;
  rq.decide = [&rule](const Conversation& cur, const Event*) { return rule(cur); };
  auto commit = co_await ctx.node.engine.update(ctx.key(id), std::move(rq));
  // Whatever closed it (close, setStatus resolved, the end of a survey), the
  // automatic lock counts from that moment.
  if (commit.ok() && commit->record.state == ConvState::close) {
    const bool closed_now =
        std::any_of(commit->events.begin(), commit->events.end(),
                    [](const EventPtr& e) { return e->type == "state.changed"; });
    if (closed_now) co_await ctx.node.timers.closed(ctx.key(id), commit->record.closed_at());
  }
  co_return commit;
}

asio::awaitable<Reply> rule_reply(Context& ctx, const std::string& id, Rule rule) {
  auto commit = co_await commit_rule(ctx, id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return conversation_json(commit->record, ctx.who, ctx.node.cfg.ttr);
}

asio::awaitable<Reply> append_reply(Context& ctx, const std::string& id, AppendRequest req) {
  auto commit = co_await ctx.node.engine.append(ctx.key(id), std::move(req));
  if (!commit.ok()) co_return commit.error();
  JsonWriter w;
  w.begin_object()
      .field("seq", commit->seq)
      .field("ts", commit->ts)
      .field("epoch", commit->record.epoch)
      .field("duplicate", commit->duplicate)
      .end_object();
  co_return w.take();
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

}  // namespace parley
