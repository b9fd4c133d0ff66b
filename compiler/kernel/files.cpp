#include "kernel/files.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <pwd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mstap::kernel {

namespace {

std::string systemError(const std::string &what, const std::string &path) {
  return what + " " + path + ": " + std::strerror(errno);
}

} // namespace

OrError<std::string> readWholeFile(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return OrError<std::string>::failure(systemError("cannot open", path));
  std::string content;
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0)
    content.reserve(static_cast<size_t>(info.st_size));
  char chunk[1 << 16];
  for (;;) {
    ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      std::string message = systemError("cannot read", path);
      ::close(fd);
      return OrError<std::string>::failure(message);
    }
    if (got == 0)
      break;
    content.append(chunk, static_cast<size_t>(got));
  }
  ::close(fd);
  return content;
}

Status writeFileAtomically(const std::string &path, std::string_view data) {
  std::filesystem::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) {
    std::filesystem::create_directories(target.parent_path(), ec);
    if (ec)
      return Status::failure("cannot create " + target.parent_path().string() + ": " + ec.message());
  }
  // Unique per process so that two mstap runs filling the cache at once never
  // write into the same temporary file.
  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return Status::failure(systemError("cannot create", temporary));
  size_t written = 0;
  while (written < data.size()) {
    ssize_t put = ::write(fd, data.data() + written, data.size() - written);
    if (put < 0) {
      if (errno == EINTR)
        continue;
      std::string message = systemError("cannot write", temporary);
      ::close(fd);
      ::unlink(temporary.c_str());
      return Status::failure(message);
    }
    written += static_cast<size_t>(put);
  }
  if (::close(fd) != 0) {
    std::string message = systemError("cannot write", temporary);
    ::unlink(temporary.c_str());
    return Status::failure(message);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    std::string message = systemError("cannot rename into", path);
    ::unlink(temporary.c_str());
    return Status::failure(message);
  }
  return Status::success();
}

OrError<MappedFile> MappedFile::open(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return OrError<MappedFile>::failure(systemError("cannot open", path));
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    std::string message = S_ISREG(info.st_mode) ? systemError("cannot stat", path) : path + " is not a regular file";
    ::close(fd);
    return OrError<MappedFile>::failure(message);
  }
  size_t size = static_cast<size_t>(info.st_size);
  if (size == 0) {
    ::close(fd);
    return MappedFile(nullptr, 0);
  }
  void *data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  std::string message = data == MAP_FAILED ? systemError("cannot map", path) : "";
  ::close(fd);
  if (data == MAP_FAILED)
    return OrError<MappedFile>::failure(message);
  return MappedFile(data, size);
}

MappedFile::MappedFile(MappedFile &&other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

MappedFile &MappedFile::operator=(MappedFile &&other) noexcept {
  if (this != &other) {
    if (data_)
      ::munmap(data_, size_);
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_)
    ::munmap(data_, size_);
}

OrError<FileStamp> fileStamp(const std::string &path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return OrError<FileStamp>::failure(systemError("cannot stat", path));
  FileStamp stamp;
  stamp.size = static_cast<uint64_t>(info.st_size);
  stamp.mtimeSeconds = static_cast<int64_t>(info.st_mtim.tv_sec);
  return stamp;
}

bool isReadableFile(const std::string &path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), R_OK) == 0;
}

bool isDirectory(const std::string &path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// Whether the folder `path`, or the nearest of its ancestors that exists,
// belongs to the effective user.
static bool ownedByEffectiveUser(std::string path) {
  while (!path.empty()) {
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0)
      return info.st_uid == ::geteuid();
    size_t slash = path.find_last_of('/');
    path = slash == 0 || slash == std::string::npos ? (path == "/" ? "" : "/") : path.substr(0, slash);
  }
  return false;
}

std::string defaultCacheDirectory() {
  // The environment names the cache only when the folder it names is the
  // effective user's own: under `sudo -E`, or any preserved $HOME, it is
  // another user's, and root would build from and load what that user put
  // there. Root (any user) then keeps its own cache, in its passwd home.
  // The XDG base-directory rules ignore a relative $XDG_CACHE_HOME.
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && xdg[0] == '/' && ownedByEffectiveUser(xdg))
    return std::string(xdg) + "/mstap";
  std::string home;
  if (const char *env = std::getenv("HOME"); env && env[0] == '/' && ownedByEffectiveUser(env))
    home = env;
  else if (const passwd *entry = ::getpwuid(::geteuid()); entry && entry->pw_dir)
    home = entry->pw_dir;
  if (home.empty())
    return "";
  return home + "/.cache/mstap";
}

std::string underSysroot(const std::string &sysroot, const std::string &path) {
  std::string root = sysroot;
  while (root.size() > 1 && root.back() == '/')
    root.pop_back();
  if (root.empty() || root == "/")
    return path;
  return root + path;
}

std::string_view nextField(std::string_view &line) {
  size_t start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos) {
    line = {};
    return {};
  }
  size_t end = line.find_first_of(" \t", start);
  std::string_view field = line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  line = end == std::string_view::npos ? std::string_view{} : line.substr(end);
  return field;
}

bool nextLine(std::string_view text, size_t &position, std::string_view &line) {
  if (position >= text.size())
    return false;
  size_t end = text.find('\n', position);
  if (end == std::string_view::npos)
    end = text.size();
  line = text.substr(position, end - position);
  position = end + 1;
  return true;
}

} // namespace mstap::kernel
