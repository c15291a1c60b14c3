// Redis Sentinel: where the master of a Sentinel-managed Redis is, now.
//
// The engine in Sentinel mode (--redis-sentinel HOST:PORT[,...]
// --redis-master-name NAME) has one shard whose command and pub/sub links
// take their address from locate() on every connect: it asks every sentinel
// that is up `SENTINEL master NAME` and takes the address with the highest
// config-epoch (the latest failover), so a sentinel that has not heard of a
// failover yet is outvoted rather than followed back to the old master. The links check `ROLE` in their handshake, so a master
// that was demoted (or a sentinel that still names the old one) is never
// written: the connect fails and is tried again.
//
// Each sentinel has a command connection and a pub/sub connection
// subscribed to `+switch-master`. When a failover names a new master for
// NAME, every followed link that is not up on it reconnects at once (no
// back-off); when a sentinel's subscription is renewed (its link came back,
// and a switch may have gone unseen), the links are checked the same way
// against locate()'s answer.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "redis_connection.hpp"
#include "redis_subscriber.hpp"

namespace parley::redis {

struct SentinelOptions {
  std::vector<RedisAddress> sentinels;  // at least one
  std::string master_name;
  std::string master_password;  // AUTH to the master it names ("" = none); not the sentinels'
};

// "HOST:PORT" (IPv6 in brackets) as a sentinel's address; nullopt if not one.
std::optional<RedisAddress> parse_sentinel_address(std::string_view host_port);

class Sentinel : public RedisSubscriber::Listener {
 public:
  Sentinel(asio::any_io_executor ex, SentinelOptions options, ConnectionOptions connection);
  ~Sentinel() override;
  Sentinel(const Sentinel&) = delete;
  Sentinel& operator=(const Sentinel&) = delete;

  void start();
  void close();
  // The current master's address (the latest config-epoch any sentinel
  // reports), or nullopt when no sentinel answers or none knows NAME. Calls
  // `done` once, on the engine's executor.
  void locate(RedisLink::AddressDone done);
  // Makes `link` take its address from locate() (with the ROLE check) and
  // reconnect when the master moves. Before link->start().
  void follow(const std::shared_ptr<RedisLink>& link);
  const std::string& master_name() const { return options_.master_name; }
  // How many +switch-master messages for NAME arrived (for logs and tests).
  uint64_t switches() const;

  // RedisSubscriber::Listener
  void on_message(std::string_view channel, std::string_view payload) override;
  void on_subscribed(std::string_view channel) override;
  void on_link_down() override {}

 private:
  struct Found {
    std::optional<RedisAddress> address;
    int64_t epoch = 0;
  };
  void locate_from(size_t i, std::shared_ptr<Found> found, RedisLink::AddressDone done);
  // Reconnects every followed link that is not up on `master`, at once.
  void move_links_to(const RedisAddress& master, const std::string& why);

  const SentinelOptions options_;
  std::vector<std::shared_ptr<RedisConnection>> commands_;  // one per sentinel
  std::vector<std::shared_ptr<RedisSubscriber>> subscribers_;
  mutable std::mutex mu_;
  std::vector<std::weak_ptr<RedisLink>> links_;
  uint64_t switches_ = 0;
};

}  // namespace parley::redis
