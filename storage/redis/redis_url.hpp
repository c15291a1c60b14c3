// Where a Redis shard lives: `redis://[:PASSWORD@]HOST[:PORT][/DB]`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley::redis {

struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string password;  // "" = no AUTH

  // "host:port/db": how the hash ring names the shard. The password is left
  // out so it never reaches a log line, and so a changed password does not
  // move conversations between shards.
  std::string id() const;
};

// Parses a redis:// URL; nullopt when it is not one (unknown scheme, bad
// port or database number, trailing garbage). IPv6 literals go in brackets.
std::optional<RedisAddress> parse_redis_url(std::string_view url);

}  // namespace parley::redis
