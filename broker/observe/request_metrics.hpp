// What /metrics shows of the requests, per method: the latency histogram
// `parley_request_duration_seconds{method,transport}` and the errors
// `parley_request_method_errors_total{method,code}`. Fixed arrays indexed
// by the method's index in the method table (Params), relaxed atomics: no
// lock, no allocation on the request path. A member of Metrics
// (metrics.hpp), fed by dispatch's one exit (api/dispatcher.cpp,
// finish_call) for both transports.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "histogram.hpp"

namespace parley::observe {

enum class Transport : uint8_t { ws = 0, http = 1 };
inline constexpr size_t kTransports = 2;
std::string_view to_string(Transport t);

// Where a call came from, for /metrics and the log.
struct CallOrigin {
  Transport transport;
  std::chrono::steady_clock::time_point started;  // when its decoding began
  std::string_view request_id;  // HTTP: X-Request-Id or a new one; empty over the WebSocket
  std::string_view connection;  // WebSocket: the socket's id
};

// The request id of a call, as its log lines carry it: HTTP's as given;
// over the WebSocket "<socket id>/<JSON-RPC id>" (`rpc_id` as serialized,
// a string's quotes left out).
std::string request_id(const CallOrigin& origin, std::string_view rpc_id);

class RequestMetrics {
 public:
  // Room for the methods of Params (static_assert in the .cpp), and one
  // slot past them for a call that names no method (or a frame that is no
  // request): method="unknown".
  static constexpr size_t kMaxMethods = 80;
  // The error codes counted apart (protocol/error.hpp), then "other".
  static constexpr std::array<int, 12> kCodes = {-32700, -32600, -32601, -32602, -32603, 401,
                                                 403,    404,    409,    413,    429,    503};

  // One answered call: `method` its index in Params (nullopt: unknown),
  // `error_code` 0 for a result.
  void observe(Transport t, std::optional<size_t> method, int error_code,
               std::chrono::steady_clock::duration took) noexcept;

  const LatencyHistogram& latency(Transport t, std::optional<size_t> method) const;
  uint64_t errors(std::optional<size_t> method, int error_code) const;

  // The two families; a method's series appear once it was called.
  void render(std::string& out) const;

 private:
  static size_t slot(std::optional<size_t> method) noexcept;
  static size_t code_slot(int code) noexcept;

  std::array<std::array<LatencyHistogram, kTransports>, kMaxMethods + 1> latency_{};
  std::array<std::array<std::atomic<uint64_t>, kCodes.size() + 1>, kMaxMethods + 1> errors_{};
};

}  // namespace parley::observe
