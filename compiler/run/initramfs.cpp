// The pieces of the guest's initramfs: the cpio archive, its gzip wrapping,
// busybox and the kernel modules taken from the sysroot.
#include "support/process.h"
#include "run/vm.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <zlib.h>

namespace mstap::run {
namespace {

// "a/b/c" from "/a//b/./c/"; ".." is left as it is (callers refuse it).
std::string normalizeArchivePath(const std::string &path) {
  std::string result;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos)
      end = path.size();
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") {
      if (!result.empty())
        result += '/';
      result += part;
    }
    start = end + 1;
  }
  return result;
}

void appendHex8(std::string &out, uint32_t value) {
  char text[9];
  std::snprintf(text, sizeof text, "%08X", value);
  out.append(text, 8);
}

void padTo4(std::string &out) {
  while (out.size() % 4 != 0)
    out += '\0';
}

std::string readFile(const std::string &path, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return "";
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    error = "cannot read " + path;
    return "";
  }
  return std::move(content).str();
}

template <class T>
T readLittle(std::string_view bytes, size_t offset) {
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    value |= static_cast<T>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return value;
}

// The strings of the .modinfo section of an ELF64 little-endian module.
std::vector<std::string> modinfoStrings(std::string_view elf, std::string &error) {
  std::vector<std::string> strings;
  if (elf.size() < 64 || elf.substr(0, 4) != "\x7f" "ELF" || elf[4] != 2 || elf[5] != 1) {
    error = "not a 64-bit little-endian ELF file";
    return strings;
  }
  uint64_t sectionsAt = readLittle<uint64_t>(elf, 0x28);
  uint16_t sectionSize = readLittle<uint16_t>(elf, 0x3A);
  uint16_t sectionCount = readLittle<uint16_t>(elf, 0x3C);
  uint16_t namesIndex = readLittle<uint16_t>(elf, 0x3E);
  if (sectionSize < 0x40 || namesIndex >= sectionCount || sectionsAt > elf.size() ||
      uint64_t(sectionCount) * sectionSize > elf.size() - sectionsAt) {
    error = "bad ELF section table";
    return strings;
  }
  auto section = [&](unsigned index, uint32_t &name, uint64_t &offset, uint64_t &size) {
    size_t at = sectionsAt + size_t(index) * sectionSize;
    name = readLittle<uint32_t>(elf, at);
    offset = readLittle<uint64_t>(elf, at + 0x18);
    size = readLittle<uint64_t>(elf, at + 0x20);
    return offset <= elf.size() && size <= elf.size() - offset;
  };
  uint32_t name;
  uint64_t namesOffset, namesSize;
  if (!section(namesIndex, name, namesOffset, namesSize)) {
    error = "bad ELF section names";
    return strings;
  }
  std::string_view names = elf.substr(namesOffset, namesSize);
  for (unsigned index = 0; index < sectionCount; ++index) {
    uint64_t offset, size;
    if (!section(index, name, offset, size) || name >= names.size())
      continue;
    if (names.substr(name, names.find('\0', name) - name) != ".modinfo")
      continue;
    std::string_view info = elf.substr(offset, size);
    while (!info.empty()) {
      size_t end = info.find('\0');
      if (end == std::string_view::npos)
        end = info.size();
      if (end > 0)
        strings.emplace_back(info.substr(0, end));
      info.remove_prefix(std::min(info.size(), end + 1));
    }
    return strings;
  }
  return strings;
}

// A module's name as the kernel and modprobe compare them: '-' is '_'.
std::string canonicalModuleName(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

// "kernel/fs/9p/9p.ko" -> "9p".
std::string moduleNameOfPath(const std::string &path) {
  std::string base = path.substr(path.rfind('/') + 1);
  for (const char *suffix : {".ko", ".ko.xz", ".ko.gz", ".ko.zst"}) {
    size_t length = std::strlen(suffix);
    if (base.size() > length && base.compare(base.size() - length, length, suffix) == 0)
      return canonicalModuleName(base.substr(0, base.size() - length));
  }
  return "";
}

} // namespace

// ------------------------------------------------------------------ cpio

CpioArchive::Entry &CpioArchive::slot(const std::string &path) {
  auto at = std::lower_bound(entries_.begin(), entries_.end(), path,
                             [](const auto &entry, const std::string &key) { return entry.first < key; });
  if (at == entries_.end() || at->first != path)
    at = entries_.insert(at, {path, Entry{}});
  return at->second;
}

bool CpioArchive::contains(const std::string &path) const {
  std::string key = normalizeArchivePath(path);
  return std::any_of(entries_.begin(), entries_.end(), [&](const auto &entry) { return entry.first == key; });
}

void CpioArchive::addParents(const std::string &path) {
  for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    std::string parent = path.substr(0, slash);
    auto at = std::lower_bound(entries_.begin(), entries_.end(), parent,
                               [](const auto &entry, const std::string &key) { return entry.first < key; });
    if (at == entries_.end() || at->first != parent)
      slot(parent).mode = S_IFDIR | 0755;
  }
}

void CpioArchive::addDirectory(std::string path, unsigned mode) {
  path = normalizeArchivePath(path);
  if (path.empty())
    return;
  addParents(path);
  Entry &entry = slot(path);
  entry = Entry{};
  entry.mode = S_IFDIR | (mode & 07777);
}

void CpioArchive::addFile(std::string path, std::string data, unsigned mode) {
  path = normalizeArchivePath(path);
  addParents(path);
  Entry &entry = slot(path);
  entry = Entry{};
  entry.mode = S_IFREG | (mode & 07777);
  entry.data = std::move(data);
}

void CpioArchive::addSymlink(std::string path, std::string target) {
  path = normalizeArchivePath(path);
  addParents(path);
  Entry &entry = slot(path);
  entry = Entry{};
  entry.mode = S_IFLNK | 0777;
  entry.data = std::move(target);
}

void CpioArchive::addCharDevice(std::string path, unsigned major, unsigned minor, unsigned mode) {
  path = normalizeArchivePath(path);
  addParents(path);
  Entry &entry = slot(path);
  entry = Entry{};
  entry.mode = S_IFCHR | (mode & 07777);
  entry.rdevMajor = major;
  entry.rdevMinor = minor;
}

std::string CpioArchive::serialize() const {
  std::string out;
  uint32_t inode = 1;
  auto header = [&](const std::string &name, const Entry &entry) {
    out += "070701";
    appendHex8(out, inode++);
    appendHex8(out, entry.mode);
    appendHex8(out, 0); // uid
    appendHex8(out, 0); // gid
    appendHex8(out, S_ISDIR(entry.mode) ? 2 : 1);
    appendHex8(out, 0); // mtime
    appendHex8(out, static_cast<uint32_t>(entry.data.size()));
    appendHex8(out, 0); // device major, minor
    appendHex8(out, 0);
    appendHex8(out, entry.rdevMajor);
    appendHex8(out, entry.rdevMinor);
    appendHex8(out, static_cast<uint32_t>(name.size() + 1));
    appendHex8(out, 0); // check
    out += name;
    out += '\0';
    padTo4(out);
    out += entry.data;
    padTo4(out);
  };
  for (const auto &[path, entry] : entries_)
    header(path, entry);
  header("TRAILER!!!", Entry{});
  return out;
}

std::string gzipCompress(std::string_view data, int level) {
  z_stream stream{};
  if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return "";
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef *>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int status = deflate(&stream, Z_FINISH);
  size_t written = stream.total_out;
  deflateEnd(&stream);
  if (status != Z_STREAM_END)
    return "";
  out.resize(written);
  return out;
}

// ---------------------------------------------------------------- vmlinux

bool hasPvhEntry(std::string_view elf) {
  if (elf.size() < 64 || elf.substr(0, 4) != "\x7f" "ELF" || elf[4] != 2 || elf[5] != 1)
    return false;
  uint64_t headersAt = readLittle<uint64_t>(elf, 0x20);
  uint16_t headerSize = readLittle<uint16_t>(elf, 0x36);
  uint16_t headerCount = readLittle<uint16_t>(elf, 0x38);
  if (headerSize < 0x38 || headersAt > elf.size() || uint64_t(headerCount) * headerSize > elf.size() - headersAt)
    return false;
  for (unsigned index = 0; index < headerCount; ++index) {
    size_t header = headersAt + size_t(index) * headerSize;
    if (readLittle<uint32_t>(elf, header) != 4 /* PT_NOTE */)
      continue;
    uint64_t offset = readLittle<uint64_t>(elf, header + 0x08);
    uint64_t size = readLittle<uint64_t>(elf, header + 0x20);
    if (offset > elf.size() || size > elf.size() - offset)
      continue;
    std::string_view notes = elf.substr(offset, size);
    auto aligned = [](uint64_t n) { return (n + 3) & ~uint64_t(3); };
    while (notes.size() >= 12) {
      uint32_t nameSize = readLittle<uint32_t>(notes, 0);
      uint32_t descSize = readLittle<uint32_t>(notes, 4);
      uint32_t type = readLittle<uint32_t>(notes, 8);
      uint64_t total = 12 + aligned(nameSize) + aligned(descSize);
      if (total > notes.size())
        break;
      if (nameSize == 4 && notes.substr(12, 4) == std::string_view("Xen\0", 4) && type == 18 /* PHYS32_ENTRY */)
        return true;
      notes.remove_prefix(total);
    }
  }
  return false;
}

// --------------------------------------------------------------- busybox

BusyboxApplets listBusyboxApplets(const std::string &busybox) {
  BusyboxApplets result;
  support::Captured listing = support::runAndCapture({busybox, "--list-full"});
  if (!listing.error.empty()) {
    result.error = listing.error;
    return result;
  }
  if (listing.exitCode != 0) {
    result.error = busybox + " --list-full failed";
    return result;
  }
  std::istringstream lines(listing.out);
  for (std::string line; std::getline(lines, line);) {
    line = normalizeArchivePath(line);
    if (!line.empty() && line.find("..") == std::string::npos)
      result.paths.push_back(line);
  }
  if (result.paths.empty())
    result.error = busybox + " --list-full listed no applets";
  return result;
}

StaticCheck checkStaticExecutable(const std::string &path) {
  StaticCheck result;
  std::string error;
  std::string elf = readFile(path, error);
  if (!error.empty()) {
    result.error = error;
    return result;
  }
  std::string_view bytes = elf;
  if (bytes.size() < 64 || bytes.substr(0, 4) != "\x7f" "ELF" || bytes[4] != 2 || bytes[5] != 1) {
    result.error = path + " is not a 64-bit little-endian ELF executable";
    return result;
  }
  uint64_t headersAt = readLittle<uint64_t>(bytes, 0x20);
  uint16_t headerSize = readLittle<uint16_t>(bytes, 0x36);
  uint16_t headerCount = readLittle<uint16_t>(bytes, 0x38);
  if (headerSize < 0x38 || headersAt > bytes.size() || uint64_t(headerCount) * headerSize > bytes.size() - headersAt) {
    result.error = path + " has a bad ELF program header table";
    return result;
  }
  result.isStatic = true;
  for (unsigned index = 0; index < headerCount; ++index)
    if (readLittle<uint32_t>(bytes, headersAt + size_t(index) * headerSize) == 3 /* PT_INTERP */)
      result.isStatic = false;
  return result;
}

// ------------------------------------------------------- kernel modules

ModulePlan planKernelModules(const std::string &modulesDirectory, const std::vector<std::string> &names) {
  namespace fs = std::filesystem;
  ModulePlan plan;
  if (names.empty())
    return plan;
  std::error_code failure;
  if (!fs::is_directory(modulesDirectory, failure)) {
    plan.error = "no module folder " + modulesDirectory;
    return plan;
  }
  std::set<std::string> builtIn;
  {
    std::ifstream in(modulesDirectory + "/modules.builtin");
    for (std::string line; std::getline(in, line);)
      builtIn.insert(moduleNameOfPath(line));
  }
  // Every module of the tree by name.
  std::map<std::string, std::string> pathOf;
  for (fs::recursive_directory_iterator walk(modulesDirectory, fs::directory_options::skip_permission_denied, failure), end;
       !failure && walk != end; walk.increment(failure)) {
    if (walk->is_directory(failure) && walk->path().filename() == "build")
      walk.disable_recursion_pending(); // a build tree is no place for modules
    if (!walk->is_regular_file(failure))
      continue;
    std::string relative = walk->path().lexically_relative(modulesDirectory).generic_string();
    std::string name = moduleNameOfPath(relative);
    if (!name.empty())
      pathOf.emplace(name, relative);
  }
  if (failure) {
    plan.error = "cannot list " + modulesDirectory + ": " + failure.message();
    return plan;
  }

  // Depth first, dependencies before their users.
  std::set<std::string> done, visiting;
  std::function<bool(const std::string &, const std::string &)> visit = [&](const std::string &name,
                                                                            const std::string &neededBy) {
    if (done.count(name) || builtIn.count(name))
      return true;
    if (visiting.count(name)) {
      plan.error = "the modules " + name + " and " + neededBy + " depend on each other";
      return false;
    }
    auto found = pathOf.find(name);
    if (found == pathOf.end()) {
      plan.error = "no module " + name + " in " + modulesDirectory +
                   (neededBy.empty() ? std::string() : " (needed by " + neededBy + ")");
      return false;
    }
    const std::string &relative = found->second;
    if (relative.size() < 3 || relative.compare(relative.size() - 3, 3, ".ko") != 0) {
      plan.error = "the module " + relative + " is compressed; only plain .ko files can be loaded by the guest";
      return false;
    }
    std::string error;
    std::string elf = readFile(modulesDirectory + "/" + relative, error);
    std::vector<std::string> info = error.empty() ? modinfoStrings(elf, error) : std::vector<std::string>{};
    if (!error.empty()) {
      plan.error = "cannot read the module " + relative + ": " + error;
      return false;
    }
    visiting.insert(name);
    for (const std::string &entry : info) {
      if (entry.compare(0, 8, "depends=") != 0)
        continue;
      std::string list = entry.substr(8);
      size_t start = 0;
      while (start < list.size()) {
        size_t end = std::min(list.find(',', start), list.size());
        std::string dependency = canonicalModuleName(list.substr(start, end - start));
        if (!dependency.empty() && !visit(dependency, name))
          return false;
        start = end + 1;
      }
    }
    visiting.erase(name);
    done.insert(name);
    plan.relativePaths.push_back(relative);
    return true;
  };
  for (const std::string &name : names)
    if (!visit(canonicalModuleName(name), ""))
      return plan;
  return plan;
}

} // namespace mstap::run
