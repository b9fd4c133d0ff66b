#include "build/build.h"

#include "support/process.h"
#include "build/sha256.h"
#include "kernel/files.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

#ifndef MSTAP_BUILD_VERSION
#define MSTAP_BUILD_VERSION "unknown"
#endif

namespace fs = std::filesystem;

namespace mstap::build {

const char *const kBuildVersion = "mstap " MSTAP_BUILD_VERSION " build-v1";

namespace {

constexpr size_t kMaxModuleName = 55;
constexpr uint64_t kDefaultCacheLimit = 256ull << 20;

std::string errnoText(const std::string &what, const std::string &path) {
  return what + " " + path + ": " + std::strerror(errno);
}

bool readFile(const std::string &path, std::string &out, std::string &error) {
  auto content = kernel::readWholeFile(path);
  if (!content) {
    error = content.error();
    return false;
  }
  out = content.take();
  return true;
}

bool writeAll(int fd, const char *data, size_t size) {
  while (size > 0) {
    ssize_t put = ::write(fd, data, size);
    if (put < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data += put;
    size -= static_cast<size_t>(put);
  }
  return true;
}

// Writes `data` to `path` through a unique temporary file beside it and
// rename(), so that a reader (or another thread or process writing the same
// path) only ever sees a complete file.
bool writeAtomically(const std::string &path, const std::string &data, std::string &error) {
  fs::path target(path);
  std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  std::string pattern = dir + "/." + target.filename().string() + ".XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    error = errnoText("cannot create a file in", dir);
    return false;
  }
  std::string temporary(name.data());
  bool ok = writeAll(fd, data.data(), data.size()) && ::fchmod(fd, 0644) == 0;
  if (!ok)
    error = errnoText("cannot write", temporary);
  if (::close(fd) != 0 && ok) {
    error = errnoText("cannot write", temporary);
    ok = false;
  }
  if (ok && ::rename(temporary.c_str(), path.c_str()) != 0) {
    error = errnoText("cannot rename " + temporary + " to", path);
    ok = false;
  }
  if (!ok)
    ::unlink(temporary.c_str());
  return ok;
}

bool copyAtomically(const std::string &from, const std::string &to, std::string &error) {
  std::string data;
  return readFile(from, data, error) && writeAtomically(to, data, error);
}

// ------------------------------------------------------------ trust
//
// Whatever the cache holds is built into (or loaded as) a kernel module, by
// root too: a file is taken from it only when nobody but the effective user
// could have written it. Every folder and file of the cache must be the
// effective user's, writable by nobody else, and no symbolic link; the
// cache folder's ancestors must be root's or the user's, and writable by
// nobody else unless sticky (like /tmp). What fails is not used: the cache
// as a whole, or the one entry, which is then rebuilt.

// Why `path` (a folder, or a regular file) is not to be trusted; "" when it is.
std::string distrust(const struct stat &st, const std::string &path, bool folder) {
  if (S_ISLNK(st.st_mode))
    return path + " is a symbolic link";
  if (folder ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
    return path + (folder ? " is not a folder" : " is not a regular file");
  if (st.st_uid != ::geteuid())
    return path + " belongs to user " + std::to_string(st.st_uid) + ", not to user " +
           std::to_string(::geteuid());
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return path + " is writable by its group or others";
  return "";
}

std::string distrustPath(const std::string &path, bool folder) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0)
    return errnoText("cannot inspect", path);
  return distrust(st, path, folder);
}

// Why the cache folder is not to be trusted, "" when it is: it, and its
// ancestors by their real path (no symbolic link left to swap).
std::string distrustCacheDir(const std::string &cacheDir) {
  char *real = ::realpath(cacheDir.c_str(), nullptr);
  if (!real)
    return errnoText("cannot resolve", cacheDir);
  std::string path = real;
  std::free(real);
  std::string why = distrustPath(path, true);
  if (!why.empty())
    return why;
  while (path.size() > 1) {
    path = path.substr(0, std::max<size_t>(1, path.find_last_of('/')));
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0)
      return errnoText("cannot inspect", path);
    if (st.st_uid != 0 && st.st_uid != ::geteuid())
      return path + " belongs to user " + std::to_string(st.st_uid);
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
      return path + " is writable by its group or others";
  }
  return "";
}

// Reads a file of the cache through one descriptor, not following a
// symbolic link, and checks that descriptor's owner and mode: what is read
// is what was checked. False with `why` set otherwise.
bool readTrusted(const std::string &path, std::string &out, std::string &why) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    why = errnoText("cannot open", path);
    return false;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    why = errnoText("cannot inspect", path);
    ::close(fd);
    return false;
  }
  why = distrust(st, path, false);
  out.clear();
  char buffer[65536];
  while (why.empty()) {
    ssize_t got = ::read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      why = errnoText("cannot read", path);
    if (got <= 0)
      break;
    out.append(buffer, static_cast<size_t>(got));
  }
  ::close(fd);
  return why.empty();
}

// mkdir -p, each folder it creates private (0700: the cache's files are the
// user's business, and a umask of 002 must not make them group-writable).
bool makePrivateDirs(const std::string &path) {
  std::string at;
  size_t from = 0;
  while (from <= path.size()) {
    size_t slash = path.find('/', from);
    at = path.substr(0, slash == std::string::npos ? path.size() : slash);
    from = slash == std::string::npos ? path.size() + 1 : slash + 1;
    if (at.empty())
      continue;
    if (::mkdir(at.c_str(), 0700) != 0 && errno != EEXIST)
      return false;
  }
  return kernel::isDirectory(path);
}

// A path that make and the shell it starts take as one word.
bool plainPath(const std::string &path) {
  return !path.empty() && path.find_first_of(" \t\n\\$#:'\"%;|&<>()*?[]{}`=") == std::string::npos;
}

// One argument of a kbuild variable that make expands and the shell splits:
// single-quoted for the shell, '$' doubled and '#' escaped for make.
std::string kbuildWord(const std::string &word) {
  std::string shell = "'";
  for (char c : word) {
    if (c == '\'')
      shell += "'\\''";
    else
      shell += c;
  }
  shell += "'";
  std::string out;
  for (char c : shell) {
    if (c == '$')
      out += "$$";
    else if (c == '#')
      out += "\\#";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

bool validIdentifier(const std::string &name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// The compiler line of include/generated/compile.h, else the .config's
// CONFIG_CC_VERSION_TEXT.
std::string compilerLine(const std::string &tree, const std::string &config) {
  std::string text, ignored;
  if (readFile(tree + "/include/generated/compile.h", text, ignored)) {
    size_t at = text.find("LINUX_COMPILER");
    if (at != std::string::npos)
      return text.substr(at, text.find('\n', at) - at);
  }
  const std::string key = "CONFIG_CC_VERSION_TEXT=";
  size_t at = config.find(key);
  if (at != std::string::npos)
    return config.substr(at, config.find('\n', at) - at);
  return "";
}

// The program kbuild will call as the C compiler: CC= among the settings,
// clang under LLVM=1, else the first word of CONFIG_CC_VERSION_TEXT (Debian's
// trees name gcc-12 there and in their Makefile).
std::string expectedCompiler(const BuildRequest &request) {
  for (const std::string &setting : request.kbuildSettings) {
    if (setting.rfind("CC=", 0) == 0) {
      std::istringstream words(setting.substr(3));
      std::string first;
      words >> first;
      return first;
    }
    if (setting.rfind("LLVM=", 0) == 0 && setting != "LLVM=0" && setting != "LLVM=") {
      std::string value = setting.substr(5);
      if (value == "1")
        return "clang";
      if (value[0] == '-')
        return "clang" + value;
      return value + "clang";
    }
  }
  std::string config, ignored;
  if (!readFile(request.buildTree + "/.config", config, ignored))
    return "";
  const std::string key = "CONFIG_CC_VERSION_TEXT=\"";
  size_t at = config.find(key);
  if (at == std::string::npos)
    return "";
  std::string text = config.substr(at + key.size());
  return text.substr(0, text.find_first_of(" \"\n"));
}

void removeTree(const std::string &path) {
  std::error_code ec;
  fs::remove_all(path, ec);
}

// The last `lines` lines of `text`.
std::string tail(const std::string &text, size_t lines) {
  size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n')
    --at;
  for (size_t n = 0; at > 0; --at)
    if (text[at - 1] == '\n' && ++n == lines)
      break;
  return (at > 0 ? "[...]\n" : "") + text.substr(at);
}

std::string makeTempDir(std::string &error) {
  std::string base = "/tmp";
  if (const char *tmp = std::getenv("TMPDIR"); tmp && *tmp && plainPath(tmp) && kernel::isDirectory(tmp))
    base = tmp;
  std::string pattern = base + "/mstapXXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (!::mkdtemp(name.data())) {
    error = errnoText("cannot create a build folder in", base);
    return "";
  }
  return name.data();
}

uint64_t treeSize(const fs::path &dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
      total += static_cast<uint64_t>(st.st_size);
  }
  return total;
}

constexpr const char *kTreeFiles[] = {"Module.symvers", "include/generated/utsrelease.h", "Makefile",
                                     ".kernelvariables"};

std::string fileIdentity(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return "|absent";
  return "|" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
         std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec);
}

std::string modulesDir(const std::string &cacheDir) { return cacheDir + "/modules"; }

void removeEntry(const std::string &entry);

// Copies a cached module out; true on a hit. An entry that is not to be
// trusted (see "trust" above), or whose module is not the one its `about`
// recorded, is removed, `why` saying why, so that the rebuilt module takes
// its place.
bool cacheLookup(const std::string &entry, const BuildRequest &request, const std::string &koPath,
                 std::string &why) {
  struct stat st;
  if (::lstat(entry.c_str(), &st) != 0)
    return false; // a plain miss
  std::string data, about, ignored;
  why = distrust(st, entry, true);
  if (why.empty())
    readTrusted(entry + "/" + request.moduleName + ".ko", data, why);
  if (why.empty())
    readTrusted(entry + "/about", about, why);
  if (why.empty() && about.find("\nsha256 " + sha256Hex(data) + "\n") == std::string::npos)
    why = entry + " holds another module than the one it recorded";
  if (!why.empty()) {
    removeEntry(entry);
    return false;
  }
  if (!writeAtomically(koPath, data, ignored))
    return false;
  ::utimensat(AT_FDCWD, entry.c_str(), nullptr, 0); // most recently used
  return true;
}

// Adds a built module to the cache: a private folder filled, then renamed to
// its key, so that a concurrent reader sees a whole entry or none. When
// another run stored the same key first, its entry stays.
void cacheStore(const std::string &cacheDir, const std::string &hash, const BuildRequest &request,
                const std::string &builtKo) {
  std::string modules = modulesDir(cacheDir);
  if (!makePrivateDirs(modules))
    return;
  std::string pattern = modules + "/.new-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (!::mkdtemp(name.data()))
    return;
  std::string temporary = name.data();
  std::string error, data;
  if (!readFile(builtKo, data, error)) {
    removeTree(temporary);
    return;
  }
  // The module's digest, which a hit checks.
  std::string about = "module " + request.moduleName + "\nrelease " + request.release + "\nbuild tree " +
                      request.buildTree + "\nversion " + kBuildVersion + "\nsha256 " + sha256Hex(data) + "\n";
  if (!writeAtomically(temporary + "/" + request.moduleName + ".ko", data, error) ||
      !writeAtomically(temporary + "/about", about, error) ||
      ::rename(temporary.c_str(), (modules + "/" + hash).c_str()) != 0)
    removeTree(temporary);
  uint64_t limit = request.cacheLimitBytes ? request.cacheLimitBytes : defaultCacheLimitBytes();
  evictCache(cacheDir, limit, hash);
}

// The digest of the build tree's content that matters to a module: .config,
// its compiler line, Module.symvers, utsrelease.h and the top Makefiles.
std::string hashTree(const std::string &tree, std::string &error) {
  Sha256 digest;
  std::string config;
  if (!readFile(tree + "/.config", config, error))
    return "";
  digest.field(sha256Hex(config));
  digest.field(compilerLine(tree, config));
  for (const char *file : kTreeFiles) {
    std::string path = tree + "/" + file, content;
    if (!kernel::isReadableFile(path)) {
      digest.field(std::string("absent ") + file);
      continue;
    }
    if (!readFile(path, content, error))
      return "";
    digest.field(file);
    digest.field(sha256Hex(content));
  }
  return digest.hexDigest();
}

// hashTree, remembered under CACHE/modules/.trees by the files' identity
// (device, inode, size, mtime and ctime, which every write changes): hashing
// the 2 MB of a Debian tree costs more than the rest of a cache hit.
std::string treeDigest(const std::string &tree, const std::string &cacheDir, std::string &error) {
  if (cacheDir.empty() || !makePrivateDirs(cacheDir) || !distrustCacheDir(cacheDir).empty())
    return hashTree(tree, error);
  std::string stamps = tree;
  for (const char *file : {".config", "include/generated/compile.h"})
    stamps += fileIdentity(tree + "/" + file);
  for (const char *file : kTreeFiles)
    stamps += fileIdentity(tree + "/" + file);
  std::string memo = modulesDir(cacheDir) + "/.trees/" + sha256Hex(stamps);
  std::string remembered, ignored;
  if (distrustPath(modulesDir(cacheDir), true).empty() && readTrusted(memo, remembered, ignored) &&
      remembered.size() == 64)
    return remembered;
  std::string digest = hashTree(tree, error);
  if (!digest.empty() && makePrivateDirs(fs::path(memo).parent_path().string()))
    writeAtomically(memo, digest, ignored);
  return digest;
}

// ------------------------------------------------------ runtime objects
//
// The runtime's .c files are the same for every script; compiling them is
// most of what a module costs kbuild. So they are compiled once per key
// (runtimeObjectsKey: runtime sources, tree, -D, -B, environment) and their
// objects kept under CACHE/runtime/KEY/, each module linking them:
//
//   obj-m := NAME.o
//   NAME-y := NAME_script.o mstap_runtime/mstap_map.o ...
//
// The first build of a key copies the .c files into mstap_runtime/ of the
// build folder, kbuild compiles them with the script, and the objects are
// stored. Later builds put the stored objects there instead, with no
// source: make finds no rule to remake them and links them as they are.
// Each gets a `.NAME.o.cmd` of one comment line, because modpost opens
// every object's .cmd file for the #SYMVER lines genksyms writes there for
// exported symbols (the runtime exports none), and on 6.1 a missing one is
// an error; the comment is also valid make should kbuild include the file.
// Copying the real .cmd instead would be wrong: its
// dependency lines name the first build's folder. kbuild's `_shipped`
// rule would only copy a file into place and needs the same .cmd file, so
// it gains nothing. objtool stays content: on 6.1 (no IBT) it checks each
// object as it is compiled, the cached ones in their first build; on 6.12
// (IBT) it checks the linked NAME.o, prebuilt parts included.
//
// The objects must not depend on the module they were first built for:
// the runtime's .c files #undef KBUILD_MODNAME (so a use fails to build),
// and MSTAP_MODULE_MAIN passes the name from the script's own file.

constexpr const char *kRuntimeFolder = "mstap_runtime";
constexpr size_t kRuntimeEntriesKept = 16;

// Environment variables that reach the code kbuild compiles: make takes
// every variable of its environment as a make variable, and kbuild and the
// compiler read these. They are part of the keys (with every KBUILD_*
// variable); make gets them, and of the rest only kKeptEnvironment: any other
// variable (CONFIG_*, CC, LIBRARY_PATH, ...) could change the build without
// changing a key, so it is removed from make's environment.
constexpr const char *kKbuildEnvironment[] = {
    "KCFLAGS", "KCPPFLAGS", "KAFLAGS", "KRUSTFLAGS", "ARCH", "CROSS_COMPILE", "LLVM", "LLVM_IAS", "CPATH",
    "C_INCLUDE_PATH", "GCC_EXEC_PREFIX", "COMPILER_PATH", "SOURCE_DATE_EPOCH"};
constexpr const char *kKeptEnvironment[] = {"PATH", "HOME", "TMPDIR", "LANG", "LANGUAGE", "TERM", "USER", "LOGNAME"};

bool keyedVariable(const std::string &name) {
  return name.rfind("KBUILD_", 0) == 0 ||
         std::any_of(std::begin(kKbuildEnvironment), std::end(kKbuildEnvironment),
                     [&](const char *keyed) { return name == keyed; });
}

// The variables of mstap's environment make does not get: neither keyed
// nor in kKeptEnvironment (nor LC_*).
std::vector<std::string> unkeyedEnvironment() {
  std::vector<std::string> names;
  for (char **entry = environ; entry && *entry; ++entry) {
    std::string name(*entry, std::strcspn(*entry, "="));
    bool kept = keyedVariable(name) || name.rfind("LC_", 0) == 0 ||
                std::any_of(std::begin(kKeptEnvironment), std::end(kKeptEnvironment),
                            [&](const char *k) { return name == k; });
    if (!kept)
      names.push_back(name);
  }
  return names;
}

// Hashes every regular file under `dir`, by relative path, in a stable
// order, into `key`. False with `error` set when one cannot be read.
bool hashFolder(Sha256 &key, const std::string &dir, std::string &error) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file())
      files.push_back(fs::relative(it->path(), dir).string());
  if (ec) {
    error = "cannot list the runtime folder " + dir + ": " + ec.message();
    return false;
  }
  std::sort(files.begin(), files.end());
  for (const std::string &file : files) {
    std::string content;
    if (!readFile(dir + "/" + file, content, error))
      return false;
    key.field(file);
    key.field(sha256Hex(content));
  }
  return true;
}

std::string objectName(const std::string &source) { return source.substr(0, source.size() - 2) + ".o"; }

// The manifest of a runtime entry: one line per object, "SHA256 SIZE NAME".
std::string manifestLine(const std::string &name, const std::string &data) {
  return sha256Hex(data) + " " + std::to_string(data.size()) + " " + name + "\n";
}

// Puts the cached objects of `entry` into FOLDER/mstap_runtime/, each with
// its one-line .cmd file. False when the entry is missing, incomplete or
// damaged (an object whose size or SHA-256 is not the manifest's): the
// caller then compiles the sources instead.
bool runtimeLookup(const std::string &entry, const std::vector<std::string> &sources, const std::string &folder,
                   std::string &why) {
  std::string manifest, ignored;
  if (!fs::exists(entry))
    return false;
  why = distrustPath(entry, true);
  if (!why.empty() || !readTrusted(entry + "/manifest", manifest, why))
    return false;
  std::string expected;
  std::vector<std::pair<std::string, std::string>> objects;
  for (const std::string &source : sources) {
    std::string name = objectName(source), data;
    if (!readTrusted(entry + "/" + name, data, why))
      return false;
    expected += manifestLine(name, data);
    objects.emplace_back(name, std::move(data));
  }
  if (expected != manifest) {
    why = entry + " holds other objects than its manifest lists";
    return false;
  }
  std::string into = folder + "/" + kRuntimeFolder;
  std::error_code ec;
  fs::create_directories(into, ec);
  if (ec)
    return false;
  for (const auto &[name, data] : objects)
    if (!writeAtomically(into + "/" + name, data, ignored) ||
        !writeAtomically(into + "/." + name + ".cmd", "# prebuilt by mstap: " + entry + "/" + name + "\n", ignored))
      return false;
  ::utimensat(AT_FDCWD, entry.c_str(), nullptr, 0); // most recently used
  return true;
}

// Renames `entry` away, then removes it: a concurrent lookup sees it whole
// or not at all.
void removeEntry(const std::string &entry) {
  std::string doomed = fs::path(entry).parent_path().string() + "/.old-" + fs::path(entry).filename().string() +
                       "-" + std::to_string(::getpid());
  if (::rename(entry.c_str(), doomed.c_str()) == 0)
    removeTree(doomed);
}

// Keeps the kRuntimeEntriesKept most recently used entries of CACHE/runtime.
void evictRuntimeEntries(const std::string &dir, const std::string &keep) {
  std::vector<std::pair<int64_t, std::string>> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    struct stat st;
    if (name.empty() || name[0] == '.' || name == keep || ::stat(it->path().c_str(), &st) != 0 ||
        !S_ISDIR(st.st_mode))
      continue;
    entries.emplace_back(int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec, name);
  }
  if (entries.size() + 1 <= kRuntimeEntriesKept)
    return;
  std::sort(entries.begin(), entries.end());
  for (size_t i = 0; i + kRuntimeEntriesKept < entries.size() + 1; ++i)
    removeEntry(dir + "/" + entries[i].second);
}

// Stores the objects kbuild compiled in FOLDER/mstap_runtime/ under
// CACHE/runtime/KEY: a private folder filled (the manifest last), then
// renamed, as cacheStore does. When another run stored the key first, its
// entry stays.
void runtimeStore(const std::string &dir, const std::string &key, const std::vector<std::string> &sources,
                  const std::string &folder) {
  if (!makePrivateDirs(dir))
    return;
  std::string pattern = dir + "/.new-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (!::mkdtemp(name.data()))
    return;
  std::string temporary = name.data(), manifest, error;
  bool ok = true;
  for (const std::string &source : sources) {
    std::string object = objectName(source), data;
    ok = readFile(folder + "/" + kRuntimeFolder + "/" + object, data, error) &&
         writeAtomically(temporary + "/" + object, data, error);
    if (!ok)
      break;
    manifest += manifestLine(object, data);
  }
  if (!ok || !writeAtomically(temporary + "/manifest", manifest, error) ||
      ::rename(temporary.c_str(), (dir + "/" + key).c_str()) != 0)
    removeTree(temporary);
  evictRuntimeEntries(dir, key);
}

} // namespace

std::string defaultModuleName(const std::string &hashInput) {
  return "mstap_" + sha256Hex(hashInput).substr(0, 16);
}

std::optional<std::string> validateModuleName(const std::string &name) {
  if (name.empty())
    return std::string("the module name is empty");
  if (name.size() > kMaxModuleName)
    return "the module name '" + name + "' is too long: " + std::to_string(name.size()) + " characters, at most " +
           std::to_string(kMaxModuleName);
  if (std::isdigit(static_cast<unsigned char>(name[0])))
    return "the module name '" + name + "' starts with a digit";
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
      return "the module name '" + name + "' may only hold letters, digits and '_'";
  return std::nullopt;
}

bool cleanCache(const std::string &cacheDir, std::string &error) {
  if (cacheDir.empty()) {
    error = "no cache folder is known ($XDG_CACHE_HOME and $HOME are unset)";
    return false;
  }
  for (const std::string &folder : {modulesDir(cacheDir), runtimeObjectsDir(cacheDir)}) {
    // Renamed away first, so that a concurrent run never sees half an entry.
    std::string doomed = cacheDir + "/." + fs::path(folder).filename().string() + "-removed-" +
                         std::to_string(::getpid());
    if (::rename(folder.c_str(), doomed.c_str()) != 0) {
      if (errno == ENOENT)
        continue;
      error = errnoText("cannot remove", folder);
      return false;
    }
    std::error_code ec;
    fs::remove_all(doomed, ec);
    if (ec) {
      error = "cannot remove " + doomed + ": " + ec.message();
      return false;
    }
  }
  return true;
}

uint64_t defaultCacheLimitBytes() {
  if (const char *mb = std::getenv("MSTAP_CACHE_LIMIT_MB"); mb && *mb) {
    char *end = nullptr;
    unsigned long long value = std::strtoull(mb, &end, 10);
    if (end && *end == '\0')
      return static_cast<uint64_t>(value) << 20;
  }
  return kDefaultCacheLimit;
}

std::string cacheDirectoryFor(const BuildRequest &request) {
  return request.cacheDir.empty() ? kernel::defaultCacheDirectory() : request.cacheDir;
}

// What a module's and the runtime objects' keys both cover: -D and -B
// settings, the environment that reaches kbuild, the runtime's files, the
// build tree's identity. False, with `error`, when one cannot be read.
static bool hashBuildInputs(Sha256 &key, const BuildRequest &request, std::string &error) {
  key.field("defines " + std::to_string(request.defines.size()));
  for (const std::string &d : request.defines)
    key.field(d);
  key.field("settings " + std::to_string(request.kbuildSettings.size()));
  for (const std::string &s : request.kbuildSettings)
    key.field(s);
  key.field("environment");
  key.field(kbuildEnvironment(request));
  // The runtime: every regular file, by relative path, in a stable order.
  key.field("runtime");
  if (!request.runtimeDir.empty() && !hashFolder(key, request.runtimeDir, error))
    return false;
  // The build tree's identity.
  key.field("tree");
  key.field(request.release);
  std::string tree = treeDigest(request.buildTree, cacheDirectoryFor(request), error);
  if (tree.empty())
    return false;
  key.field(tree);
  return true;
}

std::string cacheKey(const BuildRequest &request, std::string &error) {
  Sha256 key;
  key.field("mstap module cache key");
  key.field(kBuildVersion);
  key.field(request.moduleName);
  key.field(request.cacheKeyText);
  key.field(sha256Hex(request.cSource));
  return hashBuildInputs(key, request, error) ? key.hexDigest() : "";
}

std::vector<std::string> runtimeSources(const std::string &runtimeDir) {
  std::vector<std::string> sources;
  if (runtimeDir.empty())
    return sources;
  std::error_code ec;
  for (fs::directory_iterator it(runtimeDir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() > 2 && name.compare(name.size() - 2, 2, ".c") == 0 && name[0] != '.' && it->is_regular_file())
      sources.push_back(name);
  }
  std::sort(sources.begin(), sources.end());
  return sources;
}

std::string kbuildEnvironment(const BuildRequest &request) {
  std::vector<std::string> keyed;
  for (char **entry = environ; entry && *entry; ++entry)
    if (keyedVariable(std::string(*entry, std::strcspn(*entry, "="))))
      keyed.push_back(*entry);
  std::sort(keyed.begin(), keyed.end());
  std::string text;
  for (const std::string &variable : keyed)
    text += variable + "\n";
  std::string compiler = expectedCompiler(request);
  std::string path = compiler.empty() ? "" : support::findInPath(compiler);
  struct stat st;
  text += "compiler " + path;
  if (!path.empty() && ::stat(path.c_str(), &st) == 0)
    text += " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
            std::to_string(st.st_mtim.tv_nsec);
  return text + "\n";
}

std::string runtimeObjectsDir(const std::string &cacheDir) { return cacheDir + "/runtime"; }

std::string runtimeObjectsKey(const BuildRequest &request, std::string &error) {
  Sha256 key;
  key.field("mstap runtime objects key");
  key.field(kBuildVersion);
  return hashBuildInputs(key, request, error) ? key.hexDigest() : "";
}

int evictCache(const std::string &cacheDir, uint64_t limitBytes, const std::string &keepHash) {
  struct Entry {
    std::string name;
    int64_t usedNs;
    uint64_t bytes;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::string modules = modulesDir(cacheDir);
  std::error_code ec;
  for (fs::directory_iterator it(modules, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.')
      continue; // in the making, or being removed
    struct stat st;
    if (::stat(it->path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      continue;
    Entry entry{name, int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec, treeSize(it->path())};
    total += entry.bytes;
    entries.push_back(std::move(entry));
  }
  if (total <= limitBytes)
    return 0;
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
    return a.usedNs != b.usedNs ? a.usedNs < b.usedNs : a.name < b.name;
  });
  int removed = 0;
  for (const Entry &entry : entries) {
    if (total <= limitBytes)
      break;
    if (entry.name == keepHash)
      continue;
    // Renamed away first: a concurrent lookup finds the whole entry or none.
    std::string from = modules + "/" + entry.name;
    std::string doomed = modules + "/.old-" + entry.name + "-" + std::to_string(::getpid());
    if (::rename(from.c_str(), doomed.c_str()) != 0)
      continue;
    removeTree(doomed);
    total -= std::min(total, entry.bytes);
    ++removed;
  }
  return removed;
}

BuildResult buildModule(const BuildRequest &request) {
  auto start = std::chrono::steady_clock::now();
  BuildResult result;
  auto finish = [&]() -> BuildResult {
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  };
  auto fail = [&](std::string message) {
    result.message = std::move(message);
    return finish();
  };

  if (auto bad = validateModuleName(request.moduleName))
    return fail(*bad);
  if (request.buildTree.empty() || !kernel::isDirectory(request.buildTree))
    return fail("the kernel build tree '" + request.buildTree + "' is not a folder");
  if (!kernel::isReadableFile(request.buildTree + "/Makefile"))
    return fail("the kernel build tree " + request.buildTree + " has no Makefile");
  if (!plainPath(request.buildTree))
    return fail("the kernel build tree's path '" + request.buildTree + "' has characters make cannot take");
  if (!request.runtimeDir.empty() && !plainPath(request.runtimeDir))
    return fail("the runtime folder's path '" + request.runtimeDir + "' has characters make cannot take");
  if (!request.runtimeDir.empty() && !kernel::isDirectory(request.runtimeDir))
    return fail("the runtime folder '" + request.runtimeDir + "' is not a folder");
  for (const std::string &define : request.defines)
    if (!validIdentifier(define.substr(0, define.find('='))))
      return fail("-D " + define + ": the macro name must be a C identifier");
  for (const std::string &setting : request.kbuildSettings) {
    size_t eq = setting.find('=');
    if (eq == std::string::npos || eq == 0 || setting.find_first_of(" \t", 0) < eq)
      return fail("-B " + setting + ": expected NAME=VALUE");
  }
  std::string outputDir = request.outputDir.empty() ? "." : request.outputDir;
  if (!kernel::isDirectory(outputDir))
    return fail("the output folder '" + outputDir + "' is not a folder");
  std::string koPath = outputDir + "/" + request.moduleName + ".ko";

  // The cache first: a hit costs a key and a copy.
  std::string cacheDir, hash;
  if (request.useCache) {
    cacheDir = cacheDirectoryFor(request);
    // A cache that is not to be trusted is not used at all (see "trust").
    std::string why;
    if (!cacheDir.empty() && !makePrivateDirs(cacheDir))
      why = errnoText("cannot create", cacheDir);
    if (!cacheDir.empty() && why.empty())
      why = distrustCacheDir(cacheDir);
    for (const std::string &dir : {modulesDir(cacheDir), runtimeObjectsDir(cacheDir)})
      if (!cacheDir.empty() && why.empty() && fs::exists(dir))
        why = distrustPath(dir, true);
    if (!why.empty()) {
      result.cacheNote = "not using the cache " + cacheDir + ": " + why;
      cacheDir.clear();
      why.clear();
    }
    std::string keyError;
    if (!cacheDir.empty())
      hash = cacheKey(request, keyError);
    if (!hash.empty() && cacheLookup(modulesDir(cacheDir) + "/" + hash, request, koPath, why)) {
      result.ok = true;
      result.cacheHit = true;
      result.koPath = koPath;
      return finish();
    }
    if (!why.empty())
      result.cacheNote = "not using the cached module: " + why + "; rebuilt";
  }

  // What kbuild needs to run at all, said plainly.
  if (support::findInPath("make").empty())
    return fail("cannot build the module: 'make' is not installed (on Debian and Ubuntu: apt-get install make)");
  std::string compiler = expectedCompiler(request);
  if (!compiler.empty() && support::findInPath(compiler).empty())
    return fail("cannot build the module: the kernel in " + request.buildTree + " is built with '" + compiler +
                "', which is not installed (on Debian and Ubuntu: apt-get install " + compiler + ")");

  std::string error;
  std::string folder = makeTempDir(error);
  if (folder.empty())
    return fail(error);
  // The script's C, alone (NAME.c) or linked with the runtime's objects
  // (NAME_script.c and mstap_runtime/*.o: see "runtime objects" above).
  std::vector<std::string> sources = runtimeSources(request.runtimeDir);
  bool linked = !sources.empty();
  std::string scriptFile = request.moduleName + (linked ? "_script.c" : ".c");
  std::string runtimeKey;
  bool runtimeCached = false;
  if (linked && !cacheDir.empty()) {
    std::string keyError;
    runtimeKey = runtimeObjectsKey(request, keyError);
    std::string entry = runtimeObjectsDir(cacheDir) + "/" + runtimeKey;
    if (!runtimeKey.empty()) {
      std::string why;
      runtimeCached = runtimeLookup(entry, sources, folder, why);
      if (!runtimeCached && fs::exists(entry))
        removeEntry(entry); // incomplete, damaged or not to be trusted: rebuilt below, stored anew
      if (!why.empty())
        result.cacheNote += (result.cacheNote.empty() ? "" : "\n") + std::string("not using the cached runtime objects: ") +
                            why + "; rebuilt";
    }
  }
  if (linked && !runtimeCached) {
    std::string into = folder + "/" + kRuntimeFolder;
    removeTree(into); // what a failed lookup left
    std::error_code ec;
    fs::create_directories(into, ec);
    for (const std::string &source : sources)
      if (ec || !copyAtomically(request.runtimeDir + "/" + source, into + "/" + source, error)) {
        removeTree(folder);
        return fail(ec ? "cannot create " + into + ": " + ec.message() : error);
      }
  }
  std::string kbuild = "# Written by mstap for module " + request.moduleName + "\nobj-m := " + request.moduleName +
                       ".o\n";
  if (linked) {
    kbuild += request.moduleName + "-y := " + request.moduleName + "_script.o";
    for (const std::string &source : sources)
      kbuild += std::string(" ") + kRuntimeFolder + "/" + objectName(source);
    kbuild += "\n";
  }
  kbuild += "ccflags-y :=";
  if (!request.runtimeDir.empty()) // kbuild runs the compiler in the tree: an absolute path
    kbuild += " -I" + fs::absolute(request.runtimeDir).lexically_normal().string();
  kbuild += " -Werror";
  for (const std::string &define : request.defines)
    kbuild += " " + kbuildWord("-D" + define);
  kbuild += "\n";
  if (!writeAtomically(folder + "/" + scriptFile, request.cSource, error) ||
      !writeAtomically(folder + "/Kbuild", kbuild, error)) {
    removeTree(folder);
    return fail(error);
  }
  result.runtimeObjectsCached = runtimeCached;

  std::vector<std::string> argv = {"make", "-C", request.buildTree, "M=" + folder};
  if (request.verbose >= 2)
    argv.push_back("V=1");
  if (linked && !runtimeCached) {
    // The runtime's files compile alongside the script's: as many jobs as
    // files, up to the CPUs.
    size_t jobs = std::min<size_t>(sources.size() + 1, std::max(1u, std::thread::hardware_concurrency()));
    if (jobs > 1)
      argv.push_back("-j" + std::to_string(jobs));
  }
  for (const std::string &setting : request.kbuildSettings)
    argv.push_back(setting);
  argv.push_back("modules");
  // A make that runs mstap must not hand kbuild its own flags and jobserver.
  std::vector<std::string> dropped = unkeyedEnvironment();
  dropped.insert(dropped.end(), {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"});
  support::Captured make = support::runAndCapture(argv, {true, dropped});

  std::string builtKo = folder + "/" + request.moduleName + ".ko";
  if (!make.started || make.exitCode != 0 || !kernel::isReadableFile(builtKo)) {
    result.kbuildOutput = make.out;
    result.keptDir = folder;
    // The compiler's errors about the generated file (or a runtime header it
    // includes, or a runtime .c file), or modpost refusing it (a symbol the
    // kernel does not export).
    bool compileError = ((make.out.find(scriptFile + ":") != std::string::npos ||
                          make.out.find(std::string(kRuntimeFolder) + "/") != std::string::npos) &&
                         make.out.find("error:") != std::string::npos) ||
                        make.out.find("ERROR: modpost:") != std::string::npos;
    std::string where = "the build folder " + folder + " is kept";
    if (!make.started) {
      result.message = "cannot run make: " + make.error + "; " + where;
    } else if (compileError) {
      result.internalError = true;
      result.message = "internal error: the C that mstap generated for module " + request.moduleName +
                       " does not build. This is a bug in mstap; please report it with the files in " + folder +
                       " (kept). kbuild's output (" + make.describeStatus() + "):\n" + tail(make.out, 200);
    } else if (make.exitCode == 0) {
      result.internalError = true;
      result.message = "internal error: kbuild succeeded but wrote no " + request.moduleName + ".ko; " + where +
                       ". kbuild's output:\n" + tail(make.out, 200);
    } else {
      result.message = "kbuild failed to build module " + request.moduleName + " against " + request.buildTree +
                       " (" + make.describeStatus() + "); " + where + ". Its output:\n" + tail(make.out, 200);
    }
    return finish();
  }

  if (!copyAtomically(builtKo, koPath, error)) {
    result.keptDir = folder;
    return fail(error + "; the build folder " + folder + " is kept");
  }
  if (!hash.empty())
    cacheStore(cacheDir, hash, request, builtKo);
  if (linked && !runtimeCached && !runtimeKey.empty() && request.useCache)
    runtimeStore(runtimeObjectsDir(cacheDir), runtimeKey, sources, folder);

  result.ok = true;
  result.koPath = koPath;
  if (request.verbose >= 1)
    result.kbuildOutput = make.out;
  if (request.keepTemporary) {
    result.keptDir = folder;
    result.message = "Keeping temporary directory \"" + folder + "\"";
  } else {
    removeTree(folder);
  }
  return finish();
}

} // namespace mstap::build
