// Presence on this node: which of its sockets count for which user, kept
// alive in the engine (contract 11 in engine.hpp), and the `presence` pushes
// for the changes this node made.
//
// Each authenticated socket has an entry in the engine that expires after
// --presence-ttl-ms unless renewed. Every quarter of that, this node renews
// the entries of its open sockets (in one batch), registers again those the
// engine no longer has (swept while storage was out of reach, or never
// written because it was down), and sweeps: users of any node whose entries
// all expired (that node died) go offline. The engine reports each change
// to exactly one caller; that caller announces it.
//
// Announcing a change means pushing `presence {userId, status, lastSeen,
// conversationId}` — the user's state as read just before the push, which
// keeps late announcements from contradicting newer ones of other nodes —
// to the subscribers of the conversations the user is an active member of: found with engine.list
// among the tenant's kAnnounceScan most recently updated conversations, at most
// kAnnounceConversations of them, one signal per conversation. Announcements are queued (the latest
// status of a user replaces a queued one) and run a few at a time, so a
// storm of connections cannot flood storage with listings; past
// kMaxQueuedAnnouncements they are dropped. Pushes are best effort, like
// every signal: getPresence is the truth.
//
// Per socket, the registration and the leave never overlap: a socket that
// closes while its registration is in flight leaves when it completes, so
// no entry outlives its socket (but for a node that dies: its entries
// expire).
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config.hpp"
#include "net/connection.hpp"
#include "engine.hpp"
#include "tuning.hpp"

namespace parley {

class PresenceTracker : public std::enable_shared_from_this<PresenceTracker> {
 public:
  // The announcement's bounds: kAnnounce*, kAnnouncers, kSweepBatch
  // (tuning.hpp).

  PresenceTracker(Engine& engine, const Config& cfg);

  // Starts the periodic renew and sweep on `ex`, where announcements and
  // leaves run too. Call once, before serving.
  void start(asio::any_io_executor ex);
  // Ends the periodic work (at its next wake-up).
  void stop();

  // `conn` is now authenticated as `who`: its socket counts from now on
  // (from the call, not from the first resumption of the awaitable). The
  // awaitable completes when the engine has the entry, or could not write
  // it (then the next renewal tries again). Before start(): nothing.
  asio::awaitable<void> open(const Connection& conn, const Identity& who);
  // The socket is gone: its entry goes (once any registration finished).
  void close(const Connection& conn);
  // setPresence from `conn`, authenticated as `who`.
  asio::awaitable<Status> set_status(const Connection& conn, const Identity& who,
                                     PresenceStatus status);
  // getPresence.
  asio::awaitable<Result<std::vector<PresenceState>>> get(std::string tenant,
                                                          std::vector<std::string> user_ids);
  // Registrations, leaves and announcements not finished yet: a clean
  // shutdown waits for them, so other nodes see this node's users leave.
  size_t pending() const;

 private:
  struct Seat {
    PresenceSocket socket;
    bool registering = false;  // a presence_touch of it is in flight
    bool registered = false;   // the engine has (or had) its entry
    bool closed = false;       // the socket is gone
  };
  using SeatPtr = std::shared_ptr<Seat>;

  // Each is one unit of in_flight_, counted by its caller before it starts.
  asio::awaitable<void> enroll(SeatPtr seat);  // presence_touch, then leave if closed meanwhile
  asio::awaitable<void> leave(SeatPtr seat);
  void spawn_enroll(SeatPtr seat);
  void spawn_leave(SeatPtr seat);
  asio::awaitable<void> tick_loop();
  asio::awaitable<void> tick();
  void announce(PresenceChange change);
  asio::awaitable<void> announcer();
  asio::awaitable<void> publish(PresenceChange change);
  Millis expiry(Millis now) const { return now + ttl_ms_; }

  Engine& engine_;
  const int64_t ttl_ms_;
  const std::string instance_;  // node id + a per-start nonce: socket ids never repeat
  asio::any_io_executor ex_;
  std::atomic<bool> stopped_{false};
  std::atomic<size_t> in_flight_{0};  // enroll/leave coroutines running

  mutable std::mutex mu_;
  std::unordered_map<std::string, SeatPtr> seats_;          // by session id
  std::unordered_map<std::string, PresenceChange> queued_;  // by tenant + '\x1f' + user
  std::deque<std::string> queue_;                           // keys of queued_, oldest first
  std::unordered_set<std::string> active_;                  // users being announced now
  size_t announcers_ = 0;
  uint64_t dropped_ = 0;
  bool failing_ = false;  // the last tick could not reach storage (tick_loop only)
};

}  // namespace parley
