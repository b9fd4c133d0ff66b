#include "driver/probe_types.h"

#include <algorithm>

namespace mstap {

const std::vector<std::string> &probeTypes() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> list = {
        "begin", "begin(number)", "end", "end(number)", "error", "error(number)", "never",
        "kernel.function(string)", "kernel.function(string).call", "kernel.function(string).return",
        "module(string).function(string)", "module(string).function(string).call",
        "module(string).function(string).return",
        "kprobe.function(string)", "kprobe.function(string).return",
        "kernel.trace(string)",
        "process(string).function(string)", "process(string).function(string).call",
        "process(string).function(string).return",
        "timer.hz(number)", "timer.profile",
    };
    for (const char *unit : {"s", "ms", "us", "ns", "jiffies", "sec", "msec", "usec", "nsec"}) {
      list.push_back(std::string("timer.") + unit + "(number)");
      list.push_back(std::string("timer.") + unit + "(number).randomize(number)");
    }
    std::sort(list.begin(), list.end());
    return list;
  }();
  return types;
}

} // namespace mstap
