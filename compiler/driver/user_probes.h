// The bridge from pass 2 to user-space programs: expands
// process("PATH").function("PATTERN") probe points from each program's DWARF
// (mstap_kernel's UserBinary), reading a program only when a script names it.
#pragma once

#include "sema/elaborate.h"

#include <memory>
#include <string>
#include <vector>

namespace mstap {

class UserProbes : public FunctionSource {
public:
  // `searchPath` finds programs named without a '/' (stap uses $PATH).
  explicit UserProbes(std::string searchPath);
  ~UserProbes() override;

  bool matchProgram(const std::string &binary, const std::string &pattern, std::vector<UserMatch> &matches,
                    std::string &error) const override;
  // A function's DWARF prototype; its types answer through the program.
  std::optional<CPrototype> prototype(const ResolvedProbe &point) const override;
  // @cast's types, from the DWARF of the program at the absolute path `module`.
  std::optional<CType> namedType(const std::string &module, const std::string &name,
                                 std::string &error) const override;

  // For -v: the programs read, with their function counts and times.
  std::vector<std::string> report() const;

private:
  struct State;
  std::unique_ptr<State> state_; // the programs read so far
};

} // namespace mstap
