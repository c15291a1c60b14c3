#include "hooks/delivery.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "clock.hpp"
#include "hooks/http_client.hpp"
#include "hooks/signature.hpp"
#include "json_writer.hpp"
#include "serialize.hpp"

namespace parley::hooks {

using namespace std::chrono_literals;

std::string delivery_id(const ConvKey& key, uint64_t seq, const std::string& webhook) {
  std::string in = key.tenant;
  in.push_back('\n');
  in.append(key.id).push_back('\n');
  in.append(std::to_string(seq)).push_back('\n');
  in.append(webhook);
  return "whd_" + sha256_hex(in).substr(0, 32);
}

std::string delivery_body(const std::string& id, const Webhook& w, const ConvKey& key,
                          const std::string& epoch, const Event& e) {
  JsonWriter out;
  out.begin_object()
      .field("id", id)
      .field("type", e.type)
      .field("webhook", w.name)
      .field("tenant", key.tenant)
      .field("conversationId", key.id)
      .field("seq", e.seq)
      .field("createdAt", e.ts);
  out.key("event");
  write_event(out, e, key.id, epoch, Audience::agents);
  out.end_object();
  return out.take();
}

Delivery::Delivery(asio::io_context& ctx, Outbox& outbox, Engine& engine, const HooksConfig& cfg,
                   HookMetrics& metrics, asio::ssl::context* tls)
    : ctx_(ctx), outbox_(outbox), engine_(engine), cfg_(cfg), metrics_(metrics), tls_(tls) {}

void Delivery::start() { asio::co_spawn(ctx_, loop(), asio::detached); }

void Delivery::stop() { stopped_ = true; }

asio::awaitable<void> Delivery::sleep(std::chrono::milliseconds d) {
  asio::steady_timer timer(ctx_, d);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

void Delivery::release_all() {
  metrics_.webhook_pending.fetch_sub(taken_.size(), std::memory_order_relaxed);
  queues_.clear();
  taken_.clear();
  busy_.clear();
  ++generation_;
}

asio::awaitable<void> Delivery::loop() {
  bool held = false;
  while (!stopped_) {
    const bool now_held = outbox_.hold();
    if (held && !now_held) release_all();  // another node delivers now: it claims our entries
    held = now_held;
    if (!held) {
      co_await sleep(200ms);
      continue;
    }
    size_t got = 0;
    const size_t room = static_cast<size_t>(cfg_.max_parallel) * 64;
    if (taken_.size() < room) {
      for (auto& e : outbox_.take(256)) {
        ++got;
        if (!taken_.insert(e.id).second) continue;
        metrics_.webhook_pending.fetch_add(1, std::memory_order_relaxed);
        queues_[e.key].push_back(std::move(e));
      }
    }
    for (auto& [key, queue] : queues_) {
      if (queue.empty() || busy_.count(key)) continue;
      if (busy_.size() >= static_cast<size_t>(cfg_.max_parallel)) break;
      busy_.insert(key);
      asio::co_spawn(ctx_, drain(key, generation_), asio::detached);
    }
    if (got < 256) co_await sleep(50ms);
  }
}

asio::awaitable<void> Delivery::drain(ConvKey key, uint64_t generation) {
  while (!stopped_ && generation == generation_) {
    auto it = queues_.find(key);
    if (it == queues_.end() || it->second.empty()) break;
    OutboxEntry entry = it->second.front();

    // The event itself, from the log.
    ReadRequest rq;
    rq.from_seq = rq.to_seq = entry.seq;
    rq.limit = 1;
    auto page = co_await engine_.read(key, rq);
    if (!page.ok() && page.error().code != code::not_found) {
      co_await sleep(std::chrono::milliseconds(cfg_.retry_base_ms));  // storage away: wait
      continue;
    }
    bool gone = !page.ok() || page->events.empty() || page->events.front()->seq != entry.seq;
    if (gone) {
      // The conversation (or this event) was erased before it was delivered.
      spdlog::info("webhooks: {}/{} seq {} is no longer in the log; skipped", key.tenant, key.id,
                   entry.seq);
    } else {
      const Event& event = *page->events.front();
      for (const auto& w : cfg_.webhooks) {
        if (w.tenant != key.tenant || !w.wants(event.type)) continue;
        if (!entry.webhook.empty() && entry.webhook != w.name) continue;
        if (!co_await deliver(entry, page->epoch, event, w, generation)) co_return;
      }
    }
    if (generation != generation_) co_return;
    outbox_.ack(entry);
    taken_.erase(entry.id);
    metrics_.webhook_pending.fetch_sub(1, std::memory_order_relaxed);
    if (auto q = queues_.find(key); q != queues_.end()) {
      q->second.pop_front();
      if (q->second.empty()) queues_.erase(q);
    }
  }
  if (generation == generation_) busy_.erase(key);
}

asio::awaitable<bool> Delivery::deliver(const OutboxEntry& entry, const std::string& epoch,
                                        const Event& event, const Webhook& w,
                                        uint64_t generation) {
  const std::string id = delivery_id(entry.key, entry.seq, w.name);
  const std::string body = delivery_body(id, w, entry.key, epoch, event);
  const Millis first = wall_clock_ms();
  auto delay = std::chrono::milliseconds(cfg_.retry_base_ms);
  int64_t attempts = 0;
  for (;;) {
    if (stopped_ || generation != generation_) co_return false;
    ++attempts;
    const int64_t t = wall_clock_ms() / 1000;
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Parley-Signature", signature_header(w.secret, t, body)},
        {"Parley-Delivery-Id", id},
        {"Parley-Event", event.type}};
    auto r = co_await http_post(w.url, headers, body, PostOptions{}, tls_);
    std::string error;
    if (r.ok() && r->status >= 200 && r->status <= 299) {
      metrics_.webhook_delivered.fetch_add(1, std::memory_order_relaxed);
      metrics_.webhook_lag_ms.store(wall_clock_ms() - event.ts, std::memory_order_relaxed);
      co_return true;
    }
    error = r.ok() ? "HTTP " + std::to_string(r->status) : r.error().message;
    metrics_.webhook_failures.fetch_add(1, std::memory_order_relaxed);
    if (wall_clock_ms() + delay.count() - first > cfg_.retry_budget_ms) {
      DeadLetter d{id,         entry.key.tenant, entry.key.id, entry.seq,     event.type, w.name,
                   w.url.url,  attempts,         first,        wall_clock_ms(), error};
      if (outbox_.dead_letter(d)) {
        metrics_.webhook_dead_lettered.fetch_add(1, std::memory_order_relaxed);
        spdlog::warn("webhook {}: {} dead-lettered after {} attempts: {}", w.name, id, attempts,
                     error);
        co_return true;
      }
    } else {
      spdlog::debug("webhook {}: {} attempt {} failed: {}", w.name, id, attempts, error);
    }
    co_await sleep(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(cfg_.retry_max_ms));
  }
}

}  // namespace parley::hooks
