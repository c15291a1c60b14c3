// Pub/sub on Redis Cluster.
//
// A conversation's channel pl:{c:T:ID}:ch is a shard channel: SSUBSCRIBE on
// the master serving its slot, which the commit scripts SPUBLISH to, so a
// message travels to that node's subscribers only instead of to every node
// of the cluster. The tenant change channels (contract 14) stay classic
// channels: the commit scripts PUBLISH them, and the cluster forwards a
// classic PUBLISH to every node, so one SUBSCRIBE on any node hears all of
// them; ClusterPubsub puts each on the master of its own name's slot so
// that it, too, follows failovers.
//
// ShardLink is one subscriber connection to one node. hiredis 0.14's
// asynchronous API knows SUBSCRIBE but not SSUBSCRIBE (it would take the
// confirmations for ordinary replies), so this link speaks RESP itself: an
// Asio socket and hiredis's reply parser (redisReader). It reconnects with
// the same back-off as RedisLink and then subscribes to its channels again.
//
// ClusterPubsub keeps the wanted channels and, from the slot map, the link
// each belongs on. A new map (a slot moved, a replica took over) moves the
// subscriptions whose slot changed owner. When a node drops a shard channel
// (its slot migrated away: Redis sends SUNSUBSCRIBE) or refuses one
// (-MOVED), the channel waits for the next map, and the owner is asked to
// read one. Every confirmation reaches the listener's on_subscribed, which
// the engine turns into EventSink::on_gap: the hub re-reads the log, so
// whatever was published while the subscription moved is not lost.
#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "asio_redis.hpp"
#include "cluster_slots.hpp"
#include "redis_subscriber.hpp"

struct redisReader;

namespace parley::redis {

class ShardLink : public std::enable_shared_from_this<ShardLink> {
 public:
  struct Owner {
    virtual ~Owner() = default;
    virtual void on_message(std::string_view channel, std::string_view payload) = 0;
    virtual void on_subscribed(std::string_view channel) = 0;
    virtual void on_link_down() = 0;
    // The node no longer serves (or refused) this shard channel.
    virtual void on_dropped(size_t link, const std::string& channel) = 0;
  };

  ShardLink(asio::any_io_executor ex, RedisAddress address, LinkOptions options, size_t index,
            Owner* owner);
  ~ShardLink();

  void start();
  void close();
  bool up() const { return up_.load(std::memory_order_acquire); }
  const RedisAddress& address() const { return address_; }
  // Thread-safe, in call order. `sharded`: SSUBSCRIBE, else SUBSCRIBE.
  void subscribe(std::string channel, bool sharded);
  void unsubscribe(std::string channel);

 private:
  struct Pending {
    bool subscribe;
    std::string channel;
  };
  void connect();
  void on_connected();
  void fail(const std::string& why);
  void send(std::string_view verb, const std::string& arg);
  void flush();
  void read();
  void handle(const struct redisReply* r);

  const RedisAddress address_;
  const LinkOptions options_;
  const size_t index_;
  std::mutex owner_mu_;  // held while the owner is called; close() clears owner_
  Owner* owner_;
  asio::strand<asio::any_io_executor> strand_;
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  std::chrono::milliseconds backoff_;
  redisReader* reader_ = nullptr;
  std::unordered_map<std::string, bool> channels_;  // channel -> sharded (strand only)
  std::deque<Pending> pending_;                      // commands awaiting their reply
  std::string out_, writing_;
  std::array<char, 16384> in_{};
  uint64_t gen_ = 0;
  bool closed_ = false;
  std::atomic<bool> up_{false};
};

class ClusterPubsub : private ShardLink::Owner {
 public:
  // `refresh` asks the owner for a new slot map (it answers with set_map).
  ClusterPubsub(asio::any_io_executor ex, LinkOptions options,
                RedisSubscriber::Listener* listener, std::function<void()> refresh);
  ~ClusterPubsub() override;

  void set_map(const SlotMap& map);
  void subscribe(const std::string& channel, bool sharded);
  void unsubscribe(const std::string& channel);
  // Whether the link of every master in the current map is up.
  bool up() const;
  void close();

 private:
  void on_message(std::string_view channel, std::string_view payload) override;
  void on_subscribed(std::string_view channel) override;
  void on_link_down() override;
  void on_dropped(size_t link, const std::string& channel) override;
  size_t link_for(const RedisAddress& a);  // under mu_
  void place(const std::string& channel);  // under mu_

  struct Want {
    bool sharded = true;
    int link = -1;  // -1: waiting for a map that places it
  };
  asio::any_io_executor ex_;
  const LinkOptions options_;
  RedisSubscriber::Listener* const listener_;
  const std::function<void()> refresh_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<ShardLink>> links_;  // never shrinks
  std::vector<size_t> masters_;                    // links of the current map's masters
  std::array<int16_t, kClusterSlots> owner_{};     // slot -> link, -1 none
  std::unordered_map<std::string, Want> wanted_;
  bool closed_ = false;
};

}  // namespace parley::redis
