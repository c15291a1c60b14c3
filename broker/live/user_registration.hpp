// Registration of users from their tokens (PROTOCOL §5 "Users are
// registered from their token on authenticate").
//
// authenticate must not wait for storage, and a user who opens many sockets
// must not cost a write each: the write runs in the background (its errors
// are logged, never answered) and is skipped when this node registered the
// same (tenant, user, name, role) within `refresh`. The memory of what was
// registered is bounded: past `capacity` entries it starts over, which at
// worst costs one more write per user.
//
// A registration sets the user's name and role only, so it never
// overwrites what upsertUser set (displayName, imageUrl).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "engine.hpp"

namespace parley {

class UserRegistrar : public std::enable_shared_from_this<UserRegistrar> {
 public:
  UserRegistrar(Engine& engine, size_t capacity, Millis refresh_ms)
      : engine_(engine), capacity_(capacity), refresh_ms_(refresh_ms) {}

  // Registers `who` in the background on `ex` unless it was done recently.
  void on_authenticated(const boost::asio::any_io_executor& ex, const Identity& who, Millis now);

  // The pure part: whether `who` needs a write at `now`. A true answer is
  // remembered at once, so a burst of sockets of one user writes once.
  bool should_register(const Identity& who, Millis now);
  // Forgets `who` (its write failed: the next authentication tries again).
  void forget(const Identity& who);
  size_t remembered() const;

 private:
  struct Seen {
    std::string name;
    AccountRole role = AccountRole::consumer;
    Millis at = 0;
  };
  static std::string key_of(const Identity& who);

  Engine& engine_;
  const size_t capacity_;
  const Millis refresh_ms_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Seen> seen_;
};

}  // namespace parley
