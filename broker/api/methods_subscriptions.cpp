// subscribe / unsubscribe: replay from sinceSeq, then live, through the hub.
#include "api/conversation_io.hpp"
#include "dialog/recovery.hpp"
#include "dialog/rules.hpp"
#include "json_writer.hpp"

namespace parley::methods {

asio::awaitable<Reply> subscribe(SocketContext& ctx, const params::Subscribe& p) {
  auto conv = co_await readable(ctx, p.conversation_id);
  if (!conv.ok()) co_return conv.error();
  ConvKey key = ctx.key(p.conversation_id);
  Audience audience = rules::audience(*conv, ctx.who);

  std::shared_ptr<Subscription> sub;
  {
    std::lock_guard lock(ctx.state.mu);
    // Ended subscriptions (deleted conversations) no longer count.
    std::erase_if(ctx.state.subs, [&](const auto& kv) {
      if (!kv.second->ended()) return false;
      ctx.node.hub.remove(kv.second);
      return true;
    });
    auto it = ctx.state.subs.find(p.conversation_id);
    if (it != ctx.state.subs.end()) {
      // Subscribing again restarts the stream from the given position: the
      // old one's pushes held behind this response go too (its replay
      // repeats them from the client's position).
      it->second->cancel();
      ctx.node.hub.remove(it->second);
      ctx.state.subs.erase(it);
    }
    if (ctx.state.subs.size() >= ctx.node.cfg.limits.subscriptions)
      co_return too_large("subscriptions", ctx.node.cfg.limits.subscriptions);
    // Registered before the log is read, so no live event can fall between
    // the replay and the stream: it is buffered until start().
    sub = ctx.node.hub.add(key, ctx.conn, audience, ctx.who.user_id);
    ctx.state.subs.emplace(p.conversation_id, sub);
  }

  const uint64_t replay_max = ctx.node.cfg.limits.replay_events;
  const rules::Ask ask{p.since_seq, p.epoch};
  const rules::ReadPlan plan = rules::plan_read(ask, conv->epoch, replay_max);
  ReadRequest rq;
  rq.audience = audience;
  rq.from_seq = plan.from_seq;
  rq.limit = plan.limit;
  auto page = co_await ctx.node.engine.read(key, rq);
  // The subscription re-checks its access at every membership event after
  // the record its standing comes from. Events committed between that read
  // and the registration reach it neither live nor (without sinceSeq) in
  // the replay: when there were any, the record is read again (rare).
  if (page.ok() && (page->last_seq != conv->last_seq || page->epoch != conv->epoch)) {
    auto again = co_await readable(ctx, p.conversation_id);
    if (!again.ok())
      page = again.error();
    else
      conv = std::move(again);
  }
  if (!page.ok()) {
    std::lock_guard lock(ctx.state.mu);
    ctx.node.hub.remove(sub);
    if (auto it = ctx.state.subs.find(p.conversation_id);
        it != ctx.state.subs.end() && it->second == sub)
      ctx.state.subs.erase(it);
    co_return page.error();
  }
  sub->set_standing(rules::standing_of(*conv, ctx.who), conv->last_seq);
  // Recovered: the position is in this epoch, no more than the replay limit
  // behind and not ahead of what exists; without sinceSeq, live only.
  rules::Recovery rec = rules::recover(
      ask, plan, {std::move(page->epoch), page->last_seq, std::move(page->events), page->has_more},
      replay_max);
  // The response is returned first; these pushes are held behind it.
  sub->start(rec.epoch, rec.position, rec.replay);

  JsonWriter w;
  w.begin_object()
      .field("epoch", rec.epoch)
      .field("lastSeq", rec.position)
      .field("recovered", rec.recovered)
      .field("replayed", static_cast<uint64_t>(rec.replay.size()))
      .end_object();
  co_return w.take();
}

asio::awaitable<Reply> unsubscribe(SocketContext& ctx, const params::Unsubscribe& p) {
  ctx.state.unsubscribe(ctx.node.hub, p.conversation_id);
  co_return std::string("{}");
}

}  // namespace parley::methods
