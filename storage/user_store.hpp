// The users registry, the engine's fourth concern: who a tenant's users
// are (values in users.hpp). Part of Engine (engine.hpp), with contract
// item 12.
//
// THE CONTRACT (users)
// 12. Users (the user_* calls; users.hpp). A per-tenant registry of users:
//     a. user_put() is one atomic step per (tenant, user): it creates the
//        user or changes only the fields the UserPut sets, and returns the
//        stored user. Two puts racing on one user never lose a field that
//        only one of them set. updated_at moves only when a field changed
//        (a repeated put writes nothing new); created_at never moves.
//     b. user_get() of an unknown user (or one of another tenant) is 404.
//     c. user_list() returns the users passing the request's filters in
//        user_id order (byte-wise), after the cursor, at most `limit`, with
//        has_next; a role filter costs reads of those roles' users only.
//     d. A user's role may change with a put; listings by role follow it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "error.hpp"
#include "users.hpp"

namespace parley {

namespace asio = boost::asio;

class UserStore {
 public:
  virtual ~UserStore() = default;

  // Users (contract 12).
  virtual asio::awaitable<Result<User>> user_put(UserPut put) = 0;
  virtual asio::awaitable<Result<User>> user_get(std::string tenant, std::string user_id) = 0;
  virtual asio::awaitable<Result<UserPage>> user_list(std::string tenant, UserListRequest req) = 0;
};

}  // namespace parley
