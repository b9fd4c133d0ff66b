// Pass 2 whole, as the driver and the tests run it: elaborate (names,
// types, probe points, target variables), fold constants and @defined, then
// the checks that need the folded script. Only this pass rejects a script:
// what it accepts, pass 3 translates and pass 4 builds.
#pragma once

#include "ast/ast.h"
#include "sema/elaborate.h"
#include "support/diagnostics.h"

#include <functional>
#include <vector>

namespace mstap {

// Whether a target variable exists at every point of its probe, for
// folding @defined($var). Null: none does.
using TargetDefinedAt =
    std::function<bool(const std::vector<ResolvedProbe> &points, const ast::TargetExpr &target)>;

ElaborateResult analyzeScript(ast::Script &script, const ElaborateOptions &options,
                              const TargetDefinedAt &targetDefined, Diagnostics &diags);

} // namespace mstap
