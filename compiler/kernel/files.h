// Small file-system helpers shared by the kernel library: whole-file reads,
// atomic writes for the cache, and where that cache lives.
#pragma once

#include "kernel/or_error.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace mstap::kernel {

// The whole content of `path`. Works for /proc and /sys files, whose size
// stat() reports as 0 or 4096 regardless of their content.
OrError<std::string> readWholeFile(const std::string &path);

// Writes `data` to `path` so that readers see either the old file or the
// complete new one: a temporary file beside it, then rename(). Creates the
// missing parent folders.
Status writeFileAtomically(const std::string &path, std::string_view data);

// A file mapped read-only into memory: kernel images and build-tree vmlinux
// files run to hundreds of megabytes, of which only a part is looked at.
class MappedFile {
public:
  static OrError<MappedFile> open(const std::string &path);
  MappedFile(MappedFile &&other) noexcept;
  MappedFile &operator=(MappedFile &&other) noexcept;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  std::string_view bytes() const { return {static_cast<const char *>(data_), size_}; }

private:
  MappedFile(void *data, size_t size) : data_(data), size_(size) {}
  void *data_ = nullptr;
  size_t size_ = 0;
};

struct FileStamp {
  uint64_t size = 0;
  int64_t mtimeSeconds = 0;
};
OrError<FileStamp> fileStamp(const std::string &path);

bool isReadableFile(const std::string &path);

// The line of `text` that starts at `position` (without its '\n'), moving
// `position` past it; false at the end of the text.
bool nextLine(std::string_view text, size_t &position, std::string_view &line);

// The next blank-separated field of a text line (kallsyms, System.map, the
// kprobes blacklist), which it consumes; empty at the end of the line.
std::string_view nextField(std::string_view &line);
bool isDirectory(const std::string &path);

// $XDG_CACHE_HOME/mstap, or ~/.cache/mstap; empty when neither $XDG_CACHE_HOME
// nor a home folder is known. A $XDG_CACHE_HOME or $HOME that belongs to
// another user than the effective one (sudo -E) is passed over for the
// effective user's passwd home.
std::string defaultCacheDirectory();

// `path` seen from inside `sysroot`: "/" + "/boot/x" is "/boot/x", "/srv/r" +
// "/boot/x" is "/srv/r/boot/x".
std::string underSysroot(const std::string &sysroot, const std::string &path);

} // namespace mstap::kernel
