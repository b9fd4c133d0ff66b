// mstap-kernel-tool: what the kernel library sees of a kernel, for checks by
// hand.
//
//   mstap-kernel-tool [--sysroot DIR] [-r RELEASE|BUILD_DIR] [--no-cache] [-v] COMMAND
//     info                          where the functions come from, counts, timings
//     functions [PATTERN]           probe-able functions matching PATTERN (default *)
//     prototype NAME                NAME's C declaration
//     modules [PATTERN]             module files matching PATTERN
//     module-functions MODULE [PATTERN]
//     trace-groups                  each BTF tracepoint with its group from the
//                                   header tree ("-" when unknown), and coverage
#include "kernel/kernel_functions.h"
#include "kernel/target.h"
#include "kernel/trace_groups.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace mstap::kernel;

int usage() {
  std::fprintf(stderr,
               "usage: mstap-kernel-tool [--sysroot DIR] [-r RELEASE|BUILD_DIR] [--no-cache] [-v] COMMAND [ARGS]\n"
               "commands: info | functions [PATTERN] | prototype NAME | modules [PATTERN] |\n"
               "          module-functions MODULE [PATTERN] | trace-groups\n");
  return 2;
}

// Returns false when the pattern named one function that cannot be probed,
// the case pass 2 reports as an error.
bool printMatches(const FunctionMatches &matches, bool verbose) {
  for (const KernelFunction *function : matches.functions) {
    if (verbose && function->prototype)
      std::printf("%s\n", function->prototype->declaration.c_str());
    else
      std::printf("%s\n", function->name.c_str());
  }
  std::fprintf(stderr, "%zu functions, %zu dropped as not probe-able\n", matches.functions.size(),
               matches.dropped.size());
  if (verbose)
    for (const DroppedFunction &dropped : matches.dropped)
      std::fprintf(stderr, "  dropped %s: %s\n", dropped.name.c_str(), dropped.reason.c_str());
  if (matches.exactNameBlocked()) {
    std::fprintf(stderr, "error: %s cannot be probed: %s\n", matches.dropped[0].name.c_str(),
                 matches.dropped[0].reason.c_str());
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  std::string sysroot = "/";
  std::string release;
  bool useCache = true;
  bool verbose = false;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--sysroot" && i + 1 < argc)
      sysroot = argv[++i];
    else if (arg == "-r" && i + 1 < argc)
      release = argv[++i];
    else if (arg == "--no-cache")
      useCache = false;
    else if (arg == "-v")
      verbose = true;
    else if (arg.size() > 1 && arg[0] == '-')
      return usage();
    else
      words.push_back(arg);
  }
  if (words.empty())
    return usage();
  const std::string &command = words[0];

  OrError<KernelTarget> target = resolveKernelTarget(release, sysroot);
  if (!target.ok()) {
    std::fprintf(stderr, "error: %s\n", target.error().c_str());
    return 1;
  }
  if (command == "modules") {
    OrError<std::vector<ModuleFile>> modules = listModules(*target);
    if (!modules.ok()) {
      std::fprintf(stderr, "error: %s\n", modules.error().c_str());
      return 1;
    }
    for (const ModuleFile &module : findModules(*modules, words.size() > 1 ? words[1] : "*"))
      std::printf("%s\t%s\n", module.name.c_str(), module.path.c_str());
    return 0;
  }

  LoadOptions options = useCache ? LoadOptions::defaults() : LoadOptions{};
  OrError<KernelFunctions> kernel = KernelFunctions::load(*target, options);
  if (!kernel.ok()) {
    std::fprintf(stderr, "error: %s\n", kernel.error().c_str());
    return 1;
  }
  const LoadReport &report = kernel->report();
  if (verbose || command == "info") {
    std::fprintf(stderr, "kernel %s%s\n", target->release.c_str(), target->running ? " (running)" : "");
    std::fprintf(stderr, "names from: %s\n", report.symbolSource.empty() ? "BTF" : report.symbolSource.c_str());
    std::fprintf(stderr, "BTF from: %s\n", report.btfSource.empty() ? "(none)" : report.btfSource.c_str());
    for (const std::string &note : report.notes)
      std::fprintf(stderr, "note: %s\n", note.c_str());
    std::fprintf(stderr, "loaded in %.1f ms (symbols %.1f ms, BTF %.1f ms)\n", report.totalMilliseconds,
                 report.symbolMilliseconds, report.btfMilliseconds);
  }

  if (command == "info") {
    std::printf("functions: %zu\n", kernel->table().size());
    std::printf("BTF function entries: %zu\n", report.btfFunctionEntries);
    std::printf("names shared by several functions: %zu\n", kernel->table().duplicateNames());
    std::printf("non-entry symbols left out: %zu\n", report.nonEntrySymbols);
    std::printf("kernel kprobes blacklist entries: %zu\n", report.kernelBlacklistEntries);
    return 0;
  }
  if (command == "functions") {
    return printMatches(kernel->matchFunctions(words.size() > 1 ? words[1] : "*"), verbose) ? 0 : 1;
  }
  if (command == "trace-groups") {
    if (!kernel->btf()) {
      std::fprintf(stderr, "error: kernel %s has no BTF\n", target->release.c_str());
      return 1;
    }
    TraceGroups groups = loadTraceGroups(*target);
    size_t tracepoints = 0, grouped = 0;
    for (const Tracepoint &tp : kernel->btf()->tracepoints()) {
      auto found = groups.groupOf.find(tp.name);
      ++tracepoints;
      grouped += found != groups.groupOf.end();
      std::printf("%s\t%s\n", found == groups.groupOf.end() ? "-" : found->second.c_str(), tp.name.c_str());
    }
    for (const std::string &root : groups.roots)
      std::fprintf(stderr, "header tree: %s\n", root.c_str());
    std::fprintf(stderr, "%zu of %zu tracepoints with a group (%zu events in %zu headers, read in %.1f ms)\n",
                 grouped, tracepoints, groups.groupOf.size(), groups.headers, groups.milliseconds);
    return 0;
  }
  if (command == "prototype" && words.size() == 2) {
    const KernelFunction *function = kernel->find(words[1]);
    if (!function) {
      std::fprintf(stderr, "error: no function %s in kernel %s\n", words[1].c_str(), target->release.c_str());
      return 1;
    }
    std::printf("%s\n", function->prototype ? function->prototype->declaration.c_str() : function->name.c_str());
    return 0;
  }
  if (command == "module-functions" && words.size() >= 2) {
    OrError<std::vector<ModuleFile>> modules = listModules(*target);
    if (!modules.ok()) {
      std::fprintf(stderr, "error: %s\n", modules.error().c_str());
      return 1;
    }
    std::vector<ModuleFile> found = findModules(*modules, words[1]);
    if (found.empty()) {
      std::fprintf(stderr, "error: no module %s in %s\n", words[1].c_str(), target->modulesDir.c_str());
      return 1;
    }
    for (const ModuleFile &file : found) {
      OrError<ModuleFunctions> module = ModuleFunctions::load(file, *kernel);
      if (!module.ok()) {
        std::fprintf(stderr, "error: %s\n", module.error().c_str());
        return 1;
      }
      for (const std::string &note : module->notes())
        std::fprintf(stderr, "note: %s\n", note.c_str());
      if (!printMatches(module->matchFunctions(words.size() > 2 ? words[2] : "*"), verbose))
        return 1;
    }
    return 0;
  }
  return usage();
}
