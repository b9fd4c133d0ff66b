// mstap-runner inside a VM booting the Debian kernel of tools/fetch-kernel,
// against testdata/protocol_module (the /proc protocol of runtime/MODULE.md
// section 5 alone), built here against linux-headers-RELEASE:
//
//   export MSTAP_TEST_SYSROOT=$HOME/.cache/mstap/kernels/6.1.0-56-amd64
//   export MSTAP_TEST_RELEASE=6.1.0-56-amd64
//   ctest --test-dir BUILD -L vm -R Runner --output-on-failure
//
// Skips without the two variables; fails when they are set and anything is
// missing. MSTAP_TEST_VM_ACCEL=kvm uses KVM.
#include "run/vm_test_support.h"
#include "run/runner.h"
#include "run/script_vm.h"
#include "run/vm.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <regex>
#include <sstream>
#include <unistd.h>

namespace mstap::run {
namespace {

using namespace mstap::run::testing;

namespace fs = std::filesystem;

// The protocol module built once per test program, in a folder removed at exit.
struct BuiltModule {
  std::string dir, path, error;
  ~BuiltModule() {
    std::error_code ignored;
    if (!dir.empty())
      fs::remove_all(dir, ignored);
  }
};

const BuiltModule &protocolModule(const Target &t) {
  static BuiltModule built;
  if (!built.path.empty() || !built.error.empty())
    return built;
  std::string headers;
  for (const std::string &candidate : {environment("MSTAP_TEST_KERNEL_BUILD"),
                                       t.sysroot + "/usr/src/linux-headers-" + t.release,
                                       "/usr/src/linux-headers-" + t.release, "/lib/modules/" + t.release + "/build"})
    if (!candidate.empty() && fs::exists(candidate + "/Makefile")) {
      headers = candidate;
      break;
    }
  if (headers.empty()) {
    built.error = "no kernel headers for " + t.release + " (apt-get install linux-headers-" + t.release + ")";
    return built;
  }
  built.dir = (fs::temp_directory_path() / "mstap-runner-vm-test.XXXXXX").string();
  if (!::mkdtemp(built.dir.data())) {
    built.error = "cannot make a scratch folder";
    built.dir.clear();
    return built;
  }
  for (const char *name : {"protocol_module.c", "Kbuild"})
    fs::copy_file(std::string(MSTAP_PROTOCOL_MODULE_SOURCES) + "/" + name, built.dir + "/" + name);
  std::string log = built.dir + "/build.log";
  std::string make = "make -s -C '" + headers + "' M='" + built.dir + "' modules >'" + log + "' 2>&1";
  std::string module = built.dir + "/protocol_module.ko";
  if (std::system(make.c_str()) != 0 || !fs::exists(module)) {
    built.error = make + "\n" + readFile(log);
    return built;
  }
  built.path = module;
  return built;
}

#define REQUIRE_MODULE(t, module)                                                                                      \
  Target t = target();                                                                                                 \
  if (!t.wanted)                                                                                                       \
    GTEST_SKIP() << "MSTAP_TEST_SYSROOT and MSTAP_TEST_RELEASE are unset; see compiler/run/runner_vm_test.cpp";        \
  ASSERT_TRUE(t.setupError.empty()) << t.setupError;                                                                   \
  const BuiltModule &module = protocolModule(t);                                                                       \
  ASSERT_TRUE(module.error.empty()) << module.error

bool useKvm() { return environment("MSTAP_TEST_VM_ACCEL") == "kvm"; }

VmRequest requestFor(const Target &t, const BuiltModule &module) {
  VmRequest request;
  request.sysroot = t.sysroot;
  request.release = t.release;
  request.useKvm = useKvm();
  request.timeoutSeconds = 150;
  request.files = {{MSTAP_RUNNER_BINARY, "/root/mstap-runner"}, {module.path, "/root/protocol_module.ko"}};
  return request;
}

std::string describe(const VmResult &result) {
  std::ostringstream out;
  out << "error: " << result.error << "\nexit status: " << result.exitStatus << "\noutput:\n"
      << result.output << "\nkernel log (last 3000 bytes):\n"
      << (result.kernelLog.size() > 3000 ? result.kernelLog.substr(result.kernelLog.size() - 3000) : result.kernelLog);
  return out.str();
}

std::string problemsOf(const std::string &kernelLog) {
  std::string text;
  for (const KernelProblem &problem : findKernelProblems(kernelLog))
    text += problem.kind + ": " + problem.line + "\n";
  return text;
}

// The guest script's sections: a line "@@ NAME" starts one.
std::map<std::string, std::string> sections(const std::string &output) {
  std::map<std::string, std::string> found;
  std::string current;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("@@ ", 0) == 0) {
      current = line.substr(3);
      found[current];
      continue;
    }
    if (!current.empty())
      found[current] += line + "\n";
  }
  return found;
}

std::string guestReport(const std::string &name) {
  return "echo '@@ " + name + " stdout'; cat /tmp/" + name + ".out\n" + "echo '@@ " + name + " stderr'; cat /tmp/" +
         name + ".err\n" + "echo '@@ " + name + " loaded'; grep -c '^protocol_module ' /proc/modules\n" +
         "lsmod | grep protocol_module\n";
}

// Shell lines that run the runner as run NAME and print its status, stdout,
// stderr and whether the module is still loaded afterwards.
std::string guestRun(const std::string &name, const std::string &runnerArguments) {
  return "/root/mstap-runner " + runnerArguments + " >/tmp/" + name + ".out 2>/tmp/" + name + ".err\n" +
         "s=$?; echo '@@ " + name + " status'; echo $s\n" + guestReport(name);
}

const std::string kBegin = "protocol_module: begin target=0\n";
const std::string kLines = "line 1\nline 2\nline 3\n";
const std::string kEnd = "protocol_module: end\n";
const std::string kWarning = "WARNING: protocol_module says this on stderr\n";

TEST(RunnerVm, RunsTheSessionCopiesBothStreamsAndUnloads) {
  REQUIRE_MODULE(t, module);
  VmRequest request = requestFor(t, module);
  request.guestCommand =
      guestRun("plain", "/root/protocol_module.ko") +                         // ends itself after 500 ms
      guestRun("errors", "/root/protocol_module.ko errors=2 lines=1") +       // status 1
      guestRun("verbose", "-v -o /tmp/verbose.file /root/protocol_module.ko run_ms=100") +
      "echo '@@ verbose file'; cat /tmp/verbose.file\n" +
      guestRun("command", "-c 'echo command-pid=$$; sleep 0.3' /root/protocol_module.ko run_ms=0 lines=0") +
      "echo '@@ end'\n";
  VmResult result = runInVm(request);
  ASSERT_TRUE(result.ok()) << describe(result);
  ASSERT_EQ(result.exitStatus, 0) << describe(result);
  auto s = sections(result.output);

  EXPECT_EQ(s["plain status"], "0\n") << describe(result);
  EXPECT_EQ(s["plain stdout"], kBegin + kLines + kEnd);
  EXPECT_EQ(s["plain stderr"], kWarning);
  EXPECT_EQ(s["plain loaded"], "0\n");

  EXPECT_EQ(s["errors status"], "1\n") << describe(result);
  EXPECT_EQ(s["errors stdout"], kBegin + "line 1\n" + kEnd);
  EXPECT_EQ(s["errors stderr"], kWarning + "WARNING: Number of errors: 2, skipped probes: 0\n");
  EXPECT_EQ(s["errors loaded"], "0\n");

  EXPECT_EQ(s["verbose status"], "0\n") << describe(result);
  EXPECT_EQ(s["verbose stdout"], "");
  EXPECT_EQ(s["verbose file"], kBegin + kLines + kEnd);
  const std::string &verbose = s["verbose stderr"];
  EXPECT_NE(verbose.find("mstap-runner: loading protocol_module from /root/protocol_module.ko with 'run_ms=100'\n"),
            std::string::npos)
      << verbose;
  EXPECT_NE(verbose.find("\nPass 5: starting run.\n" + kWarning), std::string::npos) << verbose;
  EXPECT_NE(verbose.find("mstap-runner: status: state=stopped errors=0 skipped=0 overruns=0 exit=1\n"),
            std::string::npos)
      << verbose;
  EXPECT_NE(verbose.find("mstap-runner: unloaded protocol_module\n"), std::string::npos) << verbose;
  EXPECT_TRUE(std::regex_search(verbose, std::regex("Pass 5: run completed in [0-9]+usr/[0-9]+sys/[0-9]+real ms.\n$")))
      << verbose;
  EXPECT_EQ(s["verbose loaded"], "0\n");

  // -c: the command's pid is the target, the run ends with the command.
  EXPECT_EQ(s["command status"], "0\n") << describe(result);
  std::smatch pid;
  const std::string &commandOut = s["command stdout"];
  ASSERT_TRUE(std::regex_search(commandOut, pid, std::regex("command-pid=([0-9]+)\n"))) << commandOut;
  EXPECT_NE(commandOut.find("protocol_module: begin target=" + pid[1].str() + "\n"), std::string::npos) << commandOut;
  EXPECT_EQ(commandOut.substr(commandOut.size() - kEnd.size()), kEnd) << commandOut;
  EXPECT_EQ(s["command stderr"], kWarning);
  EXPECT_EQ(s["command loaded"], "0\n");
  EXPECT_TRUE(s.count("end")) << describe(result);
  EXPECT_EQ(problemsOf(result.kernelLog), "") << describe(result);
}

// Two runs of one module at once: without -R the second finds the name
// taken (EEXIST); with -R each loads the module under a name of its own.
TEST(RunnerVm, TwoRunsOfOneModuleAtOnce) {
  REQUIRE_MODULE(t, module);
  VmRequest request = requestFor(t, module);
  request.guestCommand =
      "/root/mstap-runner /root/protocol_module.ko run_ms=1500 >/tmp/first.out 2>/tmp/first.err & first=$!\n"
      "sleep 0.5\n"
      "/root/mstap-runner /root/protocol_module.ko run_ms=0 >/tmp/second.out 2>/tmp/second.err\n"
      "s=$?; echo '@@ second status'; echo $s\n"
      "wait $first; s=$?; echo '@@ first status'; echo $s\n"
      "/root/mstap-runner -v -R /root/protocol_module.ko run_ms=1500 >/tmp/a.out 2>/tmp/a.err & a=$!\n"
      "/root/mstap-runner -v -R /root/protocol_module.ko run_ms=1500 >/tmp/b.out 2>/tmp/b.err & b=$!\n"
      "sleep 0.7; echo '@@ both loaded'; grep -c '^protocol_[a-z]*_[0-9][0-9]* ' /proc/modules\n"
      "wait $a; s=$?; echo '@@ a status'; echo $s\n"
      "wait $b; s=$?; echo '@@ b status'; echo $s\n" +
      guestReport("second") + guestReport("a") + guestReport("b") + "echo '@@ end'\n";
  VmResult result = runInVm(request);
  ASSERT_TRUE(result.ok()) << describe(result);
  auto s = sections(result.output);
  EXPECT_EQ(s["first status"], "0\n") << describe(result);
  EXPECT_EQ(s["second status"], "1\n") << describe(result);
  EXPECT_NE(s["second stderr"].find("a module named protocol_module is already loaded"), std::string::npos)
      << s["second stderr"];
  EXPECT_EQ(s["both loaded"], "2\n") << describe(result);
  for (const char *run : {"a", "b"}) {
    std::string name = run;
    EXPECT_EQ(s[name + " status"], "0\n") << name << "\n" << describe(result);
    EXPECT_EQ(s[name + " stdout"], kBegin + kLines + kEnd) << name;
    EXPECT_NE(s[name + " stderr"].find("mstap-runner: module protocol_module is loaded as protocol_"),
              std::string::npos)
        << s[name + " stderr"];
  }
  EXPECT_EQ(s["b loaded"], "0\n");
  EXPECT_TRUE(s.count("end")) << describe(result);
  EXPECT_EQ(problemsOf(result.kernelLog), "") << describe(result);
}

// Installed setuid root, the runner loads for the groups: a user in
// neither is refused with their names; a member of mstap-dev loads its own
// module, its -c command runs as itself and its -o file is its own; a
// member of mstap-usr loads an approved module and is refused its own.
TEST(RunnerVm, SetuidRunnerFollowsTheGroups) {
  REQUIRE_MODULE(t, module);
  VmRequest request = requestFor(t, module);
  auto asNobody = [](const std::string &name, const std::string &arguments) {
    return "su -s /bin/sh nobody -c '/sbin/mstap-runner-suid " + arguments + "' >/tmp/" + name + ".out 2>/tmp/" +
           name + ".err\ns=$?; echo '@@ " + name + " status'; echo $s\n" + "echo '@@ " + name +
           " stdout'; cat /tmp/" + name + ".out\necho '@@ " + name + " stderr'; cat /tmp/" + name + ".err\n";
  };
  request.guestCommand =
      "echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd\n"
      "echo 'nogroup:x:65534:' >>/etc/group\n"
      "cp /root/mstap-runner /sbin/mstap-runner-suid && chmod 4755 /sbin/mstap-runner-suid\n"
      "mkdir -p /home/nobody && cp /root/protocol_module.ko /home/nobody/own.ko && chown nobody /home/nobody/own.ko\n"
      "chmod 644 /home/nobody/own.ko; chmod 777 /tmp\n"
      "d=/lib/modules/$(uname -r)/mstap; mkdir -p $d && chmod 755 $d && cp /root/protocol_module.ko $d/approved.ko && "
      "chmod 644 $d/approved.ko\n" +
      asNobody("neither", "/home/nobody/own.ko") +
      "echo 'mstap-dev:x:901:nobody' >>/etc/group\n" +
      asNobody("dev", "-o /tmp/dev.file -c \"id -u\" /home/nobody/own.ko run_ms=0") +
      "echo '@@ dev file'; cat /tmp/dev.file; ls -ln /tmp/dev.file | awk \"{ print \\$3 }\"\n"
      "sed -i 's/^mstap-dev:x:901:nobody$/mstap-dev:x:901:/' /etc/group\n"
      "echo 'mstap-usr:x:902:nobody' >>/etc/group\n" +
      asNobody("usrok", "/lib/modules/$(uname -r)/mstap/approved.ko") + asNobody("usrown", "/home/nobody/own.ko") +
      "echo '@@ end'\n";
  VmResult result = runInVm(request);
  ASSERT_TRUE(result.ok()) << describe(result);
  auto s = sections(result.output);
  EXPECT_EQ(s["neither status"], "1\n") << describe(result);
  EXPECT_NE(s["neither stderr"].find("user 65534 may not load modules: only root and the members of the groups "
                                     "mstap-dev (their own modules) and mstap-usr"),
            std::string::npos)
      << s["neither stderr"];
  EXPECT_EQ(s["dev status"], "0\n") << describe(result);
  EXPECT_NE(s["dev stdout"].find("65534\n"), std::string::npos) << "-c runs as the user: " << s["dev stdout"];
  EXPECT_NE(s["dev file"].find("protocol_module: begin"), std::string::npos) << s["dev file"];
  EXPECT_NE(s["dev file"].find("\n65534\n"), std::string::npos) << "-o is the user's file: " << s["dev file"];
  EXPECT_EQ(s["usrok status"], "0\n") << describe(result);
  EXPECT_EQ(s["usrok stdout"], kBegin + kLines + kEnd);
  EXPECT_EQ(s["usrown status"], "1\n") << describe(result);
  EXPECT_NE(s["usrown stderr"].find("members of mstap-usr may load only modules in /lib/modules/"),
            std::string::npos)
      << s["usrown stderr"];
  EXPECT_TRUE(s.count("end")) << describe(result);
  EXPECT_EQ(problemsOf(result.kernelLog), "") << describe(result);
}

TEST(RunnerVm, TimeLimitAndSignalsStopTheRun) {
  REQUIRE_MODULE(t, module);
  VmRequest request = requestFor(t, module);
  request.guestCommand =
      guestRun("limit", "-T 1 /root/protocol_module.ko run_ms=0") +
      "/root/mstap-runner /root/protocol_module.ko run_ms=0 >/tmp/int.out 2>/tmp/int.err &\n"
      "sleep 1; kill -INT $!; wait $!; status=$?\necho '@@ int status'; echo $status\n" +
      guestReport("int") +
      "/root/mstap-runner /root/protocol_module.ko run_ms=0 >/tmp/term.out 2>/tmp/term.err &\n"
      "sleep 1; kill -TERM $!; wait $!; status=$?\necho '@@ term status'; echo $status\n" +
      guestReport("term") +
      // A reader that goes away: the runner must stop and unload on EPIPE.
      "(/root/mstap-runner /root/protocol_module.ko run_ms=1500 lines=2000 2>/tmp/pipe.err; echo $? >/tmp/pipe.status) "
      "| head -n 1 >/tmp/pipe.out\n"
      "echo '@@ pipe status'; cat /tmp/pipe.status\n" +
      guestReport("pipe") + "echo '@@ end'\n";
  VmResult result = runInVm(request);
  ASSERT_TRUE(result.ok()) << describe(result);
  auto s = sections(result.output);
  for (const char *run : {"limit", "int", "term"}) {
    std::string name = run;
    EXPECT_EQ(s[name + " status"], "0\n") << name << "\n" << describe(result);
    EXPECT_EQ(s[name + " stdout"], kBegin + kLines + kEnd) << name;
    EXPECT_EQ(s[name + " stderr"], kWarning) << name;
    EXPECT_EQ(s[name + " loaded"], "0\n") << name;
  }
  EXPECT_EQ(s["pipe status"], "1\n") << describe(result);
  EXPECT_EQ(s["pipe stdout"], kBegin);
  EXPECT_NE(s["pipe stderr"].find("mstap-runner: cannot write the output: Broken pipe; stopping\n"), std::string::npos)
      << s["pipe stderr"];
  EXPECT_EQ(s["pipe loaded"], "0\n");
  EXPECT_TRUE(s.count("end")) << describe(result);
  EXPECT_EQ(problemsOf(result.kernelLog), "") << describe(result);
}

// A copy of the module whose vermagic has `from` replaced by `to` (same length).
std::string patchedCopy(const BuiltModule &module, const std::string &release, const std::string &from,
                        const std::string &to, const std::string &name) {
  std::string bytes = readFile(module.path);
  size_t at = bytes.find("vermagic=" + release + " ");
  if (at == std::string::npos || from.size() != to.size())
    return "";
  size_t word = bytes.find(from, at);
  if (word == std::string::npos || word > bytes.find('\0', at))
    return "";
  bytes.replace(word, from.size(), to);
  std::string path = module.dir + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(RunnerVm, ExplainsRefusalsInWords) {
  REQUIRE_MODULE(t, module);
  // 6.1.0-56-amd64 -> 6.1.0-46-amd64: another release, the same length.
  std::string otherRelease = t.release;
  size_t digit = otherRelease.find_first_of("0123456789", otherRelease.find('-'));
  ASSERT_NE(digit, std::string::npos) << t.release;
  otherRelease[digit] = otherRelease[digit] == '4' ? '3' : '4';
  std::string other = patchedCopy(module, t.release, t.release, otherRelease, "other.ko");
  ASSERT_FALSE(other.empty()) << "no vermagic=" << t.release << " in " << module.path;
  // A word only the kernel checks: it answers "Invalid module format" (ENOEXEC).
  std::string unloadless = patchedCopy(module, t.release, "mod_unload", "mod_unlaad", "unloadless.ko");
  ASSERT_FALSE(unloadless.empty());
  VmRequest request = requestFor(t, module);
  request.files.push_back({other, "/root/other.ko"});
  request.files.push_back({unloadless, "/root/unloadless.ko"});
  request.guestCommand = guestRun("mismatch", "/root/other.ko") +
                         // The kernel's own answer to the same file: with CONFIG_MODVERSIONS
                         // it skips the release word and trusts the symbol CRCs.
                         "echo '@@ insmod other'; insmod /root/other.ko 2>&1; echo $?\n"
                         "rmmod protocol_module 2>/dev/null\n" +
                         guestRun("enoexec", "/root/unloadless.ko") +
                         "insmod /root/protocol_module.ko\n" +
                         guestRun("exists", "/root/protocol_module.ko") +
                         "echo '@@ still loaded'; grep -c '^protocol_module ' /proc/modules\n"
                         "rmmod protocol_module\n" +
                         guestRun("badparam", "/root/protocol_module.ko lines=notanumber") +
                         "echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd\n"
                         "cp /root/mstap-runner /root/protocol_module.ko /tmp/ && chmod a+rx /tmp/mstap-runner "
                         "/tmp/protocol_module.ko\n"
                         "su -s /bin/sh nobody -c '/tmp/mstap-runner /tmp/protocol_module.ko' >/tmp/nobody.out "
                         "2>/tmp/nobody.err\n"
                         "s=$?; echo '@@ nobody status'; echo $s\n" +
                         guestReport("nobody") +
                         "echo '@@ end'\n";
  VmResult result = runInVm(request);
  ASSERT_TRUE(result.ok()) << describe(result);
  auto s = sections(result.output);
  EXPECT_EQ(s["mismatch status"], "1\n") << describe(result);
  EXPECT_EQ(s["mismatch stderr"], "mstap-runner: cannot load /root/other.ko: module built for " + otherRelease +
                                      ", this kernel is " + t.release + "\n");
  EXPECT_EQ(s["mismatch loaded"], "0\n");
  std::printf("[ vm       ] insmod of a module whose vermagic names %s: %s", otherRelease.c_str(),
              s["insmod other"].c_str());

  EXPECT_EQ(s["enoexec status"], "1\n") << describe(result);
  EXPECT_EQ(s["enoexec stderr"], "mstap-runner: cannot load /root/unloadless.ko: the kernel says the module's format "
                                 "is invalid: it was built for another kernel version or configuration, or the file "
                                 "is damaged; dmesg tells more\n");
  EXPECT_EQ(s["enoexec loaded"], "0\n");

  EXPECT_EQ(s["exists status"], "1\n") << describe(result);
  EXPECT_EQ(s["exists stderr"],
            "mstap-runner: cannot load /root/protocol_module.ko: a module named protocol_module is already loaded (a "
            "run still going, or one left behind); unload it with: rmmod protocol_module\n");
  EXPECT_EQ(s["still loaded"], "1\n"); // the runner leaves alone what it did not load

  EXPECT_EQ(s["badparam status"], "1\n") << describe(result);
  EXPECT_NE(s["badparam stderr"].find("cannot load /root/protocol_module.ko: "), std::string::npos)
      << s["badparam stderr"];
  EXPECT_EQ(s["badparam loaded"], "0\n");
  EXPECT_EQ(s["nobody status"], "1\n") << describe(result);
  EXPECT_EQ(s["nobody stderr"], "mstap-runner: cannot load /tmp/protocol_module.ko: loading a kernel module needs root "
                                "(or the CAP_SYS_MODULE capability); run mstap-runner as root\n");
  EXPECT_EQ(s["nobody loaded"], "0\n");
  EXPECT_TRUE(s.count("end")) << describe(result);
  // The kernel's refusals are its own messages, not problems.
  EXPECT_EQ(problemsOf(result.kernelLog), "") << describe(result);
}

// Kernels that take only signed modules: locked down, or enforcing signatures.
TEST(RunnerVm, ExplainsLockdownAndSignatureEnforcement) {
  REQUIRE_MODULE(t, module);
  struct Case {
    const char *kernelArguments, *expected;
  } cases[] = {
      {"lockdown=integrity",
       "mstap-runner: cannot load /root/protocol_module.ko: the kernel is locked down (integrity mode, see "
       "/sys/kernel/security/lockdown; usually from Secure Boot): it loads only modules signed with a key it trusts, "
       "and protocol_module is not\n"},
      {"module.sig_enforce=1",
       "mstap-runner: cannot load /root/protocol_module.ko: the kernel accepts only signed modules (module signature "
       "enforcement), and protocol_module is unsigned or signed with a key the kernel does not trust (Key was "
       "rejected by service); sign it with scripts/sign-file or boot with module.sig_enforce=0\n"},
  };
  for (const Case &c : cases) {
    VmRequest request = requestFor(t, module);
    request.kernelArguments = c.kernelArguments;
    request.guestCommand = "mount -t securityfs securityfs /sys/kernel/security\n"
                           "echo '@@ lockdown'; cat /sys/kernel/security/lockdown\n" +
                           guestRun("run", "/root/protocol_module.ko") + "echo '@@ end'\n";
    VmResult result = runInVm(request);
    ASSERT_TRUE(result.ok()) << describe(result);
    auto s = sections(result.output);
    EXPECT_EQ(s["run status"], "1\n") << c.kernelArguments << "\n" << describe(result);
    EXPECT_EQ(s["run stderr"], c.expected) << c.kernelArguments << "; lockdown: " << s["lockdown"];
    EXPECT_EQ(s["run loaded"], "0\n");
    EXPECT_TRUE(s.count("end")) << describe(result);
  }
}

// ------------------------------------------------------------ runModuleInVm

// The guest command's check that the module is gone after the run.
#define kStillLoaded(name)                                                                                  \
  "if grep -q '^" name " ' /proc/modules; then echo 'mstap: error: the module " name                         \
  " is still loaded after the run' >&2; status=1; fi\n"

TEST(RunnerVm, GuestCommandQuotesEverything) {
  ModuleVmRun run;
  run.verbose = true;
  run.timeLimitSeconds = 2.5;
  run.command = "echo 'it' $HOME";
  run.outputFile = "/host/out.txt";
  run.moduleParameters = {"a=1", "b=x y"};
  EXPECT_EQ(moduleVmGuestCommand(run, "/root/mstap-runner", "/root/m.ko", "MARK"),
            "'/root/mstap-runner' -v -T 2.5 -o /tmp/mstap-runner.out -c 'echo '\\''it'\\'' $HOME' "
            "'/root/m.ko' 'a=1' 'b=x y'\nstatus=$?\n" kStillLoaded("m") "echo MARK-out\ncat /tmp/mstap-runner.out\nexit $status\n");
  // Standard error kept apart: into a file, shown after its own marker, first.
  run.onErrorOutput = [](std::string_view) {};
  EXPECT_EQ(moduleVmGuestCommand(run, "/root/mstap-runner", "/root/m.ko", "MARK"),
            "'/root/mstap-runner' -v -T 2.5 -o /tmp/mstap-runner.out -c 'echo '\\''it'\\'' $HOME' "
            "'/root/m.ko' 'a=1' 'b=x y' 2>/tmp/mstap-runner.err\nstatus=$?\n" kStillLoaded("m") "echo MARK-err\ncat /tmp/mstap-runner.err\n"
            "echo MARK-out\ncat /tmp/mstap-runner.out\nexit $status\n");
  run.onErrorOutput = nullptr;
  run.outputFile.clear();
  run.command.clear();
  run.verbose = false;
  run.timeLimitSeconds = 0;
  run.moduleParameters.clear();
  EXPECT_EQ(moduleVmGuestCommand(run, "/r", "/m.ko", "MARK"), "'/r' '/m.ko'\nstatus=$?\n" kStillLoaded("m") "exit $status\n");
}

TEST(RunnerVm, RunModuleInVmStreamsTheOutputAndReturnsTheStatus) {
  REQUIRE_MODULE(t, module);
  ModuleVmRun run;
  run.modulePath = module.path;
  run.runnerPath = MSTAP_RUNNER_BINARY;
  run.release = t.release;
  run.sysroot = t.sysroot;
  run.useKvm = useKvm();
  run.moduleParameters = {"errors=1", "lines=2"};
  std::string streamed;
  std::vector<std::string> errors;
  run.onOutput = [&](std::string_view chunk) { streamed += chunk; };
  run.onError = [&](const std::string &message) { errors.push_back(message); };
  ModuleVmOutcome outcome = runModuleInVmWithOutcome(run);
  EXPECT_TRUE(outcome.runnerFinished);
  EXPECT_EQ(outcome.exitStatus, 1); // errors=1
  EXPECT_TRUE(errors.empty()) << errors.front();
  // One terminal: both streams in the order the records came.
  EXPECT_EQ(streamed, kBegin + "line 1\nline 2\n" + kWarning + kEnd + "WARNING: Number of errors: 1, skipped probes: 0\n")
      << outcome.guestCommand;
  EXPECT_EQ(outcome.output, streamed);
  EXPECT_EQ(problemsOf(outcome.kernelLog), "");
}

TEST(RunnerVm, RunModuleInVmWritesTheOutputFileOnTheHost) {
  REQUIRE_MODULE(t, module);
  ModuleVmRun run;
  run.modulePath = module.path;
  run.runnerPath = MSTAP_RUNNER_BINARY;
  run.release = t.release;
  run.sysroot = t.sysroot;
  run.useKvm = useKvm();
  run.timeLimitSeconds = 1;
  run.moduleParameters = {"run_ms=0"};
  run.outputFile = module.dir + "/host-output.txt";
  run.hostFiles = {MSTAP_RUNNER_BINARY}; // any static file: it must arrive at the same path
  // -T ends the run before the command ends; the command is ended with it.
  run.command = "test -x " + std::string(MSTAP_RUNNER_BINARY) + " && echo host-file-there; sleep 5";
  std::string streamed;
  std::vector<std::string> errors;
  run.onOutput = [&](std::string_view chunk) { streamed += chunk; };
  run.onError = [&](const std::string &message) { errors.push_back(message); };
  int status = runModuleInVm(run);
  EXPECT_EQ(status, 0) << streamed;
  EXPECT_TRUE(errors.empty()) << errors.front();
  // The command's own output goes to the terminal; the script's stdout to the file.
  // (the command and the runner write at the same time: either order)
  EXPECT_TRUE(streamed == "host-file-there\n" + kWarning || streamed == kWarning + "host-file-there\n") << streamed;
  std::string file = readFile(run.outputFile);
  EXPECT_EQ(file.substr(0, std::string("protocol_module: begin target=").size()), "protocol_module: begin target=");
  EXPECT_NE(file.find(kLines + kEnd), std::string::npos) << file;
}

TEST(RunnerVm, RunModuleInVmNamesFetchKernelWhenTheKernelIsMissing) {
  // Needs no VM, but is here with the others that use runModuleInVm.
  ModuleVmRun run;
  run.modulePath = "/nonexistent.ko";
  run.runnerPath = MSTAP_RUNNER_BINARY;
  run.release = "6.1.0-1-amd64";
  run.sysroot = "/nonexistent/sysroot";
  std::vector<std::string> errors;
  run.onError = [&](const std::string &message) { errors.push_back(message); };
  EXPECT_EQ(runModuleInVm(run), 1);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("tools/fetch-kernel 6.1.0-1-amd64"), std::string::npos) << errors[0];
}

} // namespace
} // namespace mstap::run
