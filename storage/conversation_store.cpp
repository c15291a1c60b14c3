#include "conversation_store.hpp"

#include <functional>

namespace parley {

size_t ConvKeyHash::operator()(const ConvKey& k) const {
  // Tenants are few and ids are UUIDs: mixing the id's hash with the
  // tenant's is enough to spread keys over hub shards.
  size_t h = std::hash<std::string>{}(k.id);
  h ^= std::hash<std::string>{}(k.tenant) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

}  // namespace parley
