// Waiting for a condition in a test: poll it until it holds or a limit
// passes. Only a bound on waiting: no test asserts how long something took.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace parley::testing {

// Polls `pred` every 10 ms until it holds (true) or `limit` passes (false).
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace parley::testing
