// The hiredis <-> Asio adapter against a real redis-server: URLs,
// pipelining, time-outs, fail-fast while down, reconnection, pub/sub.
#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "redis/redis_connection.hpp"
#include "redis/redis_subscriber.hpp"
#include "redis/redis_url.hpp"
#include "storage_redis_server.hpp"

namespace {

using namespace parley;
using namespace parley::redis;
using namespace std::chrono_literals;
using parley::testing::wait_until;
using parley::testing::RedisServer;
using parley::testing::run_sync;

// An io_context with one thread, like the engine's own.
struct IoThread {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~IoThread() {
    work.reset();
    io.stop();
    thread.join();
  }
};

RedisAddress local(const RedisServer& s) {
  RedisAddress a;
  a.port = s.port();
  return a;
}

std::shared_ptr<RedisConnection> connect(IoThread& t, const RedisServer& s,
                                         ConnectionOptions o = {}) {
  auto c = std::make_shared<RedisConnection>(t.io.get_executor(), local(s), o, "parley-test");
  c->start();
  REQUIRE(wait_until([&] { return c->up(); }));
  return c;
}

}  // namespace

TEST_CASE("redis url: forms it accepts and refuses") {
  auto a = parse_redis_url("redis://10.0.0.5:6380/2");
  REQUIRE(a);
  CHECK(a->host == "10.0.0.5");
  CHECK(a->port == 6380);
  CHECK(a->db == 2);
  CHECK(a->id() == "10.0.0.5:6380/2");
  auto b = parse_redis_url("redis://cache");
  REQUIRE(b);
  CHECK(b->port == 6379);
  CHECK(b->db == 0);
  auto c = parse_redis_url("redis://:s3cr@t@[::1]:7000/");
  REQUIRE(c);
  CHECK(c->password == "s3cr@t");
  CHECK(c->host == "::1");
  CHECK(c->port == 7000);
  CHECK(c->id() == "[::1]:7000/0");
  CHECK_FALSE(parse_redis_url("http://x"));
  CHECK_FALSE(parse_redis_url("redis://"));
  CHECK_FALSE(parse_redis_url("redis://h:0"));
  CHECK_FALSE(parse_redis_url("redis://h:99999"));
  CHECK_FALSE(parse_redis_url("redis://h:6379/x"));
  CHECK_FALSE(parse_redis_url("redis://user:pw@h"));
}

TEST_CASE("redis adapter: commands, errors and replies that own their data") {
  auto& server = RedisServer::shared();
  IoThread t;
  auto c = connect(t, server);
  auto pong = run_sync(c->command({"PING"}));
  REQUIRE(pong.ok());
  CHECK(pong->str() == "PONG");
  auto set = run_sync(c->command({"SET", "adapter:k", std::string("a\0b", 3)}));
  REQUIRE(set.ok());
  auto got = run_sync(c->command({"GET", "adapter:k"}));
  REQUIRE(got.ok());
  CHECK(got->str() == std::string("a\0b", 3));  // binary-safe both ways
  auto err = run_sync(c->command({"NO-SUCH-COMMAND"}));
  REQUIRE(err.ok());  // an error reply is a reply
  CHECK(err->is_error());
  CHECK(err->error_is("ERR"));
  auto arr = run_sync(c->command({"MGET", "adapter:k", "adapter:none"}));
  REQUIRE(arr.ok());
  REQUIRE(arr->size() == 2);
  CHECK(arr->elements()[1].is_nil());
  c->close();
}

TEST_CASE("redis adapter: 10k commands pipelined on one connection keep their order") {
  auto& server = RedisServer::shared();
  server.command({"DEL", "adapter:n"});
  IoThread t;
  auto c = connect(t, server);
  constexpr int kCommands = 10000;
  const std::vector<std::string> incr{"INCR", "adapter:n"};
  std::vector<std::vector<std::string>> cmds(kCommands, incr);
  auto replies = run_sync(c->pipeline(cmds));
  REQUIRE(replies.size() == kCommands);
  for (int i = 0; i < kCommands; ++i) {
    REQUIRE(replies[i].ok());
    CHECK(replies[i]->integer() == i + 1);
  }

  // 10k concurrent callers (coroutines on two threads) share the connection.
  asio::io_context callers;
  std::mutex mu;
  std::set<int64_t> seen;
  std::atomic<int> failed{0};
  for (int i = 0; i < kCommands; ++i)
    asio::co_spawn(
        callers,
        [&]() -> asio::awaitable<void> {
          auto r = co_await c->command(incr);
          if (!r.ok()) {
            ++failed;
            co_return;
          }
          std::lock_guard lk(mu);
          seen.insert(r->integer());
        },
        asio::detached);
  std::thread helper([&] { callers.run(); });
  callers.run();
  helper.join();
  CHECK(failed == 0);
  CHECK(seen.size() == kCommands);
  CHECK(*seen.begin() == kCommands + 1);
  CHECK(*seen.rbegin() == 2 * kCommands);
  c->close();
}

TEST_CASE("redis adapter: a command past its time-out answers 503, its late reply is dropped") {
  auto& server = RedisServer::shared();
  IoThread t;
  ConnectionOptions o;
  o.command_timeout = 100ms;
  auto c = connect(t, server, o);
  auto slow = run_sync(c->command({"BLPOP", "adapter:never", "1"}));  // blocks 1 s
  // Answered by the time-out (BLPOP itself would answer nil after 1 s).
  REQUIRE_FALSE(slow.ok());
  CHECK(slow.error().code == code::unavailable);
  CHECK(slow.error().message.find("command timed out") != std::string::npos);
  // The next command waits behind the blocked one, then gets its own reply,
  // not BLPOP's nil.
  auto pong = run_sync(c->command({"ECHO", "mine"}));
  if (pong.ok()) {
    CHECK(pong->str() == "mine");
  } else {
    CHECK(pong.error().code == code::unavailable);  // it also timed out behind BLPOP
  }
  std::this_thread::sleep_for(1100ms);
  auto after = run_sync(c->command({"ECHO", "after"}));
  REQUIRE(after.ok());
  CHECK(after->str() == "after");
  CHECK(c->up());  // a slow command is not a dead server
  c->close();
}

// Issue 13: a command waiting behind a full window has a deadline too,
// counted from when the connection accepted it, and it is never sent.
TEST_CASE("redis adapter: a command waiting behind the window answers 503 by its deadline") {
  auto& server = RedisServer::shared();
  IoThread t;
  ConnectionOptions o;
  o.command_timeout = 100ms;
  o.window = 1;
  auto c = connect(t, server, o);
  REQUIRE(run_sync(c->command({"DEL", "adapter:waited"})).ok());
  // BLPOP holds the window for 1 s (it times out, and stays in flight until
  // Redis answers); the SET after it waits unsent.
  auto slow = run_sync(c->command({"BLPOP", "adapter:never", "1"}));
  auto waited = run_sync(c->command({"SET", "adapter:waited", "x"}));
  REQUIRE_FALSE(slow.ok());
  REQUIRE_FALSE(waited.ok());
  CHECK(waited.error().code == code::unavailable);
  CHECK_MESSAGE(waited.error().message.find("before it was sent") != std::string::npos,
                waited.error().message);
  std::this_thread::sleep_for(1100ms);  // BLPOP's reply came; the window is free
  auto after = run_sync(c->command({"GET", "adapter:waited"}));
  REQUIRE(after.ok());
  CHECK(after->is_nil());  // the timed-out SET never ran
  c->close();
}

TEST_CASE(
    "redis adapter: down fails fast with 503, back up works without a new connection object") {
  auto& server = RedisServer::shared();
  IoThread t;
  auto c = connect(t, server);
  REQUIRE(run_sync(c->command({"PING"})).ok());
  server.kill_hard();
  REQUIRE(wait_until([&] { return !c->up(); }, 2s));
  auto r = run_sync(c->command({"PING"}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == code::unavailable);
  // Failed at once by the down connection, not by the command time-out.
  CHECK(r.error().message.find("unreachable") != std::string::npos);
  server.start();
  CHECK(wait_until([&] { return c->up(); }, 5s));  // back-off is at most 2 s
  auto again = run_sync(c->command({"PING"}));
  REQUIRE(again.ok());
  CHECK(again->str() == "PONG");
  CHECK(c->connects() >= 2);
  c->close();
}

TEST_CASE("redis adapter: pub/sub delivers in order and resubscribes after CLIENT KILL") {
  auto& server = RedisServer::shared();
  IoThread t;
  auto c = connect(t, server);

  struct Recorder : RedisSubscriber::Listener {
    std::mutex mu;
    std::vector<std::string> messages;
    std::vector<std::string> confirmed;
    int downs = 0;
    void on_message(std::string_view, std::string_view payload) override {
      std::lock_guard lk(mu);
      messages.emplace_back(payload);
    }
    void on_subscribed(std::string_view channel) override {
      std::lock_guard lk(mu);
      confirmed.emplace_back(channel);
    }
    void on_link_down() override {
      std::lock_guard lk(mu);
      ++downs;
    }
    size_t count(bool msgs) {
      std::lock_guard lk(mu);
      return msgs ? messages.size() : confirmed.size();
    }
  } rec;

  auto sub = std::make_shared<RedisSubscriber>(t.io.get_executor(), local(server), LinkOptions{},
                                               "parley-test-sub");
  sub->set_listener(&rec);
  sub->subscribe("adapter:ch");
  sub->start();
  REQUIRE(wait_until([&] { return rec.count(false) == 1; }));
  for (int i = 0; i < 100; ++i)
    REQUIRE(run_sync(c->command({"PUBLISH", "adapter:ch", std::to_string(i)})).ok());
  REQUIRE(wait_until([&] { return rec.count(true) == 100; }));
  {
    std::lock_guard lk(rec.mu);
    for (int i = 0; i < 100; ++i) CHECK(rec.messages[i] == std::to_string(i));
  }

  CHECK(server.command({"CLIENT", "KILL", "TYPE", "pubsub"}) == "1");
  REQUIRE(wait_until([&] { return rec.count(false) == 2; }));  // renewed after reconnect
  CHECK(rec.downs == 1);
  REQUIRE(run_sync(c->command({"PUBLISH", "adapter:ch", "after"})).ok());
  REQUIRE(wait_until([&] { return rec.count(true) == 101; }));

  sub->unsubscribe("adapter:ch");
  REQUIRE(wait_until([&] {
    return server.command({"PUBSUB", "NUMSUB", "adapter:ch"}) == "(array 2)";
  }));
  sub->set_listener(nullptr);
  sub->close();
  c->close();
}
