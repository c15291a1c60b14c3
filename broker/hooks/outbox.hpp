// The webhook outbox: the events waiting to be delivered, and the dead
// letters of deliveries that used up their retries. Two implementations:
// MemoryOutbox (the memory engine: in this process only) and RedisOutbox
// (the Redis engine: a stream and a consumer group per shard, written by
// the commit scripts, durable). Called only on the webhooks thread
// (webhooks.hpp), except MemoryOutbox::push.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conversation_store.hpp"
#include "model.hpp"

namespace parley::hooks {

// One committed event to deliver: the event itself is read from the log.
struct OutboxEntry {
  std::string id;       // the outbox's own id (a stream entry id on Redis)
  ConvKey key;
  uint64_t seq = 0;
  std::string webhook;  // a replay: only this webhook; "" = every one that wants it
};

// A delivery that used up its retries.
struct DeadLetter {
  std::string id;  // its delivery id (Parley-Delivery-Id)
  std::string tenant;
  std::string conversation_id;
  uint64_t seq = 0;
  std::string type;
  std::string webhook;
  std::string url;
  int64_t attempts = 0;
  Millis first_attempt_at = 0;
  Millis failed_at = 0;
  std::string error;  // the last attempt's failure

  std::string to_json() const;
  static std::optional<DeadLetter> from_json(std::string_view json);
};

class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual std::string name() const = 0;
  // Whether this node delivers from this outbox now (on Redis: it holds the
  // shard's lease; this call renews it).
  virtual bool hold() = 0;
  // Up to `max` entries, oldest first, none given twice while held: after
  // hold() becomes true, first every entry taken before and not acked (by
  // any node), then new ones.
  virtual std::vector<OutboxEntry> take(size_t max) = 0;
  // Delivered, or dead-lettered: the entry is done.
  virtual void ack(const OutboxEntry& entry) = 0;
  // False when it could not be stored (the entry then stays pending).
  virtual bool dead_letter(const DeadLetter& letter) = 0;
  virtual std::vector<DeadLetter> dead_letters() = 0;
  // Takes the dead letter `id` out of the list and back into the outbox, for
  // its webhook only; false when there is no such letter.
  virtual bool replay(const std::string& id) = 0;
};

}  // namespace parley::hooks
