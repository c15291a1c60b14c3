#include "error.hpp"

#include "json_writer.hpp"

namespace parley {

Error parse_error(std::string_view message) { return {code::parse_error, std::string(message), {}}; }

Error invalid_request(std::string_view message) {
  return {code::invalid_request, std::string(message), {}};
}

Error method_not_found(std::string_view method) {
  JsonWriter w;
  w.begin_object().field("method", method).end_object();
  return {code::method_not_found, "method not found", w.take()};
}

Error invalid_params(std::string_view field, std::string_view reason) {
  JsonWriter w;
  w.begin_object().field("field", field).field("reason", reason).end_object();
  std::string msg = "invalid params: ";
  msg.append(field).append(": ").append(reason);
  return {code::invalid_params, std::move(msg), w.take()};
}

Error internal_error(std::string_view correlation_id) {
  JsonWriter w;
  w.begin_object().field("correlationId", correlation_id).end_object();
  return {code::internal_error, "internal error", w.take()};
}

Error unauthenticated(std::string_view message) {
  return {code::unauthenticated, std::string(message), {}};
}

Error forbidden(std::string_view required, std::string_view message) {
  JsonWriter w;
  w.begin_object().field("required", required).end_object();
  return {code::forbidden, std::string(message), w.take()};
}

Error not_found(std::string_view what) { return {code::not_found, std::string(what), {}}; }

Error conflict(std::string_view state, std::string_view message) {
  JsonWriter w;
  w.begin_object().field("state", state).end_object();
  return {code::conflict, std::string(message), w.take()};
}

Error too_large(std::string_view field, size_t limit) {
  JsonWriter w;
  w.begin_object().field("field", field).field("limit", static_cast<uint64_t>(limit)).end_object();
  std::string msg = "over limit: ";
  msg.append(field);
  return {code::too_large, std::move(msg), w.take()};
}

Error rate_limited(int64_t retry_after_ms) {
  JsonWriter w;
  w.begin_object().field("retryAfterMs", retry_after_ms).end_object();
  return {code::rate_limited, "rate limited", w.take()};
}

Error unavailable(std::string_view message) {
  return {code::unavailable, std::string(message), R"({"retryable":true})"};
}

}  // namespace parley
