// The contact-centre workflow methods: close, reopen, lock, setStatus,
// notes, CSAT, TTR; and the dispatch of every contact-centre method.
#include <algorithm>
#include <charconv>

#include "json_merge.hpp"
#include "json_writer.hpp"
#include "api/router_impl.hpp"
#include "dialog/rules.hpp"
#include "serialize.hpp"

namespace parley {

namespace {

// listNotes cursors are the seq of the last note served.
std::optional<uint64_t> parse_seq_cursor(std::string_view s) {
  uint64_t seq = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), seq);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return seq;
}

}  // namespace

// The contact-centre methods (methods_workflow.cpp, methods_routing.cpp,
// methods_content.cpp).
asio::awaitable<Reply> Router::Impl::dispatch_workflow(Ctx& ctx, const std::string& method,
                                                       Params& p) {
  if (auto* x = std::get_if<params::CloseConversation>(&p))
    co_return co_await close_conversation(ctx, *x);
  if (auto* x = std::get_if<params::SetStatus>(&p)) co_return co_await set_status(ctx, *x);
  if (auto* x = std::get_if<params::Invite>(&p)) co_return co_await invite(ctx, *x);
  if (auto* x = std::get_if<params::MemberRef>(&p)) {
    if (method == "removeMember") co_return co_await remove_member(ctx, *x);
    if (method == "assign") co_return co_await assign(ctx, *x);
  }
  if (auto* x = std::get_if<params::Transfer>(&p)) co_return co_await transfer(ctx, *x);
  if (auto* x = std::get_if<params::SetGroup>(&p)) co_return co_await set_group(ctx, *x);
  if (auto* x = std::get_if<params::ConsumerTakeover>(&p))
    co_return co_await consumer_takeover(ctx, *x);
  if (auto* x = std::get_if<params::SendRichContent>(&p))
    co_return co_await send_rich_content(ctx, *x);
  if (auto* x = std::get_if<params::SendFile>(&p)) co_return co_await send_file(ctx, *x);
  if (auto* x = std::get_if<params::SendEvent>(&p)) co_return co_await send_event(ctx, *x);
  if (auto* x = std::get_if<params::SetNote>(&p)) co_return co_await set_note(ctx, *x);
  if (auto* x = std::get_if<params::ListNotes>(&p)) co_return co_await list_notes(ctx, *x);
  if (auto* x = std::get_if<params::SetCsat>(&p)) co_return co_await set_csat(ctx, *x);
  if (auto* x = std::get_if<params::SetTtr>(&p)) co_return co_await set_ttr(ctx, *x);
  if (auto* x = std::get_if<params::SetManualEttr>(&p)) co_return co_await set_manual_ettr(ctx, *x);
  co_return method_not_found(method);
}

// (Every caller builds its Rule in a statement of its own: GCC 12 mishandles
// temporaries inside a co_await expression.)
asio::awaitable<Result<Commit>> Router::Impl::commit_rule(Ctx& ctx, const std::string& id,
                                                          Rule rule) {
  UpdateRequest rq;
  rq.decide = [&rule](const Conversation& cur, const Event*) { return rule(cur); };
  auto commit = co_await engine.update(ctx.key(id), std::move(rq));
  // Whatever closed it (close, setStatus resolved, the end of a survey), the
  // automatic lock counts from that moment.
  if (commit.ok() && commit->record.state == ConvState::close) {
    const bool closed_now =
        std::any_of(commit->events.begin(), commit->events.end(),
                    [](const EventPtr& e) { return e->type == "state.changed"; });
    if (closed_now) co_await timers.closed(ctx.key(id), commit->record.closed_at());
  }
  co_return commit;
}

asio::awaitable<Reply> Router::Impl::close_conversation(Ctx& ctx,
                                                        const params::CloseConversation& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::close(cur, ctx.who, p.closed_cause, ctx.now);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return conversation_json(commit->record, ctx.who, cfg.ttr);
}

asio::awaitable<Reply> Router::Impl::reopen_conversation(Ctx& ctx,
                                                         const params::ConversationRef& p) {
  Rule rule = [&](const Conversation& cur) { return rules::reopen(cur, ctx.who, ctx.now); };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return conversation_json(commit->record, ctx.who, cfg.ttr);
}

asio::awaitable<Reply> Router::Impl::lock_conversation(Ctx& ctx, const params::ConversationRef& p) {
  Rule rule = [&](const Conversation& cur) { return rules::lock(cur, ctx.who, ctx.now); };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return conversation_json(commit->record, ctx.who, cfg.ttr);
}

asio::awaitable<Reply> Router::Impl::set_status(Ctx& ctx, const params::SetStatus& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::set_status(cur, ctx.who, p.status, ctx.now);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return conversation_json(commit->record, ctx.who, cfg.ttr);
}

asio::awaitable<Reply> Router::Impl::set_note(Ctx& ctx, const params::SetNote& p) {
  const std::string note_id = new_conversation_id();  // a UUID, like conversation ids
  Rule rule = [&](const Conversation& cur) {
    return rules::set_note(cur, ctx.who, p, note_id, ctx.now, cfg.limits);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  const rules::NoteText note = rules::clip_note(p.text, cfg.limits.note_chars);
  JsonWriter w;
  w.begin_object().field("noteId", note_id).field("truncated", note.truncated);
  if (note.truncated) w.field("truncatedText", note.text);
  w.end_object();
  co_return w.take();
}

asio::awaitable<Reply> Router::Impl::list_notes(Ctx& ctx, const params::ListNotes& p) {
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
  auto page = co_await engine.read(ctx.key(conv->id), rq);
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

asio::awaitable<Reply> Router::Impl::set_csat(Ctx& ctx, const params::SetCsat& p) {
  Rule rule = [&](const Conversation& cur) { return rules::set_csat(cur, ctx.who, p, ctx.now); };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return conversation_json(commit->record, ctx.who, cfg.ttr);
}

asio::awaitable<Reply> Router::Impl::set_ttr(Ctx& ctx, const params::SetTtr& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::set_ttr(cur, ctx.who, p, ctx.now, cfg.ttr);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return conversation_json(commit->record, ctx.who, cfg.ttr);
}

asio::awaitable<Reply> Router::Impl::set_manual_ettr(Ctx& ctx, const params::SetManualEttr& p) {
  Rule rule = [&](const Conversation& cur) {
    return rules::set_manual_ettr(cur, ctx.who, p.time, ctx.now, cfg.ttr);
  };
  auto commit = co_await commit_rule(ctx, p.conversation_id, std::move(rule));
  if (!commit.ok()) co_return commit.error();
  co_return conversation_json(commit->record, ctx.who, cfg.ttr);
}

}  // namespace parley
