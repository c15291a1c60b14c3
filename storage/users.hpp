// The users registry's values (user_store.hpp, contract 12): who a tenant's users
// are, as their tokens and upsertUser describe them. Plain values; the
// engines store them, users.cpp holds the rules both engines share.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model.hpp"

namespace parley {

struct User {
  std::string tenant;
  std::string user_id;
  std::string name;                         // "" = none
  std::optional<std::string> display_name;  // set by upsertUser only
  std::optional<std::string> image_url;     // set by upsertUser only
  AccountRole role = AccountRole::consumer;
  Millis created_at = 0;
  Millis updated_at = 0;  // the last put that changed a field
  bool operator==(const User&) const = default;
};

// What user_put() changes. Unset fields keep their stored value (a new
// user gets the defaults of User); for display_name and image_url an inner
// nullopt clears the value.
struct UserPut {
  std::string tenant;
  std::string user_id;
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> display_name, image_url;
  std::optional<AccountRole> role;
  Millis now = 0;  // created_at of a new user; updated_at when a field changes
};

struct UserListRequest {
  std::vector<AccountRole> roles;   // empty = every role
  std::vector<std::string> words;   // each must occur in user_id, name or display_name
                                    // (ASCII case-insensitive); empty = no text filter
  std::vector<std::string> exclude; // user ids left out
  std::optional<std::string> after; // keyset cursor: user ids > after
  size_t limit = 20;
  // Examine at most this many users (0 = no bound). When the bound stops the
  // listing, has_next is true and next_after says where to continue.
  size_t scan_limit = 0;
};

struct UserPage {
  std::vector<User> data;  // by user_id ascending
  bool has_next = false;
  std::string next_after;  // with has_next: the cursor of the next page
};

// Applies `put` to `cur` (nullopt: a new user). Returns whether a field
// changed; updated_at moves only then.
bool apply_user_put(std::optional<User>& cur, const UserPut& put);
// Whether `u` passes the role, words and exclude filters of `req`.
bool user_matches(const User& u, const UserListRequest& req);
// Lower-cases ASCII letters (the q match is ASCII case-insensitive).
std::string ascii_lower(std::string_view s);
// The request's role filter, sorted, each role once.
std::vector<AccountRole> distinct_roles(const UserListRequest& req);

// The filters, limit and scan bound of a UserListRequest, applied to the
// candidates an engine walks in user_id order.
class UserPager {
 public:
  enum class Verdict {
    take,  // the caller adds it to page.data
    pass,  // unreadable (null) or filtered out
    done,  // the page is complete (has_next, next_after set): stop walking
  };
  UserPager(const UserListRequest& req, UserPage& page) : req_(req), page_(page) {}
  // The next candidate: `u` is the user `user_id` names, null if unreadable.
  Verdict judge(const std::string& user_id, const User* u);
  // Whether `user_id` is not after the last candidate judged (a merge of
  // role runs may offer a user twice).
  bool passed(const std::string& user_id) const { return judged_ && user_id <= last_; }

 private:
  const UserListRequest& req_;
  UserPage& page_;
  std::string last_;  // the last candidate judged
  bool judged_ = false;
  size_t scanned_ = 0;
};

}  // namespace parley
