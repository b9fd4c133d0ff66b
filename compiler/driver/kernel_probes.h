// The bridge from pass 2 to the target kernel: expands kernel.function,
// module(...).function, kprobe.function and kernel.trace probe points with
// mstap_kernel, reading the kernel's functions only when a script needs them.
#pragma once

#include "driver/options.h"
#include "sema/elaborate.h"

#include <memory>
#include <string>
#include <vector>

namespace mstap {

class KernelProbes {
public:
  explicit KernelProbes(const Options &options);
  ~KernelProbes();

  // The source pass 2 calls; valid while this object lives.
  const KernelFunctionSource &source() const { return source_; }

  // For -v: where the functions came from, and what wildcards left out.
  std::vector<std::string> report() const;

private:
  struct State;
  std::unique_ptr<State> state_;
  KernelFunctionSource source_;
};

} // namespace mstap
