// mstap_run without a virtual machine: the initramfs pieces, the kernel log
// scan, and the errors runInVm returns before (or instead of) a real boot.
// The boots themselves are in tests/vm.
#include "run/vm.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace mstap::run {
namespace {

namespace fs = std::filesystem;

struct CpioEntry {
  std::string name;
  unsigned mode = 0;
  unsigned nlink = 0;
  unsigned rdevMajor = 0, rdevMinor = 0;
  std::string data;
};

unsigned hexField(const std::string &archive, size_t at) { return std::stoul(archive.substr(at, 8), nullptr, 16); }

// Reads a newc archive back as the kernel's unpacker would.
std::vector<CpioEntry> readCpio(const std::string &archive) {
  std::vector<CpioEntry> entries;
  size_t at = 0;
  while (at + 110 <= archive.size()) {
    EXPECT_EQ(archive.substr(at, 6), "070701");
    EXPECT_EQ(at % 4, 0u);
    CpioEntry entry;
    entry.mode = hexField(archive, at + 6 + 8);
    entry.nlink = hexField(archive, at + 6 + 4 * 8);
    unsigned size = hexField(archive, at + 6 + 6 * 8);
    entry.rdevMajor = hexField(archive, at + 6 + 9 * 8);
    entry.rdevMinor = hexField(archive, at + 6 + 10 * 8);
    unsigned nameSize = hexField(archive, at + 6 + 11 * 8);
    entry.name = archive.substr(at + 110, nameSize - 1);
    EXPECT_EQ(archive[at + 110 + nameSize - 1], '\0');
    at = (at + 110 + nameSize + 3) & ~size_t(3);
    entry.data = archive.substr(at, size);
    at = (at + size + 3) & ~size_t(3);
    if (entry.name == "TRAILER!!!")
      break;
    entries.push_back(entry);
  }
  EXPECT_EQ(at, archive.size());
  return entries;
}

TEST(Cpio, ParentsFirstAndEntriesAsAdded) {
  CpioArchive archive;
  archive.addFile("/usr/lib/x/data.txt", "hello", 0640);
  archive.addSymlink("bin/sh", "/bin/busybox");
  archive.addCharDevice("/dev/console", 5, 1);
  archive.addDirectory("/tmp", 01777);
  archive.addFile("//usr/./lib/x/data.txt", "replaced", 0600); // the same path
  std::vector<CpioEntry> entries = readCpio(archive.serialize());
  std::vector<std::string> names;
  for (const auto &entry : entries)
    names.push_back(entry.name);
  EXPECT_EQ(names, (std::vector<std::string>{"bin", "bin/sh", "dev", "dev/console", "tmp", "usr", "usr/lib",
                                             "usr/lib/x", "usr/lib/x/data.txt"}));
  EXPECT_EQ(entries[0].mode, unsigned(S_IFDIR | 0755));
  EXPECT_EQ(entries[0].nlink, 2u);
  EXPECT_EQ(entries[1].mode, unsigned(S_IFLNK | 0777));
  EXPECT_EQ(entries[1].data, "/bin/busybox");
  EXPECT_EQ(entries[3].mode, unsigned(S_IFCHR | 0600));
  EXPECT_EQ(entries[3].rdevMajor, 5u);
  EXPECT_EQ(entries[3].rdevMinor, 1u);
  EXPECT_EQ(entries[4].mode, unsigned(S_IFDIR | 01777));
  EXPECT_EQ(entries[8].mode, unsigned(S_IFREG | 0600));
  EXPECT_EQ(entries[8].data, "replaced");
  EXPECT_TRUE(archive.contains("/usr/lib/x/data.txt"));
  EXPECT_FALSE(archive.contains("/usr/lib/y"));
}

TEST(Cpio, GzipRoundTrip) {
  std::string data;
  for (int i = 0; i < 10000; ++i)
    data += "line " + std::to_string(i) + "\n";
  std::string compressed = gzipCompress(data);
  ASSERT_FALSE(compressed.empty());
  EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(compressed[1]), 0x8b);
  std::string back(data.size(), '\0');
  z_stream stream{};
  ASSERT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  stream.next_in = reinterpret_cast<Bytef *>(compressed.data());
  stream.avail_in = static_cast<uInt>(compressed.size());
  stream.next_out = reinterpret_cast<Bytef *>(back.data());
  stream.avail_out = static_cast<uInt>(back.size());
  EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  inflateEnd(&stream);
  EXPECT_EQ(back, data);
}

TEST(KernelLog, FindsReportsAndIgnoresTheUsualNoise) {
  std::string log = R"([    0.000000] Linux version 6.1.0-26-amd64 (debian-kernel@lists.debian.org)
[    0.120000] Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on
[    1.000000] kprobe_hello: loading out-of-tree module taints kernel.
[    1.000001] kprobe_hello: module verification failed: signature and/or required key missing - tainting kernel
[    1.500000] BUG: kernel NULL pointer dereference, address: 0000000000000000
[    1.500001] #PF: supervisor write access in kernel mode
[    1.500002] Oops: 0002 [#1] PREEMPT SMP NOPTI
[    2.000000] ------------[ cut here ]------------
[    2.000001] WARNING: CPU: 0 PID: 42 at kernel/kprobes.c:1234 register_kprobe+0x1/0x2
[    3.000000] WARNING: possible circular locking dependency detected
[    4.000000] BUG: KASAN: slab-out-of-bounds in foo+0x1/0x2
[    5.000000] general protection fault, probably for non-canonical address 0xdead: 0000 [#2] PREEMPT SMP NOPTI
[    6.000000] invalid opcode: 0000 [#3] PREEMPT SMP NOPTI
[    6.500000] kernel BUG at mm/slub.c:123!
[    7.000000] UBSAN: shift-out-of-bounds in lib/x.c:1:2
[    8.000000] INFO: task insmod:77 blocked for more than 120 seconds.
[    9.000000] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
[   10.000000] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [sh:1]
[   11.000000] Kernel panic - not syncing: Fatal exception
<4>[   12.000000] WARNING: CPU: 1 PID: 3 at x.c:1 f+0x0/0x1
)";
  std::vector<KernelProblem> problems = findKernelProblems(log);
  std::vector<std::string> kinds;
  for (const auto &problem : problems)
    kinds.push_back(problem.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"BUG", "Oops", "WARNING", "lockdep", "KASAN", "general protection fault",
                                             "Oops", "BUG", "UBSAN", "hung task", "RCU stall", "soft lockup", "panic",
                                             "WARNING"}));
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].line, "BUG: kernel NULL pointer dereference, address: 0000000000000000");
  EXPECT_TRUE(findKernelProblems("[    0.1] all is well\nno BUG here\n").empty());
  EXPECT_TRUE(findKernelProblems("").empty());
}

// A folder of the test's own, removed at the end.
class Scratch {
public:
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "mstap-run-test.XXXXXX").string();
    EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string write(const std::string &name, const std::string &content, unsigned mode = 0644) {
    std::string path = path_ + "/" + name;
    std::ofstream(path) << content;
    ::chmod(path.c_str(), mode);
    return path;
  }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

TEST(RunInVm, MissingKernelImageNamesFetchKernel) {
  Scratch scratch;
  VmRequest request;
  request.release = "6.1.0-99-amd64";
  request.sysroot = scratch.path();
  VmResult result = runInVm(request);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("no kernel image " + scratch.path() + "/boot/vmlinuz-6.1.0-99-amd64"), std::string::npos)
      << result.error;
  EXPECT_NE(result.error.find("tools/fetch-kernel 6.1.0-99-amd64"), std::string::npos) << result.error;
}

TEST(RunInVm, MissingQemuAndBadBusybox) {
  Scratch scratch;
  VmRequest request;
  request.kernelImage = scratch.write("vmlinuz", "not really a kernel");
  request.qemu = scratch.path() + "/no-such-qemu";
  EXPECT_NE(runInVm(request).error.find("cannot run qemu"), std::string::npos);

  request.qemu = "/bin/true";
  request.busybox = scratch.path() + "/no-busybox";
  EXPECT_NE(runInVm(request).error.find("no busybox at"), std::string::npos);
  request.busybox = "/bin/ls"; // dynamically linked on Debian
  EXPECT_NE(runInVm(request).error.find("linked dynamically"), std::string::npos) << runInVm(request).error;
}

bool haveStaticBusybox() {
  for (const char *path : {"/bin/busybox", "/usr/bin/busybox"}) {
    StaticCheck check = checkStaticExecutable(path);
    if (check.error.empty() && check.isStatic)
      return true;
  }
  return false;
}

TEST(RunInVm, RefusesBadFiles) {
  if (!haveStaticBusybox())
    GTEST_SKIP() << "no static busybox (Debian's busybox-static)";
  Scratch scratch;
  VmRequest request;
  request.kernelImage = scratch.write("vmlinuz", "x");
  request.qemu = "/bin/true";
  request.files = {{scratch.path() + "/missing.ko", "/root/missing.ko"}};
  EXPECT_NE(runInVm(request).error.find("not a readable file"), std::string::npos);
  request.files = {{request.kernelImage, "root/relative"}};
  EXPECT_NE(runInVm(request).error.find("not absolute"), std::string::npos);
  request.files = {{request.kernelImage, "/root/../init"}};
  EXPECT_NE(runInVm(request).error.find("'..'"), std::string::npos);
  request.files = {{request.kernelImage, "/init"}};
  EXPECT_NE(runInVm(request).error.find("mstap's own"), std::string::npos);
}

TEST(RunInVm, QemuThatFailsIsReportedWithItsMessage) {
  if (!haveStaticBusybox())
    GTEST_SKIP() << "no static busybox (Debian's busybox-static)";
  Scratch scratch;
  VmRequest request;
  request.kernelImage = scratch.write("vmlinuz", "x");
  request.qemu = scratch.write("fake-qemu", "#!/bin/sh\necho 'qemu: no such machine' >&2\nexit 1\n", 0755);
  VmResult result = runInVm(request);
  EXPECT_NE(result.error.find("qemu failed (exit status 1); qemu said: qemu: no such machine"), std::string::npos)
      << result.error;
  EXPECT_EQ(result.exitStatus, -1);
}

TEST(RunInVm, TimeoutKillsQemuAndCleansUp) {
  if (!haveStaticBusybox())
    GTEST_SKIP() << "no static busybox (Debian's busybox-static)";
  Scratch scratch;
  Scratch temporary; // TMPDIR for the run: must be empty again afterwards
  std::string pidFile = scratch.path() + "/pid";
  VmRequest request;
  request.kernelImage = scratch.write("vmlinuz", "x");
  request.qemu = scratch.write("fake-qemu", "#!/bin/sh\necho $$ > " + pidFile + "\nexec sleep 60\n", 0755);
  request.timeoutSeconds = 1;
  const char *oldTmp = std::getenv("TMPDIR");
  std::string saved = oldTmp ? oldTmp : "";
  ::setenv("TMPDIR", temporary.path().c_str(), 1);
  VmResult result = runInVm(request);
  if (oldTmp)
    ::setenv("TMPDIR", saved.c_str(), 1);
  else
    ::unsetenv("TMPDIR");
  EXPECT_TRUE(result.timedOut);
  EXPECT_NE(result.error.find("did not finish within 1 s"), std::string::npos) << result.error;
  EXPECT_GE(result.totalSeconds, 0.9);
  EXPECT_LT(result.totalSeconds, 10.0);
  EXPECT_TRUE(fs::is_empty(temporary.path())) << "runInVm left its temporary folder behind";
  std::ifstream in(pidFile);
  pid_t pid = 0;
  in >> pid;
  ASSERT_GT(pid, 0);
  EXPECT_NE(::kill(pid, 0), 0) << "the fake qemu " << pid << " still runs";
}

} // namespace
} // namespace mstap::run
