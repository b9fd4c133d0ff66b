// Pass 3: expressions, operators, assignments and statistics extractors.
#include "codegen/generator.h"

#include <fmt/format.h>

#include <algorithm>

namespace mstap::codegen {

// ----------------------------------------------------------- expressions

Value BodyEmitter::expr(Expr &e) {
  switch (e.kind) {
  case ExprKind::IntLiteral: return {cInteger(static_cast<IntLiteral &>(e).value), Type::Long};
  case ExprKind::StringLiteral: return {cStringLiteral(static_cast<StringLiteral &>(e).value), Type::String};
  case ExprKind::SymbolRef: return symbol(static_cast<SymbolRef &>(e));
  case ExprKind::IndexExpr: return element(static_cast<IndexExpr &>(e));
  case ExprKind::CallExpr: return call(static_cast<CallExpr &>(e));
  case ExprKind::TargetExpr: return target(static_cast<TargetExpr &>(e));
  case ExprKind::UnaryExpr: return unary(static_cast<UnaryExpr &>(e));
  case ExprKind::IncDecExpr: return incDec(static_cast<IncDecExpr &>(e));
  case ExprKind::BinaryExpr: return binary(static_cast<BinaryExpr &>(e));
  case ExprKind::InExpr: return membership(static_cast<InExpr &>(e));
  case ExprKind::TernaryExpr: return ternary(static_cast<TernaryExpr &>(e));
  case ExprKind::AssignExpr: return assign(static_cast<AssignExpr &>(e));
  case ExprKind::AtExpr: return at(static_cast<AtExpr &>(e));
  case ExprKind::EmbeddedExpr: return embedded(static_cast<EmbeddedExpr &>(e));
  }
  gen_.internal(e.loc(), "an expression pass 3 does not know");
  return {"0", Type::Long};
}

// %{ C %} as a value: a long converted from whatever the C is, or a string
// copied into a temporary (cut at MAXSTRINGLEN).
Value BodyEmitter::embedded(EmbeddedExpr &e) {
  if (e.type == Type::String) {
    Value t = stringTemp();
    line(fmt::format("mstap_string_copy({}, ({}));", t.code, e.code));
    return t;
  }
  return {fmt::format("((s64)({}))", e.code), Type::Long};
}

Value BodyEmitter::symbol(SymbolRef &e) {
  const Variable *v = e.var;
  if (v->scope == Variable::Scope::Global) {
    const GlobalInfo &g = global(v);
    if (g.kind != GlobalInfo::Kind::Long && g.kind != GlobalInfo::Kind::String) {
      gen_.internal(e.loc(), fmt::format("'{}' is a statistic or an array here, not a value", v->name));
      return {"0", Type::Long};
    }
  }
  return {varRef(v, false), v->type == Type::String ? Type::String : Type::Long};
}

Value BodyEmitter::element(IndexExpr &e) {
  const GlobalInfo &g = global(e.var);
  if (g.kind == GlobalInfo::Kind::PMap) {
    gen_.internal(e.loc(), fmt::format("'{}' holds statistics: read them with @count, @sum, ...", e.array));
    return {"0", Type::Long};
  }
  std::string k = keys(e.keys, e.var->keyTypes);
  std::string ref = varRef(e.var, false);
  if (e.var->type == Type::String)
    return {fmt::format("mstap_map_get_string(&{}, {})", ref, k), Type::String};
  return {fmt::format("mstap_map_get_long(&{}, {})", ref, k), Type::Long};
}

Value BodyEmitter::unary(UnaryExpr &e) {
  Value v = expr(*e.operand);
  switch (e.op) {
  case UnaryOp::Not: return {fmt::format("mstap_not({})", v.code), Type::Long};
  case UnaryOp::BitNot: return {fmt::format("(~({}))", v.code), Type::Long};
  case UnaryOp::Negate: return {fmt::format("((s64)(0 - (u64)({})))", v.code), Type::Long};
  case UnaryOp::Plus: return v;
  }
  gen_.internal(e.loc(), "a unary operator pass 3 does not know");
  return {"0", Type::Long};
}

Value BodyEmitter::membership(InExpr &e) {
  const GlobalInfo &g = global(e.var);
  bool pmap = g.kind == GlobalInfo::Kind::PMap;
  std::string k = keys(e.keys, e.var->keyTypes);
  std::string ref = varRef(e.var, pmap);
  return {fmt::format("(s64){}(&{}, {})", pmap ? "mstap_pmap_exists" : "mstap_map_exists", ref, k), Type::Long};
}

Value BodyEmitter::ternary(TernaryExpr &e) {
  Value cond = expr(*e.cond);
  if (e.type == Type::Unknown) { // `c ? exit() : f()` as a statement: the branches are run, not kept
    line(fmt::format("if (mstap_bool({})) {{", cond.code));
    ++indent_;
    discard(expr(*e.then));
    --indent_;
    line("} else {");
    ++indent_;
    discard(expr(*e.otherwise));
    --indent_;
    line("}");
    return {"", Type::Unknown};
  }
  bool str = e.type == Type::String;
  Value result = str ? stringTemp() : Value{longTemp(), Type::Long};
  if (!str)
    line(fmt::format("s64 {};", result.code));
  line(fmt::format("if (mstap_bool({})) {{", cond.code));
  ++indent_;
  Value a = expr(*e.then);
  line(str ? fmt::format("mstap_string_copy({}, {});", result.code, a.code)
           : fmt::format("{} = {};", result.code, a.code));
  --indent_;
  line("} else {");
  ++indent_;
  Value b = expr(*e.otherwise);
  line(str ? fmt::format("mstap_string_copy({}, {});", result.code, b.code)
           : fmt::format("{} = {};", result.code, b.code));
  --indent_;
  line("}");
  return result;
}

Value BodyEmitter::binary(BinaryExpr &e) {
  if (e.op == BinaryOp::LogAnd || e.op == BinaryOp::LogOr) {
    Value lhs = expr(*e.lhs);
    std::string t = longTemp();
    bool isAnd = e.op == BinaryOp::LogAnd;
    line(fmt::format("s64 {} = {};", t, isAnd ? 0 : 1));
    line(fmt::format("if ({}mstap_bool({})) {{", isAnd ? "" : "!", lhs.code));
    ++indent_;
    Value rhs = expr(*e.rhs);
    line(fmt::format("{} = mstap_bool({});", t, rhs.code));
    --indent_;
    line("}");
    return {t, Type::Long};
  }
  Value lhs = expr(*e.lhs);
  if (mayModify(*e.rhs))
    lhs = materialize(lhs);
  Value rhs = expr(*e.rhs);
  const std::string &a = lhs.code, &b = rhs.code;
  if (e.op == BinaryOp::Concat) {
    Value t = stringTemp();
    line(fmt::format("mstap_string_copy({}, {});", t.code, a));
    line(fmt::format("mstap_string_append({}, {});", t.code, b));
    return t;
  }
  // Comparisons go through the runtime's mstap_eq() and kin, never C's
  // operators: after folding, "(-1LL) == (x < y)" or "i == i" would draw
  // -Wbool-compare or -Wtautological-compare, errors under -Werror.
  const char *compare = nullptr;
  switch (e.op) {
  case BinaryOp::Eq: compare = "mstap_eq"; break;
  case BinaryOp::Ne: compare = "mstap_ne"; break;
  case BinaryOp::Lt: compare = "mstap_lt"; break;
  case BinaryOp::Le: compare = "mstap_le"; break;
  case BinaryOp::Gt: compare = "mstap_gt"; break;
  case BinaryOp::Ge: compare = "mstap_ge"; break;
  default: break;
  }
  if (lhs.type == Type::String) {
    if (!compare)
      gen_.internal(e.loc(), "a string operator pass 3 does not know");
    return {fmt::format("{}(mstap_string_compare({}, {}), 0)", compare ? compare : "mstap_eq", a, b), Type::Long};
  }
  if (compare)
    return {fmt::format("{}({}, {})", compare, a, b), Type::Long};
  switch (e.op) {
  case BinaryOp::Add: return {fmt::format("((s64)((u64)({}) + (u64)({})))", a, b), Type::Long};
  case BinaryOp::Sub: return {fmt::format("((s64)((u64)({}) - (u64)({})))", a, b), Type::Long};
  case BinaryOp::Mul: return {fmt::format("((s64)((u64)({}) * (u64)({})))", a, b), Type::Long};
  case BinaryOp::Div:
  case BinaryOp::Mod: {
    std::string t = longTemp();
    line(fmt::format("s64 {} = {}(c, {}, {});", t, e.op == BinaryOp::Div ? "mstap_divide" : "mstap_modulo", a, b));
    check(e.loc());
    return {t, Type::Long};
  }
  case BinaryOp::Shl: return {fmt::format("((s64)((u64)({}) << (({}) & 63)))", a, b), Type::Long};
  case BinaryOp::Shr: return {fmt::format("((s64)({}) >> (({}) & 63))", a, b), Type::Long};
  case BinaryOp::UShr: return {fmt::format("((s64)((u64)({}) >> (({}) & 63)))", a, b), Type::Long};
  case BinaryOp::BitAnd: return {fmt::format("(({}) & ({}))", a, b), Type::Long};
  case BinaryOp::BitXor: return {fmt::format("(({}) ^ ({}))", a, b), Type::Long};
  case BinaryOp::BitOr: return {fmt::format("(({}) | ({}))", a, b), Type::Long};
  default: break;
  }
  gen_.internal(e.loc(), "an operator pass 3 does not know");
  return {"0", Type::Long};
}

// The long operation of a compound assignment, as C, given both operands
// (division and modulo may fail: the check follows).
static std::string compound(BodyEmitter &b, AssignOp op, const std::string &a, const std::string &v, SourceLoc at,
                            bool &checkAfter) {
  checkAfter = false;
  switch (op) {
  case AssignOp::Add: return fmt::format("(s64)((u64)({}) + (u64)({}))", a, v);
  case AssignOp::Sub: return fmt::format("(s64)((u64)({}) - (u64)({}))", a, v);
  case AssignOp::Mul: return fmt::format("(s64)((u64)({}) * (u64)({}))", a, v);
  case AssignOp::Div: checkAfter = true; return fmt::format("mstap_divide(c, {}, {})", a, v);
  case AssignOp::Mod: checkAfter = true; return fmt::format("mstap_modulo(c, {}, {})", a, v);
  case AssignOp::Shl: return fmt::format("(s64)((u64)({}) << (({}) & 63))", a, v);
  case AssignOp::Shr: return fmt::format("((s64)({}) >> (({}) & 63))", a, v);
  case AssignOp::BitAnd: return fmt::format("(({}) & ({}))", a, v);
  case AssignOp::BitXor: return fmt::format("(({}) ^ ({}))", a, v);
  case AssignOp::BitOr: return fmt::format("(({}) | ({}))", a, v);
  default: break;
  }
  (void)b;
  (void)at;
  return v;
}

Value BodyEmitter::assign(AssignExpr &e) {
  if (e.op == AssignOp::Aggregate) {
    const GlobalInfo *g = nullptr;
    if (auto *sym = dyn<SymbolRef>(e.lhs.get())) {
      g = &global(sym->var);
      std::string ref = varRef(sym->var, false); // per CPU: the shared lock suffices
      Value v = expr(*e.rhs);
      line(fmt::format("mstap_pstat_add(&{}, {});", ref, v.code));
      return {v.code, Type::Unknown};
    }
    if (auto *ix = dyn<IndexExpr>(e.lhs.get())) {
      g = &global(ix->var);
      std::string k = keys(ix->keys, ix->var->keyTypes);
      std::string ref = varRef(ix->var, false);
      Value v = expr(*e.rhs);
      line(fmt::format("mstap_pmap_add(&{}, {}, {}, &c->error);", ref, k, v.code));
      check(e.loc());
      return {v.code, Type::Unknown};
    }
    (void)g;
    gen_.internal(e.loc(), "'<<<' needs a statistic");
    return {"0", Type::Unknown};
  }
  bool str = e.lhs->type == Type::String;
  if (auto *sym = dyn<SymbolRef>(e.lhs.get())) {
    std::string ref = varRef(sym->var, true);
    Value v = expr(*e.rhs);
    if (str) {
      if (e.op == AssignOp::Concat) {
        if (dyn<SymbolRef>(e.rhs.get()) || dyn<IndexExpr>(e.rhs.get()))
          v = materialize(v);
        line(fmt::format("mstap_string_append({}, {});", ref, v.code));
      } else {
        line(fmt::format("mstap_string_copy({}, {});", ref, v.code));
      }
      return {ref, Type::String};
    }
    if (e.op == AssignOp::Assign) {
      std::string t = longTemp();
      line(fmt::format("s64 {} = {};", t, v.code));
      line(fmt::format("{} = {};", ref, t));
      return {t, Type::Long};
    }
    bool checkAfter = false;
    std::string t = longTemp();
    line(fmt::format("s64 {} = {};", t, compound(*this, e.op, ref, v.code, e.loc(), checkAfter)));
    if (checkAfter)
      check(e.loc());
    line(fmt::format("{} = {};", ref, t));
    return {t, Type::Long};
  }
  if (auto *ix = dyn<IndexExpr>(e.lhs.get())) {
    const GlobalInfo &g = global(ix->var);
    if (g.kind == GlobalInfo::Kind::PMap) {
      gen_.internal(e.loc(), fmt::format("'{}' holds statistics: add to it with '<<<'", ix->array));
      return {"0", Type::Long};
    }
    std::string k = keys(ix->keys, ix->var->keyTypes);
    std::string ref = varRef(ix->var, true);
    Value v = expr(*e.rhs);
    if (str) {
      if (e.op == AssignOp::Concat) {
        Value rhs = materialize(v);
        std::string p = longTemp();
        line(fmt::format("char *{} = mstap_map_string_slot(&{}, {}, &c->error);", p, ref, k));
        check(e.loc());
        line(fmt::format("mstap_string_append({}, {});", p, rhs.code));
        return {p, Type::String};
      }
      line(fmt::format("mstap_map_set_string(&{}, {}, {}, &c->error);", ref, k, v.code));
      check(e.loc());
      return v;
    }
    if (e.op == AssignOp::Assign) {
      std::string t = longTemp();
      line(fmt::format("s64 {} = {};", t, v.code));
      line(fmt::format("mstap_map_set_long(&{}, {}, {}, &c->error);", ref, k, t));
      check(e.loc());
      return {t, Type::Long};
    }
    std::string rhs = materialize(v).code;
    std::string p = longTemp();
    line(fmt::format("s64 *{} = mstap_map_long_slot(&{}, {}, &c->error);", p, ref, k));
    check(e.loc());
    bool checkAfter = false;
    std::string t = longTemp();
    line(fmt::format("s64 {} = {};", t, compound(*this, e.op, "*" + p, rhs, e.loc(), checkAfter)));
    if (checkAfter)
      check(e.loc());
    line(fmt::format("*{} = {};", p, t));
    return {t, Type::Long};
  }
  if (auto *te = dyn<TargetExpr>(e.lhs.get())) { // guru mode: pass 2 checked -g
    Value v = expr(*e.rhs);
    std::string t = longTemp();
    if (e.op == AssignOp::Assign) {
      line(fmt::format("s64 {} = {};", t, v.code));
    } else {
      if (!writableOnce(*te))
        return {"0", Type::Long};
      v = materialize(v);
      Value old = target(*te);
      bool checkAfter = false;
      line(fmt::format("s64 {} = {};", t, compound(*this, e.op, old.code, v.code, e.loc(), checkAfter)));
      if (checkAfter)
        check(e.loc());
    }
    target(*te, &t);
    return {t, Type::Long};
  }
  gen_.internal(e.loc(), "this cannot be assigned to");
  return {"0", Type::Long};
}

Value BodyEmitter::incDec(IncDecExpr &e) {
  const char *op = e.increment ? "+" : "-";
  std::string t = longTemp();
  if (auto *sym = dyn<SymbolRef>(e.operand.get())) {
    std::string ref = varRef(sym->var, true);
    if (e.prefix) {
      line(fmt::format("s64 {} = (s64)((u64){} {} 1);", t, ref, op));
      line(fmt::format("{} = {};", ref, t));
    } else {
      line(fmt::format("s64 {} = {};", t, ref));
      line(fmt::format("{} = (s64)((u64){} {} 1);", ref, t, op));
    }
    return {t, Type::Long};
  }
  if (auto *ix = dyn<IndexExpr>(e.operand.get())) {
    std::string k = keys(ix->keys, ix->var->keyTypes);
    std::string ref = varRef(ix->var, true);
    std::string p = longTemp();
    line(fmt::format("s64 *{} = mstap_map_long_slot(&{}, {}, &c->error);", p, ref, k));
    check(e.loc());
    if (e.prefix) {
      line(fmt::format("s64 {} = (s64)((u64)*{} {} 1);", t, p, op));
      line(fmt::format("*{} = {};", p, t));
    } else {
      line(fmt::format("s64 {} = *{};", t, p));
      line(fmt::format("*{} = (s64)((u64){} {} 1);", p, t, op));
    }
    return {t, Type::Long};
  }
  if (auto *te = dyn<TargetExpr>(e.operand.get())) { // guru mode
    if (!writableOnce(*te))
      return {"0", Type::Long};
    Value old = target(*te);
    std::string next = longTemp();
    line(fmt::format("s64 {} = (s64)((u64){} {} 1);", next, old.code, op));
    target(*te, &next);
    return {e.prefix ? next : old.code, Type::Long};
  }
  gen_.internal(e.loc(), "'++' and '--' need a variable or an array element");
  return {"0", Type::Long};
}

// The statistic an extractor reads: a `const struct mstap_stat *` expression.
std::string BodyEmitter::statOf(Expr &statExpr, SourceLoc at, const GlobalInfo **info) {
  if (auto *sym = dyn<SymbolRef>(&statExpr)) {
    const GlobalInfo &g = global(sym->var);
    *info = &g;
    return fmt::format("mstap_pstat_read(&{})", varRef(sym->var, true));
  }
  if (auto *ix = dyn<IndexExpr>(&statExpr)) {
    const GlobalInfo &g = global(ix->var);
    *info = &g;
    std::string k = keys(ix->keys, ix->var->keyTypes);
    return fmt::format("mstap_pmap_read(&{}, {})", varRef(ix->var, true), k);
  }
  gen_.internal(at, "a statistic must be a global or an element of a global array");
  *info = nullptr;
  return "NULL";
}

Value BodyEmitter::at(AtExpr &e) {
  switch (e.op) {
  case AtOp::Defined: // folded by pass 2 when it can be; what is left is not defined
    return {"0LL", Type::Long};
  case AtOp::Entry:
    if (isEntry_) // @entry inside @entry: already at the entry
      return expr(*e.args[0]);
    if (!entry_) {
      gen_.internal(e.loc(), isFunction_ ? "@entry is only available in a .return probe's handler, not in a function"
                                      : "@entry is only available in .return probes");
      return {"0", Type::Long};
    }
    return capture(*e.args[0]);
  case AtOp::HistLog:
  case AtOp::HistLinear:
    gen_.internal(e.loc(), fmt::format("{} can only be printed with print or println", spelling(e.op)));
    return {"\"\"", Type::String};
  default: break;
  }
  const GlobalInfo *g = nullptr;
  std::string stat = statOf(*e.args[0], e.loc(), &g);
  std::string s = longTemp();
  line(fmt::format("const struct mstap_stat *{} = {};", s, stat));
  std::string t = longTemp();
  switch (e.op) {
  case AtOp::Variance:
    line(fmt::format("s64 {} = mstap_stat_variance({}, &mstap_layout_{}, &c->error);", t, s, g ? g->member : ""));
    check(e.loc());
    break;
  case AtOp::Count: line(fmt::format("s64 {} = mstap_stat_count({});", t, s)); break;
  case AtOp::Sum: line(fmt::format("s64 {} = mstap_stat_sum({});", t, s)); break;
  case AtOp::Min:
  case AtOp::Max:
  case AtOp::Avg: {
    const char *fn = e.op == AtOp::Min ? "mstap_stat_min" : e.op == AtOp::Max ? "mstap_stat_max" : "mstap_stat_avg";
    line(fmt::format("s64 {} = {}({}, &c->error);", t, fn, s));
    check(e.loc());
    break;
  }
  default: break;
  }
  return {t, Type::Long};
}

} // namespace mstap::codegen
