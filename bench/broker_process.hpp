// The broker as a child process (--spawn), and the memory figure the
// connect scenario reads from /proc.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bench {

class SpawnedBroker {
 public:
  // Starts `path args...` and waits (up to 10 s) for its "listening on
  // ws://HOST:PORT/ws" line. Throws std::runtime_error on failure.
  SpawnedBroker(const std::string& path, const std::vector<std::string>& args);
  // SIGTERM, then SIGKILL if it has not exited after 5 s.
  ~SpawnedBroker();
  SpawnedBroker(const SpawnedBroker&) = delete;
  SpawnedBroker& operator=(const SpawnedBroker&) = delete;

  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  // The end of what it printed, for error messages.
  std::string output_tail() const;
  // Whether it is still running.
  bool alive();

 private:
  void pump();

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::atomic<uint16_t> port_{0};
  bool exited_ = false;
  mutable std::mutex mu_;
  std::string output_;
  std::thread reader_;
};

// VmRSS of `pid` in bytes (0 when unreadable).
uint64_t rss_bytes(pid_t pid);

// CPU time (user + system) `pid` has used, in seconds; 0 when unreadable.
double cpu_seconds(pid_t pid);

// Time `pid`'s threads spent runnable but waiting for a CPU (schedstat's
// run_delay, summed over its threads), in seconds: how much other load on
// the machine held it back.
double run_delay_seconds(pid_t pid);

// The same two figures for `pid` and its child processes (nginx's
// workers under its master).
double tree_cpu_seconds(pid_t pid);
double tree_run_delay_seconds(pid_t pid);
// VmRSS of `pid` and its child processes, in bytes.
uint64_t tree_rss_bytes(pid_t pid);

// Raises RLIMIT_NOFILE's soft limit to its hard limit; returns the limit.
uint64_t raise_fd_limit();

}  // namespace bench
