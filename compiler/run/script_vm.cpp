// runModuleInVm: see script_vm.h.
#include <algorithm>
#include "run/script_vm.h"

#include "run/vm.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/stat.h>

namespace mstap::run {

namespace {

std::string shellQuote(const std::string &text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'')
      quoted += "'\\''";
    else
      quoted += c;
  }
  return quoted + "'";
}

std::string baseName(const std::string &path) { return path.substr(path.rfind('/') + 1); }

bool isFile(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

std::string randomMarker() {
  std::random_device device;
  std::ostringstream out;
  out << "mstap-output-file-" << std::hex << device() << device() << device();
  return out.str();
}

const char *kGuestOutputFile = "/tmp/mstap-runner.out";
const char *kGuestErrorFile = "/tmp/mstap-runner.err";

// Passes on what streams in, up to `marker`; keeps back a tail that could be
// the start of the marker until it knows.
class MarkerFilter {
public:
  MarkerFilter(std::string marker, std::function<void(std::string_view)> sink)
      : marker_(std::move(marker)), sink_(std::move(sink)) {}
  void feed(std::string_view chunk) {
    if (found_)
      return;
    pending_.append(chunk);
    size_t at = pending_.find(marker_);
    if (at != std::string::npos) {
      emit(pending_.substr(0, at));
      pending_.clear();
      found_ = true;
      return;
    }
    size_t keep = 0;
    for (size_t k = std::min(marker_.size() - 1, pending_.size()); k > 0; --k)
      if (pending_.compare(pending_.size() - k, k, marker_, 0, k) == 0) {
        keep = k;
        break;
      }
    emit(pending_.substr(0, pending_.size() - keep));
    pending_.erase(0, pending_.size() - keep);
  }
  void finish() {
    if (!found_)
      emit(pending_);
    pending_.clear();
  }
  const std::string &passed() const { return passed_; }

private:
  void emit(const std::string &text) {
    if (text.empty())
      return;
    passed_ += text;
    sink_(text);
  }
  std::string marker_;
  std::function<void(std::string_view)> sink_;
  std::string pending_, passed_;
  bool found_ = false;
};

} // namespace

std::string moduleVmGuestCommand(const ModuleVmRun &run, const std::string &guestRunner,
                                 const std::string &guestModule, const std::string &marker) {
  std::string command = shellQuote(guestRunner);
  if (run.verbose)
    command += " -v";
  if (run.timeLimitSeconds > 0) {
    std::ostringstream seconds;
    seconds << run.timeLimitSeconds;
    command += " -T " + seconds.str();
  }
  if (!run.outputFile.empty())
    command += std::string(" -o ") + kGuestOutputFile;
  if (!run.command.empty())
    command += " -c " + shellQuote(run.command);
  command += " " + shellQuote(guestModule);
  for (const std::string &parameter : run.moduleParameters)
    command += " " + shellQuote(parameter);
  if (run.onErrorOutput)
    command += std::string(" 2>") + kGuestErrorFile;
  command += "\nstatus=$?\n";
  // Whatever ended the run, the module must be gone.
  std::string name = baseName(guestModule);
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".ko") == 0)
    name.resize(name.size() - 3);
  std::replace(name.begin(), name.end(), '-', '_');
  command += "if grep -q '^" + name + " ' /proc/modules; then echo 'mstap: error: the module " + name +
             " is still loaded after the run' >&2; status=1; fi\n";
  // What was kept in files follows the markers, standard error first.
  if (run.onErrorOutput)
    command += "echo " + marker + "-err\ncat " + kGuestErrorFile + "\n";
  if (!run.outputFile.empty())
    command += "echo " + marker + "-out\ncat " + kGuestOutputFile + "\n";
  command += "exit $status\n";
  return command;
}

ModuleVmOutcome runModuleInVmWithOutcome(const ModuleVmRun &run) {
  ModuleVmOutcome outcome;
  auto report = [&](const std::string &message) {
    outcome.errors.push_back(message);
    if (run.onError)
      run.onError(message);
    else
      std::fprintf(stderr, "mstap: %s\n", message.c_str());
  };
  auto sink = run.onOutput ? run.onOutput : [](std::string_view chunk) {
    std::fwrite(chunk.data(), 1, chunk.size(), stdout);
    std::fflush(stdout);
  };

  if (run.release.empty() || run.sysroot.empty()) {
    report("running in a VM needs the kernel release and the folder tools/fetch-kernel unpacked it to");
    return outcome;
  }
  std::string image = run.sysroot + "/boot/vmlinuz-" + run.release;
  if (!isFile(image)) {
    report("no kernel " + run.release + " to boot (" + image + " is missing); fetch it with: tools/fetch-kernel " +
           run.release);
    return outcome;
  }
  if (!isFile(run.modulePath)) {
    report("no module " + run.modulePath);
    return outcome;
  }
  StaticCheck runner = checkStaticExecutable(run.runnerPath);
  if (!runner.error.empty() || !runner.isStatic) {
    report("the runner " + run.runnerPath + " cannot go into the VM: " +
           (runner.error.empty() ? "it is not linked statically" : runner.error));
    return outcome;
  }

  VmRequest request;
  request.release = run.release;
  request.sysroot = run.sysroot;
  request.useKvm = run.useKvm;
  request.memoryMegabytes = run.memoryMegabytes;
  request.cpus = run.cpus;
  request.timeoutSeconds = run.timeoutSeconds;
  if (run.timeoutSeconds > 0 && run.timeLimitSeconds > 0)
    request.timeoutSeconds = std::max(run.timeoutSeconds, static_cast<int>(std::ceil(run.timeLimitSeconds)) + 60);
  std::string guestRunner = "/root/mstap-runner";
  std::string guestModule = "/root/" + baseName(run.modulePath);
  request.files.push_back({run.runnerPath, guestRunner});
  request.files.push_back({run.modulePath, guestModule});
  for (const std::string &path : run.hostFiles) {
    if (path.empty() || path[0] != '/') {
      report("the file " + path + " for the guest must be given by its absolute path");
      return outcome;
    }
    request.files.push_back({path, path});
  }
  std::string marker = randomMarker();
  request.guestCommand = moduleVmGuestCommand(run, guestRunner, guestModule, marker);
  outcome.guestCommand = request.guestCommand;

  // The output file is written whole at the end, so open it first: a bad
  // path is told before the VM boots.
  std::ofstream outputFile;
  if (!run.outputFile.empty()) {
    outputFile.open(run.outputFile, std::ios::binary | std::ios::trunc);
    if (!outputFile) {
      report("cannot write " + run.outputFile);
      return outcome;
    }
  }
  MarkerFilter filter(marker, sink);
  request.onOutput = [&](std::string_view chunk) { filter.feed(chunk); };

  VmResult result = runInVm(request);
  filter.finish();
  outcome.output = filter.passed();
  outcome.kernelLog = result.kernelLog;
  outcome.bootSeconds = result.bootSeconds;
  outcome.totalSeconds = result.totalSeconds;

  size_t errAt = result.output.find(marker + "-err\n");
  size_t outAt = result.output.find(marker + "-out\n");
  if (run.onErrorOutput && errAt != std::string::npos) {
    size_t begin = errAt + marker.size() + 5;
    run.onErrorOutput(std::string_view(result.output).substr(begin, outAt == std::string::npos ? std::string::npos
                                                                                               : outAt - begin));
  }
  if (!run.outputFile.empty()) {
    if (outAt != std::string::npos) {
      outputFile << result.output.substr(outAt + marker.size() + 5);
      outputFile.close();
      if (!outputFile)
        report("cannot write " + run.outputFile);
    }
  }
  if (!result.ok()) {
    report("the VM run failed: " + result.error);
  } else if (result.exitStatus >= 0) {
    outcome.runnerFinished = true;
    outcome.exitStatus = result.exitStatus;
  }
  for (const KernelProblem &problem : findKernelProblems(result.kernelLog))
    report("the guest kernel reported a problem: " + problem.kind + ": " + problem.line);
  return outcome;
}

int runModuleInVm(const ModuleVmRun &run) {
  ModuleVmOutcome outcome = runModuleInVmWithOutcome(run);
  if (!outcome.runnerFinished)
    return 1;
  if (!outcome.errors.empty() && outcome.exitStatus == 0)
    return 1;
  return outcome.exitStatus;
}

} // namespace mstap::run
