// Running kbuild: fork and exec, no shell, standard output and error merged
// into one captured text.
#pragma once

#include <string>
#include <vector>

namespace mstap::build {

struct ProcessResult {
  bool started = false; // false: could not run at all, `error` says why
  int exitCode = -1;    // -1 when it did not exit normally
  std::string output;   // stdout and stderr, interleaved as written
  std::string error;
  std::string describeStatus() const;
};

// Runs argv[0] (searched on $PATH when it has no '/') with stdin from
// /dev/null. `unsetEnv` names variables removed from the child's environment.
ProcessResult runProcess(const std::vector<std::string> &argv, const std::vector<std::string> &unsetEnv = {});

// The path of an executable `name` on $PATH (or `name` itself when it holds a
// '/' and is executable); empty when there is none.
std::string findExecutable(const std::string &name);

} // namespace mstap::build
