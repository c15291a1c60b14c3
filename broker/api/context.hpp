// What a method's handler gets besides its params: the node's services, the
// caller, the time, and the caller's socket when the transport has one.
#pragma once

#include <memory>
#include <string>

#include "api/auth.hpp"
#include "api/client_state.hpp"
#include "api/quota.hpp"
#include "config.hpp"
#include "engine.hpp"
#include "hooks/send_hook.hpp"
#include "hooks/webhooks.hpp"
#include "live/hub.hpp"
#include "live/inbox.hpp"
#include "live/presence.hpp"
#include "live/timer_service.hpp"
#include "live/user_registration.hpp"
#include "metrics.hpp"
#include "net/connection.hpp"

namespace parley {

class UserControl;  // api/user_control.hpp

// The node's services, built by the composition root (server.cpp) and
// shared by every call.
struct Services {
  const Config& cfg;
  Engine& engine;
  Hub& hub;
  Metrics& metrics;
  const Authenticator& auth;
  TimerService& timers;      // the automatic lock and the ttl deletion
  CreationQuota& creations;  // createConversation per user and per tenant, this node's count
  PresenceTracker& presence;
  UserRegistrar& registrar;  // users registered from their tokens
  InboxManager& inbox;       // subscribeInbox
  hooks::SendHook* send_hook;   // the moderation hook; null = none (--send-hook)
  hooks::Webhooks* webhooks;    // webhook outbox and dead letters; null = none
  UserControl& control;      // disconnectUser on every node
};

struct SocketContext;

// One call's context. Transport-neutral: a WebSocket call comes with its
// socket (SocketContext), a call over HTTP without one.
struct Context {
  Context(Services& services, Identity caller, Millis at)
      : node(services), who(std::move(caller)), now(at) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Services& node;
  Identity who;  // empty user_id before authentication
  Millis now;
  // The caller's socket; null for a transport without one.
  SocketContext* socket = nullptr;
  // Where the call came from (set by serve_call, api/dispatcher.hpp), and
  // its JSON-RPC id: request_id() for the log lines about it.
  const observe::CallOrigin* origin = nullptr;
  std::string_view rpc_id;
  std::string request_id() const {
    return origin ? observe::request_id(*origin, rpc_id) : std::string();
  }

  ConvKey key(const std::string& id) const { return {who.tenant, id}; }
};

// The context of a call made on a socket: what the methods that act on the
// socket itself (authenticate, subscriptions, presence, chatState) need.
struct SocketContext : Context {
  SocketContext(Services& services, std::shared_ptr<Connection> c, ClientState& s, Millis at)
      : Context(services, c->identity() ? *c->identity() : Identity{}, at),
        conn(std::move(c)),
        state(s) {
    socket = this;
  }

  std::shared_ptr<Connection> conn;
  ClientState& state;
};

// A random UUID (v4): conversation, note and correlation ids.
std::string new_conversation_id();

}  // namespace parley
