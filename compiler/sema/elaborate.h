// Pass 2: resolves every name, infers every type, checks probe points and
// printf formats, so that pass 3 can translate without further checks.
// Works in place on the AST (the pass-2 fields of ast.h).
#pragma once

#include "ast/ast.h"
#include "support/diagnostics.h"

#include <functional>
#include <string>
#include <vector>

namespace mstap {

// Expands a kernel probe point's function pattern against the target kernel.
// Returns the matching function names, or an error in `error`.
struct KernelFunctionSource {
  std::function<bool(const std::string &module, const std::string &pattern,
                     std::vector<std::string> &functions, std::string &error)>
      match;
};

struct ElaborateOptions {
  bool guru = false;
  const KernelFunctionSource *kernel = nullptr; // null: kernel probe points are an error
};

// What a probe point resolved to.
struct ResolvedProbe {
  std::string point;  // e.g. kernel.function("vfs_read").return
  std::string origin; // the probe point as written
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
