// Elaboration, part 1: names and types. Resolves every name to a global,
// a local, a parameter, a script function or a built-in; infers every
// type to a fixed point; warns of what is never used.
#include "sema/elaborate_parts.h"

#include "ast/printer.h"
#include "sema/builtins.h"
#include "sema/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace mstap {

using namespace ast;

namespace {

bool isLvalue(const Expr &e) {
  return dyn<SymbolRef>(&e) || dyn<IndexExpr>(&e);
}

// The variable an lvalue names.
Variable *lvalueVar(Expr &e) {
  if (auto *s = dyn<SymbolRef>(&e))
    return s->var;
  if (auto *i = dyn<IndexExpr>(&e))
    return i->var;
  return nullptr;
}

// What the runtime's arrays hold (runtime/mstap_map.h: MSTAP_MAX_KEYS, and
// the capacity mstap_map_init accepts).
constexpr size_t kMaxArrayKeys = 9;
constexpr int64_t kMaxArrayEntries = int64_t(1) << 24;

// The key of a global or function in the maps of names: its name, or for
// a private one its name and its file, so that a file sees its own private
// names first and two files may each have one of the same name.
std::string nameKey(const std::string &name, const SourceFile *privateTo) {
  return privateTo ? fmt::format("{}\n{}", name, static_cast<const void *>(privateTo)) : name;
}

// One walk over a probe or function body. The same walker resolves names
// (first walk) and infers types (every later walk, to a fixed point); only
// the last walk reports type errors, once every type that can be known is.
class Walker : public Visitor {
public:
  enum class Mode { Resolve, Infer, Report };

  Walker(const SourceFile *file, Diagnostics &diags, std::map<std::string, Variable *> &globals,
         std::map<std::string, std::vector<FunctionDecl *>> &functions, const ElaborateOptions &options)
      : file_(file), diags_(diags), globals_(globals), functions_(functions), options_(options) {}

  Mode mode = Mode::Resolve;
  bool changed = false;

  void walkProbe(ProbeDecl &probe, const SourceFile *from) {
    from_ = from;
    locals_ = &probe.locals;
    function_ = nullptr;
    for (auto &pp : probe.points)
      if (pp.condition) {
        visitExpr(*pp.condition);
        expect(*pp.condition, Type::Long, "a probe condition");
      }
    probe.body->accept(*this);
  }

  void walkFunction(FunctionDecl &f, const SourceFile *from) {
    from_ = from;
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
      if (auto *s = dyn<SymbolRef>(&e)) {
        if (s->var)
          setVarType(*s->var, t, e.loc());
      } else if (auto *i = dyn<IndexExpr>(&e)) {
        if (i->var)
          setVarType(*i->var, t, e.loc());
      } else if (auto *c = dyn<CallExpr>(&e)) {
        if (c->callee)
          setType(c->callee->returnType, c->callee->returnTypeLoc, t, e.loc(),
                  fmt::format("the result of '{}'", c->callee->name));
      } else if (auto *tern = dyn<TernaryExpr>(&e)) {
        expect(*tern->then, t, context);
        expect(*tern->otherwise, t, context);
      } else if (auto *a = dyn<AssignExpr>(&e)) {
        if (a->op == AssignOp::Assign) {
          expect(*a->lhs, t, context);
          expect(*a->rhs, t, context);
        }
      } else if (auto *at = dyn<AtExpr>(&e)) {
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

  // The global `name` means in the file being walked: its own private one,
  // else a public one; another file's private global is not seen (the name
  // is a local there, as in stap).
  // A probe on an alias holds the alias's prologue (a library file) and
  // the user's body: a name is looked up from the file its use is in.
  const SourceFile *fileOf(SourceLoc at) const { return at.file ? at.file : from_; }

  Variable *findGlobal(const std::string &name, SourceLoc at = {}) const {
    if (auto it = globals_.find(nameKey(name, fileOf(at))); it != globals_.end())
      return it->second;
    if (auto it = globals_.find(name); it != globals_.end())
      return it->second;
    return nullptr;
  }

  Variable *lookup(const std::string &name, SourceLoc at) {
    for (auto &v : *locals_)
      if (v->name == name)
        return v.get();
    if (Variable *global = findGlobal(name, at))
      return global;
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
      v = findGlobal(name, at);
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

  // Writes to `target`: checks it can be written. (Whether it is an array a
  // foreach walks is checked in check.cpp, with writes through calls.)
  void noteWrite(Expr &target, const char *op) {
    if (!isLvalue(target)) {
      if (auto *t = dyn<TargetExpr>(&target); t && t->addressOf) {
        error(target.loc(), fmt::format("'{}' is an address, not a variable: it cannot be assigned to",
                                        printExpr(target)));
        return;
      }
      if (dyn<TargetExpr>(&target) && options_.guru)
        return;
      error(target.loc(), dyn<TargetExpr>(&target)
                              ? std::string("writing to a target variable needs guru mode: use -g")
                              : fmt::format("the left side of '{}' cannot be assigned to", op));
      return;
    }
    Variable *v = lvalueVar(target);
    if (!v)
      return;
    v->written = true;
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
    if (e.isCast()) {
      // @cast reads through an address the script computes: in functions too.
      bool wasWriting = writing_;
      writing_ = false;
      visitExpr(*e.castOperand);
      writing_ = wasWriting;
      expect(*e.castOperand, Type::Long, fmt::format("the pointer of {}", e.name).c_str());
    } else if (function_ && e.name != "@var")
      error(e.loc(), fmt::format("target variable '{}' in function '{}': target variables exist only in the "
                                 "handlers of kernel function probes",
                                 e.name, function_->name));
    for (auto &c : e.components)
      if (c.index) {
        bool wasWriting = writing_;
        writing_ = false;
        visitExpr(*c.index);
        writing_ = wasWriting;
        expect(*c.index, Type::Long, "an index");
      }
    bool pretty = !e.isCast() && e.name.size() > 1 && e.name.back() == '$';
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

  void visit(EmbeddedExpr &e) override {
    e.type = e.code.find("/* string */") != std::string::npos ? Type::String : Type::Long;
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
      if (s.sortAggregate && s.arrayVar->type != Type::Stats && s.arrayVar->type != Type::Unknown)
        typeError(s.arrayLoc, fmt::format("sorting by {} needs an array of statistics, but '{}' holds {}s",
                                          spelling(*s.sortAggregate), s.array, typeName(s.arrayVar->type)));
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
    loop(*s.body);
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
    auto *whole = dyn<SymbolRef>(s.target.get());
    if (whole && findGlobal(whole->name) && !isLocal(whole->name)) {
      if (mode == Mode::Resolve) {
        whole->var = findGlobal(whole->name);
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
    auto it = functions_.find(nameKey(e.function, fileOf(e.loc())));
    if (it == functions_.end())
      it = functions_.find(e.function);
    if (it != functions_.end()) {
      // Overloads differ by their number of parameters, as in stap.
      std::string counts;
      for (size_t i = 0; i < it->second.size(); ++i) {
        FunctionDecl *f = it->second[i];
        if (f->params.size() == e.args.size()) {
          e.callee = f;
          return;
        }
        counts += (i == 0 ? "" : i + 1 == it->second.size() ? " or " : ", ") + std::to_string(f->params.size());
      }
      e.callee = it->second.front();
      size_t first = e.callee->params.size();
      error(e.loc(), fmt::format("'{}' takes {} argument{}, but {} {} given", e.function, counts,
                                 it->second.size() == 1 && first == 1 ? "" : "s", e.args.size(),
                                 e.args.size() == 1 ? "is" : "are"));
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
    for (auto &[key, overloads] : functions_)
      for (FunctionDecl *f : overloads)
        if (f->name == e.function && f->privateTo) {
          error(e.loc(), fmt::format("function '{}' is private to {}: only that file can call it", e.function,
                                     f->privateTo->name()));
          return;
        }
    std::vector<std::string> names;
    for (auto &[key, overloads] : functions_)
      for (FunctionDecl *f : overloads)
        if (!f->privateTo || f->privateTo == fileOf(e.loc()))
          names.push_back(f->name);
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
      auto *at = dyn<AtExpr>(&arg);
      bool histogram = at && (at->op == AtOp::HistLog || at->op == AtOp::HistLinear);
      if (histogram && !(b.kind == Builtin::Kind::Print && (b.name == std::string("print") ||
                                                            b.name == std::string("println"))))
        error(arg.loc(), fmt::format("{} can only be printed with print or println", spelling(at->op)));
      if (arg.type == Type::Stats)
        typeError(arg.loc(), fmt::format("'{}' cannot print a statistic: extract a value with @count, @sum, ...",
                                     b.name));
    }
    if (b.kind == Builtin::Kind::Delimited && !e.args.empty() && !dyn<StringLiteral>(e.args[0].get()))
      error(e.args[0]->loc(), fmt::format("the delimiter of '{}' must be a literal string", b.name));
  }

  void checkFormat(CallExpr &e) {
    if (e.args.empty())
      return;
    auto *literal = dyn<StringLiteral>(e.args[0].get());
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
  std::map<std::string, Variable *> &globals_;                   // by nameKey
  std::map<std::string, std::vector<FunctionDecl *>> &functions_; // by nameKey: a name's overloads, by arity
  const SourceFile *from_ = nullptr;                              // the file of the body being walked
  const ElaborateOptions &options_;
  std::vector<std::unique_ptr<Variable>> *locals_ = nullptr;
  FunctionDecl *function_ = nullptr;
  std::map<Variable *, SourceLoc> arityLoc_;
  int loops_ = 0;
  bool writing_ = false;
};

} // namespace

void resolveNamesAndTypes(Script &script, const ElaborateOptions &options, Diagnostics &diags) {
  const SourceFile *file = script.file;
  unsigned errorsBefore = diags.errorCount();
  std::map<std::string, Variable *> globals;                   // by nameKey
  std::map<std::string, std::vector<FunctionDecl *>> functions; // by nameKey: a name's overloads
  std::map<Variable *, bool> declaredArray, declaredWrap;
  std::map<Variable *, const SourceFile *> declaredIn;
  auto fileOf = [&](const Decl &decl) { return decl.file ? decl.file : file; };

  for (Decl &decl : script.decls) {
    if (decl.kind == Decl::Kind::Global) {
      for (GlobalVar &g : decl.global->vars) {
        auto v = std::make_unique<Variable>();
        v->scope = Variable::Scope::Global;
        v->name = g.name;
        v->loc = g.loc();
        if (g.init) {
          v->type = dyn<StringLiteral>(g.init.get()) ? Type::String : Type::Long;
          v->typeLoc = g.init->loc();
          v->written = true;
          v->arity = 0;
        }
        v->privateTo = g.privateTo;
        if (auto it = globals.find(nameKey(g.name, g.privateTo)); it != globals.end()) {
          diags.error(file, g.loc(), fmt::format("duplicate global '{}'", g.name));
          diags.note(file, it->second->loc, "first declared here");
          continue;
        }
        // A file may not have both a global and a private global of one
        // name (stap's words); another file's may share it.
        auto other = globals.find(nameKey(g.name, g.privateTo ? nullptr : fileOf(decl)));
        if (other != globals.end() && declaredIn[other->second] == fileOf(decl)) {
          diags.error(file, g.loc(), fmt::format("global versus private variable declaration conflict: '{}'", g.name));
          diags.note(file, other->second->loc, "the other declaration is here");
          continue;
        }
        if (g.arraySize && *g.arraySize > kMaxArrayEntries)
          diags.error(file, g.loc(), fmt::format("array '{}' is declared with {} entries: mstap's arrays hold at "
                                                 "most {} (16 Mi); its memory is taken when the module loads",
                                                 g.name, *g.arraySize, kMaxArrayEntries));
        declaredArray[v.get()] = g.arraySize.has_value();
        declaredWrap[v.get()] = g.wrap;
        declaredIn[v.get()] = fileOf(decl);
        globals[nameKey(g.name, g.privateTo)] = v.get();
        g.var = std::move(v);
      }
    } else if (decl.kind == Decl::Kind::Function) {
      FunctionDecl &f = *decl.function;
      if (findBuiltin(f.name)) {
        diags.error(file, f.loc(), fmt::format("'{}' is a built-in function: choose another name", f.name));
        continue;
      }
      std::vector<FunctionDecl *> &overloads = functions[nameKey(f.name, f.privateTo)];
      auto same = std::find_if(overloads.begin(), overloads.end(),
                               [&](const FunctionDecl *o) { return o->params.size() == f.params.size(); });
      if (same != overloads.end()) {
        diags.error(file, f.loc(), fmt::format("duplicate function '{}'", f.name));
        diags.note(file, (*same)->loc(), "first defined here");
        continue;
      }
      overloads.push_back(&f);
      for (FunctionDecl *o : overloads)
        o->overloaded = overloads.size() > 1;
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
      std::string key = decl.kind == Decl::Kind::Function ? nameKey(decl.function->name, decl.function->privateTo) : "";
      if (decl.kind == Decl::Kind::Function && functions.count(key) &&
          std::count(functions[key].begin(), functions[key].end(), decl.function.get()))
        walker.walkFunction(*decl.function, fileOf(decl));
      else if (decl.kind == Decl::Kind::Probe)
        walker.walkProbe(*decl.probe, fileOf(decl));
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
  for (auto &[key, v] : globals) {
    const std::string &name = v->name;
    if (!v->read && !v->written) {
      diags.warning(file, v->loc, fmt::format("eliding unused variable '{}'", name));
      continue;
    }
    if (declaredArray[v] && v->arity == 0)
      diags.error(file, v->loc, fmt::format("'{}' is declared with a size, so it must be an array", name));
    else if (declaredWrap[v] && v->arity == 0)
      diags.error(file, v->loc,
                  fmt::format("wrapping not supported for scalars: '{}' is declared with '%' but used as a scalar", name));
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
        for (auto &[key, g] : globals)
          names.push_back(g->name);
        std::string similar = similarNames(v->name, names);
        diags.warning(file, v->loc, fmt::format("never-assigned local variable '{}'{}", v->name,
                                                similar.empty() ? "" : " (similar: " + similar + ")"));
      }
      checkVariable(*v, "local");
    }
  };
  for (Decl &decl : script.decls) {
    if (decl.kind == Decl::Kind::Function)
      checkLocals(decl.function->locals, "function '" + decl.function->name + "'");
    else if (decl.kind == Decl::Kind::Probe)
      checkLocals(decl.probe->locals, "a probe");
  }
}

} // namespace mstap
