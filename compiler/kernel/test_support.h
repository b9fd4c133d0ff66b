// Helpers for the kernel library's tests: temporary folders, the fixtures
// the build makes, and compressing data the way a kernel's build does.
#pragma once

#include "kernel/decompress.h"

#include <string>
#include <string_view>

namespace mstap::kernel::testing {

// A fresh folder under $TMPDIR, removed with everything in it on destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::string &path() const { return path_; }
  // Writes `content` to path()/relative, creating the folders on the way.
  std::string write(const std::string &relative, std::string_view content) const;

private:
  std::string path_;
};

// A file of tests/kernel, and one the build made from them.
std::string fixtureSource(const std::string &name);
std::string builtFixture(const std::string &name);
std::string readFixture(const std::string &path);
// The user-space test program (tests/user/probed.c) and what the build made
// of it: "probed" (-g), "probed-static" (-g -static), "probed-nodebug".
std::string userFixtureSource();
std::string userFixture(const std::string &name);

// `data` compressed as one stream of `compression`, as the kernel's build
// compresses vmlinux (lz4 in the legacy format).
std::string compress(Compression compression, std::string_view data);

// A fake bzImage: boot code with stray magic numbers in it, then the
// compressed `elf`, then its size as the kernel's build appends it.
std::string fakeBzImage(Compression compression, std::string_view elf);

} // namespace mstap::kernel::testing
