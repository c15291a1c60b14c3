// Issue 13: every Redis command answers by its deadline, whatever happens to
// the connection. A broker node with one io thread (so one command
// connection carries every socket's appends) gets more sendMessages at once
// than the connection's window (128 in flight) while Redis is stopped
// (SIGSTOP) or while its connections are killed (CLIENT KILL). Every send
// must answer — a seq, or 503 with a message — within a bound derived from
// --redis-timeout-ms; the sockets stay usable; once Redis is back, new sends
// succeed, and retrying the failed ones with their clientMessageId commits
// each exactly once. And SIGTERM with Redis stopped ends the process.
#include <signal.h>

#include <map>
#include <thread>

#include "redis_support.hpp"

using namespace parley::it;

namespace {

constexpr int kTimeoutMs = 500;  // --redis-timeout-ms of these nodes
// Sockets × pipelined sends each: more than the window of 128 on the one
// connection. 32 is the longest run a socket starts at once
// (kPipelineFrames), so every send of a socket is accepted at once.
constexpr int kSockets = 6, kEach = 32;
// Every answer is due kTimeoutMs after the engine accepted its command; the
// rest is slack for a loaded machine (never a figure the test relies on).
constexpr Millis kAnswerBound{kTimeoutMs * 6};

std::vector<std::string> one_thread_node(const RedisServer& redis) {
  return node_args(redis, "n1",
                   {"--threads", "1", "--rate-per-sec", "1000000", "--rate-burst", "1000000"});
}

std::string send_frame(int id, const std::string& conv, const std::string& cmid) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"sendMessage","params":{"conversationId":")" + conv + R"(","text":")" +
         cmid + R"(","clientMessageId":")" + cmid + R"("}})";
}

// A node, a conversation, and kSockets logged-in senders on it.
struct Setup {
  explicit Setup(RedisServer& r) : redis(r), node(one_thread_node(r)) {
    REQUIRE(storage_ready(node.port()));
    auto ann = login(node.port(), "ann", "consumer", "acme");
    conv = create_conversation(*ann).get_string("/id");
    for (int s = 0; s < kSockets; ++s) senders.push_back(login(node.port(), "ann", "consumer", "acme"));
    owner = std::move(ann);
  }
  RedisServer& redis;
  BrokerProcess node;
  std::string conv;
  std::unique_ptr<WsClient> owner;
  std::vector<std::unique_ptr<WsClient>> senders;
};

struct Burst {
  std::map<std::string, int64_t> acked;  // clientMessageId -> seq
  std::vector<std::string> failed;       // clientMessageIds answered 503
};

// Every sender pipelines kEach sendMessages; then every one is read back.
// Each answer must be a seq or a 503 with a message, and all must come
// within kAnswerBound of the last frame sent.
Burst burst(Setup& s, const std::string& tag) {
  for (int k = 0; k < kSockets; ++k)
    for (int n = 1; n <= kEach; ++n)
      s.senders[k]->send_raw(send_frame(n, s.conv, tag + "-" + std::to_string(k) + "-" + std::to_string(n)));
  const auto due = Clock::now() + kAnswerBound;
  Burst out;
  for (int k = 0; k < kSockets; ++k) {
    for (int n = 1; n <= kEach;) {
      auto left = std::chrono::duration_cast<Millis>(due - Clock::now());
      auto f = s.senders[k]->read_frame(std::max(left, Millis(1)));
      REQUIRE_MESSAGE(f, "socket " << k << ": no answer to send " << n << " within "
                                   << kAnswerBound.count() << " ms");
      if (f->is_push()) continue;
      REQUIRE(f->get_int("/id") == n);
      const std::string cmid = tag + "-" + std::to_string(k) + "-" + std::to_string(n);
      if (f->has("/result/seq")) {
        out.acked[cmid] = f->get_int("/result/seq");
      } else {
        REQUIRE_MESSAGE(error_code(*f) == 503, f->frame());
        CHECK_MESSAGE(!f->get_string("/error/message").empty(), f->frame());
        out.failed.push_back(cmid);
      }
      ++n;
    }
  }
  return out;
}

// Once Redis answers again: each socket sends (retrying 503 while the link
// comes back, bounded), every failed send is retried with its
// clientMessageId, and the log holds every acknowledged message once.
void check_recovered(Setup& s, Burst& b) {
  for (int k = 0; k < kSockets; ++k) {
    const std::string cmid = "after-" + std::to_string(k);
    bool sent = false;
    REQUIRE(wait_until([&] {
      Json r = s.senders[k]->request(
          "sendMessage", obj({{"conversationId", s.conv}, {"text", cmid}, {"clientMessageId", cmid}}));
      if (r.has("/result/seq")) b.acked[cmid] = r.get_int("/result/seq");
      return sent = r.has("/result/seq");
    }));
    CHECK(sent);
  }
  for (const auto& cmid : b.failed) {
    // The 503 may have come after Redis ran it: the retry then answers the
    // first result (duplicate), else commits it now. Either way, once.
    Json r = s.owner->call("sendMessage",
                           obj({{"conversationId", s.conv}, {"text", cmid}, {"clientMessageId", cmid}}));
    b.acked[cmid] = r.get_int("/seq");
  }
  std::map<std::string, int> seen;
  int64_t from = 1;
  for (;;) {
    Json page = s.owner->call("queryMessages", obj({{"conversationId", s.conv},
                                                    {"types", raw(R"(["message"])")},
                                                    {"fromSeq", from},
                                                    {"limit", 200}}));
    const size_t n = page.size("/data");
    for (size_t i = 0; i < n; ++i) {
      const std::string p = "/data/" + std::to_string(i);
      ++seen[page.get_string(p + "/body/text")];
      from = page.get_int(p + "/seq") + 1;
    }
    if (n == 0) break;
  }
  for (const auto& [cmid, seq] : b.acked) CHECK_MESSAGE(seen[cmid] == 1, cmid << " seq " << seq);
  for (const auto& [text, count] : seen) CHECK_MESSAGE(count == 1, text << " " << count << " times");
}

}  // namespace

TEST_CASE("redis: more sends than the window while Redis is stopped all answer by their deadline") {
  RedisServer redis;
  Setup s(redis);
  REQUIRE(kill(redis.pid(), SIGSTOP) == 0);
  Burst b = burst(s, "stop");
  CHECK(b.failed.size() == static_cast<size_t>(kSockets * kEach));  // nothing can commit
  REQUIRE(kill(redis.pid(), SIGCONT) == 0);
  check_recovered(s, b);
  CHECK(s.node.stop().empty());
}

TEST_CASE("redis: connections killed mid-window: every send answers, the node recovers") {
  RedisServer redis;
  Setup s(redis);
  // Scripts wait in Redis (the connection stays up) until unpaused.
  REQUIRE(redis.command({"CLIENT", "PAUSE", "20000", "WRITE"}) == "OK");
  std::thread killer([&] {
    std::this_thread::sleep_for(Millis(kTimeoutMs / 5));
    redis.command({"CLIENT", "KILL", "TYPE", "normal"});
    redis.command({"CLIENT", "UNPAUSE"});
  });
  Burst b;
  try {
    b = burst(s, "kill");
  } catch (...) {
    killer.join();
    throw;
  }
  killer.join();
  check_recovered(s, b);
  CHECK(s.node.stop().empty());
}

TEST_CASE("redis: SIGTERM with Redis stopped ends the node in bounded time") {
  RedisServer redis;
  Setup s(redis);
  REQUIRE(kill(redis.pid(), SIGSTOP) == 0);
  for (int k = 0; k < kSockets; ++k)
    for (int n = 1; n <= kEach; ++n)
      s.senders[k]->send_raw(send_frame(n, s.conv, "term-" + std::to_string(k) + "-" + std::to_string(n)));
  // The drain (at most 3 s with --drain-sec 0) and the engine's close; each
  // command still waiting ends by its time-out.
  auto status = s.node.signal_and_wait(SIGTERM, Millis(3000 + 8 * kTimeoutMs));
  kill(redis.pid(), SIGCONT);
  REQUIRE_MESSAGE(status, "the node did not exit after SIGTERM:\n" << s.node.output());
  CHECK(s.node.stop().empty());
}
