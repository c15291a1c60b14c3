// UserRegistrar: one write per (tenant, user, name, role) and a while, a
// bounded memory, and the background write itself.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>

#include "live/user_registration.hpp"
#include "memory/memory_engine.hpp"

using namespace parley;

namespace {

Identity who(std::string user, std::string name, AccountRole role = AccountRole::agent,
             std::string tenant = "t1") {
  Identity i;
  i.tenant = std::move(tenant);
  i.user_id = std::move(user);
  i.name = std::move(name);
  i.role = role;
  return i;
}

// Runs an awaitable to completion (Result<T> is not default-constructible,
// so not use_future).
template <class T>
T run(boost::asio::awaitable<T> a) {
  boost::asio::io_context io;
  std::optional<T> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(a)); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  return std::move(*out);
}

constexpr Millis kT = 1'700'000'000'000;
constexpr Millis kRefresh = 60'000;

}  // namespace

TEST_CASE("user registration: once per user, name and role, and a while") {
  MemoryEngine engine;
  auto reg = std::make_shared<UserRegistrar>(engine, 100, kRefresh);
  CHECK(reg->should_register(who("ann", "Ann"), kT));
  CHECK_FALSE(reg->should_register(who("ann", "Ann"), kT + 1));
  CHECK_FALSE(reg->should_register(who("ann", "Ann"), kT + kRefresh - 1));
  CHECK(reg->should_register(who("ann", "Ann"), kT + kRefresh));  // stale: once more
  CHECK(reg->should_register(who("ann", "Ann B"), kT + kRefresh + 1));  // new name
  CHECK(reg->should_register(who("ann", "Ann B", AccountRole::manager), kT + kRefresh + 2));
  CHECK(reg->should_register(who("ann", "Ann B", AccountRole::manager, "t2"), kT + kRefresh + 2));
  // A failed write is forgotten, so the next socket tries again.
  reg->forget(who("ann", "Ann B", AccountRole::manager));
  CHECK(reg->should_register(who("ann", "Ann B", AccountRole::manager), kT + kRefresh + 3));
}

TEST_CASE("user registration: the memory is bounded") {
  MemoryEngine engine;
  auto reg = std::make_shared<UserRegistrar>(engine, 3, kRefresh);
  for (int i = 0; i < 10; ++i) {
    CHECK(reg->should_register(who("u" + std::to_string(i), "n"), kT));
    CHECK(reg->remembered() <= 3);
  }
}

TEST_CASE("user registration: writes name and role in the background, keeps the rest") {
  MemoryEngine engine;
  auto reg = std::make_shared<UserRegistrar>(engine, 100, kRefresh);
  UserPut dn;
  dn.tenant = "t1";
  dn.user_id = "ann";
  dn.display_name = std::optional<std::string>("Annie");
  dn.now = kT - 10;
  REQUIRE(run(engine.user_put(dn)).ok());

  boost::asio::io_context io;
  reg->on_authenticated(io.get_executor(), who("ann", "Ann Lee"), kT);
  io.run();  // the background write
  auto u = run(engine.user_get("t1", "ann"));
  REQUIRE(u.ok());
  CHECK(u->name == "Ann Lee");
  CHECK(u->role == AccountRole::agent);
  CHECK(u->display_name == std::optional<std::string>("Annie"));
  CHECK(u->updated_at == kT);
}
