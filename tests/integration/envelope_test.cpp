// The JSON-RPC envelope: bad input is answered, never fatal to the socket;
// batches are answered by one array.
#include "harness.hpp"

using namespace parley::it;

namespace {

std::string ping_request(JVal id) {
  return obj({{"jsonrpc", "2.0"}, {"id", id}, {"method", "ping"}, {"params", raw("{}")}});
}
std::string ping_notification() {
  return obj({{"jsonrpc", "2.0"}, {"method", "ping"}, {"params", raw("{}")}});
}

// The socket still serves: a ping is answered.
void check_still_serves(WsClient& client) {
  Json pong = client.call("ping");
  CHECK(pong.is_int("/serverTime"));
}

}  // namespace

TEST_CASE("bad input is answered with the right error and the socket goes on") {
  BrokerProcess broker({"--dev"});
  auto ann = login_dev(broker.port(), "ann");

  SUBCASE("malformed JSON: -32700 with id null") {
    for (std::string garbage :
         {"{not json", "[1,", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} x", ""}) {
      CAPTURE(garbage);
      Json r = ann->exchange_raw(garbage);
      INFO(r.frame());
      CHECK(error_code(r) == -32700);
      CHECK(r.is_null("/id"));
      CHECK(r.get_string("/jsonrpc") == "2.0");
      check_still_serves(*ann);
    }
  }

  SUBCASE("not a JSON-RPC request: -32600") {
    for (std::string bad :
         {R"({"jsonrpc":"1.0","id":1,"method":"ping"})", R"({"jsonrpc":"2.0","id":2})",
          R"({"jsonrpc":"2.0","id":3,"method":"ping","params":5})", "42"}) {
      CAPTURE(bad);
      Json r = ann->exchange_raw(bad);
      INFO(r.frame());
      CHECK(error_code(r) == -32600);
      check_still_serves(*ann);
    }
  }

  SUBCASE("valid JSON beyond what the broker holds: -32600 for the id, -32602 for a param") {
    for (std::string id : {"1e400", "123456789012345678901234567890", R"("\ud800")"}) {
      CAPTURE(id);
      Json r = ann->exchange_raw(R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"ping"})");
      INFO(r.frame());
      CHECK(error_code(r) == -32600);
      CHECK(r.is_null("/id"));
    }
    Json param = ann->exchange_raw(
        R"({"jsonrpc":"2.0","id":5,"method":"markRead","params":{"conversationId":"c","seq":1e400}})");
    INFO(param.frame());
    CHECK(error_code(param) == -32602);
    CHECK(param.get_int("/id") == 5);
    CHECK(param.get_string("/error/data/field") == "seq");
    Json text = ann->exchange_raw(
        R"({"jsonrpc":"2.0","id":6,"method":"sendMessage","params":{"conversationId":"c","text":"\ud800"}})");
    INFO(text.frame());
    CHECK(error_code(text) == -32602);
    CHECK(text.get_string("/error/data/field") == "text");
    check_still_serves(*ann);
  }

  SUBCASE("unknown method: -32601 naming it") {
    Json r = expect_error(*ann, "noSuchMethod", "{}", -32601);
    CHECK(r.get_int("/id") == ann->last_id());
    CHECK(r.get_string("/error/data/method") == "noSuchMethod");
    check_still_serves(*ann);
  }

  SUBCASE("bad params: -32602 naming the field") {
    const std::string id = create_conversation(*ann).get_string("/id");
    Json wrong_type =
        expect_error(*ann, "sendMessage", obj({{"conversationId", 42}, {"text", "x"}}), -32602);
    CHECK(wrong_type.get_string("/error/data/field") == "conversationId");
    Json missing = expect_error(*ann, "sendMessage", obj({{"conversationId", id}}), -32602);
    CHECK(missing.get_string("/error/data/field") == "text");
    Json unknown = expect_error(*ann, "sendMessage",
                                obj({{"conversationId", id}, {"text", "x"}, {"bogus", 1}}), -32602);
    CHECK(unknown.get_string("/error/data/field") == "bogus");
    Json range = expect_error(*ann, "queryMessages",
                              obj({{"conversationId", id}, {"limit", 100000}}), -32602);
    CHECK(range.get_string("/error/data/field") == "limit");
    CHECK(range.is_string("/error/data/reason"));
    check_still_serves(*ann);
  }

  SUBCASE("string ids are echoed") {
    Json r = ann->exchange_raw(ping_request("req-α"));
    CHECK(r.get_string("/id") == "req-α");
    CHECK(r.is_int("/result/serverTime"));
  }
}

TEST_CASE("batches: one array of answers, in order, without the notifications") {
  BrokerProcess broker({"--dev"});
  auto ann = login_dev(broker.port(), "ann");

  SUBCASE("mixed batch") {
    Json r = ann->exchange_raw(arr(
        {raw(ping_request(1)), raw(ping_notification()),
         raw(obj(
             {{"jsonrpc", "2.0"}, {"id", "b"}, {"method", "noSuchMethod"}, {"params", raw("{}")}})),
         raw(ping_request(3))}));
    INFO(r.frame());
    REQUIRE(r.is_array());
    REQUIRE(r.size() == 3);
    CHECK(r.get_int("/0/id") == 1);
    CHECK(r.is_int("/0/result/serverTime"));
    CHECK(r.get_string("/1/id") == "b");
    CHECK(r.get_int("/1/error/code") == -32601);
    CHECK(r.get_int("/2/id") == 3);
    CHECK(r.is_int("/2/result/serverTime"));
  }

  SUBCASE("executed in order") {
    Json conversation = create_conversation(*ann);
    const std::string id = conversation.get_string("/id");
    std::vector<std::string> requests;
    for (int i = 0; i < 5; ++i) {
      requests.push_back(obj({{"jsonrpc", "2.0"},
                              {"id", i},
                              {"method", "sendMessage"},
                              {"params", raw(obj({{"conversationId", id},
                                                  {"text", "batched " + std::to_string(i)}}))}}));
    }
    Json r = ann->exchange_raw(arr(requests));
    INFO(r.frame());
    REQUIRE(r.is_array());
    REQUIRE(r.size() == 5);
    for (int i = 0; i < 5; ++i) {
      const std::string at = "/" + std::to_string(i);
      CHECK(r.get_int(at + "/id") == i);
      CHECK(r.get_int(at + "/result/seq") == conversation.get_int("/lastSeq") + 1 + i);
    }
  }

  SUBCASE("an empty batch is an invalid request") {
    Json r = ann->exchange_raw("[]");
    INFO(r.frame());
    REQUIRE(r.is_object());
    CHECK(error_code(r) == -32600);
    CHECK(r.is_null("/id"));
  }

  SUBCASE("a batch over 50 is an invalid request") {
    std::vector<std::string> requests;
    for (int i = 0; i < 51; ++i) requests.push_back(ping_request(i));
    Json r = ann->exchange_raw(arr(requests));
    INFO(r.frame());
    REQUIRE(r.is_object());
    CHECK(error_code(r) == -32600);
  }

  SUBCASE("a batch of notifications gets no answer at all") {
    ann->send_raw(arr({raw(ping_notification()), raw(ping_notification())}));
    // request() fails on any frame that is not its own response.
    check_still_serves(*ann);
  }

  SUBCASE("a notification is never answered, not even its error") {
    ann->notify("noSuchMethod");
    ann->notify("sendMessage", obj({{"bogus", true}}));
    check_still_serves(*ann);
  }
}

TEST_CASE("refused requests count against the rate limit: 429, then 4029") {
  // Five requests, then nothing comes back within the test (one a
  // thousand seconds); the third refusal in a row closes the socket.
  BrokerProcess broker({"--dev", "--rate-per-sec", "0.001", "--rate-burst", "5",
                        "--rate-abuse-strikes", "3"});
  std::vector<std::string> over_batch;
  for (int i = 0; i < 51; ++i) over_batch.push_back(ping_request(i));
  const struct {
    const char* what;
    std::string frame;
    int64_t code;
  } kinds[] = {
      {"unknown method", obj({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "noSuchMethod"}}), -32601},
      {"bad params",
       obj({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}, {"params", raw(R"({"x":1})")}}),
       -32602},
      {"parse error", "{not json", -32700},
      {"batch over 50", arr(over_batch), -32600},
      {"wrong jsonrpc", R"({"jsonrpc":"1.0","id":1,"method":"ping"})", -32600},
  };
  for (const auto& kind : kinds) {
    CAPTURE(kind.what);
    WsClient client(kind.what);  // not authenticated: refused requests are its whole budget
    client.connect(broker.port());
    for (int i = 0; i < 5; ++i) {
      Json r = client.exchange_raw(kind.frame);
      INFO(r.frame());
      CHECK(error_code(r) == kind.code);
    }
    Json limited = client.exchange_raw(kind.frame);
    INFO(limited.frame());
    CHECK(error_code(limited) == 429);
    CHECK(limited.is_int("/error/data/retryAfterMs"));
    client.send_raw(kind.frame);
    client.send_raw(kind.frame);
    CloseInfo closed = client.expect_close();
    CHECK_MESSAGE(closed.code == 4029, closed.describe());
  }
}
