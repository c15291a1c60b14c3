#include "net/api_transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <tuple>

#include "api/http_api.hpp"
#include "observe/logging.hpp"
#include "tuning.hpp"

namespace parley {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// The lingering close's bounds.
constexpr std::chrono::milliseconds kApiLinger{1000};
constexpr size_t kApiLingerBytes = 1024 * 1024;

HttpReply plain_error(unsigned status, int code, std::string message) {
  HttpReply r;
  r.status = status;
  r.content_type = "application/json";
  r.body = error_object(Error{code, std::move(message), ""});
  return r;
}

}  // namespace

http::response<http::string_body> beast_response(HttpReply reply, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
  res.set(http::field::server, "parley/" PARLEY_VERSION);
  if (!reply.content_type.empty()) res.set(http::field::content_type, reply.content_type);
  res.set(http::field::cache_control, reply.cache_control);
  for (const auto& [name, value] : reply.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = std::move(reply.body);
  // A 304 has no body and no Content-Length (it would have to be the
  // length of the 200 it stands for).
  if (reply.status != 304) res.prepare_payload();
  return res;
}

asio::awaitable<void> serve_api(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                ApiParser& first, HttpApi& api, size_t body_limit) {
  // Beast's parser is not movable: the first is the caller's, the next
  // ones are made in place here.
  ApiParser* parser = &first;
  std::optional<ApiParser> next;
  for (;;) {
    parser->body_limit(body_limit);
    const auto length = parser->content_length();
    const bool too_long = length && *length > body_limit;
    // curl and others wait for this before sending a larger body.
    if (!too_long && iequals_ascii(parser->get()[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [wec, wn] =
          co_await asio::async_write(stream, asio::buffer(kContinue), kUseTuple);
      if (wec) co_return;
    }
    // The request's id (logs, X-Request-Id on the answer): the client's,
    // sanitised, or a new one.
    const std::string request_id =
        observe::request_id_from_header(parser->get()["X-Request-Id"]);
    boost::system::error_code ec;
    if (too_long) {
      ec = http::error::body_limit;  // not read: the connection ends after the 413
    } else {
      stream.expires_after(kHttpReadTimeout);
      std::tie(ec, std::ignore) = co_await http::async_read(stream, buffer, *parser, kUseTuple);
    }
    HttpReply reply;
    bool keep = false;
    if (ec == http::error::body_limit) {
      reply = plain_error(413, code::too_large,
                          "the body is over " + std::to_string(body_limit) + " bytes");
    } else if (ec) {
      // A peer that went away or stalled gets nothing; a malformed body a 400.
      if (ec.category() != http::make_error_code(http::error::end_of_stream).category() ||
          ec == http::error::end_of_stream || ec == http::error::partial_message)
        co_return;
      reply = plain_error(400, code::parse_error, "bad request");
    } else {
      auto req = parser->release();
      ApiRequest r{req.method_string(), req.target(), req[http::field::content_type],
                   req[http::field::authorization], req.body(), request_id};
      reply = co_await api.handle(r);
      keep = req.keep_alive();
    }
    reply.headers.emplace_back("X-Request-Id", request_id);
    auto res = beast_response(std::move(reply), keep);
    stream.expires_after(kHttpReadTimeout);
    auto [wec, wn] = co_await http::async_write(stream, res, kUseTuple);
    if (wec) co_return;
    if (!keep) break;
    // The next request on the same connection: an API request again, else
    // the connection ends after a 404.
    next.emplace();
    parser = &*next;
    parser->header_limit(kHttpHeaderBytes);
    // The head's Content-Length is checked at the top of the loop.
    parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream.expires_after(kHttpReadTimeout);
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, *parser, kUseTuple);
    if (hec) co_return;
    if (!is_api_path(target_path(parser->get().target()))) {
      auto nf = beast_response(plain_error(404, code::not_found,
                                        "only /api/v1/ on a kept-alive API connection"),
                            false);
      co_await http::async_write(stream, nf, kUseTuple);
      break;
    }
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  // A lingering close: what the client still sends (the rest of a body
  // refused with 413) is read and dropped for a moment, bounded, so that
  // closing with unread bytes does not reset the connection and lose the
  // answer on the client's side.
  stream.expires_after(kApiLinger);
  std::array<char, 4096> sink;
  for (size_t dropped = 0; dropped < kApiLingerBytes;) {
    auto [rec, rn] = co_await stream.async_read_some(asio::buffer(sink), kUseTuple);
    if (rec) break;
    dropped += rn;
  }
}

}  // namespace parley
