// The kernel a script is translated for, as stap's `-r RELEASE|BUILD_DIR`
// and `--sysroot DIR` name it, and where that kernel's files are.
#pragma once

#include "kernel/or_error.h"

#include <string>
#include <vector>

namespace mstap::kernel {

struct KernelTarget {
  std::string release;     // e.g. "6.1.0-26-amd64"
  std::string sysroot = "/";
  std::string buildDir;    // -r BUILD_DIR, else SYSROOT/lib/modules/RELEASE/build
  std::string modulesDir;  // SYSROOT/lib/modules/RELEASE
  // The kernel image holding the BTF: SYSROOT/boot/vmlinuz-RELEASE, or for
  // a build tree its vmlinux.
  std::string kernelImage;
  // Where a System.map may be, in the order they are tried.
  std::vector<std::string> systemMaps;

  // Whether this is the kernel the machine runs (no sysroot, release equal
  // to uname -r); only then do the /proc and /sys files below describe it.
  bool running = false;
  std::string kallsymsPath;         // /proc/kallsyms
  std::string runningBtfPath;       // /sys/kernel/btf/vmlinux
  std::string kprobesBlacklistPath; // /sys/kernel/debug/kprobes/blacklist
};

// The release of the running kernel (uname -r).
std::string runningKernelRelease();

// Resolves `-r` as stap does: a value containing '/' is a kernel build tree,
// whose release is read from include/config/kernel.release; anything else is
// a release name; empty means the running kernel's release. `sysroot` empty
// means "/".
OrError<KernelTarget> resolveKernelTarget(const std::string &releaseOrBuildDir, const std::string &sysroot = "/");

} // namespace mstap::kernel
