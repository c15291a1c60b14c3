#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace bench {

// Below 128: the value itself. Above: e = msb - 6 binary digits are dropped
// and the 7 leading ones (64..127) select the sub-bucket; index e*64 + m.
int Histogram::index_of(uint64_t v) {
  if (v < 128) return static_cast<int>(v);
  int e = 63 - std::countl_zero(v) - 6;
  return e * 64 + static_cast<int>(v >> e);
}

// The middle of the bucket's range.
uint64_t Histogram::value_of(int index) {
  if (index < 128) return static_cast<uint64_t>(index);
  int e = index / 64 - 1;
  uint64_t m = static_cast<uint64_t>(index - e * 64);
  return (m << e) + ((uint64_t{1} << e) >> 1);
}

void Histogram::record(uint64_t ns) {
  ++counts_[static_cast<size_t>(std::min(index_of(ns), kBuckets - 1))];
  ++count_;
  sum_ += ns;
  max_ = std::max(max_, ns);
}

void Histogram::merge(const Histogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

uint64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  auto want = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  want = std::clamp<uint64_t>(want, 1, count_);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[static_cast<size_t>(i)];
    if (seen >= want) return std::min(value_of(i), max_);
  }
  return max_;
}

}  // namespace bench
