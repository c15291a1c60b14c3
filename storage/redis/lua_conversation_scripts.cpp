// The Lua scripts of one conversation's keys (lua_scripts.hpp): the
// commits (append, commit, create) and the reads (load, read).
#include "lua_scripts.hpp"

#include "model.hpp"

namespace parley::redis::lua {

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

const std::string_view kAppend = R"LUA(#!lua
-- KEYS: 1 meta, 2 members, 3 log, 4 idempotency key (= meta when none), 5 tenant's
--       updated-at set (only when it lives on this shard)
-- ARGV: 1 sender, 2 now ms, 3 require OPEN '1'/'0', 4 role mask (0 = any), 5 mark read
--       '1'/'0', 6 visibility, 7 is a message '1'/'0', 8 preview text, 9 the event's
--       type token, 10 idempotency ttl s, 11 channel, 12 conversation id, 13 has
--       idempotency key, 14 the event's visibility, client message id and body tokens,
--       15 (optional) the tenant, when the webhooks outbox gets the event
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
-- The preconditions of check_append(): an ACTIVE (2) member, its role bit,
-- the state. Any refusal returns what check_append() needs (the state and
-- the sender's entry); C++ turns it into the same Error, in its order.
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
-- >>> webhooks outbox (broker/hooks/, docs/webhooks.md): ARGV[15], given only when the
-- tenant has a webhook for this event, is the tenant; the entry names the event, which
-- the delivery reads from the log.
if ARGV[15] then
  redis.call('XADD', 'pl:hooks:outbox', '*', 't', ARGV[15], 'c', ARGV[12], 's', int(seq))
end
-- <<< webhooks outbox
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

const std::string_view kCommit = R"LUA(#!lua
-- KEYS: 1 meta, 2 members, 3 log, 4 overrides, 5 tenant's updated-at set (only when it
--       lives on this shard)
-- ARGV: 1 expected version, 2 erase '1'/'0', 3 channel, 4 pub/sub message ('' = none),
--       5 conversation id, 6 updated_at, 7 target seq ('0' = none), 8 target's new
--       encoding, 9 meta values count, 10 member values count, 11 removed members count,
--       then meta field/value pairs, member user/encoding pairs, removed users, and
--       event seq/encoding pairs, then (optional) the tenant for the webhooks outbox
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
-- >>> webhooks outbox (see kAppend): an odd argument after the event pairs is the tenant.
local outbox = (#ARGV - i) % 2 == 0 and ARGV[#ARGV] or nil
while i + 1 <= #ARGV do
  redis.call('XADD', KEYS[3], '0-' .. ARGV[i], 'e', ARGV[i + 1])
  if outbox then
    redis.call('XADD', 'pl:hooks:outbox', '*', 't', outbox, 'c', ARGV[5], 's', ARGV[i])
  end
  i = i + 2
end
-- <<< webhooks outbox
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

const std::string_view kCreate = R"LUA(#!lua
-- KEYS: 1 meta, 2 members, 3 log, 4 overrides, 5 tenant's updated-at set (only when it
--       lives on this shard)
-- ARGV: 1 channel, 2 pub/sub message ('' = none), 3 conversation id, 4 updated_at,
--       5 meta values count, 6 member values count, then meta pairs, member pairs,
--       and event seq/encoding pairs, then (optional) the tenant for the webhooks outbox
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
-- >>> webhooks outbox (see kAppend): an odd argument after the event pairs is the tenant.
local outbox = (#ARGV - i) % 2 == 0 and ARGV[#ARGV] or nil
while i + 1 <= #ARGV do
  redis.call('XADD', KEYS[3], '0-' .. ARGV[i], 'e', ARGV[i + 1])
  if outbox then
    redis.call('XADD', 'pl:hooks:outbox', '*', 't', outbox, 'c', ARGV[3], 's', ARGV[i])
  end
  i = i + 2
end
-- <<< webhooks outbox
redis.call('HSET', KEYS[1], unpack(meta))
if #members > 0 then redis.call('HSET', KEYS[2], unpack(members)) end
if KEYS[5] then redis.call('ZADD', KEYS[5], ARGV[4], ARGV[3]) end
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
-- Contract 14 (see the append script).
redis.call('PUBLISH', 'pl:{t:' .. string.match(ARGV[1], '^pl:{c:([^:]*):') .. '}:chg',
  '0' .. ARGV[1])
return {'ok'}
)LUA";

const std::string_view kLoad = R"LUA(#!lua flags=no-writes
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

const std::string_view kRead = R"LUA(#!lua flags=no-writes
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

}  // namespace parley::redis::lua
