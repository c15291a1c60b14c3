// The hub: conversation -> local subscribers. It receives committed events
// from the engine (in seq order per conversation) and hands each subscriber
// the frame for its audience, serialized once per audience and shared.
//
// Each Subscription keeps a horizon (the highest seq it has processed): an
// event at or below it is a duplicate and dropped; one beyond horizon + 1 is
// a gap, and the subscription re-reads the missing range from the log before
// going on. New subscriptions buffer live events until their replay is
// written, so replay and live join with no gap and no duplicate.
//
// A subscription also keeps its subscriber's standing (rules_access.hpp):
// every event that changes the subscriber's seat re-checks its access, in
// log order, before the next event is delivered; one that lost access ends
// with `subscriptionEnded` (docs/architecture.md, "Revocation"). Events
// reach every node through the hub, so this holds on every node.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/connection.hpp"
#include "engine.hpp"
#include "limits.hpp"
#include "metrics.hpp"
#include "dialog/access.hpp"

namespace parley {

class Hub;

class Subscription : public std::enable_shared_from_this<Subscription> {
 public:
  Subscription(Hub& hub, ConvKey key, std::weak_ptr<Connection> conn, Audience audience,
               std::string user_id);

  const ConvKey& key() const { return key_; }
  const std::string& user_id() const { return user_id_; }
  Audience audience() const { return audience_.load(std::memory_order_relaxed); }

  // The subscriber's standing as of the record at `as_of_seq`: events past
  // it re-check its access. Call before start(). Without it (tests of the
  // hub alone) nothing is re-checked.
  void set_standing(rules::Standing standing, uint64_t as_of_seq);
  // The subscriber re-authenticated as `who`: keeps the subscription with
  // the audience the new identity has, or ends it (`subscriptionEnded`,
  // reason "reauthenticated") and returns false. The caller removes an
  // ended one from the hub.
  bool reauthorize(const Identity& who);

  // Ends buffering: writes `replay` (events after the client's position, in
  // order), sets the horizon to `last_seq`, then flushes what was buffered.
  void start(const std::string& epoch, uint64_t last_seq, const std::vector<EventPtr>& replay);
  // A live event from the hub. Returns whether a frame was pushed (the
  // hub counts them, once per event rather than once per receiver).
  // `frame` is serialized for `frame_audience` (re-serialized when the
  // subscription's audience changed meanwhile).
  bool offer(const std::string& epoch, const EventPtr& e,
             const std::shared_ptr<const std::string>& frame, Audience frame_audience);
  // An ephemeral signal from the hub.
  void signal(const Signal& s);
  // Pub/sub may have lost events: re-read from the horizon.
  void resync();
  bool ended() const;
  // Ends it without a push (unsubscribe, or a subscribe to the same
  // conversation that replaces it) and withdraws its pushes still held
  // behind the response being handled, so nothing of it follows that
  // response. The caller removes it from the hub.
  void cancel();

 private:
  friend class Hub;
  // Pushes `e` (or buffers it behind a hole); true when a frame was pushed.
  // Callers other than offer() count it in the metrics themselves.
  bool deliver_locked(const std::string& epoch, const EventPtr& e,
                      std::shared_ptr<const std::string> frame);
  void begin_refill_locked();
  asio::awaitable<void> refill();
  // After `e` went out (or was skipped as invisible), in log order: applies
  // it to the standing; false when the subscription ended over it.
  bool recheck_locked(Connection& conn, const Event& e);
  // Pushes subscriptionEnded, ends, and leaves the hub (posted: this runs
  // under the hub's shard lock).
  void end_locked(Connection& conn, std::string_view reason);

  Hub& hub_;
  const ConvKey key_;
  const std::weak_ptr<Connection> conn_;
  std::atomic<Audience> audience_;
  const std::string user_id_;

  mutable std::mutex mu_;
  std::string epoch_;
  uint64_t horizon_ = 0;
  bool buffering_ = true;
  bool refilling_ = false;
  bool ended_ = false;
  std::vector<std::pair<std::string, EventPtr>> buffer_;  // (epoch, event) while buffering
  std::optional<rules::Standing> standing_;
  uint64_t standing_seq_ = 0;  // the standing holds up to this seq
};

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
  struct Topic {
    std::vector<std::shared_ptr<Subscription>> subs;
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
  // Offers `e` to every subscription of `topic`; returns the frames pushed.
  uint64_t fan_out(const ConvKey& key, Topic& topic, const std::string& epoch, const EventPtr& e);
  // Hands what `early` holds to the subscriptions as it is (they re-read
  // any hole) and forgets the topic's position.
  uint64_t release_early(const ConvKey& key, Topic& topic);

  Engine& engine_;
  Metrics& metrics_;
  const Limits& limits_;
  std::array<Shard, 64> shards_;
  std::mutex listener_mu_;
  std::shared_ptr<ChangeListener> listener_;
};

}  // namespace parley
