// The command line, in stap's conventions: getopt-style, clustered short
// flags, `mstap [OPTIONS] FILE [ARGS...]` or `mstap [OPTIONS] -e SCRIPT [ARGS...]`.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mstap {

struct Options {
  int lastPass = 5;                       // -p NUM
  int verbose = 0;                        // -v, repeatable
  bool guru = false;                      // -g
  bool noWarnings = false;                // -w
  bool warningsAsErrors = false;          // -W
  bool unoptimized = false;               // -u (accepted: see usageText)
  int bufferMegabytes = 0;                // -s NUM; 0: the runtime's default (1 MiB)
  bool suppressTimeLimits = false;        // --suppress-time-limits (guru mode only)
  enum class Colour { Auto, Always, Never };
  Colour colour = Colour::Auto;           // --color[=WHEN], --colour[=WHEN]
  std::optional<std::string> scriptText;  // -e SCRIPT
  std::string scriptFile;                 // FILE, or "-" for standard input
  std::vector<std::string> args;          // the words after the script: $1.. @1..
  std::string outputFile;                 // -o FILE
  std::string release;                    // -r RELEASE|BUILD_DIR
  std::string sysroot;                    // --sysroot DIR
  std::string moduleName;                 // -m NAME
  bool keepTemps = false;                 // -k
  std::vector<std::string> defines;       // -D NAME=VALUE
  std::vector<std::string> includeDirs;   // -I DIR: library scripts
  std::vector<std::string> kbuildSettings;// -B NAME=VALUE
  std::string listPattern;                // -l PATTERN
  std::string listVarsPattern;            // -L PATTERN
  std::string command;                    // -c CMD
  std::optional<long> targetPid;          // -x PID
  std::optional<long> timeoutSeconds;     // -T SECONDS
  bool vm = false;                        // --vm
  bool checkEnv = false;                  // --check-env
  bool disableCache = false;              // --disable-cache
  bool cleanCache = false;                // --clean-cache
  bool dumpFunctions = false;             // --dump-functions
  bool dumpProbeAliases = false;          // --dump-probe-aliases
  bool dumpProbeTypes = false;            // --dump-probe-types
  bool help = false;                      // -h, --help
  bool version = false;                   // -V, --version
};

// Parses argv. On a usage error returns false with `error` set.
bool parseOptions(int argc, char **argv, Options &options, std::string &error);

std::string usageText();
std::string versionText();

} // namespace mstap
