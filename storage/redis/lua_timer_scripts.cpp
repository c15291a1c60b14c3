// The timer scripts (lua_scripts.hpp; redis_timers.cpp). Every one takes
// KEYS 1 the shard's timer queue (zset member -> the time it may next be
// handed out: its due time, or the end of a claim's lease), 2 the shard's
// due times (hash member -> the due time timer_set gave it). Members are
// "KIND:T:ID" (redis_timers.cpp).
#include "lua_scripts.hpp"

namespace parley::redis::lua {

const std::string_view kTimerSet = R"LUA(#!lua
-- ARGV: 1 member, 2 due ms. Sets or moves the timer; a claim on it ends.
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
)LUA";

const std::string_view kTimerClear = R"LUA(#!lua
-- ARGV: 1 member, 2 the due time it must still have ('' = any).
-- Returns 1 when it removed the timer, else 0.
if ARGV[2] ~= '' and redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
)LUA";

const std::string_view kTimerClaim = R"LUA(#!lua
-- ARGV: 1 now ms, 2 limit, 3 lease end ms.
-- Claims up to `limit` timers that may be handed out by `now`, earliest
-- first, until the lease end. Returns {member, due, member, due, ...}.
local ready = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0,
                         tonumber(ARGV[2]))
local out = {}
for _, m in ipairs(ready) do
  local due = redis.call('HGET', KEYS[2], m)
  if due then
    redis.call('ZADD', KEYS[1], 'XX', ARGV[3], m)
    out[#out + 1] = m
    out[#out + 1] = due
  else
    redis.call('ZREM', KEYS[1], m)  -- no due time: not a timer any more
  end
end
return out
)LUA";

}  // namespace parley::redis::lua
