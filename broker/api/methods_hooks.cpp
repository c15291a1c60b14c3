// The webhook admin methods (docs/webhooks.md): the dead letters of the
// caller's tenant, and a replay of one. Admin accounts only.
#include "api/methods.hpp"
#include "hooks/webhooks.hpp"
#include "json_writer.hpp"

namespace parley::methods {

asio::awaitable<Reply> list_webhook_dead_letters(Context& ctx,
                                                 const params::ListWebhookDeadLetters&) {
  if (ctx.who.role != AccountRole::admin)
    co_return forbidden("admin", "only an admin reads the webhook dead letters");
  std::vector<hooks::DeadLetter> letters;
  if (ctx.node.webhooks) letters = co_await ctx.node.webhooks->dead_letters(ctx.who.tenant);
  JsonWriter w;
  w.begin_object().key("data").begin_array();
  for (const auto& d : letters) w.raw(d.to_json());
  w.end_array().end_object();
  co_return w.take();
}

asio::awaitable<Reply> replay_webhook_dead_letter(Context& ctx,
                                                  const params::ReplayWebhookDeadLetter& p) {
  if (ctx.who.role != AccountRole::admin)
    co_return forbidden("admin", "only an admin replays webhook dead letters");
  bool done = false;
  if (ctx.node.webhooks) done = co_await ctx.node.webhooks->replay(ctx.who.tenant, p.id);
  if (!done) co_return not_found("no such dead letter");
  co_return std::string("{}");
}

}  // namespace parley::methods
