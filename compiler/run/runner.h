// mstap-runner: loads a module built by mstap, runs its session through the
// /proc protocol of runtime/MODULE.md section 5, and unloads it (the part of
// SystemTap that staprun plays).
//
//   mstap-runner [-o FILE] [-T SECONDS] [-c CMD] [-x PID] [-v] MODULE.ko [PARAM=VALUE...]
//
// Before loading, the module's .modinfo is read (a small ELF64 reader here)
// and its vermagic compared with the running kernel, so that a module built
// for another kernel is explained in words rather than by the kernel's
// "Invalid module format". The module is loaded with finit_module; the
// runner writes `start` to /proc/NAME/control, copies the records of
// /proc/NAME/output (stream 1 to standard output or FILE, stream 2 to
// standard error) until end of file, writes `stop` on SIGINT/SIGTERM/SIGHUP,
// at the -T time limit or when the -c command ends, reads the status line
// and unloads the module. The exit status is 1 when the status shows errors
// or anything failed, else 0. Only SIGKILL leaves the module loaded.
//
// The module is opened once and checked on its descriptor (see
// openModuleFile); installed setuid root it serves the groups mstap-dev and
// mstap-usr (see loadRefusal) and does -c and -o as the user who ran it.
//
// Everything here needs only libc and libstdc++, so that the runner links
// statically and can be copied into a virtual machine.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mstap::run {

// ------------------------------------------------------------ output records
// The stream of /proc/NAME/output: records of a 4-byte header (u16 stream,
// u16 length, little-endian) and `length` bytes.

constexpr size_t kRecordHeaderBytes = 4;
constexpr size_t kMinimumReadBytes = 65540; // the module refuses smaller reads

// One record's bytes, as the module writes them (for tests and the fixture).
std::string encodeRecord(unsigned stream, std::string_view data);

// Cuts a byte stream into records, whatever the pieces it arrives in: a
// record split across feeds is kept until its last byte comes.
class RecordDecoder {
public:
  using Sink = std::function<void(unsigned stream, std::string_view data)>;
  void feed(std::string_view bytes, const Sink &sink);
  size_t pendingBytes() const { return partial_.size(); } // of an unfinished record
private:
  std::string partial_;
};

// ------------------------------------------------------------ the module file

struct ModuleInfo {
  std::string error;      // empty when the file was read
  unsigned machine = 0;   // ELF e_machine (62: x86-64)
  std::vector<std::pair<std::string, std::string>> fields; // .modinfo, in order
  // The first value of `key`, or "" when absent.
  std::string get(std::string_view key) const;
  bool has(std::string_view key) const;
};

// Reads the .modinfo section ("key=value" strings separated by NULs) of a
// relocatable ELF64 little-endian object.
ModuleInfo readModuleInfo(std::string_view elf);
ModuleInfo readModuleInfoFile(const std::string &path);

// The module, opened once: the descriptor finit_module loads from and the
// bytes its .modinfo was read from are the file that was checked, whatever
// happens to its path meanwhile.
struct ModuleFile {
  int fd = -1;       // O_RDONLY | O_CLOEXEC; the caller closes it
  std::string bytes; // the whole file, read through fd
  std::string error; // empty when the file was opened, checked and read
};
// Opens `path` without following a symbolic link and checks, on the open
// descriptor (fstat), that it is a regular file, owned by root or by
// `invoker`, and writable by neither its group nor others: root loads no
// module another user could have written.
ModuleFile openModuleFile(const std::string &path, unsigned invoker);

// ------------------------------------------------------------ privilege
//
// Installed setuid root, the runner loads modules for users who are not
// root, as stap's staprun does for its groups: a member of mstap-dev may
// load a module of its own (or root's); a member of mstap-usr only a
// root-owned module in the approved folder /lib/modules/RELEASE/mstap/, itself
// root's and writable by nobody else. Everything else the runner does for
// such a user (-c's command, -o's file) is done as that user.

// Who ran the runner: the real uid and every group it is in.
struct Invoker {
  unsigned uid = 0;
  std::vector<unsigned> groups; // real gid and supplementary groups
};
Invoker currentInvoker();

// The gid of group `name` in `groupFile` (the text of /etc/group), or -1.
// Read by hand: the static runner has no NSS to ask.
long groupIdIn(std::string_view groupFile, std::string_view name);

// Why `who` may not load the module at `realPath` (owned by `owner`), ""
// when it may. `approvedFolder` is /lib/modules/RELEASE/mstap; `approvedTrusted`
// says whether it is a root-owned folder nobody else can write.
std::string loadRefusal(const Invoker &who, std::string_view groupFile, unsigned owner, const std::string &realPath,
                        const std::string &approvedFolder, bool approvedTrusted);

// Opens -o FILE for writing (created 0666 less the umask, else truncated)
// without following a symbolic link; an existing regular file of another
// user than `invoker` is refused rather than overwritten. -1 with `error`.
int openOutputFile(const std::string &path, unsigned invoker, std::string &error);

// Renames the module in `elf` from `from` to `to` (no longer than `from`),
// in place: struct module's name in .gnu.linkonce.this_module, which the
// kernel registers it under, and .modinfo's name=. "" on success, else why.
std::string renameModule(std::string &elf, const std::string &from, const std::string &to);

// The name of one run of module `name` (-R): as long as `name`, its end
// replaced by "_PID", so that runs of one module at once differ.
std::string runName(const std::string &name, long long pid);

// The name the kernel will give the module: .modinfo's name=, else the file
// name without its folder and ".ko", with '-' as '_'.
std::string moduleName(const ModuleInfo &info, const std::string &path);

// The words of a vermagic string ("6.1.0-56-amd64 SMP preempt mod_unload modversions ").
struct Vermagic {
  std::string release;
  bool smp = false;
  std::string preempt; // "", "preempt" or "preempt_rt"
  std::vector<std::string> words; // all of them, the release first
};
Vermagic parseVermagic(std::string_view text);

// What uname says of the running kernel.
struct KernelIdentity {
  std::string release; // uname -r
  std::string version; // uname -v, e.g. "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09)"
  std::string machine; // uname -m
};
KernelIdentity runningKernel();

// Why a module with vermagic `moduleVermagic` cannot load into `kernel`, in
// words ("module built for 6.1.0-47-amd64, this kernel is 6.1.0-56-amd64"),
// or "" when the two agree on the release, SMP and preemption.
std::string vermagicMismatch(std::string_view moduleVermagic, const KernelIdentity &kernel);

// The ELF machine number uname -m's machine has (0 when unknown).
unsigned elfMachineOf(std::string_view unameMachine);

// ------------------------------------------------------------ loading

// What the kernel's refusal means, for a module `name` at `path`.
struct LoadContext {
  bool root = true;            // effective uid 0
  std::string lockdown;        // /sys/kernel/security/lockdown, e.g. "none [integrity] confidentiality"
  bool modulesDisabled = false; // /proc/sys/kernel/modules_disabled is 1
  std::string vermagicProblem; // vermagicMismatch's answer, if it had one
};
LoadContext currentLoadContext();
std::string explainLoadError(int error, const std::string &name, const std::string &path, const LoadContext &context);

// ------------------------------------------------------------ the control file

struct ControlStatus {
  bool parsed = false; // the line had state= and errors=
  std::string state;   // loaded, running, stopping, stopped
  long long errors = 0, skipped = 0, overruns = 0;
  int exit = 0;
};
ControlStatus parseControlStatus(std::string_view line);

// ------------------------------------------------------------ options

struct RunnerOptions {
  std::string outputFile;     // -o; empty: standard output
  double timeLimitSeconds = 0; // -T; 0: none
  std::string command;        // -c
  bool hasCommand = false;
  long long targetPid = 0;    // -x
  bool hasTarget = false;
  bool verbose = false;       // -v
  bool rename = false;        // -R: load under a name of this run's own (runName)
  std::string modulePath;
  std::vector<std::string> parameters; // PARAM=VALUE
  // Loads the module from its descriptor; -1 with errno on failure. Empty:
  // finit_module. The tests give their own, which loads nothing.
  std::function<long(int fd, const std::string &parameters)> loader;
};

struct ParsedRunnerOptions {
  RunnerOptions options;
  bool help = false;
  std::string error; // empty when the arguments were good
};
// `arguments` without the program name.
ParsedRunnerOptions parseRunnerOptions(const std::vector<std::string> &arguments);
extern const char *const kRunnerUsage;

// The command line (without the program name) that asks mstap-runner for
// the run `options` describe: parseRunnerOptions reads it back to them.
// mstap runs the runner binary with it when it is not root itself (the
// runner installed setuid root: passes 1-4 stay the user's).
std::vector<std::string> runnerArguments(const RunnerOptions &options);

// The parameter string finit_module gets: the PARAM=VALUE words and, when
// targetPid > 0, mstap_target=PID.
std::string moduleParameters(const RunnerOptions &options, long long targetPid);

// Runs the whole session; messages go to standard error. Returns the exit status.
int runModule(const RunnerOptions &options);

} // namespace mstap::run
