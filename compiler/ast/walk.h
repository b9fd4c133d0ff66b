// A visitor that walks every child by default, in source order: a pass
// overrides only the nodes it cares about and calls the base to go on
// below them. Every node kind has a default here, so a new kind added to
// ast.h fails to compile until it is walked.
#pragma once

#include "ast/ast.h"

#include <functional>

namespace mstap::ast {

class RecursiveVisitor : public Visitor {
public:
  void walk(Expr &e) { e.accept(*this); }
  void walk(Stmt &s) { s.accept(*this); }
  void walkOptional(ExprPtr &e) {
    if (e)
      walk(*e);
  }
  void walkAll(ExprList &list) {
    for (auto &e : list)
      walk(*e);
  }

  void visit(IntLiteral &) override {}
  void visit(StringLiteral &) override {}
  void visit(SymbolRef &) override {}
  void visit(IndexExpr &e) override { walkAll(e.keys); }
  void visit(CallExpr &e) override { walkAll(e.args); }
  void visit(TargetExpr &e) override {
    walkOptional(e.castOperand);
    for (auto &c : e.components)
      walkOptional(c.index);
  }
  void visit(UnaryExpr &e) override { walk(*e.operand); }
  void visit(IncDecExpr &e) override { walk(*e.operand); }
  void visit(BinaryExpr &e) override {
    walk(*e.lhs);
    walk(*e.rhs);
  }
  void visit(InExpr &e) override { walkAll(e.keys); }
  void visit(TernaryExpr &e) override {
    walk(*e.cond);
    walk(*e.then);
    walk(*e.otherwise);
  }
  void visit(AssignExpr &e) override {
    walk(*e.lhs);
    walk(*e.rhs);
  }
  void visit(AtExpr &e) override { walkAll(e.args); }
  void visit(EmbeddedExpr &) override {}

  void visit(BlockStmt &s) override {
    for (auto &st : s.statements)
      walk(*st);
  }
  void visit(NullStmt &) override {}
  void visit(ExprStmt &s) override { walk(*s.expr); }
  void visit(IfStmt &s) override {
    walk(*s.cond);
    walk(*s.then);
    if (s.otherwise)
      walk(*s.otherwise);
  }
  void visit(WhileStmt &s) override {
    walk(*s.cond);
    walk(*s.body);
  }
  void visit(ForStmt &s) override {
    walkOptional(s.init);
    walkOptional(s.cond);
    walkOptional(s.step);
    walk(*s.body);
  }
  void visit(ForeachStmt &s) override {
    walkOptional(s.limit);
    walk(*s.body);
  }
  void visit(BreakStmt &) override {}
  void visit(ContinueStmt &) override {}
  void visit(NextStmt &) override {}
  void visit(ReturnStmt &s) override { walkOptional(s.value); }
  void visit(DeleteStmt &s) override { walk(*s.target); }
  void visit(TryStmt &s) override {
    walk(*s.body);
    walk(*s.handler);
  }
};

// Calls `f` on `e` and every expression below it, parents first.
inline void forEachExpr(Expr &e, const std::function<void(Expr &)> &f) {
  struct Each : RecursiveVisitor {
    const std::function<void(Expr &)> &f;
    explicit Each(const std::function<void(Expr &)> &fn) : f(fn) {}
#define MSTAP_EACH(T)                                                                                                  \
  void visit(T &e) override {                                                                                          \
    f(e);                                                                                                              \
    RecursiveVisitor::visit(e);                                                                                        \
  }
    MSTAP_EACH(IntLiteral)
    MSTAP_EACH(StringLiteral)
    MSTAP_EACH(SymbolRef)
    MSTAP_EACH(IndexExpr)
    MSTAP_EACH(CallExpr)
    MSTAP_EACH(TargetExpr)
    MSTAP_EACH(UnaryExpr)
    MSTAP_EACH(IncDecExpr)
    MSTAP_EACH(BinaryExpr)
    MSTAP_EACH(InExpr)
    MSTAP_EACH(TernaryExpr)
    MSTAP_EACH(AssignExpr)
    MSTAP_EACH(AtExpr)
    MSTAP_EACH(EmbeddedExpr)
#undef MSTAP_EACH
  } each(f);
  e.accept(each);
}

// Whether evaluating `e` may change a variable: an assignment, '++' or
// '--', or a call of a script function, anywhere in it.
inline bool mayModify(Expr &e) {
  bool found = false;
  forEachExpr(e, [&](Expr &x) {
    auto *call = ast::dyn<CallExpr>(&x);
    found = found || ast::dyn<AssignExpr>(&x) || ast::dyn<IncDecExpr>(&x) || (call && call->callee);
  });
  return found;
}

} // namespace mstap::ast
