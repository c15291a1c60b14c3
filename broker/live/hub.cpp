#include "live/hub.hpp"

#include <algorithm>

#include "serialize.hpp"

namespace parley {

Hub::Hub(Engine& engine, Metrics& metrics, const Limits& limits)
    : engine_(engine), metrics_(metrics), limits_(limits) {}

Hub::Shard& Hub::shard_for(const ConvKey& key) {
  return shards_[ConvKeyHash{}(key) % shards_.size()];
}

std::shared_ptr<Subscription> Hub::add(const ConvKey& key, std::weak_ptr<Connection> conn,
                                       Audience audience, std::string user_id) {
  auto sub = std::make_shared<Subscription>(*this, key, std::move(conn), audience,
                                            std::move(user_id));
  auto& shard = shard_for(key);
  bool first;
  {
    std::lock_guard lock(shard.mu);
    auto& topic = shard.topics[key];
    first = topic.subs.empty();
    topic.subs.push_back(sub);
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
    auto& subs = it->second.subs;
    auto pos = std::find(subs.begin(), subs.end(), sub);
    if (pos == subs.end()) return;
    subs.erase(pos);
    if (subs.empty()) {
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
  return it->second.subs;
}

// The fan-out walks the topic's list under its shard lock: no copy of the
// list (and no reference count touched) per event. Taking the
// subscription's and then the session's lock inside it follows the lock
// order (docs/architecture.md); add() and remove() of the same shard wait
// for the walk, which never blocks.
uint64_t Hub::fan_out(const ConvKey& key, Topic& topic, const std::string& epoch,
                      const EventPtr& e) {
  topic.epoch = epoch;
  topic.fanned = e->seq;
  metrics_.events_committed.fetch_add(1, std::memory_order_relaxed);
  uint64_t delivered = 0;
  // One serialization per audience, shared by every receiver of it.
  std::shared_ptr<const std::string> frames[2];
  for (const auto& sub : topic.subs) {
    auto a = sub->audience();
    auto& f = frames[static_cast<int>(a)];
    if (!f && e->visible_to(a)) f = event_frame(*e, key.id, epoch, a);
    delivered += sub->offer(epoch, e, f, a) ? 1 : 0;
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

void Hub::on_signal(const ConvKey& key, const Signal& signal) {
  auto& shard = shard_for(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.topics.find(key);
  if (it == shard.topics.end()) return;
  for (const auto& sub : it->second.subs) sub->signal(signal);
}

// Pub/sub lost events: what waited for them goes out as it is (each
// subscription re-reads its hole), and the topic forgets its position.
void Hub::on_gap(const ConvKey& key) {
  auto& shard = shard_for(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.topics.find(key);
  if (it == shard.topics.end()) return;
  for (const auto& sub : it->second.subs) sub->resync();
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
