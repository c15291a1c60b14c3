// The request layer's entry: decodes each frame of a socket, admits every
// call under the socket's rate, runs each through the method table
// (methods.hpp), and answers. The node's services come in built (server.cpp).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/context.hpp"
#include "net/connection.hpp"
#include "observe/request_metrics.hpp"
#include "request.hpp"

namespace parley {

// Runs one decoded call for `ctx`, whatever the transport: the decoding
// error of its params; 401 before authentication (but for authenticate);
// -32600 for a method that acts on a socket when `ctx` has none; else the
// handler's reply. `call` must outlive the returned awaitable.
asio::awaitable<Result<std::string>> dispatch(Context& ctx, const Call& call);

using observe::CallOrigin;

// Runs one call for either transport, the one place both go through:
// refused with `admitted`'s error (the transport's rate), else dispatch();
// an exception answers -32603 with a correlation id in the log. Then
// finish_call. `ctx` and `call` must outlive the awaitable.
asio::awaitable<Result<std::string>> serve_call(Context& ctx, const Call& call, Status admitted,
                                  CallOrigin origin);

// The end of an answered call: its latency and outcome in /metrics
// (parley_request_duration_seconds, parley_request_method_errors_total,
// the totals) and, at debug level, a line with its request id. `call` is
// null for a frame that was no request.
void finish_call(Services& node, const CallOrigin& origin, const Call* call,
                 const Result<std::string>& reply);

// The request-rate tokens one call takes: limits.expensive_read_cost for
// the tenant-wide reads (Needs::tenant_read in methods.hpp), 1 for the rest
// and for a name that is no method.
double request_cost(std::optional<size_t> method, const Limits& limits);

// The WebSocket transport of the methods.
class Dispatcher : public Handler {
 public:
  explicit Dispatcher(Services& node) : node_(node) {}

  void on_open(const std::shared_ptr<Connection>& c) override;
  asio::awaitable<std::string> on_frame(std::shared_ptr<Connection> c, std::string frame) override;
  void on_close(const std::shared_ptr<Connection>& c) override;
  // A lone sendMessage with valid params: the Redis engine's append issues
  // its script before it first suspends (redis_engine.hpp, CONNECTIONS),
  // the memory engine's does not suspend at all.
  bool pipelinable(std::string_view frame) override;

 private:
  // One call of a frame: its response, or "" for a notification.
  asio::awaitable<std::string> run_call(std::shared_ptr<Connection> conn, const Call& call,
                                        std::chrono::steady_clock::time_point started);

  Services& node_;
};

}  // namespace parley
