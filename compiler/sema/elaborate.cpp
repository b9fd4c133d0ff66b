#include "sema/elaborate.h"

#include "ast/printer.h"
#include "sema/builtins.h"
#include "sema/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace mstap {

using namespace ast;

std::string similarNames(const std::string &name, const std::vector<std::string> &candidates) {
  std::vector<std::pair<size_t, std::string>> scored;
  size_t limit = std::max<size_t>(2, name.size() / 3);
  for (const auto &c : candidates) {
    size_t d = editDistance(name, c);
    if (d <= limit && c != name)
      scored.emplace_back(d, c);
  }
  std::sort(scored.begin(), scored.end());
  std::string out;
  for (size_t i = 0; i < scored.size() && i < 5; ++i)
    out += (i ? ", " : "") + scored[i].second;
  return out;
}

namespace {

bool isLvalue(const Expr &e) {
  return dynamic_cast<const SymbolRef *>(&e) || dynamic_cast<const IndexExpr *>(&e);
}

// The variable an lvalue names.
Variable *lvalueVar(Expr &e) {
  if (auto *s = dynamic_cast<SymbolRef *>(&e))
    return s->var;
  if (auto *i = dynamic_cast<IndexExpr *>(&e))
    return i->var;
  return nullptr;
}

// What the runtime's arrays hold (runtime/mstap_map.h: MSTAP_MAX_KEYS, and
// the capacity mstap_map_init accepts).
constexpr size_t kMaxArrayKeys = 9;
constexpr int64_t kMaxArrayEntries = int64_t(1) << 24;

// One walk over a probe or function body. The same walker resolves names
// (first walk) and infers types (every later walk, to a fixed point); only
// the last walk reports type errors, once every type that can be known is.
class Walker : public Visitor {
public:
  enum class Mode { Resolve, Infer, Report };

  Walker(const SourceFile *file, Diagnostics &diags, std::map<std::string, Variable *> &globals,
         std::map<std::string, FunctionDecl *> &functions, const ElaborateOptions &options)
      : file_(file), diags_(diags), globals_(globals), functions_(functions), options_(options) {}

  Mode mode = Mode::Resolve;
  bool changed = false;

  void walkProbe(ProbeDecl &probe) {
    locals_ = &probe.locals;
    function_ = nullptr;
    for (auto &pp : probe.points)
      if (pp.condition) {
        visitExpr(*pp.condition);
        expect(*pp.condition, Type::Long, "a probe condition");
      }
    probe.body->accept(*this);
  }

  void walkFunction(FunctionDecl &f) {
    locals_ = &f.locals;
    function_ = &f;
    if (f.body)
      f.body->accept(*this);
  }

private:
  // Errors of structure (names, arity, context) are found by the resolving
  // walk; errors of types by the reporting walk, once types are settled.
  void error(SourceLoc at, std::string message) {
    if (mode == Mode::Resolve)
      diags_.error(file_, at, std::move(message));
  }
  void typeError(SourceLoc at, std::string message) {
    if (mode == Mode::Report)
      diags_.error(file_, at, std::move(message));
  }

  // ------------------------------------------------------------- types

  void setType(Type &slot, SourceLoc &slotLoc, Type t, SourceLoc at, const std::string &what) {
    if (t == Type::Unknown)
      return;
    if (slot == Type::Unknown) {
      slot = t;
      slotLoc = at;
      changed = true;
    } else if (slot != t && mode == Mode::Report) {
      diags_.error(file_, at, fmt::format("type mismatch: {} is {} here, but {} elsewhere", what,
                                          typeName(t), typeName(slot)));
      if (slotLoc.valid())
        diags_.note(file_, slotLoc, fmt::format("{} was inferred as {} here", what, typeName(slot)));
    }
  }

  void setVarType(Variable &v, Type t, SourceLoc at) {
    setType(v.type, v.typeLoc, t, at, fmt::format("'{}'", v.name));
  }

  // `e` (already visited) must be of type t.
  void expect(Expr &e, Type t, const char *context, Variable *source = nullptr, const char *verb = "takes") {
    if (t == Type::Unknown)
      return;
    if (e.type == t)
      return;
    if (e.type == Type::Unknown) {
      if (auto *s = dynamic_cast<SymbolRef *>(&e)) {
        if (s->var)
          setVarType(*s->var, t, e.loc());
      } else if (auto *i = dynamic_cast<IndexExpr *>(&e)) {
        if (i->var)
          setVarType(*i->var, t, e.loc());
      } else if (auto *c = dynamic_cast<CallExpr *>(&e)) {
        if (c->callee)
          setType(c->callee->returnType, c->callee->returnTypeLoc, t, e.loc(),
                  fmt::format("the result of '{}'", c->callee->name));
      } else if (auto *tern = dynamic_cast<TernaryExpr *>(&e)) {
        expect(*tern->then, t, context);
        expect(*tern->otherwise, t, context);
      } else if (auto *a = dynamic_cast<AssignExpr *>(&e)) {
        if (a->op == AssignOp::Assign) {
          expect(*a->lhs, t, context);
          expect(*a->rhs, t, context);
        }
      } else if (auto *at = dynamic_cast<AtExpr *>(&e)) {
        if (at->op == AtOp::Entry && !at->args.empty())
          expect(*at->args[0], t, context);
      }
      e.type = t;
      return;
    }
    if (mode == Mode::Report) {
      diags_.error(file_, e.loc(), fmt::format("type mismatch: {} {} a {}, but this is a {}", context, verb,
                                               typeName(t), typeName(e.type)));
      Variable *v = source ? source : lvalueVar(e);
      if (v && v->typeLoc.valid())
        diags_.note(file_, v->typeLoc, fmt::format("'{}' was inferred as {} here", v->name, typeName(v->type)));
    }
  }

  void visitExpr(Expr &e) { e.accept(*this); }

  // ------------------------------------------------------- resolution

  Variable *lookup(const std::string &name, SourceLoc at) {
    for (auto &v : *locals_)
      if (v->name == name)
        return v.get();
    if (auto it = globals_.find(name); it != globals_.end())
      return it->second;
    auto local = std::make_unique<Variable>();
    local->scope = Variable::Scope::Local;
    local->name = name;
    local->loc = at;
    local->arity = 0;
    locals_->push_back(std::move(local));
    return locals_->back().get();
  }

  bool isLocal(const std::string &name) const {
    for (auto &l : *locals_)
      if (l->name == name)
        return true;
    return false;
  }

  // An array reference: only globals can be arrays.
  Variable *lookupArray(const std::string &name, size_t keys, SourceLoc at) {
    Variable *v = nullptr;
    bool local = false;
    for (auto &l : *locals_)
      if (l->name == name)
        local = true;
    if (!local)
      if (auto it = globals_.find(name); it != globals_.end())
        v = it->second;
    if (!v) {
      error(at, fmt::format("unresolved arity-{} global array {}, missing global declaration?", keys, name));
      return nullptr;
    }
    if (v->arity == -1) {
      if (keys > kMaxArrayKeys) {
        error(at, fmt::format("array '{}' has {} keys: mstap's arrays take at most {}", name, keys, kMaxArrayKeys));
        return nullptr;
      }
      v->arity = static_cast<int>(keys);
      v->keyTypes.assign(keys, Type::Unknown);
      arityLoc_[v] = at;
    } else if (v->arity != static_cast<int>(keys)) {
      if (v->arity == 0)
        error(at, fmt::format("'{}' is used as a scalar elsewhere, and as an array here", name));
      else
        error(at, fmt::format("array '{}' is indexed with {} key{} here, but {} elsewhere", name, keys,
                              keys == 1 ? "" : "s", v->arity));
      if (arityLoc_.count(v))
        diags_.note(file_, arityLoc_[v], "first used here");
      return nullptr;
    }
    return v;
  }

  void scalarUse(Variable *v, SourceLoc at) {
    if (!v || v->scope != Variable::Scope::Global)
      return;
    if (v->arity == -1) {
      v->arity = 0;
      arityLoc_[v] = at;
    } else if (v->arity > 0 && mode == Mode::Resolve) {
      error(at, fmt::format("array '{}' is used here as a scalar", v->name));
      if (arityLoc_.count(v))
        diags_.note(file_, arityLoc_[v], "it is used as an array here");
    }
  }

  void keys(ExprList &keyExprs, Variable *v) {
    for (size_t i = 0; i < keyExprs.size(); ++i) {
      visitExpr(*keyExprs[i]);
      if (!v || i >= v->keyTypes.size())
        continue;
      Type &slot = v->keyTypes[i];
      if (slot == Type::Unknown && keyExprs[i]->type != Type::Unknown) {
        slot = keyExprs[i]->type;
        changed = true;
      } else if (keyExprs[i]->type != Type::Stats) {
        expect(*keyExprs[i], slot, fmt::format("key {} of '{}'", i + 1, v->name).c_str());
      }
      if (keyExprs[i]->type == Type::Stats)
        typeError(keyExprs[i]->loc(), "a statistic cannot be an array key");
    }
  }

  // Writes to `target`: checks it can be written and is not being iterated.
  void noteWrite(Expr &target, const char *op) {
    if (!isLvalue(target)) {
      if (dynamic_cast<TargetExpr *>(&target) && options_.guru)
        return;
      error(target.loc(), dynamic_cast<TargetExpr *>(&target)
                              ? std::string("writing to a target variable needs guru mode: use -g")
                              : fmt::format("the left side of '{}' cannot be assigned to", op));
      return;
    }
    Variable *v = lvalueVar(target);
    if (!v)
      return;
    v->written = true;
    if (dynamic_cast<IndexExpr *>(&target) &&
        std::find(iterating_.begin(), iterating_.end(), v) != iterating_.end())
      error(target.loc(), fmt::format("cannot modify array '{}' while a foreach iterates over it", v->name));
  }

  // ------------------------------------------------------- expressions

public:
  void visit(IntLiteral &e) override { e.type = Type::Long; }
  void visit(StringLiteral &e) override { e.type = Type::String; }

  void visit(SymbolRef &e) override {
    if (mode == Mode::Resolve) {
      e.var = lookup(e.name, e.loc());
      scalarUse(e.var, e.loc());
      if (!writing_)
        e.var->read = true;
    }
    if (e.var && e.var->arity <= 0)
      e.type = e.var->type;
  }

  void visit(IndexExpr &e) override {
    if (mode == Mode::Resolve) {
      e.var = lookupArray(e.array, e.keys.size(), e.loc());
      if (e.var && !writing_)
        e.var->read = true;
    }
    bool wasWriting = writing_;
    writing_ = false;
    keys(e.keys, e.var);
    writing_ = wasWriting;
    if (e.var)
      e.type = e.var->type;
  }

  void visit(CallExpr &e) override {
    if (mode == Mode::Resolve)
      resolveCall(e);
    for (auto &arg : e.args)
      visitExpr(*arg);
    if (e.callee) {
      auto &params = e.callee->locals;
      for (size_t i = 0; i < e.args.size() && i < e.callee->params.size(); ++i) {
        Variable &p = *params[i];
        if (p.type == Type::Unknown && e.args[i]->type != Type::Unknown && e.args[i]->type != Type::Stats)
          setVarType(p, e.args[i]->type, e.args[i]->loc());
        else
          expect(*e.args[i], p.type, fmt::format("parameter '{}' of '{}'", p.name, e.callee->name).c_str());
      }
      e.type = e.callee->returnType;
    } else if (e.builtin) {
      checkBuiltinArgs(e);
      e.type = e.builtin->returnType;
    }
  }

  void visit(TargetExpr &e) override {
    if (function_)
      error(e.loc(), fmt::format("target variable '{}' in function '{}': target variables exist only in the "
                                 "handlers of kernel function probes",
                                 e.name, function_->name));
    for (auto &c : e.components)
      if (c.index) {
        visitExpr(*c.index);
        expect(*c.index, Type::Long, "an index");
      }
    bool pretty = e.name.size() > 1 && e.name.back() == '$';
    bool wholeSet = e.name.rfind("$$", 0) == 0;
    e.type = pretty || wholeSet ? Type::String : Type::Long;
  }

  void visit(UnaryExpr &e) override {
    visitExpr(*e.operand);
    expect(*e.operand, Type::Long, fmt::format("'{}'", spelling(e.op)).c_str());
    e.type = Type::Long;
  }

  void visit(IncDecExpr &e) override {
    bool wasWriting = writing_;
    writing_ = false; // x++ reads x as well
    visitExpr(*e.operand);
    writing_ = wasWriting;
    if (mode == Mode::Resolve)
      noteWrite(*e.operand, e.increment ? "++" : "--");
    expect(*e.operand, Type::Long, e.increment ? "'++'" : "'--'");
    e.type = Type::Long;
  }

  void visit(BinaryExpr &e) override {
    visitExpr(*e.lhs);
    visitExpr(*e.rhs);
    std::string op = fmt::format("'{}'", spelling(e.op));
    switch (e.op) {
    case BinaryOp::Concat:
      expect(*e.lhs, Type::String, op.c_str());
      expect(*e.rhs, Type::String, op.c_str());
      e.type = Type::String;
      return;
    case BinaryOp::Eq: case BinaryOp::Ne: case BinaryOp::Lt:
    case BinaryOp::Le: case BinaryOp::Gt: case BinaryOp::Ge: {
      // Both sides of one type: longs or strings.
      Type t = e.lhs->type != Type::Unknown ? e.lhs->type : e.rhs->type;
      if (t == Type::Stats) {
        typeError(e.loc(), op + " cannot compare statistics: extract a value with @count, @sum, ...");
      } else {
        expect(*e.lhs, t, op.c_str());
        expect(*e.rhs, t, op.c_str());
      }
      e.type = Type::Long;
      return;
    }
    default:
      expect(*e.lhs, Type::Long, op.c_str());
      expect(*e.rhs, Type::Long, op.c_str());
      e.type = Type::Long;
    }
  }

  void visit(InExpr &e) override {
    if (mode == Mode::Resolve) {
      e.var = lookupArray(e.array, e.keys.size(), e.loc());
      if (e.var)
        e.var->read = true;
    }
    keys(e.keys, e.var);
    e.type = Type::Long;
  }

  void visit(TernaryExpr &e) override {
    visitExpr(*e.cond);
    expect(*e.cond, Type::Long, "a condition");
    visitExpr(*e.then);
    visitExpr(*e.otherwise);
    Type t = e.then->type != Type::Unknown ? e.then->type : e.otherwise->type;
    expect(*e.then, t, "'?:'");
    expect(*e.otherwise, t, "'?:'");
    e.type = t;
  }

  void visit(AssignExpr &e) override {
    bool compound = e.op != AssignOp::Assign && e.op != AssignOp::Aggregate;
    writing_ = !compound;
    visitExpr(*e.lhs);
    writing_ = false;
    visitExpr(*e.rhs);
    if (mode == Mode::Resolve) {
      noteWrite(*e.lhs, spelling(e.op));
      if (e.op == AssignOp::Aggregate)
        if (Variable *v = lvalueVar(*e.lhs); v && v->scope != Variable::Scope::Global)
          error(e.lhs->loc(), fmt::format("'<<<' needs a global: declare 'global {}'", v->name));
    }
    switch (e.op) {
    case AssignOp::Assign: {
      Type t = e.lhs->type != Type::Unknown ? e.lhs->type : e.rhs->type;
      if (t == Type::Stats) {
        typeError(e.loc(), "a statistic cannot be assigned: add values to it with '<<<'");
      } else {
        expect(*e.lhs, t, "'='", lvalueVar(*e.rhs));
        expect(*e.rhs, t, "'='", lvalueVar(*e.lhs));
      }
      e.type = t;
      return;
    }
    case AssignOp::Concat:
      expect(*e.lhs, Type::String, "'.='");
      expect(*e.rhs, Type::String, "'.='");
      e.type = Type::String;
      return;
    case AssignOp::Aggregate:
      expect(*e.lhs, Type::Stats, "'<<<'");
      expect(*e.rhs, Type::Long, "'<<<'");
      e.type = Type::Long;
      return;
    default:
      expect(*e.lhs, Type::Long, fmt::format("'{}'", spelling(e.op)).c_str());
      expect(*e.rhs, Type::Long, fmt::format("'{}'", spelling(e.op)).c_str());
      e.type = Type::Long;
    }
  }

  void visit(AtExpr &e) override {
    for (auto &arg : e.args)
      visitExpr(*arg);
    switch (e.op) {
    case AtOp::Defined:
      e.type = Type::Long;
      return;
    case AtOp::Entry:
      e.type = e.args[0]->type;
      return;
    default:
      break;
    }
    Expr &stat = *e.args[0];
    if (!isLvalue(stat))
      error(stat.loc(), fmt::format("{} needs a statistic: a global filled with '<<<'", spelling(e.op)));
    else
      expect(stat, Type::Stats, spelling(e.op));
    if (e.op == AtOp::HistLinear)
      for (size_t i = 1; i < e.args.size(); ++i)
        expect(*e.args[i], Type::Long, "@hist_linear");
    // A histogram is printed, never computed with: pass 3 prints it in place.
    e.type = e.op == AtOp::HistLog || e.op == AtOp::HistLinear ? Type::String : Type::Long;
  }

  // -------------------------------------------------------- statements

  void visit(BlockStmt &s) override {
    for (auto &st : s.statements)
      st->accept(*this);
  }
  void visit(NullStmt &) override {}
  void visit(ExprStmt &s) override { visitExpr(*s.expr); }
  void visit(IfStmt &s) override {
    visitExpr(*s.cond);
    expect(*s.cond, Type::Long, "a condition");
    s.then->accept(*this);
    if (s.otherwise)
      s.otherwise->accept(*this);
  }
  void visit(WhileStmt &s) override {
    visitExpr(*s.cond);
    expect(*s.cond, Type::Long, "a condition");
    loop(*s.body);
  }
  void visit(ForStmt &s) override {
    if (s.init)
      visitExpr(*s.init);
    if (s.cond) {
      visitExpr(*s.cond);
      expect(*s.cond, Type::Long, "a condition");
    }
    if (s.step)
      visitExpr(*s.step);
    loop(*s.body);
  }
  void visit(ForeachStmt &s) override {
    if (mode == Mode::Resolve) {
      s.arrayVar = lookupArray(s.array, s.keys.size(), s.arrayLoc);
      if (s.arrayVar)
        s.arrayVar->read = true;
      s.keyVars.clear();
      for (auto &k : s.keys) {
        Variable *v = lookup(k.name, k.loc);
        v->written = true;
        s.keyVars.push_back(v);
        if (v->scope == Variable::Scope::Global)
          error(k.loc, fmt::format("foreach key '{}' must be a local, not a global", k.name));
      }
      if (!s.valueVar.empty()) {
        s.valueVarRef = lookup(s.valueVar, s.valueLoc);
        s.valueVarRef->written = true;
      }
    }
    if (s.arrayVar) {
      for (size_t i = 0; i < s.keyVars.size() && i < s.arrayVar->keyTypes.size(); ++i) {
        Type &slot = s.arrayVar->keyTypes[i];
        if (slot == Type::Unknown && s.keyVars[i]->type != Type::Unknown) {
          slot = s.keyVars[i]->type;
          changed = true;
        } else {
          setVarType(*s.keyVars[i], slot, s.keys[i].loc);
        }
      }
      if (s.valueVarRef) {
        if (s.arrayVar->type == Type::Stats)
          typeError(s.valueLoc, "the value of a statistics array is no value: use @count(a[k]) and the like");
        else
          setVarType(*s.valueVarRef, s.arrayVar->type, s.valueLoc);
      }
    }
    if (s.limit) {
      visitExpr(*s.limit);
      expect(*s.limit, Type::Long, "'limit'");
    }
    if (s.arrayVar)
      iterating_.push_back(s.arrayVar);
    loop(*s.body);
    if (s.arrayVar)
      iterating_.pop_back();
  }
  void visit(BreakStmt &s) override {
    if (mode == Mode::Resolve && loops_ == 0)
      error(s.loc(), "'break' outside a loop");
  }
  void visit(ContinueStmt &s) override {
    if (mode == Mode::Resolve && loops_ == 0)
      error(s.loc(), "'continue' outside a loop");
  }
  void visit(NextStmt &s) override {
    if (mode == Mode::Resolve && function_)
      error(s.loc(), "'next' outside a probe: it ends a probe handler, not a function");
  }
  void visit(ReturnStmt &s) override {
    if (!function_) {
      if (mode == Mode::Resolve)
        error(s.loc(), "'return' outside a function: use 'next' to leave a probe");
      if (s.value)
        visitExpr(*s.value);
      return;
    }
    if (!s.value) {
      if (function_->returnType != Type::Unknown)
        typeError(s.loc(), fmt::format("'{}' returns a {}: 'return' needs a value", function_->name,
                                   typeName(function_->returnType)));
      return;
    }
    visitExpr(*s.value);
    if (s.value->type == Type::Stats) {
      typeError(s.value->loc(), "a function cannot return a statistic");
      return;
    }
    if (function_->returnType == Type::Unknown)
      setType(function_->returnType, function_->returnTypeLoc, s.value->type, s.value->loc(),
              fmt::format("the result of '{}'", function_->name));
    else
      expect(*s.value, function_->returnType, fmt::format("the result of '{}'", function_->name).c_str(),
             nullptr, "is");
  }
  void visit(DeleteStmt &s) override {
    // "delete a" empties a whole array: a name that is no scalar use.
    auto *whole = dynamic_cast<SymbolRef *>(s.target.get());
    if (whole && globals_.count(whole->name) && !isLocal(whole->name)) {
      if (mode == Mode::Resolve) {
        whole->var = globals_[whole->name];
        whole->var->written = true;
      }
      return;
    }
    writing_ = true;
    visitExpr(*s.target);
    writing_ = false;
    if (mode == Mode::Resolve) {
      if (!isLvalue(*s.target))
        error(s.target->loc(), "'delete' takes a variable, an array or an array element");
      else
        noteWrite(*s.target, "delete");
    }
  }
  void visit(TryStmt &s) override {
    s.body->accept(*this);
    if (!s.catchVar.empty()) {
      if (mode == Mode::Resolve) {
        s.catchVarRef = lookup(s.catchVar, s.catchVarLoc);
        s.catchVarRef->written = true;
      }
      setVarType(*s.catchVarRef, Type::String, s.catchVarLoc);
    }
    s.handler->accept(*this);
  }

private:
  void loop(Stmt &body) {
    ++loops_;
    body.accept(*this);
    --loops_;
  }

  void resolveCall(CallExpr &e) {
    if (auto it = functions_.find(e.function); it != functions_.end()) {
      e.callee = it->second;
      if (e.args.size() != e.callee->params.size())
        error(e.loc(), fmt::format("'{}' takes {} argument{}, but {} {} given", e.function,
                                   e.callee->params.size(), e.callee->params.size() == 1 ? "" : "s",
                                   e.args.size(), e.args.size() == 1 ? "is" : "are"));
      return;
    }
    if ((e.builtin = findBuiltin(e.function))) {
      size_t fixed = e.builtin->params.size();
      bool variadic = e.builtin->kind != Builtin::Kind::Plain;
      if (e.args.size() < fixed || (!variadic && e.args.size() != fixed))
        error(e.loc(), fmt::format("'{}' takes {}{} argument{}, but {} {} given", e.function,
                                   variadic ? "at least " : "", fixed, fixed == 1 ? "" : "s", e.args.size(),
                                   e.args.size() == 1 ? "is" : "are"));
      return;
    }
    std::vector<std::string> names;
    for (auto &[name, f] : functions_)
      names.push_back(name);
    for (const Builtin &b : builtins())
      names.push_back(b.name);
    std::string similar = similarNames(e.function, names);
    error(e.loc(), fmt::format("unresolved function '{}'{}", e.function,
                               similar.empty() ? "" : " (similar: " + similar + ")"));
  }

  void checkBuiltinArgs(CallExpr &e) {
    const Builtin &b = *e.builtin;
    for (size_t i = 0; i < b.params.size() && i < e.args.size(); ++i)
      expect(*e.args[i], b.params[i], fmt::format("argument {} of '{}'", i + 1, b.name).c_str());
    size_t first = b.params.size();
    if (b.kind == Builtin::Kind::Format) {
      checkFormat(e);
      return;
    }
    for (size_t i = first; i < e.args.size(); ++i) {
      Expr &arg = *e.args[i];
      auto *at = dynamic_cast<AtExpr *>(&arg);
      bool histogram = at && (at->op == AtOp::HistLog || at->op == AtOp::HistLinear);
      if (histogram && !(b.kind == Builtin::Kind::Print && (b.name == std::string("print") ||
                                                            b.name == std::string("println"))))
        error(arg.loc(), fmt::format("{} can only be printed with print or println", spelling(at->op)));
      if (arg.type == Type::Stats)
        typeError(arg.loc(), fmt::format("'{}' cannot print a statistic: extract a value with @count, @sum, ...",
                                     b.name));
    }
    if (b.kind == Builtin::Kind::Delimited && !e.args.empty() && !dynamic_cast<StringLiteral *>(e.args[0].get()))
      error(e.args[0]->loc(), fmt::format("the delimiter of '{}' must be a literal string", b.name));
  }

  void checkFormat(CallExpr &e) {
    if (e.args.empty())
      return;
    auto *literal = dynamic_cast<StringLiteral *>(e.args[0].get());
    if (!literal) {
      error(e.args[0]->loc(), fmt::format("the format of '{}' must be a literal string", e.function));
      return;
    }
    std::vector<FormatDirective> directives;
    std::string problem;
    size_t offset = 0;
    if (!parseFormat(literal->value, directives, problem, offset)) {
      error(e.args[0]->loc(), problem);
      return;
    }
    size_t next = 1;
    auto take = [&](Type t, const std::string &what) {
      if (next >= e.args.size()) {
        error(e.loc(), fmt::format("the format asks for more arguments than the {} given ({} asks for one)",
                                   e.args.size() - 1, what));
        return false;
      }
      expect(*e.args[next], t, what.c_str());
      ++next;
      return true;
    };
    for (const auto &d : directives) {
      if (!d.conversion)
        continue;
      std::string what = fmt::format("'%{}' in the format", d.conversion);
      if (d.width == -2 && !take(Type::Long, "'*' in the format"))
        return;
      if (d.precision == -2 && !take(Type::Long, "'*' in the format"))
        return;
      if (!take(conversionType(d.conversion), what))
        return;
    }
    if (next < e.args.size())
      error(e.args[next]->loc(), fmt::format("too many arguments for the format: it uses {}, but {} are given",
                                             next - 1, e.args.size() - 1));
  }

  const SourceFile *file_;
  Diagnostics &diags_;
  std::map<std::string, Variable *> &globals_;
  std::map<std::string, FunctionDecl *> &functions_;
  const ElaborateOptions &options_;
  std::vector<std::unique_ptr<Variable>> *locals_ = nullptr;
  FunctionDecl *function_ = nullptr;
  std::vector<Variable *> iterating_;
  std::map<Variable *, SourceLoc> arityLoc_;
  int loops_ = 0;
  bool writing_ = false;
};

} // namespace

namespace {

// Probe point families that need no kernel data, and those that do.
const char *const knownProbePoints[] = {
    "begin", "end", "error", "never", "timer.s", "timer.ms", "timer.us", "timer.ns", "timer.hz",
    "timer.jiffies", "timer.profile", "kernel.function", "module.function", "kprobe.function",
    "kernel.trace",
};

class ProbeResolver {
public:
  ProbeResolver(const SourceFile *file, Diagnostics &diags, const ElaborateOptions &options)
      : file_(file), diags_(diags), options_(options) {}

  void resolve(const ProbePoint &pp, std::vector<ResolvedProbe> &out) {
    const auto &c = pp.components;
    std::string family;
    for (size_t i = 0; i < c.size(); ++i)
      family += (i ? "." : "") + c[i].name;
    std::string written = printProbePoint(pp);
    auto add = [&](std::string point, ProbeKind kind) {
      ResolvedProbe r;
      r.point = std::move(point);
      r.origin = written;
      r.kind = kind;
      r.source = &pp;
      out.push_back(std::move(r));
      return &out.back();
    };
    auto noParam = [&](size_t i) {
      if (c[i].number || c[i].string)
        error(c[i].loc, fmt::format("'{}' takes no parameter", c[i].name));
    };
    auto numberParam = [&](size_t i, bool positive) {
      if (c[i].string || !c[i].number)
        error(c[i].loc, fmt::format("'{}' needs a number in parentheses", c[i].name));
      else if (positive && *c[i].number <= 0)
        error(c[i].loc, fmt::format("'{}' needs a number above 0", c[i].name));
    };
    auto stringParam = [&](size_t i) {
      if (!c[i].string)
        error(c[i].loc, fmt::format("'{}' needs a string in parentheses", c[i].name));
      return c[i].string.value_or("");
    };
    const std::string &head = c[0].name;

    if (c.size() == 1 && (head == "begin" || head == "end" || head == "error")) {
      if (c[0].string)
        error(c[0].loc, fmt::format("the priority of '{}' must be a number", head));
      ResolvedProbe *r = add(written, head == "begin" ? ProbeKind::Begin
                                      : head == "end" ? ProbeKind::End
                                                      : ProbeKind::Error);
      r->priority = c[0].number.value_or(0);
      return;
    }
    if (c.size() == 1 && head == "never") {
      noParam(0);
      add(written, ProbeKind::Never);
      return;
    }
    if (head == "timer" && c.size() >= 2) {
      noParam(0);
      const std::string &unit = c[1].name;
      if (unit == "profile" && c.size() == 2) {
        noParam(1);
        add(written, ProbeKind::Profile);
        return;
      }
      if (unit == "s" || unit == "ms" || unit == "us" || unit == "ns" || unit == "hz" || unit == "jiffies") {
        numberParam(1, true);
        bool randomize = c.size() == 3 && c[2].name == "randomize" && unit != "hz";
        if (randomize) {
          numberParam(2, true);
        } else if (c.size() != 2) {
          error(c[2].loc, fmt::format("unknown probe point '{}': a timer may end only in .randomize(N)", written));
          return;
        }
        if (!timerPeriodFits(c[1], unit) || (randomize && !timerPeriodFits(c[2], unit)))
          return;
        ResolvedProbe *r = add(written, ProbeKind::Timer);
        r->timerUnit = unit;
        r->timerCount = static_cast<uint64_t>(c[1].number.value_or(1));
        r->timerRandomize = randomize ? static_cast<uint64_t>(c[2].number.value_or(0)) : 0;
        return;
      }
    }
    std::string module, what, pattern;
    size_t suffixAt = 0;
    if (head == "kernel" && c.size() >= 2 && (c[1].name == "function" || c[1].name == "trace")) {
      noParam(0);
      what = c[1].name;
      pattern = stringParam(1);
      suffixAt = 2;
    } else if (head == "module" && c.size() >= 2 && c[1].name == "function") {
      module = stringParam(0);
      what = "function";
      pattern = stringParam(1);
      suffixAt = 2;
    } else if (head == "kprobe" && c.size() >= 2 && c[1].name == "function") {
      noParam(0);
      what = "function";
      pattern = stringParam(1);
      suffixAt = 2;
    } else if (head == "process") {
      resolveProcess(pp, written, out);
      return;
    } else {
      std::vector<std::string> names(std::begin(knownProbePoints), std::end(knownProbePoints));
      std::string similar = similarNames(family, names);
      error(c[0].loc, fmt::format("unknown probe point '{}'{}", written,
                                  similar.empty() ? "" : " (similar: " + similar + ")"));
      return;
    }
    std::string suffix;
    if (suffixAt < c.size()) {
      const auto &s = c[suffixAt];
      bool allowed = what == "function" && (s.name == "return" || (s.name == "call" && head != "kprobe"));
      if (!allowed || suffixAt + 1 != c.size()) {
        error(s.loc, fmt::format("unknown probe point '{}': '{}' cannot follow {}.{}", written, s.name, head, what));
        return;
      }
      noParam(suffixAt);
      suffix = "." + s.name;
    }
    if (!options_.kernel) {
      error(c[0].loc, fmt::format("cannot expand '{}': no target kernel was given", written));
      return;
    }
    std::vector<KernelMatch> matches;
    std::string problem;
    if (!options_.kernel->match(what, module, pattern, matches, problem)) {
      // The first line says what failed; the others why, as notes.
      size_t lineEnd = problem.find('\n');
      error(c[0].loc, problem.substr(0, lineEnd));
      while (lineEnd != std::string::npos) {
        size_t next = problem.find('\n', lineEnd + 1);
        std::string detail = problem.substr(lineEnd + 1, next == std::string::npos ? next : next - lineEnd - 1);
        size_t start = detail.find_first_not_of(' ');
        if (start != std::string::npos)
          diags_.note(nullptr, {}, detail.substr(start));
        lineEnd = next;
      }
      return;
    }
    if (matches.empty()) {
      if (!pp.optional)
        error(c[0].loc, fmt::format("no match for probe point '{}'{}", written,
                                    problem.empty() ? "" : " (" + problem + ")"));
      return;
    }
    for (auto &m : matches) {
      std::string prefix = m.module.empty() ? head + "." : fmt::format("module(\"{}\").", m.module);
      // A tracepoint shows its group when known, as stap lists it; the
      // kernel registers it by its bare name (KernelMatch::function).
      std::string name = m.group.empty() ? m.function : m.group + ":" + m.function;
      ResolvedProbe r;
      r.point = fmt::format("{}{}(\"{}\"){}", prefix, what, name, suffix);
      r.origin = written;
      r.isReturn = suffix == ".return";
      r.kernel = std::move(m);
      r.kind = what == "trace" ? ProbeKind::Tracepoint : r.isReturn ? ProbeKind::Kretprobe : ProbeKind::Kprobe;
      r.source = &pp;
      if (what == "trace" && options_.kernel->prototype)
        if (auto proto = options_.kernel->prototype(*r.kernel); proto && proto->paramTypes.size() == proto->params.size()) {
          bool oneSlotEach = std::all_of(proto->paramTypes.begin(), proto->paramTypes.end(), [](const KernelType &t) {
            return (t.kind == KernelType::Kind::Integer || t.kind == KernelType::Kind::Enum ||
                    t.kind == KernelType::Kind::Pointer) &&
                   t.size >= 1 && t.size <= 8;
          });
          if (oneSlotEach)
            r.traceArguments = static_cast<int>(proto->params.size());
        }
      out.push_back(std::move(r));
    }
  }

private:
  // A timer's count (or randomisation) in `unit`: at least 100 us, so a
  // probe cannot swamp a CPU, and at most what 64 bits of nanoseconds hold
  // (a jiffy counted as 10 ms, the longest of HZ=100).
  bool timerPeriodFits(const ProbePoint::Component &c, const std::string &unit) {
    if (!c.number || *c.number <= 0)
      return false; // reported as a missing or non-positive number
    double n = static_cast<double>(*c.number);
    double ns = unit == "s" ? n * 1e9 : unit == "ms" ? n * 1e6 : unit == "us" ? n * 1e3
                : unit == "ns" ? n : unit == "jiffies" ? n * 1e6 : 1e9 / n;
    double longest = unit == "jiffies" ? n * 1e7 : ns;
    if (c.name == "randomize")
      return longest < 9.2e18 ? true : (error(c.loc, "the randomisation of a timer must be under 292 years"), false);
    if (ns < 100000) {
      error(c.loc, "a timer period under 100 microseconds would swamp the CPU: mstap refuses it");
      return false;
    }
    if (longest >= 9.2e18) {
      error(c.loc, "a timer period must be under 292 years (2^63 nanoseconds)");
      return false;
    }
    return true;
  }

  // process("PATH").function("PATTERN")[.call|.return], against the
  // program's DWARF.
  void resolveProcess(const ProbePoint &pp, const std::string &written, std::vector<ResolvedProbe> &out) {
    const auto &c = pp.components;
    if (!c[0].string) {
      error(c[0].loc, fmt::format("cannot expand '{}': mstap probes a program named by its path, as in "
                                  "process(\"/usr/bin/prog\").function(\"name\")",
                                  written));
      return;
    }
    bool known = c.size() >= 2 && c[1].name == "function" &&
                 (c.size() == 2 || (c.size() == 3 && (c[2].name == "call" || c[2].name == "return")));
    if (!known) {
      SourceLoc at = c.size() >= 2 ? c[1].loc : c[0].loc;
      error(at, fmt::format("unknown probe point '{}': mstap supports process(\"PATH\").function(\"NAME\"), "
                            "with .call or .return",
                            written));
      return;
    }
    if (!c[1].string) {
      error(c[1].loc, "'function' needs a string in parentheses");
      return;
    }
    if (c.size() == 3 && (c[2].number || c[2].string)) {
      error(c[2].loc, fmt::format("'{}' takes no parameter", c[2].name));
      return;
    }
    std::string suffix = c.size() == 3 ? "." + c[2].name : "";
    if (!options_.user) {
      error(c[0].loc, fmt::format("cannot expand '{}': user-space probes are not available here", written));
      return;
    }
    std::vector<UserMatch> matches;
    std::string problem;
    if (!options_.user->match(*c[0].string, *c[1].string, matches, problem)) {
      error(c[0].loc, problem);
      return;
    }
    if (matches.empty()) {
      if (!pp.optional)
        error(c[1].loc, fmt::format("no match for probe point '{}'{}", written,
                                    problem.empty() ? "" : " (" + problem + ")"));
      return;
    }
    for (auto &m : matches) {
      std::string at = m.file.empty() ? "" : fmt::format("@{}:{}", m.file, m.line);
      ResolvedProbe r;
      r.point = fmt::format("process(\"{}\").function(\"{}{}\"){}", m.binary, m.function, at, suffix);
      r.origin = written;
      r.isReturn = suffix == ".return";
      r.user = std::move(m);
      r.kind = r.isReturn ? ProbeKind::Uretprobe : ProbeKind::Uprobe;
      r.source = &pp;
      out.push_back(std::move(r));
    }
  }

  void error(SourceLoc at, std::string message) { diags_.error(file_, at, std::move(message)); }
  const SourceFile *file_;
  Diagnostics &diags_;
  const ElaborateOptions &options_;
};

} // namespace

namespace {

// Resolves the target variables of each probe against the kernel functions
// its points expanded to, from their BTF prototypes.
class TargetResolver {
public:
  TargetResolver(const SourceFile *file, Diagnostics &diags, const ElaborateOptions &options,
                 std::map<const TargetExpr *, TargetAccess> &out)
      : file_(file), diags_(diags), options_(options), out_(out) {}

  void probe(ProbeDecl &probe, const std::vector<ResolvedProbe> &points) {
    points_ = &points;
    guards_.clear();
    for (auto &pp : probe.points)
      if (pp.condition)
        expr(*pp.condition);
    stmt(*probe.body);
  }

private:
  // ------------------------------------------------------------- walk
  // Names whose @defined() guards the code being walked.
  std::vector<std::string> guards_;

  static void definedNames(const Expr &e, std::vector<std::string> &names) {
    if (auto *at = dynamic_cast<const AtExpr *>(&e); at && at->op == AtOp::Defined) {
      if (!at->args.empty())
        if (auto *t = dynamic_cast<const TargetExpr *>(at->args[0].get()))
          names.push_back(t->name);
      return;
    }
    if (auto *u = dynamic_cast<const UnaryExpr *>(&e))
      definedNames(*u->operand, names);
    else if (auto *b = dynamic_cast<const BinaryExpr *>(&e)) {
      definedNames(*b->lhs, names);
      definedNames(*b->rhs, names);
    } else if (auto *t = dynamic_cast<const TernaryExpr *>(&e))
      definedNames(*t->cond, names);
  }

  template <typename F> void guarded(const Expr &cond, F &&walk) {
    size_t before = guards_.size();
    definedNames(cond, guards_);
    walk();
    guards_.resize(before);
  }

  void exprs(ExprList &list) {
    for (auto &e : list)
      if (e)
        expr(*e);
  }

  void expr(Expr &e) {
    if (auto *t = dynamic_cast<TargetExpr *>(&e)) {
      for (auto &c : t->components)
        if (c.index)
          expr(*c.index);
      resolve(*t);
    } else if (auto *at = dynamic_cast<AtExpr *>(&e)) {
      if (at->op == AtOp::Defined)
        return; // folded to 0 or 1 after pass 2
      exprs(at->args);
    } else if (auto *c = dynamic_cast<CallExpr *>(&e)) {
      exprs(c->args);
    } else if (auto *i = dynamic_cast<IndexExpr *>(&e)) {
      exprs(i->keys);
    } else if (auto *in = dynamic_cast<InExpr *>(&e)) {
      exprs(in->keys);
    } else if (auto *u = dynamic_cast<UnaryExpr *>(&e)) {
      expr(*u->operand);
    } else if (auto *id = dynamic_cast<IncDecExpr *>(&e)) {
      expr(*id->operand);
    } else if (auto *b = dynamic_cast<BinaryExpr *>(&e)) {
      expr(*b->lhs);
      if (b->op == BinaryOp::LogAnd)
        guarded(*b->lhs, [&] { expr(*b->rhs); });
      else
        expr(*b->rhs);
    } else if (auto *t = dynamic_cast<TernaryExpr *>(&e)) {
      expr(*t->cond);
      guarded(*t->cond, [&] {
        expr(*t->then);
        expr(*t->otherwise);
      });
    } else if (auto *a = dynamic_cast<AssignExpr *>(&e)) {
      expr(*a->lhs);
      expr(*a->rhs);
    }
  }

  void stmt(Stmt &s) {
    if (auto *b = dynamic_cast<BlockStmt *>(&s)) {
      for (auto &x : b->statements)
        stmt(*x);
    } else if (auto *e = dynamic_cast<ExprStmt *>(&s)) {
      expr(*e->expr);
    } else if (auto *i = dynamic_cast<IfStmt *>(&s)) {
      expr(*i->cond);
      guarded(*i->cond, [&] {
        stmt(*i->then);
        if (i->otherwise)
          stmt(*i->otherwise);
      });
    } else if (auto *w = dynamic_cast<WhileStmt *>(&s)) {
      expr(*w->cond);
      stmt(*w->body);
    } else if (auto *f = dynamic_cast<ForStmt *>(&s)) {
      if (f->init)
        expr(*f->init);
      if (f->cond)
        expr(*f->cond);
      if (f->step)
        expr(*f->step);
      stmt(*f->body);
    } else if (auto *fe = dynamic_cast<ForeachStmt *>(&s)) {
      if (fe->limit)
        expr(*fe->limit);
      stmt(*fe->body);
    } else if (auto *r = dynamic_cast<ReturnStmt *>(&s)) {
      if (r->value)
        expr(*r->value);
    } else if (auto *d = dynamic_cast<DeleteStmt *>(&s)) {
      expr(*d->target);
    } else if (auto *t = dynamic_cast<TryStmt *>(&s)) {
      stmt(*t->body);
      stmt(*t->handler);
    }
  }

  // ---------------------------------------------------------- resolve

  static bool scalar(const KernelType &t) {
    return (t.kind == KernelType::Kind::Integer || t.kind == KernelType::Kind::Enum ||
            t.kind == KernelType::Kind::Pointer) &&
           t.size >= 1 && t.size <= 8;
  }

  static std::string describeAccess(const TargetAccess &a) {
    std::string text = fmt::format("{}:{}:{}:{}:{}", static_cast<int>(a.base), a.argument, a.size, a.isSigned,
                                   a.userMemory);
    for (const auto &s : a.steps)
      text += fmt::format("|{}:{}:{}:{}:{}:{}:{}:{}", s.offset, s.size, s.isSigned, s.bitOffset, s.bitSize,
                          s.indexComponent, s.stride, s.bound);
    for (const auto &p : a.parms)
      text += fmt::format("|{}={}:{}:{}", p.name, p.argument, p.size, p.isSigned);
    return text;
  }

  // The calling-convention slot of parameter `index`, when every parameter
  // up to it takes exactly one register or stack slot.
  // A function returning a struct or union of more than 16 bytes takes a
  // hidden pointer to the result in the first register (x86-64 System V):
  // the parameters start one slot later.
  static std::optional<int> slotOf(const KernelPrototype &proto, size_t index) {
    for (size_t i = 0; i <= index; ++i)
      if (i >= proto.paramTypes.size() || !scalar(proto.paramTypes[i]))
        return std::nullopt;
    const auto &ret = proto.returnInfo;
    bool hiddenPointer = ret && (ret->kind == KernelType::Kind::Struct || ret->kind == KernelType::Kind::Union) &&
                         ret->size > 16;
    return static_cast<int>(index) + (hiddenPointer ? 1 : 0);
  }

  // One point: fills `access` or returns the error.
  std::string resolveAt(const TargetExpr &e, const ResolvedProbe &point, TargetAccess &access) {
    const std::string &name = e.name;
    if (point.user)
      return resolveUserAt(e, point, access);
    if (!point.kernel)
      return fmt::format("target variable '{}' is not available in probe point '{}': only kernel function "
                         "and tracepoint probes have them",
                         name, point.point);
    const std::string &function = point.kernel->function;
    bool trace = point.point.rfind("kernel.trace(", 0) == 0;
    std::optional<KernelPrototype> proto;
    if (options_.kernel && options_.kernel->prototype)
      proto = options_.kernel->prototype(*point.kernel);
    if (!proto)
      return fmt::format("cannot read '{}' in '{}': the kernel's BTF has no prototype for '{}' (mstap reads "
                         "target variables from BTF, not from debuginfo)",
                         name, point.point, function);
    if (trace && point.traceArguments < 0)
      return fmt::format("cannot read '{}' in '{}': the tracepoint passes an argument that is not one integer "
                         "or pointer, which mstap cannot receive yet",
                         name, point.point);
    if (trace && name == "$return")
      return fmt::format("'$return' does not exist in '{}': tracepoints return nothing", point.point);
    pointeeOf_ = options_.kernel ? &options_.kernel->pointee : nullptr;
    membersOf_ = options_.kernel ? &options_.kernel->members : nullptr;
    return fromPrototype(e, point, function, *proto, access);
  }

  // A process probe: the function's DWARF prototype. The uprobe sits at the
  // function's first instruction, with no prologue skipped (stap skips it
  // to read DWARF locations): mstap reads arguments from the calling
  // convention's registers, which hold them only there; after the prologue
  // -O0 code has spilled them and reused the registers. Member reads go to
  // the program's memory.
  std::string resolveUserAt(const TargetExpr &e, const ResolvedProbe &point, TargetAccess &access) {
    const std::string &function = point.user->function;
    std::optional<KernelPrototype> proto;
    if (options_.user && options_.user->prototype)
      proto = options_.user->prototype(*point.user);
    if (!proto)
      return fmt::format("cannot read '{}' in '{}': the DWARF of '{}' does not describe '{}'", e.name,
                         point.point, point.user->binary, function);
    pointeeOf_ = &options_.user->pointee;
    membersOf_ = &options_.user->members;
    access.userMemory = true;
    return fromPrototype(e, point, function, *proto, access);
  }

  std::string fromPrototype(const TargetExpr &e, const ResolvedProbe &point, const std::string &function,
                            const KernelPrototype &prototype, TargetAccess &access) {
    const std::string &name = e.name;
    const KernelPrototype *proto = &prototype;
    bool trace = point.point.rfind("kernel.trace(", 0) == 0;
    if (proto->paramTypes.size() != proto->params.size())
      return fmt::format("cannot read '{}' in '{}': the types of the parameters of '{}' are unknown", name,
                         point.point, function);
    auto paramList = [&] {
      std::string list;
      for (const auto &[n, t] : proto->params)
        list += (list.empty() ? "" : ", ") + ("$" + n) + ":" + t;
      return list.empty() ? std::string("none") : list;
    };
    if (name.rfind("$$", 0) == 0) {
      std::string what = name.substr(2);
      if (what != "parms" && what != "vars")
        return fmt::format("'{}' is not supported: mstap knows $$parms and $$vars (the parameters; without "
                           "debuginfo there are no locals)",
                           name);
      if (!e.components.empty())
        return fmt::format("'{}' takes no members or indexes", name);
      access.base = TargetAccess::Base::Parms;
      for (size_t i = 0; i < proto->params.size(); ++i) {
        auto slot = slotOf(*proto, i);
        if (!slot)
          return fmt::format("cannot print '{}' for '{}': its parameter '{}' ({}) is not passed as one "
                             "integer or pointer, which mstap cannot locate yet",
                             name, function, proto->params[i].first, proto->params[i].second);
        const KernelType &t = proto->paramTypes[i];
        access.parms.push_back({proto->params[i].first, *slot, t.size, t.isSigned});
      }
      return {};
    }
    std::string plain = name.substr(1);
    KernelType type;
    if (plain == "return") {
      if (!point.isReturn)
        return fmt::format("'$return' is only available in .return probes, not in '{}'", point.point);
      if (!proto->returnInfo || proto->returnInfo->kind == KernelType::Kind::Void)
        return fmt::format("'$return' does not exist in '{}': '{}' returns void", point.point, function);
      if (!scalar(*proto->returnInfo))
        return fmt::format("'$return' of '{}' is a {}, which mstap cannot read yet", function,
                           proto->returnInfo->spelling);
      type = *proto->returnInfo;
      access.base = TargetAccess::Base::Return;
    } else {
      size_t index = proto->params.size();
      for (size_t i = 0; i < proto->params.size(); ++i)
        if (proto->params[i].first == plain)
          index = i;
      if (index == proto->params.size()) {
        std::vector<std::string> names;
        for (const auto &[n, t] : proto->params)
          names.push_back(n);
        std::string similar = similarNames(plain, names);
        return fmt::format("'{}' is not {} of '{}'{} (its {}: {})", name, trace ? "an argument" : "a parameter",
                           function, similar.empty() ? "" : " (similar: $" + similar + ")",
                           trace ? "arguments" : "parameters", paramList());
      }
      auto slot = slotOf(*proto, index);
      if (!slot)
        return fmt::format("cannot read '{}' of '{}': it or an earlier parameter is not passed as one integer "
                           "or pointer ({}), which mstap cannot locate yet",
                           name, function, paramList());
      type = proto->paramTypes[index];
      access.base = TargetAccess::Base::Argument;
      access.argument = *slot;
    }
    access.size = type.size;
    access.isSigned = type.isSigned && type.kind != KernelType::Kind::Pointer;
    return members(e, function, type, access);
  }

  // The value of an index that pass 2 can see: a literal, maybe negated.
  static std::optional<int64_t> constantIndex(const Expr &index) {
    if (auto *i = dynamic_cast<const IntLiteral *>(&index))
      return i->value;
    if (auto *u = dynamic_cast<const UnaryExpr *>(&index); u && u->op == UnaryOp::Negate)
      if (auto *i = dynamic_cast<const IntLiteral *>(u->operand.get()))
        return static_cast<int64_t>(0 - static_cast<uint64_t>(i->value));
    return std::nullopt;
  }

  // Component `k`, an index, applied to a value of type `type` (in hand, or
  // in memory at `pending` past the last address): a pointer is read (when
  // in memory) and then indexed like C's p[i]; an array in memory moves the
  // address by i elements. Afterwards the element is in memory.
  std::string element(const TargetExpr::Component &c, int k, std::string &path, KernelType &type, bool &inMemory,
                      uint64_t &pending, TargetAccess &access) {
    std::string written = path + "[" + printExpr(*c.index) + "]";
    uint64_t bound = 0;
    std::optional<KernelType> item = pointeeOf_ && *pointeeOf_ ? (*pointeeOf_)(type) : std::nullopt;
    if (type.kind == KernelType::Kind::Pointer) {
      if (inMemory)
        access.steps.push_back({pending, 8, false, 0, 0});
      pending = 0;
    } else if (inMemory && type.kind == KernelType::Kind::Array) {
      bound = type.elements;
    } else {
      return fmt::format("'{}' is a {}, not a pointer or an array: it cannot be indexed (in '{}')", path,
                         type.spelling, written);
    }
    if (!item)
      return fmt::format("cannot index '{}' (a {}): its element type is unknown", path, type.spelling);
    if (item->size == 0 || item->kind == KernelType::Kind::Void || item->kind == KernelType::Kind::Function)
      return fmt::format("cannot index '{}' (a {}): its elements have no size", path, type.spelling);
    if (auto constant = constantIndex(*c.index)) {
      if (bound && (*constant < 0 || static_cast<uint64_t>(*constant) >= bound))
        return fmt::format("index {} is out of bounds for '{}' ({}, {} elements) in '{}'", *constant, path,
                           type.spelling, bound, written);
      pending += static_cast<uint64_t>(*constant) * item->size; // a negative pointer index wraps, as in C
    } else {
      TargetAccess::Step step;
      step.offset = pending;
      step.indexComponent = k;
      step.stride = item->size;
      step.bound = bound;
      access.steps.push_back(step);
      pending = 0;
    }
    path = written;
    type = *item;
    inMemory = true;
    return {};
  }

  // Follows e's member components from a value of type `type`: '->' through
  // a pointer (or, as stap allows, into an embedded struct), '.' into an
  // embedded struct only.
  std::string members(const TargetExpr &e, const std::string &function, KernelType type, TargetAccess &access) {
    (void)function;
    // `type` is a value in hand (a pointer, an integer) until a member of an
    // embedded struct is named: then `inMemory` holds, and `pending` is
    // the offset from the last address read.
    bool inMemory = false;
    uint64_t pending = 0;
    std::string path = e.name;
    for (size_t k = 0; k < e.components.size(); ++k) {
      const auto &c = e.components[k];
      if (c.index) {
        std::string error = element(c, static_cast<int>(k), path, type, inMemory, pending, access);
        if (!error.empty())
          return error;
        continue;
      }
      const char *op = c.dot ? "." : "->";
      KernelType container = type;
      bool aggregate = type.kind == KernelType::Kind::Struct || type.kind == KernelType::Kind::Union;
      if (c.dot && type.kind == KernelType::Kind::Pointer)
        return fmt::format("'{}' is a pointer ({}): follow it with '->{}', not '.{}'", path, type.spelling,
                           c.member, c.member);
      if (c.dot && !(inMemory && aggregate))
        return fmt::format("'{}' is a {}, not a struct or union: it has no member '{}' (to concatenate "
                           "strings, put spaces around '.')",
                           path, type.spelling, c.member);
      if (!inMemory && type.kind != KernelType::Kind::Pointer)
        return fmt::format("'{}' is a {}, not a pointer to a struct: it has no member '{}'", path,
                           type.spelling, c.member);
      if (type.kind == KernelType::Kind::Pointer) {
        // A pointer in memory (a member) is read first, then followed.
        if (inMemory)
          access.steps.push_back({pending, 8, false, 0, 0});
        std::optional<KernelType> pointee =
            pointeeOf_ && *pointeeOf_ ? (*pointeeOf_)(type) : std::nullopt;
        if (!pointee)
          return fmt::format("cannot follow '{}' (a {}): its pointee is unknown", path, type.spelling);
        container = *pointee;
        pending = 0;
      }
      if (container.kind != KernelType::Kind::Struct && container.kind != KernelType::Kind::Union)
        return fmt::format("'{}' {} a {}, not a struct or union: it has no member '{}'", path,
                           type.kind == KernelType::Kind::Pointer ? "points to" : "is", container.spelling,
                           c.member);
      std::vector<KernelMember> list =
          membersOf_ && *membersOf_ ? (*membersOf_)(container) : std::vector<KernelMember>{};
      const KernelMember *found = nullptr;
      for (const auto &m : list)
        if (m.name == c.member) {
          found = &m;
          break;
        }
      if (!found) {
        std::vector<std::string> names;
        for (const auto &m : list)
          names.push_back(m.name);
        std::string similar = similarNames(c.member, names);
        if (list.empty())
          return fmt::format("'{}' is a {} whose members the kernel's BTF does not describe: no member '{}'",
                             path, container.spelling, c.member);
        return fmt::format("{} has no member '{}' (in '{}{}{}'){}", container.spelling, c.member, path, op,
                           c.member, similar.empty() ? "" : " (similar: " + similar + ")");
      }
      path += op + c.member;
      if (found->bitSize) {
        if (&c != &e.components.back())
          return fmt::format("'{}' is a bitfield: it has no members", path);
        uint64_t firstByte = found->bitOffset / 8;
        uint32_t shift = static_cast<uint32_t>(found->bitOffset % 8);
        uint32_t bytes = (shift + found->bitSize + 7) / 8;
        if (bytes > 8)
          return fmt::format("'{}' is a bitfield too wide to read", path);
        access.steps.push_back({pending + firstByte, bytes, false, shift, found->bitSize});
        access.steps.back().isSigned = found->type.isSigned;
        return {};
      }
      if (found->bitOffset % 8)
        return fmt::format("'{}' is not at a whole byte", path);
      pending += found->bitOffset / 8;
      type = found->type;
      inMemory = true;
    }
    if (!inMemory)
      return {};
    switch (type.kind) {
    case KernelType::Kind::Integer:
    case KernelType::Kind::Enum:
    case KernelType::Kind::Pointer:
      if (!scalar(type))
        return fmt::format("'{}' is a {} of {} bytes, which mstap cannot read", path, type.spelling, type.size);
      access.steps.push_back({pending, type.size, type.isSigned && type.kind != KernelType::Kind::Pointer, 0, 0});
      return {};
    case KernelType::Kind::Array:
      // An array reads as its address, as stap does: kernel_string() takes it.
      access.steps.push_back({pending, 0, false, 0, 0});
      return {};
    case KernelType::Kind::Struct:
    case KernelType::Kind::Union:
      return fmt::format("'{}' is a {}: name one of its members with '.' or '->'", path, type.spelling);
    default:
      return fmt::format("'{}' is a {}, which mstap cannot read", path, type.spelling);
    }
  }

  void resolve(TargetExpr &e) {
    TargetAccess first;
    std::string firstKey, error, firstFunction;
    bool pretty = e.name.size() > 1 && e.name.back() == '$' && e.name != "$$";
    if (pretty)
      error = fmt::format("pretty-printing target variables ('{}') is not supported yet", e.name);
    if (error.empty() && !options_.kernel && !options_.user)
      error = fmt::format("target variable '{}' needs a target kernel", e.name);
    for (size_t i = 0; error.empty() && i < points_->size(); ++i) {
      const ResolvedProbe &point = (*points_)[i];
      TargetAccess access;
      error = resolveAt(e, point, access);
      if (!error.empty())
        break;
      std::string key = describeAccess(access);
      std::string function = point.kernel ? point.kernel->function
                             : point.user ? point.user->function
                                          : point.point;
      if (i == 0) {
        first = std::move(access);
        firstKey = key;
        firstFunction = function;
      } else if (key != firstKey) {
        error = fmt::format("'{}' is not the same in every function this probe matched: '{}' and '{}' "
                            "differ in its position or type",
                            e.name, firstFunction, function);
      }
    }
    if (!error.empty()) {
      bool isGuarded = std::find(guards_.begin(), guards_.end(), e.name) != guards_.end();
      if (!isGuarded)
        diags_.error(file_, e.loc(), error);
      TargetAccess failed;
      failed.error = error;
      out_[&e] = std::move(failed);
      return;
    }
    out_[&e] = std::move(first);
  }

  const SourceFile *file_;
  Diagnostics &diags_;
  const ElaborateOptions &options_;
  std::map<const TargetExpr *, TargetAccess> &out_;
  const std::vector<ResolvedProbe> *points_ = nullptr;
  // Where member chains find their types: the kernel's BTF or the program's DWARF.
  const std::function<std::optional<KernelType>(const KernelType &)> *pointeeOf_ = nullptr;
  const std::function<std::vector<KernelMember>(const KernelType &)> *membersOf_ = nullptr;
};

} // namespace

ElaborateResult elaborate(Script &script, const ElaborateOptions &options, Diagnostics &diags) {
  ElaborateResult result;
  const SourceFile *file = script.file;
  unsigned errorsBefore = diags.errorCount();
  size_t firstDiagnostic = diags.all().size();
  std::map<std::string, Variable *> globals;
  std::map<std::string, FunctionDecl *> functions;
  std::map<Variable *, bool> declaredArray;

  for (Decl &decl : script.decls) {
    if (decl.kind == Decl::Kind::Global) {
      for (GlobalVar &g : decl.global->vars) {
        auto v = std::make_unique<Variable>();
        v->scope = Variable::Scope::Global;
        v->name = g.name;
        v->loc = g.loc();
        if (g.init) {
          v->type = dynamic_cast<StringLiteral *>(g.init.get()) ? Type::String : Type::Long;
          v->typeLoc = g.init->loc();
          v->written = true;
          v->arity = 0;
        }
        if (auto it = globals.find(g.name); it != globals.end()) {
          diags.error(file, g.loc(), fmt::format("duplicate global '{}'", g.name));
          diags.note(file, it->second->loc, "first declared here");
          continue;
        }
        if (g.arraySize && *g.arraySize > kMaxArrayEntries)
          diags.error(file, g.loc(), fmt::format("array '{}' is declared with {} entries: mstap's arrays hold at "
                                                 "most {} (16 Mi); its memory is taken when the module loads",
                                                 g.name, *g.arraySize, kMaxArrayEntries));
        declaredArray[v.get()] = g.arraySize.has_value();
        globals[g.name] = v.get();
        g.var = std::move(v);
      }
    } else if (decl.kind == Decl::Kind::Function) {
      FunctionDecl &f = *decl.function;
      if (findBuiltin(f.name)) {
        diags.error(file, f.loc(), fmt::format("'{}' is a built-in function: choose another name", f.name));
        continue;
      }
      if (auto it = functions.find(f.name); it != functions.end()) {
        diags.error(file, f.loc(), fmt::format("duplicate function '{}'", f.name));
        diags.note(file, it->second->loc(), "first defined here");
        continue;
      }
      functions[f.name] = &f;
      if (f.returnType != Type::Unknown)
        f.returnTypeLoc = f.loc();
      for (const Param &p : f.params) {
        for (auto &existing : f.locals)
          if (existing->name == p.name)
            diags.error(file, p.loc(), fmt::format("duplicate parameter '{}'", p.name));
        auto v = std::make_unique<Variable>();
        v->scope = Variable::Scope::Param;
        v->name = p.name;
        v->loc = p.loc();
        v->arity = 0;
        v->type = p.type;
        v->written = true;
        if (p.type != Type::Unknown)
          v->typeLoc = p.loc();
        f.locals.push_back(std::move(v));
      }
      if (f.embeddedCode) // its parameters are used by the C, out of our sight
        for (auto &v : f.locals)
          v->read = true;
    }
  }

  Walker walker(file, diags, globals, functions, options);
  auto walkAll = [&] {
    for (Decl &decl : script.decls) {
      if (decl.kind == Decl::Kind::Function && functions.count(decl.function->name) &&
          functions[decl.function->name] == decl.function.get())
        walker.walkFunction(*decl.function);
      else if (decl.kind == Decl::Kind::Probe)
        walker.walkProbe(*decl.probe);
    }
  };
  walker.mode = Walker::Mode::Resolve;
  walkAll();
  // Each round that changes anything settles at least one type slot that
  // was unknown (a variable, an array key, a function's result), and a
  // settled slot never changes again: so rounds stop, after at most as many
  // as there are slots, however long a chain of calls passes a type along.
  walker.mode = Walker::Mode::Infer;
  size_t slots = functions.size() + 1;
  for (auto &[name, v] : globals)
    slots += 1 + v->keyTypes.size();
  for (Decl &decl : script.decls) {
    if (decl.kind == Decl::Kind::Function)
      slots += decl.function->locals.size();
    else if (decl.kind == Decl::Kind::Probe)
      slots += decl.probe->locals.size();
  }
  for (size_t round = 0; round <= slots; ++round) {
    walker.changed = false;
    walkAll();
    if (!walker.changed)
      break;
  }
  walker.mode = Walker::Mode::Report;
  walkAll();

  // What inference could not settle, and what is never used.
  auto checkVariable = [&](Variable &v, const char *kind) {
    bool used = v.read || v.written;
    if (!used)
      return;
    if (v.type == Type::Unknown && diags.errorCount() == errorsBefore)
      diags.error(file, v.loc, fmt::format("could not infer the type of {} '{}': use it once as a long or a string",
                                           kind, v.name));
    for (size_t i = 0; i < v.keyTypes.size(); ++i)
      if (v.keyTypes[i] == Type::Unknown && diags.errorCount() == errorsBefore)
        diags.error(file, v.loc, fmt::format("could not infer the type of key {} of '{}'", i + 1, v.name));
  };
  for (auto &[name, v] : globals) {
    if (!v->read && !v->written) {
      diags.warning(file, v->loc, fmt::format("eliding unused variable '{}'", name));
      continue;
    }
    if (declaredArray[v] && v->arity == 0)
      diags.error(file, v->loc, fmt::format("'{}' is declared with a size, so it must be an array", name));
    checkVariable(*v, "global");
  }
  auto checkLocals = [&](std::vector<std::unique_ptr<Variable>> &locals, const std::string &owner) {
    for (auto &v : locals) {
      if (v->scope == Variable::Scope::Param) {
        if (!v->read)
          diags.warning(file, v->loc, fmt::format("unused parameter '{}' of {}", v->name, owner));
        continue;
      }
      if (v->read && !v->written) {
        std::vector<std::string> names;
        for (auto &other : locals)
          if (other->written)
            names.push_back(other->name);
        for (auto &[name, g] : globals)
          names.push_back(name);
        std::string similar = similarNames(v->name, names);
        diags.warning(file, v->loc, fmt::format("never-assigned local variable '{}'{}", v->name,
                                                similar.empty() ? "" : " (similar: " + similar + ")"));
      }
      checkVariable(*v, "local");
    }
  };
  ProbeResolver resolver(file, diags, options);
  TargetResolver targets(file, diags, options, result.targets);
  for (Decl &decl : script.decls) {
    if (decl.kind == Decl::Kind::Function)
      checkLocals(decl.function->locals, "function '" + decl.function->name + "'");
    if (decl.kind != Decl::Kind::Probe)
      continue;
    checkLocals(decl.probe->locals, "a probe");
    std::vector<ResolvedProbe> resolved;
    unsigned pointErrors = diags.errorCount();
    for (const ProbePoint &pp : decl.probe->points)
      resolver.resolve(pp, resolved);
    if (diags.errorCount() == pointErrors && !resolved.empty())
      targets.probe(*decl.probe, resolved);
    result.probes.push_back(std::move(resolved));
  }
  diags.sortFrom(firstDiagnostic);
  result.ok = diags.errorCount() == errorsBefore;
  return result;
}

static std::string variableText(const Variable &v) {
  std::string text = v.name + ":" + typeName(v.type);
  if (v.arity > 0) {
    text += " [";
    for (size_t i = 0; i < v.keyTypes.size(); ++i)
      text += (i ? ", " : "") + std::string(typeName(v.keyTypes[i]));
    text += "]";
  }
  return text;
}

static std::string localsText(const std::vector<std::unique_ptr<Variable>> &locals) {
  std::string text;
  for (const auto &v : locals)
    if (v->scope == Variable::Scope::Local)
      text += "  # local " + variableText(*v) + "\n";
  return text;
}

std::string printElaborated(const Script &script, const ElaborateResult &result) {
  std::string out = "# globals\n";
  for (const Decl &decl : script.decls)
    if (decl.kind == Decl::Kind::Global)
      for (const GlobalVar &g : decl.global->vars)
        if (g.var && (g.var->read || g.var->written))
          out += variableText(*g.var) + "\n";
  out += "# functions\n";
  for (const Decl &decl : script.decls) {
    if (decl.kind != Decl::Kind::Function)
      continue;
    const FunctionDecl &f = *decl.function;
    out += f.name + ":" + (f.returnType == Type::Unknown ? "unknown" : typeName(f.returnType)) + " (";
    for (size_t i = 0; i < f.params.size() && i < f.locals.size(); ++i)
      out += (i ? ", " : "") + variableText(*f.locals[i]);
    out += ")\n" + localsText(f.locals);
    out += f.body ? printBlock(*f.body) : "%{" + *f.embeddedCode + "%}\n";
  }
  out += "# probes\n";
  size_t index = 0;
  for (const Decl &decl : script.decls) {
    if (decl.kind != Decl::Kind::Probe)
      continue;
    const auto &resolved = result.probes.at(index++);
    for (const ResolvedProbe &r : resolved)
      out += r.point + " /* <- " + r.origin + " */\n";
    out += localsText(decl.probe->locals);
    out += printBlock(*decl.probe->body);
  }
  return out;
}

} // namespace mstap
