// The integration tests' harness: the broker as a child process, a
// WebSocket client, JSON, tokens, plain HTTP, and the few protocol steps
// every test repeats (log in, create, subscribe, send, follow the events).
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker_process.hpp"
#include "json.hpp"
#include "wait.hpp"
#include "ws_client.hpp"

namespace parley::it {

// Polls a condition with a bound (tests/support/wait.hpp).
using testing::wait_until;

// The HS256 secret the tests start the broker with (--jwt-secret).
inline constexpr const char* kSecret = "s3cret";

// Broker flags for a test with tokens.
inline std::vector<std::string> jwt_args(std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--jwt-secret", kSecret};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// A token's claims; set the optional ones fluently:
// `Claims("ann").tenant_("t1").role_("agent")`.
struct Claims {
  explicit Claims(std::string user) : sub(std::move(user)) {}
  Claims& tenant_(std::string t) { return tenant = std::move(t), *this; }
  Claims& role_(std::string r) { return role = std::move(r), *this; }
  Claims& name_(std::string n) { return name = std::move(n), *this; }
  Claims& exp_in_(std::optional<int64_t> seconds) { return exp_in = seconds, *this; }
  Claims& alg_none_() { return alg_none = true, *this; }
  Claims& prev_(std::string p) { return prev = std::move(p), *this; }

  std::string sub;
  std::string tenant = "default";
  std::string role = "consumer";
  std::string name;                      // omitted when empty
  std::optional<int64_t> exp_in = 3600;  // seconds from now; negative: expired; nullopt: no exp
  bool alg_none = false;                 // an unsigned token (`alg: none`), which must be refused
  std::string prev;                      // consumerTakeover's `prev`; omitted when empty
};

// A JWT signed HS256 with `secret` (libjwt).
std::string mint_token(const std::string& secret, const Claims& claims);
inline std::string mint_token(const Claims& claims) { return mint_token(kSecret, claims); }

// Plain HTTP on 127.0.0.1:port, one request per connection, bounded by
// kWait; the answer is read until the broker closes the connection.
struct HttpResult {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // as sent
  std::string body;
  // The first field of that name (ASCII case ignored), if sent.
  std::optional<std::string> header(std::string_view name) const;
};
// `request`: the bytes to send, as they are (any target, any bytes).
HttpResult http_exchange(uint16_t port, const std::string& request);
// METHOD TARGET HTTP/1.1 with Host, Connection: close and `headers`.
HttpResult http_request(uint16_t port, const std::string& method, const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& headers = {});
inline HttpResult http_get(uint16_t port, const std::string& target) {
  return http_request(port, "GET", target);
}

// A connected client authenticated by `authenticate {token}`.
std::unique_ptr<WsClient> login(uint16_t port, const Claims& claims);
inline std::unique_ptr<WsClient> login(uint16_t port, const std::string& sub,
                                       const std::string& role = "consumer",
                                       const std::string& tenant = "default") {
  return login(port, Claims(sub).tenant_(tenant).role_(role));
}
// A connected client authenticated by the --dev form `authenticate {userId, role}`.
std::unique_ptr<WsClient> login_dev(uint16_t port, const std::string& user_id,
                                    const std::string& role = "consumer");

// createConversation; returns the conversation (the response's result).
Json create_conversation(WsClient& client, std::string params = "{}");

struct Subscription {
  std::string epoch;
  int64_t last_seq = 0;
  bool recovered = false;
  int64_t replayed = 0;
};
Subscription subscribe(WsClient& client, const std::string& conversation_id,
                       std::optional<int64_t> since_seq = std::nullopt,
                       std::optional<std::string> epoch = std::nullopt);

// sendMessage; returns the result {seq, ts, epoch, duplicate}.
Json send_message(WsClient& client, const std::string& conversation_id, const std::string& text,
                  std::optional<std::string> client_message_id = std::nullopt);

// The error code of a response frame (throws when it is not an error).
inline int64_t error_code(const Json& response) { return response.get_int("/error/code"); }

// Sends a request that must fail with `code`; CHECKs it (showing the frame)
// and returns the response.
Json expect_error(WsClient& client, std::string_view method, std::string params, int64_t code);

// Follows one conversation's events on one client and checks the sequence
// promise: each event's seq is the previous one + 1 and its prevSeq is the
// previous seq (for receivers that may see every event of the log).
class EventFollower {
 public:
  EventFollower(WsClient& client, std::string conversation_id, int64_t last_seq)
      : client_(client), conversation_id_(std::move(conversation_id)), last_seq_(last_seq) {}
  // The next `event` push of this conversation, checked; returns its params.
  Json next(Millis timeout = kWait);
  int64_t last_seq() const { return last_seq_; }

 private:
  WsClient& client_;
  std::string conversation_id_;
  int64_t last_seq_;
};

}  // namespace parley::it
