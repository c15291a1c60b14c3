// The memory engine's timers (timer_store.hpp, contract 13): one map under one
// mutex, and a queue ordered by hand-out time. A claim moves the timer's
// place in the queue to the end of the lease; its due time stays, so
// timer_clear(if_due) still recognises it.
#include "memory_engine.hpp"

namespace parley {

void MemoryEngine::timer_set_now(const ConvKey& key, TimerKind kind, Millis due) {
  std::lock_guard lk(timers_mu_);
  TimerId id{key.tenant, key.id, kind};
  auto [it, added] = timers_.try_emplace(id);
  if (!added) timer_queue_.erase({it->second.ready_at, id});
  it->second = TimerEntry{due, due};
  timer_queue_.emplace(due, std::move(id));
}

void MemoryEngine::timer_clear_now(const ConvKey& key, TimerKind kind,
                                   std::optional<Millis> if_due) {
  std::lock_guard lk(timers_mu_);
  TimerId id{key.tenant, key.id, kind};
  auto it = timers_.find(id);
  if (it == timers_.end() || (if_due && it->second.due != *if_due)) return;
  timer_queue_.erase({it->second.ready_at, id});
  timers_.erase(it);
}

std::vector<DueTimer> MemoryEngine::timers_due_now(Millis now, size_t limit, Millis lease) {
  std::vector<DueTimer> out;
  std::lock_guard lk(timers_mu_);
  while (out.size() < limit && !timer_queue_.empty() && timer_queue_.begin()->first <= now) {
    auto node = timer_queue_.extract(timer_queue_.begin());
    const TimerId& id = node.value().second;
    TimerEntry& e = timers_.at(id);
    out.push_back(DueTimer{{std::get<0>(id), std::get<1>(id)}, std::get<2>(id), e.due});
    // Claimed: back in the queue at the end of its lease.
    e.ready_at = now + lease;
    node.value().first = e.ready_at;
    timer_queue_.insert(std::move(node));
  }
  return out;
}

// ---- awaitable surface -------------------------------------------------------

asio::awaitable<Status> MemoryEngine::timer_set(ConvKey key, TimerKind kind, Millis due) {
  timer_set_now(key, kind, due);
  co_return Ok{};
}

asio::awaitable<Status> MemoryEngine::timer_clear(ConvKey key, TimerKind kind,
                                                  std::optional<Millis> if_due) {
  timer_clear_now(key, kind, if_due);
  co_return Ok{};
}

asio::awaitable<Result<std::vector<DueTimer>>> MemoryEngine::timers_due(Millis now, size_t limit,
                                                                        Millis lease) {
  co_return timers_due_now(now, limit, lease);
}

}  // namespace parley
