// The bridge from pass 2 to user-space programs: expands
// process("PATH").function("PATTERN") probe points from each program's DWARF
// (mstap_kernel's UserBinary), reading a program only when a script names it.
#pragma once

#include "sema/elaborate.h"

#include <memory>
#include <string>
#include <vector>

namespace mstap {

class UserProbes {
public:
  // `searchPath` finds programs named without a '/' (stap uses $PATH).
  explicit UserProbes(std::string searchPath);
  ~UserProbes();

  // The source pass 2 calls; valid while this object lives.
  const UserFunctionSource &source() const { return source_; }

  // For -v: the programs read, with their function counts and times.
  std::vector<std::string> report() const;

private:
  struct State;
  std::unique_ptr<State> state_;
  UserFunctionSource source_;
};

} // namespace mstap
