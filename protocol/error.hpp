// JSON-RPC error codes of PROTOCOL.md §2, the Error value carried through
// every layer, and Result<T>: errors are values on the hot path, never
// exceptions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace parley {

namespace code {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
inline constexpr int unauthenticated = 401;
inline constexpr int forbidden = 403;
inline constexpr int not_found = 404;
inline constexpr int conflict = 409;
inline constexpr int too_large = 413;
inline constexpr int rate_limited = 429;
inline constexpr int unavailable = 503;
}  // namespace code

struct Error {
  int code = code::internal_error;
  std::string message;
  std::string data;  // a serialized JSON object, or empty for none
};

// Constructors for the error shapes PROTOCOL.md §2 defines (data included).
Error parse_error(std::string_view message = "parse error: not JSON");
Error invalid_request(std::string_view message);
Error method_not_found(std::string_view method);
Error invalid_params(std::string_view field, std::string_view reason);
Error internal_error(std::string_view correlation_id);
Error unauthenticated(std::string_view message = "not authenticated");
Error forbidden(std::string_view required, std::string_view message = "not allowed");
Error not_found(std::string_view what = "not found");
Error conflict(std::string_view state, std::string_view message);
Error too_large(std::string_view field, size_t limit);
Error rate_limited(int64_t retry_after_ms);
Error unavailable(std::string_view message = "storage unavailable");

struct Ok {};

// Either a T or an Error.
template <class T>
class Result {
 public:
  Result(T v) : v_(std::move(v)) {}          // NOLINT: implicit by design
  Result(Error e) : v_(std::move(e)) {}      // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

using Status = Result<Ok>;

}  // namespace parley
