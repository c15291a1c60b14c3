// Consistent hashing of hash tags onto shards: each shard owns many points
// (virtual nodes) on a 64-bit ring, and a key belongs to the first point at
// or after its hash. Adding a shard moves only about 1/N of the keys, and
// every node computes the same placement from the same shard list, whatever
// order the URLs were given in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::redis {

// A hash that is the same in every build and process (unlike std::hash):
// 64-bit FNV-1a, then a SplitMix64 finalizer to spread nearby inputs.
uint64_t stable_hash(std::string_view s);

class HashRing {
 public:
  // `shards`: one stable name per shard (its address); `vnodes` points each.
  HashRing(const std::vector<std::string>& shards, int vnodes);
  // Index into `shards` of the owner of `key`.
  size_t shard_for(std::string_view key) const;
  size_t size() const { return shards_; }

 private:
  std::vector<std::pair<uint64_t, size_t>> points_;  // sorted by hash
  size_t shards_;
};

}  // namespace parley::redis
