// Observability against the real binary (docs/operations.md): the
// per-method latency histograms and errors of /metrics over both
// transports, the outbound queue gauge, and --log-format json with a
// request id on every line about a request.
#include <algorithm>
#include <sstream>

#include "http_api_support.hpp"
#include "metrics_support.hpp"

using namespace parley::it;

namespace {

const std::string kBot = "observe-bot-key-0123456789";

}  // namespace

TEST_CASE("/metrics: per-method latency and errors over both transports") {
  KeysFile keys(key_line("obs", "default", "bot", "obs-bot", "1000", kBot));
  BrokerProcess broker({"--dev", "--api-keys-file", keys.path()});
  const auto port = broker.port();
  const std::string ws_ping = "method=\"ping\",transport=\"ws\"";
  const std::string http_ping = "method=\"ping\",transport=\"http\"";
  auto before = scrape(port);

  auto ann = login_dev(port, "ann");
  for (int i = 0; i < 3; ++i) ann->call("ping");
  for (int i = 0; i < 2; ++i) CHECK(api_post(port, "ping", "{}", kBot).status == 200);
  // Errors: a method that does not exist, a conversation that does not.
  CHECK(error_code(ann->request("noSuchMethod")) == -32601);
  CHECK(error_code(ann->request("getConversation", R"({"conversationId":"nope"})")) == 404);
  CHECK(api_post(port, "getConversation", R"({"conversationId":"nope"})", kBot).status == 404);

  auto after = scrape(port);
  const auto count = [](const std::string& labels) {
    return "parley_request_duration_seconds_count{" + labels + "}";
  };
  CHECK(value(after, count(ws_ping)) - value(before, count(ws_ping)) == 3);
  CHECK(value(after, count(http_ping)) - value(before, count(http_ping)) == 2);
  CHECK(value(after, count("method=\"authenticate\",transport=\"ws\"")) == 1);
  check_buckets(after, "parley_request_duration_seconds", ws_ping);
  check_buckets(after, "parley_request_duration_seconds", http_ping);
  check_buckets(after, "parley_request_duration_seconds", "method=\"getConversation\",transport=\"http\"");
  CHECK(value(after, "parley_request_method_errors_total{method=\"unknown\",code=\"-32601\"}") ==
        1);
  CHECK(value(after, "parley_request_method_errors_total{method=\"getConversation\",code=\"404\"}") ==
        2);
  CHECK(value(after, "parley_request_method_errors_total{method=\"ping\",code=\"404\"}") == 0);
  // Everything was answered and written: nothing stays queued.
  CHECK(wait_until([&] { return value(scrape(port), "parley_outbound_queued_bytes") == 0; }));
  CHECK(after.count("parley_outbound_queued_bytes"));
}

TEST_CASE("--log-format json: one JSON object a line, request ids on request lines") {
  KeysFile keys(key_line("obs", "default", "bot", "obs-bot", "1000", kBot));
  BrokerProcess broker(
      {"--dev", "--api-keys-file", keys.path(), "--log-format", "json", "--log-level", "debug",
       // A moderation hook nobody answers (failing open): its warning is about a request.
       "--send-hook", "http://127.0.0.1:1/hook", "--send-hook-secret", "obs", "--send-hook-fail-open"});
  const auto port = broker.port();

  // HTTP: the client's X-Request-Id (sanitised) comes back and is logged;
  // without one the broker makes one up.
  std::string req = "POST /api/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    "Content-Length: 2\r\nContent-Type: application/json\r\n"
                    "Authorization: Bearer " + kBot + "\r\nX-Request-Id: obs-http 42\r\n\r\n{}";
  HttpResult given = http_exchange(port, req);
  CHECK(given.status == 200);
  CHECK(given.header("X-Request-Id") == "obs-http42");
  HttpResult fresh = api_post(port, "ping", "{}", kBot);
  REQUIRE(fresh.header("X-Request-Id"));
  const std::string fresh_id = *fresh.header("X-Request-Id");
  CHECK(fresh_id.size() == 16);

  // WebSocket: the socket's id and the JSON-RPC id.
  auto ann = login_dev(port, "ann");
  Json pong = ann->exchange_raw(R"({"jsonrpc":"2.0","id":"obs-7","method":"ping"})");
  CHECK(pong.has("/result"));

  auto lines_about = [&](const std::string& method) {
    std::vector<Json> found;
    std::istringstream in(broker.output());
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      Json j = Json::parse(line);  // every line is one JSON object
      if (j.has("/method") && j.get_string("/method") == method) found.push_back(j);
    }
    return found;
  };
  REQUIRE(wait_until([&] { return lines_about("ping").size() == 3; }));

  // Every line parses, and has ts, level, msg and node.
  std::istringstream in(broker.output());
  size_t lines = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    ++lines;
    Json j = Json::parse(line);
    CHECK_MESSAGE(j.is_string("/ts"), line);
    CHECK_MESSAGE(j.is_string("/level"), line);
    CHECK_MESSAGE(j.is_string("/msg"), line);
    CHECK_MESSAGE(j.is_string("/node"), line);
  }
  CHECK(lines >= 4);  // the start line and the requests

  std::vector<std::string> ids;
  for (const Json& j : lines_about("ping")) ids.push_back(j.get_string("/request_id"));
  CHECK(std::count(ids.begin(), ids.end(), "obs-http42") == 1);
  CHECK(std::count(ids.begin(), ids.end(), fresh_id) == 1);
  // The WebSocket ping: "<socket>/obs-7", the same socket as its authenticate.
  auto ws = std::find_if(ids.begin(), ids.end(),
                         [](const std::string& id) { return id.ends_with("/obs-7"); });
  REQUIRE(ws != ids.end());
  auto auth = lines_about("authenticate");
  REQUIRE(auth.size() == 1);
  const std::string socket = ws->substr(0, ws->size() - std::string("/obs-7").size());
  CHECK(!socket.empty());
  CHECK(auth[0].get_string("/request_id").starts_with(socket + "/"));
  CHECK(auth[0].get_string("/transport") == "ws");

  // The moderation hook's failure, logged in the middle of a sendMessage,
  // carries that request's id.
  const std::string conv = create_conversation(*ann).get_string("/id");
  Json sent = ann->exchange_raw(R"({"jsonrpc":"2.0","id":"obs-send","method":"sendMessage",)"
                                R"("params":{"conversationId":")" + conv + R"(","text":"hi"}})");
  CHECK_MESSAGE(sent.has("/result"), sent.frame());
  REQUIRE(wait_until([&] { return lines_about("sendMessage").size() == 2; }));
  auto send_lines = lines_about("sendMessage");
  bool warned = false;
  for (const Json& j : send_lines) {
    CHECK(j.get_string("/request_id") == socket + "/obs-send");
    warned = warned || (j.get_string("/level") == "warning" &&
                        j.get_string("/msg").starts_with("send hook:"));
  }
  CHECK(warned);
}
