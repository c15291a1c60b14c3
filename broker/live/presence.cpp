#include "live/presence.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <random>

#include "clock.hpp"
#include "json_writer.hpp"
#include "serialize.hpp"

namespace parley {

namespace {


// 32 random bits as 8 hex digits: a restarted node with the same --node-id
// (and so the same session ids) must not mistake its old entries for new ones.
std::string nonce() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(rd()));
  return buf;
}

asio::awaitable<void> nothing() { co_return; }

std::string user_key(const std::string& tenant, const std::string& user) {
  std::string k = tenant;
  k.push_back('\x1f');
  k += user;
  return k;
}

}  // namespace

PresenceTracker::PresenceTracker(Engine& engine, const Config& cfg)
    : engine_(engine), ttl_ms_(cfg.presence_ttl_ms), instance_(cfg.node_id + "." + nonce()) {}

void PresenceTracker::start(asio::any_io_executor ex) {
  ex_ = ex;
  asio::co_spawn(
      ex_, [self = shared_from_this()] { return self->tick_loop(); }, asio::detached);
}

void PresenceTracker::stop() { stopped_ = true; }

size_t PresenceTracker::pending() const {
  std::lock_guard lk(mu_);
  return in_flight_.load() + queued_.size() + active_.size();
}

// ---- sockets ------------------------------------------------------------------

// Not a coroutine: the seat is in place before open() returns, so a socket
// that closes before the registration even starts still finds it, and the
// registration then leaves (enroll).
asio::awaitable<void> PresenceTracker::open(const Connection& conn, const Identity& who) {
  auto seat = std::make_shared<Seat>();
  seat->socket = PresenceSocket{who.tenant, who.user_id, instance_ + ":" + conn.session_id()};
  {
    std::lock_guard lk(mu_);
    if (!ex_ || !seats_.emplace(seat->socket.socket_id, seat).second) return nothing();
    seat->registering = true;
  }
  ++in_flight_;
  return enroll(std::move(seat));
}

void PresenceTracker::close(const Connection& conn) {
  SeatPtr seat;
  {
    std::lock_guard lk(mu_);
    auto it = seats_.find(instance_ + ":" + conn.session_id());
    if (it == seats_.end()) return;
    seat = std::move(it->second);
    seats_.erase(it);
    seat->closed = true;
    // A registration in flight leaves when it completes (enroll).
    if (seat->registering) return;
  }
  spawn_leave(std::move(seat));
}

// Counted before it is posted: a shutdown that sees no session left must
// also see the leaves those sessions started.
void PresenceTracker::spawn_leave(SeatPtr seat) {
  ++in_flight_;
  asio::co_spawn(ex_, leave(std::move(seat)), asio::detached);
}

void PresenceTracker::spawn_enroll(SeatPtr seat) {
  ++in_flight_;
  asio::co_spawn(ex_, enroll(std::move(seat)), asio::detached);
}

asio::awaitable<void> PresenceTracker::enroll(SeatPtr seat) {
  auto self = shared_from_this();
  const Millis now = wall_clock_ms();
  auto touched = co_await engine_.presence_touch(seat->socket, std::nullopt, now, expiry(now));
  bool closed;
  {
    std::lock_guard lk(mu_);
    seat->registering = false;
    if (touched.ok()) seat->registered = true;
    closed = seat->closed;
  }
  if (!touched.ok())
    spdlog::debug("presence of {}: not registered ({}); the next renewal tries again",
                  seat->socket.user_id, touched.error().message);
  else if (touched->has_value())
    announce(std::move(**touched));
  // Closed meanwhile: take the entry back (after an error too: a time-out
  // may still have written it).
  if (closed) {
    ++in_flight_;
    co_await leave(seat);
  }
  --in_flight_;
}

asio::awaitable<void> PresenceTracker::leave(SeatPtr seat) {
  auto self = shared_from_this();
  auto left = co_await engine_.presence_leave(seat->socket, wall_clock_ms());
  if (!left.ok())
    spdlog::debug("presence of {}: leave failed ({}); its entry expires instead",
                  seat->socket.user_id, left.error().message);
  else if (left->has_value())
    announce(std::move(**left));
  --in_flight_;
}

asio::awaitable<Status> PresenceTracker::set_status(const Connection& conn, const Identity& who,
                                                    PresenceStatus status) {
  auto self = shared_from_this();
  SeatPtr seat;
  {
    std::lock_guard lk(mu_);
    auto& slot = seats_[instance_ + ":" + conn.session_id()];
    if (!slot) {
      // Not opened (cannot happen for an authenticated socket): count it now.
      slot = std::make_shared<Seat>();
      slot->socket = PresenceSocket{who.tenant, who.user_id, instance_ + ":" + conn.session_id()};
    }
    seat = slot;
  }
  const Millis now = wall_clock_ms();
  auto touched = co_await engine_.presence_touch(seat->socket, status, now, expiry(now));
  if (!touched.ok()) co_return std::move(touched).error();
  {
    std::lock_guard lk(mu_);
    seat->registered = true;
  }
  if (touched->has_value()) announce(std::move(**touched));
  co_return Ok{};
}

asio::awaitable<Result<std::vector<PresenceState>>> PresenceTracker::get(
    std::string tenant, std::vector<std::string> user_ids) {
  auto self = shared_from_this();
  co_return co_await engine_.presence_get(std::move(tenant), std::move(user_ids), wall_clock_ms());
}

// ---- renewal and sweep --------------------------------------------------------

asio::awaitable<void> PresenceTracker::tick_loop() {
  auto self = shared_from_this();
  asio::steady_timer timer(co_await asio::this_coro::executor);
  // A quarter of the lifetime: three renewals may go missing before an
  // entry of a live socket expires.
  const auto period = std::chrono::milliseconds(std::max<int64_t>(ttl_ms_ / 4, 10));
  while (!stopped_) {
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || stopped_) co_return;
    co_await tick();
  }
}

asio::awaitable<void> PresenceTracker::tick() {
  const Millis now = wall_clock_ms();
  std::vector<PresenceSocket> renew;
  std::vector<SeatPtr> retry;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, seat] : seats_) {
      if (seat->registering) continue;
      if (seat->registered) {
        renew.push_back(seat->socket);
      } else {
        seat->registering = true;
        retry.push_back(seat);
      }
    }
  }
  for (auto& seat : retry) spawn_enroll(std::move(seat));

  bool failed = false;
  if (!renew.empty()) {
    auto missing = co_await engine_.presence_refresh(std::move(renew), now, expiry(now));
    if (!missing.ok()) {
      failed = true;
      spdlog::debug("presence renewal failed: {}", missing.error().message);
    } else {
      // Gone from the engine (swept while it was out of reach): open
      // sockets register again.
      for (const auto& s : *missing) {
        SeatPtr seat;
        {
          std::lock_guard lk(mu_);
          auto it = seats_.find(s.socket_id);
          if (it == seats_.end() || it->second->registering || it->second->closed) continue;
          seat = it->second;
          seat->registered = false;
          seat->registering = true;
        }
        spawn_enroll(std::move(seat));
      }
    }
  }

  // Users of any node whose entries all expired: a bounded number of
  // batches per tick, the rest next time.
  for (int round = 0; round < 10; ++round) {
    auto changes = co_await engine_.presence_sweep(now, kSweepBatch);
    if (!changes.ok()) {
      failed = true;
      spdlog::debug("presence sweep failed: {}", changes.error().message);
      break;
    }
    const size_t n = changes->size();
    for (auto& c : *changes) announce(std::move(c));
    if (n < kSweepBatch) break;
  }
  if (failed != failing_) {
    failing_ = failed;
    if (failed)
      spdlog::warn("presence: storage unavailable; renewals and sweeps resume when it is back");
    else
      spdlog::info("presence: renewals and sweeps work again");
  }
}

// ---- announcements ------------------------------------------------------------

void PresenceTracker::announce(PresenceChange change) {
  std::string key = user_key(change.tenant, change.state.user_id);
  bool spawn = false;
  {
    std::lock_guard lk(mu_);
    if (auto it = queued_.find(key); it != queued_.end()) {
      it->second = std::move(change);  // only the latest status matters
    } else if (queued_.size() >= kMaxQueuedAnnouncements) {
      if (dropped_++ % 1000 == 0)
        spdlog::warn("presence: announcements queue full; dropped {} so far", dropped_);
      return;
    } else {
      queued_.emplace(key, std::move(change));
      queue_.push_back(std::move(key));
    }
    if (announcers_ < kAnnouncers && ex_) {
      ++announcers_;
      spawn = true;
    }
  }
  if (spawn) asio::co_spawn(ex_, announcer(), asio::detached);
}

asio::awaitable<void> PresenceTracker::announcer() {
  auto self = shared_from_this();
  for (;;) {
    PresenceChange change;
    std::string key;
    {
      std::lock_guard lk(mu_);
      // One announcement per user at a time, so a user's pushes keep their
      // order; its next one waits in the queue.
      auto it = std::find_if(queue_.begin(), queue_.end(),
                             [&](const std::string& k) { return !active_.count(k); });
      if (it == queue_.end()) {
        --announcers_;
        co_return;
      }
      key = std::move(*it);
      queue_.erase(it);
      auto node = queued_.extract(key);
      change = std::move(node.mapped());
      active_.insert(key);
    }
    co_await publish(std::move(change));
    std::lock_guard lk(mu_);
    active_.erase(key);
  }
}

asio::awaitable<void> PresenceTracker::publish(PresenceChange change) {
  const std::string user = change.state.user_id;
  ListRequest rq;
  rq.match = [user](const Conversation& c) { return c.active_member(user) != nullptr; };
  rq.limit = kAnnounceConversations;
  rq.scan_limit = kAnnounceScan;
  auto convs = co_await engine_.list(change.tenant, std::move(rq));
  if (!convs.ok()) {
    spdlog::debug("presence of {}: not announced ({})", user, convs.error().message);
    co_return;
  }
  if (convs->data.empty()) co_return;
  // Announce the user's state as it is now, read last thing before the
  // pushes: when another node changed it meanwhile (and announces that),
  // an older change published late would otherwise overwrite it for the
  // subscribers.
  std::vector<std::string> ids;  // no braced list in a coroutine (GCC 12)
  ids.push_back(user);
  auto current = co_await engine_.presence_get(change.tenant, std::move(ids), wall_clock_ms());
  if (current.ok() && current->size() == 1) change.state = std::move(current->front());
  for (const auto& c : convs->data) {
    JsonWriter w;
    w.begin_object().field("userId", user).field("status", to_string(change.state.status));
    if (change.state.last_seen > 0)
      w.field("lastSeen", change.state.last_seen);
    else
      w.field_null("lastSeen");
    w.field("conversationId", c.id).end_object();
    Signal s;
    s.frame = std::make_shared<const std::string>(notification("presence", w.str()));
    s.from_user = user;
    engine_.publish_signal(ConvKey{change.tenant, c.id}, std::move(s));
  }
}

}  // namespace parley
