// Pass 2: resolves every name, infers every type, checks probe points and
// printf formats, so that pass 3 can translate without further checks.
// Works in place on the AST (the pass-2 fields of ast.h).
#pragma once

#include "ast/ast.h"
#include "support/diagnostics.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mstap {

// One function (or tracepoint) a kernel probe point expanded to.
struct KernelMatch {
  std::string module;   // empty for the kernel itself
  std::string function; // or the tracepoint's name
  const void *handle = nullptr; // the source's own record, for prototype()
};

// A function's prototype, as far as pass 2 needs it.
struct KernelPrototype {
  std::vector<std::pair<std::string, std::string>> params; // name, C type
  std::string returnType;                                  // "void" for none
};

// Expands kernel probe points against the target kernel. `what` is
// "function" or "trace"; `module` is a module pattern, or empty for the
// kernel. Returns false with `error` when the target cannot be read.
struct KernelFunctionSource {
  std::function<bool(const std::string &what, const std::string &module, const std::string &pattern,
                     std::vector<KernelMatch> &matches, std::string &error)>
      match;
  // The prototype of a match, spelled on demand (most are never asked for);
  // nullopt when the kernel's BTF does not describe it.
  std::function<std::optional<KernelPrototype>(const KernelMatch &match)> prototype;
};

struct ElaborateOptions {
  bool guru = false;
  const KernelFunctionSource *kernel = nullptr; // null: kernel probe points are an error
};

// What a probe point resolved to.
struct ResolvedProbe {
  std::string point;  // e.g. kernel.function("vfs_read").return
  std::string origin; // the probe point as written
  bool isReturn = false;
  std::optional<KernelMatch> kernel; // for kernel probe points
};

struct ElaborateResult {
  bool ok = false;
  std::vector<std::vector<ResolvedProbe>> probes; // one list a probe declaration
};

ElaborateResult elaborate(ast::Script &script, const ElaborateOptions &options, Diagnostics &diags);

// The -p2 listing: "# globals", "# functions", "# probes".
std::string printElaborated(const ast::Script &script, const ElaborateResult &result);

// Levenshtein distance, for "(similar: ...)" suggestions.
size_t editDistance(const std::string &a, const std::string &b);
// Up to five names from `candidates` close to `name`, comma-separated.
std::string similarNames(const std::string &name, const std::vector<std::string> &candidates);

} // namespace mstap
