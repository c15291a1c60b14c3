// The outbound HTTP client of the hooks: one POST on a fresh connection,
// with Beast, over TLS (OpenSSL, through boost/beast/ssl) for https://.
// Used by the webhook deliveries (webhooks.hpp) and the moderation hook
// (send_hook.hpp).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "error.hpp"

namespace parley::hooks {

namespace asio = boost::asio;

// Where a request goes: http[s]://HOST[:PORT][/PATH[?QUERY]].
struct HttpTarget {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target = "/";  // path and query
  std::string url;           // as given (for logs and dead letters)
};
// nullopt when `url` is not an http:// or https:// URL with a host.
std::optional<HttpTarget> parse_http_url(std::string_view url);

struct HttpResponse {
  int status = 0;
  std::string body;
};

struct PostOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{15000};
};

// The TLS settings of https:// targets: the peer is verified against the
// system's CAs, or against `ca_file` when given; its name must match.
std::shared_ptr<asio::ssl::context> make_tls_context(const std::string& ca_file);

// POSTs `body` (application/json) with the extra `headers`. An Error
// (code 503) when the connection, TLS or the exchange failed or timed out;
// any HTTP status is a response.
asio::awaitable<Result<HttpResponse>> http_post(
    const HttpTarget& to, const std::vector<std::pair<std::string, std::string>>& headers,
    std::string body, PostOptions options, asio::ssl::context* tls);

}  // namespace parley::hooks
