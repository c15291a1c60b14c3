// The hub: conversation -> local subscribers. It receives committed events
// from the engine (in seq order per conversation) and hands each subscriber
// (a Subscription, subscription.hpp) the frame for its audience, serialized
// once per audience and shared.
//
// Per-thread fan-out: a topic's subscriptions are kept by the io thread of
// their socket (a Lane). An event is handed once to each lane: the lane of
// the thread the hub runs on gets it at once, every other lane gets one
// posted hand-off, and that thread offers it to its own subscriptions. So a
// subscription, and its socket's queue, are touched by their own thread
// only: their locks are never contended and their cache lines stay on one
// core, and a thread is woken once per event rather than once per socket.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine.hpp"
#include "limits.hpp"
#include "live/subscription.hpp"
#include "metrics.hpp"
#include "net/connection.hpp"

namespace parley {

// Where the hub forwards contract 14's tenant notices (the inbox manager).
class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  virtual void on_changed(const ConvKey& key, bool erased) = 0;
  virtual void on_tenant_gap(const std::string& tenant) = 0;
};

class Hub : public EventSink {
 public:
  Hub(Engine& engine, Metrics& metrics, const Limits& limits);

  // Registers a buffering subscription (call start() on it once replayed).
  std::shared_ptr<Subscription> add(const ConvKey& key, std::weak_ptr<Connection> conn,
                                    Audience audience, std::string user_id);
  void remove(const std::shared_ptr<Subscription>& sub);
  size_t topics() const;

  void on_events(const ConvKey& key, const std::string& epoch,
                 const std::vector<EventPtr>& events) override;
  void on_local_events(const ConvKey& key, const std::string& epoch,
                       const std::vector<EventPtr>& events) override;
  void on_signal(const ConvKey& key, const Signal& signal) override;
  void on_gap(const ConvKey& key) override;
  void on_changed(const ConvKey& key, bool erased) override;
  void on_tenant_gap(const std::string& tenant) override;
  // Contract 14 notices go to `listener` (null: nowhere).
  void set_change_listener(std::shared_ptr<ChangeListener> listener);

  Engine& engine() { return engine_; }
  Metrics& metrics() { return metrics_; }
  const Limits& limits() const { return limits_; }

 private:
  // A topic also orders what reaches its subscriptions. A shared engine
  // hands an event committed here to the sink twice (at commit, on the
  // committing thread, then its pub/sub copy), and commits finishing on two
  // io threads may arrive out of order (engine.hpp, contract 15). `fanned`
  // is the highest seq fanned out in `epoch` (0: not known yet): a copy at
  // or below it is dropped with one comparison, instead of a hundred
  // subscriptions each taking its lock to drop it; one past fanned + 1 waits
  // in `early` for the events before it, which are on their way (pub/sub
  // carries every event in order; a lost pub/sub message is an on_gap,
  // which releases `early`). While fanned is 0, the first pub/sub copy
  // sets it and local copies wait for it, so a local copy never makes the
  // subscriptions re-read the log only because it overtook its elders.
  //
  // A hand-off posted to a lane's thread holds the lane's list as it was
  // when the event was fanned out and walks it without the shard lock: so
  // add() and remove() change a list in place only while nothing else
  // holds it, and otherwise replace it with a changed copy (writable()). `queued`
  // counts the hand-offs posted and not run yet: while any is, the lane's
  // own thread posts too (rather than offering at once), so its thread
  // sees the topic's events in the order the hub fanned them out.
  using SubList = std::vector<std::shared_ptr<Subscription>>;
  struct LaneState {
    explicit LaneState(boost::asio::any_io_executor ex) : executor(std::move(ex)) {}
    const boost::asio::any_io_executor executor;  // empty: the socket was gone at add()
    std::atomic<uint32_t> queued{0};
  };
  struct Lane {
    std::shared_ptr<LaneState> state;
    std::shared_ptr<SubList> subs;  // hand-offs hold it as const
  };
  // `lane`'s list, to change under the shard lock (see Lane).
  static SubList& writable(Lane& lane);
  struct Topic {
    std::vector<Lane> lanes;
    size_t count = 0;  // subscriptions over all lanes
    std::string epoch;
    uint64_t fanned = 0;
    std::vector<EventPtr> early;  // sorted by seq, all past fanned + 1, of `epoch`
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<ConvKey, Topic, ConvKeyHash> topics;
  };
  Shard& shard_for(const ConvKey& key);
  // A copy of a topic's list, for the rare paths that must not hold the
  // shard lock while they act on each subscription (the fan-out walks the
  // list under the lock instead).
  std::vector<std::shared_ptr<Subscription>> subscribers(const ConvKey& key);
  // Both copies of an event (contract 15) go through here: see Topic.
  // `local`: the early copy (on_local_events).
  void accept(const ConvKey& key, const std::string& epoch, const std::vector<EventPtr>& events,
              bool local);
  void hold_early(const ConvKey& key, Topic& topic, const EventPtr& e, uint64_t& delivered);
  // Offers `e` to every subscription of `topic` (at once on this thread's
  // lane, posted to the others); returns the frames pushed at once (the
  // posted hand-offs count theirs).
  uint64_t fan_out(const ConvKey& key, Topic& topic, const std::string& epoch, const EventPtr& e);
  // Hands what `early` holds to the subscriptions as it is (they re-read
  // any hole) and forgets the topic's position.
  uint64_t release_early(const ConvKey& key, Topic& topic);
  // Whether `lane` takes what the hub hands it now, on this thread: it is
  // this thread's and has no hand-off waiting (or has no thread at all).
  static bool at_once(const Lane& lane);
  // Offers `e` to `subs` (on their thread); returns the frames pushed.
  // `frames`: per audience, serialized already or null.
  static uint64_t offer_all(const SubList& subs, const std::string& epoch, const EventPtr& e,
                            std::shared_ptr<const std::string> (&frames)[2]);

  Engine& engine_;
  Metrics& metrics_;
  const Limits& limits_;
  std::array<Shard, 64> shards_;
  std::mutex listener_mu_;
  std::shared_ptr<ChangeListener> listener_;
};

}  // namespace parley
