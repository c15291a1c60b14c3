// What most handlers do with one conversation: load it for a caller that
// may read it, commit a rule's decision on it, append an event and answer,
// and write the record as the caller sees it.
#pragma once

#include <functional>
#include <string>

#include "api/context.hpp"
#include "engine.hpp"

namespace parley {

// The result JSON of a method, or its error.
using Reply = Result<std::string>;

// Loads a conversation the caller may read (404 / 403 otherwise).
asio::awaitable<Result<Conversation>> readable(Context& ctx, const std::string& id);

// Commits the decision of a rule on the conversation `id`, and arms its
// automatic lock when the commit left it CLOSE. (Every caller builds its
// Rule in a statement of its own: GCC 12 mishandles temporaries inside a
// co_await expression.)
using Rule = std::function<Result<Decision>(const Conversation&)>;
asio::awaitable<Result<Commit>> commit_rule(Context& ctx, const std::string& id, Rule rule);
// commit_rule, answered with the Conversation as the caller sees it after
// the commit (what the workflow and routing methods answer).
asio::awaitable<Reply> rule_reply(Context& ctx, const std::string& id, Rule rule);

// Appends `req` to the conversation `id` and answers {seq, ts, epoch,
// duplicate}.
asio::awaitable<Reply> append_reply(Context& ctx, const std::string& id, AppendRequest req);

// The Conversation object as `who` sees it (`ttr`: the configured TTR seconds).
std::string conversation_json(const Conversation& c, const Identity& who, const TtrSeconds& ttr);

}  // namespace parley
