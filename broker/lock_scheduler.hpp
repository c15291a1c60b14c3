// The automatic lock (PROTOCOL §5 lockConversation: "also automatic
// lockAfter seconds after CLOSE"). Methods that leave a conversation CLOSE
// schedule it here; when its time comes the scheduler commits
// rules::auto_lock through the engine — the same rule a manager's lock goes
// through, so a conversation reopened (or already locked) meanwhile is left
// alone: the rule's noop.
//
// What it does not do: survive its process. The schedule lives in this
// node's memory. With the memory engine that loses nothing (the
// conversations die with the process too); with a shared engine a
// conversation closed on a node that restarts or dies before the lock is
// due stays CLOSE until it is closed again or a manager locks it. A
// periodic sweep over the engine's CLOSE conversations is the fix (see
// docs/protocol.md).
//
// Threads: schedule() may be called from any thread. One coroutine, started
// on the first schedule() on that caller's executor, waits for the earliest
// due entry; an earlier entry arriving cancels its wait (posted to the same
// executor, so the cancel cannot slip in before the wait).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <mutex>
#include <optional>

#include "engine.hpp"

namespace parley {

class LockScheduler {
 public:
  // `lock_after` in milliseconds; 0 disables automatic locking.
  LockScheduler(Engine& engine, Millis lock_after) : engine_(engine), lock_after_(lock_after) {}
  LockScheduler(const LockScheduler&) = delete;
  LockScheduler& operator=(const LockScheduler&) = delete;

  // The conversation became CLOSE at `closed_at`: lock it at closed_at +
  // lock_after. `ex` runs the scheduler if it is not running yet.
  void schedule(const ConvKey& key, Millis closed_at, const asio::any_io_executor& ex);
  // Entries waiting (for tests and metrics).
  size_t pending() const;

 private:
  asio::awaitable<void> run();
  // Locks every entry due at `now`; returns when they are committed.
  asio::awaitable<void> lock_due(Millis now);

  Engine& engine_;
  const Millis lock_after_;
  mutable std::mutex mu_;
  std::multimap<Millis, ConvKey> due_;  // lock time -> conversation
  std::optional<asio::any_io_executor> executor_;
  // The running loop's timer and the time it waits for (0: not waiting);
  // touched only on executor_.
  asio::steady_timer* timer_ = nullptr;
  Millis waiting_for_ = 0;
};

}  // namespace parley
