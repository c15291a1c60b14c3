// A private redis-server for the Redis tests (the storage unit tests and the
// multi-node integration tests): its own free loopback port (found by
// binding port 0 first) and temporary directory, both of which outlive a
// restart, so a test can take Redis away and start it again on the same
// port with the same data. Killed with the test process (PR_SET_PDEATHSIG).
//
// Without redis-server the tests fail saying what to install: a skipped
// test would hide a broken engine.
#pragma once

#include <sys/types.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace parley::testing {

class RedisServer {
 public:
  struct Options {
    // appendonly yes with appendfsync always: every write Redis
    // acknowledged is on disk, so it survives kill -9 of Redis. Otherwise
    // no persistence at all.
    bool aof = false;
    // More redis-server arguments (the cluster tests' --cluster-enabled…).
    std::vector<std::string> extra{};
  };

  // The one server of this test process, started on first use.
  static RedisServer& shared();

  explicit RedisServer(Options options);
  RedisServer() : RedisServer(Options{}) {}
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool running() const { return pid_ > 0; }
  // The process (for SIGSTOP / SIGCONT); -1 when not running.
  pid_t pid() const { return pid_; }

  // Starts it (again: same port, same directory) and waits for PONG.
  void start();
  // SIGKILL, reaped: gone as in a crash (with AOF always, nothing
  // acknowledged is lost).
  void kill_hard();
  // SIGTERM, reaped: Redis finishes its AOF and exits.
  void stop();
  // True when it answers PING now (a Redis still loading its data does not).
  bool ping() const;

  // A blocking command on a fresh connection, for test set-up and checks:
  // a string or status reply as is, an integer as its decimal text, nil as
  // "(nil)", an array as "(array N)", an error as its text ("ERR…"), and ""
  // when the server cannot be reached.
  std::string command(std::initializer_list<std::string> args) const;

 private:
  void signal_and_reap(int signal);

  Options options_;
  std::string binary_;
  int port_;
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace parley::testing
