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
    switch (st.kind) {
    case StmtKind::BlockStmt: block(static_cast<BlockStmt &>(st)); return;
    case StmtKind::ExprStmt: expr(static_cast<ExprStmt &>(st).expr); return;
    case StmtKind::IfStmt: {
      auto &i = static_cast<IfStmt &>(st);
      expr(i.cond);
      stmt(i.then);
      stmt(i.otherwise);
      // A constant condition (@defined's, mostly) keeps only the branch it
      // takes: the other may use target variables that do not exist here.
      if (auto *c = dyn<IntLiteral>(i.cond.get())) {
        StmtPtr chosen = std::move(c->value ? i.then : i.otherwise);
        if (!chosen) {
          auto empty = std::make_unique<NullStmt>();
          empty->range = st.range;
          chosen = std::move(empty);
        }
        s = std::move(chosen);
      }
      return;
    }
    case StmtKind::WhileStmt: {
      auto &w = static_cast<WhileStmt &>(st);
      expr(w.cond);
      stmt(w.body);
      return;
    }
    case StmtKind::ForStmt: {
      auto &f = static_cast<ForStmt &>(st);
      expr(f.init);
      expr(f.cond);
      expr(f.step);
      stmt(f.body);
      return;
    }
    case StmtKind::ForeachStmt: {
      auto &fe = static_cast<ForeachStmt &>(st);
      expr(fe.limit);
      stmt(fe.body);
      return;
    }
    case StmtKind::ReturnStmt: expr(static_cast<ReturnStmt &>(st).value); return;
    case StmtKind::TryStmt: {
      auto &t = static_cast<TryStmt &>(st);
      block(*t.body);
      block(*t.handler);
      return;
    }
    case StmtKind::DeleteStmt: lvalueKeys(*static_cast<DeleteStmt &>(st).target); return;
    case StmtKind::NullStmt:
    case StmtKind::BreakStmt:
    case StmtKind::ContinueStmt:
    case StmtKind::NextStmt: return;
    }
  }

  // An lvalue is not folded itself; the keys of an array element are.
  void lvalueKeys(Expr &e) {
    if (auto *i = dyn<IndexExpr>(&e))
      for (auto &k : i->keys)
        expr(k);
    if (auto *t = dyn<TargetExpr>(&e); t && t->castOperand)
      expr(t->castOperand);
  }

  void block(BlockStmt &b) {
    for (auto &s : b.statements)
      stmt(s);
  }

  void expr(ExprPtr &e) {
    if (!e)
      return;
    Expr &ex = *e;
    switch (ex.kind) {
    case ExprKind::IntLiteral:
    case ExprKind::StringLiteral:
    case ExprKind::EmbeddedExpr:
    case ExprKind::SymbolRef: return;
    // Target variables keep their indexes as written: pass 2 resolved
    // their accesses (constant indexes checked against array bounds) on
    // the expressions it saw.
    case ExprKind::TargetExpr: {
      auto &t = static_cast<TargetExpr &>(ex);
      if (t.castOperand)
        expr(t.castOperand);
      return;
    }
    case ExprKind::UnaryExpr: {
      auto &u = static_cast<UnaryExpr &>(ex);
      expr(u.operand);
      if (auto *lit = dyn<IntLiteral>(u.operand.get())) {
        uint64_t v = static_cast<uint64_t>(lit->value);
        switch (u.op) {
        case UnaryOp::Not: v = v == 0; break;
        case UnaryOp::BitNot: v = ~v; break;
        case UnaryOp::Negate: v = 0 - v; break;
        case UnaryOp::Plus: break;
        }
        replaceInt(e, static_cast<int64_t>(v));
      }
      return;
    }
    case ExprKind::BinaryExpr: {
      auto &b = static_cast<BinaryExpr &>(ex);
      expr(b.lhs);
      expr(b.rhs);
      binary(e, b);
      return;
    }
    case ExprKind::TernaryExpr: {
      auto &t = static_cast<TernaryExpr &>(ex);
      expr(t.cond);
      expr(t.then);
      expr(t.otherwise);
      if (auto *c = dyn<IntLiteral>(t.cond.get())) {
        ExprPtr chosen = std::move(c->value ? t.then : t.otherwise);
        e = std::move(chosen);
      }
      return;
    }
    case ExprKind::AssignExpr: {
      auto &a = static_cast<AssignExpr &>(ex);
      expr(a.rhs);
      lvalueKeys(*a.lhs);
      return;
    }
    case ExprKind::IncDecExpr: lvalueKeys(*static_cast<IncDecExpr &>(ex).operand); return;
    case ExprKind::CallExpr:
      for (auto &arg : static_cast<CallExpr &>(ex).args)
        expr(arg);
      return;
    case ExprKind::IndexExpr:
      for (auto &k : static_cast<IndexExpr &>(ex).keys)
        expr(k);
      return;
    case ExprKind::InExpr:
      for (auto &k : static_cast<InExpr &>(ex).keys)
        expr(k);
      return;
    case ExprKind::AtExpr: {
      auto &at = static_cast<AtExpr &>(ex);
      if (at.op == AtOp::Defined) {
        bool defined = true;
        if (auto *target = dyn<TargetExpr>(at.args[0].get()))
          defined = (probe || target->isCast()) && targetDefined_ && targetDefined_(probe, *target);
        replaceInt(e, defined ? 1 : 0);
        return;
      }
      // @entry's value is folded (an @defined in it, above all); a
      // statistic is not, an element's keys are.
      if (at.op == AtOp::Entry)
        expr(at.args[0]);
      else
        lvalueKeys(*at.args[0]);
      for (size_t k = 1; k < at.args.size(); ++k)
        expr(at.args[k]);
      return;
    }
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
    case BinaryOp::UShr:
      if (y < 0 || y > 63)
        return;
      r = static_cast<int64_t>(ux >> y);
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
