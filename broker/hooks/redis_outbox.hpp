// The Redis engine's webhook outbox, one per shard: the stream
// `pl:hooks:outbox` that the commit scripts add {t tenant, c conversation,
// s seq} to in the same script as the commit (lua_conversation_scripts.cpp,
// the "webhooks outbox" blocks), read through the consumer group `hooks`.
// One node per shard delivers at a time: the holder of the lease
// `pl:hooks:lease` (SET NX PX, renewed at a third of it), so deliveries stay
// in order per conversation. A node that takes the lease first claims,
// with XAUTOCLAIM, every entry another node took and did not acknowledge
// (a node killed with kill -9 leaves its entries pending), then reads new
// ones with XREADGROUP. An entry is acknowledged (XACK, XDEL) once
// delivered or dead-lettered; dead letters are the hash `pl:hooks:dead`
// (delivery id -> JSON). A synchronous hiredis connection, used only on
// the webhooks thread, with a time-out on every command.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "hooks/outbox.hpp"
#include "redis/redis_url.hpp"

struct redisContext;

namespace parley::hooks {

class RedisOutbox : public Outbox {
 public:
  RedisOutbox(redis::RedisAddress address, std::string consumer,
              std::chrono::milliseconds lease);
  ~RedisOutbox() override;

  std::string name() const override { return address_.id(); }
  bool hold() override;
  std::vector<OutboxEntry> take(size_t max) override;
  void ack(const OutboxEntry& entry) override;
  bool dead_letter(const DeadLetter& letter) override;
  std::vector<DeadLetter> dead_letters() override;
  bool replay(const std::string& id) override;

 private:
  struct Reply;
  bool connect();
  void drop();
  Reply command(const std::vector<std::string>& args);

  redis::RedisAddress address_;
  std::string consumer_;
  std::chrono::milliseconds lease_;
  redisContext* c_ = nullptr;
  std::chrono::steady_clock::time_point retry_at_{};
  bool held_ = false;
  bool claiming_ = false;     // the XAUTOCLAIM pass after taking the lease
  std::string claim_cursor_;  // where it goes on
  std::chrono::steady_clock::time_point renew_at_{};
};

}  // namespace parley::hooks
