// The contact-centre workflow methods: close, reopen, lock, setStatus,
// notes, CSAT, TTR.
#include <algorithm>
#include <charconv>

#include "api/conversation_io.hpp"
#include "dialog/rules.hpp"
#include "json_merge.hpp"
#include "json_writer.hpp"
#include "serialize.hpp"

namespace parley::methods {

namespace {

// listNotes cursors are the seq of the last note served.
std::optional<uint64_t> parse_seq_cursor(std::string_view s) {
  uint64_t seq = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), seq);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return seq;
}

}  // namespace

asio::awaitable<Reply> close_conversation(Context& ctx, const params::CloseConversation& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::close(cur, ctx.who, p.closed_cause, ctx.now);
  };
  co_return co_await rule_reply(ctx, p.conversation_id, std::move(rule));
}

asio::awaitable<Reply> reopen_conversation(Context& ctx, const params::ReopenConversation& p) {
  Rule rule = [&](const Conversation& cur) { return rules::reopen(cur, ctx.who, ctx.now); };
  co_return co_await rule_reply(ctx, p.conversation_id, std::move(rule));
}

asio::awaitable<Reply> lock_conversation(Context& ctx, const params::LockConversation& p) {
  Rule rule = [&](const Conversation& cur) { return rules::lock(cur, ctx.who, ctx.now); };
  co_return co_await rule_reply(ctx, p.conversation_id, std::move(rule));
}

asio::awaitable<Reply> set_status(Context& ctx, const params::SetStatus& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::set_status(cur, ctx.who, p.status, ctx.now);
  };
  co_return co_await rule_reply(ctx, p.conversation_id, std::move(rule));
}

asio::awaitable<Reply> set_note(Context& ctx, const params::SetNote& p) {
  const std::string note_id = new_conversation_id();  // a UUID, like conversation ids
  Rule rule = [&](const Conversation& cur) {
    return rules::set_note(cur, ctx.who, p, note_id, ctx.now, ctx.node.cfg.limits);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  const rules::NoteText note = rules::clip_note(p.text, ctx.node.cfg.limits.note_chars);
  JsonWriter w;
  w.begin_object().field("noteId", note_id).field("truncated", note.truncated);
  if (note.truncated) w.field("truncatedText", note.text);
  w.end_object();
  co_return w.take();
}

asio::awaitable<Reply> list_notes(Context& ctx, const params::ListNotes& p) {
  auto conv = co_await readable(ctx, p.conversation_id);
  if (!conv.ok()) co_return conv.error();
  if (auto st = rules::may_read_notes(*conv, ctx.who); !st.ok()) co_return st.error();
  ReadRequest rq;
  rq.types = {"note.added"};
  rq.audience = Audience::agents;
  if (p.paging.cursor) {
    auto after = parse_seq_cursor(*p.paging.cursor);
    if (!after) co_return invalid_params("cursor", "invalid cursor");
    rq.from_seq = *after + 1;
  }
  // The log holds every note in order; an offset skips that many of them
  // (bounded: notes_bytes bounds how many notes there can be anyway).
  const size_t offset = std::min<size_t>(p.paging.offset, 1'000'000);
  rq.limit = offset + p.paging.limit;
  auto page = co_await ctx.node.engine.read(ctx.key(conv->id), rq);
  if (!page.ok()) co_return page.error();
  const auto& events = page->events;
  JsonWriter w;
  w.begin_object().key("data").begin_array();
  for (size_t i = std::min(offset, events.size()); i < events.size(); ++i) {
    JsonWriter extra;
    extra.begin_object()
        .field("seq", events[i]->seq)
        .field("createdAt", events[i]->ts)
        .end_object();
    w.raw(merge_object(events[i]->body, extra.str()));
  }
  w.end_array();
  w.field("hasNext", page->has_more)
      .field("hasPrev", p.paging.cursor.has_value() || p.paging.offset > 0);
  if (page->has_more && !events.empty())
    w.field("nextCursor", std::to_string(events.back()->seq));
  else
    w.field_null("nextCursor");
  w.end_object();
  co_return w.take();
}

asio::awaitable<Reply> set_csat(Context& ctx, const params::SetCsat& p) {
  Rule rule = [&](const Conversation& cur) { return rules::set_csat(cur, ctx.who, p, ctx.now); };
  co_return co_await rule_reply(ctx, p.conversation_id, std::move(rule));
}

asio::awaitable<Reply> set_ttr(Context& ctx, const params::SetTtr& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::set_ttr(cur, ctx.who, p, ctx.now, ctx.node.cfg.ttr);
  };
  co_return co_await rule_reply(ctx, p.conversation_id, std::move(rule));
}

asio::awaitable<Reply> set_manual_ettr(Context& ctx, const params::SetManualEttr& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::set_manual_ettr(cur, ctx.who, p.time, ctx.now, ctx.node.cfg.ttr);
  };
  co_return co_await rule_reply(ctx, p.conversation_id, std::move(rule));
}

}  // namespace parley::methods
