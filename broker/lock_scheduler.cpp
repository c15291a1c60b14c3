#include "lock_scheduler.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <vector>

#include "rules.hpp"

namespace parley {

namespace {

Millis wall_now() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// With nothing scheduled the loop still wakes now and then; cheap, and it
// keeps the wait's arithmetic far from overflow.
constexpr Millis kIdleWait = 60 * 60 * 1000;

}  // namespace

void LockScheduler::schedule(const ConvKey& key, Millis closed_at,
                             const asio::any_io_executor& ex) {
  if (lock_after_ <= 0) return;
  const Millis at = closed_at + lock_after_;
  bool start = false;
  asio::any_io_executor loop;
  {
    std::lock_guard lock(mu_);
    due_.emplace(at, key);
    if (!executor_) {
      executor_ = ex;
      start = true;
    }
    loop = *executor_;
  }
  if (start) {
    asio::co_spawn(loop, run(), asio::detached);
    return;
  }
  // Wake the loop if this entry is due before the time it waits for.
  asio::post(loop, [this, at] {
    if (timer_ && (waiting_for_ == 0 || at < waiting_for_)) timer_->cancel();
  });
}

size_t LockScheduler::pending() const {
  std::lock_guard lock(mu_);
  return due_.size();
}

asio::awaitable<void> LockScheduler::run() {
  // The timer lives in this frame: it goes with the executor's context, and
  // schedule() reaches it only through handlers posted to that context.
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer_ = &timer;
  for (;;) {
    Millis next = 0;
    const Millis now = wall_now();
    {
      std::lock_guard lock(mu_);
      next = due_.empty() ? now + kIdleWait : due_.begin()->first;
    }
    if (next > now) {
      waiting_for_ = next;
      timer.expires_after(std::chrono::milliseconds(next - now));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      waiting_for_ = 0;
      continue;  // woken early (an earlier entry) or on time: look again
    }
    co_await lock_due(now);
  }
}

asio::awaitable<void> LockScheduler::lock_due(Millis now) {
  std::vector<ConvKey> keys;
  {
    std::lock_guard lock(mu_);
    auto end = due_.upper_bound(now);
    for (auto it = due_.begin(); it != end; ++it) keys.push_back(it->second);
    due_.erase(due_.begin(), end);
  }
  for (const ConvKey& key : keys) {
    UpdateRequest rq;
    const Millis lock_after = lock_after_;
    rq.decide = [now, lock_after](const Conversation& cur, const Event*) {
      return rules::auto_lock(cur, now, lock_after);
    };
    auto commit = co_await engine_.update(key, std::move(rq));
    // Deleted meanwhile: nothing to lock. Storage down: try again shortly,
    // the rule makes a repeat harmless.
    if (!commit.ok() && commit.error().code == code::unavailable) {
      std::lock_guard lock(mu_);
      due_.emplace(now + 1000, key);
    } else if (!commit.ok() && commit.error().code != code::not_found) {
      spdlog::warn("automatic lock of {}: {}", key.id, commit.error().message);
    }
  }
}

}  // namespace parley
