// Field extraction from the broker's frames without parsing them: the
// broker writes compact JSON with a fixed field order, and the load tool
// only needs a few numbers and strings out of each push. Not a JSON parser:
// it finds the first `"key":` at or after `from`.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace bench {

// The position of `key` in `s` at or after `from`, or npos. glibc's memmem
// is much faster than string_view::find on JSON, where the first byte of
// every key ('"') is everywhere.
inline size_t find_key(std::string_view s, std::string_view key, size_t from) {
  if (from >= s.size()) return std::string_view::npos;
  const void* at = ::memmem(s.data() + from, s.size() - from, key.data(), key.size());
  return at ? static_cast<size_t>(static_cast<const char*>(at) - s.data()) : std::string_view::npos;
}

// The unsigned integer after `key` (which includes its quotes and colon,
// e.g. R"("seq":)"), or nullopt.
inline std::optional<uint64_t> u64_after(std::string_view s, std::string_view key,
                                         size_t from = 0) {
  size_t at = find_key(s, key, from);
  if (at == std::string_view::npos) return std::nullopt;
  size_t i = at + key.size();
  if (i >= s.size() || s[i] < '0' || s[i] > '9') return std::nullopt;
  uint64_t v = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) v = v * 10 + uint64_t(s[i] - '0');
  return v;
}

// The string value after `key` (e.g. R"("id":)"), without unescaping; ""
// when absent or not a string.
inline std::string_view string_after(std::string_view s, std::string_view key, size_t from = 0) {
  size_t at = find_key(s, key, from);
  if (at == std::string_view::npos) return {};
  size_t i = at + key.size();
  if (i >= s.size() || s[i] != '"') return {};
  size_t end = s.find('"', i + 1);
  if (end == std::string_view::npos) return {};
  return s.substr(i + 1, end - i - 1);
}

inline bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace bench
