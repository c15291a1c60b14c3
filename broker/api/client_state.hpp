// What the request layer keeps per socket: its conversation subscriptions
// and its chatState coalescing. Held by the socket (Connection::context,
// which names the type without knowing it) from on_open to on_close.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "live/hub.hpp"
#include "model.hpp"

namespace parley {

// chatState coalescing for one (socket, conversation).
struct ChatStateSlot {
  Millis last_sent = 0;
  std::string pending;  // state waiting for the window to pass; "" = none
  bool timer_armed = false;
};

struct ClientState {
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<Subscription>> subs;  // by conversation id
  std::unordered_map<std::string, ChatStateSlot> chat;

  // Ends the subscription to `conversation_id`, if any (unsubscribe, leave).
  void unsubscribe(Hub& hub, const std::string& conversation_id);
  // A re-authentication: each subscription keeps the audience `who` has,
  // or ends (subscriptionEnded) when `who` may no longer read.
  void reauthorize(Hub& hub, const Identity& who);
  // The socket is gone: every subscription goes.
  void drop_all(Hub& hub);
};

}  // namespace parley
