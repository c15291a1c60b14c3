// The other message kinds: private messages, rich content, files and custom
// events. All go through engine.append, the hot path, like sendMessage.
#include "api/conversation_io.hpp"
#include "dialog/rules.hpp"
#include "json_writer.hpp"

namespace parley::methods {

asio::awaitable<Reply> send_private_message(Context& ctx, const params::SendPrivateMessage& p) {
  AppendRequest req = rules::send_private_message(ctx.who, p);
  co_return co_await append_reply(ctx, p.conversation_id, std::move(req));
}

asio::awaitable<Reply> send_rich_content(Context& ctx, const params::SendRichContent& p) {
  AppendRequest req = rules::send_rich_content(ctx.who, p);
  co_return co_await append_reply(ctx, p.conversation_id, std::move(req));
}

asio::awaitable<Reply> send_file(Context& ctx, const params::SendFile& p) {
  AppendRequest req = rules::send_file(ctx.who, p);
  co_return co_await append_reply(ctx, p.conversation_id, std::move(req));
}

// sendEvent answers {seq} (docs/protocol.md, "Content, notes, CSAT, TTR").
asio::awaitable<Reply> send_event(Context& ctx, const params::SendEvent& p) {
  AppendRequest req = rules::send_event(ctx.who, p);
  auto commit = co_await ctx.node.engine.append(ctx.key(p.conversation_id), std::move(req));
  if (!commit.ok()) co_return commit.error();
  JsonWriter w;
  w.begin_object().field("seq", commit->seq).end_object();
  co_return w.take();
}

}  // namespace parley::methods
