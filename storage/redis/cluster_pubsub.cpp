#include "cluster_pubsub.hpp"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <charconv>

namespace parley::redis {

namespace {

std::string_view text(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
             ? std::string_view(r->str, r->len)
             : std::string_view();
}

void append_command(std::string& out, std::initializer_list<std::string_view> argv) {
  char num[24];
  auto put = [&](char tag, size_t n) {
    out.push_back(tag);
    auto r = std::to_chars(num, num + sizeof num, n);
    out.append(num, r.ptr);
    out.append("\r\n");
  };
  put('*', argv.size());
  for (auto a : argv) {
    put('$', a.size());
    out.append(a);
    out.append("\r\n");
  }
}

}  // namespace

// ---- ShardLink -------------------------------------------------------------

ShardLink::ShardLink(asio::any_io_executor ex, RedisAddress address, LinkOptions options,
                     size_t index, Owner* owner)
    : address_(std::move(address)),
      options_(options),
      index_(index),
      owner_(owner),
      strand_(asio::make_strand(ex)),
      resolver_(strand_),
      socket_(strand_),
      timer_(strand_),
      backoff_(options.backoff_min) {}

ShardLink::~ShardLink() {
  if (reader_) redisReaderFree(reader_);
}

void ShardLink::start() {
  asio::dispatch(strand_, [self = shared_from_this()] { self->connect(); });
}

void ShardLink::close() {
  {
    std::lock_guard lk(owner_mu_);
    owner_ = nullptr;
  }
  asio::dispatch(strand_, [self = shared_from_this()] {
    self->closed_ = true;
    self->up_.store(false);
    ++self->gen_;
    boost::system::error_code ec;
    self->socket_.close(ec);
    self->resolver_.cancel();
    self->timer_.cancel();
  });
}

void ShardLink::subscribe(std::string channel, bool sharded) {
  asio::dispatch(strand_, [self = shared_from_this(), channel = std::move(channel), sharded] {
    auto [it, fresh] = self->channels_.emplace(channel, sharded);
    if (!fresh) return;
    if (self->up()) {
      self->send(sharded ? "SSUBSCRIBE" : "SUBSCRIBE", channel);
      self->pending_.push_back({true, channel});
      self->flush();
    }
  });
}

void ShardLink::unsubscribe(std::string channel) {
  asio::dispatch(strand_, [self = shared_from_this(), channel = std::move(channel)] {
    auto it = self->channels_.find(channel);
    if (it == self->channels_.end()) return;
    const bool sharded = it->second;
    self->channels_.erase(it);
    if (self->up()) {
      self->send(sharded ? "SUNSUBSCRIBE" : "UNSUBSCRIBE", channel);
      self->pending_.push_back({false, channel});
      self->flush();
    }
  });
}

void ShardLink::connect() {
  if (closed_) return;
  const uint64_t gen = ++gen_;
  auto self = shared_from_this();
  timer_.expires_after(options_.connect_timeout);
  timer_.async_wait([self, gen](boost::system::error_code ec) {
    if (!ec && gen == self->gen_ && !self->up()) self->fail("connect timed out");
  });
  resolver_.async_resolve(
      address_.host, std::to_string(address_.port),
      [self, gen](boost::system::error_code ec, asio::ip::tcp::resolver::results_type results) {
        if (gen != self->gen_ || self->closed_) return;
        if (ec) return self->fail("resolve: " + ec.message());
        asio::async_connect(self->socket_, results,
                            [self, gen](boost::system::error_code ec, const auto&) {
                              if (gen != self->gen_ || self->closed_) return;
                              if (ec) return self->fail("connect: " + ec.message());
                              self->on_connected();
                            });
      });
}

void ShardLink::on_connected() {
  timer_.cancel();
  boost::system::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (reader_) redisReaderFree(reader_);
  reader_ = redisReaderCreate();
  pending_.clear();
  out_.clear();
  backoff_ = options_.backoff_min;
  if (!address_.password.empty()) {
    send("AUTH", address_.password);
    pending_.push_back({false, std::string()});
  }
  for (const auto& [channel, sharded] : channels_) {
    send(sharded ? "SSUBSCRIBE" : "SUBSCRIBE", channel);
    pending_.push_back({true, channel});
  }
  up_.store(true, std::memory_order_release);
  flush();
  read();
}

void ShardLink::fail(const std::string&) {
  const bool was_up = up_.exchange(false);
  ++gen_;
  boost::system::error_code ec;
  socket_.close(ec);
  resolver_.cancel();
  timer_.cancel();
  out_.clear();
  writing_.clear();
  pending_.clear();
  if (was_up) {
    std::lock_guard lk(owner_mu_);
    if (owner_) owner_->on_link_down();
  }
  if (closed_) return;
  timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, options_.backoff_max);
  const uint64_t gen = gen_;
  timer_.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
    if (!ec && gen == self->gen_) self->connect();
  });
}

void ShardLink::send(std::string_view verb, const std::string& arg) {
  append_command(out_, {verb, arg});
}

void ShardLink::flush() {
  if (!writing_.empty() || out_.empty() || !up()) return;
  writing_.swap(out_);
  const uint64_t gen = gen_;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this(), gen](boost::system::error_code ec, size_t) {
                      if (gen != self->gen_) return;
                      self->writing_.clear();
                      if (ec) return self->fail("write: " + ec.message());
                      self->flush();
                    });
}

void ShardLink::read() {
  const uint64_t gen = gen_;
  socket_.async_read_some(
      asio::buffer(in_), [self = shared_from_this(), gen](boost::system::error_code ec, size_t n) {
        if (gen != self->gen_) return;
        if (ec) return self->fail("read: " + ec.message());
        redisReaderFeed(self->reader_, self->in_.data(), n);
        for (;;) {
          void* reply = nullptr;
          if (redisReaderGetReply(self->reader_, &reply) != REDIS_OK)
            return self->fail("unreadable reply");
          if (!reply) break;
          self->handle(static_cast<const redisReply*>(reply));
          freeReplyObject(reply);
          if (gen != self->gen_) return;
        }
        self->read();
      });
}

void ShardLink::handle(const redisReply* r) {
  std::lock_guard lk(owner_mu_);
  if (r->type == REDIS_REPLY_ARRAY && r->elements >= 3) {
    const std::string_view kind = text(r->element[0]);
    const std::string channel(text(r->element[1]));
    const bool wanted = channels_.count(channel) > 0;
    if (kind == "smessage" || kind == "message") {
      if (wanted && owner_) owner_->on_message(channel, text(r->element[2]));
      return;
    }
    const bool is_sub = kind == "ssubscribe" || kind == "subscribe";
    const bool is_unsub = kind == "sunsubscribe" || kind == "unsubscribe";
    if (!is_sub && !is_unsub) return;
    if (!pending_.empty() && pending_.front().subscribe == is_sub &&
        pending_.front().channel == channel) {
      pending_.pop_front();  // the answer to our own command
      if (is_sub && wanted && owner_) owner_->on_subscribed(channel);
      return;
    }
    // Not asked for: the node dropped a shard channel whose slot left it.
    if (is_unsub && wanted) {
      channels_.erase(channel);
      if (owner_) owner_->on_dropped(index_, channel);
    }
    return;
  }
  // A plain reply: AUTH's, or an error for the oldest command (-MOVED when
  // the slot is served elsewhere).
  if (pending_.empty()) return;
  Pending p = std::move(pending_.front());
  pending_.pop_front();
  if (r->type != REDIS_REPLY_ERROR) return;
  if (p.channel.empty()) {
    asio::post(strand_, [self = shared_from_this()] { self->fail("AUTH refused"); });
    return;
  }
  if (p.subscribe && channels_.erase(p.channel) && owner_) owner_->on_dropped(index_, p.channel);
}

// ---- ClusterPubsub ---------------------------------------------------------

ClusterPubsub::ClusterPubsub(asio::any_io_executor ex, LinkOptions options,
                             RedisSubscriber::Listener* listener, std::function<void()> refresh)
    : ex_(std::move(ex)), options_(options), listener_(listener), refresh_(std::move(refresh)) {
  owner_.fill(-1);
}

ClusterPubsub::~ClusterPubsub() { close(); }

void ClusterPubsub::close() {
  std::vector<std::shared_ptr<ShardLink>> links;
  {
    std::lock_guard lk(mu_);
    closed_ = true;
    links = links_;
  }
  for (auto& l : links) l->close();
}

size_t ClusterPubsub::link_for(const RedisAddress& a) {
  for (size_t i = 0; i < links_.size(); ++i)
    if (links_[i]->address().host == a.host && links_[i]->address().port == a.port) return i;
  ShardLink::Owner* self = this;
  links_.push_back(std::make_shared<ShardLink>(ex_, a, options_, links_.size(), self));
  links_.back()->start();
  return links_.size() - 1;
}

void ClusterPubsub::place(const std::string& channel) {
  Want& w = wanted_[channel];
  const int16_t target = owner_[key_slot(channel)];
  if (target == w.link) return;
  if (w.link >= 0) links_[static_cast<size_t>(w.link)]->unsubscribe(channel);
  w.link = target;
  if (target >= 0) links_[static_cast<size_t>(target)]->subscribe(channel, w.sharded);
}

void ClusterPubsub::set_map(const SlotMap& map) {
  std::lock_guard lk(mu_);
  if (closed_) return;
  std::vector<size_t> links;
  for (const auto& m : map.masters) links.push_back(link_for(m));
  for (size_t s = 0; s < kClusterSlots; ++s)
    owner_[s] = map.owner[s] < 0 ? int16_t{-1}
                                 : static_cast<int16_t>(links[static_cast<size_t>(map.owner[s])]);
  masters_ = std::move(links);
  for (auto& [channel, w] : wanted_) place(channel);
}

void ClusterPubsub::subscribe(const std::string& channel, bool sharded) {
  std::lock_guard lk(mu_);
  if (closed_ || wanted_.count(channel)) return;
  wanted_[channel].sharded = sharded;
  place(channel);
}

void ClusterPubsub::unsubscribe(const std::string& channel) {
  std::lock_guard lk(mu_);
  auto it = wanted_.find(channel);
  if (it == wanted_.end()) return;
  if (it->second.link >= 0) links_[static_cast<size_t>(it->second.link)]->unsubscribe(channel);
  wanted_.erase(it);
}

bool ClusterPubsub::up() const {
  std::lock_guard lk(mu_);
  if (masters_.empty()) return false;
  for (size_t i : masters_)
    if (!links_[i]->up()) return false;
  return true;
}

void ClusterPubsub::on_message(std::string_view channel, std::string_view payload) {
  listener_->on_message(channel, payload);
}

void ClusterPubsub::on_subscribed(std::string_view channel) { listener_->on_subscribed(channel); }

void ClusterPubsub::on_link_down() { listener_->on_link_down(); }

void ClusterPubsub::on_dropped(size_t link, const std::string& channel) {
  {
    std::lock_guard lk(mu_);
    auto it = wanted_.find(channel);
    if (it == wanted_.end() || it->second.link != static_cast<int>(link)) return;
    it->second.link = -1;  // placed again by the next map
  }
  refresh_();
}

}  // namespace parley::redis
