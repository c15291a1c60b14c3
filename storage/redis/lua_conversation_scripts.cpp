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
-- ARGV: 1 sender, 2 the call's head: five '1'/'0' flags (require OPEN, mark read,
--       visibility all, is a message, has an idempotency key), then now ms and the
--       role mask (0 = any) as fixed-width numbers, then the idempotency ttl s to the
--       end, 3 the lastMessage preview's token, 4 the event's type token, 5 channel,
--       6 conversation id, 7 the event's visibility, client message id and body
--       tokens, 8 the tenant's change channel, 9 (optional) the tenant, when the
--       webhooks outbox gets the event
-- (Few arguments, because each one costs Redis more than slicing the head does.)
-- The script fills in what only it knows: seq and the counters, the dialog in
-- progress (meta `dialog`) and the sender's seat (its member entry's role).
-- It reads and writes fixed-width strings by offset, never by pattern: meta
-- `hot` (redis_record_codec.hpp) and the member entry (redis_codec.hpp).
local m = redis.call('HMGET', KEYS[1], 'hot', 'dialog', 'status', 'lm')
local h = m[1]
if not h then
  if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('LAYOUT conversation stored in an older Parley layout: see docs/storage.md') end
  return {'404'}
end
local head = ARGV[2]
local open, mark, public, message, idem = string.byte(head, 1, 5)  -- 49 = '1'
local epoch = string.sub(h, 222)
-- A retry of a message that went through gets its first answer, even if the
-- conversation has closed since. An entry from an older epoch (the id was
-- reused after the log was lost) is not a duplicate.
if idem == 49 then
  local v = redis.call('GET', KEYS[4])
  if v then
    local seq, ts, ep = string.match(v, '^(%d+):(%-?%d+):(.*)$')
    if ep == epoch then return {'dup', seq, ts, h, m[3], m[4]} end
  end
end
-- The preconditions of check_append(): the state, an ACTIVE ('2') member,
-- its role bit. Any refusal returns what check_append() needs (the state and
-- the sender's entry); C++ turns it into the same Error, in its order.
local state = string.sub(h, 221, 221)
local member = redis.call('HGET', KEYS[2], ARGV[1])
if (open == 49 and state ~= 'O') or not member or string.byte(member, 2) ~= 50 then
  return {'pre', state, member or false}
end
local role = string.byte(member, 1) - 48
local mask = tonumber(string.sub(head, 26, 45))
if mask ~= 0 and bit.band(mask, bit.lshift(1, role)) == 0 then
  return {'pre', state, member}
end

-- Numbers become strings with string.format('%d'): Lua's own number to
-- string conversion (a concatenation, `#s .. ':'`) goes through printf's
-- floating-point path, several times dearer.
local function num(i) return tonumber(string.sub(h, i * 20 - 19, i * 20)) end
local ROLES = {'8:CONSUMER', '14:ASSIGNED_AGENT', '5:AGENT', '7:MANAGER', '6:READER', '3:BOT'}
local seq = num(2) + 1
local prev_public = num(3)
local ma, mp = num(4), num(5)
local ts = math.max(tonumber(string.sub(head, 6, 25)), num(6))  -- ts never decreases along the log
local pub, msg = public == 49, message == 49
if msg then
  ma = ma + 1
  if pub then mp = mp + 1 end
end
local dialog = m[2] or 'MAIN'
local role_tok = ROLES[role + 1] or '6:SYSTEM'
local a, b, c, d, e = string.format('%d', seq), string.format('%d', prev_public),
  string.format('%d', ts), string.format('%d', ma), string.format('%d', mp)
-- (string.format's %s only for digits: below 100 bytes it copies with C's
-- sprintf, which stops at a zero byte; text is joined with `..`.)
local sender = ARGV[1]
local sender_tok = string.format('%d:', #sender) .. sender
local enc = string.format('%d:%s%d:%s%d:%s%d:%s%d:%s', #a, a, #b, b, #c, c, #d, d, #e, e) ..
  ARGV[4] .. string.format('%d:', #dialog) .. dialog .. sender_tok .. role_tok .. ARGV[7]
-- The only write that could fail comes first.
redis.call('XADD', KEYS[3], '0-' .. a, 'e', enc)
-- `hot` rewritten: version, last_seq, last_public_seq, the counters and
-- updated_at always; lastMessage's at/seq/ts on a public message; the
-- consumer's last message (TTR counts from it, apply_appended's rule) on a
-- consumer seat's message; created_at, state and epoch as they were.
local lm = m[4]
local last = string.sub(h, 121, 180)
if pub and msg then
  last = string.format('%020d%020d%020d', ts, seq, ts)
  lm = sender_tok .. ARGV[3]
end
local lcm = string.sub(h, 181, 200)
if msg and role == 0 then lcm = string.format('%020d', ts) end
local hot = string.format('%020d%020d%020d%020d%020d%020d', num(1) + 1, seq,
  pub and seq or prev_public, ma, mp, ts) .. last .. lcm .. string.sub(h, 201)
if pub and msg then
  redis.call('HSET', KEYS[1], 'hot', hot, 'lm', lm)
else
  redis.call('HSET', KEYS[1], 'hot', hot)
end
-- The sender's read horizon moves to its own message: its last read seq
-- becomes this seq and its read counters the conversation's (bytes 3..62).
if mark == 49 then
  redis.call('HSET', KEYS[2], ARGV[1], string.sub(member, 1, 2) ..
    string.format('%020d%020d%020d', seq, ma, mp) .. string.sub(member, 63))
end
if idem == 49 then
  redis.call('SET', KEYS[4], a .. ':' .. c .. ':' .. epoch, 'EX', string.sub(head, 46))
end
if KEYS[5] then redis.call('ZADD', KEYS[5], 'GT', c, ARGV[6]) end
redis.call('PUBLISH', ARGV[5], string.format('1:E%d:', #epoch) .. epoch ..
  string.format('%d:', #enc) .. enc)
-- Contract 14: the tenant's change channel ("0" + the conversation's channel).
-- Always a classic PUBLISH, also in cluster mode, where the engine turns the
-- conversation channel's `PUBLISH', ARGV[` into SPUBLISH (redis_engine_cluster.cpp).
local changes = ARGV[8]
redis.call('PUBLISH', changes, '0' .. ARGV[5])
-- >>> webhooks outbox (broker/hooks/, docs/webhooks.md): ARGV[9], given only when the
-- tenant has a webhook for this event, is the tenant; the entry names the event, which
-- the delivery reads from the log.
if ARGV[9] then
  redis.call('XADD', 'pl:hooks:outbox', '*', 't', ARGV[9], 'c', ARGV[6], 's', a)
end
-- <<< webhooks outbox
return {'ok', prev_public, hot, m[3], lm, role_tok, dialog}
)LUA";

const std::string_view kCommit = R"LUA(#!lua
-- KEYS: 1 meta, 2 members, 3 log, 4 overrides, 5 tenant's updated-at set (only when it
--       lives on this shard)
-- ARGV: 1 expected version (fixed-width, as in meta `hot`), 2 erase '1'/'0', 3 channel, 4 pub/sub message ('' = none),
--       5 conversation id, 6 updated_at, 7 target seq ('0' = none), 8 target's new
--       encoding, 9 meta values count, 10 member values count, 11 removed members count,
--       then meta field/value pairs, member user/encoding pairs, removed users, and
--       event seq/encoding pairs, then (optional) the tenant for the webhooks outbox
local h = redis.call('HGET', KEYS[1], 'hot')
if not h then
  if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('LAYOUT conversation stored in an older Parley layout: see docs/storage.md') end
  return {'404'}
end
if string.sub(h, 1, 20) ~= ARGV[1] then return {'conflict'} end
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
local h = redis.call('HGET', KEYS[1], 'hot')
if not h then
  if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('LAYOUT conversation stored in an older Parley layout: see docs/storage.md') end
  return false
end
local m = {string.sub(h, 222)}  -- the epoch (meta `hot`: redis_record_codec.hpp)
local last = tonumber(string.sub(h, 21, 40))
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
