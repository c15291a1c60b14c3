#include "lua_scripts.hpp"

#include "model.hpp"

namespace parley::redis {

namespace {

// The enum number the append script compares against.
static_assert(static_cast<int>(MemberState::active) == 2, "the append script tests state 2");
// The append script names the sender's seat from its number (ROLES).
static_assert(static_cast<int>(ParticipantRole::consumer) == 0 &&
                  static_cast<int>(ParticipantRole::assigned_agent) == 1 &&
                  static_cast<int>(ParticipantRole::agent) == 2 &&
                  static_cast<int>(ParticipantRole::manager) == 3 &&
                  static_cast<int>(ParticipantRole::reader) == 4 &&
                  static_cast<int>(ParticipantRole::bot) == 5,
              "the append script's ROLES table follows ParticipantRole");

constexpr std::string_view kAppend = R"LUA(#!lua
-- KEYS: 1 meta, 2 members, 3 log, 4 idempotency key (= meta when none), 5 tenant's
--       updated-at set (only when it lives on this shard)
-- ARGV: 1 sender, 2 now ms, 3 require OPEN '1'/'0', 4 role mask (0 = any), 5 mark read
--       '1'/'0', 6 visibility, 7 is a message '1'/'0', 8 preview text, 9 the event's
--       type token, 10 idempotency ttl s, 11 channel, 12 conversation id, 13 has
--       idempotency key, 14 the event's visibility, client message id and body tokens
-- The script fills in what only it knows: seq and the counters, the dialog in
-- progress (meta `dialog`) and the sender's seat (its member entry's role).
local function int(n) return string.format('%d', n) end
local function tok(s) return #s .. ':' .. s end
local ROLES = {'CONSUMER', 'ASSIGNED_AGENT', 'AGENT', 'MANAGER', 'READER', 'BOT'}
local LEAN = {'epoch', 'version', 'state', 'status', 'last_seq', 'last_public_seq',
  'messages_all', 'messages_public', 'updated_at', 'created_at', 'last_message_at',
  'lm_seq', 'lm_from', 'lm_text', 'lm_ts', 'lcm_at'}
-- The record's lean fields (returned, updated, at the end), then the dialog in progress.
local m = redis.call('HMGET', KEYS[1], unpack(LEAN))
if not m[1] then return {'404'} end
local dialog = redis.call('HGET', KEYS[1], 'dialog') or 'MAIN'
local epoch = m[1]
-- A retry of a message that went through gets its first answer, even if the
-- conversation has closed since. An entry from an older epoch (the id was
-- reused after the log was lost) is not a duplicate.
if ARGV[13] == '1' then
  local v = redis.call('GET', KEYS[4])
  if v then
    local seq, ts, ep = string.match(v, '^(%d+):(%-?%d+):(.*)$')
    if ep == epoch then return {'dup', seq, ts, m} end
  end
end
-- The preconditions of check_append(), in its order: state, then an ACTIVE
-- (2) member, then its role bit. C++ turns a refusal into the same Error.
local member = redis.call('HGET', KEYS[2], ARGV[1])
local refused = false
local role = nil
if ARGV[3] == '1' and m[3] ~= 'OPEN' then
  refused = true
elseif not member then
  refused = true
else
  local r, state = string.match(member, '^(%d+)|(%d+)|')
  role = tonumber(r)
  local mask = tonumber(ARGV[4])
  if tonumber(state) ~= 2 then
    refused = true
  elseif mask ~= 0 and bit.band(mask, bit.lshift(1, role)) == 0 then
    refused = true
  end
end
if refused then return {'pre', m[3], member or false} end

local role_name = ROLES[role + 1] or 'SYSTEM'
local seq = tonumber(m[5]) + 1
local prev_public = tonumber(m[6])
local ma, mp = tonumber(m[7]), tonumber(m[8])
local ts = math.max(tonumber(ARGV[2]), tonumber(m[9]))  -- ts never decreases along the log
local public = ARGV[6] == 'all'
local message = ARGV[7] == '1'
if message then
  ma = ma + 1
  if public then mp = mp + 1 end
end
local enc = tok(int(seq)) .. tok(int(prev_public)) .. tok(int(ts)) .. tok(int(ma)) ..
  tok(int(mp)) .. ARGV[9] .. tok(dialog) .. tok(ARGV[1]) .. tok(role_name) .. ARGV[14]
-- The only write that could fail comes first.
redis.call('XADD', KEYS[3], '0-' .. int(seq), 'e', enc)
local f = {'last_seq', int(seq), 'messages_all', int(ma), 'messages_public', int(mp),
  'updated_at', int(ts), 'version', int(tonumber(m[2]) + 1)}
if public then
  f[#f + 1] = 'last_public_seq'; f[#f + 1] = int(seq)
  if message then
    for _, v in ipairs({'lm_seq', int(seq), 'lm_from', ARGV[1], 'lm_text', ARGV[8], 'lm_ts',
      int(ts), 'last_message_at', int(ts)}) do f[#f + 1] = v end
  end
end
-- TTR counts from the consumer seat's last message (apply_appended's rule).
if message and role == 0 then f[#f + 1] = 'lcm_at'; f[#f + 1] = int(ts) end
redis.call('HSET', KEYS[1], unpack(f))
-- The sender's read horizon moves to its own message: its last read seq
-- becomes this seq and its read counters the conversation's (both only ever
-- grow, so no comparison is needed). Only those three fields are rewritten.
if ARGV[5] == '1' then
  local head, la, tail = string.match(member,
    '^(%d+|%d+|%-?%d+|%-?%d+|)%d+|(%d+)|%d+|%d+(|.*)$')
  if head then
    redis.call('HSET', KEYS[2], ARGV[1],
      head .. int(seq) .. '|' .. la .. '|' .. int(ma) .. '|' .. int(mp) .. tail)
  end
end
if ARGV[13] == '1' then
  redis.call('SET', KEYS[4], int(seq) .. ':' .. int(ts) .. ':' .. epoch, 'EX', ARGV[10])
end
if KEYS[5] then redis.call('ZADD', KEYS[5], 'GT', int(ts), ARGV[12]) end
redis.call('PUBLISH', ARGV[11], tok('E') .. tok(epoch) .. tok(enc))
-- Contract 14: the tenant's change channel, named from the conversation's
-- ("pl:{c:TENANT:ID}:ch" -> "pl:{t:TENANT}:chg", TENANT escaped alike).
redis.call('PUBLISH', 'pl:{t:' .. string.match(ARGV[11], '^pl:{c:([^:]*):') .. '}:chg',
  '0' .. ARGV[11])
-- The lean record after the append, from what was read and written (the
-- same values a second HMGET would return).
m[2] = int(tonumber(m[2]) + 1)
m[5] = int(seq); m[7] = int(ma); m[8] = int(mp); m[9] = int(ts)
if public then
  m[6] = int(seq)
  if message then
    m[11] = int(ts); m[12] = int(seq); m[13] = ARGV[1]; m[14] = ARGV[8]; m[15] = int(ts)
  end
end
if message and role == 0 then m[16] = int(ts) end
return {'ok', int(seq), int(ts), int(prev_public), int(ma), int(mp), m, role_name, dialog}
)LUA";

constexpr std::string_view kCommit = R"LUA(#!lua
-- KEYS: 1 meta, 2 members, 3 log, 4 overrides, 5 tenant's updated-at set (only when it
--       lives on this shard)
-- ARGV: 1 expected version, 2 erase '1'/'0', 3 channel, 4 pub/sub message ('' = none),
--       5 conversation id, 6 updated_at, 7 target seq ('0' = none), 8 target's new
--       encoding, 9 meta values count, 10 member values count, 11 removed members count,
--       then meta field/value pairs, member user/encoding pairs, removed users, and
--       event seq/encoding pairs
local v = redis.call('HGET', KEYS[1], 'version')
if not v then return {'404'} end
if v ~= ARGV[1] then return {'conflict'} end
local i = 12
local function take(n)
  local t = {}
  for j = 1, n do t[j] = ARGV[i]; i = i + 1 end
  return t
end
local meta = take(tonumber(ARGV[9]))
local members = take(tonumber(ARGV[10]))
local removed = take(tonumber(ARGV[11]))
while i <= #ARGV do
  redis.call('XADD', KEYS[3], '0-' .. ARGV[i], 'e', ARGV[i + 1])
  i = i + 2
end
-- A rewritten event (edit, redaction) moves to the overrides hash, and its
-- stream entry goes: the original content is erased, not hidden.
if ARGV[7] ~= '0' then
  redis.call('HSET', KEYS[4], ARGV[7], ARGV[8])
  redis.call('XDEL', KEYS[3], '0-' .. ARGV[7])
end
if #meta > 0 then redis.call('HSET', KEYS[1], unpack(meta)) end
if #members > 0 then redis.call('HSET', KEYS[2], unpack(members)) end
if #removed > 0 then redis.call('HDEL', KEYS[2], unpack(removed)) end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
-- Contract 14 (see the append script): '1' when erased.
redis.call('PUBLISH', 'pl:{t:' .. string.match(ARGV[3], '^pl:{c:([^:]*):') .. '}:chg',
  ARGV[2] .. ARGV[3])
if ARGV[2] == '1' then
  redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
elseif KEYS[5] then
  redis.call('ZADD', KEYS[5], 'GT', ARGV[6], ARGV[5])
end
return {'ok'}
)LUA";

constexpr std::string_view kCreate = R"LUA(#!lua
-- KEYS: 1 meta, 2 members, 3 log, 4 overrides, 5 tenant's updated-at set (only when it
--       lives on this shard)
-- ARGV: 1 channel, 2 pub/sub message ('' = none), 3 conversation id, 4 updated_at,
--       5 meta values count, 6 member values count, then meta pairs, member pairs,
--       and event seq/encoding pairs
if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
-- Leftovers of a conversation whose meta was lost belong to nobody.
redis.call('UNLINK', KEYS[2], KEYS[3], KEYS[4])
local i = 7
local function take(n)
  local t = {}
  for j = 1, n do t[j] = ARGV[i]; i = i + 1 end
  return t
end
local meta = take(tonumber(ARGV[5]))
local members = take(tonumber(ARGV[6]))
while i <= #ARGV do
  redis.call('XADD', KEYS[3], '0-' .. ARGV[i], 'e', ARGV[i + 1])
  i = i + 2
end
redis.call('HSET', KEYS[1], unpack(meta))
if #members > 0 then redis.call('HSET', KEYS[2], unpack(members)) end
if KEYS[5] then redis.call('ZADD', KEYS[5], ARGV[4], ARGV[3]) end
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
-- Contract 14 (see the append script).
redis.call('PUBLISH', 'pl:{t:' .. string.match(ARGV[1], '^pl:{c:([^:]*):') .. '}:chg',
  '0' .. ARGV[1])
return {'ok'}
)LUA";

constexpr std::string_view kLoad = R"LUA(#!lua flags=no-writes
-- KEYS: 1 meta, 2 members, 3 log, 4 overrides
-- ARGV: 1 target seq ('0' = none)
-- Returns nil when the conversation does not exist, else
-- {meta pairs, member pairs, target encoding or nil}.
local meta = redis.call('HGETALL', KEYS[1])
if #meta == 0 then return false end
local members = redis.call('HGETALL', KEYS[2])
local target = false
if ARGV[1] ~= '0' then
  target = redis.call('HGET', KEYS[4], ARGV[1])
  if not target then
    local r = redis.call('XRANGE', KEYS[3], '0-' .. ARGV[1], '0-' .. ARGV[1])
    if #r > 0 then target = r[1][2][2] end
  end
end
return {meta, members, target}
)LUA";

constexpr std::string_view kRead = R"LUA(#!lua flags=no-writes
-- KEYS: 1 meta, 2 log, 3 overrides
-- ARGV: 1 from seq, 2 to seq, 3 descending '1'/'0', 4 limit, 5 since ms, 6 until ms,
--       7 consumers only '1'/'0', 8 scan budget, 9... event types (none = all)
-- Returns nil when the conversation does not exist, else
-- {epoch, last_seq, has_more, resume_seq (0 = done), {encodings}}: a scan that
-- used up its budget stops and says where to resume, so no call holds Redis long.
local function int(n) return string.format('%d', n) end
local m = redis.call('HMGET', KEYS[1], 'epoch', 'last_seq')
if not m[1] then return false end
local last = tonumber(m[2])
local lo = math.max(tonumber(ARGV[1]), 1)
local hi = math.min(tonumber(ARGV[2]), last)
local desc = ARGV[3] == '1'
local limit = tonumber(ARGV[4])
local since, till = tonumber(ARGV[5]), tonumber(ARGV[6])
local consumers = ARGV[7] == '1'
local budget = tonumber(ARGV[8])
local types = nil
if #ARGV >= 9 then
  types = {}
  for i = 9, #ARGV do types[ARGV[i]] = true end
end
local has_ovr = redis.call('HLEN', KEYS[3]) > 0
local out, more, resume, scanned = {}, 0, 0, 0

-- ts, type and visibility of an event encoding (tokens 3, 6 and 10).
local function head(e)
  local pos, t = 1, {}
  for i = 1, 10 do
    local c = string.find(e, ':', pos, true)
    local n = tonumber(string.sub(e, pos, c - 1))
    t[i] = string.sub(e, c + 1, c + n)
    pos = c + n + 1
  end
  return tonumber(t[3]), t[6], t[10]
end
local function seq_of(entry) return tonumber(string.sub(entry[1], 3)) end
-- Offers one event; false = stop scanning.
local function offer(e)
  scanned = scanned + 1
  local ts, ty, vis = head(e)
  if desc then
    if ts < since then return false end
    if ts > till then return true end
  else
    if ts > till then return false end
    if ts < since then return true end
  end
  if consumers and vis ~= 'all' then return true end
  if types and not types[ty] then return true end
  if #out == limit then more = 1; return false end
  out[#out + 1] = e
  return true
end
-- A seq missing from the stream was rewritten: its event is in the overrides.
local function hole(seq)
  if not has_ovr then return true end
  local o = redis.call('HGET', KEYS[3], int(seq))
  if o then return offer(o) end
  return true
end

-- ts never decreases along the log: bisect to where the time window starts,
-- so `since` (ascending) or `until` (descending) costs a few lookups, not a scan.
if lo <= hi and not desc and since > 0 then
  local a, b = lo, hi + 1
  while a < b do
    local mid = math.floor((a + b) / 2)
    local r = redis.call('XRANGE', KEYS[2], '0-' .. int(mid), '0-' .. int(hi), 'COUNT', 1)
    if #r == 0 then b = mid
    elseif head(r[1][2][2]) < since then a = seq_of(r[1]) + 1
    else b = mid end
  end
  lo = a
end
if lo <= hi and desc and till < 9e18 then
  local a, b = lo - 1, hi
  while a < b do
    local mid = math.floor((a + b + 1) / 2)
    local r = redis.call('XREVRANGE', KEYS[2], '0-' .. int(mid), '0-' .. int(lo), 'COUNT', 1)
    if #r == 0 then a = mid
    elseif head(r[1][2][2]) > till then b = seq_of(r[1]) - 1
    else a = mid end
  end
  hi = b
end

local BATCH = 128
if not desc then
  local cur = lo
  while cur <= hi do
    if scanned >= budget then resume = cur; break end
    local batch = redis.call('XRANGE', KEYS[2], '0-' .. int(cur), '0-' .. int(hi), 'COUNT', BATCH)
    local go, expect = true, cur
    for _, entry in ipairs(batch) do
      local s = seq_of(entry)
      while go and expect < s do go = hole(expect); expect = expect + 1 end
      if not go then break end
      go = offer(entry[2][2])
      expect = s + 1
      if not go then break end
    end
    if not go then break end
    if #batch < BATCH then
      while go and has_ovr and expect <= hi do go = hole(expect); expect = expect + 1 end
      break
    end
    cur = expect
  end
else
  local cur = hi
  while cur >= lo do
    if scanned >= budget then resume = cur; break end
    local batch = redis.call('XREVRANGE', KEYS[2], '0-' .. int(cur), '0-' .. int(lo), 'COUNT', BATCH)
    local go, expect = true, cur
    for _, entry in ipairs(batch) do
      local s = seq_of(entry)
      while go and expect > s do go = hole(expect); expect = expect - 1 end
      if not go then break end
      go = offer(entry[2][2])
      expect = s - 1
      if not go then break end
    end
    if not go then break end
    if #batch < BATCH then
      while go and has_ovr and expect >= lo do go = hole(expect); expect = expect - 1 end
      break
    end
    cur = expect
  end
end
return {m[1], last, more, resume, out}
)LUA";

constexpr std::string_view kClaim = R"LUA(#!lua
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

constexpr std::string_view kRelease = R"LUA(#!lua
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

// ---- presence ---------------------------------------------------------------
// Every presence script takes KEYS 1 the user's sockets (zset socket id ->
// expires_at ms), 2 its presence hash (status, last_seen), 3 the shard's due
// index (zset user -> the latest expiry of its sockets). Each runs whole, so
// of several nodes racing on one user exactly one sees a given change and
// reports it (engine.hpp, contract 11c).

constexpr std::string_view kPresenceTouch = R"LUA(#!lua
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

constexpr std::string_view kPresenceLeave = R"LUA(#!lua
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

constexpr std::string_view kPresenceRefresh = R"LUA(#!lua
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

constexpr std::string_view kPresenceExpire = R"LUA(#!lua
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

// ---- timers -----------------------------------------------------------------
// Every timer script takes KEYS 1 the shard's timer queue (zset member ->
// the time it may next be handed out: its due time, or the end of a claim's
// lease), 2 the shard's due times (hash member -> the due time timer_set
// gave it). Members are "KIND:T:ID" (redis_timers.cpp).

constexpr std::string_view kTimerSet = R"LUA(#!lua
-- ARGV: 1 member, 2 due ms. Sets or moves the timer; a claim on it ends.
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
)LUA";

constexpr std::string_view kTimerClear = R"LUA(#!lua
-- ARGV: 1 member, 2 the due time it must still have ('' = any).
-- Returns 1 when it removed the timer, else 0.
if ARGV[2] ~= '' and redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
)LUA";

constexpr std::string_view kTimerClaim = R"LUA(#!lua
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

const Script kScripts[kScriptCount] = {
    {"append", kAppend},
    {"commit", kCommit},
    {"create", kCreate},
    {"load", kLoad},
    {"read", kRead},
    {"claim", kClaim},
    {"release", kRelease},
    {"presence_touch", kPresenceTouch},
    {"presence_leave", kPresenceLeave},
    {"presence_refresh", kPresenceRefresh},
    {"presence_expire", kPresenceExpire},
    {"timer_set", kTimerSet},
    {"timer_clear", kTimerClear},
    {"timer_claim", kTimerClaim},
};

}  // namespace

const Script& script(ScriptId id) { return kScripts[static_cast<int>(id)]; }

}  // namespace parley::redis
