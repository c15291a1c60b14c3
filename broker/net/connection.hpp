// The seam between the network layer (net/session.hpp: WebSocket framing,
// queues, timers, rate limits) and the request layer (api/router.hpp:
// methods, hub).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "error.hpp"
#include "model.hpp"

namespace parley {

// One client socket, as the request layer sees it. Implemented by Session.
class Connection {
 public:
  virtual ~Connection() = default;

  // Set once authenticated (from the upgrade request or `authenticate`).
  virtual const std::optional<Identity>& identity() const = 0;
  // Marks the socket authenticated: cancels the authentication deadline and
  // arms the token-expiry close (4001) when `who.expires_at` is set.
  virtual void set_identity(Identity who) = 0;

  // Queues a server push. Thread-safe; callable from any thread. While a
  // request is being handled, pushes are held and written after its
  // response. If the queued bytes exceed the outbound limit the socket is
  // closed with 4008 and the frame dropped. Returns false when the socket is
  // closing or was just closed for being slow. `source` names what pushed
  // the frame (a subscription), for withdraw_held.
  virtual bool push(std::shared_ptr<const std::string> frame, const void* source) = 0;
  bool push(std::shared_ptr<const std::string> frame) { return push(std::move(frame), nullptr); }
  // Drops the pushes from `source` still held behind the response being
  // handled: a subscription cancelled by that request (unsubscribe, or a
  // subscribe that replaces it) sends nothing after its response.
  virtual void withdraw_held(const void* source) = 0;

  // Admission of one request under the per-socket rate limit, taking
  // `cost` tokens (1; more for an expensive read): OK, or 429 with
  // retryAfterMs. Repeated abuse closes the socket with 4029.
  virtual Status admit_request(double cost) = 0;

  // Closes the socket with a WebSocket close code. Thread-safe.
  virtual void close(uint16_t code, std::string_view reason) = 0;

  virtual boost::asio::any_io_executor executor() const = 0;
  virtual const std::string& session_id() const = 0;

  // Request-layer state attached to this socket (subscriptions, ...).
  std::shared_ptr<struct ClientState> context;  // defined by api/client_state.hpp
};

// What the network layer calls. Implemented by Router.
class Handler {
 public:
  virtual ~Handler() = default;
  // Once per socket, after the upgrade (identity set already if the upgrade
  // carried a valid token).
  virtual void on_open(const std::shared_ptr<Connection>& c) = 0;
  // One text frame (valid UTF-8, within the frame limit). Returns the
  // response frame, or "" when there is nothing to answer. The session
  // handles one frame at a time, in arrival order.
  virtual boost::asio::awaitable<std::string> on_frame(std::shared_ptr<Connection> c,
                                                       std::string frame) = 0;
  // Once, when the socket is gone.
  virtual void on_close(const std::shared_ptr<Connection>& c) = 0;
  // Whether `frame` may start while the frames before it still run: its
  // handler reaches its one storage call without suspending first, so a run
  // of such frames, started in order, commits in order. The session starts
  // a run of them together and still answers them in order, each response
  // before the pushes it caused. Asked only when two or more frames wait.
  virtual bool pipelinable(std::string_view frame) {
    (void)frame;
    return false;
  }
};

}  // namespace parley
