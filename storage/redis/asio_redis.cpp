#include "asio_redis.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <vector>

namespace parley::redis {

namespace {

RedisLink* link_of(void* p) { return static_cast<RedisLink*>(p); }

}  // namespace

RedisLink::RedisLink(asio::any_io_executor ex, RedisAddress address, LinkOptions options,
                     std::string name)
    : address_(std::move(address)),
      options_(options),
      name_(std::move(name)),
      strand_(asio::make_strand(ex)),
      resolver_(strand_),
      retry_timer_(strand_),
      connect_timer_(strand_),
      backoff_(options.backoff_min) {}

RedisLink::~RedisLink() {
  // Subclasses free the context in their own destructor (their callbacks
  // must not run on a half-destroyed object); this is the last resort.
  close_now();
}

RedisAddress RedisLink::address() const {
  std::lock_guard lk(error_mu_);
  return address_;
}

void RedisLink::set_address_provider(AddressProvider provider, bool require_master) {
  provider_ = std::move(provider);
  require_master_ = require_master;
}

void RedisLink::reconnect(std::string why) {
  // Posted, never run inline: a caller inside a hiredis callback must not
  // free the context under it.
  asio::post(strand_, [self = shared_from_this(), why = std::move(why)]() mutable {
    if (self->closed_) return;
    self->backoff_ = self->options_.backoff_min;
    if (self->ac_) {
      self->reset(std::move(why));  // → context_freed() → a retry after backoff_min
      return;
    }
    // Waiting out a back-off: go now (the cancelled wait does nothing).
    self->retry_timer_.cancel();
    self->connect();
  });
}

std::string RedisLink::last_error() const {
  std::lock_guard lk(error_mu_);
  return last_error_;
}

void RedisLink::set_error(std::string e) {
  std::lock_guard lk(error_mu_);
  last_error_ = std::move(e);
}

void RedisLink::start() {
  asio::dispatch(strand_, [self = shared_from_this()] { self->connect(); });
}

void RedisLink::close() {
  asio::dispatch(strand_, [self = shared_from_this()] { self->close_stopped(); });
}

void RedisLink::close_stopped() {
  close_now();
  retry_timer_.cancel();
  connect_timer_.cancel();
  resolver_.cancel();
  on_close();
}

void RedisLink::close_now() {
  closed_ = true;
  up_.store(false, std::memory_order_release);
  // Frees the context: pending callbacks run with a null reply, then the
  // cleanup hook releases the descriptor. context_freed() posts nothing
  // once closed_ is set.
  if (ac_) redisAsyncFree(ac_);
}

void RedisLink::reset(std::string why) {
  if (!ac_) return;
  set_error(std::move(why));
  redisAsyncFree(ac_);  // → context_freed() → on_down() and a retry
}

// ---- connecting ------------------------------------------------------------

void RedisLink::connect() {
  if (closed_ || ac_ || connecting_) return;
  connecting_ = true;
  if (!provider_) {
    connect_located();
    return;
  }
  provider_([self = shared_from_this()](std::optional<RedisAddress> found) {
    asio::dispatch(self->strand_, [self, found = std::move(found)]() mutable {
      if (self->closed_) return;
      if (!found) {
        self->set_error("no address known for " + self->name_);
        self->schedule_retry();
        return;
      }
      {
        std::lock_guard lk(self->error_mu_);
        self->address_ = std::move(*found);
      }
      self->connect_located();
    });
  });
}

void RedisLink::connect_located() {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address_.host, ec);
  if (!ec) {
    connect_to(ip.to_string());
    return;
  }
  // A host name: resolve it here, so hiredis's getaddrinfo() only ever sees
  // a numeric address and cannot block the thread on DNS.
  resolver_.async_resolve(
      address_.host, std::to_string(address_.port),
      [self = shared_from_this()](const boost::system::error_code& ec,
                                  asio::ip::tcp::resolver::results_type results) {
        if (self->closed_) return;
        if (ec || results.empty()) {
          self->set_error("resolve " + self->address_.host + ": " + ec.message());
          self->schedule_retry();
          return;
        }
        self->connect_to(results.begin()->endpoint().address().to_string());
      });
}

void RedisLink::connect_to(const std::string& ip) {
  connecting_ = false;
  redisAsyncContext* ac = redisAsyncConnect(ip.c_str(), address_.port);
  if (!ac) {
    set_error("out of memory");
    schedule_retry();
    return;
  }
  if (ac->err) {
    // Refused at once (nothing listens on a loopback port, for one).
    set_error(ac->errstr);
    redisAsyncFree(ac);  // no hooks attached yet: nothing calls back
    schedule_retry();
    return;
  }
  ac_ = ac;
  ++gen_;
  reading_ = writing_ = read_armed_ = write_armed_ = connected_ = false;
  ac->data = this;
  ac->ev.data = this;
  ac->ev.addRead = &RedisLink::ev_add_read;
  ac->ev.delRead = &RedisLink::ev_del_read;
  ac->ev.addWrite = &RedisLink::ev_add_write;
  ac->ev.delWrite = &RedisLink::ev_del_write;
  ac->ev.cleanup = &RedisLink::ev_cleanup;
  redisAsyncSetConnectCallback(ac, &RedisLink::on_connect);
  sd_.emplace(strand_, ac->c.fd);

  // One deadline covers the TCP connect and the handshake: a server that
  // accepts but never answers (stopped, overloaded) counts as down.
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([self = shared_from_this(), gen = gen_](boost::system::error_code ec) {
    if (ec || gen != self->gen_ || self->up()) return;
    self->reset("connect timed out");
  });
  // hiredis 0.14 asks for nothing until a command is queued; the connect
  // completes when the socket turns writable, so watch for that now.
  want_write(true);
}

void RedisLink::on_connect(const redisAsyncContext* ac, int status) {
  RedisLink* self = link_of(ac->data);
  if (status != REDIS_OK) {
    // hiredis frees the context right after this; ev_cleanup does the rest.
    self->set_error(ac->c.errstr);
    return;
  }
  self->connected_ = true;
  self->handshake();
}

void RedisLink::handshake() {
  std::vector<std::vector<std::string>> cmds;
  if (!address_.password.empty()) cmds.push_back({"AUTH", address_.password});
  if (address_.db != 0) cmds.push_back({"SELECT", std::to_string(address_.db)});
  // Names the connection in CLIENT LIST, and proves the server answers.
  cmds.push_back({"CLIENT", "SETNAME", name_});
  cmds.insert(cmds.end(), preamble_.begin(), preamble_.end());
  if (require_master_) cmds.push_back({"ROLE"});  // the one array reply here
  handshake_pending_ = static_cast<int>(cmds.size());
  for (const auto& argv : cmds) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAsyncCommandArgv(ac_, &RedisLink::on_handshake_reply, this, static_cast<int>(argv.size()),
                          ptrs.data(), lens.data());
  }
}

void RedisLink::on_handshake_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  RedisLink* self = link_of(privdata);
  if (!reply || self->closed_) return;  // the context is being freed
  auto* r = static_cast<redisReply*>(reply);
  const uint64_t gen = self->gen_;
  const bool not_master = r->type == REDIS_REPLY_ARRAY &&
                          !(r->elements > 0 && r->element[0]->type == REDIS_REPLY_STRING &&
                            std::string_view(r->element[0]->str, r->element[0]->len) == "master");
  if (r->type == REDIS_REPLY_ERROR || not_master) {
    self->set_error(not_master ? std::string("handshake: ROLE is not master")
                               : std::string("handshake: ") + std::string(r->str, r->len));
    // Not from inside hiredis: free the context from a fresh handler.
    asio::post(self->strand_, [s = self->shared_from_this(), gen] {
      if (gen == s->gen_) s->reset(s->last_error());
    });
    return;
  }
  (void)ac;
  if (--self->handshake_pending_ == 0)
    asio::post(self->strand_, [s = self->shared_from_this(), gen] { s->become_up(gen); });
}

void RedisLink::become_up(uint64_t gen) {
  if (gen != gen_ || !ac_ || closed_) return;
  connect_timer_.cancel();
  backoff_ = options_.backoff_min;
  redisEnableKeepAlive(&ac_->c);  // notice a peer that vanished without a FIN
  up_.store(true, std::memory_order_release);
  connects_.fetch_add(1);
  on_up();
}

void RedisLink::schedule_retry() {
  connecting_ = false;
  if (closed_) return;
  const auto delay = backoff_;
  backoff_ = std::min(backoff_ * 2, options_.backoff_max);
  retry_timer_.expires_after(delay);
  retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->connect();
  });
}

// ---- hiredis event hooks -----------------------------------------------------

void RedisLink::context_freed() {
  // The fd is hiredis's: take it back from the descriptor (which cancels
  // the outstanding waits) so only redisFree() closes it.
  if (sd_) {
    sd_->release();
    sd_.reset();
  }
  ac_ = nullptr;
  ++gen_;
  reading_ = writing_ = read_armed_ = write_armed_ = connected_ = false;
  up_.store(false, std::memory_order_release);
  connect_timer_.cancel();
  if (closed_) return;
  asio::post(strand_, [self = shared_from_this()] {
    self->on_down();
    self->schedule_retry();
  });
}

void RedisLink::want_read(bool on) {
  reading_ = on;
  if (on) arm_read();
}

void RedisLink::want_write(bool on) {
  writing_ = on;
  if (on) arm_write();
}

// Waits until the socket is readable, then lets hiredis read and dispatch
// replies. Asio re-arms the descriptor in epoll on each wait, so bytes left
// unread by hiredis's 16 KiB reads wake the next wait at once.
void RedisLink::arm_read() {
  if (read_armed_ || !sd_) return;
  read_armed_ = true;
  sd_->async_wait(asio::posix::descriptor_base::wait_read,
                  [self = shared_from_this(), gen = gen_](boost::system::error_code ec) {
                    if (gen != self->gen_) return;  // that context is gone
                    self->read_armed_ = false;
                    if (ec || !self->reading_ || !self->ac_) return;
                    redisAsyncHandleRead(self->ac_);
                    if (gen == self->gen_ && self->reading_) self->arm_read();
                  });
}

// Waits until the socket is writable (first: until the connect completed),
// then lets hiredis flush its output buffer. Commands queued meanwhile go
// out in the same write: that is the pipelining.
void RedisLink::arm_write() {
  if (write_armed_ || !sd_) return;
  write_armed_ = true;
  sd_->async_wait(asio::posix::descriptor_base::wait_write,
                  [self = shared_from_this(), gen = gen_](boost::system::error_code ec) {
                    if (gen != self->gen_) return;
                    self->write_armed_ = false;
                    if (ec || !self->writing_ || !self->ac_) return;
                    redisAsyncHandleWrite(self->ac_);
                    if (gen == self->gen_ && self->writing_) self->arm_write();
                  });
}

void RedisLink::ev_add_read(void* p) { link_of(p)->want_read(true); }
void RedisLink::ev_del_read(void* p) { link_of(p)->want_read(false); }
void RedisLink::ev_add_write(void* p) { link_of(p)->want_write(true); }
void RedisLink::ev_del_write(void* p) { link_of(p)->want_write(false); }
void RedisLink::ev_cleanup(void* p) { link_of(p)->context_freed(); }

}  // namespace parley::redis
