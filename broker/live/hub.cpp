#include "live/hub.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "serialize.hpp"

namespace parley {

Hub::Hub(Engine& engine, Metrics& metrics, const Limits& limits)
    : engine_(engine), metrics_(metrics), limits_(limits) {}

Hub::Shard& Hub::shard_for(const ConvKey& key) {
  return shards_[ConvKeyHash{}(key) % shards_.size()];
}

std::shared_ptr<Subscription> Hub::add(const ConvKey& key, std::weak_ptr<Connection> conn,
                                       Audience audience, std::string user_id) {
  asio::any_io_executor ex;
  if (auto c = conn.lock()) ex = c->executor();
  auto sub = std::make_shared<Subscription>(*this, key, std::move(conn), audience,
                                            std::move(user_id));
  auto& shard = shard_for(key);
  bool first;
  {
    std::lock_guard lock(shard.mu);
    auto& topic = shard.topics[key];
    first = topic.count == 0;
    auto lane = std::find_if(topic.lanes.begin(), topic.lanes.end(),
                             [&](const Lane& l) { return l.state->executor == ex; });
    if (lane == topic.lanes.end()) {
      topic.lanes.push_back(Lane{std::make_shared<LaneState>(ex), std::make_shared<SubList>()});
      lane = topic.lanes.end() - 1;
    }
    writable(*lane).push_back(sub);
    ++topic.count;
  }
  if (first) engine_.watch(key);
  metrics_.subscriptions.fetch_add(1, std::memory_order_relaxed);
  return sub;
}

void Hub::remove(const std::shared_ptr<Subscription>& sub) {
  auto& shard = shard_for(sub->key());
  bool last = false;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.topics.find(sub->key());
    if (it == shard.topics.end()) return;
    Topic& topic = it->second;
    auto lane = std::find_if(topic.lanes.begin(), topic.lanes.end(), [&](const Lane& l) {
      return std::find(l.subs->begin(), l.subs->end(), sub) != l.subs->end();
    });
    if (lane == topic.lanes.end()) return;
    if (lane->subs->size() == 1) {
      topic.lanes.erase(lane);
    } else {
      auto& subs = writable(*lane);
      subs.erase(std::find(subs.begin(), subs.end(), sub));
    }
    if (--topic.count == 0) {
      shard.topics.erase(it);
      last = true;
    }
  }
  if (last) engine_.unwatch(sub->key());
  metrics_.subscriptions.fetch_sub(1, std::memory_order_relaxed);
}

size_t Hub::topics() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.topics.size();
  }
  return n;
}

std::vector<std::shared_ptr<Subscription>> Hub::subscribers(const ConvKey& key) {
  auto& shard = shard_for(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.topics.find(key);
  if (it == shard.topics.end()) return {};
  std::vector<std::shared_ptr<Subscription>> out;
  for (const auto& lane : it->second.lanes) out.insert(out.end(), lane.subs->begin(), lane.subs->end());
  return out;
}

// Under the shard lock nothing can take a new reference to the list, so a
// count of one means no hand-off holds it; the fence orders this thread's
// changes after the last reads of a hand-off that has just let it go.
Hub::SubList& Hub::writable(Lane& lane) {
  if (lane.subs.use_count() == 1) {
    std::atomic_thread_fence(std::memory_order_acquire);
  } else {
    lane.subs = std::make_shared<SubList>(*lane.subs);
  }
  return *lane.subs;
}

bool Hub::at_once(const Lane& lane) {
  const auto& ex = lane.state->executor;
  if (!ex) return true;
  if (lane.state->queued.load(std::memory_order_relaxed) != 0) return false;
  const auto* io = ex.target<asio::io_context::executor_type>();
  return io && io->running_in_this_thread();
}

uint64_t Hub::offer_all(const SubList& subs, const std::string& epoch, const EventPtr& e,
                        std::shared_ptr<const std::string> (&frames)[2]) {
  uint64_t delivered = 0;
  for (const auto& sub : subs) {
    auto a = sub->audience();
    auto& f = frames[static_cast<int>(a)];
    if (!f && e->visible_to(a)) f = event_frame(*e, sub->key().id, epoch, a);
    delivered += sub->offer(epoch, e, f, a) ? 1 : 0;
  }
  return delivered;
}

// The fan-out runs under the topic's shard lock, which orders it: the lane
// of this thread gets the event at once (no copy of its list, no reference
// count touched), every other lane one hand-off, posted in the order of the
// events. Taking the subscription's and then the session's lock inside it
// follows the lock order (docs/architecture.md); add() and remove() of the
// same shard wait for the walk, which never blocks.
uint64_t Hub::fan_out(const ConvKey& key, Topic& topic, const std::string& epoch,
                      const EventPtr& e) {
  topic.epoch = epoch;
  topic.fanned = e->seq;
  metrics_.events_committed.fetch_add(1, std::memory_order_relaxed);
  uint64_t delivered = 0;
  // One serialization per audience, shared by every receiver of it on
  // every thread.
  std::shared_ptr<const std::string> frames[2];
  for (const auto& lane : topic.lanes) {
    if (at_once(lane)) {
      delivered += offer_all(*lane.subs, epoch, e, frames);
      continue;
    }
    for (auto a : {Audience::agents, Audience::consumers}) {
      auto& f = frames[static_cast<int>(a)];
      if (!f && e->visible_to(a)) f = event_frame(*e, key.id, epoch, a);
    }
    lane.state->queued.fetch_add(1, std::memory_order_relaxed);
    asio::post(lane.state->executor,
               [this, state = lane.state, subs = std::shared_ptr<const SubList>(lane.subs), epoch,
                e, f0 = frames[0],
                f1 = frames[1]]() mutable {
                 std::shared_ptr<const std::string> fs[2] = {std::move(f0), std::move(f1)};
                 if (uint64_t n = offer_all(*subs, epoch, e, fs))
                   metrics_.events_delivered.fetch_add(n, std::memory_order_relaxed);
                 state->queued.fetch_sub(1, std::memory_order_relaxed);
               });
  }
  return delivered;
}

uint64_t Hub::release_early(const ConvKey& key, Topic& topic) {
  auto early = std::move(topic.early);
  topic.early.clear();
  const std::string epoch = topic.epoch;
  uint64_t delivered = 0;
  for (const auto& e : early) delivered += fan_out(key, topic, epoch, e);
  topic.fanned = 0;
  return delivered;
}

void Hub::on_events(const ConvKey& key, const std::string& epoch,
                    const std::vector<EventPtr>& events) {
  accept(key, epoch, events, false);
}

void Hub::on_local_events(const ConvKey& key, const std::string& epoch,
                          const std::vector<EventPtr>& events) {
  accept(key, epoch, events, true);
}

void Hub::hold_early(const ConvKey& key, Topic& topic, const EventPtr& e, uint64_t& delivered) {
  auto pos = std::lower_bound(topic.early.begin(), topic.early.end(), e->seq,
                              [](const EventPtr& a, uint64_t seq) { return a->seq < seq; });
  if (pos == topic.early.end() || (*pos)->seq != e->seq) topic.early.insert(pos, e);
  // Bounded: past the replay limit the subscriptions get everything as it
  // is and re-read the holes themselves.
  if (topic.early.size() > limits_.replay_events) delivered += release_early(key, topic);
}

void Hub::accept(const ConvKey& key, const std::string& epoch, const std::vector<EventPtr>& events,
                 bool local) {
  auto& shard = shard_for(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.topics.find(key);
  if (it == shard.topics.end()) {
    // Nobody here watches it (a local commit, or a pub/sub message that
    // crossed an unwatch).
    metrics_.events_committed.fetch_add(events.size(), std::memory_order_relaxed);
    return;
  }
  Topic& topic = it->second;
  uint64_t delivered = 0;
  for (const auto& e : events) {
    if (topic.fanned == 0) {
      // No position yet (a new topic, or pub/sub lost events): the pub/sub
      // stream sets it, as it carries every event from here on in order. A
      // local copy waits for it; what waited and comes before the first
      // pub/sub copy goes out first (its pub/sub copy predates the
      // channel's subscription or was lost; the subscriptions see the holes).
      if (local) {
        if (!topic.early.empty() && topic.epoch != epoch) delivered += release_early(key, topic);
        topic.epoch = epoch;
        hold_early(key, topic, e, delivered);
        continue;
      }
      if (!topic.early.empty() && topic.epoch != epoch) delivered += release_early(key, topic);
      while (!topic.early.empty() && topic.early.front()->seq < e->seq) {
        delivered += fan_out(key, topic, epoch, topic.early.front());
        topic.early.erase(topic.early.begin());
      }
    } else if (epoch == topic.epoch) {
      if (e->seq <= topic.fanned) continue;  // the second copy of an event
      if (e->seq > topic.fanned + 1) {       // early: the events before it are on their way
        hold_early(key, topic, e, delivered);
        continue;
      }
    } else {
      delivered += release_early(key, topic);  // a new epoch: the subscriptions reset
    }
    delivered += fan_out(key, topic, epoch, e);
    // What waited for this event.
    size_t n = 0;
    while (n < topic.early.size() && topic.early[n]->seq <= topic.fanned + 1) {
      if (topic.early[n]->seq == topic.fanned + 1)
        delivered += fan_out(key, topic, epoch, topic.early[n]);
      ++n;
    }
    topic.early.erase(topic.early.begin(), topic.early.begin() + static_cast<ptrdiff_t>(n));
  }
  if (delivered) metrics_.events_delivered.fetch_add(delivered, std::memory_order_relaxed);
}

// Signals take the events' path, so a thread sees a topic's events and
// signals in the order the hub had them.
void Hub::on_signal(const ConvKey& key, const Signal& signal) {
  auto& shard = shard_for(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.topics.find(key);
  if (it == shard.topics.end()) return;
  for (const auto& lane : it->second.lanes) {
    if (at_once(lane)) {
      for (const auto& sub : *lane.subs) sub->signal(signal);
      continue;
    }
    lane.state->queued.fetch_add(1, std::memory_order_relaxed);
    asio::post(lane.state->executor, [state = lane.state,
                                      subs = std::shared_ptr<const SubList>(lane.subs), signal] {
      for (const auto& sub : *subs) sub->signal(signal);
      state->queued.fetch_sub(1, std::memory_order_relaxed);
    });
  }
}

// Pub/sub lost events: what waited for them goes out as it is (each
// subscription re-reads its hole), and the topic forgets its position.
void Hub::on_gap(const ConvKey& key) {
  auto& shard = shard_for(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.topics.find(key);
  if (it == shard.topics.end()) return;
  for (const auto& lane : it->second.lanes)
    for (const auto& sub : *lane.subs) sub->resync();
  if (uint64_t delivered = release_early(key, it->second))
    metrics_.events_delivered.fetch_add(delivered, std::memory_order_relaxed);
}

void Hub::set_change_listener(std::shared_ptr<ChangeListener> listener) {
  std::lock_guard lock(listener_mu_);
  listener_ = std::move(listener);
}

// Only watched tenants are reported (contract 14), and only the inbox
// watches: no inbox subscription, no call.
void Hub::on_changed(const ConvKey& key, bool erased) {
  std::shared_ptr<ChangeListener> l;
  {
    std::lock_guard lock(listener_mu_);
    l = listener_;
  }
  if (l) l->on_changed(key, erased);
}

void Hub::on_tenant_gap(const std::string& tenant) {
  std::shared_ptr<ChangeListener> l;
  {
    std::lock_guard lock(listener_mu_);
    l = listener_;
  }
  if (l) l->on_tenant_gap(tenant);
}

}  // namespace parley
