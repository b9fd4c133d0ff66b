// The runtime's module core (runtime/mstap_module.h) in a real kernel: the
// hand-written "generated" module tests/runtime/module/mstap_rt_test.c is
// built against linux-headers-RELEASE, loaded in a qemu guest with two
// CPUs and driven through /proc/mstap_rt_test/{control,output} the way the
// runner does (runtime/MODULE.md section 5), with mstap-read-output
// (tests/vm/mstap_read_output.c) decoding the records. Same variables as
// vm_test.cpp: MSTAP_TEST_SYSROOT, MSTAP_TEST_RELEASE (skips without them);
// MSTAP_TEST_VM_VERBOSE=1 prints what the guest printed.
#include "run/vm_test_support.h"
#include "run/vm.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <sstream>
#include <unistd.h>

namespace mstap::run {
namespace {

using namespace mstap::run::testing;

namespace fs = std::filesystem;

std::string headersFor(const std::string &sysroot, const std::string &release) {
  std::vector<std::string> candidates;
  if (std::string given = environment("MSTAP_TEST_KERNEL_BUILD"); !given.empty())
    candidates.push_back(given);
  candidates.push_back(sysroot + "/usr/src/linux-headers-" + release);
  candidates.push_back("/usr/src/linux-headers-" + release);
  candidates.push_back("/lib/modules/" + release + "/build");
  for (const std::string &candidate : candidates)
    if (fs::exists(candidate + "/Makefile"))
      return candidate;
  return "";
}

// The text between "==NAME\n" and the next "==" marker line (or the end).
std::string section(const std::string &output, const std::string &name) {
  std::string marker = "==" + name + "\n";
  size_t start = output.find(marker);
  if (start == std::string::npos)
    return "<no section " + name + ">";
  start += marker.size();
  size_t end = output.find("\n==", start - 1);
  return output.substr(start, end == std::string::npos ? std::string::npos : end + 1 - start);
}

long number(const std::string &text, const std::string &pattern) {
  std::smatch match;
  if (!std::regex_search(text, match, std::regex(pattern)))
    return -1;
  return std::stol(match[1]);
}

std::string problemsOf(const VmResult &result) {
  std::string text;
  for (const KernelProblem &problem : findKernelProblems(result.kernelLog))
    text += problem.kind + ": " + problem.line + "\n";
  return text;
}

std::string describe(const VmResult &result) {
  std::ostringstream out;
  out << "error: " << result.error << "\nexit status: " << result.exitStatus << "\noutput:\n"
      << result.output << "\nkernel log (last 4000 bytes):\n"
      << (result.kernelLog.size() > 4000 ? result.kernelLog.substr(result.kernelLog.size() - 4000) : result.kernelLog);
  return out.str();
}

// The 300 lines the end probe prints, more than the 8192-byte print buffer:
// they arrive whole and in order through the flush hook's early commits.
std::string endProbeLines() {
  std::string lines;
  char line[80];
  for (int i = 0; i < 300; i++) {
    std::snprintf(line, sizeof(line), "line %03d of the end probe ......................\n", i);
    lines += line;
  }
  return lines;
}

const char *kGuestScript = R"(M=mstap_rt_test; P=/proc/$M
forks() { i=0; while [ $i -lt 20 ]; do /bin/true; i=$((i+1)); done; }
run() { # run TARGET [STOP_AFTER_MS]
  insmod /root/$M.ko mstap_target=$1 || exit 10
  echo "==control-loaded-$1"; cat $P/control
  echo start > $P/control || exit 11
  echo "==control-started-$1"; cat $P/control
  echo "==kprobes-$1"; grep -c 'kernel_clone' /sys/kernel/debug/kprobes/list
  forks &
  /root/mstap-read-output $M $2 >/tmp/out$1 2>/tmp/err$1; echo "==reader-$1"; echo $?
  wait
  echo "==control-end-$1"; cat $P/control
  rmmod $M || exit 12
  [ -e $P ] && exit 13
  echo "==stdout-$1"; grep -v '^[0-9]* *$' /tmp/out$1; echo "==stderr-$1"; cat /tmp/err$1
  # The 4000-byte lines of scenario 3, summarised here rather than sent
  # over the serial line: how many, and how many are not line NR-1, whole.
  echo "==wide-$1"
  grep '^[0-9]* *$' /tmp/out$1 | awk '{ if (length($0) != 4000 || $1 != NR - 1) bad++ } END { print NR, bad + 0 }'
}
run 0
run 1
run 2 1500
run 3 300
# rmmod while running: module exit stops the run and removes the files.
insmod /root/$M.ko mstap_target=2 || exit 20
echo start > $P/control || exit 21
forks
rmmod $M || exit 22
[ -e $P ] && exit 23
echo "==done"
)";

TEST(RuntimeModule, ProbesOutputErrorsAndStopInARealKernel) {
  std::string sysroot = environment("MSTAP_TEST_SYSROOT"), release = environment("MSTAP_TEST_RELEASE");
  if (sysroot.empty() && release.empty())
    GTEST_SKIP() << "MSTAP_TEST_SYSROOT and MSTAP_TEST_RELEASE are unset; see tests/vm/vm_test.cpp";
  ASSERT_FALSE(sysroot.empty() || release.empty()) << "set both MSTAP_TEST_SYSROOT and MSTAP_TEST_RELEASE";
  std::string headers = headersFor(sysroot, release);
  ASSERT_FALSE(headers.empty()) << "no kernel headers for " << release;

  Scratch scratch;
  ASSERT_FALSE(scratch.path.empty());
  for (const char *name : {"mstap_rt_test.c", "Kbuild"})
    fs::copy_file(std::string(MSTAP_VM_TEST_RUNTIME_MODULE) + "/" + name, scratch.path + "/" + name);
  std::string buildLog = scratch.path + "/build.log";
  std::string make = "make -s -C '" + headers + "' M='" + scratch.path + "' MSTAP_RUNTIME='" +
                     MSTAP_VM_TEST_RUNTIME_DIR + "' modules >'" + buildLog + "' 2>&1";
  int built = std::system(make.c_str());
  std::string module = scratch.path + "/mstap_rt_test.ko";
  ASSERT_TRUE(built == 0 && fs::exists(module)) << make << "\n" << readFile(buildLog);
  ASSERT_TRUE(fs::exists(MSTAP_VM_TEST_READER)) << MSTAP_VM_TEST_READER;

  VmRequest request;
  request.sysroot = sysroot;
  request.release = release;
  request.useKvm = environment("MSTAP_TEST_VM_ACCEL") == "kvm";
  request.timeoutSeconds = 90;
  request.cpus = 2;
  request.files = {{module, "/root/mstap_rt_test.ko"}, {MSTAP_VM_TEST_READER, "/root/mstap-read-output"}};
  request.guestCommand = kGuestScript;
  VmResult result = runInVm(request);
  ASSERT_TRUE(result.ok()) << describe(result);
  ASSERT_EQ(result.exitStatus, 0) << describe(result);
  const std::string &out = result.output;
  if (environment("MSTAP_TEST_VM_VERBOSE") == "1")
    std::printf("%s\n", out.c_str());
  EXPECT_NE(out.find("==done"), std::string::npos) << out;

  // Before and after start; the begin probes ran during start.
  EXPECT_EQ(section(out, "control-loaded-0"), "state=loaded errors=0 skipped=0 overruns=0 exit=0\n");
  EXPECT_TRUE(std::regex_match(section(out, "control-started-0"),
                               std::regex("state=running errors=2 skipped=[0-9]+ overruns=0 exit=0\n")))
      << section(out, "control-started-0");
  // A kprobe and a kretprobe on kernel_clone.
  EXPECT_EQ(section(out, "kprobes-0"), "2\n");
  EXPECT_EQ(section(out, "reader-0"), "0\n");

  // Scenario 0: begin order by priority, the fork that calls exit(), the
  // error probe (errors happened) before the end probes, the S64_MAX dump last.
  std::string stdout0 = section(out, "stdout-0");
  std::smatch match;
  ASSERT_TRUE(std::regex_match(
      stdout0, match,
      std::regex("begin: first, kernel text\n"
                 "begin: fact\\(5\\)=120 target=0\n"
                 "begin: log line\n"
                 "fork ([0-9]+) by [^\n]+: exit\n"
                 "error probe ran\n"
                 "end: clones=([0-9]+) returns=([0-9]+) forks=([0-9]+) ticks=([0-9]+) profiles=([0-9]+) regs=([0-9]+)\n"
                 "((?:.|\n)*)dump last\n")))
      << stdout0;
  EXPECT_EQ(match[1], "6");
  long forks = std::stol(match[4]);
  EXPECT_GE(forks, 6);      // a fork on the other CPU may pass before the stop flag
  EXPECT_GE(std::stol(match[2]), 6); // every fork is a kernel_clone
  EXPECT_GE(std::stol(match[3]), 1);
  EXPECT_GE(std::stol(match[6]), 1);
  EXPECT_EQ(match[6], match[7]) << "every profile hit has registers";
  EXPECT_EQ(match[8].str(), endProbeLines());

  std::string stderr0 = section(out, "stderr-0");
  EXPECT_TRUE(std::regex_match(
      stderr0,
      std::regex("ERROR: MAXNESTING exceeded near mstap_rt_test.stp:3:28 in probe begin\n"
                 "ERROR: MAXACTION exceeded near mstap_rt_test.stp:8:38 in probe begin\\(1\\)\n"
                 "WARNING: probe kernel.function\\(\"mstap_no_such_function\"\\)\\? registration failed "
                 "\\(error -[0-9]+\\), skipped\n"
                 "WARNING: probe process\\(\"/nonexistent/mstap-program\"\\).function\\(\"main\"\\)\\? "
                 "registration failed \\(error -2\\), skipped\n"
                 "ERROR: division by 0 near mstap_rt_test.stp:12:43 in probe "
                 "kernel.trace\\(\"sched:sched_process_fork\"\\)\n"
                 "WARNING: Number of errors: 3, skipped probes: [0-9]+\n")))
      << stderr0;
  EXPECT_TRUE(std::regex_match(section(out, "control-end-0"),
                               std::regex("state=stopped errors=3 skipped=[0-9]+ overruns=0 exit=1\n")))
      << section(out, "control-end-0");

  // Scenario 1: the fourth error (past MAXERRORS=3) stops the run.
  std::string stdout1 = section(out, "stdout-1");
  EXPECT_EQ(stdout1.rfind("begin: first, kernel text\nbegin: fact(5)=120 target=1\nbegin: log line\n"
                          "error probe ran\nend: ",
                          0),
            0u)
      << stdout1;
  EXPECT_NE(stdout1.find(endProbeLines() + "dump last\n"), std::string::npos) << stdout1;
  std::string stderr1 = section(out, "stderr-1");
  long errors1 = number(stderr1, "WARNING: Number of errors: ([0-9]+), skipped probes: [0-9]+\n$");
  EXPECT_GE(errors1, 4) << stderr1;
  EXPECT_TRUE(std::regex_match(stderr1, std::regex("(WARNING: probe [^\n]+ registration failed \\(error -[0-9]+\\), skipped\n){2}"
                                                   "(ERROR: division by 0 near mstap_rt_test.stp:12:43 in probe "
                                                   "kernel.trace\\(\"sched:sched_process_fork\"\\)\n){4,}"
                                                   "WARNING: Number of errors: [0-9]+, skipped probes: [0-9]+\n")))
      << stderr1;
  EXPECT_EQ(number(section(out, "control-end-1"), "errors=([0-9]+)"), errors1);
  EXPECT_NE(section(out, "control-end-1").find("state=stopped"), std::string::npos);
  EXPECT_NE(section(out, "control-end-1").find("exit=1\n"), std::string::npos);
  EXPECT_EQ(section(out, "reader-1"), "0\n");

  // Scenario 2: two faults in begin (and a warning), a division at the third fork, and the
  // run goes on (timers tick) until the reader writes stop: exit=0.
  std::string stdout2 = section(out, "stdout-2");
  ASSERT_TRUE(std::regex_match(
      stdout2, match,
      std::regex("begin: first, kernel text\n"
                 "begin: fact\\(5\\)=120 target=2\n"
                 "begin: log line\n"
                 "pp=begin\\(1\\)\n"
                 "error probe ran\n"
                 "end: clones=([0-9]+) returns=([0-9]+) forks=([0-9]+) ticks=([0-9]+) profiles=([0-9]+) regs=([0-9]+)\n"
                 "(?:.|\n)*dump last\n")))
      << stdout2;
  EXPECT_GE(std::stol(match[3]), 20);  // every fork of the workload
  EXPECT_GE(std::stol(match[4]), 20);  // 1.5 s of a 10 ms ± 2 ms timer
  EXPECT_GE(std::stol(match[5]), 10);  // 1.5 s of 2 CPUs at HZ
  std::string stderr2 = section(out, "stderr-2");
  EXPECT_TRUE(std::regex_match(
      stderr2, std::regex("ERROR: kernel read fault at 0x0000000000000000 near mstap_rt_test.stp:5:38 in probe begin\\(-1\\)\n"
                          "WARNING: begin warns\n"
                          "ERROR: user string copy fault at 0x0000000000000000 near mstap_rt_test.stp:8:70 in probe begin\\(1\\)\n"
                          "(WARNING: probe [^\n]+ registration failed \\(error -[0-9]+\\), skipped\n){2}"
                          "ERROR: division by 0 near mstap_rt_test.stp:12:43 in probe [^\n]+\n"
                          "WARNING: Number of errors: 3, skipped probes: [0-9]+\n")))
      << stderr2;
  EXPECT_TRUE(std::regex_match(section(out, "control-end-2"),
                               std::regex("state=stopped errors=3 skipped=[0-9]+ overruns=0 exit=0\n")))
      << section(out, "control-end-2");

  // Scenario 3: 300 lines of 4001 bytes from begin, before anyone reads:
  // what did not fit in the ring is dropped as whole records and counted.
  std::string stdout3 = section(out, "stdout-3");
  EXPECT_EQ(stdout3.rfind("begin: first, kernel text\nbegin: fact(5)=120 target=3\nbegin: log line\n"
                          "error probe ran\nend: clones=",
                          0),
            0u)
      << stdout3;
  EXPECT_NE(stdout3.find(endProbeLines() + "dump last\n"), std::string::npos) << "the end probe's output after a full ring";
  // The lines kept are 0, 1, 2... up to where the ring was full, each whole.
  long wide = number(section(out, "wide-3"), "^([0-9]+) 0\n$");
  EXPECT_GE(wide, 200) << section(out, "wide-3");
  EXPECT_LT(wide, 300) << section(out, "wide-3");
  for (const char *scenario : {"wide-0", "wide-1", "wide-2"})
    EXPECT_EQ(section(out, scenario), "0 0\n");
  long overruns = number(section(out, "control-end-3"), "overruns=([0-9]+)");
  EXPECT_GT(overruns, 0) << section(out, "control-end-3");
  long lost = number(section(out, "stderr-3"), "WARNING: ([0-9]+) output bytes lost\n");
  EXPECT_GE(lost, (300 - wide) * 4001L) << section(out, "stderr-3");
  EXPECT_EQ(section(out, "reader-3"), "0\n");

  EXPECT_EQ(problemsOf(result), "") << describe(result);
  std::printf("[ vm       ] %s: module core scenarios ran; qemu ended after %.2f s\n", release.c_str(),
              result.totalSeconds);
}

} // namespace
} // namespace mstap::run
