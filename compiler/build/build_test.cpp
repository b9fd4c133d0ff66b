// Pass 4: module names, cache keys and eviction on fake trees; real builds
// against the kernel headers installed under /usr/src (skipped without them).
#include "build/build.h"
#include "build/sha256.h"
#include "kernel/files.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <glob.h>
#include <pwd.h>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mstap::build;

namespace {

class TempDir {
public:
  TempDir() {
    std::string pattern = fs::temp_directory_path().string() + "/mstap-build-test-XXXXXX";
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

void writeFile(const std::string &path, const std::string &text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A build tree with just the files the cache key reads.
struct FakeTree {
  TempDir dir;
  FakeTree() {
    writeFile(dir.path() + "/tree/.config", "CONFIG_CC_VERSION_TEXT=\"gcc-12 (Debian 12.2.0-14) 12.2.0\"\nCONFIG_X=y\n");
    writeFile(dir.path() + "/tree/Module.symvers", "0x1\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n");
    writeFile(dir.path() + "/tree/Makefile", "# fake\n");
    writeFile(dir.path() + "/runtime/mstap_module.h", "/* runtime */\n");
    writeFile(dir.path() + "/runtime/sub/part.h", "/* part */\n");
  }
  BuildRequest request() const {
    BuildRequest r;
    r.cSource = "int x;\n";
    r.moduleName = "mstap_test";
    r.buildTree = dir.path() + "/tree";
    r.release = "6.1.0-1-amd64";
    r.runtimeDir = dir.path() + "/runtime";
    r.cacheKeyText = "probe begin {}";
    r.cacheDir = dir.path() + "/cache";
    return r;
  }
};

std::string keyOf(const BuildRequest &r) {
  std::string error;
  std::string key = cacheKey(r, error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(key.size(), 64u);
  return key;
}

const char *const kHelloModule = R"(#include <linux/module.h>
#include <linux/init.h>
MODULE_LICENSE("GPL");
#ifndef MSTAP_TEST_DEFINE
#error the -D define did not reach the compiler
#endif
_Static_assert(sizeof(MSTAP_TEST_STR) == 10, "the quoted define was mangled");
static int __init hello_init(void) { return 0; }
static void __exit hello_exit(void) { }
module_init(hello_init);
module_exit(hello_exit);
)";

// An installed Debian headers tree with a Module.symvers, or "".
std::string installedTree(std::string &release) {
  glob_t found;
  std::string tree;
  if (::glob("/usr/src/linux-headers-*-amd64/Module.symvers", 0, nullptr, &found) == 0) {
    for (size_t i = 0; i < found.gl_pathc && tree.empty(); ++i) {
      std::string dir = fs::path(found.gl_pathv[i]).parent_path().string();
      if (dir.find("-rt-") == std::string::npos) // a plain flavour first
        tree = dir;
    }
    if (tree.empty())
      tree = fs::path(found.gl_pathv[0]).parent_path().string();
  }
  globfree(&found);
  if (!tree.empty())
    release = fs::path(tree).filename().string().substr(std::string("linux-headers-").size());
  return tree;
}

class RealBuild : public ::testing::Test {
protected:
  void SetUp() override {
    tree = installedTree(release);
    if (tree.empty())
      GTEST_SKIP() << "no /usr/src/linux-headers-*-amd64 with a Module.symvers";
  }
  BuildRequest request(const std::string &name, const TempDir &dir) const {
    BuildRequest r;
    r.cSource = kHelloModule;
    r.moduleName = name;
    r.buildTree = tree;
    r.release = release;
    // A private runtime: the key covers its files, and the checkout's may be
    // edited while the tests run.
    writeFile(dir.path() + "/runtime/mstap_test_runtime.h", "#define MSTAP_TEST_RUNTIME 1\n");
    r.runtimeDir = dir.path() + "/runtime";
    r.defines = {"MSTAP_TEST_DEFINE", "MSTAP_TEST_STR=\"a b$x#y'z\""};
    r.cacheKeyText = "test";
    r.outputDir = dir.path();
    r.cacheDir = dir.path() + "/cache";
    return r;
  }
  std::string tree, release;
};

} // namespace

TEST(ModuleName, Validation) {
  EXPECT_FALSE(validateModuleName("stap_abc_123"));
  EXPECT_FALSE(validateModuleName("_x"));
  EXPECT_FALSE(validateModuleName(std::string(55, 'a')));
  EXPECT_TRUE(validateModuleName(std::string(56, 'a')));
  EXPECT_TRUE(validateModuleName(""));
  EXPECT_TRUE(validateModuleName("9lives"));
  EXPECT_TRUE(validateModuleName("has-dash"));
  EXPECT_TRUE(validateModuleName("has.dot"));
  EXPECT_TRUE(validateModuleName("ünï"));
  auto message = validateModuleName("has-dash");
  ASSERT_TRUE(message);
  EXPECT_NE(message->find("has-dash"), std::string::npos);
}

TEST(ModuleName, Default) {
  std::string a = defaultModuleName("probe begin { exit() }");
  EXPECT_EQ(a.size(), 6u + 16u);
  EXPECT_EQ(a.rfind("mstap_", 0), 0u);
  EXPECT_FALSE(validateModuleName(a));
  EXPECT_EQ(a, defaultModuleName("probe begin { exit() }"));
  EXPECT_NE(a, defaultModuleName("probe end { exit() }"));
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 pieces; // a million 'a', fed in uneven pieces
  std::string chunk(997, 'a');
  size_t left = 1000000;
  while (left > 0) {
    size_t n = std::min(left, chunk.size());
    pieces.update(chunk.data(), n);
    left -= n;
  }
  EXPECT_EQ(pieces.hexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(CacheKey, ChangesWithEveryInput) {
  FakeTree fake;
  BuildRequest base = fake.request();
  std::string key = keyOf(base);
  EXPECT_EQ(key, keyOf(base));

  auto differs = [&](const BuildRequest &r, const char *what) { EXPECT_NE(keyOf(r), key) << what; };
  BuildRequest r = base;
  r.moduleName = "mstap_other";
  differs(r, "module name");
  r = base;
  r.cacheKeyText += " ";
  differs(r, "script");
  r = base;
  r.cSource += "\n";
  differs(r, "C source");
  r = base;
  r.defines.push_back("MAXACTION=100");
  differs(r, "define");
  r = base;
  r.kbuildSettings.push_back("V=1");
  differs(r, "kbuild setting");
  r = base;
  r.release = "6.1.0-2-amd64";
  differs(r, "release");
  // Definitions split differently are not the same list.
  r = base;
  r.defines = {"AB", "C"};
  BuildRequest s = base;
  s.defines = {"A", "BC"};
  EXPECT_NE(keyOf(r), keyOf(s));

  writeFile(base.runtimeDir + "/sub/part.h", "/* part, changed */\n");
  differs(base, "runtime file content");
  std::string afterRuntime = keyOf(base);
  writeFile(base.runtimeDir + "/new.h", "");
  EXPECT_NE(keyOf(base), afterRuntime) << "new runtime file";

  std::string before = keyOf(base);
  writeFile(base.buildTree + "/.config", "CONFIG_CC_VERSION_TEXT=\"gcc-12\"\nCONFIG_X=n\n");
  EXPECT_NE(keyOf(base), before) << ".config";
  before = keyOf(base);
  writeFile(base.buildTree + "/Module.symvers", "0x2\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n");
  EXPECT_NE(keyOf(base), before) << "Module.symvers";
  before = keyOf(base);
  writeFile(base.buildTree + "/include/generated/compile.h", "#define LINUX_COMPILER \"gcc-12 12.3\"\n");
  EXPECT_NE(keyOf(base), before) << "compiler line";
}

TEST(CacheKey, TreeDigestIsRememberedAndRevalidated) {
  FakeTree fake;
  BuildRequest r = fake.request();
  std::string key = keyOf(r);
  std::string trees = r.cacheDir + "/modules/.trees";
  ASSERT_TRUE(fs::is_directory(trees));
  EXPECT_EQ(std::distance(fs::directory_iterator(trees), fs::directory_iterator()), 1);
  EXPECT_EQ(keyOf(r), key) << "from the memo";
  // Same size, new content: the file's ctime moves, so the memo is not used.
  writeFile(r.buildTree + "/Module.symvers", "0x9\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n");
  std::string changed = keyOf(r);
  EXPECT_NE(changed, key);
  BuildRequest noMemo = r;
  noMemo.cacheDir = fake.dir.path() + "/other-cache";
  EXPECT_EQ(keyOf(noMemo), changed) << "the memo changes nothing but the time";
}

TEST(CacheKey, UnreadableTreeIsAnError) {
  FakeTree fake;
  BuildRequest r = fake.request();
  r.buildTree += "/missing";
  std::string error;
  EXPECT_EQ(cacheKey(r, error), "");
  EXPECT_NE(error, "");
}

TEST(RuntimeObjectsKey, ChangesWithWhatReachesTheObjectsOnly) {
  FakeTree fake;
  BuildRequest base = fake.request();
  std::string error;
  std::string key = runtimeObjectsKey(base, error);
  ASSERT_EQ(error, "");
  ASSERT_EQ(key.size(), 64u);
  EXPECT_NE(key, keyOf(base)) << "not the module's key";
  auto keyFor = [](const BuildRequest &r) {
    std::string e;
    std::string k = runtimeObjectsKey(r, e);
    EXPECT_EQ(e, "");
    return k;
  };
  // The script is not an input of the runtime's objects.
  BuildRequest r = base;
  r.moduleName = "mstap_other";
  r.cSource += "\n";
  r.cacheKeyText += " ";
  EXPECT_EQ(keyFor(r), key);

  r = base;
  r.defines.push_back("MAXACTION=100");
  EXPECT_NE(keyFor(r), key) << "a -D limit";
  r = base;
  r.kbuildSettings.push_back("CC=clang");
  EXPECT_NE(keyFor(r), key) << "a -B setting";
  r = base;
  r.release = "6.1.0-2-amd64";
  EXPECT_NE(keyFor(r), key) << "release";
  ::setenv("KCFLAGS", "-O1", 1);
  std::string withFlags = keyFor(base);
  std::string moduleWithFlags = keyOf(base);
  ::unsetenv("KCFLAGS");
  EXPECT_NE(withFlags, key) << "KCFLAGS in the environment";
  EXPECT_NE(moduleWithFlags, keyOf(base)) << "the module's key covers the environment too";
  ::setenv("KBUILD_EXTRA_SYMBOLS", "/tmp/Module.symvers", 1);
  std::string withKbuild = keyFor(base);
  ::unsetenv("KBUILD_EXTRA_SYMBOLS");
  EXPECT_NE(withKbuild, key) << "a KBUILD_* variable";
  ::setenv("CONFIG_MSTAP_UNKEYED", "y", 1);
  std::string withUnkeyed = keyFor(base);
  ::unsetenv("CONFIG_MSTAP_UNKEYED");
  EXPECT_EQ(withUnkeyed, key) << "a variable make does not get";
  writeFile(base.runtimeDir + "/part.c", "int part;\n");
  EXPECT_NE(keyFor(base), key) << "a runtime source";
  std::string withSource = keyFor(base);
  writeFile(base.runtimeDir + "/sub/part.h", "/* part, changed */\n");
  EXPECT_NE(keyFor(base), withSource) << "a runtime header";
  std::string before = keyFor(base);
  writeFile(base.buildTree + "/Module.symvers", "0x2\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n");
  EXPECT_NE(keyFor(base), before) << "the build tree";
}

TEST(RuntimeObjectsKey, SourcesAreTheTopLevelCFiles) {
  TempDir dir;
  writeFile(dir.path() + "/b.c", "");
  writeFile(dir.path() + "/a.c", "");
  writeFile(dir.path() + "/a.h", "");
  writeFile(dir.path() + "/sub/c.c", "");
  writeFile(dir.path() + "/.hidden.c", "");
  EXPECT_EQ(runtimeSources(dir.path()), (std::vector<std::string>{"a.c", "b.c"}));
  EXPECT_TRUE(runtimeSources("").empty());
}

TEST(Cache, CleanRemovesTheRuntimeObjectsToo) {
  TempDir dir;
  writeFile(runtimeObjectsDir(dir.path()) + "/0123/manifest", "");
  writeFile(dir.path() + "/modules/abcd/m.ko", "");
  std::string error;
  EXPECT_TRUE(cleanCache(dir.path(), error)) << error;
  EXPECT_FALSE(fs::exists(runtimeObjectsDir(dir.path())));
  EXPECT_FALSE(fs::exists(dir.path() + "/modules"));
}

TEST(Cache, EvictsLeastRecentlyUsedFirst) {
  TempDir dir;
  std::string modules = dir.path() + "/modules";
  auto makeEntry = [&](const std::string &name, size_t bytes, int ageSeconds) {
    writeFile(modules + "/" + name + "/m.ko", std::string(bytes, 'x'));
    struct timespec times[2];
    clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= ageSeconds;
    times[1] = times[0];
    ASSERT_EQ(::utimensat(AT_FDCWD, (modules + "/" + name).c_str(), times, 0), 0);
  };
  makeEntry("oldest", 1000, 400);
  makeEntry("old", 1000, 300);
  makeEntry("kept", 1000, 500); // the oldest, but just stored
  makeEntry("new", 1000, 100);
  makeEntry("newest", 1000, 0);
  makeEntry(".new-abc", 100000, 1000); // in the making: neither counted nor touched

  EXPECT_EQ(evictCache(dir.path(), 10000, "kept"), 0);
  EXPECT_EQ(evictCache(dir.path(), 3000, "kept"), 2);
  EXPECT_FALSE(fs::exists(modules + "/oldest"));
  EXPECT_FALSE(fs::exists(modules + "/old"));
  EXPECT_TRUE(fs::exists(modules + "/kept"));
  EXPECT_TRUE(fs::exists(modules + "/new"));
  EXPECT_TRUE(fs::exists(modules + "/newest"));
  EXPECT_TRUE(fs::exists(modules + "/.new-abc"));
  EXPECT_EQ(evictCache(dir.path(), 1000), 2);
  EXPECT_TRUE(fs::exists(modules + "/newest"));

  std::string error;
  EXPECT_TRUE(cleanCache(dir.path(), error)) << error;
  EXPECT_FALSE(fs::exists(modules));
  EXPECT_TRUE(cleanCache(dir.path(), error)) << "cleaning an empty cache";
}

// A module planted in the cache is served only when the entry, its files
// and the cache folder are the user's own and writable by nobody else, and
// the module is the one its entry recorded; otherwise the entry is removed
// and the module rebuilt (here: the build then stops, make being absent).
TEST(Cache, PlantedModulesAreNotServed) {
  FakeTree fake;
  TempDir out;
  BuildRequest r = fake.request();
  r.outputDir = out.path();
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", (fake.dir.path() + "/no-bin").c_str(), 1);
  std::string entry = r.cacheDir + "/modules/" + keyOf(r);
  std::string ko = entry + "/" + r.moduleName + ".ko";
  auto plant = [&](const std::string &module, const std::string &recorded) {
    fs::remove_all(entry);
    writeFile(ko, module);
    writeFile(entry + "/about", "module mstap_test\nsha256 " + sha256Hex(recorded) + "\n");
    ::chmod(r.cacheDir.c_str(), 0700);
    ::chmod((r.cacheDir + "/modules").c_str(), 0700);
    ::chmod(entry.c_str(), 0700);
    ::chmod(ko.c_str(), 0644);
    ::chmod((entry + "/about").c_str(), 0644);
  };
  auto refused = [&](const char *what, const std::string &reason) {
    BuildResult result = buildModule(r);
    EXPECT_FALSE(result.cacheHit) << what;
    EXPECT_NE(result.cacheNote.find(reason), std::string::npos) << what << ": " << result.cacheNote;
    EXPECT_NE(result.message.find("'make' is not installed"), std::string::npos) << what << ": " << result.message;
  };

  plant("module", "module");
  BuildResult hit = buildModule(r);
  EXPECT_TRUE(hit.cacheHit) << "an entry as mstap stores it: " << hit.message << hit.cacheNote;
  EXPECT_EQ(readFile(out.path() + "/mstap_test.ko"), "module");

  plant("another module", "module");
  refused("a replaced module", "another module than the one it recorded");
  EXPECT_FALSE(fs::exists(entry)) << "the planted entry is removed, so that the rebuilt one can be stored";

  plant("module", "module");
  ::chmod(ko.c_str(), 0664);
  refused("a group-writable module", "writable by its group or others");
  plant("module", "module");
  ::chmod(entry.c_str(), 0777);
  refused("a world-writable entry", "writable by its group or others");
  plant("module", "module");
  fs::rename(ko, entry + "/real.ko");
  fs::create_symlink(entry + "/real.ko", ko);
  refused("a symbolic link", "cannot open");
  if (::geteuid() == 0) {
    plant("module", "module");
    ASSERT_EQ(::chown(ko.c_str(), 65534, 65534), 0);
    refused("a module of nobody's", "belongs to user 65534");
    plant("module", "module");
    ASSERT_EQ(::chown(entry.c_str(), 65534, 65534), 0);
    refused("an entry of nobody's", "belongs to user 65534");
  }
  // A cache folder others can write to is not used at all.
  plant("module", "module");
  ::chmod(r.cacheDir.c_str(), 0770);
  refused("a group-writable cache", "not using the cache " + r.cacheDir);
  EXPECT_TRUE(fs::exists(ko)) << "left as it is";
  ::chmod(r.cacheDir.c_str(), 0700);
  ::chmod((r.cacheDir + "/modules").c_str(), 0757);
  refused("a world-writable modules folder", "not using the cache");
  ::setenv("PATH", path.c_str(), 1);
}

// Folders the cache creates are private, whatever the umask.
TEST(Cache, FoldersArePrivate) {
  FakeTree fake;
  BuildRequest r = fake.request();
  mode_t old = ::umask(0);
  keyOf(r);
  ::umask(old);
  struct stat st;
  ASSERT_EQ(::stat((r.cacheDir + "/modules/.trees").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u);
}

// Under sudo -E, $HOME (and $XDG_CACHE_HOME) are another user's: root keeps
// its own cache rather than build from or load what that user put there.
TEST(Cache, AnotherUsersHomeIsNotUsed) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root, to hand a folder to another user";
  TempDir home;
  ASSERT_EQ(::chown(home.path().c_str(), 65534, 65534), 0);
  std::string oldHome = std::getenv("HOME") ? std::getenv("HOME") : "";
  const char *xdg = std::getenv("XDG_CACHE_HOME");
  std::string oldXdg = xdg ? xdg : "";
  ::unsetenv("XDG_CACHE_HOME");
  ::setenv("HOME", home.path().c_str(), 1);
  std::string chosen = mstap::kernel::defaultCacheDirectory();
  ::setenv("XDG_CACHE_HOME", (home.path() + "/cache").c_str(), 1);
  std::string chosenXdg = mstap::kernel::defaultCacheDirectory();
  TempDir own;
  ::setenv("HOME", own.path().c_str(), 1);
  ::unsetenv("XDG_CACHE_HOME");
  std::string ownChosen = mstap::kernel::defaultCacheDirectory();
  ::setenv("HOME", oldHome.c_str(), 1);
  if (xdg)
    ::setenv("XDG_CACHE_HOME", oldXdg.c_str(), 1);
  std::string rootHome = ::getpwuid(0)->pw_dir;
  EXPECT_EQ(chosen, rootHome + "/.cache/mstap");
  EXPECT_EQ(chosenXdg, rootHome + "/.cache/mstap");
  EXPECT_EQ(ownChosen, own.path() + "/.cache/mstap") << "a HOME of one's own is used";
}

TEST(Cache, LimitFromEnvironment) {
  ::setenv("MSTAP_CACHE_LIMIT_MB", "3", 1);
  EXPECT_EQ(defaultCacheLimitBytes(), 3ull << 20);
  ::unsetenv("MSTAP_CACHE_LIMIT_MB");
  EXPECT_EQ(defaultCacheLimitBytes(), 256ull << 20);
}

TEST(Build, BadRequestsAreRefused) {
  FakeTree fake;
  BuildRequest r = fake.request();
  r.moduleName = "bad-name";
  EXPECT_NE(buildModule(r).message.find("bad-name"), std::string::npos);
  r = fake.request();
  r.buildTree = fake.dir.path() + "/nowhere";
  EXPECT_NE(buildModule(r).message.find("not a folder"), std::string::npos);
  r = fake.request();
  r.defines = {"1BAD=2"};
  EXPECT_NE(buildModule(r).message.find("C identifier"), std::string::npos);
  r = fake.request();
  r.kbuildSettings = {"NOVALUE"};
  EXPECT_NE(buildModule(r).message.find("NAME=VALUE"), std::string::npos);
}

// make gets the variables the keys cover, and none that could change the
// build unseen (make takes each as a make variable: CONFIG_* among them).
TEST(Build, MakeGetsOnlyKeyedEnvironment) {
  FakeTree fake;
  TempDir out;
  BuildRequest r = fake.request();
  r.outputDir = out.path();
  r.useCache = false;
  std::string bin = fake.dir.path() + "/bin";
  writeFile(bin + "/make", "#!/bin/sh\nenv > " + fake.dir.path() + "/make.env\nexit 2\n");
  writeFile(bin + "/gcc-12", "#!/bin/sh\n");
  ::chmod((bin + "/make").c_str(), 0755);
  ::chmod((bin + "/gcc-12").c_str(), 0755);
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", (bin + ":/usr/bin:/bin").c_str(), 1);
  ::setenv("KCFLAGS", "-DMSTAP_KEYED", 1);
  ::setenv("CONFIG_MSTAP_UNKEYED", "y", 1);
  BuildResult result = buildModule(r);
  ::unsetenv("KCFLAGS");
  ::unsetenv("CONFIG_MSTAP_UNKEYED");
  ::setenv("PATH", path.c_str(), 1);
  EXPECT_FALSE(result.ok);
  if (!result.keptDir.empty())
    fs::remove_all(result.keptDir);
  std::string env = readFile(fake.dir.path() + "/make.env");
  EXPECT_NE(env.find("KCFLAGS=-DMSTAP_KEYED\n"), std::string::npos) << env;
  EXPECT_NE(env.find("PATH="), std::string::npos) << env;
  EXPECT_EQ(env.find("CONFIG_MSTAP_UNKEYED"), std::string::npos) << env;
}

TEST(Build, MissingMakeOrCompilerIsSaidPlainly) {
  FakeTree fake;
  TempDir out;
  BuildRequest r = fake.request();
  r.outputDir = out.path();
  r.useCache = false;
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", (fake.dir.path() + "/no-bin").c_str(), 1);
  BuildResult result = buildModule(r);
  ::setenv("PATH", path.c_str(), 1);
  EXPECT_FALSE(result.ok);
  EXPECT_FALSE(result.internalError);
  EXPECT_NE(result.message.find("'make' is not installed"), std::string::npos) << result.message;

  writeFile(r.buildTree + "/.config", "CONFIG_CC_VERSION_TEXT=\"gcc-no-such-version (x) 1\"\n");
  result = buildModule(r);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.message.find("'gcc-no-such-version', which is not installed"), std::string::npos)
      << result.message;
}

TEST_F(RealBuild, BuildsAndCaches) {
  TempDir dir;
  BuildRequest r = request("mstap_build_test_hello", dir);
  BuildResult cold = buildModule(r);
  ASSERT_TRUE(cold.ok) << cold.message;
  EXPECT_FALSE(cold.cacheHit);
  EXPECT_EQ(cold.koPath, dir.path() + "/mstap_build_test_hello.ko");
  EXPECT_EQ(cold.keptDir, "");
  EXPECT_EQ(cold.kbuildOutput, "") << "quiet without -v";
  std::string ko = readFile(cold.koPath);
  ASSERT_GT(ko.size(), 1000u);
  EXPECT_EQ(ko.compare(0, 4, "\x7f" "ELF"), 0);
  EXPECT_NE(ko.find("name=mstap_build_test_hello"), std::string::npos) << "modinfo names the module";
  EXPECT_NE(ko.find("vermagic=" + release), std::string::npos);

  fs::remove(cold.koPath);
  BuildResult hit = buildModule(r);
  ASSERT_TRUE(hit.ok) << hit.message;
  EXPECT_TRUE(hit.cacheHit);
  EXPECT_LT(hit.seconds, 0.5);
  EXPECT_EQ(readFile(hit.koPath), ko);

  // Another name is another module: never served from the first one's entry.
  BuildRequest other = request("mstap_build_test_other", dir);
  BuildResult second = buildModule(other);
  ASSERT_TRUE(second.ok) << second.message;
  EXPECT_FALSE(second.cacheHit);
  EXPECT_NE(readFile(second.koPath).find("name=mstap_build_test_other"), std::string::npos);
}

TEST_F(RealBuild, KeepTemporaryAndVerbose) {
  TempDir dir;
  BuildRequest r = request("mstap_build_test_keep", dir);
  // A relative runtime folder still reaches the compiler, which runs in the tree.
  std::string cwd = fs::current_path().string();
  writeFile(dir.path() + "/rt/mstap_test_runtime.h", "#define MSTAP_TEST_RUNTIME 1\n");
  fs::current_path(dir.path());
  r.runtimeDir = "rt";
  r.cSource = std::string("#include \"mstap_test_runtime.h\"\n") + kHelloModule;
  r.useCache = false;
  r.keepTemporary = true;
  r.verbose = 1;
  BuildResult result = buildModule(r);
  fs::current_path(cwd);
  ASSERT_TRUE(result.ok) << result.message;
  ASSERT_NE(result.keptDir, "");
  EXPECT_EQ(result.message, "Keeping temporary directory \"" + result.keptDir + "\"");
  EXPECT_TRUE(fs::exists(result.keptDir + "/mstap_build_test_keep.c"));
  EXPECT_TRUE(fs::exists(result.keptDir + "/Kbuild"));
  EXPECT_NE(result.kbuildOutput.find("mstap_build_test_keep"), std::string::npos) << result.kbuildOutput;
  EXPECT_FALSE(fs::exists(dir.path() + "/cache")) << "--disable-cache writes no cache";
  fs::remove_all(result.keptDir);
}

TEST_F(RealBuild, CompileErrorIsInternalAndKeepsTheFolder) {
  TempDir dir;
  BuildRequest r = request("mstap_build_test_broken", dir);
  r.cSource = std::string(kHelloModule) + "static int broken(void) { return undeclared_thing; }\n";
  BuildResult result = buildModule(r);
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.internalError);
  ASSERT_NE(result.keptDir, "");
  EXPECT_TRUE(fs::exists(result.keptDir + "/mstap_build_test_broken.c"));
  EXPECT_NE(result.message.find(result.keptDir), std::string::npos);
  EXPECT_NE(result.message.find("bug in mstap"), std::string::npos);
  EXPECT_NE(result.message.find("undeclared_thing"), std::string::npos) << "kbuild's output is in the message";
  EXPECT_FALSE(fs::exists(dir.path() + "/mstap_build_test_broken.ko"));
  fs::remove_all(result.keptDir);

  // A kernel symbol that is not exported: modpost refuses the module.
  r.cSource = std::string(kHelloModule) +
              "extern int mstap_no_such_symbol(void);\n"
              "static int __init uses(void) { return mstap_no_such_symbol(); }\n"
              "static void *keep __used = uses;\n";
  result = buildModule(r);
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.internalError) << result.message;
  EXPECT_NE(result.message.find("mstap_no_such_symbol"), std::string::npos) << result.message;
  fs::remove_all(result.keptDir);

  // A warning is an error too (-Werror): generated C must be warning-free.
  r.cSource = std::string(kHelloModule) + "static int unused_function(void) { return 0; }\n";
  result = buildModule(r);
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.internalError);
  fs::remove_all(result.keptDir);
}

TEST_F(RealBuild, ConcurrentBuildsOfOneKey) {
  TempDir dir;
  BuildRequest r = request("mstap_build_test_twice", dir);
  BuildResult results[2];
  std::thread a([&] { results[0] = buildModule(r); });
  std::thread b([&] { results[1] = buildModule(r); });
  a.join();
  b.join();
  for (const BuildResult &result : results) {
    ASSERT_TRUE(result.ok) << result.message;
    EXPECT_EQ(result.koPath, dir.path() + "/mstap_build_test_twice.ko");
  }
  int entries = 0;
  for (const auto &entry : fs::directory_iterator(dir.path() + "/cache/modules")) {
    if (entry.path().filename() == ".trees")
      continue; // the build tree's remembered digest
    EXPECT_NE(entry.path().filename().string()[0], '.') << "no temporary left behind";
    ++entries;
  }
  EXPECT_EQ(entries, 1);
  BuildResult hit = buildModule(r);
  EXPECT_TRUE(hit.cacheHit);
}

// A runtime with .c files: compiled once, linked into every module.
const char *const kLinkedModule = R"(#include <linux/module.h>
#include <linux/init.h>
#include "mstap_test_part.h"
MODULE_LICENSE("GPL");
static int __init hello_init(void) { return mstap_test_part() == MSTAP_TEST_PART ? 0 : -EINVAL; }
static void __exit hello_exit(void) { }
module_init(hello_init);
module_exit(hello_exit);
)";

void writeTestRuntime(const std::string &dir, int value) {
  writeFile(dir + "/mstap_test_part.h", "int mstap_test_part(void);\nint mstap_test_other(void);\n");
  writeFile(dir + "/mstap_test_part.c", "#include \"mstap_test_part.h\"\n"
                                        "int mstap_test_part(void) { return MSTAP_TEST_PART + " +
                                            std::to_string(value) + "; }\n");
  writeFile(dir + "/mstap_test_other.c", "#include \"mstap_test_part.h\"\n"
                                         "int mstap_test_other(void) { return mstap_test_part(); }\n");
}

// The lines of make's output that compile something ("CC [M]  PATH").
std::vector<std::string> compiledFiles(const std::string &output) {
  std::vector<std::string> files;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line))
    if (line.find("CC [M]") != std::string::npos && line.find(".mod.o") == std::string::npos) {
      std::string file = line.substr(line.find_last_of('/') + 1);
      if (file[0] != '.') // 6.12's .module-common.o
        files.push_back(file);
    }
  std::sort(files.begin(), files.end());
  return files;
}

int runtimeEntries(const std::string &cacheDir) {
  int entries = 0;
  std::error_code ec;
  for (fs::directory_iterator it(runtimeObjectsDir(cacheDir), ec), end; !ec && it != end; it.increment(ec)) {
    EXPECT_NE(it->path().filename().string()[0], '.') << "no temporary left behind";
    ++entries;
  }
  return entries;
}

TEST_F(RealBuild, RuntimeObjectsAreCompiledOnceAndReused) {
  TempDir dir;
  BuildRequest r = request("mstap_build_test_linked", dir);
  writeTestRuntime(r.runtimeDir, 0);
  r.cSource = kLinkedModule;
  r.defines.push_back("MSTAP_TEST_PART=7");
  r.verbose = 1;
  BuildResult first = buildModule(r);
  ASSERT_TRUE(first.ok) << first.message;
  EXPECT_FALSE(first.runtimeObjectsCached);
  EXPECT_EQ(compiledFiles(first.kbuildOutput),
            (std::vector<std::string>{"mstap_build_test_linked_script.o", "mstap_test_other.o", "mstap_test_part.o"}))
      << first.kbuildOutput;
  EXPECT_EQ(runtimeEntries(r.cacheDir), 1);
  std::string ko = readFile(first.koPath);
  EXPECT_NE(ko.find("mstap_test_other"), std::string::npos) << "the runtime's objects are linked in";

  // Another script (another module name and C): only its own file compiles.
  BuildRequest other = r;
  other.moduleName = "mstap_build_test_linked2";
  other.cSource += "/* another script */\n";
  BuildResult second = buildModule(other);
  ASSERT_TRUE(second.ok) << second.message;
  EXPECT_FALSE(second.cacheHit);
  EXPECT_TRUE(second.runtimeObjectsCached);
  EXPECT_EQ(compiledFiles(second.kbuildOutput), (std::vector<std::string>{"mstap_build_test_linked2_script.o"}))
      << second.kbuildOutput;
  EXPECT_EQ(second.kbuildOutput.find("warning"), std::string::npos) << second.kbuildOutput;
  std::string ko2 = readFile(second.koPath);
  EXPECT_NE(ko2.find("name=mstap_build_test_linked2"), std::string::npos);
  EXPECT_NE(ko2.find("mstap_test_other"), std::string::npos);

  // A changed -D limit: other objects.
  BuildRequest limits = other;
  limits.cSource += "/* 3 */\n";
  limits.defines.back() = "MSTAP_TEST_PART=8";
  BuildResult third = buildModule(limits);
  ASSERT_TRUE(third.ok) << third.message;
  EXPECT_FALSE(third.runtimeObjectsCached);
  EXPECT_EQ(runtimeEntries(r.cacheDir), 2);

  // A changed runtime source: other objects.
  writeTestRuntime(r.runtimeDir, 1);
  BuildRequest changed = other;
  changed.cSource += "/* 4 */\n";
  BuildResult fourth = buildModule(changed);
  ASSERT_TRUE(fourth.ok) << fourth.message;
  EXPECT_FALSE(fourth.runtimeObjectsCached);
  EXPECT_EQ(runtimeEntries(r.cacheDir), 3);
  changed.cSource += "/* 5 */\n";
  BuildResult fifth = buildModule(changed);
  ASSERT_TRUE(fifth.ok) << fifth.message;
  EXPECT_TRUE(fifth.runtimeObjectsCached);

  // A damaged cached object is compiled again, not linked; the entry is
  // whole again afterwards.
  std::string error;
  std::string entry = runtimeObjectsDir(r.cacheDir) + "/" + runtimeObjectsKey(changed, error);
  ASSERT_TRUE(fs::exists(entry + "/mstap_test_part.o")) << error;
  std::string object = readFile(entry + "/mstap_test_part.o");
  object[object.size() / 2] ^= 0x55;
  writeFile(entry + "/mstap_test_part.o", object);
  changed.cSource += "/* 6 */\n";
  BuildResult sixth = buildModule(changed);
  ASSERT_TRUE(sixth.ok) << sixth.message;
  EXPECT_FALSE(sixth.runtimeObjectsCached);
  EXPECT_EQ(compiledFiles(sixth.kbuildOutput).size(), 3u) << sixth.kbuildOutput;
  EXPECT_NE(readFile(entry + "/mstap_test_part.o"), object);
  changed.cSource += "/* 7 */\n";
  BuildResult seventh = buildModule(changed);
  ASSERT_TRUE(seventh.ok) << seventh.message;
  EXPECT_TRUE(seventh.runtimeObjectsCached);

  // A missing object or manifest: the same.
  fs::remove(entry + "/manifest");
  changed.cSource += "/* 8 */\n";
  BuildResult eighth = buildModule(changed);
  ASSERT_TRUE(eighth.ok) << eighth.message;
  EXPECT_FALSE(eighth.runtimeObjectsCached);
  EXPECT_TRUE(fs::exists(entry + "/manifest"));

  // --disable-cache compiles everything and stores nothing.
  BuildRequest uncached = changed;
  uncached.cSource += "/* 9 */\n";
  uncached.useCache = false;
  BuildResult ninth = buildModule(uncached);
  ASSERT_TRUE(ninth.ok) << ninth.message;
  EXPECT_FALSE(ninth.runtimeObjectsCached);
  EXPECT_EQ(compiledFiles(ninth.kbuildOutput).size(), 3u);
}

TEST_F(RealBuild, RuntimeCompileErrorIsInternal) {
  TempDir dir;
  BuildRequest r = request("mstap_build_test_rt_broken", dir);
  writeTestRuntime(r.runtimeDir, 0);
  writeFile(r.runtimeDir + "/mstap_test_broken.c", "int mstap_test_broken(void) { return undeclared_rt; }\n");
  r.cSource = kLinkedModule;
  r.defines.push_back("MSTAP_TEST_PART=7");
  BuildResult result = buildModule(r);
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.internalError) << result.message;
  EXPECT_NE(result.message.find("undeclared_rt"), std::string::npos);
  EXPECT_EQ(runtimeEntries(r.cacheDir), 0) << "nothing stored";
  fs::remove_all(result.keptDir);
}

// Every tree tools/bootstrap.sh set up for the tests (the -rt flavour, 6.12).
TEST(RealBuildTrees, EveryTestHeaderTree) {
  const char *trees = std::getenv("MSTAP_TEST_HEADER_TREES");
  if (!trees || !*trees)
    GTEST_SKIP() << "MSTAP_TEST_HEADER_TREES is unset (tools/bootstrap.sh test sets it)";
  std::istringstream list(trees);
  std::string tree;
  while (std::getline(list, tree, ':')) {
    if (tree.empty())
      continue;
    SCOPED_TRACE(tree);
    TempDir dir;
    BuildRequest r;
    r.cSource = kHelloModule;
    r.moduleName = "mstap_build_test_tree";
    r.buildTree = tree;
    r.release = fs::path(tree).filename().string().substr(std::string("linux-headers-").size());
    r.runtimeDir = dir.path();
    r.defines = {"MSTAP_TEST_DEFINE", "MSTAP_TEST_STR=\"a b$x#y'z\""};
    r.outputDir = dir.path();
    r.useCache = false;
    BuildResult result = buildModule(r);
    ASSERT_TRUE(result.ok) << result.message;
    EXPECT_NE(readFile(result.koPath).find("vermagic=" + r.release), std::string::npos);
  }
}
