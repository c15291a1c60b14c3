// The Lua scripts of a tenant's index keys (lua_scripts.hpp): claim and
// release the names, externalIds and create keys that must stay unique.
#include "lua_scripts.hpp"

namespace parley::redis::lua {

const std::string_view kClaim = R"LUA(#!lua
-- KEYS: 1 names, 2 external ids, 3 pending creates, 4 create key (= names when none)
-- ARGV: 1 conversation id, 2 name ('' = none), 3 external id ('' = none), 4 has create
--       key '1'/'0', 5 now ms, 6 create key ttl s, 7 reclaim from id ('' = none: an id
--       whose entries may be taken over), 8 mark pending '1'/'0'
-- Returns {'ok', wrote name, wrote external id}, {'dup', id, pending ms or nil} or
-- {'taken', field, id, pending ms or nil}.
local id, reclaim = ARGV[1], ARGV[7]
if ARGV[4] == '1' then
  local prev = redis.call('GET', KEYS[4])
  if prev and prev ~= id and prev ~= reclaim then
    return {'dup', prev, redis.call('HGET', KEYS[3], prev)}
  end
end
local function holder(key, value)
  if value == '' then return nil end
  local h = redis.call('HGET', key, value)
  if h and h ~= id and h ~= reclaim then return h end
  return nil
end
local h = holder(KEYS[1], ARGV[2])
if h then return {'taken', 'name', h, redis.call('HGET', KEYS[3], h)} end
h = holder(KEYS[2], ARGV[3])
if h then return {'taken', 'externalId', h, redis.call('HGET', KEYS[3], h)} end
-- Report what this call newly wrote: an undo must not remove entries that
-- were this conversation's already.
local wrote_name, wrote_ext = '0', '0'
if reclaim ~= '' then redis.call('HDEL', KEYS[3], reclaim) end
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], ARGV[2]) ~= id then
  redis.call('HSET', KEYS[1], ARGV[2], id); wrote_name = '1'
end
if ARGV[3] ~= '' and redis.call('HGET', KEYS[2], ARGV[3]) ~= id then
  redis.call('HSET', KEYS[2], ARGV[3], id); wrote_ext = '1'
end
if ARGV[4] == '1' then redis.call('SET', KEYS[4], id, 'EX', ARGV[6]) end
if ARGV[8] == '1' then redis.call('HSET', KEYS[3], id, ARGV[5]) end
return {'ok', wrote_name, wrote_ext}
)LUA";

const std::string_view kRelease = R"LUA(#!lua
-- KEYS: 1 names, 2 external ids, 3 pending creates, 4 updated-at set, 5 create key
--       (= names when none)
-- ARGV: 1 conversation id, 2 name ('' = none), 3 external id ('' = none), 4 has create
--       key '1'/'0', 5 drop from listing '1'/'0'
-- Removes only entries that still point at this conversation.
local id = ARGV[1]
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], ARGV[2]) == id then
  redis.call('HDEL', KEYS[1], ARGV[2])
end
if ARGV[3] ~= '' and redis.call('HGET', KEYS[2], ARGV[3]) == id then
  redis.call('HDEL', KEYS[2], ARGV[3])
end
if ARGV[4] == '1' and redis.call('GET', KEYS[5]) == id then redis.call('DEL', KEYS[5]) end
redis.call('HDEL', KEYS[3], id)
if ARGV[5] == '1' then redis.call('ZREM', KEYS[4], id) end
return {'ok'}
)LUA";

}  // namespace parley::redis::lua
