// listConversations' paging, shared by the listings (listConversations,
// listUserConversations, searchConversations): the keyset cursor, the
// filter predicate, and one page of conversations.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "api/conversation_io.hpp"
#include "params.hpp"

namespace parley {

// The cursor "<updatedAt>:<id>" of the last row served.
std::string conversation_cursor(const Conversation& c);
std::optional<std::pair<Millis, std::string>> parse_conversation_cursor(std::string_view s);

// The list filter as a predicate over records (docs/protocol.md,
// listConversations); the rule itself is dialog/inbox's, shared with count,
// search and the inbox.
std::function<bool(const Conversation&)> list_filter(const params::ListFilter& f,
                                                     const Identity& who);

// listConversations' page (order, cursor, offset of `p`) of the
// conversations `match` accepts.
asio::awaitable<Reply> list_page(Context& ctx, const params::ListConversations& p,
                                 std::function<bool(const Conversation&)> match);

}  // namespace parley
