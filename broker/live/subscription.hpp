// One subscriber's view of one conversation, fed by the Hub (hub.hpp).
//
// Each Subscription keeps a horizon (the highest seq it has processed): an
// event at or below it is a duplicate and dropped; one beyond horizon + 1 is
// a gap, and the subscription re-reads the missing range from the log before
// going on. New subscriptions buffer live events until their replay is
// written, so replay and live join with no gap and no duplicate.
//
// A subscription also keeps its subscriber's standing (dialog/access.hpp):
// every event that changes the subscriber's seat re-checks its access, in
// log order, before the next event is delivered; one that lost access ends
// with `subscriptionEnded` (docs/architecture.md, "Revocation"). Events
// reach every node through the hub, so this holds on every node.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dialog/access.hpp"
#include "engine.hpp"
#include "net/connection.hpp"

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
  // Ends it: nothing more is delivered, the buffer is dropped. With a
  // `reason` (and a `conn`), subscriptionEnded says so to the subscriber.
  void finish_locked(Connection* conn, std::string_view reason = {});
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

}  // namespace parley
