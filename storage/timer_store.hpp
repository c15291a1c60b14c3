// Timers, the engine's third concern: durable deadlines of conversations.
// Part of Engine (engine.hpp), with contract item 13.
//
// THE CONTRACT (timers)
// 13. Timers (the timer_* calls; TimerKind below). Durable per-conversation
//     timers, at most one of each kind per conversation:
//     a. timer_set() gives the (key, kind) timer a due time, replacing an
//        earlier one and any claim on it. timer_clear() removes it; with
//        `if_due`, only while its due time is still that one (a node that
//        finished an old timer never removes a newer one).
//     b. timers_due(now, limit, lease) hands out at most `limit` timers due
//        by `now`, earliest first, and claims each until now + lease: no
//        caller, on any node, gets a claimed timer again before its lease
//        ends unless it is set again. A timer that is neither cleared nor
//        set is handed out again after its lease (its claimer died).
//     c. Timers survive the process with a durable engine, and outlive
//        their conversation (the caller finds it gone and clears them).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conversation_store.hpp"

namespace parley {

enum class TimerKind : uint8_t {
  auto_lock,  // lock a CLOSE conversation (PROTOCOL §5 lockConversation)
  ttl,        // delete a conversation that has no message (createConversation ttl)
};
inline constexpr size_t kTimerKinds = 2;
std::string_view to_string(TimerKind k);  // "auto_lock", "ttl"
std::optional<TimerKind> timer_kind_from(std::string_view s);

// A timer handed out by timers_due().
struct DueTimer {
  ConvKey key;
  TimerKind kind = TimerKind::auto_lock;
  Millis due = 0;  // the time timer_set() gave it (what timer_clear's if_due compares)
  bool operator==(const DueTimer&) const = default;
};

class TimerStore {
 public:
  virtual ~TimerStore() = default;

  // Timers (contract 13). Sets (or moves) the `kind` timer of `key` to `due`.
  virtual asio::awaitable<Status> timer_set(ConvKey key, TimerKind kind, Millis due) = 0;
  // Removes it; with `if_due`, only while its due time is still that.
  virtual asio::awaitable<Status> timer_clear(ConvKey key, TimerKind kind,
                                              std::optional<Millis> if_due) = 0;
  // Claims up to `limit` timers due by `now` until now + lease.
  virtual asio::awaitable<Result<std::vector<DueTimer>>> timers_due(Millis now, size_t limit,
                                                                    Millis lease) = 0;
};

}  // namespace parley
