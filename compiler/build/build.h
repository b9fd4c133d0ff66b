// Pass 4: builds the generated C into NAME.ko with the kernel's own kbuild,
// and keeps built modules in a cache keyed by everything that goes into them.
//
//   BuildRequest request;
//   request.cSource = generatedC; request.moduleName = name;
//   request.buildTree = environment.buildDir; request.release = target.release;
//   request.runtimeDir = ".../runtime"; request.cacheKeyText = elaborated script + options;
//   BuildResult result = buildModule(request);
//   if (!result.ok) print result.message (it holds kbuild's output), exit 1
//   else if (result.cacheHit) "Pass 4: using cached " + result.koPath
//   if (verbose && result.ok) print result.kbuildOutput
//
// Pass 3's output must be deterministic: the C source is part of the key.
//
// The runtime's .c files (runtimeDir/*.c) are compiled once per build tree,
// -D set, -B settings and kbuild environment, and their objects kept in
// CACHE/runtime/KEY/; each module is the script's C (NAME_script.c) linked
// with those objects. Without runtime .c files the module is NAME.c alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mstap::build {

// Part of every cache key: a new mstap never reuses an older one's modules.
extern const char *const kBuildVersion;

struct BuildRequest {
  std::string cSource;            // the generated C (pass 3's output)
  std::string moduleName;         // validated by the caller with validateModuleName
  std::string buildTree;          // kernel build dir (kernel::checkBuildEnvironment(...).buildDir)
  std::string release;            // the target's release string
  std::string runtimeDir;         // the runtime: its *.h (added with -I) and *.c (linked in)
  std::vector<std::string> defines;        // -D NAME[=VALUE] as "NAME[=VALUE]": -DNAME[=VALUE] in ccflags-y
  std::vector<std::string> kbuildSettings; // -B NAME=VALUE: on make's command line
  bool keepTemporary = false;     // -k: keep the build folder, and say where
  int verbose = 0;                // >=1: kbuildOutput filled on success too; >=2: make V=1
  bool useCache = true;           // false with --disable-cache
  std::string cacheKeyText;       // the caller's part of the key (elaborated script + options that matter)
  std::string outputDir = ".";    // NAME.ko lands here
  std::string cacheDir;           // empty: kernel::defaultCacheDirectory() ($XDG_CACHE_HOME/mstap, ~/.cache/mstap)
  uint64_t cacheLimitBytes = 0;   // 0: $MSTAP_CACHE_LIMIT_MB MiB, else 256 MiB
};

struct BuildResult {
  bool ok = false;
  bool cacheHit = false;
  // The runtime's objects were taken from CACHE/runtime rather than
  // compiled (false on a module cache hit: nothing was linked).
  bool runtimeObjectsCached = false;
  // The generated C did not compile: mstap's bug, not the user's. The build
  // folder is kept and named in `message`.
  bool internalError = false;
  std::string koPath;       // OUTPUT_DIR/NAME.ko on success
  std::string keptDir;      // the build folder when it was kept (-k, or a failed build)
  std::string message;      // for the user: the error (with kbuild's output), or where the folder was kept
  std::string kbuildOutput; // make's output: always on failure, on success with verbose >= 1
  // Why the cache, a cached module or the cached runtime objects were not
  // used (not the user's own, writable by others, not what was stored):
  // shown with -v. Empty when nothing was passed over.
  std::string cacheNote;
  double seconds = 0;       // wall time of buildModule
};

BuildResult buildModule(const BuildRequest &request);

// "mstap_" + 16 hex digits of SHA-256(hashInput).
std::string defaultModuleName(const std::string &hashInput);

// An error text when `name` cannot name a module: letters, digits and '_',
// 1 to 55 characters, not starting with a digit.
std::optional<std::string> validateModuleName(const std::string &name);

// Removes CACHE/modules and CACHE/runtime (--clean-cache). True when they
// are gone or never were.
bool cleanCache(const std::string &cacheDir, std::string &error);

// ------------------------------------------------------------ cache parts
// Exposed for the tests and the benchmark.

// The hex SHA-256 key of a request: the module name, cacheKeyText, cSource,
// defines, kbuild settings, every file under runtimeDir (path and content),
// kBuildVersion, and the build tree's identity (release; the content of
// .config, Module.symvers, include/generated/utsrelease.h and the top
// Makefile(s); the compiler line of include/generated/compile.h; this part is
// remembered in CACHE/modules/.trees by the files' inode, size, mtime and
// ctime, so that a hit need not hash the tree's 2 MB again). Empty, with
// `error` set, when a file of the build tree or runtime cannot be read.
std::string cacheKey(const BuildRequest &request, std::string &error);

// The hex SHA-256 key of the runtime's objects for a request: every file
// under runtimeDir, the defines, the kbuild settings, the kbuild
// environment (kbuildEnvironment), kBuildVersion and the build tree's
// identity (as cacheKey). Not the script, its C, nor the module name.
std::string runtimeObjectsKey(const BuildRequest &request, std::string &error);

// The runtime's .c files directly under runtimeDir, sorted ("" dir: none).
std::vector<std::string> runtimeSources(const std::string &runtimeDir);

// What of mstap's environment reaches the code kbuild compiles, as text:
// the variables kbuild or the compiler read from it (KCFLAGS, KCPPFLAGS,
// ARCH, CROSS_COMPILE, LLVM, LLVM_IAS, KBUILD_EXTRA_WARN, CPATH,
// C_INCLUDE_PATH, GCC_EXEC_PREFIX, COMPILER_PATH), and which compiler
// binary PATH finds (its path, size and mtime). Part of both keys.
std::string kbuildEnvironment(const BuildRequest &request);

// CACHE/runtime: the runtime's compiled objects, one folder per key.
std::string runtimeObjectsDir(const std::string &cacheDir);

// The cache folder a request uses ("" when none is known).
std::string cacheDirectoryFor(const BuildRequest &request);

// The limit used when a request gives none: $MSTAP_CACHE_LIMIT_MB, else 256 MiB.
uint64_t defaultCacheLimitBytes();

// Removes whole entries of CACHE/modules, least recently used first (an
// entry's folder mtime, refreshed on every hit), until their total size is at
// most `limitBytes`. Never removes the entry `keepHash`. Returns how many
// entries were removed.
int evictCache(const std::string &cacheDir, uint64_t limitBytes, const std::string &keepHash = "");

} // namespace mstap::build
