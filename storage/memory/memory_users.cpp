// The memory engine's users registry (user_store.hpp, contract 12): one map of
// users per tenant plus an index of ids per role, under one mutex. Every
// call is one step under it, which makes a put atomic (12a).
#include "memory_engine.hpp"

namespace parley {

namespace {

// One sorted run of user ids a listing walks (the whole tenant, or a role).
struct Run {
  std::set<std::string>::const_iterator it, end;
};

}  // namespace

asio::awaitable<Result<User>> MemoryEngine::user_put(UserPut put) {
  std::lock_guard lk(users_mu_);
  UserDir& dir = users_[put.tenant];
  std::optional<User> cur;
  if (auto it = dir.by_id.find(put.user_id); it != dir.by_id.end()) cur = it->second;
  const std::optional<AccountRole> old_role =
      cur ? std::optional<AccountRole>(cur->role) : std::nullopt;
  if (!apply_user_put(cur, put)) co_return *cur;
  if (old_role != cur->role) {
    if (old_role) dir.by_role[*old_role].erase(put.user_id);
    dir.by_role[cur->role].insert(put.user_id);
  }
  dir.by_id[put.user_id] = *cur;
  co_return *cur;
}

asio::awaitable<Result<User>> MemoryEngine::user_get(std::string tenant, std::string user_id) {
  std::lock_guard lk(users_mu_);
  auto t = users_.find(tenant);
  if (t == users_.end()) co_return not_found("no such user");
  auto it = t->second.by_id.find(user_id);
  if (it == t->second.by_id.end()) co_return not_found("no such user");
  co_return it->second;
}

asio::awaitable<Result<UserPage>> MemoryEngine::user_list(std::string tenant,
                                                          UserListRequest req) {
  co_return user_list_now(tenant, req);
}

UserPage MemoryEngine::user_list_now(const std::string& tenant, const UserListRequest& req) const {
  std::lock_guard lk(users_mu_);
  UserPage page;
  auto t = users_.find(tenant);
  if (t == users_.end()) return page;
  const UserDir& dir = t->second;

  // The candidates in id order: every user, or a merge of the roles' runs,
  // so a role filter never walks the other roles' users (12c).
  std::vector<Run> runs;
  auto add_run = [&](const std::set<std::string>& ids) {
    Run r{req.after ? ids.upper_bound(*req.after) : ids.begin(), ids.end()};
    if (r.it != r.end) runs.push_back(r);
  };
  const std::vector<AccountRole> roles = distinct_roles(req);
  std::map<std::string, User>::const_iterator whole =
      req.after ? dir.by_id.upper_bound(*req.after) : dir.by_id.begin();
  auto next_candidate = [&]() -> const User* {
    if (roles.empty()) {
      if (whole == dir.by_id.end()) return nullptr;
      return &(whole++)->second;
    }
    auto best = runs.end();
    for (auto r = runs.begin(); r != runs.end(); ++r)
      if (r->it != r->end && (best == runs.end() || *r->it < *best->it)) best = r;
    if (best == runs.end()) return nullptr;
    // The role index and the users move together under the mutex.
    return &dir.by_id.at(*(best->it++));
  };
  for (AccountRole r : roles)
    if (auto it = dir.by_role.find(r); it != dir.by_role.end()) add_run(it->second);

  UserPager pager(req, page);
  while (const User* u = next_candidate()) {
    switch (pager.judge(u->user_id, u)) {
      case UserPager::Verdict::done: return page;
      case UserPager::Verdict::pass: continue;
      case UserPager::Verdict::take: page.data.push_back(*u);
    }
  }
  return page;
}

}  // namespace parley
