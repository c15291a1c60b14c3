// disconnectUser on every node. Each node watches one control key (no
// conversation's: conversation ids are UUIDs) through the engine, as it
// watches a conversation; disconnectUser publishes an ephemeral signal on
// it (Engine::publish_signal), which the engine brings to every node's
// sink — the Redis engine through pub/sub, the memory engine at once. This
// sink sits in front of the hub: the control key's signals close the named
// user's sockets on this node (Listener::close_user); everything else goes
// on to the hub unchanged.
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "engine.hpp"

namespace parley {

// The close code of a socket closed by disconnectUser (docs/protocol.md).
inline constexpr uint16_t kDisconnectedCode = 4010;

class UserControl : public ForwardingSink {
 public:
  using Closer = std::function<void(const std::string& tenant, const std::string& user_id,
                                    const std::string& reason)>;

  UserControl(Engine& engine, EventSink& next) : ForwardingSink(next), engine_(engine) {}

  // The key every node watches.
  static ConvKey control_key();
  // Starts watching the control key; `closer` closes this node's sockets.
  void start(Closer closer);
  // Asks every node (this one included) to close the user's sockets.
  void disconnect(const std::string& tenant, const std::string& user_id,
                  const std::string& reason);

  void on_signal(const ConvKey& key, const Signal& signal) override;

 private:
  Engine& engine_;
  std::mutex mu_;
  Closer closer_;
};

}  // namespace parley
