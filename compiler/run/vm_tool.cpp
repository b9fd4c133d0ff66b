// mstap-vm-run: runInVm from the command line, for checks by hand.
//
//   mstap-vm-run --sysroot "$(tools/fetch-kernel)" -r 6.1.0-N-amd64
//       --copy probe.ko:/root/probe.ko -- 'insmod /root/probe.ko && rmmod probe'
//
// The guest command's output goes to standard output as it comes; the times,
// the reports of kernel trouble and any error go to standard error. The exit
// status is the guest command's; 124 when the guest timed out, 125 when the
// run failed, 123 with --strict when the kernel log shows trouble.
#include "run/vm.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <unistd.h>

namespace {

constexpr const char *usage =
    "usage: mstap-vm-run --sysroot DIR -r RELEASE [OPTIONS] -- 'GUEST SHELL COMMAND'\n"
    "Boots RELEASE's kernel from DIR (as tools/fetch-kernel unpacks it) in qemu, runs the\n"
    "command with busybox sh inside, prints its output, and powers the guest off.\n"
    "\n"
    "  --sysroot DIR        where the kernel package is unpacked\n"
    "  -r RELEASE           the kernel release, e.g. 6.1.0-26-amd64\n"
    "  --kernel IMAGE       boot this image instead of DIR/boot/vmlinuz-RELEASE\n"
    "  --copy HOST[:GUEST]  put a host file into the guest (default /root/NAME); repeatable\n"
    "  --module NAME        load the kernel's own module NAME (and what it needs) first\n"
    "  -T, --timeout SECS   kill the guest after SECS seconds (default 60; 0: never)\n"
    "  --kvm                use KVM instead of software emulation\n"
    "  -m, --memory MB      guest memory (default 512)\n"
    "  --smp N              guest CPUs (default 1)\n"
    "  --cpu MODEL          qemu's -cpu (default: qemu's own with tcg, host with kvm)\n"
    "  --append ARGS        more kernel command-line arguments\n"
    "  --boot-compressed    boot the image as it is, not the vmlinux inside it (slower)\n"
    "  --console            show the guest's console on standard error as it comes\n"
    "  --dmesg FILE         write the guest's kernel log to FILE ('-' for standard error)\n"
    "  --strict             exit 123 when the kernel log shows a BUG, Oops, WARNING...\n"
    "  --qemu PATH          the qemu-system-x86_64 to run\n"
    "  --busybox PATH       the static busybox to put into the guest\n"
    "  -v                   print the boot and total times\n";

bool parseNumber(const std::string &text, int &value) {
  char *end = nullptr;
  long number = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || number < 0 || number > 1000000)
    return false;
  value = static_cast<int>(number);
  return true;
}

} // namespace

int main(int argc, char **argv) {
  mstap::run::VmRequest request;
  bool showConsole = false, strict = false, verbose = false;
  std::string dmesgFile;
  std::string command;
  auto die = [](const std::string &message) {
    std::cerr << "mstap-vm-run: " << message << "\n";
    return 125;
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string &out) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    std::string text;
    if (arg == "--") {
      for (++i; i < argc; ++i)
        command += (command.empty() ? "" : " ") + std::string(argv[i]);
      break;
    } else if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    } else if (arg == "--sysroot") {
      if (!value(request.sysroot))
        return die("--sysroot needs a folder");
    } else if (arg == "-r") {
      if (!value(request.release))
        return die("-r needs a release");
    } else if (arg == "--kernel") {
      if (!value(request.kernelImage))
        return die("--kernel needs an image");
    } else if (arg == "--copy") {
      if (!value(text))
        return die("--copy needs HOST[:GUEST]");
      size_t split = text.rfind(":/");
      mstap::run::FileToCopy file;
      if (split == std::string::npos) {
        file.hostPath = text;
        file.guestPath = "/root/" + text.substr(text.rfind('/') + 1);
      } else {
        file.hostPath = text.substr(0, split);
        file.guestPath = text.substr(split + 1);
      }
      request.files.push_back(file);
    } else if (arg == "--module") {
      if (!value(text))
        return die("--module needs a name");
      request.kernelModules.push_back(text);
    } else if (arg == "-T" || arg == "--timeout") {
      if (!value(text) || !parseNumber(text, request.timeoutSeconds))
        return die(arg + " needs a number of seconds");
    } else if (arg == "--kvm") {
      request.useKvm = true;
    } else if (arg == "-m" || arg == "--memory") {
      if (!value(text) || !parseNumber(text, request.memoryMegabytes))
        return die(arg + " needs a number of megabytes");
    } else if (arg == "--smp") {
      if (!value(text) || !parseNumber(text, request.cpus))
        return die("--smp needs a number of CPUs");
    } else if (arg == "--cpu") {
      if (!value(request.cpuModel))
        return die("--cpu needs a model");
    } else if (arg == "--append") {
      if (!value(request.kernelArguments))
        return die("--append needs kernel arguments");
    } else if (arg == "--boot-compressed") {
      request.bootUncompressed = false;
    } else if (arg == "--console") {
      showConsole = true;
    } else if (arg == "--dmesg") {
      if (!value(dmesgFile))
        return die("--dmesg needs a file");
    } else if (arg == "--strict") {
      strict = true;
    } else if (arg == "--qemu") {
      if (!value(request.qemu))
        return die("--qemu needs a path");
    } else if (arg == "--busybox") {
      if (!value(request.busybox))
        return die("--busybox needs a path");
    } else if (arg == "-v") {
      verbose = true;
    } else {
      std::cerr << "mstap-vm-run: unknown option '" << arg << "'\n" << usage;
      return 125;
    }
  }
  if (request.kernelImage.empty() && (request.sysroot.empty() || request.release.empty())) {
    std::cerr << "mstap-vm-run: give --sysroot and -r (or --kernel)\n" << usage;
    return 125;
  }
  request.guestCommand = command;
  request.onOutput = [](std::string_view chunk) {
    std::fwrite(chunk.data(), 1, chunk.size(), stdout);
    std::fflush(stdout);
  };
  if (showConsole)
    request.onConsole = [](std::string_view chunk) {
      std::fwrite(chunk.data(), 1, chunk.size(), stderr);
      std::fflush(stderr);
    };

  mstap::run::VmResult result = mstap::run::runInVm(request);

  if (!dmesgFile.empty() && !result.kernelLog.empty()) {
    if (dmesgFile == "-") {
      std::cerr << result.kernelLog;
    } else {
      std::ofstream out(dmesgFile);
      out << result.kernelLog;
      if (!out)
        std::cerr << "mstap-vm-run: cannot write " << dmesgFile << "\n";
    }
  }
  std::vector<mstap::run::KernelProblem> problems = mstap::run::findKernelProblems(result.kernelLog);
  for (const auto &problem : problems)
    std::cerr << "mstap-vm-run: kernel " << problem.kind << ": " << problem.line << "\n";
  if (verbose)
    std::fprintf(stderr, "mstap-vm-run: booted %s with %s; exit status %d; command started after %.2f s, qemu ended after %.2f s\n",
                 result.bootedImage.c_str(), request.useKvm ? "kvm" : "tcg", result.exitStatus, result.bootSeconds,
                 result.totalSeconds);
  if (!result.ok()) {
    std::cerr << "mstap-vm-run: " << result.error << "\n";
    // Without a dmesg, the console is what tells why.
    if (!showConsole && dmesgFile.empty() && !result.kernelLog.empty() && result.exitStatus < 0) {
      std::cerr << "mstap-vm-run: the guest's console:\n" << result.kernelLog;
      if (result.kernelLog.back() != '\n')
        std::cerr << "\n";
    }
    return result.timedOut ? 124 : result.exitStatus >= 0 ? result.exitStatus : 125;
  }
  if (strict && !problems.empty())
    return 123;
  return result.exitStatus;
}
