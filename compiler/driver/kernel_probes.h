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

class KernelProbes : public FunctionSource {
public:
  explicit KernelProbes(const Options &options);
  ~KernelProbes() override;

  bool matchKernel(const std::string &what, const std::string &module, const std::string &pattern,
                   std::vector<KernelMatch> &matches, std::string &error) const override;
  // A function's BTF prototype, or a tracepoint's arguments.
  std::optional<CPrototype> prototype(const ResolvedProbe &point) const override;
  // @cast's types, from vmlinux's BTF or a module's.
  std::optional<CType> namedType(const std::string &module, const std::string &name,
                                 std::string &error) const override;

  // For -v: where the functions came from, and what wildcards left out.
  std::vector<std::string> report() const;

private:
  struct State;
  std::unique_ptr<State> state_; // loaded on the first match
};

} // namespace mstap
