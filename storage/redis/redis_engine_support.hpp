// Small helpers shared by the Redis engine's translation units.
#pragma once

#include <string>
#include <utility>
#include <vector>

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

}  // namespace parley::redis
