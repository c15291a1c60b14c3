// The hiredis <-> Asio adapter. hiredis 0.14 ships no Asio adapter, so this
// one drives a redisAsyncContext through its event hooks (ac->ev.addRead,
// delRead, addWrite, delWrite, cleanup) with a posix::stream_descriptor's
// async_wait.
//
// Rules it keeps:
//  - Every call into hiredis runs on the link's strand, one at a time.
//  - The socket belongs to hiredis: the descriptor only watches it and is
//    release()d, never closed, when hiredis cleans the context up.
//  - Connecting never blocks: host names are resolved with Asio, hiredis
//    connects non-blocking to the numeric address, and the connect completes
//    when the socket turns writable. A handshake (AUTH, SELECT, CLIENT
//    SETNAME) proves the server answers before the link counts as up.
//  - A lost link reconnects by itself after a back-off that starts at
//    backoff_min and doubles up to backoff_max, until close().
//  - The link's I/O runs on the executor it was given: the Redis engine
//    gives each broker io thread links on that thread's own io_context, so
//    a command issued there is written, and its reply read, without a
//    thread hop (strand dispatch runs inline on an idle strand).
//  - The address can be looked up on each connect: set_address_provider()
//    gives a function the link asks then (Sentinel mode: the current
//    master); without it the address given at construction is used.
//
// RedisLink is the shared machinery; RedisConnection (commands) and
// RedisSubscriber (pub/sub) build on it.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "redis_url.hpp"

struct redisAsyncContext;

namespace parley::redis {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct LinkOptions {
  std::chrono::milliseconds connect_timeout{1000};  // TCP connect + handshake
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{2000};
};

class RedisLink : public std::enable_shared_from_this<RedisLink> {
 public:
  using Strand = asio::strand<asio::any_io_executor>;

  RedisLink(asio::any_io_executor ex, RedisAddress address, LinkOptions options, std::string name);
  virtual ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  // Where to connect, asked again before every connect (Sentinel mode: the
  // current master, see sentinel.hpp). It calls `done` once, from any
  // thread, with the address, or nullopt to retry after the back-off.
  using AddressDone = std::function<void(std::optional<RedisAddress>)>;
  using AddressProvider = std::function<void(AddressDone done)>;
  // Call before start(). With require_master, the handshake also sends ROLE
  // and a server that is not a master counts as a failed connect, so a
  // demoted master is never written.
  void set_address_provider(AddressProvider provider, bool require_master);

  // Commands sent after the handshake on every connect, before the link
  // counts as up (an error reply fails the connect). Call before start().
  void set_preamble(std::vector<std::vector<std::string>> cmds) { preamble_ = std::move(cmds); }

  // Starts connecting. Thread-safe; call once, after construction.
  void start();
  // Drops the connection (if any) and connects again at once, without the
  // back-off: the master moved. Thread-safe.
  void reconnect(std::string why);
  // Stops for good: no more reconnects; the context, if any, is freed, which
  // fails every pending command. Thread-safe; returns before it is done.
  void close();
  // close(), done on the calling thread: only for a link whose executor no
  // longer runs (its io_context stopped, its thread joined), where a
  // dispatched close() would never run.
  void close_stopped();
  // Whether the handshake completed and the link has not dropped since.
  bool up() const { return up_.load(std::memory_order_acquire); }
  // The address of the current (or last) connection.
  RedisAddress address() const;
  const std::string& name() const { return name_; }
  // The last connection error, for logs and tests.
  std::string last_error() const;
  // How many times the link came up (1 after the first connect).
  uint64_t connects() const { return connects_.load(); }

 protected:
  // ---- for subclasses; all on the strand ----
  const Strand& strand() const { return strand_; }
  // The live context: non-null from the handshake on, until the link drops.
  redisAsyncContext* context() const { return ac_; }
  // The link is up: the handshake is done and context() takes commands.
  virtual void on_up() = 0;
  // The context is gone (its pending callbacks already ran with a null
  // reply). Runs as a posted handler, never inside hiredis.
  virtual void on_down() = 0;
  // close() was called: cancel the subclass's own timers (on the strand).
  virtual void on_close() {}
  // Drops the connection now and reconnects after the back-off. Never call
  // it from inside a hiredis callback: post it.
  void reset(std::string why);
  // Frees the context at once without posting anything: for destructors of
  // subclasses, whose callbacks must not outlive them.
  void close_now();
  bool closed() const { return closed_; }

 private:
  void connect();
  void connect_located();
  void connect_to(const std::string& ip);
  void schedule_retry();
  void handshake();
  void become_up(uint64_t gen);
  void context_freed();
  void want_read(bool on);
  void want_write(bool on);
  void arm_read();
  void arm_write();
  void set_error(std::string e);

  // hiredis hooks (privdata = this link).
  static void ev_add_read(void* p);
  static void ev_del_read(void* p);
  static void ev_add_write(void* p);
  static void ev_del_write(void* p);
  static void ev_cleanup(void* p);
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_handshake_reply(redisAsyncContext* ac, void* reply, void* privdata);

  RedisAddress address_;  // written on the strand only, read under error_mu_ elsewhere
  AddressProvider provider_;
  bool require_master_ = false;
  bool connecting_ = false;  // asking the provider or resolving: connect() waits
  std::vector<std::vector<std::string>> preamble_;
  const LinkOptions options_;
  const std::string name_;
  Strand strand_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer retry_timer_;
  asio::steady_timer connect_timer_;
  std::optional<asio::posix::stream_descriptor> sd_;

  redisAsyncContext* ac_ = nullptr;
  uint64_t gen_ = 0;                        // bumped per context: stale waits see a new number
  bool reading_ = false, writing_ = false;  // what hiredis asked for
  bool read_armed_ = false, write_armed_ = false;  // an async_wait is outstanding
  bool connected_ = false;                         // TCP connect completed
  int handshake_pending_ = 0;
  bool closed_ = false;
  std::chrono::milliseconds backoff_;
  mutable std::mutex error_mu_;  // last_error() and address() are read from any thread
  std::string last_error_;
  std::atomic<bool> up_{false};
  std::atomic<uint64_t> connects_{0};
};

}  // namespace parley::redis
