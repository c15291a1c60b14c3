// The real broker, as a child process: started with `--listen 127.0.0.1:0`
// plus each test's flags, its port learnt from its start line, its output
// drained by a thread (so it never blocks on a full pipe) and kept for the
// failure report. The destructor stops it (SIGTERM, then SIGKILL) and reaps it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace parley::it {

// The binary under test: $PARLEY_TEST_BINARY, else the build's PARLEY_BINARY.
std::string broker_binary();

class BrokerProcess {
 public:
  // Starts the broker and waits (at most `start_timeout`) for its start
  // line. Throws std::runtime_error, with the output so far, when the
  // binary cannot start or never says where it listens.
  explicit BrokerProcess(std::vector<std::string> extra_args = {},
                         std::chrono::milliseconds start_timeout = std::chrono::seconds(10));
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string output() const;  // everything the broker wrote so far (stdout + stderr)

  // True until the child has exited.
  bool running();

  // Sends `signal` and waits (at most `timeout`) for the child to exit.
  // Returns the wait status, or nullopt when it did not exit in time.
  std::optional<int> signal_and_wait(int signal, std::chrono::milliseconds timeout);

  // SIGTERM, then SIGKILL after `grace`; reaps. Returns a description of an
  // abnormal end ("" when the broker exited 0 or by our SIGTERM).
  std::string stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // `kill -9`: the broker dies on the spot, as in a crash, and is reaped.
  // Not an abnormal end: the test asked for it. Returns what stop() would
  // have reported besides the signal (a sanitizer report, say).
  std::string crash();

 private:
  void drain();
  std::optional<int> try_reap();

  pid_t pid_ = -1;
  int out_fd_ = -1;
  uint16_t port_ = 0;
  std::optional<int> status_;  // set once reaped
  bool signalled_ = false;     // we asked it to stop
  std::thread drainer_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::string output_;
  bool eof_ = false;
};

// The output of the most recently stopped broker, for the failure report
// (see main.cpp).
std::string last_broker_output();

}  // namespace parley::it
