// What building a module for the target kernel needs, checked before pass 4
// calls kbuild, each failure with the exact fix for the distribution: the
// set-up problems stap users hit most, found here in plain words rather than
// in a compiler's or the kernel's error messages.
#pragma once

#include "kernel/target.h"

#include <string>
#include <vector>

namespace mstap::kernel {

struct EnvironmentCheck {
  std::string what;   // "build tree", ".config", ...
  bool ok = false;
  std::string detail; // what was found, or what is wrong
  std::string fix;    // for a failure: the command or step that mends it
};

struct BuildEnvironment {
  std::string buildDir; // the kernel build tree kbuild will use, when found
  std::string compiler; // the compiler the tree was built with, when found
  std::vector<EnvironmentCheck> checks;
  bool ok() const;
};

// Where the build tree may be, in the order tried: the one named, else the
// target's, else (for a sysroot that holds only the image) the host's
// /lib/modules/RELEASE/build and /usr/src/linux-headers-RELEASE.
std::vector<std::string> buildTreeCandidates(const KernelTarget &target);

// Checks, in order: the build tree (SYSROOT/lib/modules/RELEASE/build, else
// for a sysroot the host's /lib/modules/RELEASE/build and
// /usr/src/linux-headers-RELEASE), that it is no dangling link, that .config,
// Module.symvers and include/generated/utsrelease.h are there, that the
// tree's release is the target's exactly, and that the compiler kbuild will
// call exists. `osRelease` is the text of /etc/os-release (it picks the fix).
BuildEnvironment checkBuildEnvironment(const KernelTarget &target, const std::string &osRelease);

// The value of `#define UTS_RELEASE "..."` in a build tree's
// include/generated/utsrelease.h ("" when unreadable): the release modules
// built there carry in their vermagic.
std::string utsRelease(const std::string &header);

// The command that installs a kernel's headers on this distribution.
std::string headersInstallCommand(const std::string &osRelease, const std::string &release);

} // namespace mstap::kernel
