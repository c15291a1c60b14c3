// Tables for the quotas beyond the request rate (quota.hpp): the window
// counter, the open-conversation cap, the per-node creation counters and
// the error they answer.
#include <doctest/doctest.h>

#include "api/quota.hpp"

using namespace parley;

TEST_CASE("take_window: a fixed window of events, limit 0 unlimited") {
  struct Row {
    const char* what;
    WindowCount w;
    uint64_t limit;
    Millis now;
    bool admitted;
    uint64_t count_after;
    int64_t retry_after_ms;
  };
  const Row rows[] = {
      {"first event opens a window", {0, 0}, 2, 1000, true, 1, 0},
      {"under the limit", {1000, 1}, 2, 1500, true, 2, 0},
      {"at the limit: refused until the window ends", {1000, 2}, 2, 1500, false, 2, 59'500},
      {"at the limit, last millisecond", {1000, 2}, 2, 60'999, false, 2, 1},
      {"the window is over: a new one", {1000, 2}, 2, 61'000, true, 1, 0},
      {"a clock going back starts again", {5000, 2}, 2, 4000, true, 1, 0},
      {"limit 0 admits and counts nothing", {1000, 7}, 0, 1500, true, 7, 0},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    WindowCount w = r.w;
    QuotaVerdict v = take_window(w, r.limit, 60'000, r.now, "q");
    CHECK(v.admitted == r.admitted);
    CHECK(w.count == r.count_after);
    CHECK(v.retry_after_ms == r.retry_after_ms);
    if (!v.admitted) {
      CHECK(v.quota == "q");
      CHECK(v.limit == r.limit);
    }
  }
}

TEST_CASE("open_conversations: consumers up to the limit; other accounts unlimited") {
  struct Row {
    AccountRole role;
    uint64_t open, limit;
    bool admitted;
  };
  const Row rows[] = {
      {AccountRole::consumer, 0, 100, true},   {AccountRole::consumer, 99, 100, true},
      {AccountRole::consumer, 100, 100, false}, {AccountRole::consumer, 500, 0, true},
      {AccountRole::agent, 1000, 100, true},   {AccountRole::bot, 1000, 100, true},
      {AccountRole::admin, 1000, 100, true},
  };
  for (const auto& r : rows) {
    CAPTURE(to_string(r.role));
    CAPTURE(r.open);
    QuotaVerdict v = open_conversations(r.role, r.open, r.limit);
    CHECK(v.admitted == r.admitted);
    if (!v.admitted) {
      CHECK(v.quota == "openConversations");
      CHECK(v.retry_after_ms == 0);
    }
  }
}

TEST_CASE("CreationQuota: per user and per tenant; a refusal counts nothing") {
  auto who = [](std::string user, std::string tenant) {
    Identity i;
    i.user_id = std::move(user);
    i.tenant = std::move(tenant);
    return i;
  };
  CreationQuota q(2, 3);
  CHECK(q.admit(who("ann", "t1"), 0).admitted);
  CHECK(q.admit(who("ann", "t1"), 1).admitted);
  QuotaVerdict user = q.admit(who("ann", "t1"), 2);
  CHECK_FALSE(user.admitted);
  CHECK(user.quota == "userCreationsPerMin");
  // The same user id in another tenant is another user.
  CHECK(q.admit(who("ann", "t2"), 3).admitted);
  // ann's refusal did not use the tenant's third creation.
  CHECK(q.admit(who("bob", "t1"), 4).admitted);
  QuotaVerdict tenant = q.admit(who("carl", "t1"), 5);
  CHECK_FALSE(tenant.admitted);
  CHECK(tenant.quota == "tenantCreationsPerMin");
  CHECK(tenant.limit == 3);
  CHECK(tenant.retry_after_ms == 60'000 - 5);
  // A minute later both windows are new.
  CHECK(q.admit(who("ann", "t1"), 60'000).admitted);
  CHECK(q.admit(who("carl", "t1"), 60'001).admitted);
}

TEST_CASE("CreationQuota: bounded keys; expired windows are forgotten first") {
  CreationQuota q(1, 0, 2);
  auto who = [](std::string user) {
    Identity i;
    i.user_id = std::move(user);
    return i;
  };
  CHECK(q.admit(who("a"), 0).admitted);
  CHECK(q.admit(who("b"), 70'000).admitted);
  // Two keys held: "a"'s window is over and goes; "b"'s stays counted.
  CHECK(q.admit(who("c"), 70'001).admitted);
  CHECK_FALSE(q.admit(who("b"), 70'002).admitted);
}

TEST_CASE("quota_error: 429 with the quota, its limit and, for a rate, retryAfterMs") {
  Error rate = quota_error({false, "userCreationsPerMin", 20, 1500});
  CHECK(rate.code == 429);
  CHECK(rate.data == R"({"quota":"userCreationsPerMin","limit":20,"retryAfterMs":1500})");
  Error cap = quota_error({false, "openConversations", 100, 0});
  CHECK(cap.code == 429);
  CHECK(cap.data == R"({"quota":"openConversations","limit":100})");
}
