// Elapsed time, for the figures -v lines and load reports print.
#pragma once

#include <chrono>

namespace mstap {

inline double millisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

} // namespace mstap
