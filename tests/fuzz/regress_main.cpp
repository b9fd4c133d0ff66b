// Replays saved fuzz inputs without libFuzzer: runs LLVMFuzzerTestOneInput
// once on every file of the given directories (or on the given files).
//
// Each input runs in a child process of its own, so that one failure (the
// target abort()s, or a sanitizer stops it) does not hide the others, and an
// input that takes more than --timeout seconds (5 by default, as the fuzzing
// runs use) fails as a hang. Exit status 0 only when there was at least one
// input and every input passed.
//
// Usage: frontend_fuzz_regress [--timeout SECONDS] DIR|FILE...
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace fs = std::filesystem;

namespace {

// Runs one input in a child; returns "" when it passed, else what went wrong.
std::string runOne(const std::string &bytes, unsigned timeoutSeconds, double &seconds) {
  std::fflush(stdout);
  std::fflush(stderr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0)
    return std::string("fork failed: ") + std::strerror(errno);
  if (pid == 0) {
    alarm(timeoutSeconds); // SIGALRM ends a hang
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return "";
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
    return "timeout: still running after " + std::to_string(timeoutSeconds) + " s";
  if (WIFSIGNALED(status))
    return std::string("crashed: ") + strsignal(WTERMSIG(status));
  return "failed: exit status " + std::to_string(WEXITSTATUS(status));
}

} // namespace

int main(int argc, char **argv) {
  unsigned timeoutSeconds = 5;
  std::vector<fs::path> inputs;
  bool any = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--timeout" && i + 1 < argc) {
      timeoutSeconds = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
      continue;
    }
    any = true;
    fs::path path(arg);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      for (const auto &entry : fs::directory_iterator(path, ec))
        if (entry.is_regular_file())
          inputs.push_back(entry.path());
      if (ec) {
        std::fprintf(stderr, "fuzz regression: cannot read %s: %s\n", argv[i], ec.message().c_str());
        return 1;
      }
    } else if (fs::is_regular_file(path, ec)) {
      inputs.push_back(path);
    } else {
      std::fprintf(stderr, "fuzz regression: %s is neither a file nor a directory\n", argv[i]);
      return 1;
    }
  }
  if (!any) {
    std::fprintf(stderr, "usage: %s [--timeout SECONDS] DIR|FILE...\n", argv[0]);
    return 2;
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "fuzz regression: no inputs found: the corpus is empty\n");
    return 1;
  }
  std::sort(inputs.begin(), inputs.end());

  size_t passed = 0;
  std::vector<std::string> failures;
  for (const fs::path &path : inputs) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
      failures.push_back(path.string() + ": cannot be read");
      continue;
    }
    double seconds = 0;
    std::string problem = runOne(bytes, timeoutSeconds, seconds);
    if (problem.empty()) {
      ++passed;
      if (seconds > 1)
        std::fprintf(stderr, "fuzz regression: %s passed but took %.1f s\n", path.c_str(), seconds);
    } else {
      std::fprintf(stderr, "fuzz regression: FAILED %s: %s\n", path.c_str(), problem.c_str());
      failures.push_back(path.string() + ": " + problem);
    }
  }
  if (!failures.empty()) {
    std::printf("fuzz regression: %zu inputs passed, %zu failed:\n", passed, failures.size());
    for (const std::string &f : failures)
      std::printf("  %s\n", f.c_str());
    return 1;
  }
  std::printf("fuzz regression: %zu inputs passed\n", passed);
  return 0;
}
