// What the VM tests share (tests/vm, compiler/run's runner tests): the
// kernel under test from MSTAP_TEST_SYSROOT/MSTAP_TEST_RELEASE, scratch
// folders, small file helpers. Header-only, for test programs.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

namespace mstap::run::testing {

inline std::string environment(const char *name) {
  const char *value = std::getenv(name);
  return value ? value : "";
}

inline std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A scratch folder under the temporary directory, removed at the end.
struct Scratch {
  std::string path;
  explicit Scratch(const std::string &prefix = "mstap-vm-test") {
    path = (std::filesystem::temp_directory_path() / (prefix + ".XXXXXX")).string();
    if (!::mkdtemp(path.data()))
      path.clear();
  }
  ~Scratch() {
    std::error_code ignored;
    if (!path.empty())
      std::filesystem::remove_all(path, ignored);
  }
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
};

// The kernel under test, or why there is none.
struct Target {
  bool wanted = false; // the variables are set
  std::string setupError;
  std::string sysroot, release;
};

inline Target target() {
  Target t;
  t.sysroot = environment("MSTAP_TEST_SYSROOT");
  t.release = environment("MSTAP_TEST_RELEASE");
  if (t.sysroot.empty() && t.release.empty())
    return t;
  t.wanted = true;
  if (t.sysroot.empty() || t.release.empty())
    t.setupError = "set both MSTAP_TEST_SYSROOT and MSTAP_TEST_RELEASE, or neither";
  else if (std::string image = t.sysroot + "/boot/vmlinuz-" + t.release; !std::filesystem::exists(image))
    t.setupError = "no kernel image " + image + " (run tools/fetch-kernel " + t.release + ")";
  return t;
}

} // namespace mstap::run::testing

// Skips a test without the variables; fails it when they name no kernel.
#define REQUIRE_TARGET(t)                                                                                              \
  ::mstap::run::testing::Target t = ::mstap::run::testing::target();                                                   \
  if (!t.wanted)                                                                                                       \
    GTEST_SKIP() << "MSTAP_TEST_SYSROOT and MSTAP_TEST_RELEASE are unset; see tests/vm/README.md";                     \
  ASSERT_TRUE(t.setupError.empty()) << t.setupError
