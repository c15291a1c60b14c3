// Plain HTTP on the WebSocket port (PROTOCOL.md §7) and the small parsing
// helpers the upgrade needs. Pure functions and no Beast here, so they can
// be unit-tested without a socket; the listener turns replies into Beast
// messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine.hpp"
#include "metrics.hpp"

namespace parley {

struct HttpReply {
  unsigned status = 404;
  std::string content_type = "text/plain; charset=utf-8";  // empty: no Content-Type
  std::string body;
  std::string cache_control = "no-store";
  std::vector<std::pair<std::string, std::string>> headers;  // any other fields
};

// The paths the broker answers itself (/ws, /healthz, /readyz, /metrics):
// they take precedence over the web UI's files.
bool builtin_path(std::string_view path);

// The answer to a request that is not a WebSocket upgrade:
//   GET /healthz -> 200 "ok"              (the process serves)
//   GET /readyz  -> 200 / 503             (storage answers: engine.ready())
//   GET /metrics -> 200, Prometheus text  (Metrics::render_prometheus)
// HEAD is answered like GET (the listener drops the body); anything else is
// 404.
HttpReply http_reply(std::string_view method, std::string_view target, const Engine& engine,
                     const Metrics& metrics);

// Equal but for ASCII letter case (header names, schemes, tokens, origins).
bool iequals_ascii(std::string_view a, std::string_view b);
// Whether a browser Origin is in --allowed-origin: compared
// case-insensitively (scheme and host are), a trailing slash in the
// setting forgiven. False for an empty list (the caller decides what "none
// configured" means).
bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed);
// The path of a request target: "/ws?token=x" -> "/ws".
std::string_view target_path(std::string_view target);

// The decoded value of the first `name=` parameter in the target's query
// string, if present. A value with a bad %-escape counts as absent.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

// %XX escapes and '+' (space), as in a form-encoded query string; with
// `plus_is_space` false (a URL's path), '+' stays a plus. nullopt when an
// escape is malformed.
std::optional<std::string> url_decode(std::string_view s, bool plus_is_space = true);

// The token of an `Authorization: Bearer <token>` header value (the scheme
// is case-insensitive), if it is one.
std::optional<std::string> bearer_token(std::string_view authorization);

}  // namespace parley
