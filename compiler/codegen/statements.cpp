// Pass 3: statements, loops and foreach.
#include "codegen/generator.h"

#include <fmt/format.h>

#include <algorithm>

namespace mstap::codegen {

// ------------------------------------------------------------ statements

void BodyEmitter::statement(Stmt &s) {
  stringTemps_ = 0; // a statement's temporaries die with it
  if (s.kind == StmtKind::NullStmt)
    return;
  if (s.kind != StmtKind::BlockStmt) // a block's statements count themselves
    line(fmt::format("MSTAP_ACTION({}, {});", loc(s.loc()), errorLabel()));
  switch (s.kind) {
  case StmtKind::NullStmt:
    return;
  case StmtKind::BlockStmt:
    line("{");
    ++indent_;
    block(static_cast<BlockStmt &>(s));
    --indent_;
    line("}");
    return;
  case StmtKind::ExprStmt: {
    auto *e = static_cast<ExprStmt *>(&s);
    discarded(*e->expr);
    return;
  }
  case StmtKind::IfStmt: {
    auto *i = static_cast<IfStmt *>(&s);
    Value cond = expr(*i->cond);
    line(fmt::format("if (mstap_bool({})) {{", cond.code));
    ++indent_;
    statement(*i->then);
    --indent_;
    if (i->otherwise) {
      line("} else {");
      ++indent_;
      statement(*i->otherwise);
      --indent_;
    }
    line("}");
    return;
  }
  case StmtKind::WhileStmt: {
    auto *w = static_cast<WhileStmt *>(&s);
    loop(s.loc(), nullptr, w->cond.get(), nullptr, *w->body);
    return;
  }
  case StmtKind::ForStmt: {
    auto *f = static_cast<ForStmt *>(&s);
    loop(s.loc(), f->init.get(), f->cond.get(), f->step.get(), *f->body);
    return;
  }
  case StmtKind::ForeachStmt: {
    auto *fe = static_cast<ForeachStmt *>(&s);
    foreach(*fe);
    return;
  }
  case StmtKind::BreakStmt: {
    line(fmt::format("goto {};", loops_.back().first));
    return;
  }
  case StmtKind::ContinueStmt: {
    line(fmt::format("goto {};", loops_.back().second));
    return;
  }
  case StmtKind::NextStmt: {
    line("goto out;");
    return;
  }
  case StmtKind::ReturnStmt: {
    auto *r = static_cast<ReturnStmt *>(&s);
    if (r->value) {
      Value v = expr(*r->value);
      if (returnType_ == Type::String)
        line(fmt::format("mstap_string_copy(ret, {});", v.code));
      else if (returnType_ == Type::Long)
        line(fmt::format("result = {};", v.code));
    }
    line("goto out;");
    return;
  }
  case StmtKind::DeleteStmt: {
    auto *d = static_cast<DeleteStmt *>(&s);
    Expr &target = *d->target;
    if (auto *sym = dyn<SymbolRef>(&target)) {
      const Variable *v = sym->var;
      if (v->scope == Variable::Scope::Global) {
        const GlobalInfo &g = global(v);
        std::string ref = varRef(v, true);
        switch (g.kind) {
        case GlobalInfo::Kind::Long: line(ref + " = 0;"); break;
        case GlobalInfo::Kind::String: line(ref + "[0] = '\\0';"); break;
        case GlobalInfo::Kind::Stat: line(fmt::format("mstap_pstat_clear(&{});", ref)); break;
        case GlobalInfo::Kind::Map: line(fmt::format("mstap_map_clear(&{});", ref)); break;
        case GlobalInfo::Kind::PMap: line(fmt::format("mstap_pmap_clear(&{});", ref)); break;
        }
      } else if (v->type == Type::String) {
        line(varRef(v, true) + "[0] = '\\0';");
      } else {
        line(varRef(v, true) + " = 0;");
      }
      return;
    }
    if (auto *ix = dyn<IndexExpr>(&target)) {
      const GlobalInfo &g = global(ix->var);
      std::string k = keys(ix->keys, ix->var->keyTypes);
      std::string ref = varRef(ix->var, true);
      line(fmt::format("{}(&{}, {});", g.kind == GlobalInfo::Kind::PMap ? "mstap_pmap_delete" : "mstap_map_delete",
                       ref, k));
      return;
    }
    gen_.internal(target.loc(), "delete needs a variable or an array element");
    return;
  }
  case StmtKind::TryStmt: {
    auto *t = static_cast<TryStmt *>(&s);
    std::string caught = label("catch"), done = label("try_end");
    line("{");
    ++indent_;
    errorLabels_.push_back(caught);
    block(*t->body);
    errorLabels_.pop_back();
    line(fmt::format("goto {};", done));
    --indent_;
    line(fmt::format("{}:", caught));
    ++indent_;
    if (t->catchVarRef)
      line(fmt::format("mstap_string_copy({}, c->error.message);", varRef(t->catchVarRef, true)));
    line("mstap_error_clear(&c->error);");
    line("c->error_location = NULL;");
    block(*t->handler);
    --indent_;
    line(fmt::format("{}: ;", done));
    line("}");
    return;
  }
  }
  gen_.internal(s.loc(), "a statement pass 3 does not know");
}

// while and for: one C `for (;;)` whose pass counts an action (MAXACTION
// bounds a loop's work), with labels for break and continue.
void BodyEmitter::loop(SourceLoc at, Expr *init, Expr *cond, Expr *step, Stmt &body) {
  std::string brk = label("break"), cont = label("continue");
  if (init)
    discarded(*init);
  line("for (;;) {");
  ++indent_;
  if (cond) {
    stringTemps_ = 0;
    Value c = expr(*cond);
    line(fmt::format("if (!mstap_bool({}))", c.code));
    line("\tbreak;");
  }
  loops_.push_back({brk, cont});
  statement(body);
  loops_.pop_back();
  line(fmt::format("{}: __attribute__((unused));", cont));
  stringTemps_ = 0;
  if (step)
    discarded(*step);
  line(fmt::format("MSTAP_ACTION({}, {});", loc(at), errorLabel()));
  --indent_;
  line("}");
  line(fmt::format("{}: __attribute__((unused));", brk));
}

// An expression evaluated for its effects (a statement, a for loop's init
// and step): its value, if any, is dropped without a C warning.
void BodyEmitter::discarded(Expr &e) {
  Value v = expr(e);
  // An assignment's temporary is used by the assignment itself.
  if (e.kind != ExprKind::AssignExpr && e.kind != ExprKind::IncDecExpr)
    discard(v);
}

void BodyEmitter::discard(const Value &v) {
  // A plain read or a call's result in a temporary would be "unused".
  if (!v.code.empty() && v.type != Type::Unknown)
    line(fmt::format("(void)({});", v.code));
}

void BodyEmitter::foreach(ForeachStmt &s) {
  const GlobalInfo &g = global(s.arrayVar);
  bool pmap = g.kind == GlobalInfo::Kind::PMap;
  int id = static_cast<int>(gen_.foreaches_.size());
  gen_.foreaches_.push_back({id, &g});
  std::string ref = varRef(s.arrayVar, pmap); // merging a statistics array writes its merged copy
  std::string map = pmap ? ref + ".merged" : ref;
  int direction = 0, column = 0;
  if (s.valueSort != SortOrder::None) {
    direction = s.valueSort == SortOrder::Ascending ? 1 : -1;
    column = 0;
  }
  for (size_t i = 0; i < s.keys.size(); ++i)
    if (s.keys[i].sort != SortOrder::None) {
      direction = s.keys[i].sort == SortOrder::Ascending ? 1 : -1;
      column = static_cast<int>(i) + 1;
    }
  std::string limit = "0";
  if (s.limit)
    limit = materialize(expr(*s.limit)).code;
  std::string brk = label("break"), cont = label("continue");
  std::string n = longTemp(), i = longTemp();
  std::string busy = fmt::format("mstap_g.foreach_{}_busy[mstap_current_cpu()]", id);
  std::string owned = fmt::format("foreach_{}_owned", id);
  frameFields_.push_back(fmt::format("s64 {};", owned));
  ownedForeach_.push_back(fmt::format("if (f->{}) {{ {} = 0; f->{} = 0; }}", owned, busy, owned));
  line("{");
  ++indent_;
  line(fmt::format("u32 *index = mstap_g.foreach_{}_index + (size_t)mstap_current_cpu() * {};", id, g.capacity));
  // A statistics array sorted by value goes by @count unless an extractor
  // says otherwise; stap 4.8 sorts "@variance" by @count too, and so does
  // mstap, so that the same script lists the same order.
  const char *field = "MSTAP_STAT_FIELD_COUNT";
  if (s.sortAggregate) {
    switch (*s.sortAggregate) {
    case AtOp::Sum: field = "MSTAP_STAT_FIELD_SUM"; break;
    case AtOp::Min: field = "MSTAP_STAT_FIELD_MIN"; break;
    case AtOp::Max: field = "MSTAP_STAT_FIELD_MAX"; break;
    case AtOp::Avg: field = "MSTAP_STAT_FIELD_AVG"; break;
    default: break;
    }
  }
  line(fmt::format("struct mstap_map_order order = {{ {}, {}, {}, {}, {} }};", direction, column, field,
                   s.limit ? 1 : 0, limit));
  line("u32 " + n + ", " + i + ";");
  line(fmt::format("if ({}) {{", busy));
  line("\tmstap_fn_error(c, \"foreach re-entered through recursion\");");
  line(fmt::format("\tMSTAP_CHECK({}, {});", loc(s.loc()), errorLabel()));
  line("}");
  line(fmt::format("{} = 1;", busy));
  line(fmt::format("f->{} = 1;", owned));
  if (pmap) {
    line(fmt::format("mstap_pmap_merge_all(&{}, &c->error);", ref));
    check(s.loc());
  }
  line(fmt::format("{} = mstap_map_sort(&{}, index, &order);", n, map));
  // Elements cannot be deleted while a foreach walks their array (pass 2
  // refuses it, as stap does), but the whole array can be ("delete a"):
  // then nothing is left to visit, and the loop ends.
  line(fmt::format("for ({} = 0; {} < {} && index[{}] < mstap_map_size(&{}); {}++) {{", i, i, n, i, map, i));
  ++indent_;
  line(fmt::format("struct mstap_entry *e = mstap_map_entry(&{}, index[{}]);", map, i));
  for (size_t k = 0; k < s.keyVars.size(); ++k) {
    const Variable *kv = s.keyVars[k];
    Type kt = k < s.arrayVar->keyTypes.size() ? s.arrayVar->keyTypes[k] : Type::Long;
    if (kt == Type::String)
      line(fmt::format("mstap_string_copy({}, mstap_map_entry_string_key(&{}, e, {}));", varRef(kv, true), map, k));
    else
      line(fmt::format("{} = mstap_map_entry_long_key(&{}, e, {});", varRef(kv, true), map, k));
  }
  if (s.valueVarRef) {
    if (pmap)
      gen_.internal(s.valueLoc, "a foreach over an array of statistics cannot take its values: use @count(a[k]) ...");
    else if (s.arrayVar->type == Type::String)
      line(fmt::format("mstap_string_copy({}, mstap_map_entry_string(&{}, e));", varRef(s.valueVarRef, true), map));
    else
      line(fmt::format("{} = *mstap_map_entry_long(&{}, e);", varRef(s.valueVarRef, true), map));
  }
  loops_.push_back({brk, cont});
  statement(*s.body);
  loops_.pop_back();
  line(fmt::format("{}: __attribute__((unused));", cont));
  line(fmt::format("MSTAP_ACTION({}, {});", loc(s.loc()), errorLabel()));
  --indent_;
  line("}");
  line(fmt::format("{}: __attribute__((unused));", brk));
  line(fmt::format("{} = 0;", busy));
  line(fmt::format("f->{} = 0;", owned));
  --indent_;
  line("}");
}

} // namespace mstap::codegen
