// The presence scripts (lua_scripts.hpp; redis_presence.cpp). Every one
// takes KEYS 1 the user's sockets (zset socket id -> expires_at ms), 2 its
// presence hash (status, last_seen), 3 the shard's due index (zset user ->
// the latest expiry of its sockets). Each runs whole, so of several nodes
// racing on one user exactly one sees a given change and reports it
// (presence_store.hpp, contract 11c).
#include "lua_scripts.hpp"

namespace parley::redis::lua {

const std::string_view kPresenceTouch = R"LUA(#!lua
-- ARGV: 1 now ms, 2 expires_at ms, 3 socket id, 4 status ('' = keep), 5 due member,
--       6 presence hash ttl s
-- Returns {1, status} when the user's status changed, else {0, status}.
local now = ARGV[1]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local first = redis.call('ZCARD', KEYS[1]) == 0
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
local before = redis.call('HGET', KEYS[2], 'status') or 'offline'
local after = before
if ARGV[4] ~= '' then
  after = ARGV[4]
elseif first or before == 'offline' then
  after = 'online'  -- the first live socket: whatever an expired one left behind
end
redis.call('HSET', KEYS[2], 'status', after, 'last_seen', now)
redis.call('EXPIRE', KEYS[2], ARGV[6])
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'REV', 'WITHSCORES')
redis.call('ZADD', KEYS[3], top[2], ARGV[5])
if after == before then return {0, after} end
return {1, after}
)LUA";

const std::string_view kPresenceLeave = R"LUA(#!lua
-- ARGV: 1 now ms, 2 socket id, 3 due member, 4 presence hash ttl s
-- Returns 1 when the user went offline, else 0.
local now = ARGV[1]
local removed = redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if removed == 1 then
  redis.call('HSET', KEYS[2], 'last_seen', now)
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
if redis.call('ZCARD', KEYS[1]) > 0 then
  local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'REV', 'WITHSCORES')
  redis.call('ZADD', KEYS[3], top[2], ARGV[3])
  return 0
end
redis.call('ZREM', KEYS[3], ARGV[3])
local before = redis.call('HGET', KEYS[2], 'status')
if not before or before == 'offline' then return 0 end
redis.call('HSET', KEYS[2], 'status', 'offline', 'last_seen', now)
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
)LUA";

const std::string_view kPresenceRefresh = R"LUA(#!lua
-- ARGV: 1 now ms, 2 expires_at ms, 3 due member, 4 presence hash ttl s, 5.. socket ids
-- Renews the sockets that exist (never shortening one), never adds one.
-- Returns the 1-based positions (among the socket ids) of those not found.
local missing, found = {}, false
for i = 5, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[i])
    found = true
  else
    missing[#missing + 1] = i - 4
  end
end
if found then
  local seen = tonumber(redis.call('HGET', KEYS[2], 'last_seen') or '0')
  if tonumber(ARGV[1]) > seen then redis.call('HSET', KEYS[2], 'last_seen', ARGV[1]) end
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'REV', 'WITHSCORES')
  redis.call('ZADD', KEYS[3], top[2], ARGV[3])
end
return missing
)LUA";

const std::string_view kPresenceExpire = R"LUA(#!lua
-- ARGV: 1 now ms, 2 due member, 3 presence hash ttl s
-- Returns {1, last_seen} when this call took the user offline, else {0}.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) > 0 then
  local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'REV', 'WITHSCORES')
  redis.call('ZADD', KEYS[3], top[2], ARGV[2])
  return {0}
end
redis.call('ZREM', KEYS[3], ARGV[2])
local st = redis.call('HMGET', KEYS[2], 'status', 'last_seen')
if not st[1] or st[1] == 'offline' then return {0} end
-- last_seen stays the last refresh: the last time a node vouched for it.
redis.call('HSET', KEYS[2], 'status', 'offline')
redis.call('EXPIRE', KEYS[2], ARGV[3])
return {1, st[2] or '0'}
)LUA";

}  // namespace parley::redis::lua
