// The storage engine interface. An Engine is the composition of four
// stores, one per concern, each in its own header with its part of the
// written contract beside it:
//   conversation_store.hpp  conversations and their logs: create, get,
//                           update, append, read, list, the EventSink,
//                           watches and signals (contract items 1-10, 14, 15)
//   presence_store.hpp      presence: sockets and statuses (item 11)
//   user_store.hpp          the users registry (item 12)
//   timer_store.hpp         durable per-conversation timers (item 13)
// What a write asks for (CreateRequest, Decision, AppendRequest) is plain
// data in protocol/write.hpp, so the rules need no storage header.
//
// Two implementations sit beside it: memory/memory_engine (embedded
// default) and redis/redis_engine; engine_common.hpp holds what they share.
// The contract tests in tests/unit/engine_contract*.hpp run against each.
//
// All calls may be made from any thread; the awaitables resume on the
// caller's executor.
#pragma once

#include <string>
#include <string_view>

#include "conversation_store.hpp"
#include "presence_store.hpp"
#include "timer_store.hpp"
#include "user_store.hpp"

namespace parley {

class Engine : public ConversationStore,
               public PresenceStore,
               public TimerStore,
               public UserStore {
 public:
  ~Engine() override = default;

  virtual std::string_view name() const = 0;
  // Whether storage answers now (GET /readyz).
  virtual bool ready() const = 0;
  // Appends the engine's own series to GET /metrics (Prometheus text):
  // the Redis engine's command latency; nothing for the memory engine.
  virtual void render_metrics(std::string& out) const { (void)out; }
};

}  // namespace parley
