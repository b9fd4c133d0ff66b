// Probe families: each kind of probe point (begin/end, timers, kernel
// functions and tracepoints, program functions) is one unit — its
// resolution here, its registration in pass 3 (a case of the switch over
// ProbeKind in codegen.cpp, which the compiler checks is complete), its
// runtime part in runtime/mstap_probes.h. A new family is one file in this
// folder and one line in registry.cpp.
#pragma once

#include "ast/ast.h"
#include "sema/elaborate.h"
#include "support/diagnostics.h"

#include <optional>
#include <string>
#include <vector>

namespace mstap {

// One point as written, being resolved: what a family reads and the
// helpers every family uses to check its parameters and report.
class PointContext {
public:
  PointContext(const ast::ProbePoint &point, const SourceFile *file, Diagnostics &diags,
               const ElaborateOptions &options, std::vector<ResolvedProbe> &out);

  const ast::ProbePoint &pp;
  const std::vector<ast::ProbePoint::Component> &c; // pp's components
  const std::string written;                         // the point as written
  const ElaborateOptions &options;
  Diagnostics &diags;

  void error(SourceLoc at, std::string message);
  // A report whose first line is the error and the others its notes.
  void errorWithNotes(SourceLoc at, const std::string &lines);
  // "no match for probe point ..." unless the point is optional ("?", "!").
  void noMatch(SourceLoc at, const std::string &problem);
  // Adds a resolved point, from this point as written.
  ResolvedProbe &add(std::string point, ProbeKind kind);

  // Component i's parameter: none, a number (above 0 when `positive`), a
  // string. Each reports when the component has the wrong one.
  bool noParam(size_t i);
  bool numberParam(size_t i, bool positive);
  std::optional<std::string> stringParam(size_t i);

private:
  const SourceFile *file_;
  std::vector<ResolvedProbe> &out_;
};

class ProbeFamily {
public:
  virtual ~ProbeFamily() = default;
  // How scripts spell its points ("timer.ms"), for "similar:" suggestions.
  virtual std::vector<std::string> spellings() const = 0;
  // Whether a point as written belongs to this family.
  virtual bool claims(const ast::ProbePoint &pp) const = 0;
  // Expands the point into ctx.add(...), or reports why it cannot.
  virtual void resolve(PointContext &ctx) const = 0;
};

// Every family, in the order they are asked to claim a point.
const std::vector<const ProbeFamily *> &probeFamilies();

// The families, one a file.
const ProbeFamily &beginEndFamily();   // begin, end, error, never
const ProbeFamily &timerFamily();      // timer.s/ms/us/ns/hz/jiffies, timer.profile
const ProbeFamily &kernelFamily();     // kernel.function, module("M").function, kprobe.function, kernel.trace
const ProbeFamily &processFamily();    // process("PATH").function

} // namespace mstap
