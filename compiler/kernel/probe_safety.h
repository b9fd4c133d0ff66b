// Which kernel functions cannot carry a kprobe, so that probe-point
// expansion leaves them out instead of failing at module load (or hanging
// the machine).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mstap::kernel {

class ProbeBlocklist {
public:
  // The built-in list only: names known to be unsafe on x86-64 kernels.
  ProbeBlocklist();

  // Adds the kernel's own list, in the format of
  // /sys/kernel/debug/kprobes/blacklist ("0xSTART-0xEND\tNAME [MODULE]").
  // Returns how many entries it read.
  size_t addKernelBlacklist(std::string_view text, const std::string &origin);

  // Why function `name` of `module` ("" for vmlinux) cannot be kprobed, or
  // nothing when neither list names it. The built-in list applies to vmlinux
  // only; the kernel's list to both.
  std::optional<std::string> reasonUnprobeable(std::string_view name, std::string_view module = {}) const;

  size_t kernelBlacklistSize() const { return kernelBlacklist_.size(); }

private:
  struct Entry {
    std::string pattern; // an fnmatch pattern or an exact name
    const char *reason;
  };
  std::unordered_map<std::string, const char *> exactNames_;
  std::vector<Entry> patterns_;
  // "module:name" (module empty for vmlinux) -> the file it came from.
  std::unordered_map<std::string, std::string> kernelBlacklist_;
};

} // namespace mstap::kernel
