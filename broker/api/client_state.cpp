#include "api/client_state.hpp"

namespace parley {

void ClientState::unsubscribe(Hub& hub, const std::string& conversation_id) {
  std::lock_guard lock(mu);
  auto it = subs.find(conversation_id);
  if (it != subs.end()) {
    it->second->cancel();
    hub.remove(it->second);
    subs.erase(it);
  }
}

void ClientState::reauthorize(Hub& hub, const Identity& who) {
  std::lock_guard lock(mu);
  std::erase_if(subs, [&](const auto& kv) {
    if (kv.second->reauthorize(who)) return false;
    hub.remove(kv.second);
    return true;
  });
}

void ClientState::drop_all(Hub& hub) {
  std::lock_guard lock(mu);
  for (auto& [id, sub] : subs) hub.remove(sub);
  subs.clear();
}

}  // namespace parley
