// Quotas beyond the per-socket request rate (whose cost per method is the
// method table's, methods.hpp) (docs/protocol.md, "Limits"):
// conversations a consumer holds open, conversation creations per minute
// per user and per tenant. The decisions are pure (counts and times come
// in) and tested by tables; CreationQuota keeps this node's counters.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "error.hpp"
#include "limits.hpp"
#include "model.hpp"

namespace parley {

// What a quota decided. When refused: which quota, its limit, and (for a
// rate) how long until it admits again.
struct QuotaVerdict {
  bool admitted = true;
  std::string_view quota;  // "openConversations", "userCreationsPerMin", "tenantCreationsPerMin"
  uint64_t limit = 0;
  int64_t retry_after_ms = 0;  // 0: waiting alone does not help (close one first)
};

// The refusal: 429 {quota, limit, retryAfterMs?}.
Error quota_error(const QuotaVerdict& v);

// Events counted in fixed windows of `window_ms`, the first starting at
// the first event.
struct WindowCount {
  Millis start = 0;
  uint64_t count = 0;
};
// Takes one event from `w` at `now` when fewer than `limit` were counted in
// the current window (a new window starts once the old one is over);
// `limit` 0 admits everything. A refusal counts nothing.
QuotaVerdict take_window(WindowCount& w, uint64_t limit, Millis window_ms, Millis now,
                         std::string_view quota);

// Whether a caller of `role` holding `open` OPEN conversations (as their
// active CONSUMER) may create one more: consumers up to `limit` (0: no
// limit); other accounts are not limited.
QuotaVerdict open_conversations(AccountRole role, uint64_t open, uint64_t limit);

// This node's per-minute creation counters, per user and per tenant.
// Thread-safe. Bounded: past `max_keys` keys the expired windows are
// forgotten (and, if that is not enough, all of them: a reset errs on the
// side of admitting).
class CreationQuota {
 public:
  static constexpr Millis kWindowMs = 60'000;
  CreationQuota(uint64_t per_user, uint64_t per_tenant, size_t max_keys = 100'000)
      : per_user_(per_user), per_tenant_(per_tenant), max_keys_(max_keys) {}
  // Counts one creation by `who` at `now` when both quotas admit it.
  QuotaVerdict admit(const Identity& who, Millis now);

 private:
  // The window of `key`, made when absent (after trimming a full map).
  WindowCount& slot_locked(std::unordered_map<std::string, WindowCount>& m, const std::string& key,
                           Millis now);
  const uint64_t per_user_, per_tenant_;
  const size_t max_keys_;
  std::mutex mu_;
  std::unordered_map<std::string, WindowCount> users_, tenants_;
};

}  // namespace parley
