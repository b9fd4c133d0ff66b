// `mstap -L 'kernel.function("*")'`: every kernel function with its target
// variables and their C types, as a user runs it (the mstap binary, its
// output read to the end). Two figures, as issue 6 sets them:
//  - cold: a fresh, empty cache folder, so the BTF is first extracted from
//    the kernel image (vmlinuz) and decompressed;
//  - cached: the BTF served from that cache (target: under 1 s), median of
//    several runs.
//
// Usage: mstap_list_vars_bench --sysroot DIR -r RELEASE [--runs N] [--pattern PP]
//   (tools/fetch-kernel prints a DIR; the release is its last component)
#include <fmt/format.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;

namespace {

struct Run {
  double ms = 0;
  size_t lines = 0;
  bool ok = false;
};

// Runs mstap with XDG_CACHE_HOME=cache, counting the lines it prints.
Run runMstap(const std::vector<std::string> &args, const std::string &cache) {
  int pipeFds[2];
  if (pipe(pipeFds) != 0)
    return {};
  auto start = Clock::now();
  pid_t child = fork();
  if (child < 0)
    return {};
  if (child == 0) {
    dup2(pipeFds[1], STDOUT_FILENO);
    close(pipeFds[0]);
    close(pipeFds[1]);
    setenv("XDG_CACHE_HOME", cache.c_str(), 1);
    std::vector<char *> argv;
    for (const std::string &a : args)
      argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipeFds[1]);
  Run run;
  char buffer[65536];
  for (ssize_t n; (n = read(pipeFds[0], buffer, sizeof buffer)) > 0;)
    run.lines += static_cast<size_t>(std::count(buffer, buffer + n, '\n'));
  close(pipeFds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  run.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  run.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return run;
}

} // namespace

int main(int argc, char **argv) {
  std::string sysroot, release, pattern = "kernel.function(\"*\")";
  int runs = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--sysroot")
      sysroot = argv[i + 1];
    else if (flag == "-r")
      release = argv[i + 1];
    else if (flag == "--runs")
      runs = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--pattern")
      pattern = argv[i + 1];
  }
  if (release.empty()) {
    fmt::print(stderr, "usage: {} --sysroot DIR -r RELEASE [--runs N] [--pattern PP]\n", argv[0]);
    return 2;
  }
  std::vector<std::string> args = {MSTAP_BENCH_MSTAP};
  if (!sysroot.empty())
    args.insert(args.end(), {"--sysroot", sysroot});
  args.insert(args.end(), {"-r", release, "-L", pattern});

  // A private cache folder: the cold run finds it empty whatever the
  // user's own cache holds.
  char folder[] = "/tmp/mstap-list-bench-XXXXXX";
  if (!mkdtemp(folder)) {
    std::perror("mkdtemp");
    return 1;
  }
  Run cold = runMstap(args, folder);
  std::vector<Run> cached;
  for (int i = 0; i < runs && cold.ok; ++i)
    cached.push_back(runMstap(args, folder));
  std::error_code ignored;
  std::filesystem::remove_all(folder, ignored);
  if (!cold.ok || std::any_of(cached.begin(), cached.end(), [](const Run &r) { return !r.ok; })) {
    fmt::print(stderr, "mstap -L failed (run it by hand: {} ...)\n", args[0]);
    return 1;
  }
  std::vector<double> ms;
  for (const Run &r : cached)
    ms.push_back(r.ms);
  std::sort(ms.begin(), ms.end());
  double median = ms[ms.size() / 2];
  fmt::print("-L '{}', {}: {} lines; cold (BTF extracted from vmlinuz) {:.0f} ms; cached: median of {} "
             "{:.0f} ms, min {:.0f} ms (target < 1000 ms: {})\n",
             pattern, release, cold.lines, cold.ms, ms.size(), median, ms.front(),
             median < 1000 ? "met" : "MISSED");
  return 0;
}
