// Message methods: send, edit, delete, query, markRead, setChatState.
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/conversation_io.hpp"
#include "clock.hpp"
#include "dialog/rules.hpp"
#include "json_writer.hpp"
#include "serialize.hpp"
#include "tuning.hpp"

namespace parley::methods {

namespace {

std::string seq_json(uint64_t seq) {
  JsonWriter w;
  w.begin_object().field("seq", seq).end_object();
  return w.take();
}


}  // namespace

asio::awaitable<Reply> send_message(Context& ctx, const params::SendMessage& p) {
  // The moderation hook first (hooks/send_hook.hpp): it may refuse the
  // message or rewrite its text.
  if (ctx.node.send_hook) {
    auto verdict = co_await ctx.node.send_hook->check(ctx.who, p, ctx.request_id());
    if (!verdict.ok()) co_return verdict.error();
    if (*verdict) {
      params::SendMessage rewritten = p;
      rewritten.text = std::move(**verdict);
      co_return co_await append_reply(ctx, p.conversation_id,
                                      rules::send_message(ctx.who, rewritten));
    }
  }
  // Built by its rule and appended like every other message kind
  // (methods_content.cpp).
  AppendRequest req = rules::send_message(ctx.who, p);
  co_return co_await append_reply(ctx, p.conversation_id, std::move(req));
}

asio::awaitable<Reply> edit_message(Context& ctx, const params::EditMessage& p) {
  UpdateRequest rq;
  rq.target_seq = p.seq;
  rq.decide = [&](const Conversation& cur, const Event* target) -> Result<Decision> {
    if (!target) return not_found("no such message");
    return rules::edit_message(cur, ctx.who, *target, p.text, ctx.now);
  };
  auto commit = co_await ctx.node.engine.update(ctx.key(p.conversation_id), std::move(rq));
  if (!commit.ok()) co_return commit.error();
  if (commit->events.empty()) co_return internal_error("edit committed no event");
  co_return seq_json(commit->events.front()->seq);
}

asio::awaitable<Reply> delete_message(Context& ctx, const params::DeleteMessage& p) {
  UpdateRequest rq;
  rq.target_seq = p.seq;
  rq.decide = [&](const Conversation& cur, const Event* target) -> Result<Decision> {
    if (!target) return not_found("no such message");
    return rules::delete_message(cur, ctx.who, *target, ctx.now);
  };
  auto commit = co_await ctx.node.engine.update(ctx.key(p.conversation_id), std::move(rq));
  if (!commit.ok()) co_return commit.error();
  if (commit->events.empty()) co_return internal_error("delete committed no event");
  co_return seq_json(commit->events.front()->seq);
}

asio::awaitable<Reply> query_messages(Context& ctx, const params::QueryMessages& p) {
  ReadRequest rq;
  if (p.from_seq) rq.from_seq = std::max<uint64_t>(*p.from_seq, 1);
  if (p.to_seq) rq.to_seq = *p.to_seq;
  if (p.since) rq.since = *p.since;
  if (p.until) rq.until = *p.until;
  rq.descending = p.descending;
  rq.limit = p.limit;
  rq.types = p.types;

  JsonWriter w;
  w.begin_object();
  if (p.conversation_id) {
    auto conv = co_await readable(ctx, *p.conversation_id);
    if (!conv.ok()) co_return conv.error();
    Audience a = rules::audience(*conv, ctx.who);
    rq.audience = a;
    auto page = co_await ctx.node.engine.read(ctx.key(conv->id), rq);
    if (!page.ok()) co_return page.error();
    w.key("data").begin_array();
    for (const auto& e : page->events) write_event(w, *e, conv->id, page->epoch, a);
    w.end_array();
    bool has_prev = p.descending ? rq.to_seq < page->last_seq : rq.from_seq > 1;
    w.field("hasNext", page->has_more)
        .field("hasPrev", has_prev)
        .field("epoch", page->epoch)
        .field("lastSeq", page->last_seq);
    w.end_object();
    co_return w.take();
  }

  // Across the caller's conversations: message events, merged by time.
  if (rq.types.empty())
    rq.types = {"message", "message.private", "message.rich", "message.file"};
  ListRequest lr;
  lr.match = [user = ctx.who.user_id](const Conversation& c) {
    return c.active_member(user) != nullptr;
  };
  lr.limit = kCrossConversationScan;
  auto convs = co_await ctx.node.engine.list(ctx.who.tenant, std::move(lr));
  if (!convs.ok()) co_return convs.error();
  struct Row {
    const Conversation* conv;
    EventPtr event;
    std::string epoch;
  };
  std::vector<Row> rows;
  bool more = convs->has_next;
  for (const auto& c : convs->data) {
    rq.audience = rules::audience(c, ctx.who);
    auto page = co_await ctx.node.engine.read(ctx.key(c.id), rq);
    if (!page.ok()) {
      if (page.error().code == code::not_found) continue;  // deleted meanwhile
      co_return page.error();
    }
    more = more || page->has_more;
    for (auto& e : page->events) rows.push_back({&c, std::move(e), page->epoch});
  }
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    return p.descending ? a.event->ts > b.event->ts : a.event->ts < b.event->ts;
  });
  if (rows.size() > p.limit) {
    rows.resize(p.limit);
    more = true;
  }
  w.key("data").begin_array();
  for (const auto& r : rows)
    write_event(w, *r.event, r.conv->id, r.epoch, rules::audience(*r.conv, ctx.who));
  w.end_array();
  w.field("hasNext", more).field("hasPrev", false).field_null("epoch").field_null("lastSeq");
  w.end_object();
  co_return w.take();
}

asio::awaitable<Reply> mark_read(Context& ctx, const params::MarkRead& p) {
  UpdateRequest rq;
  rq.target_seq = p.seq;
  // A receipt naming an agents-only event goes to the agent side only.
  bool private_target = false;
  rq.decide = [&](const Conversation& cur, const Event* target) -> Result<Decision> {
    if (!target) return not_found("no such message");
    private_target = target->visibility == Visibility::agents;
    return rules::mark_read(cur, ctx.who, *target, p.accept);
  };
  Result<Commit> commit = Error{};
  if (p.seq == 0) {
    // Nothing to move: answer the current horizon.
    auto conv = co_await readable(ctx, p.conversation_id);
    if (!conv.ok()) co_return conv.error();
    commit = Commit{std::move(conv.value()), {}, false, 0, 0};
  } else {
    commit = co_await ctx.node.engine.update(ctx.key(p.conversation_id), std::move(rq));
  }
  if (!commit.ok()) co_return commit.error();
  const Member* m = commit->record.member(ctx.who.user_id);
  if (!m) co_return forbidden("member", "not a member of the conversation");
  uint64_t seq = p.accept ? m->last_accept_seq : m->last_read_seq;
  if (p.seq != 0 && seq == p.seq) {
    // The horizon moved (or already stood here): tell the other readers.
    JsonWriter r;
    r.begin_object()
        .field("conversationId", p.conversation_id)
        .field("userId", ctx.who.user_id)
        .field("status", p.accept ? "ACCEPT" : "READ")
        .field("seq", seq)
        .end_object();
    Signal s;
    s.frame = std::make_shared<const std::string>(notification("receipt", r.str()));
    s.from_user = ctx.who.user_id;
    s.agents_only = private_target;
    ctx.node.engine.publish_signal(ctx.key(p.conversation_id), std::move(s));
  }
  JsonWriter w;
  w.begin_object()
      .field("lastReadSeq", m->last_read_seq)
      .field("lastAcceptSeq", m->last_accept_seq)
      .field("unread", unread_of(*m, commit->record))
      .end_object();
  co_return w.take();
}

asio::awaitable<Reply> set_chat_state(SocketContext& ctx, const params::SetChatState& p) {
  auto conv = co_await readable(ctx, p.conversation_id);
  if (!conv.ok()) co_return conv.error();
  ConvKey key = ctx.key(p.conversation_id);
  auto publish = [&engine = ctx.node.engine, key,
                  user = ctx.who.user_id](const std::string& state) {
    JsonWriter w;
    w.begin_object()
        .field("conversationId", key.id)
        .field("userId", user)
        .field("state", state)
        .end_object();
    Signal s;
    s.frame = std::make_shared<const std::string>(notification("chatState", w.str()));
    s.from_user = user;
    s.skip_sender = true;
    engine.publish_signal(key, std::move(s));
  };
  // At most one chatState per (socket, conversation) per interval; within
  // the window the latest state waits and goes out when it closes.
  const Millis interval = ctx.node.cfg.chat_state_interval_ms;
  std::unique_lock lock(ctx.state.mu);
  ChatStateSlot& slot = ctx.state.chat[p.conversation_id];
  if (ctx.now - slot.last_sent >= interval && !slot.timer_armed) {
    slot.last_sent = ctx.now;
    lock.unlock();
    publish(p.state);
    co_return std::string("{}");
  }
  slot.pending = p.state;
  if (!slot.timer_armed) {
    slot.timer_armed = true;
    Millis wait = std::max<Millis>(0, slot.last_sent + interval - ctx.now);
    auto state = ctx.conn->context;
    lock.unlock();  // never co_spawn under a lock (docs/architecture.md, "Threads and locks")
    asio::co_spawn(
        ctx.conn->executor(),
        [state, id = p.conversation_id, wait, publish]() -> asio::awaitable<void> {
          asio::steady_timer t(co_await asio::this_coro::executor);
          t.expires_after(std::chrono::milliseconds(wait));
          co_await t.async_wait(asio::use_awaitable);
          std::string pending;
          {
            std::lock_guard l(state->mu);
            ChatStateSlot& s = state->chat[id];
            s.timer_armed = false;
            s.last_sent = wall_clock_ms();
            pending = std::move(s.pending);
            s.pending.clear();
          }
          if (!pending.empty()) publish(pending);
        },
        asio::detached);
  }
  co_return std::string("{}");
}

}  // namespace parley::methods
