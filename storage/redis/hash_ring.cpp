#include "hash_ring.hpp"

#include <algorithm>

namespace parley::redis {

uint64_t stable_hash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

HashRing::HashRing(const std::vector<std::string>& shards, int vnodes) : shards_(shards.size()) {
  points_.reserve(shards.size() * static_cast<size_t>(std::max(vnodes, 1)));
  for (size_t i = 0; i < shards.size(); ++i)
    for (int v = 0; v < std::max(vnodes, 1); ++v)
      points_.emplace_back(stable_hash(shards[i] + "#" + std::to_string(v)), i);
  std::sort(points_.begin(), points_.end());
}

size_t HashRing::shard_for(std::string_view key) const {
  if (shards_ <= 1) return 0;
  const uint64_t h = stable_hash(key);
  auto it = std::lower_bound(points_.begin(), points_.end(), std::make_pair(h, size_t{0}));
  if (it == points_.end()) it = points_.begin();  // wrap around
  return it->second;
}

}  // namespace parley::redis
