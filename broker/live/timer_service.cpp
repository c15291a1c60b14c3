#include "live/timer_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <vector>

#include "clock.hpp"
#include "dialog/rules.hpp"

namespace parley {

namespace {



}  // namespace

std::optional<Millis> timer_deadline(TimerKind kind, const Conversation& c, Millis lock_after) {
  if (kind == TimerKind::auto_lock) return rules::lock_deadline(c, lock_after);
  return rules::ttl_deadline(c);
}

void TimerService::start(asio::any_io_executor ex) {
  {
    std::lock_guard lk(mu_);
    if (executor_) return;
    executor_ = ex;
  }
  asio::co_spawn(ex, run(), asio::detached);
}

void TimerService::stop() {
  stopped_ = true;
  std::optional<asio::any_io_executor> ex;
  {
    std::lock_guard lk(mu_);
    ex = executor_;
  }
  if (ex)
    asio::post(*ex, [this] {
      if (timer_) timer_->cancel();
    });
}

asio::awaitable<void> TimerService::closed(ConvKey key, Millis closed_at) {
  if (opt_.lock_after <= 0) co_return;
  const Millis due = closed_at + opt_.lock_after;
  co_await arm(std::move(key), TimerKind::auto_lock, due);
}

asio::awaitable<void> TimerService::ttl_changed(const Conversation& record) {
  ConvKey key{record.tenant, record.id};
  if (auto due = rules::ttl_deadline(record)) {
    const Millis at = *due;
    co_await arm(std::move(key), TimerKind::ttl, at);
    co_return;
  }
  auto st = co_await engine_.timer_clear(key, TimerKind::ttl, std::nullopt);
  // A timer left behind is harmless: it fires, finds no deadline, is cleared.
  if (!st.ok()) spdlog::debug("ttl timer of {} not cleared: {}", key.id, st.error().message);
}

asio::awaitable<void> TimerService::arm(ConvKey key, TimerKind kind, Millis due) {
  auto st = co_await engine_.timer_set(key, kind, due);
  if (!st.ok()) {
    // The commit that made it due stands; its deadline is missed until the
    // conversation changes again (or a manager acts). Say so.
    spdlog::warn("{} timer of {} not stored: {}", to_string(kind), key.id, st.error().message);
    co_return;
  }
  if (due - wall_clock_ms() > kTimerLocalHorizon) co_return;
  std::optional<asio::any_io_executor> ex;
  {
    std::lock_guard lk(mu_);
    local_.insert(due);
    ex = executor_;
  }
  // Wake the loop if it waits for a later time.
  if (ex)
    asio::post(*ex, [this, due] {
      if (timer_ && (waiting_for_ == 0 || due < waiting_for_)) timer_->cancel();
    });
}

std::optional<Millis> TimerService::next_local(Millis now) {
  std::lock_guard lk(mu_);
  local_.erase(local_.begin(), local_.upper_bound(now));
  if (local_.empty()) return std::nullopt;
  return *local_.begin();
}

asio::awaitable<void> TimerService::run() {
  // The timer lives in this frame: it goes with the executor's context, and
  // arm()/stop() reach it only through handlers posted to that context.
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer_ = &timer;
  Millis next_poll = wall_clock_ms();
  while (!stopped_) {
    Millis now = wall_clock_ms();
    const auto local = next_local(now);
    const Millis wake = local ? std::min(next_poll, *local) : next_poll;
    if (wake > now) {
      waiting_for_ = wake;
      timer.expires_after(std::chrono::milliseconds(wake - now));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      waiting_for_ = 0;
      continue;  // on time, or woken by an earlier deadline or stop(): look again
    }
    // A full batch means more may be due: claim again at once.
    for (;;) {
      const size_t handled = co_await poll_once(now);
      if (stopped_ || handled < kTimerBatch) break;
      now = wall_clock_ms();
    }
    next_poll = wall_clock_ms() + opt_.poll;
  }
  timer_ = nullptr;
}

asio::awaitable<size_t> TimerService::poll_once(Millis now) {
  auto due = co_await engine_.timers_due(now, kTimerBatch, opt_.lease);
  if (!due.ok()) {
    spdlog::debug("timer poll failed: {}", due.error().message);
    co_return 0;
  }
  for (const DueTimer& t : *due) co_await fire(t, now);
  co_return due->size();
}

asio::awaitable<void> TimerService::fire(const DueTimer& t, Millis now) {
  const Millis lock_after = opt_.lock_after;
  if (t.kind == TimerKind::auto_lock && lock_after <= 0) {
    // This node never locks automatically (--lock-after-sec 0): the timer
    // was armed under another setting; drop it.
    auto st = co_await engine_.timer_clear(t.key, t.kind, t.due);
    (void)st;
    co_return;
  }
  UpdateRequest rq;
  if (t.kind == TimerKind::auto_lock)
    rq.decide = [now, lock_after](const Conversation& cur, const Event*) {
      return rules::auto_lock(cur, now, lock_after);
    };
  else
    rq.decide = [now](const Conversation& cur, const Event*) {
      return rules::expire_ttl(cur, now);
    };
  auto commit = co_await engine_.update(t.key, std::move(rq));
  if (!commit.ok() && commit.error().code != code::not_found) {
    // Storage down: the claim lapses and a node tries again after the
    // lease; the rule makes a repeat harmless.
    spdlog::warn("{} timer of {}: {}", to_string(t.kind), t.key.id, commit.error().message);
    co_return;
  }
  if (commit.ok()) {
    const bool erased =
        std::any_of(commit->events.begin(), commit->events.end(),
                    [](const EventPtr& e) { return e->type == "conversation.deleted"; });
    const auto next = timer_deadline(t.kind, commit->record, lock_after);
    if (!erased && next && *next > now) {
      // Fired before the record says it is due (a node's clock ahead, or a
      // deadline moved later): wait for the record's time.
      const Millis at = *next;
      co_await arm(t.key, t.kind, at);
      co_return;
    }
  }
  // Done (or the conversation is gone). Only this due time: a timer armed
  // again meanwhile (closed once more) stays.
  auto st = co_await engine_.timer_clear(t.key, t.kind, t.due);
  if (!st.ok()) spdlog::debug("{} timer of {} not cleared: {}", to_string(t.kind), t.key.id,
                              st.error().message);
}

}  // namespace parley
