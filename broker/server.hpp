// The process, and the composition root: storage engine, hub, the request
// layer's services (timers, presence, user registration, inbox, quotas) and
// its dispatcher, I/O threads and the listener, wired together;
// SIGINT/SIGTERM shut it down in order (stop accepting, close every socket
// 1001, exit).
#pragma once

#include <memory>

#include "config.hpp"

namespace parley {

class Server {
 public:
  explicit Server(Config cfg);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, logs the start line, and serves until a signal arrives. Returns
  // the process exit code: 0 after a clean shutdown, 1 when it could not
  // start (the reason is logged).
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley
