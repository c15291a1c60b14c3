// Small helpers shared by the Redis engine's translation units.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model.hpp"

namespace parley::redis {

// An argument vector without braced lists: GCC 12 miscompiles braced lists
// of std::string temporaries inside coroutines ("array used as initializer").
template <class... A>
std::vector<std::string> strs(A&&... a) {
  std::vector<std::string> v;
  v.reserve(sizeof...(A));
  (v.emplace_back(std::forward<A>(a)), ...);
  return v;
}

inline Millis now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The value a unique index holds for an optional field ("" = none).
inline const std::string& index_value(const std::optional<std::string>& v) {
  static const std::string none;
  return v ? *v : none;
}

}  // namespace parley::redis
