// The users registry rules shared by both engines (users.hpp): how a put
// merges into a stored user, what a listing's filters match, and how a
// listing pages.
#include "users.hpp"

#include <algorithm>

namespace parley {

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool apply_user_put(std::optional<User>& cur, const UserPut& put) {
  bool changed = false;
  if (!cur) {
    cur.emplace();
    cur->tenant = put.tenant;
    cur->user_id = put.user_id;
    cur->created_at = put.now;
    changed = true;
  }
  User& u = *cur;
  auto set = [&changed](auto& field, const auto& value) {
    if (field == value) return;
    field = value;
    changed = true;
  };
  if (put.name) set(u.name, *put.name);
  if (put.display_name) set(u.display_name, *put.display_name);
  if (put.image_url) set(u.image_url, *put.image_url);
  if (put.role) set(u.role, *put.role);
  if (changed) u.updated_at = put.now;
  return changed;
}

bool user_matches(const User& u, const UserListRequest& req) {
  if (!req.roles.empty() && std::find(req.roles.begin(), req.roles.end(), u.role) == req.roles.end())
    return false;
  if (std::find(req.exclude.begin(), req.exclude.end(), u.user_id) != req.exclude.end())
    return false;
  if (req.words.empty()) return true;
  const std::string hay = ascii_lower(u.user_id) + '\n' + ascii_lower(u.name) + '\n' +
                          ascii_lower(u.display_name.value_or(""));
  return std::all_of(req.words.begin(), req.words.end(), [&](const std::string& w) {
    return hay.find(ascii_lower(w)) != std::string::npos;
  });
}

std::vector<AccountRole> distinct_roles(const UserListRequest& req) {
  std::vector<AccountRole> roles = req.roles;
  std::sort(roles.begin(), roles.end());
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
  return roles;
}

UserPager::Verdict UserPager::judge(const std::string& user_id, const User* u) {
  if (req_.scan_limit > 0 && scanned_ == req_.scan_limit) {
    page_.has_next = true;
    page_.next_after = last_;  // the scan stopped after the last examined id
    return Verdict::done;
  }
  ++scanned_;
  last_ = user_id;
  judged_ = true;
  if (!u || !user_matches(*u, req_)) return Verdict::pass;
  if (page_.data.size() == req_.limit) {
    page_.has_next = true;
    page_.next_after = page_.data.back().user_id;
    return Verdict::done;
  }
  return Verdict::take;
}

}  // namespace parley
