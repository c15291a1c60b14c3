// One-pass replies (RedisReply::reader_functions) against hiredis's own
// reader, and the Redis engine's command connection per caller io thread.
#include <doctest/doctest.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <future>
#include <memory>
#include <set>
#include <thread>

#include "engine_contract_support.hpp"
#include "redis/redis_engine.hpp"
#include "redis/redis_reply.hpp"
#include "storage_redis_server.hpp"

namespace {

using namespace parley;
using namespace parley::contract;
using namespace std::chrono_literals;
using namespace std::string_literals;
using parley::redis::RedisEngine;
using parley::redis::RedisEngineOptions;
using parley::redis::RedisReply;
using parley::testing::RedisServer;
using parley::testing::wait_until;

using Reader = std::unique_ptr<redisReader, void (*)(redisReader*)>;

// Every reply in `bytes`, fed `step` bytes at a time, built by the one-pass
// functions; `error` is set when the reader gives up.
std::vector<RedisReply> one_pass(std::string_view bytes, size_t step, bool* error = nullptr) {
  Reader r(redisReaderCreateWithFunctions(RedisReply::reader_functions()), redisReaderFree);
  std::vector<RedisReply> out;
  for (size_t at = 0; at < bytes.size(); at += step) {
    REQUIRE(redisReaderFeed(r.get(), bytes.data() + at, std::min(step, bytes.size() - at)) ==
            REDIS_OK);
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(r.get(), &raw) != REDIS_OK) {
        if (error) *error = true;
        return out;
      }
      if (!raw) break;
      std::unique_ptr<RedisReply> reply(static_cast<RedisReply*>(raw));
      out.push_back(std::move(*reply));
    }
  }
  return out;
}

// The same through hiredis's redisReply and the deep copy.
std::vector<RedisReply> copied(std::string_view bytes) {
  Reader r(redisReaderCreate(), redisReaderFree);
  REQUIRE(redisReaderFeed(r.get(), bytes.data(), bytes.size()) == REDIS_OK);
  std::vector<RedisReply> out;
  for (;;) {
    void* raw = nullptr;
    REQUIRE(redisReaderGetReply(r.get(), &raw) == REDIS_OK);
    if (!raw) break;
    out.push_back(RedisReply::copy_of(static_cast<redisReply*>(raw)));
    freeReplyObject(raw);
  }
  return out;
}

// What one caller thread's appends saw.
struct Run {
  std::vector<uint64_t> seqs;
  bool on_own_thread = true;
  std::promise<void> done;
};

// Coroutines take their arguments by value (a lambda's captures would be
// gone once co_spawn returns).
asio::awaitable<void> create_on(RedisEngine& e, ConvKey k, std::promise<bool>& created) {
  auto c = co_await e.create(conversation(k.tenant, k.id));
  created.set_value(c.ok());
}

asio::awaitable<void> appends_on(RedisEngine& e, ConvKey k, std::string from,
                                 asio::io_context& io, Run& run) {
  for (int i = 0; i < 100; ++i) {
    auto r = co_await e.append(k, message(from, "m" + std::to_string(i)));
    run.on_own_thread = run.on_own_thread && io.get_executor().running_in_this_thread();
    if (r.ok()) run.seqs.push_back(r->seq);
  }
  run.done.set_value();
}

}  // namespace

TEST_CASE("one-pass replies: every RESP type, nested, fed whole or a byte at a time") {
  const std::string bytes =
      "+OK\r\n-NOSCRIPT No matching script\r\n:-42\r\n$5\r\nhe\0lo\r\n$-1\r\n*-1\r\n*0\r\n"
      "*4\r\n$3\r\nabc\r\n*2\r\n:7\r\n$-1\r\n*1\r\n*1\r\n+deep\r\n:9\r\n"s;
  auto whole = one_pass(bytes, bytes.size());
  auto dribbled = one_pass(bytes, 1);
  auto reference = copied(bytes);
  REQUIRE(whole.size() == 8);
  REQUIRE(reference.size() == 8);
  REQUIRE(dribbled.size() == 8);
  for (size_t i = 0; i < whole.size(); ++i) {
    CHECK(whole[i] == reference[i]);
    CHECK(dribbled[i] == reference[i]);
  }
  CHECK(whole[0].type() == RedisReply::Type::status);
  CHECK(whole[0].str() == "OK");
  CHECK(whole[1].error_is("NOSCRIPT"));
  CHECK(whole[2].as_int() == -42);
  CHECK(whole[3].str() == std::string("he\0lo", 5));
  CHECK(whole[4].is_nil());
  CHECK(whole[5].is_nil());
  CHECK(whole[6].is_array());
  CHECK(whole[6].size() == 0);
  const RedisReply& a = whole[7];
  REQUIRE(a.size() == 4);
  CHECK(a[0].str() == "abc");
  CHECK(a[1][0].integer() == 7);
  CHECK(a[1][1].is_nil());
  CHECK(a[2][0][0].str() == "deep");
  CHECK(a[3].integer() == 9);
}

TEST_CASE("one-pass replies: a malformed or truncated stream frees what it built") {
  bool error = false;
  // An array cut short, then a byte no reply starts with.
  auto got = one_pass("*3\r\n$1\r\na\r\n*2\r\n:1\r\n!bad\r\n", 3, &error);
  CHECK(error);
  CHECK(got.empty());
  // A header announcing more elements than follow is no reply yet.
  error = false;
  got = one_pass("*1000000000\r\n:1\r\n", 1, &error);
  CHECK_FALSE(error);
  CHECK(got.empty());
}

TEST_CASE("redis engine: a caller io thread's calls go out on its own connection") {
  RedisServer::shared().command({"FLUSHALL"});
  struct Caller {
    asio::io_context io{1};
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::thread thread;
  };
  Caller a, b;
  RedisEngineOptions o;
  o.urls = {RedisServer::shared().url()};
  o.callers = {&a.io, &b.io};
  auto engine = std::make_unique<RedisEngine>(std::move(o));
  a.thread = std::thread([&] { a.io.run(); });
  b.thread = std::thread([&] { b.io.run(); });
  REQUIRE(engine->wait_until_ready(5s));
  CHECK(engine->ready());
  // Redis sees the engine's own command connection, one per caller, and
  // the pub/sub one.
  const std::string clients = RedisServer::shared().command({"CLIENT", "LIST"});
  for (const char* name : {"name=parley ", "name=parley-io0 ", "name=parley-io1 ", "name=parley-sub "})
    CHECK(clients.find(name) != std::string::npos);

  RecordingSink sink;
  engine->set_sink(&sink);
  const ConvKey k{"t", "per-caller"};
  std::promise<bool> created;
  asio::co_spawn(a.io, create_on(*engine, k, created), asio::detached);
  REQUIRE(created.get_future().get());

  // 100 appends from each caller thread: each thread's replies come back on
  // that thread, in the order its appends were issued, and every seq is
  // taken once.
  Run ra, rb;
  asio::co_spawn(a.io, appends_on(*engine, k, "c1", a.io, ra), asio::detached);
  asio::co_spawn(b.io, appends_on(*engine, k, "a1", b.io, rb), asio::detached);
  ra.done.get_future().wait();
  rb.done.get_future().wait();
  CHECK(ra.on_own_thread);
  CHECK(rb.on_own_thread);
  REQUIRE(ra.seqs.size() == 100);
  REQUIRE(rb.seqs.size() == 100);
  CHECK(std::is_sorted(ra.seqs.begin(), ra.seqs.end()));
  CHECK(std::is_sorted(rb.seqs.begin(), rb.seqs.end()));
  std::set<uint64_t> all(ra.seqs.begin(), ra.seqs.end());
  all.insert(rb.seqs.begin(), rb.seqs.end());
  CHECK(all.size() == 200);
  // The appends went out on the callers' connections: Redis counts a
  // command per client, and the callers' connections ran the scripts.
  const std::string after = RedisServer::shared().command({"CLIENT", "LIST"});
  auto last_cmd = [&](const std::string& name) {
    auto at = after.find("name=" + name + " ");
    REQUIRE(at != std::string::npos);
    auto cmd = after.find("cmd=", at);
    return after.substr(cmd + 4, after.find(' ', cmd) - cmd - 4);
  };
  CHECK(last_cmd("parley-io0") == "evalsha");
  CHECK(last_cmd("parley-io1") == "evalsha");

  // Destroyed once its callers stopped: closes their links in place.
  a.work.reset();
  b.work.reset();
  a.io.stop();
  b.io.stop();
  a.thread.join();
  b.thread.join();
  engine->set_sink(nullptr);
  engine.reset();
}
