#include "driver/session.h"

#include "ast/printer.h"
#include "driver/kernel_probes.h"
#include "kernel/environment.h"
#include "parse/parser.h"
#include "sema/builtins.h"
#include "sema/elaborate.h"
#include "sema/fold.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <iostream>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mstap {

static void cpuTimesMs(long &user, long &sys) {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  user = usage.ru_utime.tv_sec * 1000 + usage.ru_utime.tv_usec / 1000;
  sys = usage.ru_stime.tv_sec * 1000 + usage.ru_stime.tv_usec / 1000;
}

static double nowMs() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

PassTimer::PassTimer() : realStart_(nowMs()) { cpuTimesMs(userMs_, sysMs_); }

std::string PassTimer::elapsed() const {
  long user, sys;
  cpuTimesMs(user, sys);
  return fmt::format("in {}usr/{}sys/{}real ms.", user - userMs_, sys - sysMs_,
                     static_cast<long>(nowMs() - realStart_));
}

std::string PassTimer::memoryUse() {
  // /proc/self/statm: size resident shared text lib data dt, in pages.
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0, shared = 0, text = 0, lib = 0, data = 0;
  statm >> size >> resident >> shared >> text >> lib >> data;
  long kbPerPage = sysconf(_SC_PAGESIZE) / 1024;
  return fmt::format("{}virt/{}res/{}shr/{}data kb", size * kbPerPage, resident * kbPerPage,
                     shared * kbPerPage, data * kbPerPage);
}

Session::Session(Options options) : options_(std::move(options)) {
  const char *term = std::getenv("TERM");
  colour_ = isatty(STDERR_FILENO) && !std::getenv("NO_COLOR") && term && std::strcmp(term, "dumb") != 0;
  diags_.setWarningsEnabled(!options_.noWarnings);
}

void Session::printDiagnostics() { diags_.print(stderr, colour_); }

// Reads the script named on the command line, or given with -e or on
// standard input; refuses what it cannot read, or what is too large.
bool Session::loadScript() {
  if (options_.scriptText) {
    file_ = std::make_unique<SourceFile>("<input>", *options_.scriptText);
    return true;
  }
  std::string text;
  std::string name = options_.scriptFile;
  auto readAll = [&](std::istream &in) {
    std::vector<char> buffer(1 << 16);
    while (in && text.size() <= maxScriptBytes) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      text.append(buffer.data(), static_cast<size_t>(in.gcount()));
    }
  };
  if (name == "-") {
    name = "<input>";
    readAll(std::cin);
  } else {
    struct stat st {};
    if (stat(name.c_str(), &st) != 0) {
      diags_.error(fmt::format("cannot read the script '{}': {}", name, std::strerror(errno)));
      return false;
    }
    if (S_ISDIR(st.st_mode)) {
      diags_.error(fmt::format("cannot read the script '{}': it is a directory", name));
      return false;
    }
    std::ifstream in(name, std::ios::binary);
    if (!in) {
      diags_.error(fmt::format("cannot read the script '{}': {}", name, std::strerror(errno)));
      return false;
    }
    readAll(in);
    if (in.bad()) {
      diags_.error(fmt::format("cannot read the script '{}': read error", name));
      return false;
    }
  }
  file_ = std::make_unique<SourceFile>(name, std::move(text));
  return true;
}

bool Session::pass1() {
  PassTimer timer;
  ParseOptions parseOptions;
  parseOptions.args = options_.args;
  parseOptions.guru = options_.guru;
  script_ = parseScript(*file_, parseOptions, diags_);
  printDiagnostics();
  if (!script_) {
    std::fprintf(stderr, "Pass 1: parse failed.\n");
    return false;
  }
  if (options_.verbose > 0)
    std::fprintf(stderr, "Pass 1: parsed user script and 0 library scripts using %s, %s\n",
                 PassTimer::memoryUse().c_str(), timer.elapsed().c_str());
  if (options_.lastPass == 1) {
    std::string text = ast::printScript(*script_);
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return true;
}

// @defined($x) in a probe: $x must exist at every point the probe expanded to.
static bool targetDefined(const KernelFunctionSource &source, const std::vector<ResolvedProbe> &points,
                          const ast::TargetExpr &target) {
  if (points.empty())
    return false;
  for (const ResolvedProbe &p : points) {
    std::optional<KernelPrototype> prototype;
    if (p.kernel)
      prototype = source.prototype(*p.kernel);
    if (!prototype)
      return false; // no prototype known here
    const std::string &name = target.name;
    if (name.rfind("$$", 0) == 0)
      continue; // $$parms and friends exist wherever the prototype is known
    std::string plain = name.substr(1, name.size() - 1 - (name.back() == '$' && name.size() > 2));
    if (plain == "return") {
      if (!p.isReturn || prototype->returnType == "void")
        return false;
      continue;
    }
    bool found = false;
    for (const auto &param : prototype->params)
      found = found || param.first == plain;
    if (!found)
      return false;
  }
  return true;
}

bool Session::pass2() {
  PassTimer timer;
  KernelProbes kernelProbes(options_);
  ElaborateOptions elaborateOptions;
  elaborateOptions.guru = options_.guru;
  elaborateOptions.kernel = &kernelProbes.source();
  ElaborateResult result = elaborate(*script_, elaborateOptions, diags_);
  printDiagnostics();
  if (options_.verbose > 0)
    for (const std::string &line : kernelProbes.report())
      std::fprintf(stderr, "Pass 2: %s\n", line.c_str());
  if (!result.ok) {
    std::fprintf(stderr, "Pass 2: analysis failed.\n");
    return false;
  }
  std::map<const ast::ProbeDecl *, const std::vector<ResolvedProbe> *> pointsOf;
  size_t index = 0;
  for (const ast::Decl &decl : script_->decls)
    if (decl.kind == ast::Decl::Kind::Probe)
      pointsOf[decl.probe.get()] = &result.probes.at(index++);
  foldConstants(*script_, [&](const ast::ProbeDecl &probe, const ast::TargetExpr &target) {
    return targetDefined(kernelProbes.source(), *pointsOf.at(&probe), target);
  });
  if (options_.verbose > 0) {
    size_t probes = 0, functions = 0, embeds = 0, globals = 0;
    for (const auto &list : result.probes)
      probes += list.size();
    for (const ast::Decl &decl : script_->decls) {
      functions += decl.kind == ast::Decl::Kind::Function;
      embeds += decl.kind == ast::Decl::Kind::Embedded ||
                (decl.kind == ast::Decl::Kind::Function && decl.function->embeddedCode);
      if (decl.kind == ast::Decl::Kind::Global)
        globals += decl.global->vars.size();
    }
    std::fprintf(stderr, "Pass 2: analyzed script: %zu probes, %zu functions, %zu embeds, %zu globals using %s, %s\n",
                 probes, functions, embeds, globals, PassTimer::memoryUse().c_str(), timer.elapsed().c_str());
  }
  if (options_.lastPass == 2) {
    std::string text = printElaborated(*script_, result);
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return true;
}

// -l PATTERN and -L PATTERN: the probe points a pattern expands to, one a
// line, as stap lists them; -L adds each point's target variables.
int Session::listProbes() {
  const std::string &pattern = options_.listPattern.empty() ? options_.listVarsPattern : options_.listPattern;
  bool withVars = options_.listPattern.empty();
  file_ = std::make_unique<SourceFile>("<list>", "probe " + pattern + " {}\n");
  script_ = parseScript(*file_, {}, diags_);
  if (!script_) {
    printDiagnostics();
    return 1;
  }
  KernelProbes kernelProbes(options_);
  ElaborateOptions elaborateOptions;
  elaborateOptions.kernel = &kernelProbes.source();
  ElaborateResult result = elaborate(*script_, elaborateOptions, diags_);
  printDiagnostics();
  if (options_.verbose > 0)
    for (const std::string &line : kernelProbes.report())
      std::fprintf(stderr, "%s\n", line.c_str());
  if (!result.ok)
    return 1;
  std::set<std::string> lines;
  for (const auto &points : result.probes)
    for (const ResolvedProbe &p : points) {
      std::string line = p.point;
      if (withVars && p.kernel)
        if (auto prototype = kernelProbes.source().prototype(*p.kernel)) {
          for (const auto &[name, type] : prototype->params)
            if (!name.empty())
              line += " $" + name + ":" + type;
          if (p.isReturn && prototype->returnType != "void")
            line += " $return:" + prototype->returnType;
        }
      lines.insert(line);
    }
  for (const std::string &line : lines)
    std::printf("%s\n", line.c_str());
  return 0;
}

// --check-env: every check that pass 4 makes of the kernel build
// environment, one a line, with the fix for each failure.
int Session::checkEnvironment() {
  auto target = kernel::resolveKernelTarget(options_.release, options_.sysroot.empty() ? "/" : options_.sysroot);
  if (!target) {
    diags_.error(target.error());
    printDiagnostics();
    return 1;
  }
  std::ifstream osReleaseFile("/etc/os-release");
  std::string osRelease((std::istreambuf_iterator<char>(osReleaseFile)), std::istreambuf_iterator<char>());
  kernel::BuildEnvironment env = kernel::checkBuildEnvironment(*target, osRelease);
  std::printf("Checking the build environment for kernel %s:\n", target->release.c_str());
  for (const auto &check : env.checks) {
    std::printf("  %-5s %s: %s\n", check.ok ? "ok" : "FAIL", check.what.c_str(), check.detail.c_str());
    if (!check.ok)
      std::printf("        fix: %s\n", check.fix.c_str());
  }
  if (env.ok())
    return 0;
  std::fflush(stdout);
  diags_.error(fmt::format("the build environment for kernel {} is not ready: see the fixes above",
                           target->release));
  printDiagnostics();
  return 1;
}

int Session::run() {
  if (options_.help) {
    std::fputs(usageText().c_str(), stdout);
    return 0;
  }
  if (options_.version) {
    std::fputs(versionText().c_str(), stdout);
    return 0;
  }
  if (options_.dumpFunctions) {
    for (const ast::Builtin &b : ast::builtins())
      std::printf("%s\n    %s\n", ast::builtinSignature(b).c_str(), b.summary);
    return 0;
  }
  if (options_.checkEnv)
    return checkEnvironment();
  if (!options_.listPattern.empty() || !options_.listVarsPattern.empty())
    return listProbes();
  if (!options_.scriptText && options_.scriptFile.empty()) {
    diags_.error("no script given: name a script file, '-' for standard input, or use -e SCRIPT "
                 "(mstap --help shows the options)");
    printDiagnostics();
    return 1;
  }
  if (!loadScript()) {
    printDiagnostics();
    return 1;
  }
  if (!pass1())
    return 1;
  if (options_.lastPass == 1)
    return 0;
  if (!pass2())
    return 1;
  if (options_.lastPass == 2)
    return 0;
  diags_.error(fmt::format("pass 3 (translation to C) is not built yet: this mstap stops after pass 2; "
                           "use -p1 or -p2 (you asked for pass {})",
                           options_.lastPass));
  printDiagnostics();
  return 1;
}

} // namespace mstap
