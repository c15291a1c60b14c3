// A latency histogram with under 1% relative error, constant-time record
// and no allocation after construction: 64 sub-buckets per power of two
// (128 exact values below 128 ns). One per thread; merged at the end.
#pragma once

#include <array>
#include <cstdint>

namespace bench {

class Histogram {
 public:
  void record(uint64_t ns);
  void merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  // The value at quantile q (0..1], in nanoseconds; 0 when empty.
  uint64_t quantile(double q) const;
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }

 private:
  static constexpr int kBuckets = 64 * 60;
  static int index_of(uint64_t v);
  static uint64_t value_of(int index);

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
  uint64_t sum_ = 0;
};

}  // namespace bench
