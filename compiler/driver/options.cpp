#include "driver/options.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <getopt.h>

namespace mstap {

namespace {
enum LongOnly {
  OptVm = 1000,
  OptSysroot,
  OptCheckEnv,
  OptDisableCache,
  OptCleanCache,
  OptDumpFunctions,
  OptDumpProbeAliases,
  OptSuppressTimeLimits,
  OptColour,
  OptDumpProbeTypes,
};

bool parseLong(const char *text, long &value) {
  if (!*text)
    return false;
  errno = 0;
  char *end = nullptr;
  value = std::strtol(text, &end, 10);
  return errno == 0 && *end == '\0';
}

// stap's options that mstap knows and refuses, with the reason; nullptr for
// an option stap does not have either.
const char *refusedStapOption(const std::string &option) {
  if (option == "-t")
    return "per-probe hit counts and times are not kept by mstap's runtime";
  if (option == "-b")
    return "mstap's runtime has one output ring, not per-CPU bulk files; -o FILE writes the output to a file";
  if (option == "-F")
    return "mstap has no flight recorder mode: a script runs attached to mstap (bound it with -T or -c)";
  if (option == "-S")
    return "mstap does not switch output files; -o FILE writes one file";
  if (option == "-d" || option == "--ldd")
    return "mstap has no backtrace or symbol functions that would read another program's symbols";
  return nullptr;
}
} // namespace

std::string versionText() {
  return "mstap translator/driver (version 0.1.0)\n"
         "A SystemTap-script translator: scripts in stap's language, kernel modules without debuginfo.\n";
}

std::string usageText() {
  return R"(Usage: mstap [OPTIONS] FILE [ARGS...]
   or: mstap [OPTIONS] -e SCRIPT [ARGS...]
   or: mstap [OPTIONS] - [ARGS...]          (the script from standard input)

ARGS are the script's arguments: $1..$N as integers, @1..@N as strings,
$# and @# their count.

Options:
  -h, --help        show this text
  -V, --version     show the version
  -v                more verbose: one line a pass (repeat for more)
  -p NUM            stop after pass NUM: 1 parse, 2 elaborate, 3 translate to C,
                    4 build the module, 5 run it (the default)
  -e SCRIPT         run SCRIPT, given on the command line
  -g                guru mode: allow embedded C (%{ ... %})
  -w                no warnings
  -W                treat warnings as errors
  -u                accepted for stap's command lines: it changes nothing here
                    (mstap's module is the same with and without it)
  -s NUM            an output buffer of NUM megabytes (1 to 1024, rounded up
                    to a power of two; default 1)
  --suppress-time-limits
                    lift MAXACTION and MAXTRYLOCK (guru mode, -g, only)
  --color[=WHEN], --colour[=WHEN]
                    colour the diagnostics: always, never or auto (the
                    default: when standard error is a terminal)
  -o FILE           send the script's output to FILE
  -r RELEASE        target kernel: a release, or a kernel build tree
  --sysroot DIR     find the target kernel's files under DIR
  -m NAME           name the module NAME
  -k                keep the temporary build folder, and say where it is
  -D NAME=VALUE     set a runtime limit or macro (MAXACTION=..., ...)
  -B NAME=VALUE     pass a setting to kbuild
  -I DIR            look for library scripts (tapsets) in DIR too
  -l PATTERN        list the probe points that PATTERN matches
  -L PATTERN        the same, with their target variables
  -c CMD            run CMD, and stop when it exits
  -x PID            set target() to PID
  -T SECONDS        stop after SECONDS
  --vm              run the script in a throwaway virtual machine
  --check-env       check the kernel build environment and report
  --disable-cache   do not use the module cache
  --clean-cache     empty the module cache
  --dump-functions  list the built-in and library functions with their
                    signatures
  --dump-probe-aliases
                    list the library's probe aliases and their points
  --dump-probe-types
                    list the kinds of probe point mstap supports

Exit status: 0 on success, 1 on an error in the script or its environment.
)";
}

bool parseOptions(int argc, char **argv, Options &o, std::string &error) {
  static const struct option longOptions[] = {
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {"vm", no_argument, nullptr, OptVm},
      {"sysroot", required_argument, nullptr, OptSysroot},
      {"check-env", no_argument, nullptr, OptCheckEnv},
      {"disable-cache", no_argument, nullptr, OptDisableCache},
      {"clean-cache", no_argument, nullptr, OptCleanCache},
      {"dump-functions", no_argument, nullptr, OptDumpFunctions},
      {"dump-probe-aliases", no_argument, nullptr, OptDumpProbeAliases},
      {"dump-probe-types", no_argument, nullptr, OptDumpProbeTypes},
      {"suppress-time-limits", no_argument, nullptr, OptSuppressTimeLimits},
      {"color", optional_argument, nullptr, OptColour},
      {"colour", optional_argument, nullptr, OptColour},
      {nullptr, 0, nullptr, 0},
  };
  // '+': stop at the script name, so that its arguments ("-5") stay arguments.
  // ':': report a missing option argument as ':'.
  const char *shortOptions = "+:hVvp:e:gwWus:o:r:m:kD:B:I:l:L:c:x:T:";
  optind = 0; // 0, not 1: glibc then resets all its state (tests parse many times)
  opterr = 0;
  for (;;) {
    int c = getopt_long(argc, argv, shortOptions, longOptions, nullptr);
    if (c == -1)
      break;
    long number = 0;
    switch (c) {
    case 'h': o.help = true; break;
    case 'V': o.version = true; break;
    case 'v': ++o.verbose; break;
    case 'p':
      if (!parseLong(optarg, number) || number < 1 || number > 5) {
        error = fmt::format("invalid pass number '{}': -p takes 1 to 5", optarg);
        return false;
      }
      o.lastPass = static_cast<int>(number);
      break;
    case 'e': o.scriptText = optarg; break;
    case 'g': o.guru = true; break;
    case 'w': o.noWarnings = true; break;
    case 'W': o.warningsAsErrors = true; break;
    case 'u': o.unoptimized = true; break;
    case 's':
      if (!parseLong(optarg, number) || number < 1 || number > 1024) {
        error = fmt::format("invalid buffer size '{}' for -s: 1 to 1024 megabytes", optarg);
        return false;
      }
      o.bufferMegabytes = static_cast<int>(number);
      break;
    case 'o': o.outputFile = optarg; break;
    case 'r': o.release = optarg; break;
    case 'm': o.moduleName = optarg; break;
    case 'k': o.keepTemps = true; break;
    case 'D': o.defines.push_back(optarg); break;
    case 'B': o.kbuildSettings.push_back(optarg); break;
    case 'I': o.includeDirs.push_back(optarg); break;
    case 'l': o.listPattern = optarg; break;
    case 'L': o.listVarsPattern = optarg; break;
    case 'c': o.command = optarg; break;
    case 'x':
      if (!parseLong(optarg, number) || number <= 0) {
        error = fmt::format("invalid process id '{}' for -x", optarg);
        return false;
      }
      o.targetPid = number;
      break;
    case 'T':
      if (!parseLong(optarg, number) || number <= 0) {
        error = fmt::format("invalid time '{}' for -T: a whole number of seconds", optarg);
        return false;
      }
      o.timeoutSeconds = number;
      break;
    case OptVm: o.vm = true; break;
    case OptSysroot: o.sysroot = optarg; break;
    case OptCheckEnv: o.checkEnv = true; break;
    case OptDisableCache: o.disableCache = true; break;
    case OptCleanCache: o.cleanCache = true; break;
    case OptDumpFunctions: o.dumpFunctions = true; break;
    case OptDumpProbeAliases: o.dumpProbeAliases = true; break;
    case OptDumpProbeTypes: o.dumpProbeTypes = true; break;
    case OptSuppressTimeLimits: o.suppressTimeLimits = true; break;
    case OptColour: {
      std::string when = optarg ? optarg : "auto";
      if (when == "always")
        o.colour = Options::Colour::Always;
      else if (when == "never")
        o.colour = Options::Colour::Never;
      else if (when == "auto")
        o.colour = Options::Colour::Auto;
      else {
        error = fmt::format("invalid colour setting '{}' for --color: always, never or auto", when);
        return false;
      }
      break;
    }
    case ':':
      error = optopt ? fmt::format("option -{} needs an argument", static_cast<char>(optopt))
                     : fmt::format("option {} needs an argument", argv[optind - 1]);
      return false;
    default: {
      std::string option = optopt ? fmt::format("-{}", static_cast<char>(optopt)) : std::string(argv[optind - 1]);
      option = option.substr(0, option.find('='));
      if (const char *why = refusedStapOption(option))
        error = fmt::format("stap's {} is not supported by mstap: {}", option, why);
      else
        error = fmt::format("unknown option {}", option);
      return false;
    }
    }
  }
  if (o.suppressTimeLimits && !o.guru) {
    error = "--suppress-time-limits needs guru mode (-g): without the limits a probe may run forever";
    return false;
  }
  int i = optind;
  if (!o.scriptText && i < argc)
    o.scriptFile = argv[i++];
  for (; i < argc; ++i)
    o.args.push_back(argv[i]);
  return true;
}

} // namespace mstap
