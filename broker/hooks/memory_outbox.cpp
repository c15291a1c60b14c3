#include "hooks/memory_outbox.hpp"

namespace parley::hooks {

void MemoryOutbox::push(const ConvKey& key, uint64_t seq, std::string webhook) {
  std::lock_guard lock(mutex_);
  queue_.push_back(OutboxEntry{std::to_string(next_id_++), key, seq, std::move(webhook)});
}

std::vector<OutboxEntry> MemoryOutbox::take(size_t max) {
  std::lock_guard lock(mutex_);
  std::vector<OutboxEntry> out;
  while (!queue_.empty() && out.size() < max) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return out;
}

bool MemoryOutbox::dead_letter(const DeadLetter& letter) {
  std::lock_guard lock(mutex_);
  dead_[letter.id] = letter;
  return true;
}

std::vector<DeadLetter> MemoryOutbox::dead_letters() {
  std::lock_guard lock(mutex_);
  std::vector<DeadLetter> out;
  for (const auto& [id, letter] : dead_) out.push_back(letter);
  return out;
}

bool MemoryOutbox::replay(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = dead_.find(id);
  if (it == dead_.end()) return false;
  queue_.push_back(OutboxEntry{std::to_string(next_id_++),
                               ConvKey{it->second.tenant, it->second.conversation_id},
                               it->second.seq, it->second.webhook});
  dead_.erase(it);
  return true;
}

}  // namespace parley::hooks
