// The HTTP server API (docs/server-api.md): `POST /api/v1/<method>` with the
// method's params as the body, and `POST /api/v1/batch` with an array of
// {method, params}. Each call goes through the one method table and
// dispatch() (dispatcher.hpp), exactly as a WebSocket call does, as the
// service identity its API key names (api_keys.hpp), under that key's
// request rate. The transport (Beast, keep-alive, the body limit) stays in
// the listener; this takes a parsed request and answers a reply.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "api/api_keys.hpp"
#include "api/context.hpp"
#include "api/conversation_io.hpp"
#include "net/http.hpp"

namespace parley {

// The prefix of every path of the API.
inline constexpr std::string_view kApiPrefix = "/api/v1/";
// Whether `path` belongs to the API (/api/v1 and below).
bool is_api_path(std::string_view path);

// The HTTP status of a JSON-RPC / Parley error code (the table of
// docs/server-api.md): -32700, -32600 and -32602 are 400, -32601 is 404,
// -32603 is 500, the codes 400..599 are themselves, anything else 500.
unsigned http_status(int code);

// The JSON error object {code, message, data?} of an error.
std::string error_object(const Error& e);

struct ApiRequest {
  std::string_view method;  // the HTTP method
  std::string_view target;
  std::string_view content_type;
  std::string_view authorization;
  std::string_view body;
  std::string_view request_id;  // X-Request-Id, sanitised, or a new one (api_transport.cpp)
};

class HttpApi {
 public:
  HttpApi(Services& node, ApiKeyStore& keys) : node_(node), keys_(keys) {}

  // The answer to one request at an API path. Its views must outlive the
  // awaitable.
  asio::awaitable<HttpReply> handle(const ApiRequest& req);

 private:
  // One call as the key's identity: admitted under its rate, dispatched
  // (serve_call); `started` is when its decoding began.
  asio::awaitable<Reply> run(const ApiKey& key, std::string_view method,
                             std::string_view params_json,
                             std::chrono::steady_clock::time_point started,
                             std::string_view request_id);

  Services& node_;
  ApiKeyStore& keys_;
};

}  // namespace parley
