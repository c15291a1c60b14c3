#include "subscribe_gate.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace parley::redis {

SubscribeGate::Waiter::Waiter(Handler&& h)
    : handler(std::move(h)),
      work(asio::prefer(asio::get_associated_executor(handler),
                        asio::execution::outstanding_work.tracked)) {}

SubscribeGate::SubscribeGate(asio::any_io_executor timers, std::chrono::milliseconds limit)
    : timers_(std::move(timers)), limit_(limit) {}

SubscribeGate::~SubscribeGate() { open_all(); }

void SubscribeGate::close(const std::string& channel) {
  std::lock_guard lk(mu_);
  auto& slot = latches_[channel];
  if (slot) return;
  slot = std::make_shared<Latch>();
  slot->timer = std::make_shared<asio::steady_timer>(timers_, limit_);
  closed_.fetch_add(1, std::memory_order_release);
  // The bound: an unanswered SUBSCRIBE must not stall the conversation.
  std::weak_ptr<Latch> weak = slot;
  slot->timer->async_wait([this, channel, weak](boost::system::error_code ec) {
    if (ec) return;
    std::vector<Waiter> waiters;
    {
      std::lock_guard lk(mu_);
      auto it = latches_.find(channel);
      if (it == latches_.end() || it->second != weak.lock()) return;
      waiters = std::move(it->second->waiters);
      latches_.erase(it);
      closed_.fetch_sub(1, std::memory_order_release);
    }
    release(waiters);
  });
}

void SubscribeGate::open(const std::string& channel) {
  std::shared_ptr<Latch> latch;
  {
    std::lock_guard lk(mu_);
    auto it = latches_.find(channel);
    if (it == latches_.end()) return;
    latch = std::move(it->second);
    latches_.erase(it);
    closed_.fetch_sub(1, std::memory_order_release);
  }
  latch->timer->cancel();
  release(latch->waiters);
}

void SubscribeGate::open_all() {
  std::unordered_map<std::string, std::shared_ptr<Latch>> all;
  {
    std::lock_guard lk(mu_);
    all.swap(latches_);
    closed_.store(0, std::memory_order_release);
  }
  for (auto& [channel, latch] : all) {
    latch->timer->cancel();
    release(latch->waiters);
  }
}

void SubscribeGate::release(std::vector<Waiter>& waiters) {
  // Through the engine's executor, then on the waiter's own: never inline
  // in whoever opened the gate (a pub/sub callback).
  for (auto& w : waiters) {
    auto ex = asio::get_associated_executor(w.handler, timers_);
    asio::post(timers_,
               asio::bind_executor(ex, [h = std::move(w.handler)]() mutable { std::move(h)(); }));
  }
  waiters.clear();
}

void SubscribeGate::start_wait(const std::string& channel, Waiter w) {
  {
    std::lock_guard lk(mu_);
    auto it = latches_.find(channel);
    if (it != latches_.end()) {
      it->second->waiters.push_back(std::move(w));
      return;
    }
  }
  std::vector<Waiter> now;
  now.push_back(std::move(w));
  release(now);
}

asio::awaitable<void> SubscribeGate::wait(std::string channel) {
  return asio::async_initiate<decltype(asio::use_awaitable), void()>(
      [this](auto handler, std::string channel) {
        start_wait(channel, Waiter(Handler(std::move(handler))));
      },
      asio::use_awaitable, std::move(channel));
}

}  // namespace parley::redis
