#include "ast/clone.h"

namespace mstap::ast {

namespace {

ExprPtr cloneOrNull(const ExprPtr &e) { return e ? clone(*e) : nullptr; }
StmtPtr cloneOrNull(const StmtPtr &s) { return s ? clone(*s) : nullptr; }

ExprList cloneList(const ExprList &list) {
  ExprList out;
  for (const ExprPtr &e : list)
    out.push_back(cloneOrNull(e));
  return out;
}

template <typename T> std::unique_ptr<T> fresh(const T &from) {
  auto to = std::make_unique<T>();
  to->range = from.range;
  return to;
}

} // namespace

ExprPtr clone(const Expr &expr) {
  // A switch over every kind (-Wswitch): a new node kind must say how it is
  // copied. A new field of an existing kind must be added here too; the
  // clone test compares printed copies of every tests/lang script.
  switch (expr.kind) {
  case ExprKind::IntLiteral: {
    auto &e = static_cast<const IntLiteral &>(expr);
    auto c = fresh(e);
    c->value = e.value;
    return c;
  }
  case ExprKind::StringLiteral: {
    auto &e = static_cast<const StringLiteral &>(expr);
    auto c = fresh(e);
    c->value = e.value;
    return c;
  }
  case ExprKind::SymbolRef: {
    auto &e = static_cast<const SymbolRef &>(expr);
    auto c = fresh(e);
    c->name = e.name;
    return c;
  }
  case ExprKind::IndexExpr: {
    auto &e = static_cast<const IndexExpr &>(expr);
    auto c = fresh(e);
    c->array = e.array;
    c->keys = cloneList(e.keys);
    return c;
  }
  case ExprKind::CallExpr: {
    auto &e = static_cast<const CallExpr &>(expr);
    auto c = fresh(e);
    c->function = e.function;
    c->args = cloneList(e.args);
    return c;
  }
  case ExprKind::TargetExpr: {
    auto &e = static_cast<const TargetExpr &>(expr);
    auto c = fresh(e);
    c->name = e.name;
    c->castOperand = cloneOrNull(e.castOperand);
    c->castType = e.castType;
    c->castModule = e.castModule;
    c->containerMember = e.containerMember;
    c->addressOf = e.addressOf;
    for (const TargetExpr::Component &component : e.components) {
      TargetExpr::Component copy;
      copy.member = component.member;
      copy.index = cloneOrNull(component.index);
      copy.dot = component.dot;
      copy.loc = component.loc;
      c->components.push_back(std::move(copy));
    }
    return c;
  }
  case ExprKind::UnaryExpr: {
    auto &e = static_cast<const UnaryExpr &>(expr);
    auto c = fresh(e);
    c->op = e.op;
    c->operand = cloneOrNull(e.operand);
    return c;
  }
  case ExprKind::IncDecExpr: {
    auto &e = static_cast<const IncDecExpr &>(expr);
    auto c = fresh(e);
    c->increment = e.increment;
    c->prefix = e.prefix;
    c->operand = cloneOrNull(e.operand);
    return c;
  }
  case ExprKind::BinaryExpr: {
    auto &e = static_cast<const BinaryExpr &>(expr);
    auto c = fresh(e);
    c->op = e.op;
    c->lhs = cloneOrNull(e.lhs);
    c->rhs = cloneOrNull(e.rhs);
    return c;
  }
  case ExprKind::InExpr: {
    auto &e = static_cast<const InExpr &>(expr);
    auto c = fresh(e);
    c->keys = cloneList(e.keys);
    c->array = e.array;
    return c;
  }
  case ExprKind::TernaryExpr: {
    auto &e = static_cast<const TernaryExpr &>(expr);
    auto c = fresh(e);
    c->cond = cloneOrNull(e.cond);
    c->then = cloneOrNull(e.then);
    c->otherwise = cloneOrNull(e.otherwise);
    return c;
  }
  case ExprKind::AssignExpr: {
    auto &e = static_cast<const AssignExpr &>(expr);
    auto c = fresh(e);
    c->op = e.op;
    c->lhs = cloneOrNull(e.lhs);
    c->rhs = cloneOrNull(e.rhs);
    return c;
  }
  case ExprKind::EmbeddedExpr: {
    auto &e = static_cast<const EmbeddedExpr &>(expr);
    auto c = fresh(e);
    c->code = e.code;
    return c;
  }
  case ExprKind::AtExpr: {
    auto &e = static_cast<const AtExpr &>(expr);
    auto c = fresh(e);
    c->op = e.op;
    c->args = cloneList(e.args);
    return c;
  }
  }
  return nullptr; // not reached: every kind returns above
}

std::unique_ptr<BlockStmt> cloneBlock(const BlockStmt &block) {
  auto c = fresh(block);
  for (const StmtPtr &s : block.statements)
    c->statements.push_back(cloneOrNull(s));
  return c;
}

StmtPtr clone(const Stmt &stmt) {
  switch (stmt.kind) {
  case StmtKind::BlockStmt:
    return cloneBlock(static_cast<const BlockStmt &>(stmt));
  case StmtKind::NullStmt:
    return fresh(static_cast<const NullStmt &>(stmt));
  case StmtKind::ExprStmt: {
    auto &s = static_cast<const ExprStmt &>(stmt);
    auto c = fresh(s);
    c->expr = cloneOrNull(s.expr);
    return c;
  }
  case StmtKind::IfStmt: {
    auto &s = static_cast<const IfStmt &>(stmt);
    auto c = fresh(s);
    c->cond = cloneOrNull(s.cond);
    c->then = cloneOrNull(s.then);
    c->otherwise = cloneOrNull(s.otherwise);
    return c;
  }
  case StmtKind::WhileStmt: {
    auto &s = static_cast<const WhileStmt &>(stmt);
    auto c = fresh(s);
    c->cond = cloneOrNull(s.cond);
    c->body = cloneOrNull(s.body);
    return c;
  }
  case StmtKind::ForStmt: {
    auto &s = static_cast<const ForStmt &>(stmt);
    auto c = fresh(s);
    c->init = cloneOrNull(s.init);
    c->cond = cloneOrNull(s.cond);
    c->step = cloneOrNull(s.step);
    c->body = cloneOrNull(s.body);
    return c;
  }
  case StmtKind::ForeachStmt: {
    auto &s = static_cast<const ForeachStmt &>(stmt);
    auto c = fresh(s);
    c->valueVar = s.valueVar;
    c->valueLoc = s.valueLoc;
    c->keys = s.keys;
    c->bracketedKeys = s.bracketedKeys;
    c->array = s.array;
    c->arrayLoc = s.arrayLoc;
    c->valueSort = s.valueSort;
    c->sortAggregate = s.sortAggregate;
    c->limit = cloneOrNull(s.limit);
    c->body = cloneOrNull(s.body);
    return c;
  }
  case StmtKind::BreakStmt:
    return fresh(static_cast<const BreakStmt &>(stmt));
  case StmtKind::ContinueStmt:
    return fresh(static_cast<const ContinueStmt &>(stmt));
  case StmtKind::NextStmt:
    return fresh(static_cast<const NextStmt &>(stmt));
  case StmtKind::ReturnStmt: {
    auto &s = static_cast<const ReturnStmt &>(stmt);
    auto c = fresh(s);
    c->value = cloneOrNull(s.value);
    return c;
  }
  case StmtKind::DeleteStmt: {
    auto &s = static_cast<const DeleteStmt &>(stmt);
    auto c = fresh(s);
    c->target = cloneOrNull(s.target);
    return c;
  }
  case StmtKind::TryStmt: {
    auto &s = static_cast<const TryStmt &>(stmt);
    auto c = fresh(s);
    c->body = s.body ? cloneBlock(*s.body) : nullptr;
    c->catchVar = s.catchVar;
    c->catchVarLoc = s.catchVarLoc;
    c->handler = s.handler ? cloneBlock(*s.handler) : nullptr;
    return c;
  }
  }
  return nullptr; // not reached
}

ProbePoint clone(const ProbePoint &point) {
  ProbePoint c;
  c.range = point.range;
  c.components = point.components;
  c.optional = point.optional;
  c.sufficient = point.sufficient;
  c.condition = cloneOrNull(point.condition);
  return c;
}

} // namespace mstap::ast
