// The one wall clock: milliseconds since the Unix epoch, as Millis. Commit
// times, presence expiries and timer due times are all read from it.
#pragma once

#include <chrono>

#include "model.hpp"

namespace parley {

inline Millis wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace parley
