#include "api/context.hpp"

#include <random>

namespace parley {

std::string new_conversation_id() {
  // UUID v4 from a per-thread generator seeded by the OS.
  thread_local std::mt19937_64 gen{std::random_device{}()};
  uint64_t hi = gen(), lo = gen();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  auto put = [&](uint64_t v, int from_nibble, int count) {
    for (int i = from_nibble; i < from_nibble + count; ++i)
      s.push_back(hex[(v >> (60 - 4 * i)) & 0xF]);
  };
  put(hi, 0, 8);
  s.push_back('-');
  put(hi, 8, 4);
  s.push_back('-');
  put(hi, 12, 4);
  s.push_back('-');
  put(lo, 0, 4);
  s.push_back('-');
  put(lo, 4, 12);
  return s;
}

}  // namespace parley
