#include "sema/fold.h"

namespace mstap {

using namespace ast;

namespace {

class Folder {
public:
  Folder(const TargetDefined &targetDefined) : targetDefined_(targetDefined) {}
  const ProbeDecl *probe = nullptr;

  void stmt(StmtPtr &s) {
    if (!s)
      return;
    Stmt &st = *s;
    if (auto *b = dyn<BlockStmt>(&st)) {
      block(*b);
    } else if (auto *e = dyn<ExprStmt>(&st)) {
      expr(e->expr);
    } else if (auto *i = dyn<IfStmt>(&st)) {
      expr(i->cond);
      stmt(i->then);
      stmt(i->otherwise);
      // A constant condition (@defined's, mostly) keeps only the branch it
      // takes: the other may use target variables that do not exist here.
      if (auto *c = dyn<IntLiteral>(i->cond.get())) {
        StmtPtr chosen = std::move(c->value ? i->then : i->otherwise);
        if (!chosen) {
          auto empty = std::make_unique<NullStmt>();
          empty->range = st.range;
          chosen = std::move(empty);
        }
        s = std::move(chosen);
      }
    } else if (auto *w = dyn<WhileStmt>(&st)) {
      expr(w->cond);
      stmt(w->body);
    } else if (auto *f = dyn<ForStmt>(&st)) {
      expr(f->init);
      expr(f->cond);
      expr(f->step);
      stmt(f->body);
    } else if (auto *fe = dyn<ForeachStmt>(&st)) {
      expr(fe->limit);
      stmt(fe->body);
    } else if (auto *r = dyn<ReturnStmt>(&st)) {
      expr(r->value);
    } else if (auto *t = dyn<TryStmt>(&st)) {
      block(*t->body);
      block(*t->handler);
    }
    // delete's target is an lvalue: nothing to fold at its top.
  }

  void block(BlockStmt &b) {
    for (auto &s : b.statements)
      stmt(s);
  }

  void expr(ExprPtr &e) {
    if (!e)
      return;
    Expr &ex = *e;
    if (auto *u = dyn<UnaryExpr>(&ex)) {
      expr(u->operand);
      if (auto *lit = dyn<IntLiteral>(u->operand.get())) {
        uint64_t v = static_cast<uint64_t>(lit->value);
        switch (u->op) {
        case UnaryOp::Not: v = v == 0; break;
        case UnaryOp::BitNot: v = ~v; break;
        case UnaryOp::Negate: v = 0 - v; break;
        case UnaryOp::Plus: break;
        }
        replaceInt(e, static_cast<int64_t>(v));
      }
    } else if (auto *b = dyn<BinaryExpr>(&ex)) {
      expr(b->lhs);
      expr(b->rhs);
      binary(e, *b);
    } else if (auto *t = dyn<TernaryExpr>(&ex)) {
      expr(t->cond);
      expr(t->then);
      expr(t->otherwise);
      if (auto *c = dyn<IntLiteral>(t->cond.get())) {
        ExprPtr chosen = std::move(c->value ? t->then : t->otherwise);
        e = std::move(chosen);
      }
    } else if (auto *a = dyn<AssignExpr>(&ex)) {
      expr(a->rhs);
      if (auto *i = dyn<IndexExpr>(a->lhs.get()))
        for (auto &k : i->keys)
          expr(k);
    } else if (auto *c = dyn<CallExpr>(&ex)) {
      for (auto &arg : c->args)
        expr(arg);
    } else if (auto *i = dyn<IndexExpr>(&ex)) {
      for (auto &k : i->keys)
        expr(k);
    } else if (auto *in = dyn<InExpr>(&ex)) {
      for (auto &k : in->keys)
        expr(k);
    } else if (auto *at = dyn<AtExpr>(&ex)) {
      if (at->op == AtOp::Defined) {
        bool defined = true;
        if (auto *target = dyn<TargetExpr>(at->args[0].get()))
          defined = probe && targetDefined_ && targetDefined_(*probe, *target);
        replaceInt(e, defined ? 1 : 0);
        return;
      }
      for (size_t k = 1; k < at->args.size(); ++k)
        expr(at->args[k]);
    }
  }

private:
  static void replaceInt(ExprPtr &e, int64_t value) {
    auto lit = std::make_unique<IntLiteral>();
    lit->range = e->range;
    lit->type = Type::Long;
    lit->value = value;
    e = std::move(lit);
  }

  // Folds with the runtime's semantics: 64-bit wrap-around; division by zero
  // and shifts out of range are left for the runtime to report.
  static void binary(ExprPtr &e, BinaryExpr &b) {
    auto *ls = dyn<StringLiteral>(b.lhs.get());
    auto *rs = dyn<StringLiteral>(b.rhs.get());
    if (ls && rs) {
      if (b.op == BinaryOp::Concat) {
        auto lit = std::make_unique<StringLiteral>();
        lit->range = e->range;
        lit->type = Type::String;
        lit->value = ls->value + rs->value;
        e = std::move(lit);
      }
      return;
    }
    auto *li = dyn<IntLiteral>(b.lhs.get());
    auto *ri = dyn<IntLiteral>(b.rhs.get());
    if (!li || !ri)
      return;
    int64_t x = li->value, y = ri->value;
    uint64_t ux = static_cast<uint64_t>(x), uy = static_cast<uint64_t>(y);
    int64_t r;
    switch (b.op) {
    case BinaryOp::Mul: r = static_cast<int64_t>(ux * uy); break;
    case BinaryOp::Div:
    case BinaryOp::Mod:
      if (y == 0 || (x == INT64_MIN && y == -1))
        return;
      r = b.op == BinaryOp::Div ? x / y : x % y;
      break;
    case BinaryOp::Add: r = static_cast<int64_t>(ux + uy); break;
    case BinaryOp::Sub: r = static_cast<int64_t>(ux - uy); break;
    case BinaryOp::Shl:
      if (y < 0 || y > 63)
        return;
      r = static_cast<int64_t>(ux << y);
      break;
    case BinaryOp::Shr:
      if (y < 0 || y > 63)
        return;
      r = x >> y;
      break;
    case BinaryOp::Eq: r = x == y; break;
    case BinaryOp::Ne: r = x != y; break;
    case BinaryOp::Lt: r = x < y; break;
    case BinaryOp::Le: r = x <= y; break;
    case BinaryOp::Gt: r = x > y; break;
    case BinaryOp::Ge: r = x >= y; break;
    case BinaryOp::BitAnd: r = x & y; break;
    case BinaryOp::BitXor: r = x ^ y; break;
    case BinaryOp::BitOr: r = x | y; break;
    case BinaryOp::LogAnd: r = x && y; break;
    case BinaryOp::LogOr: r = x || y; break;
    default: return;
    }
    replaceInt(e, r);
  }

  const TargetDefined &targetDefined_;
};

} // namespace

void foldConstants(Script &script, const TargetDefined &targetDefined) {
  Folder folder(targetDefined);
  for (Decl &decl : script.decls) {
    if (decl.kind == Decl::Kind::Function && decl.function->body) {
      folder.probe = nullptr;
      for (auto &s : decl.function->body->statements)
        folder.stmt(s);
    } else if (decl.kind == Decl::Kind::Probe) {
      folder.probe = decl.probe.get();
      for (auto &s : decl.probe->body->statements)
        folder.stmt(s);
      for (auto &pp : decl.probe->points)
        folder.expr(pp.condition);
    }
  }
}

} // namespace mstap
