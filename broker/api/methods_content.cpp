// The other message kinds: private messages, rich content, files and custom
// events. All go through engine.append, the hot path, like sendMessage.
#include "json_writer.hpp"
#include "api/router_impl.hpp"
#include "dialog/rules.hpp"

namespace parley {

asio::awaitable<Reply> Router::Impl::append_reply(Ctx& ctx, const std::string& id,
                                                  AppendRequest req) {
  auto commit = co_await engine.append(ctx.key(id), std::move(req));
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

asio::awaitable<Reply> Router::Impl::send_private_message(Ctx& ctx, const params::SendMessage& p) {
  AppendRequest req = rules::send_private_message(ctx.who, p);
  co_return co_await append_reply(ctx, p.conversation_id, std::move(req));
}

asio::awaitable<Reply> Router::Impl::send_rich_content(Ctx& ctx, const params::SendRichContent& p) {
  AppendRequest req = rules::send_rich_content(ctx.who, p);
  co_return co_await append_reply(ctx, p.conversation_id, std::move(req));
}

asio::awaitable<Reply> Router::Impl::send_file(Ctx& ctx, const params::SendFile& p) {
  AppendRequest req = rules::send_file(ctx.who, p);
  co_return co_await append_reply(ctx, p.conversation_id, std::move(req));
}

// PROTOCOL §5: sendEvent answers {seq}.
asio::awaitable<Reply> Router::Impl::send_event(Ctx& ctx, const params::SendEvent& p) {
  AppendRequest req = rules::send_event(ctx.who, p);
  auto commit = co_await engine.append(ctx.key(p.conversation_id), std::move(req));
  if (!commit.ok()) co_return commit.error();
  JsonWriter w;
  w.begin_object().field("seq", commit->seq).end_object();
  co_return w.take();
}

}  // namespace parley
