// What the Redis storage unit tests share: the private redis-server of
// tests/support/redis_server.hpp (RedisServer::shared()), waiting with a
// bound (tests/support/wait.hpp), and running an awaitable to completion.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>

#include "redis_server.hpp"
#include "wait.hpp"

namespace parley::testing {

// Runs an awaitable to completion on a fresh io_context of its own, as a
// caller outside the engine's threads would.
template <class T>
T run_sync(boost::asio::awaitable<T> a) {
  boost::asio::io_context ctx;
  std::optional<T> out;
  std::exception_ptr failure;
  boost::asio::co_spawn(
      ctx, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(a)); },
      [&](std::exception_ptr e) { failure = e; });
  ctx.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*out);
}

}  // namespace parley::testing
