#include "harness.hpp"

#include <jwt.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

namespace parley::it {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string mint_token(const std::string& secret, const Claims& claims) {
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0) throw std::runtime_error("jwt_new failed");
  std::unique_ptr<jwt_t, decltype(&jwt_free)> owner(jwt, &jwt_free);
  int rc = jwt_add_grant(jwt, "sub", claims.sub.c_str());
  rc |= jwt_add_grant(jwt, "tenant", claims.tenant.c_str());
  rc |= jwt_add_grant(jwt, "role", claims.role.c_str());
  if (!claims.name.empty()) rc |= jwt_add_grant(jwt, "name", claims.name.c_str());
  if (!claims.prev.empty()) rc |= jwt_add_grant(jwt, "prev", claims.prev.c_str());
  long now = static_cast<long>(std::time(nullptr));
  rc |= jwt_add_grant_int(jwt, "iat", claims.exp_in && *claims.exp_in < 0 ? now - 7200 : now);
  if (claims.exp_in) rc |= jwt_add_grant_int(jwt, "exp", now + static_cast<long>(*claims.exp_in));
  if (claims.alg_none) {
    rc |= jwt_set_alg(jwt, JWT_ALG_NONE, nullptr, 0);
  } else {
    rc |= jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                      static_cast<int>(secret.size()));
  }
  if (rc != 0) throw std::runtime_error("libjwt refused a claim or the algorithm");
  char* encoded = jwt_encode_str(jwt);
  if (!encoded) throw std::runtime_error("jwt_encode_str failed");
  std::string token(encoded);
  std::free(encoded);
  return token;
}

std::optional<std::string> HttpResult::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      return v;
  return std::nullopt;
}

HttpResult http_exchange(uint16_t port, const std::string& request) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  std::string answer;
  beast::error_code failure;
  // One deadline for the whole exchange: tcp_stream closes the socket
  // when it passes, which completes the pending operation with an error.
  stream.expires_after(kWait);
  stream.async_connect(
      net::ip::tcp::endpoint(net::ip::address_v4::loopback(), port), [&](beast::error_code ec) {
        if (ec) {
          failure = ec;
          return;
        }
        net::async_write(stream, net::buffer(request), [&](beast::error_code ec, size_t) {
          if (ec) {
            failure = ec;
            return;
          }
          net::async_read(stream, net::dynamic_buffer(answer), [&](beast::error_code ec, size_t) {
            if (ec != net::error::eof) failure = ec;
          });
        });
      });
  ioc.run();
  if (failure) throw std::runtime_error("HTTP exchange failed: " + failure.message());
  // Status line, header fields, blank line, body.
  HttpResult r;
  const auto head_end = answer.find("\r\n\r\n");
  if (answer.compare(0, 9, "HTTP/1.1 ") != 0 || head_end == std::string::npos)
    throw std::runtime_error("not an HTTP/1.1 answer: " + answer.substr(0, 200));
  r.status = std::stoi(answer.substr(9, 3));
  size_t line = answer.find("\r\n") + 2;
  while (line < head_end) {
    const size_t next = answer.find("\r\n", line);
    const std::string field = answer.substr(line, next - line);
    const size_t colon = field.find(':');
    if (colon != std::string::npos) {
      size_t value = colon + 1;
      while (value < field.size() && field[value] == ' ') ++value;
      r.headers.emplace_back(field.substr(0, colon), field.substr(value));
    }
    line = next + 2;
  }
  r.body = answer.substr(head_end + 4);
  return r;
}

HttpResult http_request(uint16_t port, const std::string& method, const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                        std::to_string(port) + "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  return http_exchange(port, request + "\r\n");
}

namespace {

void check_authenticated(const Json& result, const std::string& user_id, const std::string& role) {
  REQUIRE_MESSAGE(result.get_string("/userId") == user_id, result.frame());
  REQUIRE_MESSAGE(result.get_string("/role") == role, result.frame());
}

}  // namespace

std::unique_ptr<WsClient> login(uint16_t port, const Claims& claims) {
  auto client = std::make_unique<WsClient>(claims.sub);
  client->connect(port);
  Json result = client->call("authenticate", obj({{"token", mint_token(claims)}}));
  check_authenticated(result, claims.sub, claims.role);
  return client;
}

std::unique_ptr<WsClient> login_dev(uint16_t port, const std::string& user_id,
                                    const std::string& role) {
  auto client = std::make_unique<WsClient>(user_id);
  client->connect(port);
  Json result = client->call("authenticate", obj({{"userId", user_id}, {"role", role}}));
  check_authenticated(result, user_id, role);
  return client;
}

Json create_conversation(WsClient& client, std::string params) {
  Json conversation = client.call("createConversation", std::move(params));
  REQUIRE_MESSAGE(conversation.is_string("/id"), conversation.frame());
  REQUIRE_MESSAGE(conversation.is_string("/epoch"), conversation.frame());
  REQUIRE_MESSAGE(conversation.is_int("/lastSeq"), conversation.frame());
  return conversation;
}

Subscription subscribe(WsClient& client, const std::string& conversation_id,
                       std::optional<int64_t> since_seq, std::optional<std::string> epoch) {
  std::string params = "{\"conversationId\":" + quote(conversation_id);
  if (since_seq) params += ",\"sinceSeq\":" + std::to_string(*since_seq);
  if (epoch) params += ",\"epoch\":" + quote(*epoch);
  params += "}";
  Json result = client.call("subscribe", params);
  return Subscription{result.get_string("/epoch"), result.get_int("/lastSeq"),
                      result.get_bool("/recovered"), result.get_int("/replayed")};
}

Json send_message(WsClient& client, const std::string& conversation_id, const std::string& text,
                  std::optional<std::string> client_message_id) {
  std::string params = "{\"conversationId\":" + quote(conversation_id) + ",\"text\":" + quote(text);
  if (client_message_id) params += ",\"clientMessageId\":" + quote(*client_message_id);
  params += "}";
  return client.call("sendMessage", params);
}

Json expect_error(WsClient& client, std::string_view method, std::string params, int64_t code) {
  std::string sent = params;
  Json response = client.request(method, std::move(params));
  bool ok = response.has("/error/code") && response.is_int("/error/code") &&
            response.get_int("/error/code") == code;
  CHECK_MESSAGE(ok, client.name() << ": " << method << " " << sent << " answered "
                                  << response.frame() << ", expected error " << code);
  return response;
}

Json EventFollower::next(Millis timeout) {
  Json push = client_.expect_event(timeout);
  Json event = push.at("/params");
  INFO(client_.name() << " received " << push.frame());
  REQUIRE(event.get_string("/conversationId") == conversation_id_);
  REQUIRE(event.get_int("/seq") == last_seq_ + 1);
  REQUIRE(event.get_int("/prevSeq") == last_seq_);
  last_seq_ = event.get_int("/seq");
  return event;
}

}  // namespace parley::it
