#include "hooks/http_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>

namespace parley::hooks {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::optional<HttpTarget> parse_http_url(std::string_view url) {
  HttpTarget t;
  t.url = std::string(url);
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    t.tls = true;
    rest = url.substr(8);
  } else {
    return std::nullopt;
  }
  auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    t.target = std::string(rest.substr(slash));
    if (t.target.front() == '?') t.target.insert(t.target.begin(), '/');
  }
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view host = authority, port;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port = authority.substr(close + 2);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return std::nullopt;
  for (char c : port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  if (!port.empty() && (port.size() > 5 || std::stoi(std::string(port)) > 65535))
    return std::nullopt;
  t.host = std::string(host);
  t.port = port.empty() ? (t.tls ? "443" : "80") : std::string(port);
  for (char c : t.target)
    if (static_cast<unsigned char>(c) <= ' ') return std::nullopt;
  return t;
}

std::shared_ptr<asio::ssl::context> make_tls_context(const std::string& ca_file) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_verify_mode(asio::ssl::verify_peer);
  if (ca_file.empty())
    ctx->set_default_verify_paths();
  else
    ctx->load_verify_file(ca_file);
  return ctx;
}

namespace {

Error failed(const HttpTarget& to, std::string_view what, const boost::system::error_code& ec) {
  return Error{code::unavailable, to.url + ": " + std::string(what) + ": " + ec.message(), {}};
}

template <class Stream>
asio::awaitable<Result<HttpResponse>> exchange(Stream& stream, beast::tcp_stream& tcp,
                                               const HttpTarget& to,
                                               http::request<http::string_body>& req,
                                               std::chrono::steady_clock::time_point deadline) {
  boost::system::error_code ec;
  tcp.expires_at(deadline);
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed(to, "write", ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1024 * 1024);
  tcp.expires_at(deadline);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed(to, "read", ec);
  HttpResponse r;
  r.status = static_cast<int>(parser.get().result_int());
  r.body = std::move(parser.get().body());
  co_return r;
}

}  // namespace

asio::awaitable<Result<HttpResponse>> http_post(
    const HttpTarget& to, const std::vector<std::pair<std::string, std::string>>& headers,
    std::string body, PostOptions options, asio::ssl::context* tls) {
  auto executor = co_await asio::this_coro::executor;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + options.total_timeout;
  boost::system::error_code ec;

  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(to.host, to.port,
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed(to, "resolve", ec);

  http::request<http::string_body> req{http::verb::post, to.target, 11};
  req.set(http::field::host, to.host);
  req.set(http::field::user_agent, "parley-hooks");
  req.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = std::move(body);
  req.prepare_payload();
  req.keep_alive(false);

  auto connect_deadline = std::min(deadline, start + options.connect_timeout);
  if (!to.tls) {
    beast::tcp_stream stream(executor);
    stream.expires_at(connect_deadline);
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed(to, "connect", ec);
    auto r = co_await exchange(stream, stream, to, req, deadline);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return r;
  }
  if (!tls) co_return Error{code::unavailable, to.url + ": no TLS context", {}};
  beast::ssl_stream<beast::tcp_stream> stream(executor, *tls);
  // SNI, and the name the certificate must carry.
  if (!SSL_set_tlsext_host_name(stream.native_handle(), to.host.c_str()) ||
      !SSL_set1_host(stream.native_handle(), to.host.c_str()))
    co_return Error{code::unavailable, to.url + ": cannot set the TLS host name", {}};
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_at(connect_deadline);
  co_await lowest.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed(to, "connect", ec);
  lowest.expires_at(deadline);
  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed(to, "TLS handshake", ec);
  auto r = co_await exchange(stream, lowest, to, req, deadline);
  lowest.socket().shutdown(tcp::socket::shutdown_both, ec);
  co_return r;
}

}  // namespace parley::hooks
