// Pass 2's last step: the rules that need the folded script and the probe
// points resolved — where a statistic, a histogram, a target variable or a
// value read at a function's entry may stand, and the shapes of
// histograms. After it, pass 3 translates without reporting user errors:
// every error it could still report is an internal one.
#pragma once

#include "ast/ast.h"
#include "sema/elaborate.h"
#include "support/diagnostics.h"

namespace mstap {

// Runs on a script that elaborated without errors and was folded; fills
// `result.histograms`. Returns false when it reported an error.
bool checkElaborated(ast::Script &script, ElaborateResult &result, Diagnostics &diags);

} // namespace mstap
