#include "api/http_api.hpp"

#include <simdjson.h>

#include "api/dispatcher.hpp"
#include "clock.hpp"
#include "json_writer.hpp"
#include "request.hpp"

namespace parley {

namespace {

constexpr std::string_view kJson = "application/json";

HttpReply json_reply(unsigned status, std::string body) {
  HttpReply r;
  r.status = status;
  r.content_type = std::string(kJson);
  r.body = std::move(body);
  return r;
}

HttpReply error_reply(const Error& e) {
  HttpReply r = json_reply(http_status(e.code), error_object(e));
  if (e.code == code::unauthenticated) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  // A rate refusal's data.retryAfterMs, in whole seconds (rounded up).
  if (e.code == code::rate_limited && !e.data.empty()) {
    simdjson::dom::parser parser;
    int64_t ms = 0;
    if (!parser.parse(e.data).at_key("retryAfterMs").get(ms) && ms > 0)
      r.headers.emplace_back("Retry-After", std::to_string((ms + 999) / 1000));
  }
  return r;
}

// Content-Type: application/json, with any parameters (charset=utf-8).
bool json_content_type(std::string_view v) {
  v = v.substr(0, v.find(';'));
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  return iequals_ascii(v, kJson);
}

bool plain_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  return true;
}

// The JSON-RPC request that carries one call: the body has been parsed
// whole as one JSON object, so putting it in as `params` cannot change the
// envelope around it.
std::string envelope(std::string_view method, std::string_view params_json) {
  JsonWriter w;
  w.begin_object()
      .field("jsonrpc", "2.0")
      .field("id", int64_t{1})
      .field("method", method)
      .field_raw("params", params_json)
      .end_object();
  return w.take();
}

// The body as one JSON value (an empty body is {}), or the 400 to answer.
Result<std::string> minified(std::string_view body, simdjson::dom::parser& parser,
                             simdjson::dom::element& out) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) body = "{}";
  simdjson::padded_string padded(body);
  auto doc = parser.parse(padded);
  if (doc.error()) return parse_error("parse error: the body is not JSON");
  out = doc.value();
  return simdjson::minify(out);
}

}  // namespace

bool is_api_path(std::string_view path) {
  return path == kApiPrefix.substr(0, kApiPrefix.size() - 1) || path.starts_with(kApiPrefix);
}

unsigned http_status(int c) {
  switch (c) {
    case code::parse_error:
    case code::invalid_request:
    case code::invalid_params:
      return 400;
    case code::method_not_found:
      return 404;
    default:
      return c >= 400 && c <= 599 ? static_cast<unsigned>(c) : 500;
  }
}

std::string error_object(const Error& e) {
  JsonWriter w;
  w.begin_object().field("code", e.code).field("message", e.message);
  if (!e.data.empty()) w.field_raw("data", e.data);
  w.end_object();
  return w.take();
}

asio::awaitable<HttpReply> HttpApi::handle(const ApiRequest& req) {
  const auto started = std::chrono::steady_clock::now();
  if (req.method != "POST") {
    HttpReply r = error_reply(Error{405, "method not allowed: the API takes POST", ""});
    r.headers.emplace_back("Allow", "POST");
    co_return r;
  }
  auto token = bearer_token(req.authorization);
  if (!token) co_return error_reply(unauthenticated("missing API key (Authorization: Bearer)"));
  auto key = keys_.find(*token);
  if (!key) co_return error_reply(unauthenticated("unknown API key"));
  if (!json_content_type(req.content_type))
    co_return error_reply(Error{415, "Content-Type must be application/json", ""});

  std::string_view path = target_path(req.target);
  std::string_view method =
      path.size() > kApiPrefix.size() ? path.substr(kApiPrefix.size()) : std::string_view();
  if (!plain_name(method)) co_return error_reply(method_not_found(method));
  // Registered like a token's user (PROTOCOL §5): listUsers and getUser know it.
  const auto executor = co_await asio::this_coro::executor;
  node_.registrar.on_authenticated(executor, key->identity, wall_clock_ms());

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  auto body = minified(req.body, parser, doc);
  if (!body.ok()) co_return error_reply(body.error());

  if (method != "batch") {
    if (!doc.is_object()) co_return error_reply(invalid_params("params", "must be an object"));
    Reply reply = co_await run(*key, method, *body, started, req.request_id);
    co_return reply.ok() ? json_reply(200, std::move(reply.value())) : error_reply(reply.error());
  }

  // A batch: [{method, params}, ...], run in order; one answer per call.
  if (!doc.is_array())
    co_return error_reply(invalid_request("a batch is an array of {method, params}"));
  auto calls = doc.get_array().value();
  if (calls.size() == 0) co_return error_reply(invalid_request("empty batch"));
  if (calls.size() > node_.cfg.limits.batch)
    co_return error_reply(too_large("batch", node_.cfg.limits.batch));
  std::string out = "[";
  bool first = true;
  for (simdjson::dom::element item : calls) {
    Reply reply = Error{};
    simdjson::dom::object obj;
    std::string_view name;
    if (item.get_object().get(obj) || obj["method"].get_string().get(name)) {
      reply = invalid_request("each call is an object with a string \"method\"");
    } else {
      simdjson::dom::element params;
      std::string params_json = "{}";
      const bool has_params = !obj["params"].get(params);
      if (has_params) params_json = simdjson::minify(params);
      bool extra = false;
      for (auto field : obj)
        if (field.key != "method" && field.key != "params") extra = true;
      if (extra)
        reply = invalid_request("a call has only \"method\" and \"params\"");
      else if (has_params && !params.is_object())
        reply = invalid_params("params", "must be an object");
      else if (!plain_name(name) || name == "batch")
        reply = method_not_found(name);
      else
        reply = co_await run(*key, name, params_json, std::chrono::steady_clock::now(),
                             req.request_id);
    }
    if (!first) out.push_back(',');
    first = false;
    JsonWriter w;
    w.begin_object();
    if (reply.ok())
      w.field("status", int64_t{200}).field_raw("result", reply.value());
    else
      w.field("status", int64_t{http_status(reply.error().code)})
          .field_raw("error", error_object(reply.error()));
    w.end_object();
    out += w.take();
  }
  out.push_back(']');
  co_return json_reply(200, std::move(out));
}

asio::awaitable<Reply> HttpApi::run(const ApiKey& key, std::string_view method,
                                    std::string_view params_json,
                                    std::chrono::steady_clock::time_point started,
                                    std::string_view request_id) {
  const CallOrigin origin{observe::Transport::http, started, request_id, {}};
  auto decoded = decode_frame(envelope(method, params_json), node_.cfg.limits);
  if (!decoded.ok()) {
    Reply reply = decoded.error();
    finish_call(node_, origin, nullptr, reply);
    co_return reply;
  }
  const Call& call = decoded->calls.front();
  auto verdict =
      keys_.admit(key, request_cost(call.index, node_.cfg.limits), RateLimiter::Clock::now());
  Status admitted = Ok{};
  if (!verdict.admitted) admitted = rate_limited(verdict.retry_after_ms);
  Context ctx(node_, key.identity, wall_clock_ms());
  co_return co_await serve_call(ctx, call, std::move(admitted), origin);
}

}  // namespace parley
