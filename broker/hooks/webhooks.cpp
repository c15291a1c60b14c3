#include "hooks/webhooks.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <optional>
#include <tuple>

#include "hooks/delivery.hpp"
#include "hooks/memory_outbox.hpp"
#include "hooks/redis_outbox.hpp"

namespace parley::hooks {

// Passes everything on; on the memory engine, queues the wanted events.
// The memory engine calls on_events once per commit, in seq order per
// conversation: the outbox gets them in that order.
class Webhooks::Tee : public ForwardingSink {
 public:
  Tee(EventSink& next, MemoryOutbox* outbox, const HooksConfig& cfg)
      : ForwardingSink(next), outbox_(outbox), cfg_(cfg) {}
  void on_events(const ConvKey& key, const std::string& epoch,
                 const std::vector<EventPtr>& events) override {
    if (outbox_ && cfg_.any(key.tenant))
      for (const auto& e : events)
        if (cfg_.wants(key.tenant, e->type)) outbox_->push(key, e->seq);
    ForwardingSink::on_events(key, epoch, events);
  }

 private:
  MemoryOutbox* outbox_;
  const HooksConfig& cfg_;
};

Webhooks::Webhooks(const Config& cfg, Engine& engine, HookMetrics& metrics)
    : cfg_(cfg), engine_(engine), metrics_(metrics) {
  bool tls = false;
  for (const auto& w : cfg.hooks.webhooks) tls = tls || w.url.tls;
  if (tls) tls_ = make_tls_context(cfg.hooks.ca_file);
  if (cfg.redis_urls.empty()) {
    auto m = std::make_unique<MemoryOutbox>();
    memory_ = m.get();
    outboxes_.push_back(std::move(m));
  } else {
    for (const auto& url : cfg.redis_urls)
      if (auto address = redis::parse_redis_url(url))
        outboxes_.push_back(std::make_unique<RedisOutbox>(
            *address, cfg.node_id, std::chrono::milliseconds(cfg.hooks.lease_ms)));
  }
  for (auto& o : outboxes_)
    deliveries_.push_back(std::make_unique<Delivery>(ctx_, *o, engine_, cfg.hooks, metrics_,
                                                     tls_.get()));
}

Webhooks::~Webhooks() { stop(); }

EventSink* Webhooks::wrap(EventSink* next) {
  if (!memory_ || cfg_.hooks.webhooks.empty()) return next;  // nothing to add on the hot path
  tee_ = std::make_unique<Tee>(*next, memory_, cfg_.hooks);
  return tee_.get();
}

void Webhooks::start() {
  if (cfg_.hooks.webhooks.empty()) return;  // nothing is delivered; dead letters still read
  for (auto& d : deliveries_) d->start();
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(ctx_);
    for (;;) {
      try {
        ctx_.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("webhooks thread: {}", e.what());
      }
    }
  });
}

void Webhooks::stop() {
  for (auto& d : deliveries_) d->stop();
  ctx_.stop();
  if (thread_.joinable()) thread_.join();
}

asio::awaitable<std::vector<DeadLetter>> Webhooks::dead_letters(std::string tenant) {
  auto work = [this, tenant]() -> asio::awaitable<std::vector<DeadLetter>> {
    std::vector<DeadLetter> out;
    for (auto& o : outboxes_)
      for (auto& d : o->dead_letters())
        if (d.tenant == tenant) out.push_back(std::move(d));
    std::sort(out.begin(), out.end(), [](const DeadLetter& a, const DeadLetter& b) {
      return std::tie(a.failed_at, a.id) < std::tie(b.failed_at, b.id);
    });
    co_return out;
  };
  if (!thread_.joinable()) co_return co_await work();
  co_return co_await asio::co_spawn(ctx_, work(), asio::use_awaitable);
}

asio::awaitable<bool> Webhooks::replay(std::string tenant, std::string id) {
  auto work = [this, tenant, id]() -> asio::awaitable<bool> {
    for (auto& o : outboxes_)
      for (auto& d : o->dead_letters())
        if (d.id == id && d.tenant == tenant) co_return o->replay(id);
    co_return false;
  };
  if (!thread_.joinable()) co_return co_await work();
  co_return co_await asio::co_spawn(ctx_, work(), asio::use_awaitable);
}

}  // namespace parley::hooks
