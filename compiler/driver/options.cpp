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
};

bool parseLong(const char *text, long &value) {
  if (!*text)
    return false;
  errno = 0;
  char *end = nullptr;
  value = std::strtol(text, &end, 10);
  return errno == 0 && *end == '\0';
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
  --dump-functions  list the built-in and library functions with their signatures
  --dump-probe-aliases  list the library's probe aliases and the points they stand for

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
      {nullptr, 0, nullptr, 0},
  };
  // '+': stop at the script name, so that its arguments ("-5") stay arguments.
  // ':': report a missing option argument as ':'.
  const char *shortOptions = "+:hVvp:e:gwo:r:m:kD:B:I:l:L:c:x:T:";
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
    case ':':
      error = optopt ? fmt::format("option -{} needs an argument", static_cast<char>(optopt))
                     : fmt::format("option {} needs an argument", argv[optind - 1]);
      return false;
    default:
      error = optopt ? fmt::format("unknown option -{}", static_cast<char>(optopt))
                     : fmt::format("unknown option {}", argv[optind - 1]);
      return false;
    }
  }
  int i = optind;
  if (!o.scriptText && i < argc)
    o.scriptFile = argv[i++];
  for (; i < argc; ++i)
    o.args.push_back(argv[i]);
  return true;
}

} // namespace mstap
