// Constant folding after pass 2's checks: literal arithmetic, string
// concatenation of literals, and @defined. It runs only on a program that
// elaborated without errors, so it can hide no error (stap's elision of dead
// code can; mstap reports first and folds after).
#pragma once

#include "ast/ast.h"

#include <functional>

namespace mstap {

// Says whether a target variable ($name, $$parms, ...) exists in a probe
// (null: in a function, where only @cast chains can), or a @cast chain
// resolved; used to fold @defined. Null: nothing is defined.
using TargetDefined = std::function<bool(const ast::ProbeDecl *probe, const ast::TargetExpr &target)>;

void foldConstants(ast::Script &script, const TargetDefined &targetDefined);

} // namespace mstap
