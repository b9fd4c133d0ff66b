// Helpers shared by the runtime tests (C++ over the C headers).
#pragma once

#include "mstap_format.h"
#include "mstap_map.h"
#include "mstap_shim.h"
#include "mstap_stat.h"
#include "mstap_string.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace mstap_test {

// printf into a large output, so that nothing is cut; the error message,
// if any, in *message.
inline std::string format(const char *format, const std::vector<mstap_arg> &args,
                          std::string *message = nullptr) {
  std::vector<char> buffer(64 * 1024);
  mstap_out out;
  mstap_error error;
  mstap_error_clear(&error);
  mstap_out_init(&out, buffer.data(), static_cast<u32>(buffer.size()));
  mstap_format(&out, format, args.data(), static_cast<u32>(args.size()), &error);
  if (message)
    *message = error.message ? error.message : "";
  return std::string(buffer.data(), out.used);
}

inline std::string read_data_file(const std::string &name) {
  std::ifstream in(std::string(MSTAP_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A statistic with its layout, freed at the end of the scope.
struct Stat {
  explicit Stat(const mstap_stat_layout &l) : layout(l), memory(mstap_stat_size(&l) / 8 + 1) {
    mstap_stat_reset(get(), &layout);
  }
  mstap_stat *get() { return reinterpret_cast<mstap_stat *>(memory.data()); }
  void add(s64 value) { mstap_stat_add(get(), &layout, value); }
  std::string print(std::string *message = nullptr) {
    std::vector<char> buffer(256 * 1024);
    mstap_out out;
    mstap_error error;
    mstap_error_clear(&error);
    mstap_out_init(&out, buffer.data(), static_cast<u32>(buffer.size()));
    mstap_hist_print(&out, get(), &layout, &error);
    if (message)
      *message = error.message ? error.message : "";
    return std::string(buffer.data(), out.used);
  }
  mstap_stat_layout layout;
  std::vector<s64> memory;
};

inline mstap_stat_layout log_layout() {
  mstap_stat_layout layout = MSTAP_STAT_LAYOUT_LOG;
  return layout;
}

inline mstap_stat_layout linear_layout(s64 low, s64 high, s64 step) {
  mstap_stat_layout layout = MSTAP_STAT_LAYOUT_LINEAR(low, high, step);
  return layout;
}

inline mstap_stat_layout plain_layout() {
  mstap_stat_layout layout = MSTAP_STAT_LAYOUT_PLAIN;
  return layout;
}

} // namespace mstap_test
