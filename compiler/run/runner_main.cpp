// mstap-runner: loads an mstap module, runs its session, unloads it (see runner.h).
//
//   mstap-runner [-o FILE] [-T SECONDS] [-c CMD] [-x PID] [-v] MODULE.ko [PARAM=VALUE...]
//
// Linked statically (libc and libstdc++ only) so that it can be copied into
// a virtual machine next to the module.
#include "run/runner.h"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  std::vector<std::string> arguments(argv + 1, argv + argc);
  mstap::run::ParsedRunnerOptions parsed = mstap::run::parseRunnerOptions(arguments);
  if (parsed.help) {
    std::fputs(mstap::run::kRunnerUsage, stdout);
    return 0;
  }
  if (!parsed.error.empty()) {
    std::fprintf(stderr, "mstap-runner: %s\n%s", parsed.error.c_str(), mstap::run::kRunnerUsage);
    return 1;
  }
  try {
    return mstap::run::runModule(parsed.options);
  } catch (const std::exception &error) {
    // runModule unloads what it loaded on its way out; this is for what
    // cannot happen before (out of memory while reading the file).
    std::fprintf(stderr, "mstap-runner: %s\n", error.what());
    return 1;
  }
}
