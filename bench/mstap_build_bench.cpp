// Pass 4 timing, as issue 5 sets it: a bare kbuild of a one-file hello module
// against buildModule building the same module with the cache disabled
// (target: within 1.2x of bare), and buildModule served from its cache
// (target: under 30 ms). Medians of --runs runs (default 5; hits 20).
//
// Usage: mstap_build_bench [--tree /usr/src/linux-headers-RELEASE] [--runs N]
//   without --tree: the first /usr/src/linux-headers-*-amd64 with a Module.symvers
#include "build/build.h"
#include "support/process.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <glob.h>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace mstap::build;

namespace {

const char *const kHello = R"(#include <linux/module.h>
#include <linux/init.h>
MODULE_LICENSE("GPL");
static int __init hello_init(void) { pr_info("hello\n"); return 0; }
static void __exit hello_exit(void) { }
module_init(hello_init);
module_exit(hello_exit);
)";

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string makeTemp(const std::string &prefix) {
  std::string pattern = fs::temp_directory_path().string() + "/" + prefix + "XXXXXX";
  return ::mkdtemp(pattern.data());
}

std::string findTree() {
  glob_t found;
  std::string tree;
  if (::glob("/usr/src/linux-headers-*-amd64/Module.symvers", 0, nullptr, &found) == 0)
    tree = fs::path(found.gl_pathv[0]).parent_path().string();
  globfree(&found);
  return tree;
}

} // namespace

int main(int argc, char **argv) {
  std::string tree;
  int runs = 5;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--tree" && i + 1 < argc)
      tree = argv[++i];
    else if (arg == "--runs" && i + 1 < argc)
      runs = std::max(1, std::atoi(argv[++i]));
    else {
      fmt::print(stderr, "usage: {} [--tree BUILD_TREE] [--runs N]\n", argv[0]);
      return 2;
    }
  }
  if (tree.empty())
    tree = findTree();
  if (tree.empty()) {
    fmt::print(stderr, "no kernel headers under /usr/src; pass --tree\n");
    return 1;
  }
  std::string release = fs::path(tree).filename().string();
  if (release.rfind("linux-headers-", 0) == 0)
    release = release.substr(14);
  std::string runtime = fs::path(__FILE__).parent_path().parent_path().string() + "/runtime";
  fmt::print("kernel tree {} ({} runs)\n", tree, runs);

  // 1 and 2, interleaved so that load from elsewhere falls on both alike:
  // a bare kbuild of the module by hand, as one would without mstap, and
  // buildModule building the same module with the cache disabled.
  // A private copy of the runtime: the cache key covers its files, and the
  // checkout's may be edited while the benchmark runs.
  std::string out = makeTemp("mstap-bench-out-");
  struct RemoveOnExit {
    std::string dir;
    ~RemoveOnExit() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } removeOut{out};
  fs::copy(runtime, out + "/runtime", fs::copy_options::recursive);
  runtime = out + "/runtime";
  BuildRequest request;
  request.cSource = kHello;
  request.moduleName = "mstap_bench_hello";
  request.buildTree = tree;
  request.release = release;
  request.runtimeDir = runtime;
  request.cacheKeyText = "bench";
  request.outputDir = out;
  request.cacheDir = out + "/cache";
  request.useCache = false;
  std::vector<double> bare, cold;
  for (int i = 0; i < runs; ++i) {
    std::string dir = makeTemp("mstap-bench-bare-");
    std::ofstream(dir + "/hello.c") << kHello;
    std::ofstream(dir + "/Kbuild") << "obj-m := hello.o\n";
    auto start = Clock::now();
    mstap::support::Captured make = mstap::support::runAndCapture({"make", "-C", tree, "M=" + dir, "modules"}, {true, {}});
    bare.push_back(msSince(start));
    if (make.exitCode != 0 || !fs::exists(dir + "/hello.ko")) {
      fmt::print(stderr, "bare kbuild failed ({}):\n{}\n", make.describeStatus(), make.out);
      return 1;
    }
    fs::remove_all(dir);

    BuildResult result = buildModule(request);
    if (!result.ok) {
      fmt::print(stderr, "buildModule failed: {}\n", result.message);
      return 1;
    }
    cold.push_back(result.seconds * 1000);
  }

  // 3. Cache hits: filled once, then served.
  request.useCache = true;
  BuildResult fill = buildModule(request);
  if (!fill.ok || fill.cacheHit) {
    fmt::print(stderr, "filling the cache failed: {}\n", fill.message);
    return 1;
  }
  std::vector<double> hits, keys;
  for (int i = 0; i < std::max(runs, 20); ++i) {
    BuildResult result = buildModule(request);
    if (!result.ok || !result.cacheHit) {
      fmt::print(stderr, "expected a cache hit (ok={}): {}\n", result.ok, result.message);
      return 1;
    }
    hits.push_back(result.seconds * 1000);
    auto start = Clock::now();
    std::string error;
    cacheKey(request, error);
    keys.push_back(msSince(start));
  }
  uintmax_t koBytes = fs::file_size(fill.koPath);

  double bareMs = median(bare), coldMs = median(cold), hitMs = median(hits);
  fmt::print("bare kbuild (make -C TREE M=DIR modules)   median {:8.1f} ms\n", bareMs);
  fmt::print("buildModule, cache disabled                 median {:8.1f} ms  ({:.2f}x bare; target <= 1.2x)\n",
             coldMs, coldMs / bareMs);
  fmt::print("buildModule, cache hit ({} KiB .ko)        median {:8.2f} ms  (target < 30 ms)\n", koBytes / 1024,
             hitMs);
  fmt::print("  of which the cache key                    median {:8.2f} ms\n", median(keys));
  return coldMs <= 1.2 * bareMs && hitMs < 30 ? 0 : 1;
}
