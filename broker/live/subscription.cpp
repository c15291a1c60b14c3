#include "live/subscription.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "json_writer.hpp"
#include "live/hub.hpp"
#include "serialize.hpp"
#include "tuning.hpp"

namespace parley {

namespace {

// subscriptionReset {conversationId, epoch, lastSeq, reason}
std::shared_ptr<const std::string> reset_frame(const ConvKey& key, const std::string& epoch,
                                               uint64_t last_seq, std::string_view reason) {
  JsonWriter w;
  w.begin_object()
      .field("conversationId", key.id)
      .field("epoch", epoch)
      .field("lastSeq", last_seq)
      .field("reason", reason)
      .end_object();
  return std::make_shared<const std::string>(notification("subscriptionReset", w.str()));
}

// subscriptionEnded {conversationId, reason, lastSeq}
std::shared_ptr<const std::string> ended_frame(const ConvKey& key, std::string_view reason,
                                               uint64_t last_seq) {
  JsonWriter w;
  w.begin_object()
      .field("conversationId", key.id)
      .field("reason", reason)
      .field("lastSeq", last_seq)
      .end_object();
  return std::make_shared<const std::string>(notification("subscriptionEnded", w.str()));
}

}  // namespace

Subscription::Subscription(Hub& hub, ConvKey key, std::weak_ptr<Connection> conn,
                           Audience audience, std::string user_id)
    : hub_(hub),
      key_(std::move(key)),
      conn_(std::move(conn)),
      audience_(audience),
      user_id_(std::move(user_id)) {}

void Subscription::set_standing(rules::Standing standing, uint64_t as_of_seq) {
  std::lock_guard lock(mu_);
  audience_.store(rules::access(standing).audience, std::memory_order_relaxed);
  standing_ = std::move(standing);
  standing_seq_ = as_of_seq;
}

bool Subscription::reauthorize(const Identity& who) {
  std::lock_guard lock(mu_);
  if (ended_) return false;
  if (!standing_) return true;
  auto now = rules::recheck_identity(*standing_, who);
  if (now.allowed) {
    audience_.store(now.audience, std::memory_order_relaxed);
    return true;
  }
  finish_locked(conn_.lock().get(), "reauthenticated");
  return false;
}

bool Subscription::recheck_locked(Connection& conn, const Event& e) {
  if (!standing_ || e.seq <= standing_seq_) return true;
  standing_seq_ = e.seq;
  auto r = rules::recheck_after(*standing_, e);
  if (!r) return true;
  if (r->access.allowed) {
    audience_.store(r->access.audience, std::memory_order_relaxed);
    return true;
  }
  end_locked(conn, r->reason);
  return false;
}

void Subscription::finish_locked(Connection* conn, std::string_view reason) {
  ended_ = true;
  buffer_.clear();
  if (conn && !reason.empty()) conn->push(ended_frame(key_, reason, horizon_), this);
}

void Subscription::end_locked(Connection& conn, std::string_view reason) {
  finish_locked(&conn, reason);
  asio::post(conn.executor(), [self = shared_from_this()] { self->hub_.remove(self); });
}

bool Subscription::ended() const {
  std::lock_guard lock(mu_);
  return ended_;
}

void Subscription::cancel() {
  std::lock_guard lock(mu_);
  finish_locked(nullptr);
  if (auto conn = conn_.lock()) conn->withdraw_held(this);
}

void Subscription::start(const std::string& epoch, uint64_t last_seq,
                         const std::vector<EventPtr>& replay) {
  std::lock_guard lock(mu_);
  epoch_ = epoch;
  auto conn = conn_.lock();
  for (const auto& e : replay) {
    if (e->seq <= horizon_ || e->seq > last_seq) continue;
    const Audience a = audience();
    if (conn && e->visible_to(a)) {
      conn->push(event_frame(*e, key_.id, epoch_, a), this);
      hub_.metrics().events_delivered.fetch_add(1, std::memory_order_relaxed);
    }
    if (conn && !recheck_locked(*conn, *e)) {
      horizon_ = e->seq;
      buffering_ = false;
      return;
    }
  }
  horizon_ = std::max(horizon_, last_seq);
  buffering_ = false;
  // Live events that arrived while the replay was read: those past the
  // horizon continue the stream (a gap among them starts a refill).
  auto pending = std::move(buffer_);
  buffer_.clear();
  for (auto& [ep, e] : pending) {
    if (ended_) break;
    if (buffering_ || refilling_)
      buffer_.emplace_back(std::move(ep), std::move(e));
    else if (deliver_locked(ep, e, nullptr))
      hub_.metrics().events_delivered.fetch_add(1, std::memory_order_relaxed);
  }
}

bool Subscription::offer(const std::string& epoch, const EventPtr& e,
                         const std::shared_ptr<const std::string>& frame, Audience frame_audience) {
  std::lock_guard lock(mu_);
  if (ended_) return false;
  if (buffering_ || refilling_) {
    // Bounded: past the replay limit the buffer is dropped and the refill
    // re-reads the log instead, which holds the same events.
    if (buffer_.size() >= hub_.limits().replay_events) buffer_.clear();
    buffer_.emplace_back(epoch, e);
    return false;
  }
  return deliver_locked(epoch, e, frame_audience == audience() ? frame : nullptr);
}

bool Subscription::deliver_locked(const std::string& epoch, const EventPtr& e,
                                  std::shared_ptr<const std::string> frame) {
  if (ended_) return false;  // nothing after conversation.deleted or subscriptionEnded
  auto conn = conn_.lock();
  if (!conn) return false;
  if (epoch != epoch_) {
    // The engine lost this conversation's log: the client's position means
    // nothing any more. Say so, then go on from this event.
    conn->push(reset_frame(key_, epoch, e->seq - 1, "epoch changed"), this);
    epoch_ = epoch;
    horizon_ = e->seq - 1;
    standing_seq_ = std::min(standing_seq_, horizon_);  // seqs of the new log
  }
  if (e->seq <= horizon_) return false;  // already delivered (replay, or pub/sub echo)
  if (e->seq != horizon_ + 1) {
    buffer_.emplace_back(epoch, e);
    begin_refill_locked();
    return false;
  }
  horizon_ = e->seq;
  bool pushed = false;
  const Audience a = audience();
  if (e->visible_to(a)) {
    if (!frame) frame = event_frame(*e, key_.id, epoch_, a);
    conn->push(std::move(frame), this);
    pushed = true;
  }
  if (std::string_view(e->type) == "conversation.deleted") {
    finish_locked(nullptr);
  } else {
    recheck_locked(*conn, *e);
  }
  return pushed;
}

void Subscription::signal(const Signal& s) {
  if (s.agents_only && audience() != Audience::agents) return;
  if (s.skip_sender && s.from_user == user_id_) return;
  {
    std::lock_guard lock(mu_);
    if (ended_ || buffering_) return;  // signals are ephemeral: not buffered
  }
  if (auto conn = conn_.lock()) conn->push(s.frame, this);
}

void Subscription::resync() {
  std::lock_guard lock(mu_);
  if (ended_ || buffering_ || refilling_) return;
  begin_refill_locked();
}

// Called under mu_, often on the socket's own thread (a hub lane hands the
// event there). co_spawn dispatches, so on that thread it would start
// refill() inline, whose first step takes mu_ again: the thread deadlocked
// for good (issue 13: a node that stopped answering, then did not exit).
// Posted, the refill starts once the caller has let go of the lock.
void Subscription::begin_refill_locked() {
  if (refilling_) return;
  refilling_ = true;
  auto conn = conn_.lock();
  if (!conn) return;
  asio::post(conn->executor(), [self = shared_from_this(), ex = conn->executor()] {
    asio::co_spawn(ex, [self]() { return self->refill(); }, asio::detached);
  });
}

asio::awaitable<void> Subscription::refill() {
  int failures = 0;
  for (;;) {
    uint64_t from;
    {
      std::lock_guard lock(mu_);
      if (ended_) co_return;
      from = horizon_ + 1;
    }
    ReadRequest rq;
    rq.from_seq = from;
    rq.limit = hub_.limits().replay_events;
    rq.audience = audience();
    auto page = co_await hub_.engine().read(key_, rq);
    auto conn = conn_.lock();
    if (!conn) co_return;
    if (!page.ok()) {
      if (page.error().code == code::not_found) {  // deleted meanwhile
        std::lock_guard lock(mu_);
        ended_ = true;
        co_return;
      }
      // Storage unavailable: try again with back-off; events stay buffered.
      asio::steady_timer t(co_await asio::this_coro::executor);
      t.expires_after(std::min(kRefillRetryMax, kRefillRetryFirst * (1 << std::min(failures, 6))));
      ++failures;
      co_await t.async_wait(asio::use_awaitable);
      continue;
    }
    // Events this read skips (too far behind, or a new log) may change the
    // subscriber's seat: its standing is taken from the record again.
    std::optional<Conversation> record;
    bool has_standing;
    {
      std::lock_guard lock(mu_);
      has_standing = standing_.has_value();
    }
    if (has_standing && (page->has_more || page->epoch != epoch_)) {
      auto rec = co_await hub_.engine().get(key_);
      if (rec.ok()) record = std::move(rec.value());
    }
    std::lock_guard lock(mu_);
    if (record && standing_) {
      *standing_ = rules::standing_of(*record, rules::identity_of(*standing_));
      standing_seq_ = record->last_seq;
      auto now = rules::access(*standing_);
      if (!now.allowed) {
        end_locked(*conn, "recheck");
        co_return;
      }
      audience_.store(now.audience, std::memory_order_relaxed);
    }
    if (page->epoch != epoch_) {
      conn->push(reset_frame(key_, page->epoch, page->last_seq, "epoch changed"), this);
      epoch_ = page->epoch;
      horizon_ = page->last_seq;
      standing_seq_ = std::min(standing_seq_, horizon_);
    } else if (page->has_more) {
      conn->push(reset_frame(key_, page->epoch, page->last_seq, "too far behind"), this);
      horizon_ = page->last_seq;
    } else {
      for (const auto& e : page->events) {
        if (e->seq <= horizon_) continue;
        // The page was read for the audience at the time; one that changed
        // within it gets what it may see from there on.
        if (e->visible_to(audience())) {
          conn->push(event_frame(*e, key_.id, epoch_, audience()), this);
          hub_.metrics().events_delivered.fetch_add(1, std::memory_order_relaxed);
        }
        horizon_ = e->seq;
        if (std::string_view(e->type) == "conversation.deleted") ended_ = true;
        if (ended_ || !recheck_locked(*conn, *e)) co_return;
      }
      horizon_ = std::max(horizon_, page->last_seq);
    }
    refilling_ = false;
    auto pending = std::move(buffer_);
    buffer_.clear();
    for (auto& [ep, e] : pending) {
      if (refilling_)
        buffer_.emplace_back(std::move(ep), std::move(e));
      else if (deliver_locked(ep, e, nullptr))
        hub_.metrics().events_delivered.fetch_add(1, std::memory_order_relaxed);
    }
    if (!refilling_) co_return;
    refilling_ = true;  // deliver_locked found another hole: read again
  }
}

}  // namespace parley
