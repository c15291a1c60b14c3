// The Lua scripts of the Redis engine. Each runs atomically inside Redis;
// redis_engine.hpp says which keys each one touches and why. Their sources
// are by family: lua_conversation_scripts.cpp, lua_tenant_scripts.cpp,
// lua_presence_scripts.cpp, lua_timer_scripts.cpp; lua_scripts.cpp is the
// table of them.
//
// Write scripts check everything before their first write and order their
// writes so that only the first one (an XADD) could fail: Redis does not
// roll a script back, so a script that stopped half-way would leave half a
// commit. They carry a `#!lua` shebang, which makes Redis 7 refuse them up
// front under maxmemory pressure (OOM) instead of failing mid-way; read
// scripts carry `flags=no-writes`.
#pragma once

#include <string_view>

namespace parley::redis {

enum class ScriptId : int {
  append,   // the hot path: idempotency, preconditions, seq, XADD, counters, PUBLISH
  commit,   // update(): compare-and-set on `version`, then write (or erase) and PUBLISH
  create,   // create(): the conversation's keys, first events, PUBLISH
  load,     // a whole record (+ one event) in one round trip
  read,     // a page of the log, overrides applied, filtered
  claim,    // tenant: reserve name / externalId / create key
  release,  // tenant: drop index entries that point at a conversation
  // Presence (redis_presence.cpp): one user's sockets, status and due entry.
  presence_touch,    // add/renew a socket, maybe set the status; report a change
  presence_leave,    // remove a socket; offline when it was the last live one
  presence_refresh,  // renew existing sockets only; name the missing ones
  presence_expire,   // the sweep's step: every socket expired -> offline
  // Timers (redis_timers.cpp): one queue and one due-time hash per shard.
  timer_set,    // set or move a timer
  timer_clear,  // remove a timer (if its due time is still the one given)
  timer_claim,  // hand out the due timers, each claimed for a lease
};
inline constexpr int kScriptCount = 14;

struct Script {
  std::string_view name;
  std::string_view source;
};

const Script& script(ScriptId id);

// The sources, by family (the table of script() is lua_scripts.cpp).
namespace lua {
// lua_conversation_scripts.cpp: one conversation's keys.
extern const std::string_view kAppend, kCommit, kCreate, kLoad, kRead;
// lua_tenant_scripts.cpp: a tenant's index keys.
extern const std::string_view kClaim, kRelease;
// lua_presence_scripts.cpp
extern const std::string_view kPresenceTouch, kPresenceLeave, kPresenceRefresh, kPresenceExpire;
// lua_timer_scripts.cpp
extern const std::string_view kTimerSet, kTimerClear, kTimerClaim;
}  // namespace lua

}  // namespace parley::redis
