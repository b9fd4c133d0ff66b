// The three parts of elaboration (pass 2 before folding), one file each,
// in the order elaborate() runs them.
#pragma once

#include "ast/ast.h"
#include "sema/elaborate.h"
#include "support/diagnostics.h"

#include <map>
#include <vector>

namespace mstap {

// names_types.cpp: every name resolved, every type inferred, unused
// variables and parameters warned of.
void resolveNamesAndTypes(ast::Script &script, const ElaborateOptions &options, Diagnostics &diags);

// probe_points.cpp: one point as written, expanded into `out`.
void resolveProbePoint(const ast::ProbePoint &pp, const SourceFile *file, Diagnostics &diags,
                       const ElaborateOptions &options, std::vector<ResolvedProbe> &out);

// targets.cpp: the target variables of a probe whose points resolved.
void resolveTargets(ast::ProbeDecl &probe, const std::vector<ResolvedProbe> &points, const SourceFile *file,
                    Diagnostics &diags, const ElaborateOptions &options,
                    std::map<const ast::TargetExpr *, TargetAccess> &out);
// targets.cpp: the @cast chains of a function.
void resolveFunctionCasts(ast::FunctionDecl &function, const SourceFile *file, Diagnostics &diags,
                          const ElaborateOptions &options, std::map<const ast::TargetExpr *, TargetAccess> &out);

} // namespace mstap
