// The deliveries of one outbox (outbox.hpp), on the webhooks thread: takes
// its entries, keeps a queue per conversation, and delivers each
// conversation's queue in order — entry n+1 only after n was acknowledged
// (2xx) or dead-lettered by every webhook that wants it. An attempt that
// fails is retried after retry_base_ms, doubling up to retry_max_ms, until
// retry_budget_ms after the first; then the delivery is dead-lettered.
// Conversations are delivered in parallel (up to max_parallel at once).
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "engine.hpp"
#include "hooks/hook_metrics.hpp"
#include "hooks/hooks_config.hpp"
#include "hooks/outbox.hpp"

namespace parley::hooks {

// The delivery id of (event, webhook): the same on every attempt, node and
// replay, so a receiver drops duplicates by it.
std::string delivery_id(const ConvKey& key, uint64_t seq, const std::string& webhook);
// The JSON body of a delivery.
std::string delivery_body(const std::string& id, const Webhook& w, const ConvKey& key,
                          const std::string& epoch, const Event& e);

class Delivery {
 public:
  Delivery(asio::io_context& ctx, Outbox& outbox, Engine& engine, const HooksConfig& cfg,
           HookMetrics& metrics, asio::ssl::context* tls);
  void start();  // spawns the loop on ctx
  void stop();   // the loop and the deliveries end at their next step

 private:
  asio::awaitable<void> loop();
  asio::awaitable<void> drain(ConvKey key, uint64_t generation);
  // true: delivered or dead-lettered; false: given up (this node lost the outbox).
  asio::awaitable<bool> deliver(const OutboxEntry& entry, const std::string& epoch,
                                const Event& event, const Webhook& w, uint64_t generation);
  asio::awaitable<void> sleep(std::chrono::milliseconds d);
  void release_all();

  asio::io_context& ctx_;
  Outbox& outbox_;
  Engine& engine_;
  const HooksConfig& cfg_;
  HookMetrics& metrics_;
  asio::ssl::context* tls_;
  std::atomic<bool> stopped_{false};  // set by stop() from another thread
  uint64_t generation_ = 0;  // bumped when the outbox is lost: older drains stop
  std::unordered_map<ConvKey, std::deque<OutboxEntry>, ConvKeyHash> queues_;
  std::unordered_set<ConvKey, ConvKeyHash> busy_;
  std::unordered_set<std::string> taken_;  // entry ids held
};

}  // namespace parley::hooks
