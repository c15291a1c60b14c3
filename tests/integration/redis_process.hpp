// A private redis-server for the multi-node integration tests (the unit
// tests' fixture, tests/unit/storage_redis_server.hpp, adapted): its own free
// loopback port and temporary directory, which outlive a restart, so a test
// can kill Redis and start it again on the same port with the same data.
// Killed with the test process (PR_SET_PDEATHSIG).
//
// Without redis-server the tests fail saying what to install: a skipped
// test would hide a broken engine.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

namespace parley::it {

class RedisProcess {
 public:
  struct Options {
    // appendonly yes with appendfsync always: every write Redis
    // acknowledged is on disk, so it survives kill -9 of Redis.
    bool aof = false;
  };

  explicit RedisProcess(Options options);
  RedisProcess() : RedisProcess(Options{}) {}
  ~RedisProcess();
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool running() const { return pid_ > 0; }

  // Starts it (again: same port, same directory) and waits for PONG.
  void start();
  // SIGKILL: gone as in a crash (with AOF always, nothing acknowledged is lost).
  void kill_hard();
  // SIGTERM: Redis finishes its AOF and exits.
  void stop();
  // True when it answers PING now.
  bool ping() const;

 private:
  void signal_and_reap(int signal);

  Options options_;
  std::string binary_;
  int port_;
  std::string dir_;
  pid_t pid_ = -1;
};

// Polls `pred` every 20 ms until it holds or `limit` passes. Only a bound on
// waiting: no test asserts how long something took.
bool wait_until(const std::function<bool()>& pred,
                std::chrono::milliseconds limit = std::chrono::seconds(10));

}  // namespace parley::it
