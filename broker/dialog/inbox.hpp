// Pure rules of the conversation listings (PROTOCOL.md §5): the filter of
// listConversations, countConversations, searchConversations and
// subscribeInbox; the words of a search; and what an inbox subscription
// pushes when a conversation changes. No I/O: tested by tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model.hpp"
#include "params.hpp"

namespace parley::rules {

// Whether `c` is listed for `who` under `f`. The read rules come first:
// consumers (and memberOf "me") see only conversations they are an active
// member of; the agent side sees the whole tenant.
bool matches_filter(const Conversation& c, const params::ListFilter& f, const Identity& who);

// ASCII letters lower-cased; every other byte (UTF-8 included) kept as is.
std::string fold_ascii(std::string_view s);
// The words of a search: `q` split on ASCII whitespace, folded, each once,
// in order of first appearance. Empty when `q` has no word.
std::vector<std::string> search_terms(std::string_view q);
// Drops from `terms` every word that occurs (folded) in `text`. True when no
// word is left: everything was found.
bool strike_terms(std::vector<std::string>& terms, std::string_view text);
// The "text" of a message body (serialized JSON object); "" when it has none.
std::string body_text(std::string_view body);

// What an inbox subscription pushes for a conversation it was told changed.
enum class InboxChange { none, upsert, remove };
struct InboxSeen {
  bool exists = false;   // false: erased (or no longer readable at all)
  bool matches = false;  // the subscription's filter and read rules
  uint64_t version = 0;  // the record's version as read
};
// `reported`: the version last pushed for it (nullopt: not reported). A read
// no newer than what was pushed changes nothing (a later notice brings the
// newer state); a match newer than it is an UPSERT; a reported conversation
// that is gone or no longer matches is a DELETE.
InboxChange inbox_change(std::optional<uint64_t> reported, const InboxSeen& seen);

}  // namespace parley::rules
