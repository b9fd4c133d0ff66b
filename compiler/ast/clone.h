// Deep copies of pass-1 trees. A probe on an alias gets its own copy of the
// alias's body and of its own (the same body may serve several aliases,
// each with its own locals and types), so pass 2 can annotate each copy in
// place. Copies keep their source locations; pass-2 fields stay unset.
#pragma once

#include "ast/ast.h"

namespace mstap::ast {

ExprPtr clone(const Expr &expr);
StmtPtr clone(const Stmt &stmt);
std::unique_ptr<BlockStmt> cloneBlock(const BlockStmt &block);
ProbePoint clone(const ProbePoint &point);

} // namespace mstap::ast
