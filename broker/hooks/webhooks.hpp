// The webhooks of a node (docs/webhooks.md): the outboxes (in memory on the
// memory engine; one Redis stream per shard on the Redis engine), their
// deliveries on one thread of their own, and the dead letters the admin
// methods read and replay.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config.hpp"
#include "engine.hpp"
#include "hooks/hook_metrics.hpp"
#include "hooks/outbox.hpp"

namespace parley::hooks {

class Delivery;
class MemoryOutbox;

class Webhooks {
 public:
  Webhooks(const Config& cfg, Engine& engine, HookMetrics& metrics);
  ~Webhooks();

  // The sink to give the engine: everything goes on to `next` (the hub);
  // on the memory engine, the events a webhook wants also enter the outbox.
  EventSink* wrap(EventSink* next);
  void start();
  void stop();  // joins the thread

  // The admin methods: the dead letters of `tenant`; one of them back into
  // the outbox (false: no such letter in the tenant).
  asio::awaitable<std::vector<DeadLetter>> dead_letters(std::string tenant);
  asio::awaitable<bool> replay(std::string tenant, std::string id);

 private:
  class Tee;
  const Config& cfg_;
  Engine& engine_;
  HookMetrics& metrics_;
  asio::io_context ctx_{1};
  std::shared_ptr<asio::ssl::context> tls_;
  MemoryOutbox* memory_ = nullptr;  // owned by outboxes_ (memory engine)
  std::vector<std::unique_ptr<Outbox>> outboxes_;
  std::vector<std::unique_ptr<Delivery>> deliveries_;
  std::unique_ptr<Tee> tee_;
  std::thread thread_;
};

}  // namespace parley::hooks
