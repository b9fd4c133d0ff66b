#include "driver/data_dirs.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;
using namespace mstap;

namespace {
struct TempPrefix {
  fs::path root;
  TempPrefix() {
    char templ[] = "/tmp/mstap_data_dirs_XXXXXX";
    root = mkdtemp(templ);
    fs::create_directories(root / "usr/bin");
  }
  ~TempPrefix() { fs::remove_all(root); }
};
} // namespace

TEST(DataDirs, InstalledBesideTheProgram) {
  TempPrefix prefix;
  std::string program = (prefix.root / "usr/bin/mstap").string();
  // No share/mstap/runtime: not an install (a build tree, or a broken one).
  EXPECT_FALSE(dataDirBeside(program));
  fs::create_directories(prefix.root / "usr/share/mstap");
  EXPECT_FALSE(dataDirBeside(program));
  fs::create_directories(prefix.root / "usr/share/mstap/runtime");
  auto found = dataDirBeside(program);
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, (prefix.root / "usr/share/mstap").string());
}

TEST(DataDirs, TheEnvironmentOverridesTheRuntime) {
  setenv("MSTAP_RUNTIME_DIR", "/somewhere/runtime", 1);
  EXPECT_EQ(runtimeDirectory(), "/somewhere/runtime");
  unsetenv("MSTAP_RUNTIME_DIR");
  // The unit tests run from the build tree: the source tree's runtime.
  EXPECT_FALSE(installedDataDir());
  EXPECT_TRUE(fs::is_regular_file(fs::path(runtimeDirectory()) / "mstap_context.h")) << runtimeDirectory();
}
