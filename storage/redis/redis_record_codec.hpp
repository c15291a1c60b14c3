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

// The meta hash of a record: engine-owned fields one by one (the hot path
// patches them), everything else as JSON under `rec`.
using FieldList = std::vector<std::pair<std::string, std::string>>;
FieldList encode_meta(const Conversation& c);
// The JSON under `rec`.
std::string encode_rec(const Conversation& c);
bool decode_rec(std::string_view json, Conversation& c);

// The fields append() reads back for its lean record, in this order.
extern const std::vector<std::string> kLeanFields;
// Fills the engine-owned fields from HMGET kLeanFields values.
bool decode_lean(const RedisReply& values, Conversation& c);
// A whole record from HGETALL meta and HGETALL members. `creq` receives the
// create() idempotency key that made it ("" for none).
bool decode_record(const RedisReply& meta, const RedisReply& members, Conversation& c,
                   std::string* creq = nullptr);

}  // namespace parley::redis
