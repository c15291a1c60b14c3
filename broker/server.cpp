#include "server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <functional>
#include <malloc.h>
#include <thread>
#include <vector>

#include "api/api_keys.hpp"
#include "api/auth.hpp"
#include "api/context.hpp"
#include "api/conversation_io.hpp"
#include "api/dispatcher.hpp"
#include "api/http_api.hpp"
#include "api/user_control.hpp"
#include "api/quota.hpp"
#include "hooks/send_hook.hpp"
#include "hooks/webhooks.hpp"
#include "live/hub.hpp"
#include "live/inbox.hpp"
#include "live/presence.hpp"
#include "live/timer_service.hpp"
#include "live/user_registration.hpp"
#include "memory/memory_engine.hpp"
#include "metrics.hpp"
#include "observe/logging.hpp"
#include "net/listener.hpp"
#include "net/web_files.hpp"
#include "redis/redis_engine.hpp"
#include "tuning.hpp"

namespace parley {

using namespace std::chrono_literals;

namespace {



// The one place the storage engine is chosen: Redis when --redis names
// shards, else the embedded memory engine. The Redis engine connects in the
// background and never blocks start-up: until every shard answers, /readyz
// says 503 and requests that need storage answer 503.
// Each io thread (`contexts`) gets its own Redis command connection per
// shard, driven on that thread (redis_engine.hpp, CONNECTIONS).
std::unique_ptr<Engine> make_engine(const Config& cfg,
                                    const std::vector<std::unique_ptr<asio::io_context>>& contexts) {
  if (cfg.redis_urls.empty() && cfg.redis_cluster.empty() && cfg.redis_sentinels.empty())
    return std::make_unique<MemoryEngine>();
  redis::RedisEngineOptions o;
  o.urls = cfg.redis_urls;
  o.cluster = cfg.redis_cluster;
  o.sentinels = cfg.redis_sentinels;
  o.master_name = cfg.redis_master_name;
  o.password = cfg.redis_password;
  o.wait_replicas = static_cast<int>(cfg.redis_wait_replicas);
  o.wait_timeout = std::chrono::milliseconds(cfg.redis_wait_timeout_ms);
  for (const auto& c : contexts) o.callers.push_back(c.get());
  o.connection.command_timeout = std::chrono::milliseconds(cfg.redis_timeout_ms);
  // Webhooks: the commit scripts add the wanted events to the shard's outbox.
  if (!cfg.hooks.webhooks.empty())
    o.outbox = [&hooks = cfg.hooks](const std::string& tenant, const std::string& type) {
      return hooks.wants(tenant, type);
    };
  return std::make_unique<redis::RedisEngine>(std::move(o));
}

// Logs each change of the engine's readiness, so an operator sees storage
// go and come back (the Redis engine reconnects by itself). The first look
// comes a second after start, once a reachable Redis has been connected.
// Hands the heap's free pages back to the system every kHeapTrimInterval
// (tuning.hpp says why), until the timer is cancelled or its context stops.
void trim_heap(asio::steady_timer& timer) {
  timer.expires_after(kHeapTrimInterval);
  timer.async_wait([&timer](const boost::system::error_code& ec) {
    if (ec) return;
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
    trim_heap(timer);
  });
}

void watch_readiness(Engine& engine, asio::steady_timer& timer, bool was_ready) {
  timer.expires_after(was_ready ? 1s : 500ms);
  timer.async_wait([&engine, &timer, was_ready](const boost::system::error_code& ec) {
    if (ec) return;
    const bool ready = engine.ready();
    if (ready && !was_ready) spdlog::info("storage ready (engine={})", engine.name());
    if (!ready && was_ready)
      spdlog::warn("storage unavailable (engine={}): /readyz answers 503", engine.name());
    watch_readiness(engine, timer, ready);
  });
}

std::string url_host(const asio::ip::address& a) {
  return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

}  // namespace

struct Server::Impl {
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;

  explicit Impl(Config c) : cfg(std::move(c)) {}
  ~Impl();

  void build_request_layer();
  void on_signal(const boost::system::error_code& ec, int signo);
  void start_drain();
  void on_reload_signal(const boost::system::error_code& ec, int signo);
  void drain(std::chrono::steady_clock::time_point deadline);
  void stop_all();

  Config cfg;
  Metrics metrics;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Hub> hub;
  std::unique_ptr<Authenticator> auth;
  // The request layer: the services of its methods, and its dispatcher.
  std::unique_ptr<TimerService> timers;  // the automatic lock and the ttl deletion
  std::unique_ptr<CreationQuota> creations;
  std::shared_ptr<PresenceTracker> presence;
  std::shared_ptr<UserRegistrar> registrar;
  std::shared_ptr<InboxManager> inbox;  // subscribeInbox; the hub's change listener
  std::unique_ptr<hooks::SendHook> send_hook;  // --send-hook; null = none
  std::unique_ptr<hooks::Webhooks> webhooks;   // the outboxes, deliveries, dead letters
  std::unique_ptr<Services> services;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<UserControl> control;   // disconnectUser; the engine's sink, before the hub
  std::unique_ptr<ApiKeyStore> api_keys;  // --api-keys-file
  std::unique_ptr<HttpApi> api;           // POST /api/v1/
  std::unique_ptr<WebFiles> web;  // null: no web UI
  // One io_context per thread: a session lives on one of them, so its
  // handlers never run concurrently and need no strand.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<Guard> guards;
  std::vector<std::thread> threads;
  std::shared_ptr<Listener> listener;
  std::unique_ptr<asio::signal_set> signals;
  // SIGHUP runs each of these, in order, on the main context: whatever
  // re-reads a file (the JWKS keys, ...) adds itself here.
  std::unique_ptr<asio::signal_set> reload_signals;
  std::vector<std::function<void()>> reloaders;
  std::unique_ptr<asio::steady_timer> drain_timer;
  std::unique_ptr<asio::steady_timer> ready_timer;
  std::unique_ptr<asio::steady_timer> trim_timer;
  bool shutting_down = false;
};

// Order matters: the threads are gone first. Then the engine, while the
// contexts and the hub still exist: the Redis engine runs its own I/O
// thread, which delivers pub/sub traffic to the hub (the sink) and hands
// each reply to its caller's context, holding work on that context until
// then. Destroyed after them (as it was), a command still in flight when
// the io threads stopped (a timer poll, a presence renewal) completed into
// a context already freed, and a message could reach the freed hub: a
// crash after "stopped", now and then. Destroyed here, it closes its links
// and joins its thread; what it fails is queued in the stopped contexts and
// destroyed with them, without running. Nothing below calls the engine.
// The listener (whose acceptor belongs to contexts[0]) goes before the
// contexts; the contexts (which may still hold sessions that never
// finished, and with them the request layer's per-socket state) go before
// the dispatcher, its services and the hub.
Server::Impl::~Impl() {
  stop_all();
  for (auto& t : threads)
    if (t.joinable()) t.join();
  if (webhooks) webhooks->stop();  // its thread reads the engine
  if (engine) engine->set_sink(nullptr);
  engine.reset();
  webhooks.reset();
  signals.reset();
  reload_signals.reset();
  drain_timer.reset();
  ready_timer.reset();
  trim_timer.reset();
  listener.reset();
  guards.clear();
  contexts.clear();
  api.reset();
  dispatcher.reset();
  if (hub) hub->set_change_listener(nullptr);
  services.reset();
  send_hook.reset();
  inbox.reset();
  registrar.reset();
  presence.reset();
  creations.reset();
  timers.reset();
  control.reset();
  hub.reset();
  auth.reset();
}

// The services the methods share, and the dispatcher that runs them; the
// inbox hears of every change the hub sees (tenant notices included).
void Server::Impl::build_request_layer() {
  timers = std::make_unique<TimerService>(
      *engine, TimerService::Options{cfg.lock_after_sec * 1000, cfg.timer_poll_ms});
  creations = std::make_unique<CreationQuota>(cfg.limits.creations_per_min,
                                              cfg.limits.tenant_creations_per_min);
  presence = std::make_shared<PresenceTracker>(*engine, cfg);
  registrar = std::make_shared<UserRegistrar>(*engine, kRegistrations, kRegistrationRefreshMs);
  inbox = std::make_shared<InboxManager>(
      *engine,
      [ttr = cfg.ttr](const Conversation& conv, const Identity& who) {
        return conversation_json(conv, who, ttr);
      },
      cfg.limits.inbox_subscriptions);
  hub->set_change_listener(inbox);
  if (cfg.hooks.send_hook)
    send_hook = std::make_unique<hooks::SendHook>(cfg.hooks, metrics.hooks,
                                                  static_cast<size_t>(cfg.limits.text_chars));
  services = std::make_unique<Services>(Services{cfg, *engine, *hub, metrics, *auth, *timers,
                                                 *creations, *presence, *registrar, *inbox,
                                                 send_hook.get(), webhooks.get(), *control});
  dispatcher = std::make_unique<Dispatcher>(*services);
  api = std::make_unique<HttpApi>(*services, *api_keys);
}

void Server::Impl::stop_all() {
  guards.clear();
  for (auto& c : contexts) c->stop();
}

// SIGTERM drains (start_drain). SIGINT (^C): stop accepting, close every
// socket 1001, wait for them to go (bounded), then stop. A second signal
// stops at once.
void Server::Impl::on_signal(const boost::system::error_code& ec, int signo) {
  if (ec) return;
  if (shutting_down) {
    spdlog::warn("signal {} again: stopping now", signo);
    stop_all();
    return;
  }
  shutting_down = true;
  signals->async_wait([this](const boost::system::error_code& e, int s) { on_signal(e, s); });
  if (signo == SIGTERM) {
    start_drain();
    return;
  }
  spdlog::info("signal {}: shutting down", signo);
  listener->stop();
  listener->close_all(1001, "shutting down");
  // The first check comes after a short wait, so the acceptor close posted
  // by stop() has run and the accept loop has let go of the listener.
  auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  drain_timer->expires_after(20ms);
  drain_timer->async_wait([this, deadline](const boost::system::error_code& ec) {
    if (!ec) drain(deadline);
  });
}

// The zero-downtime drain: /readyz answers 503 and upgrades are refused at
// once, so the load balancer sends new sockets elsewhere; the open ones
// keep working (requests in flight finish) for --drain-sec. Then accepting
// stops and they close 1012 (service restart), spread over
// --drain-spread-sec so their clients come back elsewhere a few at a time;
// the broker stops once they are gone (or kDrainTimeout after the spread).
void Server::Impl::start_drain() {
  const std::chrono::seconds wait{cfg.drain_sec}, spread{cfg.drain_spread_sec};
  spdlog::info("SIGTERM: draining: /readyz 503, no new sockets; {} open sockets close 1012 "
               "after {}s, spread over {}s",
               listener->sessions(), wait.count(), spread.count());
  listener->start_draining();
  drain_timer->expires_after(wait);
  drain_timer->async_wait([this, spread](const boost::system::error_code& ec) {
    if (ec) return;
    listener->stop();
    listener->close_spread(1012, "service restart", spread);
    // As on SIGINT: the first check once the acceptors' close has run.
    auto deadline = std::chrono::steady_clock::now() + spread + kDrainTimeout;
    drain_timer->expires_after(20ms);
    drain_timer->async_wait([this, deadline](const boost::system::error_code& e) {
      if (!e) drain(deadline);
    });
  });
}

void Server::Impl::on_reload_signal(const boost::system::error_code& ec, int signo) {
  if (ec) return;
  spdlog::info("signal {}: reloading", signo);
  for (auto& reload : reloaders) reload();
  reload_signals->async_wait(
      [this](const boost::system::error_code& e, int s) { on_reload_signal(e, s); });
}

void Server::Impl::drain(std::chrono::steady_clock::time_point deadline) {
  // Sessions first; then the presence leaves they caused, so other nodes
  // see this node's users go offline now rather than when entries expire.
  const bool done = listener->sessions() == 0 && presence->pending() == 0;
  if (done || std::chrono::steady_clock::now() >= deadline) {
    if (size_t left = listener->sessions())
      spdlog::warn("{} sessions still open after {}s; stopping anyway", left,
                   std::chrono::duration_cast<std::chrono::seconds>(kDrainTimeout).count());
    timers->stop();
    presence->stop();
    stop_all();
    return;
  }
  drain_timer->expires_after(20ms);
  drain_timer->async_wait([this, deadline](const boost::system::error_code& ec) {
    if (!ec) drain(deadline);
  });
}

Server::Server(Config cfg) : impl_(std::make_unique<Impl>(std::move(cfg))) {}

Server::~Server() = default;

int Server::run() {
  Impl& s = *impl_;
  const Config& cfg = s.cfg;
  auto level = spdlog::level::from_str(cfg.log_level);
  observe::set_log_format(
      cfg.log_format == "json" ? observe::LogFormat::json : observe::LogFormat::text, cfg.node_id);

  unsigned n = cfg.threads ? cfg.threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) {
    // Concurrency hint 1: each context is run by exactly one thread.
    s.contexts.push_back(std::make_unique<asio::io_context>(1));
    s.guards.emplace_back(s.contexts.back()->get_executor());
  }
  asio::io_context& main = *s.contexts.front();

  s.engine = make_engine(cfg, s.contexts);
  s.hub = std::make_unique<Hub>(*s.engine, s.metrics, s.cfg.limits);
  s.control = std::make_unique<UserControl>(*s.engine, *s.hub);
  s.webhooks = std::make_unique<hooks::Webhooks>(cfg, *s.engine, s.metrics.hooks);
  // The engine's events: the webhook outbox (memory engine), then the
  // disconnect signals, then the hub.
  s.engine->set_sink(s.webhooks->wrap(s.control.get()));
  s.auth = std::make_unique<Authenticator>(cfg.auth);
  if (std::string why; !s.auth->reload(why)) {
    spdlog::error("--jwt-jwks-file: {}", why);
    return 1;
  }
  s.reloaders.push_back([auth = s.auth.get(), file = cfg.auth.jwks_file] {
    if (file.empty()) return;
    std::string why;
    if (auth->reload(why))
      spdlog::info("JWKS keys reloaded from {}: {} keys", file, auth->key_count());
    else
      spdlog::error("JWKS keys not reloaded, the previous ones stay: {}", why);
  });
  s.api_keys = std::make_unique<ApiKeyStore>();
  if (!cfg.api_keys_file.empty()) {
    if (auto st = s.api_keys->load(cfg.api_keys_file); !st.ok()) {
      spdlog::error("--api-keys-file: {}", st.error().message);
      return 1;
    }
    s.reloaders.push_back([&s] {
      auto st = s.api_keys->load(s.cfg.api_keys_file);
      if (st.ok())
        spdlog::info("API keys reloaded: {} keys", s.api_keys->size());
      else
        spdlog::error("API keys not reloaded (the old ones stay): {}", st.error().message);
    });
  }
  s.build_request_layer();
  if (cfg.web && !cfg.web_root.empty())
    s.web = std::make_unique<WebFiles>(cfg.web_root, cfg.allowed_origins);

  // Where to listen: an address, or a name resolved once now.
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(main);
  auto results = resolver.resolve(cfg.listen_host, std::to_string(cfg.listen_port),
                                  asio::ip::tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    spdlog::error("cannot resolve listen host \"{}\": {}", cfg.listen_host,
                  ec ? ec.message() : "no address");
    return 1;
  }
  std::vector<asio::any_io_executor> executors;
  for (auto& c : s.contexts) executors.push_back(c->get_executor());
  s.listener = std::make_shared<Listener>(
      main.get_executor(), std::move(executors),
      Listener::Deps{cfg, *s.dispatcher, *s.auth, *s.engine, s.metrics, s.web.get(),
                   s.api.get()});
  auto endpoint = results.begin()->endpoint();
  if (ec = s.listener->open(endpoint); ec) {
    spdlog::error("cannot listen on {}:{}: {}", url_host(endpoint.address()), endpoint.port(),
                  ec.message());
    return 1;
  }

  // The start line is printed whatever the log level (tests and operators
  // read the bound port from it); the configured level applies after it.
  spdlog::set_level(std::min(level, spdlog::level::info));
  auto bound = s.listener->local_endpoint();
  spdlog::info("parley {} listening on ws://{}:{}/ws engine={} mode={} threads={} node={}",
               PARLEY_VERSION, url_host(bound.address()), bound.port(), s.engine->name(),
               cfg.dev ? "dev" : "jwt", n, cfg.node_id);
  if (s.web)
    spdlog::info("web UI at http://{}:{}/ (the console at /console/) from {}",
                 url_host(bound.address()), bound.port(), s.web->root());
  else if (cfg.web)
    spdlog::warn("no web UI: neither {} exists (--web-root DIR names one)",
                 fmt::join(default_web_roots(), " nor "));
  spdlog::default_logger()->flush();
  spdlog::set_level(level);

  s.signals = std::make_unique<asio::signal_set>(main, SIGINT, SIGTERM);
  s.signals->async_wait(
      [&s](const boost::system::error_code& e, int signo) { s.on_signal(e, signo); });
  s.reload_signals = std::make_unique<asio::signal_set>(main, SIGHUP);
  s.reload_signals->async_wait(
      [&s](const boost::system::error_code& e, int signo) { s.on_reload_signal(e, signo); });
  s.drain_timer = std::make_unique<asio::steady_timer>(main);
  s.ready_timer = std::make_unique<asio::steady_timer>(main);
  watch_readiness(*s.engine, *s.ready_timer, true);
  s.trim_timer = std::make_unique<asio::steady_timer>(main);
  trim_heap(*s.trim_timer);
  s.control->start([listener = std::weak_ptr<Listener>(s.listener)](
                       const std::string& tenant, const std::string& user_id,
                       const std::string& reason) {
    if (auto l = listener.lock()) l->close_user(tenant, user_id, kDisconnectedCode, reason);
  });
  s.timers->start(main.get_executor());
  s.presence->start(main.get_executor());
  s.listener->start();
  s.webhooks->start();

  for (auto& c : s.contexts) {
    s.threads.emplace_back([ctx = c.get()] {
      // A handler that throws must not take the whole process down with
      // std::terminate: log it and keep serving.
      for (;;) {
        try {
          ctx->run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("uncaught exception in an I/O thread: {}", e.what());
        }
      }
    });
  }
  for (auto& t : s.threads) t.join();
  spdlog::info("stopped");
  return 0;
}

}  // namespace parley
