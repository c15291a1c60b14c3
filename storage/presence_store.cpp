#include "presence_store.hpp"

namespace parley {

std::string_view to_string(PresenceStatus s) {
  switch (s) {
    case PresenceStatus::online: return "online";
    case PresenceStatus::away: return "away";
    case PresenceStatus::busy: return "busy";
    case PresenceStatus::offline: break;
  }
  return "offline";
}

std::optional<PresenceStatus> presence_status_from(std::string_view s) {
  for (auto p : {PresenceStatus::offline, PresenceStatus::online, PresenceStatus::away,
                 PresenceStatus::busy})
    if (to_string(p) == s) return p;
  return std::nullopt;
}

}  // namespace parley
