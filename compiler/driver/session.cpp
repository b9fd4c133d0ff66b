#include "driver/session.h"

#include "driver/library.h"

#include "ast/printer.h"
#include "build/build.h"
#include "codegen/codegen.h"
#include "kernel/files.h"
#include "run/runner.h"
#include "run/script_vm.h"
#include "driver/data_dirs.h"
#include "driver/kernel_probes.h"
#include "driver/probe_types.h"
#include "driver/status_line.h"
#include "driver/user_probes.h"
#include "kernel/environment.h"
#include "kernel/target.h"
#include "kernel/user_binary.h"
#include "parse/parser.h"
#include "sema/builtins.h"
#include "sema/elaborate.h"
#include "sema/pass2.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <cstdlib>
#include <string.h>
#include <iterator>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <iostream>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <csignal>
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
  if (options_.colour == Options::Colour::Auto)
    colour_ = isatty(STDERR_FILENO) && !std::getenv("NO_COLOR") && term && std::strcmp(term, "dumb") != 0;
  else
    colour_ = options_.colour == Options::Colour::Always;
  diags_.setWarningsEnabled(!options_.noWarnings);
}

void Session::printDiagnostics() { diags_.print(stderr, colour_); }

// -W: a pass that warned fails, as if its warnings were errors.
bool Session::warningsAreErrors() {
  if (!options_.warningsAsErrors)
    return false;
  size_t warnings = std::count_if(diags_.all().begin(), diags_.all().end(),
                                  [](const Diagnostic &d) { return d.severity == Severity::Warning; });
  if (warnings == 0)
    return false;
  diags_.error(fmt::format("{} warning{} treated as error{} (-W)", warnings, warnings == 1 ? "" : "s",
                           warnings == 1 ? "" : "s"));
  printDiagnostics();
  return true;
}

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

// The target kernel's .config as %( CONFIG_NAME == "y" %) reads it: the
// build tree's, else the image's /boot/config-RELEASE (in the sysroot), read
// once, when a condition first asks.
static std::function<std::optional<std::string>(const std::string &)>
kernelConfigLookup(const kernel::KernelTarget &target) {
  auto values = std::make_shared<std::optional<std::map<std::string, std::string>>>();
  return [target, values](const std::string &name) -> std::optional<std::string> {
    if (!*values) {
      values->emplace();
      std::string sysroot = target.sysroot == "/" ? "" : target.sysroot;
      for (const std::string &path : {target.buildDir + "/.config", sysroot + "/boot/config-" + target.release,
                                       "/usr/src/linux-headers-" + target.release + "/.config"}) {
        std::ifstream in(path);
        if (!in)
          continue;
        std::string line;
        while (std::getline(in, line)) {
          size_t eq = line.find('=');
          if (line.rfind("CONFIG_", 0) != 0 || eq == std::string::npos)
            continue;
          std::string value = line.substr(eq + 1);
          if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
          (**values)[line.substr(0, eq)] = value;
        }
        break;
      }
    }
    auto it = (*values)->find(name);
    if (it == (*values)->end())
      return std::nullopt;
    return it->second;
  };
}

bool Session::pass1() {
  PassTimer timer;
  ParseOptions parseOptions;
  parseOptions.args = options_.args;
  parseOptions.guru = options_.guru;
  // %( %) conditions read the target kernel (-r, --sysroot).
  ConditionContext conditions;
  auto target = kernel::resolveKernelTarget(options_.release, options_.sysroot.empty() ? "/" : options_.sysroot);
  if (target) {
    conditions.kernelRelease = target->release;
    conditions.config = kernelConfigLookup(*target);
  }
  parseOptions.conditions = &conditions;
  // The library's macro files first: their macros are the script's too.
  ParseOptions libraryOptions = parseOptions;
  libraryOptions.args.clear(); // `$1` in a library script is not the user's argument
  libraryOptions.embeddedC = true;
  library_ = std::make_unique<Library>(librarySearchPath(tapsetDirectory(), options_.includeDirs));
  bool linked = library_->loadMacros(libraryOptions, diags_);
  parseOptions.libraryMacros = libraryOptions.libraryMacros = library_->macros();
  script_ = linked ? parseScript(*file_, parseOptions, diags_) : nullptr;
  // The library's own conditionals read the same target.
  if (script_)
    linked = library_->link(*script_, libraryOptions, diags_);
  printDiagnostics();
  if (!script_ || !linked || warningsAreErrors()) {
    std::fprintf(stderr, "Pass 1: parse failed.\n");
    return false;
  }
  if (options_.verbose > 0)
    std::fprintf(stderr, "Pass 1: parsed user script and %zu library scripts using %s, %s\n",
                 library_->filesParsed(), PassTimer::memoryUse().c_str(), timer.elapsed().c_str());
  if (options_.lastPass == 1) {
    std::string text = ast::printScript(*script_);
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return true;
}

// @defined($x) in a probe: $x must exist at every point the probe expanded to.
static bool targetDefined(const FunctionSource &kernel, const FunctionSource &user,
                          const std::vector<ResolvedProbe> &points, const ast::TargetExpr &target) {
  if (points.empty())
    return false;
  for (const ResolvedProbe &p : points) {
    std::optional<CPrototype> prototype;
    if (p.kernel)
      prototype = kernel.prototype(p);
    else if (p.user)
      prototype = user.prototype(p);
    if (!prototype)
      return false; // no prototype known here
    const std::string &name = target.name;
    if (name.rfind("$$", 0) == 0)
      continue; // $$parms and friends exist wherever the prototype is known
    std::string plain = name.substr(1, name.size() - 1 - (name.back() == '$' && name.size() > 2));
    if (plain == "return") {
      if (!p.isReturn || prototype->returns.spelling == "void")
        return false;
      continue;
    }
    bool found = false;
    for (const auto &param : prototype->params)
      found = found || param.name == plain;
    if (!found)
      return false;
  }
  return true;
}

bool Session::pass2() {
  PassTimer timer;
  KernelProbes kernelProbes(options_);
  UserProbes userProbes(searchPath());
  ElaborateOptions elaborateOptions;
  elaborateOptions.guru = options_.guru;
  elaborateOptions.kernel = &kernelProbes;
  elaborateOptions.user = &userProbes;
  elaborated_ = analyzeScript(*script_, elaborateOptions,
                              [&](const std::vector<ResolvedProbe> &points, const ast::TargetExpr &target) {
                                return targetDefined(kernelProbes, userProbes, points, target);
                              },
                              diags_);
  const ElaborateResult &result = elaborated_;
  printDiagnostics();
  if (options_.verbose > 0) {
    for (const std::string &line : kernelProbes.report())
      std::fprintf(stderr, "Pass 2: %s\n", line.c_str());
    for (const std::string &line : userProbes.report())
      std::fprintf(stderr, "Pass 2: %s\n", line.c_str());
  }
  if (!result.ok || warningsAreErrors()) {
    std::fprintf(stderr, "Pass 2: analysis failed.\n");
    return false;
  }
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

// Where process("NAME") finds a program named without a '/': $PATH, as stap.
std::string Session::searchPath() {
  const char *path = std::getenv("PATH");
  return path ? path : "/usr/local/bin:/usr/bin:/bin";
}

// -l PATTERN and -L PATTERN: the probe points a pattern expands to, one a
// line, as stap lists them (tracepoints with their group when the header tree
// gives it); -L adds each point's target variables.
int Session::listProbes() {
  const std::string &pattern = options_.listPattern.empty() ? options_.listVarsPattern : options_.listPattern;
  bool withVars = options_.listPattern.empty();
  file_ = std::make_unique<SourceFile>("<list>", "probe " + pattern + " {}\n");
  library_ = std::make_unique<Library>(librarySearchPath(tapsetDirectory(), options_.includeDirs));
  ParseOptions libraryOptions;
  libraryOptions.embeddedC = true;
  bool macrosOk = library_->loadMacros(libraryOptions, diags_);
  libraryOptions.libraryMacros = library_->macros();
  ParseOptions listOptions;
  listOptions.libraryMacros = library_->macros();
  script_ = macrosOk ? parseScript(*file_, listOptions, diags_) : nullptr;
  if (!script_ || !library_->link(*script_, libraryOptions, diags_)) {
    printDiagnostics();
    return 1;
  }
  KernelProbes kernelProbes(options_);
  UserProbes userProbes(searchPath());
  ElaborateOptions elaborateOptions;
  elaborateOptions.kernel = &kernelProbes;
  elaborateOptions.user = &userProbes;
  ElaborateResult result = elaborate(*script_, elaborateOptions, diags_);
  printDiagnostics();
  if (options_.verbose > 0) {
    for (const std::string &line : kernelProbes.report())
      std::fprintf(stderr, "%s\n", line.c_str());
    for (const std::string &line : userProbes.report())
      std::fprintf(stderr, "%s\n", line.c_str());
  }
  if (!result.ok)
    return 1;
  // " $name:type ..." of a resolved point, from its prototype (BTF, DWARF).
  auto targetVariables = [&](const ResolvedProbe &p) {
    std::optional<CPrototype> prototype =
        p.kernel ? kernelProbes.prototype(p) : p.user ? userProbes.prototype(p) : std::nullopt;
    std::string text;
    if (!prototype)
      return text;
    for (const CParameter &param : prototype->params)
      if (!param.name.empty())
        text += " $" + param.name + ":" + param.type.spelling;
    if (p.isReturn && prototype->returns.spelling != "void")
      text += " $return:" + prototype->returns.spelling;
    return text;
  };
  std::set<std::string> lines;
  size_t index = 0;
  for (const ast::Decl &decl : script_->decls) {
    if (decl.kind != ast::Decl::Kind::Probe)
      continue;
    const auto &points = result.probes.at(index++);
    // A point on an alias lists as the alias, with the variables its
    // prologue sets (in order) and the first point's target variables.
    const ast::ProbeDecl &probe = *decl.probe;
    if (!probe.alias.empty()) {
      if (points.empty())
        continue;
      std::string line = probe.alias;
      if (withVars) {
        for (const auto &v : probe.locals)
          if (v->scope == ast::Variable::Scope::Local && v->type != ast::Type::Unknown)
            line += " " + v->name + ":" + ast::typeName(v->type);
        line += targetVariables(points.front());
      }
      lines.insert(line);
      continue;
    }
    for (const ResolvedProbe &p : points)
      lines.insert(withVars ? p.point + targetVariables(p) : p.point);
  }
  for (const std::string &line : lines)
    std::printf("%s\n", line.c_str());
  return 0;
}

// Names that start with "__" are the library's own, not for scripts.
static bool isInternalName(const std::string &name) { return name.rfind("__", 0) == 0; }

// --dump-functions: the built-ins, then the library's functions, each with
// its signature and summary; --dump-probe-aliases: each library alias with
// the points it stands for, as stap lists them ("NAME = POINT, POINT").
int Session::dumpLibrary() {
  Library library(librarySearchPath(tapsetDirectory(), options_.includeDirs));
  ParseOptions parseOptions;
  parseOptions.embeddedC = true;
  bool ok = library.loadMacros(parseOptions, diags_);
  parseOptions.libraryMacros = library.macros();
  ok = ok && library.parseAll(parseOptions, diags_);
  printDiagnostics();
  if (!ok)
    return 1;
  std::map<std::string, std::string> lines; // sorted, first definition wins
  if (options_.dumpFunctions) {
    for (const ast::Builtin &b : ast::builtins())
      std::printf("%s\n    %s\n", ast::builtinSignature(b).c_str(), b.summary);
    library.forEachDecl([&](const ast::Decl &decl, const SourceFile &file) {
      if (decl.kind != ast::Decl::Kind::Function || isInternalName(decl.function->name))
        return;
      const ast::FunctionDecl &f = *decl.function;
      std::string signature = f.name;
      if (f.returnType != ast::Type::Unknown)
        signature += std::string(":") + ast::typeName(f.returnType);
      signature += " (";
      for (size_t i = 0; i < f.params.size(); ++i) {
        signature += (i ? ", " : "") + f.params[i].name;
        if (f.params[i].type != ast::Type::Unknown)
          signature += std::string(":") + ast::typeName(f.params[i].type);
      }
      signature += ")";
      std::string summary = docSummary(docComment(file, f.loc().line));
      lines.emplace(f.name, signature + "\n    " + (summary.empty() ? "(undocumented)" : summary) + "\n");
    });
  } else {
    library.forEachDecl([&](const ast::Decl &decl, const SourceFile &) {
      if (decl.kind != ast::Decl::Kind::Alias)
        return;
      std::string points;
      for (size_t i = 0; i < decl.alias->points.size(); ++i)
        points += (i ? ", " : "") + ast::printProbePoint(decl.alias->points[i]);
      for (const ast::ProbePoint &name : decl.alias->names) {
        std::string text = ast::printProbePoint(name);
        if (!isInternalName(text))
          lines.emplace(text + (decl.alias->epilogue ? " += " : " = ") + points, text + (decl.alias->epilogue ? " += " : " = ") + points + "\n");
      }
    });
  }
  for (const auto &[name, text] : lines)
    std::fputs(text.c_str(), stdout);
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
    std::printf("runtime: %s\n", runtimeDirectory().c_str());
    return 0;
  }
  if (options_.dumpFunctions || options_.dumpProbeAliases)
    return dumpLibrary();
  if (options_.dumpProbeTypes) {
    for (const std::string &type : probeTypes())
      std::printf("%s\n", type.c_str());
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
  if (options_.cleanCache) {
    std::string problem;
    if (!build::cleanCache(kernel::defaultCacheDirectory(), problem)) {
      diags_.error(fmt::format("cannot clean the cache: {}", problem));
      printDiagnostics();
      return 1;
    }
    if (!options_.scriptText && options_.scriptFile.empty())
      return 0;
  }
  if (options_.vm && !chooseVmKernel()) {
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
  if (!pass3())
    return 1;
  if (options_.lastPass == 3)
    return 0;
  if (!pass4())
    return 1;
  if (options_.lastPass == 4)
    return 0;
  return pass5();
}

// The script's name in messages and in the module's error locations.
std::string Session::scriptName() const {
  if (options_.scriptText)
    return "<input>";
  if (options_.scriptFile == "-")
    return "<stdin>";
  return options_.scriptFile;
}

// Pass 3: the module's C. -p3 prints it.
bool Session::pass3() {
  PassTimer timer;
  codegen::CodegenResult result = codegen::generateC(*script_, elaborated_, scriptName(), diags_);
  printDiagnostics();
  if (!result.ok || warningsAreErrors()) {
    std::fprintf(stderr, "Pass 3: translation failed.\n");
    return false;
  }
  generatedC_ = std::move(result.c);
  if (options_.verbose > 0)
    std::fprintf(stderr, "Pass 3: translated to C (%zu bytes) using %s, %s\n", generatedC_.size(),
                 PassTimer::memoryUse().c_str(), timer.elapsed().c_str());
  if (options_.lastPass == 3)
    std::fwrite(generatedC_.data(), 1, generatedC_.size(), stdout);
  return true;
}

} // namespace mstap

namespace mstap {

Session::~Session() {
  if (!scratchDir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(scratchDir_, ignored);
  }
}

// --vm without --sysroot: the kernel tools/fetch-kernel unpacked for -r, or
// without -r the newest one it unpacked.
bool Session::chooseVmKernel() {
  if (!options_.sysroot.empty())
    return true;
  namespace fs = std::filesystem;
  fs::path kernels = fs::path(kernel::defaultCacheDirectory()) / "kernels";
  std::error_code ec;
  if (!options_.release.empty() && options_.release.find('/') == std::string::npos) {
    if (!fs::is_directory(kernels / options_.release / "boot", ec)) {
      diags_.error(fmt::format("no kernel {} to boot: fetch it with: tools/fetch-kernel {}", options_.release,
                               options_.release));
      return false;
    }
    options_.sysroot = (kernels / options_.release).string();
    return true;
  }
  std::vector<std::string> found;
  for (auto it = fs::directory_iterator(kernels, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (fs::is_directory(it->path() / "boot"))
      found.push_back(it->path().filename().string());
  if (found.empty()) {
    diags_.error("no kernel to boot for --vm: fetch Debian's with tools/fetch-kernel [RELEASE] "
                 "(nothing is installed), or name one with --sysroot and -r");
    return false;
  }
  std::sort(found.begin(), found.end(), [](const std::string &a, const std::string &b) {
    return strverscmp(a.c_str(), b.c_str()) < 0;
  });
  options_.release = found.back();
  options_.sysroot = (kernels / found.back()).string();
  return true;
}

// Why the runtime folder $MSTAP_RUNTIME_DIR names is not to be compiled
// into a module, "" when it is: its C is built (and, by root, loaded) as
// kernel code, so the folder and everything in it must be root's or the
// user's, writable by nobody else, with no symbolic link inside.
static std::string distrustRuntimeDir(const std::string &dir) {
  auto check = [](const std::string &path, bool follow) -> std::string {
    struct stat st;
    if ((follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) != 0)
      return fmt::format("cannot inspect {}: {}", path, std::strerror(errno));
    if (S_ISLNK(st.st_mode))
      return path + " is a symbolic link";
    if (st.st_uid != 0 && st.st_uid != ::geteuid())
      return fmt::format("{} belongs to user {}, neither root nor user {}", path, st.st_uid, ::geteuid());
    if (st.st_mode & (S_IWGRP | S_IWOTH))
      return path + " is writable by its group or others";
    return "";
  };
  std::string why = check(dir, true);
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; why.empty() && !ec && it != end;
       it.increment(ec))
    why = check(it->path().string(), false);
  if (why.empty() && ec)
    why = fmt::format("cannot list {}: {}", dir, ec.message());
  return why;
}

// Pass 4: the module, built by the kernel's kbuild (or taken from the cache).
bool Session::pass4() {
  PassTimer timer;
  if (const char *dir = std::getenv("MSTAP_RUNTIME_DIR"); dir && *dir) {
    if (std::string why = distrustRuntimeDir(dir); !why.empty()) {
      diags_.error(fmt::format("MSTAP_RUNTIME_DIR={} is not used: {}", dir, why));
      printDiagnostics();
      std::fprintf(stderr, "Pass 4: compilation failed.\n");
      return false;
    }
  }
  auto target = kernel::resolveKernelTarget(options_.release, options_.sysroot.empty() ? "/" : options_.sysroot);
  if (!target) {
    diags_.error(target.error());
    printDiagnostics();
    return false;
  }
  release_ = target->release;
  std::ifstream osReleaseFile("/etc/os-release");
  std::string osRelease((std::istreambuf_iterator<char>(osReleaseFile)), std::istreambuf_iterator<char>());
  kernel::BuildEnvironment env = kernel::checkBuildEnvironment(*target, osRelease);
  if (!env.ok()) {
    for (const auto &check : env.checks)
      if (!check.ok) {
        diags_.error(fmt::format("cannot build for kernel {}: {}: {}", target->release, check.what, check.detail));
        diags_.note(nullptr, {}, "fix: " + check.fix);
        break;
      }
    diags_.note(nullptr, {}, "mstap --check-env -r " + target->release + " shows every check");
    printDiagnostics();
    std::fprintf(stderr, "Pass 4: compilation failed.\n");
    return false;
  }
  std::string name = options_.moduleName;
  if (name.empty()) {
    name = build::defaultModuleName(generatedC_ + "\n" + target->release);
  } else if (auto problem = build::validateModuleName(name)) {
    diags_.error(fmt::format("bad module name '{}' (-m): {}", name, *problem));
    printDiagnostics();
    return false;
  }
  build::BuildRequest request;
  request.cSource = generatedC_;
  request.moduleName = name;
  request.buildTree = env.buildDir;
  request.release = target->release;
  request.runtimeDir = runtimeDirectory();
  request.defines = options_.defines;
  // -s NUM: the output ring, a power of two of bytes (runtime/mstap_context.h).
  if (options_.bufferMegabytes > 0) {
    long bytes = 1L << 20;
    while (bytes < options_.bufferMegabytes * (1L << 20))
      bytes <<= 1;
    request.defines.push_back(fmt::format("MSTAP_BUFFER_BYTES={}", bytes));
  }
  // --suppress-time-limits: no bound on a probe's statements or on its
  // attempts at a lock (the runtime counts attempts in a u32).
  if (options_.suppressTimeLimits) {
    request.defines.push_back("MSTAP_MAXACTION=9223372036854775807ULL");
    request.defines.push_back("MSTAP_MAXTRYLOCK=4294967295U");
  }
  request.kbuildSettings = options_.kbuildSettings;
  request.keepTemporary = options_.keepTemps;
  request.verbose = options_.verbose; // -v: kbuild's output; -vv: its commands (V=1)
  request.useCache = !options_.disableCache;
  request.cacheKeyText = "mstap pass 4";
  if (options_.lastPass == 4) {
    request.outputDir = ".";
  } else {
    // Built only to be run: into a private folder, removed at the end.
    char templ[] = "/tmp/mstapXXXXXX";
    if (!mkdtemp(templ)) {
      diags_.error(fmt::format("cannot make a temporary folder: {}", std::strerror(errno)));
      printDiagnostics();
      return false;
    }
    scratchDir_ = templ;
    request.outputDir = scratchDir_;
  }
  StatusLine status(STDERR_FILENO, StatusLine::wanted(options_.verbose));
  status.show(fmt::format("building the module for {}", target->release));
  build::BuildResult result = build::buildModule(request);
  status.clear();
  if (!result.kbuildOutput.empty() && (options_.verbose > 0 || !result.ok))
    std::fwrite(result.kbuildOutput.data(), 1, result.kbuildOutput.size(), stderr);
  if (!result.ok) {
    diags_.error(result.internalError ? "internal error: " + result.message : result.message);
    printDiagnostics();
    std::fprintf(stderr, "Pass 4: compilation failed.\n");
    return false;
  }
  if (!result.message.empty() && options_.keepTemps)
    std::fprintf(stderr, "%s\n", result.message.c_str());
  modulePath_ = result.koPath;
  if (options_.verbose > 0 && !result.cacheNote.empty())
    std::fprintf(stderr, "Pass 4: %s\n", result.cacheNote.c_str());
  if (options_.verbose > 0) {
    if (result.cacheHit)
      std::fprintf(stderr, "Pass 4: using cached %s\n", modulePath_.c_str());
    else
      std::fprintf(stderr, "Pass 4: compiled C into \"%s\" using %s, %s\n", modulePath_.c_str(),
                   PassTimer::memoryUse().c_str(), timer.elapsed().c_str());
  }
  if (options_.lastPass == 4)
    std::printf("%s\n", modulePath_.c_str());
  return true;
}

// mstap-runner: beside this mstap, or $MSTAP_RUNNER.
static std::string runnerBinary() {
  if (const char *path = std::getenv("MSTAP_RUNNER"); path && *path)
    return path;
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "mstap-runner").string();
}

// The privilege split: mstap, not root, ran passes 1-4 as its user and
// leaves the load to the mstap-runner binary beside it, installed setuid
// root for the groups mstap-dev and mstap-usr (it checks them, runs -c and
// opens -o as the user). A terminal's Ctrl-C reaches both; the runner
// stops the run, and mstap waits for it. Its exit status, or 1.
static int runAsRunner(const std::string &binary, const run::RunnerOptions &options) {
  std::vector<std::string> words = run::runnerArguments(options);
  words.insert(words.begin(), binary);
  std::vector<char *> argv;
  for (std::string &word : words)
    argv.push_back(word.data());
  argv.push_back(nullptr);
  std::fflush(nullptr);
  pid_t child = ::fork();
  if (child < 0) {
    std::fprintf(stderr, "mstap: error: cannot start %s: %s\n", binary.c_str(), std::strerror(errno));
    return 1;
  }
  if (child == 0) {
    ::execv(binary.c_str(), argv.data());
    std::fprintf(stderr, "mstap: error: cannot run %s: %s (loading a module needs root, or mstap-runner "
                         "installed setuid root)\n",
                 binary.c_str(), std::strerror(errno));
    ::_exit(1);
  }
  struct sigaction ignore {}, saved {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ignore, &saved);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  ::sigaction(SIGINT, &saved, nullptr);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

// Pass 5: load, run, unload; here, or in a throw-away VM with --vm.
int Session::pass5() {
  PassTimer timer;
  if (options_.verbose > 0)
    std::fprintf(stderr, "Pass 5: starting run.\n");
  std::fflush(stdout);
  int status = 1;
  if (options_.vm) {
    run::ModuleVmRun vm;
    vm.modulePath = modulePath_;
    vm.runnerPath = runnerBinary();
    vm.release = release_;
    vm.sysroot = options_.sysroot;
    vm.timeLimitSeconds = options_.timeoutSeconds ? static_cast<double>(*options_.timeoutSeconds) : 0;
    vm.verbose = options_.verbose > 1;
    vm.outputFile = options_.outputFile;
    vm.command = options_.command;
    if (!options_.command.empty()) {
      // The command's program, when it is a file here, goes in at the same
      // path; a relative one at its absolute path, which the command then
      // names, since the guest's working folder is not this one.
      std::string program = options_.command.substr(0, options_.command.find(' '));
      if (program.find('/') != std::string::npos && access(program.c_str(), X_OK) == 0) {
        std::error_code ec;
        std::string absolute = std::filesystem::absolute(program, ec).lexically_normal().string();
        if (ec)
          absolute = program;
        vm.hostFiles.push_back(absolute);
        if (absolute != program)
          vm.command = absolute + options_.command.substr(program.size());
      }
    }
    // The programs process probes name go in at the same paths too: the
    // runtime registers its uprobes on the guest's file of that name. The
    // guest has no C library, so a dynamically linked one cannot run there.
    for (const auto &points : elaborated_.probes)
      for (const ResolvedProbe &p : points)
        if (p.user && std::find(vm.hostFiles.begin(), vm.hostFiles.end(), p.user->binary) == vm.hostFiles.end()) {
          vm.hostFiles.push_back(p.user->binary);
          if (kernel::needsInterpreter(p.user->binary))
            diags_.warning(nullptr, {},
                           fmt::format("{} is dynamically linked: the VM has no C library to run it (its probes "
                                       "still register); build it with -static to run it there",
                                       p.user->binary));
        }
    printDiagnostics();
    if (options_.targetPid)
      vm.moduleParameters.push_back(fmt::format("mstap_target={}", *options_.targetPid));
    if (options_.timeoutSeconds)
      vm.timeoutSeconds = static_cast<int>(*options_.timeoutSeconds) + 120;
    // Until the script's first output: the boot, then the run.
    StatusLine progress(STDERR_FILENO, StatusLine::wanted(options_.verbose));
    progress.show(fmt::format("running in a VM with kernel {}", release_));
    vm.onOutput = [&progress](std::string_view text) {
      progress.clear();
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    };
    vm.onErrorOutput = [&progress](std::string_view text) {
      progress.clear();
      std::fflush(stdout);
      std::fwrite(text.data(), 1, text.size(), stderr);
    };
    vm.onError = [&progress](const std::string &message) {
      progress.clear();
      std::fprintf(stderr, "mstap: error: %s\n", message.c_str());
    };
    status = run::runModuleInVm(vm);
    progress.clear();
  } else {
    run::RunnerOptions runner;
    runner.modulePath = modulePath_;
    runner.outputFile = options_.outputFile;
    runner.timeLimitSeconds = options_.timeoutSeconds ? static_cast<double>(*options_.timeoutSeconds) : 0;
    runner.command = options_.command;
    runner.hasCommand = !options_.command.empty();
    if (options_.targetPid) {
      runner.targetPid = *options_.targetPid;
      runner.hasTarget = true;
    }
    runner.verbose = options_.verbose > 1;
    // Two runs of one script at once share the cached module: each loads
    // it under a name of its own, as stap does (a name given with -m is
    // kept).
    runner.rename = options_.moduleName.empty();
    status = ::geteuid() == 0 ? run::runModule(runner) : runAsRunner(runnerBinary(), runner);
  }
  if (options_.verbose > 0)
    std::fprintf(stderr, "Pass 5: run completed %s\n", timer.elapsed().c_str());
  return status;
}

} // namespace mstap
