// mstap_run against a real Debian kernel, booted in qemu (software
// emulation unless MSTAP_TEST_VM_ACCEL=kvm):
//
//   export MSTAP_TEST_SYSROOT=$(tools/fetch-kernel)     # .../mstap/kernels/6.1.0-N-amd64
//   export MSTAP_TEST_RELEASE=$(basename "$MSTAP_TEST_SYSROOT")
//   apt-get install linux-headers-$MSTAP_TEST_RELEASE    # for the kprobe module
//   ctest --test-dir BUILD -L vm --output-on-failure
//
// Without those variables the tests skip; with them set but anything missing
// (the image, qemu, busybox-static, the headers) they fail, so that a CI
// set-up mistake cannot pass quietly.
#include "run/vm_test_support.h"
#include "run/vm.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <regex>
#include <sstream>
#include <unistd.h>

namespace mstap::run {
namespace {

using namespace mstap::run::testing;

namespace fs = std::filesystem;

VmRequest baseRequest(const Target &t) {
  VmRequest request;
  request.sysroot = t.sysroot;
  request.release = t.release;
  request.useKvm = environment("MSTAP_TEST_VM_ACCEL") == "kvm";
  request.timeoutSeconds = 60;
  return request;
}

std::string describe(const VmResult &result) {
  std::ostringstream out;
  out << "error: " << result.error << "\nexit status: " << result.exitStatus << "\noutput:\n"
      << result.output << "\nkernel log (last 4000 bytes):\n"
      << (result.kernelLog.size() > 4000 ? result.kernelLog.substr(result.kernelLog.size() - 4000) : result.kernelLog)
      << "\nqemu: " << result.qemuMessages;
  return out.str();
}

std::string problemsOf(const VmResult &result) {
  std::string text;
  for (const KernelProblem &problem : findKernelProblems(result.kernelLog))
    text += problem.kind + ": " + problem.line + "\n";
  return text;
}

TEST(Vm, BootsRunsTheCommandAndPowersOff) {
  REQUIRE_TARGET(t);
  VmRequest request = baseRequest(t);
  request.guestCommand = "echo hello; uname -r";
  VmResult result = runInVm(request);
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_FALSE(result.timedOut);
  EXPECT_EQ(result.exitStatus, 0) << describe(result);
  EXPECT_EQ(result.output, "hello\n" + t.release + "\n") << describe(result);
  EXPECT_NE(result.kernelLog.find("Linux version " + t.release), std::string::npos) << describe(result);
  EXPECT_EQ(problemsOf(result), "") << describe(result);
  // The console carries the kernel's messages, never the command's output.
  EXPECT_EQ(result.console.find("hello"), std::string::npos) << result.console;
  std::printf("[ vm       ] %s with %s: command started after %.2f s, qemu ended after %.2f s\n", t.release.c_str(),
              request.useKvm ? "kvm" : "tcg", result.bootSeconds, result.totalSeconds);
}

TEST(Vm, SysrootModulesStandardErrorAndExitStatus) {
  REQUIRE_TARGET(t);
  VmRequest request = baseRequest(t);
  request.kernelModules = {"9p"}; // needs 9pnet, netfs and fscache (when modules)
  request.guestCommand = "cut -d' ' -f1 /proc/modules | sort; echo to-stderr >&2; printf 'no newline'; exit 42";
  VmResult result = runInVm(request);
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.exitStatus, 42) << describe(result);
  std::string lines = "\n" + result.output;
  EXPECT_NE(lines.find("\n9p\n"), std::string::npos) << result.output;
  EXPECT_NE(lines.find("\n9pnet\n"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("to-stderr\nno newline"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.substr(result.output.size() - 10), "no newline");
  EXPECT_EQ(problemsOf(result), "") << describe(result);
}

TEST(Vm, AKernelCrashEndsTheRunWithTheConsoleAsKernelLog) {
  REQUIRE_TARGET(t);
  VmRequest request = baseRequest(t);
  request.guestCommand = "echo before; echo c >/proc/sysrq-trigger; echo after";
  VmResult result = runInVm(request);
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(result.timedOut);
  EXPECT_NE(result.error.find("the guest stopped while the command ran"), std::string::npos) << describe(result);
  EXPECT_EQ(result.exitStatus, -1);
  EXPECT_EQ(result.output, "before\n");
  EXPECT_NE(problemsOf(result).find("panic: Kernel panic - not syncing: sysrq triggered crash"), std::string::npos)
      << describe(result);
}

// The kernel build tree for `release`: linux-headers-RELEASE as Debian
// installs it (the release is not running here, so /lib/modules/RELEASE/build
// may be missing), or one given by MSTAP_TEST_KERNEL_BUILD.
std::string headersFor(const Target &t) {
  std::vector<std::string> candidates;
  if (std::string given = environment("MSTAP_TEST_KERNEL_BUILD"); !given.empty())
    candidates.push_back(given);
  candidates.push_back(t.sysroot + "/usr/src/linux-headers-" + t.release);
  candidates.push_back("/usr/src/linux-headers-" + t.release);
  candidates.push_back("/lib/modules/" + t.release + "/build");
  for (const std::string &candidate : candidates)
    if (fs::exists(candidate + "/Makefile"))
      return candidate;
  return "";
}

TEST(Vm, KprobeModuleLoadsFiresAndUnloadsCleanly) {
  REQUIRE_TARGET(t);
  std::string headers = headersFor(t);
  ASSERT_FALSE(headers.empty()) << "no kernel headers for " << t.release << " (apt-get install linux-headers-"
                                << t.release << ")";

  // Build the module out of the source tree.
  Scratch scratch;
  ASSERT_FALSE(scratch.path.empty());
  for (const char *name : {"kprobe_hello.c", "Kbuild"})
    fs::copy_file(std::string(MSTAP_VM_TEST_MODULE_SOURCES) + "/" + name, scratch.path + "/" + name);
  std::string buildLog = scratch.path + "/build.log";
  std::string make = "make -s -C '" + headers + "' M='" + scratch.path + "' modules >'" + buildLog + "' 2>&1";
  int built = std::system(make.c_str());
  std::string module = scratch.path + "/kprobe_hello.ko";
  ASSERT_TRUE(built == 0 && fs::exists(module)) << make << "\n" << readFile(buildLog);
  std::string vermagic = "vermagic=" + t.release + " ";
  ASSERT_NE(readFile(module).find(vermagic), std::string::npos)
      << "the module was not built for " << t.release << " (" << headers << ")";

  VmRequest request = baseRequest(t);
  request.files = {{module, "/root/kprobe_hello.ko"}};
  request.guestCommand = R"(insmod /root/kprobe_hello.ko || exit 10
grep -q '^kprobe_hello ' /proc/modules || exit 11
grep kernel_clone /sys/kernel/debug/kprobes/list || exit 12
for i in 1 2 3 4 5 6 7 8; do /bin/true; done
rmmod kprobe_hello || exit 13
grep -q '^kprobe_hello ' /proc/modules && exit 14
dmesg | grep 'kprobe_hello:')";
  VmResult result = runInVm(request);
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.output.find("Invalid module format"), std::string::npos) << result.output;
  EXPECT_EQ(result.exitStatus, 0) << describe(result);
  EXPECT_NE(result.output.find("kernel_clone+0x0"), std::string::npos) << result.output;
  std::smatch hits;
  ASSERT_TRUE(std::regex_search(result.kernelLog, hits, std::regex("kprobe_hello: hits of kernel_clone: ([0-9]+)")))
      << describe(result);
  EXPECT_GE(std::stol(hits[1]), 8) << hits[0];
  EXPECT_EQ(problemsOf(result), "") << describe(result);
  std::printf("[ vm       ] %s; command started after %.2f s, qemu ended after %.2f s\n", hits[0].str().c_str(),
              result.bootSeconds, result.totalSeconds);
}

} // namespace
} // namespace mstap::run
