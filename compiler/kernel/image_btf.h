// The BTF of a kernel image (vmlinuz or a build tree's vmlinux), with a
// cache: unpacking an xz-compressed vmlinuz takes seconds, and the BTF blob
// it yields is a few megabytes that parse in milliseconds.
#pragma once

#include "kernel/btf_types.h"
#include "kernel/or_error.h"

#include <memory>
#include <string>

namespace mstap::kernel {

struct ImageBtf {
  std::shared_ptr<const Btf> btf;
  bool fromCache = false;
  std::string cacheFile;  // where the blob is (or would be) cached; empty without a cache
  std::string how;        // e.g. "xz payload at offset 21196", for -v output
  std::string cacheNote;  // why the cache could not be used or filled, if it could not
};

// The cache file of `image` for `release`: CACHE/btf/RELEASE-SIZE-MTIME.btf,
// so that a replaced image (another size or time) never meets a stale blob.
OrError<std::string> btfCacheFile(const std::string &cacheDirectory, const std::string &release,
                                  const std::string &image);

// Reads `image`'s BTF, through the cache in `cacheDirectory` unless that is
// empty. A cache file that does not parse is rebuilt.
OrError<ImageBtf> loadKernelImageBtf(const std::string &image, const std::string &release,
                                     const std::string &cacheDirectory);

} // namespace mstap::kernel
