// A private redis-server for the Redis tests: started on a free loopback
// port (found by binding port 0 first), with no persistence, in a temporary
// directory; stopped and restarted on the same port by the tests that need
// Redis to go away; killed when the test process exits (and by the kernel
// if the test process dies first).
//
// Without redis-server the tests fail with a message saying what to install:
// a skipped storage test would hide a broken engine.
#pragma once

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace parley::testing {

class RedisServer {
 public:
  // The one server of this test process, started on first use.
  static RedisServer& shared() {
    static RedisServer server;
    return server;
  }

  RedisServer() : binary_(find_binary()), port_(free_port()) {
    char tmpl[] = "/tmp/parley-redis-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    start();
  }
  ~RedisServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool running() const { return pid_ > 0; }

  // Starts the server (again, on the same port) and waits until it answers PING.
  void start() {
    if (pid_ > 0) return;
    const std::string port = std::to_string(port_);
    const std::string log = dir_ + "/redis.log";
    std::vector<std::string> args = {
        binary_, "--port", port, "--bind",    "127.0.0.1", "--save",      "",  "--appendonly",
        "no",    "--dir",  dir_, "--logfile", log,         "--daemonize", "no"};
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the tests
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary_.c_str(), argv.data());
      _exit(127);
    }
    pid_ = pid;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
      if (command({"PING"}) == "PONG") return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited at start; see " + log);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("redis-server did not answer PING within 10 s; see " + log);
  }

  // Kills the server (SIGKILL: as abrupt as a crash) and reaps it.
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // A blocking command on a fresh connection, for test set-up and checks:
  // a string or status reply as is, an integer as its decimal text, nil as
  // "(nil)", an array as "(array N)", an error as "ERR…", and "" when the
  // server cannot be reached.
  std::string command(std::initializer_list<std::string> args) const {
    timeval tv{0, 200000};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    if (!c || c->err) {
      if (c) redisFree(c);
      return "";
    }
    redisSetTimeout(c, timeval{2, 0});
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
    std::string out;
    if (r) {
      switch (r->type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
        case REDIS_REPLY_ERROR: out.assign(r->str, r->len); break;
        case REDIS_REPLY_INTEGER: out = std::to_string(r->integer); break;
        case REDIS_REPLY_NIL: out = "(nil)"; break;
        case REDIS_REPLY_ARRAY: out = "(array " + std::to_string(r->elements) + ")"; break;
      }
      freeReplyObject(r);
    }
    redisFree(c);
    return out;
  }

 private:
  static std::string find_binary() {
    if (const char* env = std::getenv("PARLEY_REDIS_SERVER")) return env;
    if (const char* path = std::getenv("PATH")) {
      std::string p = path;
      size_t start = 0;
      while (start <= p.size()) {
        size_t end = p.find(':', start);
        if (end == std::string::npos) end = p.size();
        std::string candidate = p.substr(start, end - start) + "/redis-server";
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
      }
    }
    throw std::runtime_error(
        "redis-server not found: the Redis engine tests need it "
        "(apt-get install redis-server, or set PARLEY_REDIS_SERVER)");
  }

  // A loopback port nobody uses right now: bind port 0, read it, let it go.
  static int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      if (fd >= 0) close(fd);
      throw std::runtime_error("no free loopback port");
    }
    close(fd);
    return ntohs(a.sin_port);
  }

  std::string binary_;
  int port_;
  std::string dir_;
  pid_t pid_ = -1;
};

// Runs an awaitable to completion on a fresh io_context of its own, as a
// caller outside the engine's threads would.
template <class T>
T run_sync(boost::asio::awaitable<T> a) {
  boost::asio::io_context ctx;
  std::optional<T> out;
  std::exception_ptr failure;
  boost::asio::co_spawn(
      ctx, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(a)); },
      [&](std::exception_ptr e) { failure = e; });
  ctx.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*out);
}

// Polls `pred` every 10 ms until it holds or `limit` passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace parley::testing
