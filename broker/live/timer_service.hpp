// The conversation deadlines: the automatic lock (PROTOCOL §5
// lockConversation: "also automatic lockAfter seconds after CLOSE") and the
// ttl deletion (createConversation `ttl`: a conversation with no message is
// deleted that many seconds after its creation).
//
// Both are engine timers (engine.hpp, contract 13), so they survive this
// process: with a shared engine, a conversation closed on a node that dies
// is locked by another node, or by this one once restarted. Methods arm a
// timer after the commit that makes it due (commit_rule for a close;
// create/updateConversation for a ttl). Every node polls the engine every
// --timer-poll-ms for the timers due by then; the engine hands each one to
// a single node for a lease (kTimerLease), and that node commits the rule
// through engine.update — rules::auto_lock, rules::expire_ttl — then clears
// the timer. Those rules re-check the record, so a timer that fires for a
// conversation reopened, given a message, or already locked meanwhile
// changes nothing; a node that dies before it clears leaves the timer to
// the next claimer after the lease.
//
// A local fast path: a timer this node armed wakes its poll at the due time
// rather than at the next period, so short deadlines (tests, a small
// --lock-after-sec) fire on time with the memory engine and the poll can
// stay slow. It only wakes the poll; claiming stays the engine's.
//
// Threads: arm()/disarm() from any coroutine; the loop runs on the executor
// given to start(), where its timer lives; arm() reaches it only by posting.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <optional>
#include <set>

#include "engine.hpp"
#include "tuning.hpp"

namespace parley {

// When a timer of `kind` is due for `c`: rules::lock_deadline or
// rules::ttl_deadline; none when it has nothing left to do.
std::optional<Millis> timer_deadline(TimerKind kind, const Conversation& c, Millis lock_after);

class TimerService {
 public:
  // The lease and the claim batch: kTimerLease, kTimerBatch (tuning.hpp).

  struct Options {
    Millis lock_after = 0;  // ms; 0: never lock automatically
    Millis poll = 1000;     // ms between two polls of the engine
    Millis lease = kTimerLease;
  };

  TimerService(Engine& engine, Options options) : engine_(engine), opt_(options) {}
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;

  // Starts polling on `ex`. Call once, before serving.
  void start(asio::any_io_executor ex);
  // Ends the loop (at once if it waits; after the timer in hand otherwise).
  void stop();

  // The conversation became CLOSE at `closed_at`: its automatic lock.
  asio::awaitable<void> closed(ConvKey key, Millis closed_at);
  // `record` was created or its ttl changed: arms its ttl deletion, or
  // removes it (no ttl any more, or it has a message).
  asio::awaitable<void> ttl_changed(const Conversation& record);

  Millis lock_after() const { return opt_.lock_after; }

  // Polls once at `now`: claims the due timers and acts on them. Returns
  // how many it handled (the loop's step; tests call it directly).
  asio::awaitable<size_t> poll_once(Millis now);

 private:
  asio::awaitable<void> arm(ConvKey key, TimerKind kind, Millis due);
  asio::awaitable<void> run();
  // Commits the timer's rule, then clears it (or moves it when it fired
  // before its record says it is due: another node's clock, a ttl moved).
  asio::awaitable<void> fire(const DueTimer& t, Millis now);
  // The earliest local deadline, dropping those passed by `now`.
  std::optional<Millis> next_local(Millis now);

  Engine& engine_;
  const Options opt_;
  std::atomic<bool> stopped_{false};
  std::mutex mu_;
  std::multiset<Millis> local_;  // due times this node armed (fast path)
  std::optional<asio::any_io_executor> executor_;
  // The loop's timer and the time it waits for (0: not waiting); touched
  // only on executor_.
  asio::steady_timer* timer_ = nullptr;
  Millis waiting_for_ = 0;
};

}  // namespace parley
