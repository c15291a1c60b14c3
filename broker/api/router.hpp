// The request layer: decodes each frame, enforces authentication and the
// rate limit, dispatches every call to its method, and answers. Methods run
// the pure rules against the engine and hand subscriptions to the hub.
#pragma once

#include <memory>
#include <string>

#include "api/auth.hpp"
#include "config.hpp"
#include "net/connection.hpp"
#include "engine.hpp"
#include "live/hub.hpp"
#include "metrics.hpp"

namespace parley {

class Router : public Handler {
 public:
  Router(const Config& cfg, Engine& engine, Hub& hub, Metrics& metrics, const Authenticator& auth);

  void on_open(const std::shared_ptr<Connection>& c) override;
  asio::awaitable<std::string> on_frame(std::shared_ptr<Connection> c, std::string frame) override;
  void on_close(const std::shared_ptr<Connection>& c) override;

  // Background work of the request layer (presence renewal and sweep),
  // on `ex`; stop() ends it. pending(): work a clean shutdown should wait
  // for (presence leaves and announcements).
  void start(asio::any_io_executor ex);
  void stop();
  size_t pending() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace parley
