// The kernel library against a real Debian kernel package, unpacked (not
// installed) by tools/fetch-kernel:
//
//   export MSTAP_TEST_SYSROOT=$(tools/fetch-kernel)     # .../mstap/kernels/6.1.0-N-amd64
//   export MSTAP_TEST_RELEASE=$(basename "$MSTAP_TEST_SYSROOT")
//   ctest --test-dir BUILD -L kernel-image --output-on-failure
//
// Without those variables the tests skip; with them set but pointing at
// nothing usable they fail, so that a CI set-up mistake cannot pass quietly.
#include "kernel/files.h"
#include "kernel/kernel_functions.h"
#include "kernel/test_support.h"

#include <chrono>
#include <cstdlib>
#include <gtest/gtest.h>
#include <iostream>

namespace mstap::kernel {
namespace {

std::string environment(const char *name) {
  const char *value = std::getenv(name);
  return value ? value : "";
}

class RealKernelImage : public ::testing::Test {
protected:
  struct Loaded {
    std::string setupError; // why there is nothing to test; empty when loaded
    KernelTarget target;
    std::optional<KernelFunctions> cold;
    std::optional<KernelFunctions> cached;
    double coldMilliseconds = 0;
    double cachedMilliseconds = 0;
  };
  static Loaded *loaded;
  static testing::TempDir *cache;

  // Loads the image once for all tests: first with an empty cache, then
  // again through the cache the first load filled.
  static void SetUpTestSuite() {
    loaded = new Loaded;
    std::string sysroot = environment("MSTAP_TEST_SYSROOT");
    std::string release = environment("MSTAP_TEST_RELEASE");
    if (sysroot.empty() && release.empty())
      return;
    if (sysroot.empty() || release.empty()) {
      loaded->setupError = "set both MSTAP_TEST_SYSROOT and MSTAP_TEST_RELEASE, or neither";
      return;
    }
    OrError<KernelTarget> target = resolveKernelTarget(release, sysroot);
    if (!target.ok()) {
      loaded->setupError = target.error();
      return;
    }
    loaded->target = *target;
    if (!isReadableFile(target->kernelImage)) {
      loaded->setupError = "no kernel image " + target->kernelImage + " (run tools/fetch-kernel " + release + ")";
      return;
    }
    cache = new testing::TempDir;
    LoadOptions options;
    options.cacheDirectory = cache->path();
    using Clock = std::chrono::steady_clock;
    for (auto *slot : {&loaded->cold, &loaded->cached}) {
      Clock::time_point start = Clock::now();
      OrError<KernelFunctions> kernel = KernelFunctions::load(*target, options);
      double milliseconds = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      if (!kernel.ok()) {
        loaded->setupError = kernel.error();
        return;
      }
      (slot == &loaded->cold ? loaded->coldMilliseconds : loaded->cachedMilliseconds) = milliseconds;
      *slot = kernel.take();
    }
    std::cout << "[ kernel   ] " << release << ": " << loaded->cold->report().btfFunctionEntries
              << " BTF functions, " << loaded->cold->table().size() << " names; first load "
              << loaded->coldMilliseconds << " ms, cached load " << loaded->cachedMilliseconds << " ms\n";
  }

  static void TearDownTestSuite() {
    delete loaded;
    delete cache;
    loaded = nullptr;
    cache = nullptr;
  }

  void SetUp() override {
    if (environment("MSTAP_TEST_SYSROOT").empty() && environment("MSTAP_TEST_RELEASE").empty())
      GTEST_SKIP() << "MSTAP_TEST_SYSROOT and MSTAP_TEST_RELEASE are unset; see kernel_image_test.cpp";
    ASSERT_TRUE(loaded->setupError.empty()) << loaded->setupError;
  }

  const KernelFunctions &kernel() const { return *loaded->cached; }
};

RealKernelImage::Loaded *RealKernelImage::loaded = nullptr;
testing::TempDir *RealKernelImage::cache = nullptr;

TEST_F(RealKernelImage, FunctionsComeFromTheImagesBtf) {
  const LoadReport &cold = loaded->cold->report();
  EXPECT_TRUE(cold.symbolSource.empty()) << "Debian's System.map is a placeholder";
  EXPECT_NE(cold.btfSource.find("payload"), std::string::npos) << cold.btfSource;
  EXPECT_FALSE(cold.btfFromCache);
  EXPECT_TRUE(loaded->cached->report().btfFromCache);
  EXPECT_EQ(loaded->cold->table().size(), loaded->cached->table().size());
  // Debian 12's 6.1 kernels have some 44,500 functions in their BTF
  // (6.1.0-56-amd64: 44,546, of which 412 share a name with another).
  const LoadReport &report = kernel().report();
  EXPECT_GT(report.btfFunctionEntries, 40000u);
  EXPECT_LT(report.btfFunctionEntries, 60000u);
  EXPECT_EQ(kernel().table().size() + kernel().table().duplicateNames(), report.btfFunctionEntries);
  if (std::string expected = environment("MSTAP_TEST_BTF_FUNCTIONS"); !expected.empty()) {
    EXPECT_EQ(report.btfFunctionEntries, std::stoul(expected));
  }
}

TEST_F(RealKernelImage, TheCacheMakesLoadingCheap) {
  EXPECT_LT(loaded->cachedMilliseconds, loaded->coldMilliseconds);
  EXPECT_LT(loaded->cachedMilliseconds, 2000);
}

TEST_F(RealKernelImage, PrototypesAreSpelledAsC) {
  const KernelFunction *read = kernel().find("vfs_read");
  ASSERT_NE(read, nullptr);
  ASSERT_TRUE(read->prototype);
  EXPECT_EQ(read->prototype->declaration, "ssize_t vfs_read(struct file* file, char* buf, size_t count, loff_t* pos)");
  const KernelFunction *open = kernel().find("do_sys_open");
  ASSERT_TRUE(open && open->prototype);
  EXPECT_EQ(open->prototype->parameters.at(1).type, "const char*");
}

TEST_F(RealKernelImage, GlobsDropUnprobeableFunctions) {
  FunctionMatches vfs = kernel().matchFunctions("vfs_*");
  EXPECT_GT(vfs.functions.size(), 50u);
  FunctionMatches all = kernel().matchFunctions("*");
  EXPECT_GT(all.dropped.size(), 10u);
  EXPECT_EQ(all.functions.size() + all.dropped.size(), kernel().table().size());
  EXPECT_TRUE(kernel().matchFunctions("_raw_spin_lock").exactNameBlocked());
  EXPECT_TRUE(kernel().matchFunctions("exc_page_fault").exactNameBlocked());
}

TEST_F(RealKernelImage, ModulesWithSplitBtf) {
  OrError<std::vector<ModuleFile>> modules = listModules(kernel().target());
  ASSERT_TRUE(modules.ok()) << modules.error();
  EXPECT_GT(modules->size(), 1000u);
  std::vector<ModuleFile> ext4 = findModules(*modules, "ext4");
  ASSERT_EQ(ext4.size(), 1u);
  OrError<ModuleFunctions> module = ModuleFunctions::load(ext4[0], kernel());
  ASSERT_TRUE(module.ok()) << module.error();
  EXPECT_TRUE(module->notes().empty()) << module->notes().front();
  EXPECT_GT(module->table().size(), 1000u);
  const KernelFunction *fileOpen = module->find("ext4_file_open");
  ASSERT_NE(fileOpen, nullptr);
  ASSERT_TRUE(fileOpen->prototype);
  EXPECT_EQ(fileOpen->prototype->declaration, "int ext4_file_open(struct inode* inode, struct file* filp)");
}

} // namespace
} // namespace mstap::kernel
