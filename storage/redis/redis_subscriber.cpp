#include "redis_subscriber.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/dispatch.hpp>
#include <vector>

namespace parley::redis {

namespace {

constexpr size_t kChannelsPerCommand = 512;  // resubscribe in bounded commands

std::string_view text(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
             ? std::string_view(r->str, r->len)
             : std::string_view();
}

}  // namespace

RedisSubscriber::RedisSubscriber(asio::any_io_executor ex, RedisAddress address,
                                 LinkOptions options, std::string name)
    : RedisLink(ex, std::move(address), options, std::move(name)) {}

RedisSubscriber::~RedisSubscriber() {
  set_listener(nullptr);
  close_now();
}

void RedisSubscriber::set_listener(Listener* listener) {
  std::lock_guard lk(listener_mu_);
  listener_ = listener;
}

void RedisSubscriber::subscribe(std::string channel) {
  auto self = std::static_pointer_cast<RedisSubscriber>(shared_from_this());
  asio::dispatch(strand(), [self, channel = std::move(channel)]() mutable {
    if (!self->channels_.insert(channel).second) return;
    if (self->up()) self->send("SUBSCRIBE", {channel});
    // Down: on_up() subscribes to everything in channels_.
  });
}

void RedisSubscriber::unsubscribe(std::string channel) {
  auto self = std::static_pointer_cast<RedisSubscriber>(shared_from_this());
  asio::dispatch(strand(), [self, channel = std::move(channel)]() mutable {
    if (self->channels_.erase(channel) == 0) return;
    if (self->up()) self->send("UNSUBSCRIBE", {channel});
  });
}

void RedisSubscriber::send(std::string_view verb, const std::vector<std::string>& channels) {
  redisAsyncContext* ac = context();
  if (!ac || channels.empty()) return;
  std::vector<const char*> ptrs{verb.data()};
  std::vector<size_t> lens{verb.size()};
  for (const auto& c : channels) {
    ptrs.push_back(c.data());
    lens.push_back(c.size());
  }
  // hiredis keeps one callback per channel and calls it for the
  // confirmation and for every message. UNSUBSCRIBE outside subscribed
  // mode is refused locally, which is fine: there is nothing to undo.
  redisAsyncCommandArgv(ac, &RedisSubscriber::on_pubsub, this, static_cast<int>(ptrs.size()),
                        ptrs.data(), lens.data());
}

void RedisSubscriber::on_up() {
  std::vector<std::string> batch;
  for (const auto& c : channels_) {
    batch.push_back(c);
    if (batch.size() == kChannelsPerCommand) {
      send("SUBSCRIBE", batch);
      batch.clear();
    }
  }
  send("SUBSCRIBE", batch);
}

void RedisSubscriber::on_down() {
  std::lock_guard lk(listener_mu_);
  if (listener_) listener_->on_link_down();
}

void RedisSubscriber::on_pubsub(redisAsyncContext*, void* reply, void* privdata) {
  auto* self = static_cast<RedisSubscriber*>(privdata);
  auto* r = static_cast<const redisReply*>(reply);
  // Null: the context is being freed (once per channel); on_down follows.
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
  const std::string_view kind = text(r->element[0]);
  const std::string_view channel = text(r->element[1]);
  std::lock_guard lk(self->listener_mu_);
  if (!self->listener_) return;
  if (kind == "message") {
    self->listener_->on_message(channel, text(r->element[2]));
  } else if (kind == "subscribe") {
    // A confirmation for a channel dropped meanwhile is stale.
    if (self->channels_.count(std::string(channel))) self->listener_->on_subscribed(channel);
  }
}

}  // namespace parley::redis
