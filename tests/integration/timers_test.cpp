// The conversation deadlines (engine timers): the ttl deletion and the
// automatic lock, on the memory engine; on Redis, the automatic lock of a
// conversation closed on a node that dies, or restarts, before it is due.
#include <signal.h>

#include <chrono>
#include <thread>

#include "redis_support.hpp"
#include "workflow_support.hpp"

using namespace parley::it;

namespace {

bool is_type(const Json& e, const std::string& type) { return e.get_string("/type") == type; }

bool locked_event(const Json& e) {
  return is_type(e, "state.changed") && e.get_string("/body/to") == "LOCKED";
}

// getConversation's state, or "gone" once it answers 404.
std::string state_of(WsClient& client, const std::string& id) {
  Json r = client.request("getConversation", obj({{"conversationId", id}}));
  if (r.has("/error")) return error_code(r) == 404 ? "gone" : r.dump();
  return r.get_string("/result/state");
}

}  // namespace

TEST_CASE("ttl: a conversation with no message is deleted after ttl seconds; a message keeps it") {
  BrokerProcess broker(jwt_args({"--timer-poll-ms", "100"}));
  auto ann = login(broker.port(), "ann");
  const std::string talked = create_conversation(*ann, obj({{"ttl", 1}})).get_string("/id");
  send_message(*ann, talked, "hello: keep this one");
  const std::string silent = create_conversation(*ann, obj({{"ttl", 1}})).get_string("/id");
  const std::string lasting = create_conversation(*ann, obj({{"ttl", 3600}})).get_string("/id");
  // updateConversation moves the deadline: this one goes too, and one
  // whose ttl is removed stays.
  const std::string moved = create_conversation(*ann, obj({{"ttl", 3600}})).get_string("/id");
  ann->call("updateConversation", obj({{"conversationId", moved}, {"ttl", 1}}));
  const std::string kept = create_conversation(*ann, obj({{"ttl", 1}})).get_string("/id");
  ann->call("updateConversation", obj({{"conversationId", kept}, {"ttl", raw("null")}}));
  subscribe(*ann, silent);

  // Its subscriber gets conversation.deleted from the system, the last event.
  std::vector<Json> seen =
      events_until(*ann, silent, [](const Json& e) { return is_type(e, "conversation.deleted"); },
                   Millis(15000));
  CHECK(seen.back().is_null("/from"));
  CHECK(wait_until([&] { return state_of(*ann, silent) == "gone"; }));
  CHECK(wait_until([&] { return state_of(*ann, moved) == "gone"; }));
  // Both were due no later than `moved`, and the poll takes them in order.
  CHECK(state_of(*ann, talked) == "OPEN");
  CHECK(state_of(*ann, kept) == "OPEN");
  CHECK(state_of(*ann, lasting) == "OPEN");
}

TEST_CASE("ttl: bad values are refused and change nothing") {
  BrokerProcess broker(jwt_args());
  auto ann = login(broker.port(), "ann");
  expect_error(*ann, "createConversation", obj({{"ttl", 0}}), -32602);
  const std::string id = create_conversation(*ann).get_string("/id");
  expect_error(*ann, "updateConversation", obj({{"conversationId", id}, {"ttl", -5}}), -32602);
  CHECK(ann->call("getConversation", obj({{"conversationId", id}})).is_null("/ttl"));
}

TEST_CASE("automatic lock: CLOSE with --lock-after-sec 1 becomes LOCKED; subscribers see it") {
  BrokerProcess broker(jwt_args({"--lock-after-sec", "1", "--timer-poll-ms", "100"}));
  auto ann = login(broker.port(), "ann");
  auto alice = login(broker.port(), "alice", "agent");
  const std::string id = create_conversation(*ann).get_string("/id");
  const std::string by_id = obj({{"conversationId", id}});
  alice->call("join", by_id);
  subscribe(*ann, id);
  CHECK(alice->call("closeConversation", by_id).get_string("/state") == "CLOSE");
  alice->call("setNote", obj({{"conversationId", id}, {"text", "closed, not locked yet"}}));
  std::vector<Json> seen = events_until(*ann, id, locked_event, Millis(15000));
  CHECK(seen.back().is_null("/from"));  // the system's event
  CHECK(state_of(*ann, id) == "LOCKED");
  expect_error(*alice, "setNote", obj({{"conversationId", id}, {"text", "too late"}}), 409);
}

TEST_CASE("automatic lock: a conversation reopened before its lock stays OPEN") {
  BrokerProcess broker(jwt_args({"--lock-after-sec", "1", "--timer-poll-ms", "100"}));
  auto ann = login(broker.port(), "ann");
  auto alice = login(broker.port(), "alice", "agent");
  const std::string reopened = create_conversation(*ann).get_string("/id");
  const std::string marker = create_conversation(*ann).get_string("/id");
  alice->call("join", obj({{"conversationId", reopened}}));
  alice->call("join", obj({{"conversationId", marker}}));
  alice->call("closeConversation", obj({{"conversationId", reopened}}));
  alice->call("reopenConversation", obj({{"conversationId", reopened}}));
  // Closed after the first: once it is locked, the first's timer has fired.
  alice->call("closeConversation", obj({{"conversationId", marker}}));
  CHECK(wait_until([&] { return state_of(*ann, marker) == "LOCKED"; }));
  CHECK(state_of(*ann, reopened) == "OPEN");
}

TEST_CASE("redis: a node dies before the lock is due; another node locks the conversation") {
  TwoNodes c({}, {"--lock-after-sec", "3", "--timer-poll-ms", "200"});
  auto ann = login(c.node2->port(), "ann", "consumer", "acme");
  auto bob = login(c.node1->port(), "bob", "agent", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  const std::string by_id = obj({{"conversationId", id}});
  bob->call("join", by_id);
  subscribe(*ann, id);
  CHECK(bob->call("closeConversation", by_id).get_string("/state") == "CLOSE");
  // Node 1, where it closed, dies at once, seconds before the lock is due.
  CHECK(c.node1->crash().empty());
  std::vector<Json> seen = events_until(*ann, id, locked_event, Millis(20000));
  CHECK(seen.back().is_null("/from"));
  CHECK(state_of(*ann, id) == "LOCKED");
}

TEST_CASE("redis: the only node restarts before the lock is due; it still locks") {
  RedisServer redis;
  const std::vector<std::string> timers = {"--lock-after-sec", "3", "--timer-poll-ms", "200"};
  auto node = std::make_unique<BrokerProcess>(node_args(redis, "n1", timers));
  REQUIRE(storage_ready(node->port()));
  std::string id;
  {
    auto ann = login(node->port(), "ann", "consumer", "acme");
    auto bob = login(node->port(), "bob", "agent", "acme");
    id = create_conversation(*ann, obj({{"ttl", 2}})).get_string("/id");
    send_message(*ann, id, "a message: the ttl no longer applies");
    bob->call("join", obj({{"conversationId", id}}));
    CHECK(bob->call("closeConversation", obj({{"conversationId", id}})).get_string("/state") ==
          "CLOSE");
  }
  CHECK(node->crash().empty());
  node = std::make_unique<BrokerProcess>(node_args(redis, "n1", timers));
  REQUIRE(storage_ready(node->port()));
  auto ann = login(node->port(), "ann", "consumer", "acme");
  CHECK(wait_until([&] { return state_of(*ann, id) == "LOCKED"; }, std::chrono::seconds(20)));
}

TEST_CASE("redis: ttl deletion survives a restart too") {
  RedisServer redis;
  const std::vector<std::string> timers = {"--timer-poll-ms", "200"};
  auto node = std::make_unique<BrokerProcess>(node_args(redis, "n1", timers));
  REQUIRE(storage_ready(node->port()));
  std::string id;
  {
    auto ann = login(node->port(), "ann", "consumer", "acme");
    id = create_conversation(*ann, obj({{"ttl", 2}})).get_string("/id");
  }
  CHECK(node->crash().empty());
  node = std::make_unique<BrokerProcess>(node_args(redis, "n1", timers));
  REQUIRE(storage_ready(node->port()));
  auto ann = login(node->port(), "ann", "consumer", "acme");
  CHECK(wait_until([&] { return state_of(*ann, id) == "gone"; }, std::chrono::seconds(20)));
}

// A shutdown while a Redis command is in flight: the timer poll runs every
// 10 ms, Redis is frozen (SIGSTOP) so the poll's reply never comes, and the
// broker is stopped. The engine used to outlive the io_contexts its callers
// ran on; failing the command at its destruction then completed into a
// freed context (SIGSEGV after "stopped").
TEST_CASE("redis: a shutdown with a command in flight exits cleanly") {
  RedisServer redis;
  auto node = std::make_unique<BrokerProcess>(node_args(redis, "n1", {"--timer-poll-ms", "10"}));
  REQUIRE(storage_ready(node->port()));
  REQUIRE(redis.pid() > 0);
  ::kill(redis.pid(), SIGSTOP);
  // Not a timing assertion: long enough for a poll to be sent and wait.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string abnormal = node->stop();
  ::kill(redis.pid(), SIGCONT);
  CHECK_MESSAGE(abnormal.empty(), abnormal);
}
