// Pass 1 timing: parseScript over generated scripts that look like the ones
// in examples/ (globals, functions, probes with foreach/if/printf, arrays and
// statistics), at 300 and 10,000 lines.
//
// For each size: "cold" is the first parse in a fresh process (forked before
// this process parses anything, so ANTLR's DFA cache is empty: ANTLR 4.9
// deserializes the ATN at static initialisation, which the "process start"
// line measures separately), "warm" the median of 20 parses after it, in
// wall-clock time (the targets' measure) and in the thread's CPU time (which
// leaves out the time it waited for a CPU; cache and memory contention on a
// busy machine still show in both).
//
// Instruction counts do not depend on the machine's load; to see where they
// go: valgrind --tool=callgrind ./build-bench/bench/mstap_bench --runs 3 --file F
// and callgrind_annotate --inclusive=yes (a parse's share is the difference
// between --runs 3 and --runs 1, halved).
//
// Usage: mstap_bench [--runs N] [--phases] [--macros] [--dump LINES] [--file FILE]
//   --phases  also tells how much of a warm parse is lexing and how much
//             preprocessing (macros, conditionals): see parse_phases.cpp
//   --macros  the scripts use macros (@define at the top, used in each tool)
//   --dump    prints the generated script of LINES lines and stops
//   --file    times FILE instead (warm median, and its lexing share)
#include "parse/parser.h"
#include "parse_phases.h"
#include "support/diagnostics.h"
#include "support/source.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace mstap;
using Clock = std::chrono::steady_clock;

namespace {

// ------------------------------------------------------------ the scripts

// Appends text and counts its lines.
struct Writer {
  std::string text;
  unsigned lines = 0;
  void add(const std::string &chunk) {
    text += chunk;
    lines += static_cast<unsigned>(std::count(chunk.begin(), chunk.end(), '\n'));
  }
};

// The macros a script with --macros defines at its top, and uses in every
// tool in place of the code they stand for.
const char *const benchMacros =
    "@define ONE_K %( 1024 %)\n"
    "@define skip_unless(cond) %( if (!(@cond)) next %)\n"
    "@define elapsed(start) %( gettimeofday_us() - @start %)\n"
    "@define report_line(name, func, stat) %(\n"
    "  printf(\"%-16s %-10s %8d %8d %8d\\n\", @name, @func, @count(@stat), @avg(@stat), @max(@stat))\n"
    "%)\n";

// One "tool" of a script, numbered n: the globals it needs, a helper
// function, an entry/return probe pair that times calls into statistics, a
// report on a timer, and a begin probe with loops and try/catch. With
// `macros`, some of its code is written as uses of benchMacros.
std::vector<std::string> toolChunks(unsigned n, bool macros) {
  std::vector<std::string> chunks;
  chunks.push_back(fmt::format(
      "# Tool {0}: latency of read/write calls by process and function.\n"
      "global start_{0}, latency_{0}, counts_{0}, sizes_{0}, slow_{0} = 0\n"
      "global ignored_{0}[1024], limit_{0} = {1}, label_{0} = \"tool {0}\"\n",
      n, 1000 + n));
  chunks.push_back(fmt::format(
      "\n"
      "function fmt_bytes_{0}:string (bytes:long) {{\n"
      "  if (bytes < {1})\n"
      "    return sprintf(\"%dB\", bytes)\n"
      "  else if (bytes < 1048576)\n"
      "    return sprintf(\"%dK\", bytes / 1024)\n"
      "  return sprintf(\"%dM\", bytes >> 20)\n"
      "}}\n",
      n, macros ? "@ONE_K" : "1024"));
  chunks.push_back(fmt::format(
      "\n"
      "function is_interesting_{0}:long (name:string, pid:long) {{\n"
      "  if (pid in ignored_{0} || name == \"stapio\")\n"
      "    return 0\n"
      "  return strlen(name) > 0 && (pid % {1} != 0 || pid == {1})\n"
      "}}\n",
      n, 7 + n % 13));
  chunks.push_back(fmt::format(
      "\n"
      "probe kernel.function(\"vfs_read\"), kernel.function(\"vfs_write\") {{\n"
      "{1}"
      "  start_{0}[tid()] = gettimeofday_us()\n"
      "  sizes_{0} <<< $count\n"
      "}}\n",
      n,
      macros ? fmt::format("  @skip_unless(is_interesting_{0}(execname(), pid()))\n", n)
             : fmt::format("  if (!is_interesting_{0}(execname(), pid()))\n    next\n", n)));
  chunks.push_back(fmt::format(
      "\n"
      "probe kernel.function(\"vfs_read\").return?, kernel.function(\"vfs_write\").return? {{\n"
      "  if (!(tid() in start_{0}))\n"
      "    next\n"
      "  t = {1}\n"
      "  delete start_{0}[tid()]\n"
      "  latency_{0}[execname(), probefunc()] <<< t\n"
      "  counts_{0}[execname()]++\n"
      "  if (t > limit_{0} && $return >= 0) {{\n"
      "    slow_{0}++\n"
      "    printf(\"%s: slow %s in %s: %dus (%s)\\n\", label_{0}, probefunc(), execname(), t,\n"
      "           fmt_bytes_{0}($return))\n"
      "  }} else if (t < 0) {{\n"
      "    warn(\"clock went backwards\")\n"
      "  }}\n"
      "}}\n",
      n, macros ? fmt::format("@elapsed(start_{0}[tid()])", n) : fmt::format("gettimeofday_us() - start_{0}[tid()]", n)));
  chunks.push_back(fmt::format(
      "\n"
      "probe timer.s({1}) {{\n"
      "  printf(\"%-16s %-10s %8s %8s %8s\\n\", \"PROCESS\", \"FUNCTION\", \"CALLS\", \"AVG\", \"MAX\")\n"
      "  foreach ([name, func] in latency_{0}- limit 10) {{\n"
      "{2}"
      "  }}\n"
      "  total = 0\n"
      "  foreach (c = name in counts_{0}+)\n"
      "    total += c\n"
      "  printf(\"total=%d slow=%d (%d%%)\\n\", total, slow_{0}, total ? slow_{0} * 100 / total : 0)\n"
      "  if (@count(sizes_{0}) > 0)\n"
      "    print(@hist_log(sizes_{0}))\n"
      "  delete counts_{0}\n"
      "  delete latency_{0}\n"
      "}}\n",
      n, 5 + n % 10,
      macros ? fmt::format("    @report_line(name, func, latency_{0}[name, func])\n", n)
             : fmt::format("    printf(\"%-16s %-10s %8d %8d %8d\\n\", name, func, @count(latency_{0}[name, func]),\n"
                           "           @avg(latency_{0}[name, func]), @max(latency_{0}[name, func]))\n",
                           n)));
  chunks.push_back(fmt::format(
      "\n"
      "probe begin {{\n"
      "  for (i = 0; i < 16; i++) {{\n"
      "    ignored_{0}[i * 4096] = 1\n"
      "  }}\n"
      "  n = 0; s = \"\"\n"
      "  while (n < 10) {{ n += 2; s .= sprint(n) . \",\" }}\n"
      "  try {{\n"
      "    x = limit_{0} / (n - 10)\n"
      "  }} catch (msg) {{\n"
      "    warn(msg . \" in tool {0}\")\n"
      "  }}\n"
      "  printf(\"%s: watching, limit %dus, steps %s\\n\", label_{0}, limit_{0}, s)\n"
      "}}\n",
      n));
  chunks.push_back(fmt::format(
      "\n"
      "probe end {{\n"
      "  print(@hist_linear(sizes_{0}, 0, 65536, 4096))\n"
      "  exit()\n"
      "}}\n\n",
      n));
  return chunks;
}

// A script of exactly `lines` lines: whole tools while they fit, then the
// chunks of one more tool that fit, then one-line globals to the count.
std::string makeScript(unsigned lines, bool macros) {
  Writer w;
  w.add("#!/usr/bin/env stap\n");
  w.add(fmt::format("# Generated by mstap_bench: {} lines of tools{}.\n", lines, macros ? ", with macros" : ""));
  if (macros)
    w.add(benchMacros);
  unsigned n = 0;
  for (bool fits = true; fits; ++n) {
    for (const std::string &chunk : toolChunks(n, macros)) {
      unsigned chunkLines = static_cast<unsigned>(std::count(chunk.begin(), chunk.end(), '\n'));
      if (w.lines + chunkLines > lines) {
        fits = false;
        break;
      }
      w.add(chunk);
    }
  }
  for (unsigned k = 0; w.lines < lines; ++k)
    w.add(fmt::format("global extra_{}\n", k));
  return w.text;
}

// --------------------------------------------------------------- timing

// CPU time of this thread: steadier than the wall clock on a busy machine.
double threadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// One parse: its wall-clock time is returned, its CPU time put in *cpuMs.
double parseOnceMs(const SourceFile &file, double *cpuMs = nullptr) {
  ParseOptions options;
  Diagnostics diags;
  double cpuStart = threadCpuMs();
  auto start = Clock::now();
  auto script = parseScript(file, options, diags);
  auto end = Clock::now();
  if (cpuMs)
    *cpuMs = threadCpuMs() - cpuStart;
  if (!script) {
    std::fprintf(stderr, "mstap_bench: the generated script (%s) does not parse:\n%s",
                 file.name().c_str(), diags.render().c_str());
    std::exit(1);
  }
  script.reset(); // freeing the AST is part of a parse's cost in the driver, but not timed
  return std::chrono::duration<double, std::milli>(end - start).count();
}

// The first parse in a process of its own (forked before this one parses).
double coldParseMs(const SourceFile &file) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    double ms = parseOnceMs(file);
    ssize_t written = write(fds[1], &ms, sizeof ms);
    _exit(written == sizeof ms ? 0 : 1);
  }
  close(fds[1]);
  double ms = -1;
  ssize_t got = read(fds[0], &ms, sizeof ms);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != sizeof ms || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "mstap_bench: the cold parse failed\n");
    std::exit(1);
  }
  return ms;
}

// fork + exec of this program doing nothing: loading, and static
// initialisation, which includes ANTLR's ATN deserialization.
double processStartMs(const char *self) {
  std::fflush(stdout);
  auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    execl(self, self, "--startup-only", static_cast<char *>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  auto end = Clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return -1;
  return std::chrono::duration<double, std::milli>(end - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Case {
  unsigned lines;
  double targetMs;
  std::string text;
  double coldMs = 0, warmMs = 0, minMs = 0, maxMs = 0, warmCpuMs = 0;
};

} // namespace

int main(int argc, char **argv) {
  unsigned runs = 20;
  bool phases = false, macros = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--startup-only")
      return 0;
    if (arg == "--phases") {
      phases = true;
    } else if (arg == "--macros") {
      macros = true;
    } else if (arg == "--runs" && i + 1 < argc) {
      runs = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    } else if (arg == "--file" && i + 1 < argc) {
      std::ifstream in(argv[++i], std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      SourceFile file(argv[i], text);
      std::vector<double> times;
      ParseOptions options;
      for (unsigned r = 0; r < runs; ++r) {
        Diagnostics diags;
        auto start = Clock::now();
        bool ok = parseScript(file, options, diags) != nullptr;
        times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        if (!ok && r == 0)
          std::printf("%s does not parse:\n%s", argv[i], diags.render().c_str());
      }
      std::printf("%s: %zu bytes, parseScript warm median %.2f ms\n", argv[i], text.size(), median(times));
      bench::printPhases("phases:", bench::timePhases(file));
      return 0;
    } else if (arg == "--dump" && i + 1 < argc) {
      std::fputs(makeScript(static_cast<unsigned>(std::atoi(argv[++i])), macros).c_str(), stdout);
      return 0;
    } else {
      std::fprintf(stderr, "usage: %s [--runs N] [--phases] [--macros] [--dump LINES] [--file FILE]\n", argv[0]);
      return 2;
    }
  }

  std::vector<Case> cases = {{300, 2.0, {}}, {10000, 60.0, {}}};
  for (Case &c : cases)
    c.text = makeScript(c.lines, macros);

  // Cold first, each in a fresh process, before this process parses at all.
  std::vector<double> starts;
  for (int i = 0; i < 5; ++i)
    starts.push_back(processStartMs("/proc/self/exe"));
  for (Case &c : cases)
    c.coldMs = coldParseMs(SourceFile(fmt::format("bench-{}.stp", c.lines), c.text));

  for (Case &c : cases) {
    SourceFile file(fmt::format("bench-{}.stp", c.lines), c.text);
    parseOnceMs(file); // this process's first parse of it: not counted
    std::vector<double> times, cpuTimes;
    for (unsigned r = 0; r < runs; ++r) {
      double cpu = 0;
      times.push_back(parseOnceMs(file, &cpu));
      cpuTimes.push_back(cpu);
    }
    c.warmMs = median(times);
    c.warmCpuMs = median(cpuTimes);
    c.minMs = *std::min_element(times.begin(), times.end());
    c.maxMs = *std::max_element(times.begin(), times.end());
  }

  std::printf("mstap_bench: pass 1 (parseScript), %u warm runs each%s\n", runs,
              macros ? ", scripts with macros" : "");
  std::printf("process start (exec + static init, incl. ANTLR ATN deserialization): %.2f ms (median of 5)\n",
              median(starts));
  std::printf("%-7s %7s %10s %10s %15s %12s %9s %12s %-22s\n", "lines", "bytes", "cold ms", "warm ms",
              "warm range", "warm cpu ms", "lines/ms", "cold lines/ms", "target (warm median)");
  for (const Case &c : cases) {
    std::string range = fmt::format("{:.2f}-{:.2f}", c.minMs, c.maxMs);
    std::string verdict = fmt::format("< {:g} ms: {}", c.targetMs, c.warmMs < c.targetMs ? "met" : "MISSED");
    std::printf("%-7u %7zu %10.2f %10.2f %15s %12.2f %9.1f %12.1f %-22s\n", c.lines, c.text.size(), c.coldMs,
                c.warmMs, range.c_str(), c.warmCpuMs, c.lines / c.warmMs, c.lines / c.coldMs, verdict.c_str());
  }
  const Case &small = cases.front(), &large = cases.back();
  double growth = (large.warmMs / small.warmMs) / (static_cast<double>(large.lines) / small.lines);
  std::printf("growth: warm time x%.1f for lines x%.1f (%.2f of linear; 1.00 is linear)\n",
              large.warmMs / small.warmMs, static_cast<double>(large.lines) / small.lines, growth);
  if (phases) {
    std::printf("phases of a warm parse (CPU time, medians of 9 rounds):\n");
    for (const Case &c : cases) {
      SourceFile file(fmt::format("bench-{}.stp", c.lines), c.text);
      bench::printPhases(fmt::format("{} lines:", c.lines).c_str(), bench::timePhases(file));
    }
  }
  bool met = small.warmMs < small.targetMs && large.warmMs < large.targetMs;
  std::printf("targets: %s\n", met ? "met" : "MISSED");
  return 0;
}
