// The memory engine's webhook outbox: a queue in this process, fed by the
// engine's event sink (webhooks.cpp). Nothing survives a restart: what was
// committed but not yet delivered when the process ends is not delivered
// (docs/webhooks.md says so).
#pragma once

#include <deque>
#include <map>
#include <mutex>

#include "hooks/outbox.hpp"

namespace parley::hooks {

class MemoryOutbox : public Outbox {
 public:
  // Any thread (the committing one), in seq order per conversation.
  void push(const ConvKey& key, uint64_t seq, std::string webhook = {});

  std::string name() const override { return "memory"; }
  bool hold() override { return true; }
  std::vector<OutboxEntry> take(size_t max) override;
  void ack(const OutboxEntry&) override {}
  bool dead_letter(const DeadLetter& letter) override;
  std::vector<DeadLetter> dead_letters() override;
  bool replay(const std::string& id) override;

 private:
  std::mutex mutex_;
  std::deque<OutboxEntry> queue_;
  uint64_t next_id_ = 1;
  std::map<std::string, DeadLetter> dead_;
};

}  // namespace parley::hooks
