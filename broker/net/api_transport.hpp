// The transport of the HTTP server API (api/http_api.hpp): a connection
// whose first request head is at /api/v1/ is served here, request after
// request while the client keeps it alive (HTTP/1.1 keep-alive), each body
// bounded by limits.frame_bytes (413 past it) and each answered by HttpApi.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>

#include "net/http.hpp"

namespace parley {

class HttpApi;

using ApiParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// The Beast message of a reply (Server, Content-Type, Cache-Control, its
// other fields, Content-Length but for a 304).
boost::beast::http::response<boost::beast::http::string_body> beast_response(HttpReply reply,
                                                                              bool keep_alive);

// `parser` (which must outlive the awaitable) has read the first request's head (at an API path); `buffer`
// holds what was read past it.
boost::asio::awaitable<void> serve_api(boost::beast::tcp_stream& stream,
                                       boost::beast::flat_buffer& buffer, ApiParser& parser,
                                       HttpApi& api, size_t body_limit);

}  // namespace parley
