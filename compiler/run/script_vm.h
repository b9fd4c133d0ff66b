// `mstap --vm`: pass 5 inside a throw-away virtual machine. The module and
// the static mstap-runner are copied into a VM booting RELEASE's kernel
// (runInVm, vm.h), the runner runs the session there, and its exit status
// comes back. The script's output streams to the caller as it arrives; with
// an output file (-o) the script's standard output goes to that file on the
// host, its standard error still streams.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mstap::run {

struct ModuleVmRun {
  std::string modulePath;  // the .ko on the host
  std::string runnerPath;  // a static mstap-runner on the host
  std::string release;     // the kernel the module was built for, e.g. 6.1.0-56-amd64
  std::string sysroot;     // where tools/fetch-kernel unpacked it
  // mstap-runner's arguments in the guest
  double timeLimitSeconds = 0;      // -T; 0: none
  bool verbose = false;             // -v
  std::string outputFile;           // -o, a host path; empty: the script's stdout streams to onOutput
  std::string command;              // -c, run in the guest; empty: none
  std::vector<std::string> moduleParameters; // PARAM=VALUE
  // Host files the command needs, put into the guest at the same paths
  // (static binaries, or with their libraries listed too).
  std::vector<std::string> hostFiles;
  bool useKvm = false;
  int timeoutSeconds = 120; // the whole VM run, boot included; 0: none
  int memoryMegabytes = 512;
  int cpus = 1;
  // The script's output as it arrives (stdout and stderr, as the guest's
  // terminal shows them; without an output file). Empty: standard output.
  std::function<void(std::string_view)> onOutput;
  // When set, the script's standard error is kept apart in the guest and
  // given here whole once the run ends (standard output still streams to
  // onOutput), so that callers can tell the two apart as on a host run.
  std::function<void(std::string_view)> onErrorOutput;
  // What went wrong around the run (no kernel, a crash, kernel-log
  // trouble). Empty: "mstap: MESSAGE" lines on standard error.
  std::function<void(const std::string &)> onError;
};

struct ModuleVmOutcome {
  int exitStatus = 1;       // the runner's; 1 when it did not finish
  bool runnerFinished = false;
  std::vector<std::string> errors; // each also given to onError
  std::string output;       // what streamed (the script's stderr only with an output file)
  std::string kernelLog;
  std::string guestCommand; // what ran in the guest
  double bootSeconds = 0, totalSeconds = 0;
};

// The whole run; never throws.
ModuleVmOutcome runModuleInVmWithOutcome(const ModuleVmRun &run);

// The runner's exit status, or 1 when the VM run failed (errors go to
// run.onError). Kernel-log trouble (a BUG, an Oops, a WARNING...) makes it 1
// as well.
int runModuleInVm(const ModuleVmRun &run);

// For tests: the guest shell command for `run` with the module and runner at
// these guest paths; with an output file, the runner's output file in the
// guest is printed after `marker` and a newline.
std::string moduleVmGuestCommand(const ModuleVmRun &run, const std::string &guestRunner,
                                 const std::string &guestModule, const std::string &marker);

} // namespace mstap::run
