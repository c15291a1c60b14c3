// Key and channel names of the Redis engine (the layout is described at the
// top of redis_engine.hpp). Tenants, ids, users and client message ids are
// percent-escaped where they are spliced into a name, so that no value can
// forge a separator (':') or a hash-tag brace and collide with another key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine.hpp"

namespace parley::redis {

// Percent-encodes '%', ':', '{', '}', spaces and control bytes; the rest is
// kept, so UUIDs and plain names read as they are.
std::string escape_component(std::string_view s);
std::optional<std::string> unescape_component(std::string_view s);

// The keys of one conversation, all under its hash tag {c:TENANT:ID}.
struct ConvKeys {
  explicit ConvKeys(const ConvKey& key);
  std::string tag;      // "c:TENANT:ID": what the hash ring places
  std::string meta;     // pl:{c:T:ID}:meta     hash
  std::string members;  // pl:{c:T:ID}:members  hash user -> member encoding
  std::string log;      // pl:{c:T:ID}:log      stream, entry id 0-<seq>
  std::string ovr;      // pl:{c:T:ID}:ovr      hash seq -> rewritten event
  std::string channel;  // pl:{c:T:ID}:ch       pub/sub channel
  // pl:{c:T:ID}:idem:USER:CMID  string "seq:ts:epoch", expiring
  std::string idempotency(std::string_view user, std::string_view client_message_id) const;
};

// The tenant-wide keys, under the hash tag {t:TENANT}.
struct TenantKeys {
  explicit TenantKeys(std::string_view tenant);
  std::string tag;      // "t:TENANT"
  std::string names;    // hash name -> id
  std::string ext;      // hash externalId -> id
  std::string updated;  // sorted set id scored by updated_at
  std::string pending;  // hash id -> ms a create claimed its names (until it completes)
  std::string changes;  // pl:{t:T}:chg  pub/sub channel of contract 14 (every shard):
                        // "0"/"1" (erased) + the conversation's channel; the append
                        // script is given it, the other commit scripts derive it
                        // from the conversation's channel
  // pl:{t:T}:creq:KEY  string id, expiring: create() idempotency
  std::string create_key(std::string_view idempotency_key) const;
};

// The conversation a channel name belongs to, if it is one of ours.
std::optional<ConvKey> conv_of_channel(std::string_view channel);
// The tenant whose change channel (TenantKeys::changes) this is, if it is one.
std::optional<std::string> tenant_of_change_channel(std::string_view channel);

}  // namespace parley::redis
