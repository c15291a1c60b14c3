#include "api/quota.hpp"

#include "json_writer.hpp"

namespace parley {

Error quota_error(const QuotaVerdict& v) {
  JsonWriter w;
  w.begin_object().field("quota", v.quota).field("limit", v.limit);
  if (v.retry_after_ms > 0) w.field("retryAfterMs", v.retry_after_ms);
  w.end_object();
  std::string msg = "quota exceeded: ";
  msg.append(v.quota);
  return {code::rate_limited, std::move(msg), w.take()};
}

QuotaVerdict take_window(WindowCount& w, uint64_t limit, Millis window_ms, Millis now,
                         std::string_view quota) {
  if (limit == 0) return {};
  if (w.count == 0 || now >= w.start + window_ms || now < w.start) w = WindowCount{now, 0};
  if (w.count >= limit) return {false, quota, limit, std::max<Millis>(1, w.start + window_ms - now)};
  ++w.count;
  return {};
}

QuotaVerdict open_conversations(AccountRole role, uint64_t open, uint64_t limit) {
  if (role != AccountRole::consumer || limit == 0 || open < limit) return {};
  return {false, "openConversations", limit, 0};
}

WindowCount& CreationQuota::slot_locked(std::unordered_map<std::string, WindowCount>& m,
                                        const std::string& key, Millis now) {
  if (auto it = m.find(key); it != m.end()) return it->second;
  if (m.size() >= max_keys_) {
    std::erase_if(m, [&](const auto& kv) { return now >= kv.second.start + kWindowMs; });
    if (m.size() >= max_keys_) m.clear();
  }
  return m[key];
}


QuotaVerdict CreationQuota::admit(const Identity& who, Millis now) {
  std::lock_guard lock(mu_);
  // Both windows are checked before either counts: a refusal counts nothing.
  WindowCount& user = slot_locked(users_, who.tenant + '\n' + who.user_id, now);
  WindowCount& tenant = slot_locked(tenants_, who.tenant, now);
  WindowCount user_try = user, tenant_try = tenant;
  if (auto v = take_window(user_try, per_user_, kWindowMs, now, "userCreationsPerMin"); !v.admitted)
    return v;
  if (auto v = take_window(tenant_try, per_tenant_, kWindowMs, now, "tenantCreationsPerMin");
      !v.admitted)
    return v;
  user = user_try;
  tenant = tenant_try;
  return {};
}

}  // namespace parley
