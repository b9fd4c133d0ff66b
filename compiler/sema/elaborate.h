// Pass 2: resolves every name, infers every type, checks probe points and
// printf formats, so that pass 3 can translate without further checks.
// Works in place on the AST (the pass-2 fields of ast.h).
#pragma once

#include "ast/ast.h"
#include "support/c_type.h"
#include "support/diagnostics.h"
#include "support/text.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mstap {

// One function (or tracepoint) a kernel probe point expanded to.
struct KernelMatch {
  std::string module;   // empty for the kernel itself
  std::string function; // or the tracepoint's name
  const void *handle = nullptr; // the source's own record, for its prototype()
  bool isTracepoint = false;    // `function` names a tracepoint; its prototype is its arguments
  std::string group = "";       // a tracepoint's TRACE_SYSTEM, when known: the point is "GROUP:NAME"
};

// One function a process("PATH").function("PATTERN") point expanded to.
struct UserMatch {
  std::string binary;   // the program's absolute path
  std::string function;
  std::string file;     // its declaration, as DWARF names it
  uint64_t line = 0;
  uint64_t offset = 0;  // its entry's offset in the file: uprobes take (inode, offset)
  const void *handle = nullptr; // the source's own record, for its prototype()
};

struct ResolvedProbe;

// Where probe points find their functions: the target kernel (BTF, symbols)
// or programs (DWARF). One interface for both; a source answers the
// points of its own family and the other's match stays unimplemented. The
// prototypes' types (support/c_type.h) answer for their pointees and
// members themselves, so target variables resolve alike for both.
class FunctionSource {
public:
  virtual ~FunctionSource() = default;
  // kernel.function, module(...).function, kprobe.function, kernel.trace:
  // `what` is "function" or "trace"; `module` is a module pattern, or empty
  // for the kernel. Returns false with `error` when the target cannot be
  // read; with no match it may leave a hint in `error`.
  virtual bool matchKernel(const std::string &what, const std::string &module, const std::string &pattern,
                           std::vector<KernelMatch> &matches, std::string &error) const;
  // process("BINARY").function("PATTERN"): false with `error` when the
  // program cannot be read; with no match it may leave a hint in `error`
  // ("similar: ...").
  virtual bool matchProgram(const std::string &binary, const std::string &pattern, std::vector<UserMatch> &matches,
                            std::string &error) const;
  // The prototype of the function (or tracepoint) a point of this source
  // expanded to, spelled on demand (most are never asked for); nullopt
  // when its BTF or DWARF does not describe it.
  virtual std::optional<CPrototype> prototype(const ResolvedProbe &point) const = 0;
  // @cast's type: `name` as scripts write it ("struct task_struct",
  // "task_struct", "union U", "char *") in `module` ("kernel" or a module's
  // name for the kernel's source, a program's absolute path for the
  // programs'). nullopt with `error` saying what is missing, and maybe
  // similar names.
  virtual std::optional<CType> namedType(const std::string &module, const std::string &name,
                                         std::string &error) const;
};

// How pass 3 reads a target variable ($name, $return, $$parms, and member
// chains), as pass 2 resolved it against every point of its probe.
struct TargetAccess {
  // Cast: @cast's operand, an address the script computes, starts the chain.
  enum class Base { Argument, Return, Parms, Cast } base = Base::Argument;
  int argument = 0; // Argument: its index in the calling convention (0 = first)
  // Each step: the value so far is an address (a pointer's value, or an
  // embedded struct's address); read `size` bytes at value + offset.
  struct Step {
    uint64_t offset = 0; // bytes
    uint32_t size = 0;   // bytes read at the end; 0 when this step only adds the offset
    bool isSigned = false;
    uint32_t bitOffset = 0, bitSize = 0; // bitfields: within the bytes read
    // An index known only at run time ($p[i]): before any read, the address
    // moves by index * stride, the index being the expression of component
    // `indexComponent` of the TargetExpr; an array's index must be below
    // `bound` (0: no bound, as for a pointer).
    int indexComponent = -1;
    uint64_t stride = 0;
    uint64_t bound = 0;
  };
  // Base value conversion (Argument, Return): width and signedness.
  uint32_t size = 8;
  bool isSigned = false;
  std::vector<Step> steps;
  // The steps read user memory (a process probe's program), not the kernel's.
  bool userMemory = false;
  // Parms: the names and conversions of the parameters printed.
  struct Parm {
    std::string name;
    int argument = 0;
    uint32_t size = 8;
    bool isSigned = false;
  };
  std::vector<Parm> parms;
  // When set, the access cannot be translated (a use guarded by @defined
  // that pass 2 let through): pass 3 reports this if the use survives.
  std::string error;
};

struct ElaborateOptions {
  bool guru = false;
  const FunctionSource *kernel = nullptr; // null: kernel probe points are an error
  const FunctionSource *user = nullptr;   // null: process probe points are an error
};

// The families a probe point resolves to: what pass 3 registers.
enum class ProbeKind {
  Begin, End, Error, Never,
  Timer,      // timer.s/ms/us/ns/hz/jiffies: an hrtimer
  Profile,    // timer.profile
  Kprobe, Kretprobe, Tracepoint,
  Uprobe, Uretprobe,
};

// What a probe point resolved to.
struct ResolvedProbe {
  std::string point;  // e.g. kernel.function("vfs_read").return
  std::string origin; // the probe point as written
  bool isReturn = false;
  std::optional<KernelMatch> kernel; // for kernel probe points
  std::optional<UserMatch> user;     // for process probe points
  // kernel.trace: how many arguments the tracepoint passes its probes after
  // their data pointer, when each is one integer or pointer (so a handler
  // of that many u64 parameters receives them exactly); -1 otherwise.
  int traceArguments = -1;
  ProbeKind kind = ProbeKind::Never;
  const ast::ProbePoint *source = nullptr; // the point as written, in its declaration
  int64_t priority = 0;                    // begin/end/error(N)
  // Timers, in nanoseconds: the period (for timer.hz and timer.jiffies as
  // written: `timerUnit` says how pass 3 scales it), and the randomisation.
  uint64_t timerCount = 0, timerRandomize = 0;
  std::string timerUnit; // "s", "ms", "us", "ns", "hz", "jiffies"
};

// The one histogram shape a statistic is printed with (@hist_log or
// @hist_linear(low, high, step)), for pass 3's layout.
struct HistogramShape {
  ast::AtOp op = ast::AtOp::Count; // Count: printed as no histogram
  int64_t low = 0, high = 0, step = 0;
  SourceLoc loc;
};

struct ElaborateResult {
  bool ok = false;
  std::vector<std::vector<ResolvedProbe>> probes; // one list a probe declaration
  std::map<const ast::TargetExpr *, TargetAccess> targets; // every target variable in a probe
  std::map<const ast::Variable *, HistogramShape> histograms; // set by checkElaborated
  // The statistics @variance reads, with their bit shift (0 unless one
  // @variance(s, N) gives another); set by checkElaborated.
  std::map<const ast::Variable *, int> varianceShifts;
};

ElaborateResult elaborate(ast::Script &script, const ElaborateOptions &options, Diagnostics &diags);

// The -p2 listing: "# globals", "# functions", "# probes".
std::string printElaborated(const ast::Script &script, const ElaborateResult &result);

// Up to five names from `candidates` close to `name`, comma-separated.
std::string similarNames(const std::string &name, const std::vector<std::string> &candidates);

} // namespace mstap
