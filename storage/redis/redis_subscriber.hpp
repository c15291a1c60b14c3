// The pub/sub connection of one shard. Commands and pub/sub cannot share a
// connection (a subscribed connection takes nothing but (UN)SUBSCRIBE), so
// each shard has one of these beside its RedisConnection.
//
// It keeps the set of channels it should be subscribed to. When the link
// comes back — after a restart of Redis, or after Redis dropped the client
// for lagging past client-output-buffer-limit — it subscribes to all of
// them again, and confirms each one to the listener: whatever was published
// while it was away is lost, and the listener says so (EventSink::on_gap).
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "asio_redis.hpp"

namespace parley::redis {

class RedisSubscriber : public RedisLink {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // A message on a subscribed channel, in the order Redis sent them.
    virtual void on_message(std::string_view channel, std::string_view payload) = 0;
    // Redis confirmed the subscription (a first one, or one renewed after a
    // reconnect): everything published from now on arrives.
    virtual void on_subscribed(std::string_view channel) = 0;
    // The link dropped: nothing arrives until the next on_subscribed.
    virtual void on_link_down() = 0;
  };

  RedisSubscriber(asio::any_io_executor ex, RedisAddress address, LinkOptions options,
                  std::string name = "parley-sub");
  ~RedisSubscriber() override;

  // Thread-safe. Null detaches; once it returns no call is in progress.
  void set_listener(Listener* listener);
  // Thread-safe; both take effect in call order.
  void subscribe(std::string channel);
  void unsubscribe(std::string channel);

 protected:
  void on_up() override;
  void on_down() override;

 private:
  void send(std::string_view verb, const std::vector<std::string>& channels);
  static void on_pubsub(redisAsyncContext* ac, void* reply, void* privdata);

  std::unordered_set<std::string> channels_;  // strand only
  std::mutex listener_mu_;                    // held while the listener runs
  Listener* listener_ = nullptr;
};

}  // namespace parley::redis
