// Transport rules (PROTOCOL §1, §7): frame size, the authentication
// deadline, plain HTTP on the same port, shutdown.
#include <signal.h>
#include <sys/wait.h>

#include "harness.hpp"

using namespace parley::it;

TEST_CASE("a frame over --max-frame-bytes closes the socket with 1009") {
  BrokerProcess broker({"--dev", "--max-frame-bytes", "1024"});
  auto ann = login_dev(broker.port(), "ann");

  // Just under the limit: answered (an unknown field), not closed.
  std::string padded = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":")";
  std::string small = padded + std::string(900, 'x') + "\"}}";
  REQUIRE(small.size() < 1024);
  Json r = ann->exchange_raw(small);
  CHECK_MESSAGE(error_code(r) == -32602, r.frame());

  std::string big = padded + std::string(2000, 'x') + "\"}}";
  ann->send_raw(big);
  CloseInfo closed = ann->expect_close();
  CHECK_MESSAGE(closed.code == 1009, closed.describe());
}

TEST_CASE("invalid UTF-8 in a text frame closes the socket with 1007") {
  BrokerProcess broker({"--dev"});
  auto ann = login_dev(broker.port(), "ann");
  ann->send_raw(
      "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\",\"params\":{\"x\":\"\xff\xfe\"}}");
  CloseInfo closed = ann->expect_close();
  CHECK_MESSAGE(closed.code == 1007, closed.describe());
}

TEST_CASE("a socket whose token expires is closed with 4001") {
  BrokerProcess broker(jwt_args());
  WsClient ann("ann");
  ann.connect(broker.port());
  // exp is whole seconds: 2 s from now is at least 1 s after authenticate.
  ann.call("authenticate", obj({{"token", mint_token(Claims("ann").exp_in_(2))}}));
  CloseInfo closed = ann.expect_close();
  CHECK_MESSAGE(closed.code == 4001, closed.describe());
}

TEST_CASE("an unauthenticated socket gets 401 for everything, then 4001 at the deadline") {
  BrokerProcess broker(jwt_args({"--auth-timeout-ms", "300"}));
  WsClient anon("anon");
  anon.connect(broker.port());
  expect_error(anon, "ping", "{}", 401);
  expect_error(anon, "createConversation", "{}", 401);
  expect_error(anon, "subscribe", obj({{"conversationId", "x"}}), 401);
  CloseInfo closed = anon.expect_close();
  CHECK_MESSAGE(closed.code == 4001, closed.describe());

  // An authenticated socket outlives the deadline: after waiting past it
  // (no close arrives meanwhile) it still answers.
  auto ann = login(broker.port(), "ann");
  CHECK_FALSE(ann->read_frame(Millis(900)).has_value());
  CHECK_FALSE(ann->ended().has_value());
  CHECK(ann->call("ping").is_int("/serverTime"));
}

TEST_CASE("--allowed-origin: a listed origin in any case is let in, another is closed 4003") {
  // The configured origin's case and trailing slash do not matter.
  BrokerProcess broker(jwt_args({"--allowed-origin", "https://Chat.Example.com/"}));
  for (std::string origin : {"https://chat.example.com", "HTTPS://CHAT.EXAMPLE.COM"}) {
    WsClient ok("listed");
    ok.connect(broker.port(), "/ws", {{"Origin", origin}});
    Json me = ok.call("authenticate", obj({{"token", mint_token(Claims("ann"))}}));
    CHECK_MESSAGE(me.get_string("/userId") == "ann", origin);
  }
  WsClient none("no origin");  // not a browser: always let in
  none.connect(broker.port());
  CHECK(none.call("authenticate", obj({{"token", mint_token(Claims("ann"))}}))
            .get_string("/userId") == "ann");
  // An empty Origin is a wrong one, not a missing one.
  for (std::string origin : {"https://evil.example.com", "https://chat.example.com/", ""}) {
    WsClient refused("refused");
    refused.connect(broker.port(), "/ws", {{"Origin", origin}});
    CloseInfo closed = refused.expect_close();
    const std::string why = origin + ": " + closed.describe();
    CHECK_MESSAGE(closed.code == 4003, why);
  }
}

TEST_CASE("plain HTTP on the same port: /healthz, /readyz, /metrics, 404") {
  BrokerProcess broker({"--dev"});
  HttpResult health = http_get(broker.port(), "/healthz");
  CHECK_MESSAGE(health.status == 200, health.body);
  HttpResult ready = http_get(broker.port(), "/readyz");
  CHECK_MESSAGE(ready.status == 200, ready.body);
  HttpResult metrics = http_get(broker.port(), "/metrics");
  CHECK_MESSAGE(metrics.status == 200, metrics.body);
  HttpResult other = http_get(broker.port(), "/no-such-page");
  CHECK(other.status == 404);
}

TEST_CASE("SIGTERM closes sockets 1012 (service restart), SIGINT 1001; the broker exits 0") {
  // No --drain-sec: SIGTERM's drain closes them at once (drain_test.cpp has the rest).
  for (auto [signal, code] : {std::pair{SIGTERM, 1012}, std::pair{SIGINT, 1001}}) {
    CAPTURE(signal);
    BrokerProcess broker({"--dev"});
    auto ann = login_dev(broker.port(), "ann");
    auto status = broker.signal_and_wait(signal, std::chrono::seconds(10));
    REQUIRE_MESSAGE(status.has_value(), "still running 10 s after the signal");
    CHECK_MESSAGE((WIFEXITED(*status) && WEXITSTATUS(*status) == 0), "wait status " << *status);
    CloseInfo closed = ann->expect_close();
    CHECK_MESSAGE(closed.code == code, closed.describe());
  }
}
