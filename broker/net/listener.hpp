// Accepts TCP connections and reads one HTTP request from each: health,
// readiness and metrics are answered here; an upgrade at /ws becomes a
// Session (with its token and Origin checked first); the rest is the web
// UI's files (web_files.hpp), or 404 with --no-web.
//
// It also keeps the set of open sessions, so a shutdown can close them all.
// Beast stays in listener.cpp (the full HTTP parser, for what is not a
// plain upgrade); sessions speak WebSocket themselves (session.hpp).
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "api/auth.hpp"
#include "config.hpp"
#include "net/connection.hpp"
#include "engine.hpp"
#include "metrics.hpp"

namespace parley {

class Flusher;
class Session;
class WebFiles;
struct SessionShared;

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  struct Deps {
    const Config& cfg;
    Handler& handler;
    const Authenticator& auth;
    const Engine& engine;
    Metrics& metrics;
    const WebFiles* web = nullptr;  // the web UI's files; null: --no-web
  };

  // Listens with an acceptor on `accept_executor`, and accepts on every one
  // of `session_executors` (each its own copy of the listening socket): a
  // connection is served by the thread that accepted it, with no hand-off,
  // unless that thread already has clearly more sessions than another.
  Listener(asio::any_io_executor accept_executor,
           std::vector<asio::any_io_executor> session_executors, Deps deps);
  ~Listener();

  // Binds and listens (SO_REUSEADDR, the system's largest backlog).
  boost::system::error_code open(const asio::ip::tcp::endpoint& endpoint);
  // The bound address (the real port when the configured one was 0).
  asio::ip::tcp::endpoint local_endpoint() const;

  // Starts the accept loop.
  void start();
  // Stops accepting. Thread-safe; sessions still open stay open.
  void stop();
  // Closes every open session (and any that opens from now on) with this
  // code. Thread-safe.
  void close_all(uint16_t code, std::string_view reason);
  // Sessions open now.
  size_t sessions() const;

  // The drain (SIGTERM, server.cpp): from now on /readyz answers 503 and an
  // upgrade is refused with 503 (a proxy then tries another node); plain
  // HTTP is still served and open sessions keep working. Thread-safe.
  void start_draining();
  bool draining() const { return draining_.load(std::memory_order_acquire); }
  // Closes the sessions open now with `code`, spread evenly over `window`
  // (all at once when it is zero), so their clients do not all come back
  // in the same second; a session that opens meanwhile is closed at once.
  // Thread-safe; the pacing runs on the accepting executor.
  void close_spread(uint16_t code, std::string_view reason, std::chrono::milliseconds window);

 private:
  struct HeadRead;
  struct Spread;
  using Deadline = std::chrono::steady_clock::time_point;

  asio::awaitable<void> accept_loop(size_t index);
  // Where a connection accepted by executor `index` is served: there, or on
  // the executor with the fewest sessions when `index` has clearly more.
  size_t serving_executor(size_t index) const;
  // On the socket's executor: reads the request head (listener.cpp) and
  // opens a Session for a plain upgrade; anything else goes to serve_http.
  void serve(asio::ip::tcp::socket socket, size_t executor_index);
  void wait_head(std::shared_ptr<HeadRead> h);
  bool decide(asio::ip::tcp::socket& socket, size_t executor_index, std::string_view data,
              Deadline deadline);
  // The full HTTP parser (Beast) for whatever the fast path left to it;
  // `already`: the bytes read so far.
  asio::awaitable<void> serve_http(asio::ip::tcp::socket socket, size_t executor_index,
                                   std::string already, Deadline deadline);
  // The origin and token checks, then the Session.
  void open_session(asio::ip::tcp::socket socket, size_t executor_index, std::string_view target,
                    std::string_view origin, std::string_view authorization,
                    std::string_view key, std::string_view version, std::string leftover);
  void close_next(std::shared_ptr<Spread> spread);
  std::vector<std::shared_ptr<Session>> open_sessions() const;
  void add(const std::shared_ptr<Session>& s);
  void remove(const Session* s);
  size_t shard_of(const Session* s) const;

  Deps deps_;
  asio::ip::tcp::acceptor acceptor_;  // opens the listening socket, then hands it on
  std::vector<asio::any_io_executor> executors_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;  // one per executor
  std::vector<std::unique_ptr<Flusher>> flushers_;                   // one per executor
  std::unique_ptr<SessionShared> shared_;

  // The open sessions, one shard per executor: a session is added and
  // removed on its own executor, so the threads do not contend for one lock.
  struct alignas(64) Shard {
    mutable std::mutex mu;
    // Each session knows its index here (Session::registry_slot): adding
    // and removing are O(1) with no allocation per session.
    std::vector<std::weak_ptr<Session>> sessions;
    std::atomic<size_t> count{0};
  };
  std::unique_ptr<Shard[]> shards_;

  mutable std::mutex mu_;  // the closing state below
  std::atomic<bool> closing_all_{false};
  std::atomic<bool> draining_{false};
  uint16_t close_code_ = 1001;
  std::string close_reason_;
};

}  // namespace parley
