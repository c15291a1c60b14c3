// Redis going away: killed (and restarted from its append-only file with
// appendfsync always) or stopped for a while. Writes meanwhile answer 503
// (retryable) and /readyz 503; afterwards the same sockets work again, every
// acknowledged message is there, and client retries with the same
// clientMessageId never duplicate one.
#include <atomic>
#include <map>
#include <thread>

#include "redis_support.hpp"

using namespace parley::it;
using namespace std::chrono_literals;

namespace {

// sendMessage with `cmid`, again on every 503 (it must say retryable), until
// it is acknowledged. Returns the result; throws on any other error or when
// `limit` passes. Counts the 503s it saw.
Json send_until_acked(WsClient& client, const std::string& id, const std::string& text,
                      const std::string& cmid, int& unavailable, Millis limit = Millis(30000)) {
  const std::string params =
      obj({{"conversationId", id}, {"text", text}, {"clientMessageId", cmid}});
  const auto until = Clock::now() + limit;
  for (;;) {
    Json response = client.request("sendMessage", params);
    if (response.has("/result")) return response.at("/result");
    if (response.get_int("/error/code") != 503 || !response.get_bool("/error/data/retryable"))
      throw std::runtime_error("sendMessage answered " + response.frame());
    ++unavailable;
    if (Clock::now() >= until) throw Timeout("still 503 after the time limit: " + cmid);
    std::this_thread::sleep_for(50ms);
  }
}

// Every message event of the conversation, by text; each text once.
std::map<std::string, int64_t> messages_by_text(WsClient& client, const std::string& id,
                                                int64_t& last_seq) {
  std::map<std::string, int64_t> out;
  int64_t from = 1, expect = 1;
  for (;;) {
    Json page = client.call("queryMessages",
                            obj({{"conversationId", id}, {"fromSeq", from}, {"limit", 200}}));
    last_seq = page.get_int("/lastSeq");
    for (const Json& e : page.items("/data")) {
      CHECK(e.get_int("/seq") == expect++);  // dense: nothing lost, nothing doubled
      if (e.get_string("/type") != "message") continue;
      const std::string text = e.get_string("/body/text");
      CHECK_MESSAGE(out.count(text) == 0, "duplicate message " << text);
      out[text] = e.get_int("/seq");
    }
    if (!page.get_bool("/hasNext")) return out;
    from = expect;
  }
}

}  // namespace

TEST_CASE(
    "redis: kill -9 Redis and restart it (AOF, appendfsync always): every acknowledged "
    "message is still there, none doubled") {
  RedisServer redis(RedisServer::Options{.aof = true});
  BrokerProcess node(node_args(redis, "n1"));
  REQUIRE(storage_ready(node.port()));
  auto ann = login(node.port(), "ann", "consumer", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");

  // A client sends without pause, retrying each message (same id) until it
  // is acknowledged; from the 20th on, Redis has been killed under it and
  // comes back a little later.
  constexpr int kMessages = 60, kBeforeKill = 20;
  std::map<std::string, int64_t> acked;
  std::atomic<int> sent{0};
  std::atomic<bool> killed{false}, done{false};
  int unavailable = 0;
  std::string failure;
  std::thread sender([&] {
    try {
      for (int i = 0; i < kMessages; ++i) {
        if (i == kBeforeKill && !wait_until([&] { return killed.load(); }))
          throw Timeout("Redis was not killed");
        const std::string text = "m" + std::to_string(i);
        acked[text] = send_until_acked(*ann, id, text, "cmid-" + text, unavailable).get_int("/seq");
        ++sent;
      }
    } catch (const std::exception& e) {
      failure = e.what();
    }
    done = true;
  });
  const bool first_part = wait_until([&] { return sent == kBeforeKill || done; });
  redis.kill_hard();
  killed = true;
  std::this_thread::sleep_for(300ms);  // sends meet the outage meanwhile
  redis.start();
  sender.join();
  REQUIRE_MESSAGE(failure.empty(), failure);
  REQUIRE(first_part);
  REQUIRE(acked.size() == kMessages);
  CHECK(unavailable > 0);  // the outage was felt, and retried through

  int64_t last_seq = 0;
  auto stored = messages_by_text(*ann, id, last_seq);
  CHECK(stored.size() == kMessages);
  for (const auto& [text, seq] : acked) {
    INFO(text);
    REQUIRE(stored.count(text) == 1);
    CHECK(stored[text] == seq);
  }
  // A retry after the restart is still recognized.
  int none = 0;
  Json again = send_until_acked(*ann, id, "m0", "cmid-m0", none);
  CHECK(again.get_bool("/duplicate"));
  CHECK(again.get_int("/seq") == acked["m0"]);
}

TEST_CASE(
    "redis: while Redis is stopped writes answer 503 and /readyz 503; afterwards the same "
    "sockets work, nothing acknowledged is lost, retries do not duplicate") {
  TwoNodes c(RedisServer::Options{.aof = true});
  auto ann = login(c.node1->port(), "ann", "consumer", "acme");
  auto bob = login(c.node2->port(), "bob", "agent", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  bob->call("join", obj({{"conversationId", id}}));
  Subscription sub = subscribe(*bob, id);
  EventFollower bob_events(*bob, id, sub.last_seq);
  for (int i = 0; i < 5; ++i)
    send_message(*ann, id, "m" + std::to_string(i), "c" + std::to_string(i));
  for (int i = 0; i < 5; ++i) bob_events.next();

  c.redis.stop();
  REQUIRE(
      wait_until([&] { return readyz(c.node1->port()) == 503 && readyz(c.node2->port()) == 503; }));
  CHECK(http_get(c.node1->port(), "/healthz").status == 200);  // alive, just not ready
  for (int attempt = 0; attempt < 3; ++attempt) {
    Json refused =
        expect_error(*ann, "sendMessage",
                     obj({{"conversationId", id}, {"text", "m5"}, {"clientMessageId", "c5"}}), 503);
    CHECK(refused.get_bool("/error/data/retryable"));
  }
  expect_error(*bob, "sendMessage", obj({{"conversationId", id}, {"text", "from bob"}}), 503);
  expect_error(*bob, "getConversation", obj({{"conversationId", id}}), 503);

  c.redis.start();
  REQUIRE(storage_ready(c.node1->port()));
  REQUIRE(storage_ready(c.node2->port()));
  // The same sockets: the retry goes through once, and once only.
  int unavailable = 0;
  Json m5 = send_until_acked(*ann, id, "m5", "c5", unavailable);
  CHECK_FALSE(m5.get_bool("/duplicate"));
  Json m5_again = send_until_acked(*ann, id, "m5", "c5", unavailable);
  CHECK(m5_again.get_bool("/duplicate"));
  CHECK(m5_again.get_int("/seq") == m5.get_int("/seq"));
  const int64_t m6 = send_until_acked(*ann, id, "m6", "c6", unavailable).get_int("/seq");
  // Bob's subscription went on across the outage: no gap, no duplicate.
  Json e5 = bob_events.next(Millis(10000));
  CHECK(e5.get_int("/seq") == m5.get_int("/seq"));
  CHECK(e5.get_string("/body/text") == "m5");
  CHECK(bob_events.next().get_int("/seq") == m6);
  send_message(*bob, id, "bob is back");

  int64_t last_seq = 0;
  auto stored = messages_by_text(*ann, id, last_seq);
  CHECK(stored.size() == 8);
  for (int i = 0; i <= 6; ++i) CHECK(stored.count("m" + std::to_string(i)) == 1);
  CHECK(stored.count("bob is back") == 1);
}

TEST_CASE(
    "redis: a broker started while Redis is down serves at once, /readyz 503 until Redis "
    "is up") {
  RedisServer redis;
  redis.stop();
  BrokerProcess node(node_args(redis, "n1", {"--presence-ttl-ms", "1000"}));
  CHECK(node.output().find("engine=redis") != std::string::npos);
  CHECK(http_get(node.port(), "/healthz").status == 200);
  CHECK(readyz(node.port()) == 503);
  // Authentication needs no storage; what does answers 503.
  auto ann = login(node.port(), "ann", "consumer", "acme");
  auto bob = login(node.port(), "bob", "agent", "acme");
  Json refused = expect_error(*ann, "createConversation", "{}", 503);
  CHECK(refused.get_bool("/error/data/retryable"));
  expect_error(*bob, "getPresence", obj({{"userIds", raw(R"(["ann"])")}}), 503);

  redis.start();
  REQUIRE(storage_ready(node.port()));
  create_conversation(*ann);  // the same socket
  // ann's presence could not be written at login; the next renewal does it.
  CHECK(wait_until([&] { return presence_of(*bob, "ann").get_string("/status") == "online"; }));
}
