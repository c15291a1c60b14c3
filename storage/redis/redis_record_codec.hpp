// How the Redis engine writes a conversation's record as its meta hash, and
// reads it back with its members (member and event encodings:
// redis_codec.hpp). The append script patches the engine-owned fields of
// the meta hash in place (lua_conversation_scripts.cpp).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redis_codec.hpp"

namespace parley::redis {

// The meta hash of a record: `hot` (the counters an append moves), `status`,
// `lm` (lastMessage's sender and text), `dialog` (the dialog in progress),
// and everything else as JSON under `rec`.
using FieldList = std::vector<std::pair<std::string, std::string>>;
FieldList encode_meta(const Conversation& c);
// The JSON under `rec`.
std::string encode_rec(const Conversation& c);
bool decode_rec(std::string_view json, Conversation& c);

// The meta hash's `hot` field: what an append reads and rewrites, as one
// string the script slices at fixed offsets (append_fixed numbers): version,
// last_seq, last_public_seq, messages_all, messages_public, updated_at,
// last_message_at, last_message seq and ts, last_consumer_message_at,
// created_at; then the state's first letter (O, C, L) and the epoch to the
// end. The offsets are the append script's too (lua_conversation_scripts.cpp).
inline constexpr size_t kHotEpoch = 11 * kFixedWidth + 1;  // where the epoch starts
std::string encode_hot(const Conversation& c);
bool decode_hot(std::string_view hot, Conversation& c);
// The meta hash's `lm` field: the lastMessage's sender and text, a token list.
std::string encode_last_message(const Conversation& c);
// The engine-owned fields of a record from its `hot`, `status` and `lm`.
bool decode_lean(std::string_view hot, std::string_view status, std::string_view lm,
                 Conversation& c);
// Whether a meta hash (HGETALL) was written by the layout before `hot`
// (docs/storage.md: such data is refused, not read).
bool older_layout(const RedisReply& meta);
// What a script answers (as an error reply), and load() says, for such data.
inline constexpr std::string_view kOlderLayout =
    "LAYOUT conversation stored in an older Parley layout: see docs/storage.md";
// A whole record from HGETALL meta and HGETALL members. `creq` receives the
// create() idempotency key that made it ("" for none).
bool decode_record(const RedisReply& meta, const RedisReply& members, Conversation& c,
                   std::string* creq = nullptr);

}  // namespace parley::redis
