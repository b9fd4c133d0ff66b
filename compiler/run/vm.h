// Runs a shell command inside a throw-away virtual machine that boots a
// given kernel, so that modules built for a kernel the host does not run (or
// that the host may not load) can be loaded, exercised and unloaded.
//
// The machine is qemu-system-x86_64 (software emulation by default, KVM on
// request) booting SYSROOT/boot/vmlinuz-RELEASE with an initramfs made for the
// run: busybox-static and its applet links, an /init written here, the
// requested files, and the requested modules of the kernel's own tree. There
// is no disk and no network. Two serial ports carry everything back:
//
//   ttyS0  the kernel's console; /init's marker lines, each led by a random
//          token of the run; after the command, the whole dmesg
//   ttyS1  the command's standard output and error, byte for byte (raw tty)
//
// so the command's output never mixes with kernel messages. /init then
// powers the machine off. Errors (no qemu, no busybox, no kernel image, a
// guest that died or hung) come back as messages in VmResult::error, never as
// exceptions; qemu, its pipes and the temporary folder are always cleaned up.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mstap::run {

// A host file placed into the guest's initramfs, keeping its permission bits.
struct FileToCopy {
  std::string hostPath;
  std::string guestPath; // absolute, e.g. "/root/probe.ko"
};

struct VmRequest {
  std::string release;     // e.g. "6.1.0-26-amd64"
  std::string sysroot;     // where tools/fetch-kernel unpacked that release
  std::string kernelImage; // empty: SYSROOT/boot/vmlinuz-RELEASE
  std::vector<FileToCopy> files;
  // Modules of SYSROOT/lib/modules/RELEASE loaded, after what they depend
  // on, before the command runs; named as modprobe names them ("9p",
  // "virtio_net"). Built-in ones are skipped.
  std::vector<std::string> kernelModules;
  std::string guestCommand; // run by busybox sh in the guest, from /
  int timeoutSeconds = 60;  // from qemu's start to its end, then qemu is killed; 0: none
  bool useKvm = false;      // software emulation (tcg) unless asked
  int memoryMegabytes = 512;
  int cpus = 1;
  std::string cpuModel; // qemu's -cpu; empty: qemu's default with tcg, "host" with kvm
  std::string kernelArguments; // appended to the kernel command line
  std::vector<std::string> qemuArguments; // appended to qemu's (benchmarks: -icount)
  // Boot the vmlinux inside the image through its PVH entry instead of the
  // compressed image: under tcg this halves the boot (the guest no longer
  // unpacks an xz kernel). The vmlinux is kept in CACHE/vm/ between runs.
  bool bootUncompressed = true;
  std::string cacheDirectory; // empty: $XDG_CACHE_HOME/mstap or ~/.cache/mstap
  std::string qemu;            // empty: qemu-system-x86_64 from PATH
  std::string busybox;         // empty: a static busybox from PATH or /bin
  // Called with the command's output as it arrives, and with the console's.
  std::function<void(std::string_view)> onOutput;
  std::function<void(std::string_view)> onConsole;
};

struct VmResult {
  int exitStatus = -1;   // the command's; -1 when it did not finish
  std::string output;    // what the command wrote to stdout and stderr
  std::string kernelLog; // dmesg after the command; else what the console showed
  std::string console;   // the console up to the dmesg dump ('\r' removed)
  std::string qemuMessages; // what qemu itself printed
  std::string bootedImage;  // the kernel image or the vmlinux qemu booted
  bool timedOut = false;
  std::string error;     // empty when the command ran to its end
  double bootSeconds = 0;  // qemu's start to the command's start
  double totalSeconds = 0; // qemu's start to its end
  bool ok() const { return error.empty(); }
};

VmResult runInVm(const VmRequest &request);

// One report of trouble in a kernel log: a BUG, an Oops, a WARNING, a
// lockdep or KASAN report, a panic...
struct KernelProblem {
  std::string kind; // "BUG", "Oops", "WARNING", "lockdep", "KASAN", "KFENCE", "UBSAN",
                    // "general protection fault", "panic", "hung task", "RCU stall", "soft lockup"
  std::string line; // the line that starts the report, without its timestamp
};
std::vector<KernelProblem> findKernelProblems(std::string_view kernelLog);

// ------------------------------------------------------------ the pieces
// Exposed for the unit tests and for callers that build their own images.

// Whether the vmlinux ELF file `elf` has a PVH entry point (a Xen note of
// type XEN_ELFNOTE_PHYS32_ENTRY), so that qemu can boot it directly.
bool hasPvhEntry(std::string_view elf);

// A newc ("070701") cpio archive as the kernel unpacks an initramfs.
// Parent folders are added as needed; a later entry replaces an earlier one
// at the same path.
class CpioArchive {
public:
  void addDirectory(std::string path, unsigned mode = 0755);
  void addFile(std::string path, std::string data, unsigned mode = 0644);
  void addSymlink(std::string path, std::string target);
  void addCharDevice(std::string path, unsigned major, unsigned minor, unsigned mode = 0600);
  bool contains(const std::string &path) const;
  std::string serialize() const; // the archive, uncompressed

private:
  struct Entry {
    unsigned mode = 0; // type and permission bits
    std::string data;  // file content or symlink target
    unsigned rdevMajor = 0, rdevMinor = 0;
  };
  void addParents(const std::string &path);
  std::vector<std::pair<std::string, Entry>> entries_; // sorted by path
  Entry &slot(const std::string &path);
};

// `data` as a gzip stream (what CONFIG_RD_GZIP unpacks); empty on failure.
std::string gzipCompress(std::string_view data, int level = 6);

// The applets busybox at `path` provides, as "bin/sh"-style paths (from
// `busybox --list-full`); an error message instead when it cannot say.
struct BusyboxApplets {
  std::vector<std::string> paths;
  std::string error;
};
BusyboxApplets listBusyboxApplets(const std::string &busybox);

// Whether the ELF executable at `path` needs no dynamic loader; an error
// message when it is not a readable ELF file.
struct StaticCheck {
  bool isStatic = false;
  std::string error;
};
StaticCheck checkStaticExecutable(const std::string &path);

// The modules to load for `names`, dependencies first, as paths relative to
// SYSROOT/lib/modules/RELEASE; names built into the kernel are left out.
struct ModulePlan {
  std::vector<std::string> relativePaths;
  std::string error;
};
ModulePlan planKernelModules(const std::string &modulesDirectory, const std::vector<std::string> &names);

} // namespace mstap::run
