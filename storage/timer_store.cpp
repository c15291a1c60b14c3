#include "timer_store.hpp"

namespace parley {

std::string_view to_string(TimerKind k) {
  switch (k) {
    case TimerKind::ttl: return "ttl";
    case TimerKind::auto_lock: break;
  }
  return "auto_lock";
}

std::optional<TimerKind> timer_kind_from(std::string_view s) {
  for (auto k : {TimerKind::auto_lock, TimerKind::ttl})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

}  // namespace parley
