#include "live/user_registration.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace parley {

std::string UserRegistrar::key_of(const Identity& who) {
  std::string k = who.tenant;
  k.push_back('\x1f');  // not in a tenant: keeps ("a","b:c") and ("a:b","c") apart
  k.append(who.user_id);
  return k;
}

bool UserRegistrar::should_register(const Identity& who, Millis now) {
  std::lock_guard lk(mu_);
  const std::string k = key_of(who);
  auto it = seen_.find(k);
  if (it != seen_.end() && it->second.name == who.name && it->second.role == who.role &&
      now - it->second.at < refresh_ms_ && now >= it->second.at)
    return false;
  if (it == seen_.end() && seen_.size() >= capacity_) seen_.clear();
  seen_[k] = Seen{who.name, who.role, now};
  return true;
}

void UserRegistrar::forget(const Identity& who) {
  std::lock_guard lk(mu_);
  seen_.erase(key_of(who));
}

size_t UserRegistrar::remembered() const {
  std::lock_guard lk(mu_);
  return seen_.size();
}

void UserRegistrar::on_authenticated(const boost::asio::any_io_executor& ex, const Identity& who,
                                     Millis now) {
  if (!should_register(who, now)) return;
  UserPut put;
  put.tenant = who.tenant;
  put.user_id = who.user_id;
  put.name = who.name;
  put.role = who.role;
  put.now = now;
  auto self = shared_from_this();
  boost::asio::co_spawn(
      ex,
      [self, who, put = std::move(put)]() mutable -> boost::asio::awaitable<void> {
        auto r = co_await self->engine_.user_put(std::move(put));
        if (r.ok()) co_return;
        self->forget(who);
        spdlog::warn("registering user {} of tenant {} failed: {}", who.user_id, who.tenant,
                     r.error().message);
      },
      boost::asio::detached);
}

}  // namespace parley
