// The Redis engine's users registry (user_store.hpp, contract 12).
//
// KEYS, per tenant under its hash tag {t:TENANT}, on the tenant's shard (the
// one the ring gives for "t:TENANT", beside the tenant's conversation
// indexes; TENANT and USER percent-escaped):
//   pl:{t:T}:user:U      hash  name, dn (displayName), img (imageUrl), role
//                              (account role name), created, updated; dn and
//                              img absent = null
//   pl:{t:T}:users       zset  every user id, score 0 (ZRANGE BYLEX: id order)
//   pl:{t:T}:users:ROLE  zset  the ids of one account role, score 0, so that a
//                              listing by role reads only that role's users
//
// A put is one script (it reads the stored fields, writes only what
// changed and moves the id between role indexes), so it is atomic per user
// and two puts never lose each other's fields (12a). It is sent with EVAL,
// not EVALSHA: puts are rare (the broker registers a user once per node and
// a while), and the script stays beside the keys it describes.
#include <algorithm>
#include <array>
#include <deque>

#include "redis_engine.hpp"
#include "redis_engine_support.hpp"
#include "tuning.hpp"

namespace parley::redis {

namespace {


constexpr std::array<AccountRole, 5> kRoles = {AccountRole::consumer, AccountRole::agent,
                                               AccountRole::manager, AccountRole::bot,
                                               AccountRole::admin};

constexpr std::string_view kPutScript = R"LUA(#!lua
-- KEYS: 1 user hash, 2 every user id, 3..7 the role indexes (consumer, agent,
--       manager, bot, admin)
-- ARGV: 1 user id, 2 now, 3 role ('' = keep), 4 '1' = set the name, 5 name,
--       6 displayName op ('' keep, 's' set, 'd' clear), 7 displayName,
--       8 imageUrl op, 9 imageUrl
-- Returns the stored name, dn, img, role, created, updated.
local INDEX = {consumer = 3, agent = 4, manager = 5, bot = 6, admin = 7}
local cur = redis.call('HMGET', KEYS[1], 'name', 'dn', 'img', 'role', 'created')
local fresh = not cur[5]
local f, del, changed = {}, {}, fresh
if fresh then
  f = {'created', ARGV[2]}
  if ARGV[4] ~= '1' then f[#f + 1] = 'name'; f[#f + 1] = '' end
end
local old_role = cur[4] or ''
local role = old_role
if role == '' then role = 'consumer' end
if ARGV[3] ~= '' then role = ARGV[3] end
if role ~= old_role then f[#f + 1] = 'role'; f[#f + 1] = role; changed = true end
if ARGV[4] == '1' and (fresh or cur[1] ~= ARGV[5]) then
  f[#f + 1] = 'name'; f[#f + 1] = ARGV[5]; changed = true
end
local function optional(op, field, value, stored)
  if op == 's' and stored ~= value then
    f[#f + 1] = field; f[#f + 1] = value; changed = true
  elseif op == 'd' and stored then
    del[#del + 1] = field; changed = true
  end
end
optional(ARGV[6], 'dn', ARGV[7], cur[2])
optional(ARGV[8], 'img', ARGV[9], cur[3])
if changed then
  f[#f + 1] = 'updated'; f[#f + 1] = ARGV[2]
  redis.call('HSET', KEYS[1], unpack(f))
  if #del > 0 then redis.call('HDEL', KEYS[1], unpack(del)) end
  if role ~= old_role then
    if INDEX[old_role] then redis.call('ZREM', KEYS[INDEX[old_role]], ARGV[1]) end
    redis.call('ZADD', KEYS[INDEX[role]], 0, ARGV[1])
  end
  if fresh then redis.call('ZADD', KEYS[2], 0, ARGV[1]) end
end
return redis.call('HMGET', KEYS[1], 'name', 'dn', 'img', 'role', 'created', 'updated')
)LUA";

struct UserKeys {
  explicit UserKeys(std::string_view tenant) : tag("t:" + escape_component(tenant)) {}
  std::string tag;
  std::string key(std::string_view suffix) const { return "pl:{" + tag + "}:" + std::string(suffix); }
  std::string user(std::string_view id) const { return key("user:" + escape_component(id)); }
  std::string all() const { return key("users"); }
  std::string role(AccountRole r) const { return key("users:" + std::string(to_string(r))); }
};

std::vector<std::string> record_fields() {
  return strs("name", "dn", "img", "role", "created", "updated");
}

// A user from HMGET record_fields(); nullopt when it does not exist (or the
// reply is not one we wrote).
std::optional<User> decode_user(const std::string& tenant, const std::string& id,
                                const RedisReply& r) {
  if (!r.is_array() || r.size() != 6 || r[4].is_nil()) return std::nullopt;
  User u;
  u.tenant = tenant;
  u.user_id = id;
  u.name = r[0].str();
  if (!r[1].is_nil()) u.display_name = r[1].str();
  if (!r[2].is_nil()) u.image_url = r[2].str();
  auto role = account_role_from(r[3].str());
  auto created = r[4].as_int();
  if (!role || !created) return std::nullopt;
  u.role = *role;
  u.created_at = *created;
  u.updated_at = r[5].as_int().value_or(*created);
  return u;
}

void optional_op(std::vector<std::string>& args,
                 const std::optional<std::optional<std::string>>& v) {
  if (!v) {
    args.emplace_back();
    args.emplace_back();
  } else if (!*v) {
    args.emplace_back("d");
    args.emplace_back();
  } else {
    args.emplace_back("s");
    args.push_back(**v);
  }
}

// One sorted index a listing walks, read kRedisUserBatch ids at a time.
struct Source {
  std::string key;
  std::deque<std::string> buffer;
  std::string from;  // exclusive lower bound of the next read ("" = the start)
  bool started = false;
  bool exhausted = false;
};

}  // namespace

asio::awaitable<Result<User>> RedisEngine::user_put(UserPut put) {
  UserKeys k(put.tenant);
  std::vector<std::string> cmd = strs("EVAL", kPutScript, "7", k.user(put.user_id), k.all());
  for (AccountRole r : kRoles) cmd.push_back(k.role(r));
  cmd.push_back(put.user_id);
  cmd.push_back(std::to_string(put.now));
  cmd.emplace_back(put.role ? std::string(to_string(*put.role)) : std::string());
  cmd.emplace_back(put.name ? "1" : "0");
  cmd.push_back(put.name.value_or(""));
  optional_op(cmd, put.display_name);
  optional_op(cmd, put.image_url);
  Shard& s = shard_of_tag(k.tag);
  auto r = co_await routed(s, std::move(cmd), true);  // + WAIT when asked
  if (!r) co_return std::move(r).error();
  if (r->is_error()) co_return unavailable("redis " + s.address.id() + " user put: " + r->str());
  auto u = decode_user(put.tenant, put.user_id, *r);
  if (!u) co_return unavailable("redis: malformed user put reply");
  co_return std::move(*u);
}

asio::awaitable<Result<User>> RedisEngine::user_get(std::string tenant, std::string user_id) {
  UserKeys k(tenant);
  std::vector<std::string> cmd = strs("HMGET", k.user(user_id));
  for (auto& f : record_fields()) cmd.push_back(std::move(f));
  auto r = co_await routed(shard_of_tag(k.tag), std::move(cmd));
  if (!r) co_return std::move(r).error();
  if (r->is_error()) co_return unavailable("redis: " + r->str());
  auto u = decode_user(tenant, user_id, *r);
  if (!u) co_return not_found("no such user");
  co_return std::move(*u);
}

asio::awaitable<Result<UserPage>> RedisEngine::user_list(std::string tenant,
                                                         UserListRequest req) {
  UserKeys k(tenant);
  Shard& s = shard_of_tag(k.tag);
  const std::vector<AccountRole> roles = distinct_roles(req);
  std::vector<std::string> keys;
  if (roles.empty()) keys.push_back(k.all());
  for (AccountRole r : roles) keys.push_back(k.role(r));
  std::vector<Source> sources(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    sources[i].key = keys[i];
    sources[i].from = req.after.value_or("");
    sources[i].started = req.after.has_value();
  }

  UserPage page;
  UserPager pager(req, page);
  for (;;) {
    // The next ids in order: a merge of the sources, each refilled when empty.
    std::vector<std::string> ids;
    while (ids.size() < kRedisUserBatch) {
      for (auto& src : sources) {
        if (!src.buffer.empty() || src.exhausted) continue;
        const std::string lo = src.started ? "(" + src.from : std::string("-");
        std::vector<std::string> cmd = strs("ZRANGE", src.key, lo, "+", "BYLEX", "LIMIT", "0",
                                            std::to_string(kRedisUserBatch));
        auto r = co_await routed(s, std::move(cmd));
        if (!r) co_return std::move(r).error();
        if (r->is_error()) co_return unavailable("redis: " + r->str());
        for (const auto& e : r->elements()) src.buffer.push_back(e.str());
        if (r->size() < kRedisUserBatch) src.exhausted = true;
        if (!src.buffer.empty()) {
          src.from = src.buffer.back();
          src.started = true;
        }
      }
      Source* best = nullptr;
      for (auto& src : sources)
        if (!src.buffer.empty() && (!best || src.buffer.front() < best->buffer.front()))
          best = &src;
      if (!best) break;
      std::string id = std::move(best->buffer.front());
      best->buffer.pop_front();
      // A user whose role moved between two listed roles may show in both.
      if (!ids.empty() && ids.back() == id) continue;
      ids.push_back(std::move(id));
    }
    if (ids.empty()) break;

    std::vector<std::vector<std::string>> cmds;
    cmds.reserve(ids.size());
    for (const auto& id : ids) {
      std::vector<std::string> cmd = strs("HMGET", k.user(id));
      for (auto& f : record_fields()) cmd.push_back(std::move(f));
      cmds.push_back(std::move(cmd));
    }
    auto replies = co_await routed_pipeline(s, std::move(cmds));
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!replies[i]) co_return std::move(replies[i]).error();
      if (replies[i]->is_error()) co_return unavailable("redis: " + replies[i]->str());
      if (pager.passed(ids[i])) continue;
      auto u = decode_user(tenant, ids[i], *replies[i]);
      const auto verdict = pager.judge(ids[i], u ? &*u : nullptr);
      if (verdict == UserPager::Verdict::done) co_return page;
      if (verdict == UserPager::Verdict::take) page.data.push_back(std::move(*u));
    }
  }
  co_return page;
}

}  // namespace parley::redis
