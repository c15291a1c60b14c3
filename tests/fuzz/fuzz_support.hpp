// Shared by the fuzz targets: reading structured choices out of the fuzz
// input, and a check that aborts (so libFuzzer keeps the input) with a
// message when an invariant breaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace parley::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  std::abort();
}

// Consumes the fuzz input front to back; past its end every read is zero or
// empty, so a target never has to check what is left.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  uint8_t byte() {
    if (size_ == 0) return 0;
    --size_;
    return *data_++;
  }
  // A number in [0, n) (n > 0).
  size_t below(size_t n) { return n <= 256 ? byte() % n : ((size_t{byte()} << 8) | byte()) % n; }
  bool flag() { return byte() & 1; }
  uint64_t u64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
    return v;
  }
  // Up to `max` raw bytes, the length first.
  std::string bytes(size_t max) {
    size_t n = below(max + 1);
    if (n > size_) n = size_;
    std::string s(reinterpret_cast<const char*>(data_), n);
    data_ += n;
    size_ -= n;
    return s;
  }
  // Everything that is left.
  std::string_view rest() {
    std::string_view s(reinterpret_cast<const char*>(data_), size_);
    data_ += size_;
    size_ = 0;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

}  // namespace parley::fuzz

#define FUZZ_CHECK(cond) \
  ((cond) ? (void)0 : ::parley::fuzz::fail(__FILE__, __LINE__, #cond))
