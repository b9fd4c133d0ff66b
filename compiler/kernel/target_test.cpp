#include "kernel/target.h"
#include "kernel/test_support.h"

#include <gtest/gtest.h>

namespace mstap::kernel {
namespace {

using testing::TempDir;

TEST(KernelTarget, ReleaseUnderASysroot) {
  TempDir sysroot;
  OrError<KernelTarget> target = resolveKernelTarget("6.1.0-26-amd64", sysroot.path());
  ASSERT_TRUE(target.ok()) << target.error();
  const std::string &root = sysroot.path();
  EXPECT_EQ(target->release, "6.1.0-26-amd64");
  EXPECT_EQ(target->kernelImage, root + "/boot/vmlinuz-6.1.0-26-amd64");
  ASSERT_FALSE(target->systemMaps.empty());
  EXPECT_EQ(target->systemMaps[0], root + "/boot/System.map-6.1.0-26-amd64");
  EXPECT_EQ(target->modulesDir, root + "/lib/modules/6.1.0-26-amd64");
  EXPECT_EQ(target->buildDir, root + "/lib/modules/6.1.0-26-amd64/build");
  EXPECT_FALSE(target->running);
  EXPECT_TRUE(target->kallsymsPath.empty());
}

TEST(KernelTarget, DefaultsToTheRunningKernel) {
  OrError<KernelTarget> target = resolveKernelTarget("", "");
  ASSERT_TRUE(target.ok()) << target.error();
  EXPECT_EQ(target->release, runningKernelRelease());
  EXPECT_EQ(target->sysroot, "/");
  EXPECT_TRUE(target->running);
  EXPECT_EQ(target->kernelImage, "/boot/vmlinuz-" + target->release);
  EXPECT_EQ(target->kallsymsPath, "/proc/kallsyms");
  EXPECT_EQ(target->runningBtfPath, "/sys/kernel/btf/vmlinux");
}

TEST(KernelTarget, AnotherReleaseIsNotTheRunningOne) {
  OrError<KernelTarget> target = resolveKernelTarget("0.0.0-not-this-one", "/");
  ASSERT_TRUE(target.ok()) << target.error();
  EXPECT_FALSE(target->running);
}

TEST(KernelTarget, BuildTreeGivesItsReleaseAndFiles) {
  TempDir build;
  build.write("include/config/kernel.release", "6.9.0-custom\n");
  build.write("vmlinux", "\x7F" "ELF");
  OrError<KernelTarget> target = resolveKernelTarget(build.path() + "/", "/");
  ASSERT_TRUE(target.ok()) << target.error();
  EXPECT_EQ(target->release, "6.9.0-custom");
  EXPECT_EQ(target->buildDir, build.path());
  EXPECT_EQ(target->kernelImage, build.path() + "/vmlinux");
  EXPECT_EQ(target->systemMaps.at(0), build.path() + "/System.map");
  EXPECT_EQ(target->modulesDir, "/lib/modules/6.9.0-custom");
}

// Debian's header trees: kernel.release holds the upstream version, the
// release modules must match (uname -r, vermagic) is in utsrelease.h.
TEST(KernelTarget, BuildTreeReleaseComesFromUtsRelease) {
  TempDir build;
  build.write("include/config/kernel.release", "6.1.192-rt64\n");
  build.write("include/generated/utsrelease.h", "#define UTS_RELEASE \"6.1.0-56-rt-amd64\"\n");
  OrError<KernelTarget> target = resolveKernelTarget(build.path(), "/");
  ASSERT_TRUE(target.ok()) << target.error();
  EXPECT_EQ(target->release, "6.1.0-56-rt-amd64");
  EXPECT_EQ(target->modulesDir, "/lib/modules/6.1.0-56-rt-amd64");
}

TEST(KernelTarget, ErrorsSayWhatIsWrong) {
  TempDir empty;
  OrError<KernelTarget> notBuilt = resolveKernelTarget(empty.path(), "/");
  ASSERT_FALSE(notBuilt.ok());
  EXPECT_NE(notBuilt.error().find("kernel.release"), std::string::npos) << notBuilt.error();

  OrError<KernelTarget> missing = resolveKernelTarget("/no/such/build/tree", "/");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("is not a directory"), std::string::npos) << missing.error();

  OrError<KernelTarget> badSysroot = resolveKernelTarget("6.1.0-26-amd64", empty.path() + "/nowhere");
  ASSERT_FALSE(badSysroot.ok());
  EXPECT_NE(badSysroot.error().find("sysroot"), std::string::npos) << badSysroot.error();
}

} // namespace
} // namespace mstap::kernel
