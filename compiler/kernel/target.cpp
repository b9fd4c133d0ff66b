#include "kernel/target.h"

#include "kernel/files.h"
#include "kernel/environment.h"

#include <filesystem>
#include <sys/utsname.h>

namespace mstap::kernel {

std::string runningKernelRelease() {
  struct utsname names {};
  if (::uname(&names) != 0)
    return "";
  return names.release;
}

OrError<KernelTarget> resolveKernelTarget(const std::string &releaseOrBuildDir, const std::string &sysroot) {
  using Result = OrError<KernelTarget>;
  KernelTarget target;
  target.sysroot = sysroot.empty() ? "/" : sysroot;
  if (!isDirectory(target.sysroot))
    return Result::failure("sysroot " + target.sysroot + " is not a directory");
  std::error_code ec;
  const bool noSysroot = std::filesystem::weakly_canonical(target.sysroot, ec) == "/" && !ec;
  if (noSysroot)
    target.sysroot = "/";

  if (releaseOrBuildDir.find('/') != std::string::npos) {
    std::filesystem::path buildDir = std::filesystem::absolute(releaseOrBuildDir, ec);
    if (ec || !isDirectory(buildDir.string()))
      return Result::failure("kernel build tree " + releaseOrBuildDir + " is not a directory");
    target.buildDir = buildDir.lexically_normal().string();
    while (target.buildDir.size() > 1 && target.buildDir.back() == '/')
      target.buildDir.pop_back();
    // utsrelease.h first: it is what the modules' vermagic says. Debian's
    // header trees keep the upstream version in kernel.release ("6.1.192"
    // for 6.1.0-56-amd64); a tree from `make` has both the same.
    target.release = utsRelease(target.buildDir + "/include/generated/utsrelease.h");
    std::string releaseFile = target.buildDir + "/include/config/kernel.release";
    if (target.release.empty()) {
      OrError<std::string> release = readWholeFile(releaseFile);
      if (!release.ok())
        return Result::failure("cannot tell the release of kernel build tree " + target.buildDir + ": " +
                               release.error() + " (has the kernel been built there?)");
      target.release = *release;
    }
    while (!target.release.empty() && (target.release.back() == '\n' || target.release.back() == ' '))
      target.release.pop_back();
    if (target.release.empty())
      return Result::failure(releaseFile + " is empty");
    // A build tree's vmlinux is an uncompressed ELF file, BTF included.
    target.kernelImage = target.buildDir + "/vmlinux";
    if (!isReadableFile(target.kernelImage) && isReadableFile(target.buildDir + "/arch/x86/boot/bzImage"))
      target.kernelImage = target.buildDir + "/arch/x86/boot/bzImage";
    target.systemMaps = {target.buildDir + "/System.map"};
    target.modulesDir = underSysroot(target.sysroot, "/lib/modules/" + target.release);
  } else {
    target.release = releaseOrBuildDir.empty() ? runningKernelRelease() : releaseOrBuildDir;
    if (target.release.empty() || target.release[0] == '.')
      return Result::failure("'" + target.release + "' is not a kernel release");
    target.modulesDir = underSysroot(target.sysroot, "/lib/modules/" + target.release);
    target.buildDir = target.modulesDir + "/build";
    target.kernelImage = underSysroot(target.sysroot, "/boot/vmlinuz-" + target.release);
    target.systemMaps = {underSysroot(target.sysroot, "/boot/System.map-" + target.release),
                         target.buildDir + "/System.map"};
  }

  target.running = noSysroot && target.release == runningKernelRelease();
  if (target.running) {
    target.kallsymsPath = "/proc/kallsyms";
    target.runningBtfPath = "/sys/kernel/btf/vmlinux";
    target.kprobesBlacklistPath = "/sys/kernel/debug/kprobes/blacklist";
  }
  return target;
}

} // namespace mstap::kernel
