// Pass 3: the C generator. See codegen.h and runtime/MODULE.md.
//
// Lowering, in short:
// - Every script value is an s64 or a char[MSTAP_MAXSTRINGLEN]. Locals,
//   parameters and string temporaries live in a frame on the CPU context's
//   frame stack (kernel stacks are too small for strings, and recursion must
//   be bounded): `f->l_NAME`, `f->sN`. Long temporaries are C locals `tN`.
// - Expressions become C expressions that read without side effects; what
//   has effects or can fail (calls, assignments, division, map updates) is
//   emitted first as statements, left to right, each fallible one followed
//   by a check that unwinds to the error label (`out`, or a catch block).
// - Every statement counts one action (MAXACTION); loops count per pass.
// - The globals each handler touches, through the functions it calls too,
//   become its lock list: the runtime takes them before the handler runs.
#include "codegen/codegen.h"

#include "ast/printer.h"
#include "ast/walk.h"
#include "sema/builtins.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace mstap::codegen {

using namespace ast;

std::string cStringLiteral(const std::string &bytes) {
  std::string out = "\"";
  for (unsigned char ch : bytes) {
    switch (ch) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    case '?': out += "\\?"; break; // no trigraphs, ever
    default:
      if (ch < 0x20 || ch >= 0x7f)
        out += fmt::format("\\{:03o}", ch); // three digits: a following digit cannot join it
      else
        out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

namespace {

// A C identifier made from arbitrary text: letters and digits kept, the rest '_'.
std::string identifierFrom(const std::string &text, size_t limit = 40) {
  std::string out;
  for (char ch : text) {
    if (out.size() >= limit)
      break;
    bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (alnum)
      out += ch;
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (!out.empty() && out.back() == '_')
    out.pop_back();
  return out;
}

// ------------------------------------------------------------ globals

struct GlobalInfo {
  const Variable *var = nullptr;
  const GlobalVar *decl = nullptr;
  int index = 0;              // its lock
  std::string member;         // in struct mstap_globals
  enum class Kind { Long, String, Stat, Map, PMap } kind = Kind::Long;
  HistogramShape histogram; // from pass 2
  std::string capacity;       // C expression, arrays only
  bool dumped = false;        // written, never read: printed at the end
};

const char *keyTypeC(Type t) { return t == Type::String ? "MSTAP_TYPE_STRING" : "MSTAP_TYPE_LONG"; }

// The one spelling of a 64-bit integer in the C: "-9223372036854775808LL"
// would be the negation of a constant too large for long long.
std::string cInteger(int64_t value) {
  if (value == INT64_MIN)
    return "((s64)(-9223372036854775807LL - 1))";
  return fmt::format("{}LL", value);
}

std::string statLayoutInit(const HistogramShape &h) {
  switch (h.op) {
  case AtOp::HistLog: return "MSTAP_STAT_LAYOUT_LOG";
  case AtOp::HistLinear:
    return fmt::format("MSTAP_STAT_LAYOUT_LINEAR({}, {}, {})", cInteger(h.low), cInteger(h.high), cInteger(h.step));
  default: return "MSTAP_STAT_LAYOUT_PLAIN";
  }
}

// ------------------------------------------------------------ emitter

struct Value {
  std::string code; // a C expression: s64 for longs, const char * for strings
  Type type = Type::Unknown;
};

struct ForeachInfo {
  int id;
  const GlobalInfo *global;
};

class Generator;
class BodyEmitter;

// What a .return probe's handler reads from the call's entry (@entry(...)
// and target variables other than $return): evaluated by an entry handler
// of its own into fields e0, e1, ... of a struct at c->entry_data.
struct EntryCapture {
  std::unique_ptr<BodyEmitter> emitter; // the entry handler's body
  std::vector<std::string> fields;      // declarations of the saved values
  std::map<std::string, Value> targets; // a target variable read twice is saved once
  SourceLoc firstUse;
};

// Emits the body of one probe handler or script function.
class BodyEmitter {
public:
  BodyEmitter(Generator &gen, const std::string &framePrefix) : gen_(gen), framePrefix_(framePrefix) {}

  void statement(Stmt &s);
  void block(BlockStmt &b) {
    for (auto &s : b.statements)
      statement(*s);
  }
  Value expr(Expr &e);
  Value materialize(const Value &v);
  void line(const std::string &text) {
    body_ += std::string(indent_, '\t') + text + "\n";
  }
  std::string loc(SourceLoc at) const;
  void check(SourceLoc at) { line(fmt::format("MSTAP_CHECK({}, {});", loc(at), errorLabel())); }
  const std::string &errorLabel() const { return errorLabels_.back(); }

  std::string body_;
  int indent_ = 1;
  std::vector<std::string> frameFields_; // declarations in the frame struct
  std::vector<std::string> errorLabels_{"out"};
  std::vector<std::pair<std::string, std::string>> loops_; // break, continue labels
  std::map<int, bool> access_;                          // global index -> written
  std::set<const FunctionDecl *> callees_;
  std::vector<std::string> ownedForeach_;               // foreach busy flags to release at out
  bool readsTargets_ = false; // a target variable was read: a tracepoint probe needs its arguments
  bool isFunction_ = false;
  Type returnType_ = Type::Unknown;
  EntryCapture *entry_ = nullptr; // a return probe's handler: where entry values go
  bool tracepoint_ = false;       // a tracepoint's handler: its arguments are copies
  bool isEntry_ = false;          // this body is an entry handler

private:
  friend class Generator;
  Value stringTemp() {
    std::string name = fmt::format("s{}", stringTemps_++);
    maxStringTemps_ = std::max(maxStringTemps_, stringTemps_);
    return {"f->" + name, Type::String};
  }
  std::string longTemp() { return fmt::format("t{}", longTemps_++); }
  std::string label(const char *what) { return fmt::format("{}_{}", what, labels_++); }
  void touch(const GlobalInfo &g, bool write);
  std::string varRef(const Variable *v, bool write);
  const GlobalInfo &global(const Variable *v);
  std::string keys(const ExprList &keys, const std::vector<Type> &types);
  std::vector<Value> evalInOrder(ExprList &list, size_t from = 0);
  void assignTo(Expr &lhs, const Value &value, SourceLoc at);
  Value assign(AssignExpr &e);
  Value incDec(IncDecExpr &e);
  Value call(CallExpr &e);
  Value builtinCall(CallExpr &e);
  Value binary(BinaryExpr &e);
  Value at(AtExpr &e);
  // Reads e, or with `store` (guru mode) writes that value where e's last
  // read would be: a register, or memory at the end of a chain.
  Value target(TargetExpr &e, const std::string *store = nullptr);
  Value capture(Expr &e);
  // A read-modify-write of a target evaluates its chain twice: refused when
  // an index in it has side effects.
  bool writableOnce(TargetExpr &e);
  std::string statOf(Expr &statExpr, SourceLoc at, const GlobalInfo **info);
  void print(CallExpr &e, const std::string &out, bool toString);
  void foreach(ForeachStmt &s);

  Generator &gen_;
  std::string framePrefix_;
  int stringTemps_ = 0, maxStringTemps_ = 0;
  int longTemps_ = 0, labels_ = 0;
};

class Generator {
public:
  Generator(const Script &script, const ElaborateResult &elaborated, const std::string &scriptName,
            Diagnostics &diags)
      : scriptName_(scriptName), script_(script), elaborated_(elaborated), diags_(diags) {}

  CodegenResult run();
  // Pass 2 refuses every error in a script (sema/check.cpp): whatever pass 3
  // still finds is mstap's own fault, and says so.
  void internal(SourceLoc at, const std::string &what) {
    diags_.error(script_.file, at, "internal error: " + what + " (pass 2 should have refused this)");
  }
  const TargetAccess *targetAccess(const TargetExpr &e) const {
    auto it = elaborated_.targets.find(&e);
    return it == elaborated_.targets.end() ? nullptr : &it->second;
  }

  std::map<const Variable *, GlobalInfo> globals_;
  std::vector<const GlobalInfo *> globalOrder_;
  std::string scriptName_;
  std::vector<ForeachInfo> foreaches_;
  const Script &script_;

private:
  void collectGlobals();
  std::string frameStruct(const std::string &name, const BodyEmitter &b,
                          const std::vector<std::unique_ptr<Variable>> &locals);
  std::string emitFunction(const FunctionDecl &f, BodyEmitter &b);
  std::string dumpHandler(std::vector<int> &locks);
  std::string functionSignature(const FunctionDecl &f) const;

  const ElaborateResult &elaborated_;
  Diagnostics &diags_;
};

// --------------------------------------------------------------- helpers

std::string BodyEmitter::loc(SourceLoc at) const {
  return cStringLiteral(fmt::format("{}:{}:{}", gen_.scriptName_, at.line, at.column));
}

const GlobalInfo &BodyEmitter::global(const Variable *v) { return gen_.globals_.at(v); }

void BodyEmitter::touch(const GlobalInfo &g, bool write) {
  auto [it, inserted] = access_.emplace(g.index, write);
  if (!inserted && write)
    it->second = true;
}

std::string BodyEmitter::varRef(const Variable *v, bool write) {
  if (v->scope == Variable::Scope::Global) {
    const GlobalInfo &g = global(v);
    touch(g, write);
    return "mstap_g." + g.member;
  }
  return "f->l_" + v->name;
}

Value BodyEmitter::materialize(const Value &v) {
  if (v.type == Type::String) {
    Value t = stringTemp();
    line(fmt::format("mstap_string_copy({}, {});", t.code, v.code));
    return t;
  }
  std::string t = longTemp();
  line(fmt::format("s64 {} = {};", t, v.code));
  return {t, Type::Long};
}

// Evaluates list[from..] left to right: a value read before a later
// expression that may change it is taken into a temporary first.
std::vector<Value> BodyEmitter::evalInOrder(ExprList &list, size_t from) {
  std::vector<Value> values;
  for (size_t i = from; i < list.size(); ++i) {
    Value v = expr(*list[i]);
    bool laterModifies = false;
    for (size_t j = i + 1; j < list.size(); ++j)
      laterModifies = laterModifies || mayModify(*list[j]);
    if (laterModifies && v.type != Type::Unknown)
      v = materialize(v);
    values.push_back(v);
  }
  return values;
}

// `union mstap_key kN[] = {...}` for an element's keys; returns kN.
std::string BodyEmitter::keys(const ExprList &keyExprs, const std::vector<Type> &types) {
  auto &list = const_cast<ExprList &>(keyExprs);
  std::vector<Value> values = evalInOrder(list);
  std::string name = fmt::format("k{}", longTemps_++);
  std::string init;
  for (size_t i = 0; i < values.size(); ++i) {
    Type t = i < types.size() ? types[i] : values[i].type;
    init += (i ? ", " : "") + fmt::format("{}({})", t == Type::String ? "mstap_key_string" : "mstap_key_long",
                                          values[i].code);
  }
  line(fmt::format("union mstap_key {}[] = {{ {} }};", name, init));
  return name;
}

// ------------------------------------------------------------ statements

void BodyEmitter::statement(Stmt &s) {
  stringTemps_ = 0; // a statement's temporaries die with it
  if (auto *b = dynamic_cast<BlockStmt *>(&s)) {
    line("{");
    ++indent_;
    block(*b);
    --indent_;
    line("}");
    return;
  }
  if (dynamic_cast<NullStmt *>(&s))
    return;
  line(fmt::format("MSTAP_ACTION({}, {});", loc(s.loc()), errorLabel()));
  if (auto *e = dynamic_cast<ExprStmt *>(&s)) {
    Value v = expr(*e->expr);
    // A value computed for nothing (a plain read) still costs no C warning.
    if (!v.code.empty() && v.type == Type::Long && v.code[0] != 't')
      line(fmt::format("(void)({});", v.code));
    return;
  }
  if (auto *i = dynamic_cast<IfStmt *>(&s)) {
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
  if (auto *w = dynamic_cast<WhileStmt *>(&s)) {
    std::string brk = label("break"), cont = label("continue");
    line("for (;;) {");
    ++indent_;
    Value cond = expr(*w->cond);
    line(fmt::format("if (!mstap_bool({}))", cond.code));
    line("\tbreak;");
    loops_.push_back({brk, cont});
    statement(*w->body);
    loops_.pop_back();
    line(fmt::format("{}: __attribute__((unused));", cont));
    line(fmt::format("MSTAP_ACTION({}, {});", loc(s.loc()), errorLabel()));
    --indent_;
    line("}");
    line(fmt::format("{}: __attribute__((unused));", brk));
    return;
  }
  if (auto *f = dynamic_cast<ForStmt *>(&s)) {
    std::string brk = label("break"), cont = label("continue");
    if (f->init)
      expr(*f->init);
    line("for (;;) {");
    ++indent_;
    if (f->cond) {
      stringTemps_ = 0;
      Value cond = expr(*f->cond);
      line(fmt::format("if (!mstap_bool({}))", cond.code));
      line("\tbreak;");
    }
    loops_.push_back({brk, cont});
    statement(*f->body);
    loops_.pop_back();
    line(fmt::format("{}: __attribute__((unused));", cont));
    stringTemps_ = 0;
    if (f->step)
      expr(*f->step);
    line(fmt::format("MSTAP_ACTION({}, {});", loc(s.loc()), errorLabel()));
    --indent_;
    line("}");
    line(fmt::format("{}: __attribute__((unused));", brk));
    return;
  }
  if (auto *fe = dynamic_cast<ForeachStmt *>(&s)) {
    foreach(*fe);
    return;
  }
  if (dynamic_cast<BreakStmt *>(&s)) {
    line(fmt::format("goto {};", loops_.back().first));
    return;
  }
  if (dynamic_cast<ContinueStmt *>(&s)) {
    line(fmt::format("goto {};", loops_.back().second));
    return;
  }
  if (dynamic_cast<NextStmt *>(&s)) {
    line("goto out;");
    return;
  }
  if (auto *r = dynamic_cast<ReturnStmt *>(&s)) {
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
  if (auto *d = dynamic_cast<DeleteStmt *>(&s)) {
    Expr &target = *d->target;
    if (auto *sym = dynamic_cast<SymbolRef *>(&target)) {
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
    if (auto *ix = dynamic_cast<IndexExpr *>(&target)) {
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
  if (auto *t = dynamic_cast<TryStmt *>(&s)) {
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
  gen_.internal(s.loc(), "a statement pass 3 does not know");
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
  line(fmt::format("struct mstap_map_order order = {{ {}, {}, MSTAP_STAT_FIELD_COUNT, {}, {} }};", direction, column,
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
  line(fmt::format("for ({} = 0; {} < {}; {}++) {{", i, i, n, i));
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

// ------------------------------------------------------ target variables

// `raw` (a u64 C expression) as a long, with C's conversion from an integer
// of `size` bytes and the given signedness.
static std::string convertInteger(const std::string &raw, uint32_t size, bool isSigned) {
  switch (size) {
  case 1: return fmt::format("(s64)({})({})", isSigned ? "s8" : "u8", raw);
  case 2: return fmt::format("(s64)({})({})", isSigned ? "s16" : "u16", raw);
  case 4: return fmt::format("(s64)({})({})", isSigned ? "s32" : "u32", raw);
  case 8: return fmt::format("(s64)({})", raw);
  default: return fmt::format("mstap_target_bits((s64)({}), 0, {}, {})", raw, size * 8, isSigned ? 1 : 0);
  }
}

// A target variable, as pass 2 resolved it: an argument register (or stack
// slot) or the return value, converted to its declared type, then each
// member read through faulting-safe copies.
Value BodyEmitter::target(TargetExpr &e, const std::string *store) {
  readsTargets_ = true;
  const TargetAccess *access = gen_.targetAccess(e);
  if (!access) {
    gen_.internal(e.loc(), fmt::format("target variable '{}' was not resolved in pass 2", e.name));
    return {"0", Type::Long};
  }
  if (!access->error.empty()) {
    gen_.internal(e.loc(), access->error);
    return {"0", Type::Long};
  }
  // Pass 2 allowed this write (sema/check.cpp): registers, and the memory
  // of a process probe's program; never a copy or the kernel's memory.
  if (store && (access->base == TargetAccess::Base::Parms || (!access->userMemory && !access->steps.empty()))) {
    gen_.internal(e.loc(), fmt::format("a write to '{}'", e.name));
    return {"0", Type::Long};
  }
  // In a .return probe the registers no longer hold the arguments: read
  // them at entry, as stap does.
  if (entry_ && access->base != TargetAccess::Base::Return)
    return capture(e);
  if (isEntry_ && access->base == TargetAccess::Base::Return) {
    gen_.internal(e.loc(), "'$return' cannot be saved at entry: the function has not returned yet");
    return {"0", Type::Long};
  }
  if (access->base == TargetAccess::Base::Parms) {
    Value out = stringTemp();
    if (access->parms.empty()) {
      line(fmt::format("{}[0] = '\\0';", out.code));
      return out;
    }
    std::string format, args;
    for (const auto &p : access->parms) {
      format += (format.empty() ? "" : " ") + p.name + "=%#x";
      args += (args.empty() ? "" : ", ") +
              fmt::format("mstap_arg_long({})",
                          convertInteger(fmt::format("mstap_reg_arg(c, {})", p.argument), p.size, p.isSigned));
    }
    std::string a = fmt::format("a{}", longTemps_++);
    line(fmt::format("struct mstap_arg {}[] = {{ {} }};", a, args));
    check(e.loc());
    line(fmt::format("mstap_sprintf({}, {}, {}, {}, &c->error);", out.code, cStringLiteral(format), a,
                     access->parms.size()));
    check(e.loc());
    return out;
  }
  if (store && access->steps.empty()) {
    if (access->base == TargetAccess::Base::Return)
      line(fmt::format("mstap_reg_set_return(c, {}); /* {} */", *store, e.name));
    else
      line(fmt::format("mstap_reg_set_arg(c, {}, {}); /* {} */", access->argument, *store, e.name));
    check(e.loc());
    return {*store, Type::Long};
  }
  std::string raw = access->base == TargetAccess::Base::Return
                        ? std::string("mstap_reg_return(c)")
                        : fmt::format("mstap_reg_arg(c, {})", access->argument);
  std::string t = longTemp();
  line(fmt::format("s64 {} = {}; /* {} */", t, convertInteger(raw, access->size, access->isSigned),
                   e.name));
  check(e.loc());
  // Process probes follow pointers into the probed program's memory.
  const char *reader = access->userMemory ? "mstap_target_read_user" : "mstap_target_read";
  for (const auto &step : access->steps) {
    if (store && &step == &access->steps.back()) {
      if (step.size == 0 || step.bitSize || step.indexComponent >= 0) {
        gen_.internal(e.loc(), fmt::format("'{}' cannot be written: only whole integers and pointers can, not "
                                        "{}",
                                        e.name, step.bitSize ? "bitfields" : "arrays or structs"));
        return {"0", Type::Long};
      }
      line(fmt::format("mstap_target_write_user(c, (u64){} + {}ULL, {}, {});", t, step.offset, step.size,
                       *store));
      check(e.loc());
      return {*store, Type::Long};
    }
    if (step.indexComponent >= 0) {
      // Evaluated here, between the reads before and after it, as written.
      Value index = expr(*e.components.at(static_cast<size_t>(step.indexComponent)).index);
      line(fmt::format("{} = (s64)mstap_target_index(c, (u64){} + {}ULL, {}, {}ULL, {}ULL);", t, t, step.offset,
                       index.code, step.stride, step.bound));
      check(e.loc());
      continue;
    }
    if (step.size == 0) {
      line(fmt::format("{} = (s64)((u64){} + {}ULL);", t, t, step.offset));
      continue;
    }
    if (step.bitSize) {
      line(fmt::format("{} = mstap_target_bits({}(c, (u64){} + {}ULL, {}, 0), {}, {}, {});", t, reader, t,
                       step.offset, step.size, step.bitOffset, step.bitSize, step.isSigned ? 1 : 0));
    } else {
      line(fmt::format("{} = {}(c, (u64){} + {}ULL, {}, {});", t, reader, t, step.offset, step.size,
                       step.isSigned ? 1 : 0));
    }
    check(e.loc());
  }
  return {t, Type::Long};
}

bool BodyEmitter::writableOnce(TargetExpr &e) {
  for (auto &component : e.components)
    if (component.index && mayModify(*component.index)) {
      gen_.internal(e.loc(), fmt::format("'{}' would evaluate its index twice: compute the index first", e.name));
      return false;
    }
  return true;
}

// Evaluates `e` in the entry handler, saves it, and reads the saved value.
Value BodyEmitter::capture(Expr &e) {
  BodyEmitter &in = *entry_->emitter;
  if (entry_->fields.empty())
    entry_->firstUse = e.loc();
  // The entry handler runs before the probe's body: a value the body
  // computes (a local, a run-time index) does not exist there yet.
  bool usesLocals = false;
  forEachExpr(e, [&](Expr &x) {
    if (auto *sym = dynamic_cast<SymbolRef *>(&x); sym && sym->var && sym->var->scope != Variable::Scope::Global)
      usesLocals = true;
  });
  if (usesLocals) {
    gen_.internal(e.loc(), "a value read at entry (@entry, or a target variable in a .return probe) cannot use the "
                        "probe's local variables: they do not exist yet at the function's entry");
    return {"0", Type::Long};
  }
  std::string key = dynamic_cast<TargetExpr *>(&e) ? printExpr(e) : "";
  if (!key.empty())
    if (auto it = entry_->targets.find(key); it != entry_->targets.end())
      return it->second;
  std::string field = fmt::format("e{}", entry_->fields.size());
  Value v = in.expr(e);
  if (v.type == Type::String) {
    entry_->fields.push_back(fmt::format("char {}[MSTAP_MAXSTRINGLEN];", field));
    in.line(fmt::format("mstap_string_copy(d->{}, {});", field, v.code));
  } else if (v.type == Type::Long) {
    entry_->fields.push_back(fmt::format("s64 {};", field));
    in.line(fmt::format("d->{} = {};", field, v.code));
  } else {
    gen_.internal(e.loc(), "@entry saves a number or a string, not a statistic");
    return {"0", Type::Long};
  }
  Value saved{"d->" + field, v.type};
  if (!key.empty())
    entry_->targets[key] = saved;
  return saved;
}

// ----------------------------------------------------------- expressions

Value BodyEmitter::expr(Expr &e) {
  if (auto *i = dynamic_cast<IntLiteral *>(&e)) {
    return {cInteger(i->value), Type::Long};
  }
  if (auto *s = dynamic_cast<StringLiteral *>(&e))
    return {cStringLiteral(s->value), Type::String};
  if (auto *sym = dynamic_cast<SymbolRef *>(&e)) {
    const Variable *v = sym->var;
    if (v->scope == Variable::Scope::Global) {
      const GlobalInfo &g = global(v);
      if (g.kind != GlobalInfo::Kind::Long && g.kind != GlobalInfo::Kind::String) {
        gen_.internal(e.loc(), fmt::format("'{}' is a statistic or an array here, not a value", v->name));
        return {"0", Type::Long};
      }
    }
    return {varRef(v, false), v->type == Type::String ? Type::String : Type::Long};
  }
  if (auto *ix = dynamic_cast<IndexExpr *>(&e)) {
    const GlobalInfo &g = global(ix->var);
    if (g.kind == GlobalInfo::Kind::PMap) {
      gen_.internal(e.loc(), fmt::format("'{}' holds statistics: read them with @count, @sum, ...", ix->array));
      return {"0", Type::Long};
    }
    std::string k = keys(ix->keys, ix->var->keyTypes);
    std::string ref = varRef(ix->var, false);
    if (ix->var->type == Type::String)
      return {fmt::format("mstap_map_get_string(&{}, {})", ref, k), Type::String};
    return {fmt::format("mstap_map_get_long(&{}, {})", ref, k), Type::Long};
  }
  if (auto *c = dynamic_cast<CallExpr *>(&e))
    return call(*c);
  if (auto *te = dynamic_cast<TargetExpr *>(&e))
    return target(*te);
  if (auto *u = dynamic_cast<UnaryExpr *>(&e)) {
    Value v = expr(*u->operand);
    switch (u->op) {
    case UnaryOp::Not: return {fmt::format("mstap_not({})", v.code), Type::Long};
    case UnaryOp::BitNot: return {fmt::format("(~({}))", v.code), Type::Long};
    case UnaryOp::Negate: return {fmt::format("((s64)(0 - (u64)({})))", v.code), Type::Long};
    case UnaryOp::Plus: return v;
    }
  }
  if (auto *id = dynamic_cast<IncDecExpr *>(&e))
    return incDec(*id);
  if (auto *b = dynamic_cast<BinaryExpr *>(&e))
    return binary(*b);
  if (auto *in = dynamic_cast<InExpr *>(&e)) {
    const GlobalInfo &g = global(in->var);
    bool pmap = g.kind == GlobalInfo::Kind::PMap;
    std::string k = keys(in->keys, in->var->keyTypes);
    std::string ref = varRef(in->var, pmap);
    return {fmt::format("(s64){}(&{}, {})", pmap ? "mstap_pmap_exists" : "mstap_map_exists", ref, k), Type::Long};
  }
  if (auto *t = dynamic_cast<TernaryExpr *>(&e)) {
    Value cond = expr(*t->cond);
    bool str = t->type == Type::String;
    Value result = str ? stringTemp() : Value{longTemp(), Type::Long};
    if (!str)
      line(fmt::format("s64 {};", result.code));
    line(fmt::format("if (mstap_bool({})) {{", cond.code));
    ++indent_;
    Value a = expr(*t->then);
    line(str ? fmt::format("mstap_string_copy({}, {});", result.code, a.code)
             : fmt::format("{} = {};", result.code, a.code));
    --indent_;
    line("} else {");
    ++indent_;
    Value b = expr(*t->otherwise);
    line(str ? fmt::format("mstap_string_copy({}, {});", result.code, b.code)
             : fmt::format("{} = {};", result.code, b.code));
    --indent_;
    line("}");
    return result;
  }
  if (auto *a = dynamic_cast<AssignExpr *>(&e))
    return assign(*a);
  if (auto *at = dynamic_cast<AtExpr *>(&e))
    return this->at(*at);
  gen_.internal(e.loc(), "an expression pass 3 does not know");
  return {"0", Type::Long};
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
    if (auto *sym = dynamic_cast<SymbolRef *>(e.lhs.get())) {
      g = &global(sym->var);
      std::string ref = varRef(sym->var, false); // per CPU: the shared lock suffices
      Value v = expr(*e.rhs);
      line(fmt::format("mstap_pstat_add(&{}, {});", ref, v.code));
      return {v.code, Type::Unknown};
    }
    if (auto *ix = dynamic_cast<IndexExpr *>(e.lhs.get())) {
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
  if (auto *sym = dynamic_cast<SymbolRef *>(e.lhs.get())) {
    std::string ref = varRef(sym->var, true);
    Value v = expr(*e.rhs);
    if (str) {
      if (e.op == AssignOp::Concat) {
        if (dynamic_cast<SymbolRef *>(e.rhs.get()) || dynamic_cast<IndexExpr *>(e.rhs.get()))
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
  if (auto *ix = dynamic_cast<IndexExpr *>(e.lhs.get())) {
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
  if (auto *te = dynamic_cast<TargetExpr *>(e.lhs.get())) { // guru mode: pass 2 checked -g
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
  if (auto *sym = dynamic_cast<SymbolRef *>(e.operand.get())) {
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
  if (auto *ix = dynamic_cast<IndexExpr *>(e.operand.get())) {
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
  if (auto *te = dynamic_cast<TargetExpr *>(e.operand.get())) { // guru mode
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
  if (auto *sym = dynamic_cast<SymbolRef *>(&statExpr)) {
    const GlobalInfo &g = global(sym->var);
    *info = &g;
    return fmt::format("mstap_pstat_read(&{})", varRef(sym->var, true));
  }
  if (auto *ix = dynamic_cast<IndexExpr *>(&statExpr)) {
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

// print, println, printd, printdln, printf and their s- forms. `out` is a
// `struct mstap_out *` expression.
void BodyEmitter::print(CallExpr &e, const std::string &out, bool toString) {
  const Builtin &b = *e.builtin;
  std::string name = b.name;
  if (b.kind == Builtin::Kind::Format) {
    auto *format = dynamic_cast<StringLiteral *>(e.args[0].get());
    std::vector<Value> values = evalInOrder(e.args, 1);
    std::string args;
    for (const Value &v : values)
      args += (args.empty() ? "" : ", ") +
              fmt::format("{}({})", v.type == Type::String ? "mstap_arg_string" : "mstap_arg_long", v.code);
    std::string fmtText = format ? cStringLiteral(format->value) : "\"\"";
    if (values.empty()) {
      line(fmt::format("mstap_format({}, {}, NULL, 0, &c->error);", out, fmtText));
    } else {
      std::string a = fmt::format("a{}", longTemps_++);
      line(fmt::format("struct mstap_arg {}[] = {{ {} }};", a, args));
      line(fmt::format("mstap_format({}, {}, {}, {}, &c->error);", out, fmtText, a, values.size()));
    }
    check(e.loc());
    return;
  }
  bool newline = name == "println" || name == "sprintln" || name == "printdln";
  size_t first = b.kind == Builtin::Kind::Delimited ? 1 : 0;
  std::string delimiter;
  if (first == 1) {
    auto *d = dynamic_cast<StringLiteral *>(e.args[0].get());
    delimiter = d ? cStringLiteral(d->value) : "\"\"";
  }
  // Histograms print in place; other values are evaluated first, in order.
  std::vector<Value> values;
  std::vector<AtExpr *> hists;
  for (size_t i = first; i < e.args.size(); ++i) {
    auto *at = dynamic_cast<AtExpr *>(e.args[i].get());
    bool hist = at && (at->op == AtOp::HistLog || at->op == AtOp::HistLinear);
    hists.push_back(hist ? at : nullptr);
    if (hist) {
      values.push_back({});
      continue;
    }
    Value v = expr(*e.args[i]);
    bool laterModifies = false;
    for (size_t j = i + 1; j < e.args.size(); ++j)
      laterModifies = laterModifies || mayModify(*e.args[j]);
    if (laterModifies)
      v = materialize(v);
    values.push_back(v);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0 && !delimiter.empty())
      line(fmt::format("mstap_out_string({}, {});", out, delimiter));
    if (hists[i]) {
      const GlobalInfo *g = nullptr;
      std::string stat = statOf(*hists[i]->args[0], hists[i]->loc(), &g);
      if (g)
        line(fmt::format("mstap_hist_print({}, {}, &mstap_layout_{}, &c->error);", out, stat, g->member));
      check(hists[i]->loc());
      continue;
    }
    if (values[i].type == Type::String)
      line(fmt::format("mstap_out_string({}, {});", out, values[i].code));
    else
      line(fmt::format("mstap_out_long_aligned({}, {}, 0);", out, values[i].code));
  }
  if (newline)
    line(fmt::format("mstap_out_char({}, '\\n');", out));
  (void)toString;
}

Value BodyEmitter::call(CallExpr &e) {
  if (e.builtin) {
    Value v = builtinCall(e);
    // A built-in without a value used as one (`n && exit()`): as stap, its
    // use gives it a type, and its value is 0 or "".
    if (e.builtin->returnType == Type::Unknown && e.type == Type::Long)
      return {"0LL", Type::Long};
    if (e.builtin->returnType == Type::Unknown && e.type == Type::String)
      return {"\"\"", Type::String};
    return v;
  }
  const FunctionDecl &f = *e.callee;
  callees_.insert(&f);
  std::vector<Value> args = evalInOrder(e.args);
  std::string list = "c";
  Value result{"", Type::Unknown};
  if (f.returnType == Type::String) {
    result = stringTemp();
    list += ", " + result.code;
  }
  for (const Value &a : args)
    list += ", " + a.code;
  std::string fn = "fn_" + f.name;
  if (f.returnType == Type::Long) {
    std::string t = longTemp();
    line(fmt::format("s64 {} = {}({});", t, fn, list));
    result = {t, Type::Long};
  } else {
    line(fmt::format("{}({});", fn, list));
  }
  check(e.loc());
  return result;
}

Value BodyEmitter::builtinCall(CallExpr &e) {
  const Builtin &b = *e.builtin;
  std::string name = b.name;
  if (b.kind != Builtin::Kind::Plain) {
    if (b.returnType == Type::String) { // sprint, sprintln, sprintf
      Value t = stringTemp();
      std::string o = fmt::format("o{}", longTemps_++);
      line(fmt::format("struct mstap_out {};", o));
      line(fmt::format("mstap_out_init_string(&{}, {});", o, t.code));
      print(e, "&" + o, true);
      line(fmt::format("mstap_out_terminate(&{});", o));
      return t;
    }
    print(e, "&c->out", false);
    return {"", Type::Unknown};
  }
  std::vector<Value> a = evalInOrder(e.args);
  auto longCall = [&](const std::string &c) { return Value{c, Type::Long}; };
  auto stringInto = [&](const std::string &fmtCall, bool fallible) {
    Value t = stringTemp();
    line(fmt::format(fmt::runtime(fmtCall), t.code));
    if (fallible)
      check(e.loc());
    return t;
  };
  if (name == "exit") {
    line("mstap_fn_exit(c);");
    return {"", Type::Unknown};
  }
  if (name == "error") {
    line(fmt::format("mstap_fn_error(c, {});", a[0].code));
    check(e.loc());
    return {"", Type::Unknown};
  }
  if (name == "warn" || name == "log") {
    line(fmt::format("mstap_fn_{}(c, {});", name, a[0].code));
    return {"", Type::Unknown};
  }
  if (name == "execname" || name == "probefunc" || name == "pp")
    return stringInto("mstap_fn_" + name + "(c, {});", false);
  if (name == "pid" || name == "tid" || name == "ppid" || name == "uid" || name == "euid" || name == "gid" ||
      name == "cpu" || name == "jiffies" || name == "target" || name.rfind("gettimeofday_", 0) == 0)
    return longCall(fmt::format("mstap_fn_{}(c)", name));
  if (name == "strlen")
    return longCall(fmt::format("(s64)mstap_string_length({})", a[0].code));
  if (name == "substr")
    return stringInto(fmt::format("mstap_string_substr({{}}, {}, {}, {});", a[0].code, a[1].code, a[2].code), false);
  if (name == "isinstr")
    return longCall(fmt::format("mstap_string_isinstr({}, {})", a[0].code, a[1].code));
  if (name == "strtol") {
    std::string t = longTemp();
    line(fmt::format("s64 {} = mstap_string_strtol({}, {}, &c->error);", t, a[0].code, a[1].code));
    check(e.loc());
    return {t, Type::Long};
  }
  if (name == "str_replace")
    return stringInto(fmt::format("mstap_string_replace({{}}, {}, {}, {});", a[0].code, a[1].code, a[2].code),
                      false);
  if (name == "text_str")
    return stringInto(fmt::format("mstap_string_text_str({{}}, {});", a[0].code), false);
  if (name == "kernel_string" || name == "user_string")
    return stringInto(fmt::format("mstap_fn_{}(c, {{}}, {});", name, a[0].code), true);
  if (name == "kernel_long") {
    std::string t = longTemp();
    line(fmt::format("s64 {} = mstap_fn_kernel_long(c, {});", t, a[0].code));
    check(e.loc());
    return {t, Type::Long};
  }
  if (name == "abs") {
    Value v = materialize(a[0]);
    return longCall(fmt::format("({} < 0 ? (s64)(0 - (u64){}) : {})", v.code, v.code, v.code));
  }
  if (name == "min" || name == "max") {
    Value x = materialize(a[0]), y = materialize(a[1]);
    return longCall(fmt::format("({} {} {} ? {} : {})", x.code, name == "min" ? "<" : ">", y.code, x.code, y.code));
  }
  gen_.internal(e.loc(), fmt::format("no translation for the built-in '{}'", name));
  return {"0", Type::Long};
}

// --------------------------------------------------------- the generator

void Generator::collectGlobals() {
  int index = 0;
  for (const Decl &decl : script_.decls) {
    if (decl.kind != Decl::Kind::Global)
      continue;
    for (const GlobalVar &gv : decl.global->vars) {
      const Variable *v = gv.var.get();
      if (!v)
        continue;
      GlobalInfo g;
      g.var = v;
      g.decl = &gv;
      g.index = index++;
      g.member = "g_" + v->name;
      if (auto shape = elaborated_.histograms.find(v); shape != elaborated_.histograms.end())
        g.histogram = shape->second;
      if (v->arity > 0) {
        g.kind = v->type == Type::Stats ? GlobalInfo::Kind::PMap : GlobalInfo::Kind::Map;
        g.capacity = gv.arraySize ? fmt::format("{}", *gv.arraySize) : "MSTAP_MAXMAPENTRIES";
      } else if (v->type == Type::Stats) {
        g.kind = GlobalInfo::Kind::Stat;
      } else if (v->type == Type::String) {
        g.kind = GlobalInfo::Kind::String;
      }
      g.dumped = v->written && !v->read;
      globals_[v] = g;
    }
  }
  for (auto &[v, g] : globals_)
    globalOrder_.push_back(&g);
  std::sort(globalOrder_.begin(), globalOrder_.end(),
            [](const GlobalInfo *a, const GlobalInfo *b) { return a->index < b->index; });
}

std::string Generator::frameStruct(const std::string &name, const BodyEmitter &b,
                                   const std::vector<std::unique_ptr<Variable>> &locals) {
  std::string out = fmt::format("struct {} {{\n", name);
  out += "\ts64 unused_; /* keeps the struct non-empty */\n";
  for (const auto &v : locals) {
    if (v->type == Type::String)
      out += fmt::format("\tchar l_{}[MSTAP_MAXSTRINGLEN];\n", v->name);
    else
      out += fmt::format("\ts64 l_{};\n", v->name);
  }
  for (const std::string &field : b.frameFields_)
    out += "\t" + field + "\n";
  for (int i = 0; i < b.maxStringTemps_; ++i)
    out += fmt::format("\tchar s{}[MSTAP_MAXSTRINGLEN];\n", i);
  return out + "};\n";
}

std::string Generator::functionSignature(const FunctionDecl &f) const {
  std::string params = "struct mstap_context *c";
  if (f.returnType == Type::String)
    params += ", char *ret";
  for (size_t i = 0; i < f.params.size() && i < f.locals.size(); ++i) {
    const Variable &p = *f.locals[i];
    params += p.type == Type::String ? ", const char *a_" + p.name : ", s64 a_" + p.name;
  }
  const char *ret = f.returnType == Type::Long ? "s64" : "void";
  return fmt::format("static __maybe_unused {} fn_{}({})", ret, f.name, params);
}

// The end-of-run listing of globals written and never read, as stap prints
// it: longs in hex, strings quoted, arrays sorted by value, descending.
std::string Generator::dumpHandler(std::vector<int> &locks) {
  std::string body;
  bool any = false;
  int arrays = 0;
  auto line = [&](const std::string &text) { body += "\t" + text + "\n"; };
  // " @count=.. @min=.. @max=.. @sum=.. @avg=..", after `prefix`, of the
  // statistic `s` in scope: the same for a scalar and an array element.
  auto statFields = [&](const std::string &indent, const std::string &prefix) {
    line(indent + "struct mstap_arg a[] = { mstap_arg_long(mstap_stat_count(s)), mstap_arg_long(s->min),");
    line(indent + "\tmstap_arg_long(s->max), mstap_arg_long(mstap_stat_sum(s)),");
    line(indent + "\tmstap_arg_long(mstap_stat_avg(s, &c->error)) };");
    line(fmt::format("{}mstap_format(&c->out, {}, a, 5, &c->error);", indent,
                     cStringLiteral(prefix + " @count=%d @min=%d @max=%d @sum=%d @avg=%d\n")));
  };
  for (const GlobalInfo *g : globalOrder_) {
    if (!g->dumped)
      continue;
    any = true;
    locks.push_back(g->index);
    std::string ref = "mstap_g." + g->member;
    const std::string &name = g->var->name;
    switch (g->kind) {
    case GlobalInfo::Kind::Long:
      line("{");
      line(fmt::format("\tstruct mstap_arg a[] = {{ mstap_arg_long({}) }};", ref));
      line(fmt::format("\tmstap_format(&c->out, {}, a, 1, &c->error);", cStringLiteral(name + "=%#x\n")));
      line("}");
      break;
    case GlobalInfo::Kind::String:
      line("{");
      line(fmt::format("\tmstap_string_text_str(f->text, {});", ref));
      line("\tstruct mstap_arg a[] = { mstap_arg_string(f->text) };");
      line(fmt::format("\tmstap_format(&c->out, {}, a, 1, &c->error);", cStringLiteral(name + "=\"%s\"\n")));
      line("}");
      break;
    case GlobalInfo::Kind::Stat:
      line("{");
      line(fmt::format("\tconst struct mstap_stat *s = mstap_pstat_read(&{});", ref));
      line("\tif (mstap_stat_count(s) == 0) {");
      line(fmt::format("\t\tmstap_out_string(&c->out, {});", cStringLiteral(name + " @count=0x0\n")));
      line("\t} else {");
      statFields("\t\t", name);
      line("\t}");
      line("}");
      break;
    case GlobalInfo::Kind::Map:
    case GlobalInfo::Kind::PMap: {
      bool pmap = g->kind == GlobalInfo::Kind::PMap;
      std::string map = pmap ? ref + ".merged" : ref;
      ++arrays;
      line("{");
      line("\tstruct mstap_map_order order = { -1, 0, MSTAP_STAT_FIELD_COUNT, 0, 0 };");
      line("\tu32 i, n;");
      if (pmap)
        line(fmt::format("\tmstap_pmap_merge_all(&{}, &c->error);", ref));
      line(fmt::format("\tn = mstap_map_sort(&{}, mstap_g.dump_{}_index, &order);", map, g->member));
      line("\tfor (i = 0; i < n && !c->error.message; i++) {");
      line(fmt::format("\t\tstruct mstap_entry *e = mstap_map_entry(&{}, mstap_g.dump_{}_index[i]);", map,
                       g->member));
      line(fmt::format("\t\tmstap_out_string(&c->out, {});", cStringLiteral(name + "[")));
      for (size_t k = 0; k < g->var->keyTypes.size(); ++k) {
        if (k)
          line("\t\tmstap_out_char(&c->out, ',');");
        if (g->var->keyTypes[k] == Type::String) {
          line(fmt::format("\t\tmstap_string_text_str(f->text, mstap_map_entry_string_key(&{}, e, {}));", map, k));
          line("\t\tmstap_out_char(&c->out, '\"');");
          line("\t\tmstap_out_string(&c->out, f->text);");
          line("\t\tmstap_out_char(&c->out, '\"');");
        } else {
          line(fmt::format("\t\tmstap_out_long_aligned(&c->out, mstap_map_entry_long_key(&{}, e, {}), 0);", map, k));
        }
      }
      line("\t\tmstap_out_char(&c->out, ']');");
      if (pmap) {
        line(fmt::format("\t\t{{ const struct mstap_stat *s = mstap_map_entry_stat(&{}, e);", map));
        statFields("\t\t  ", "");
        line("\t\t}");
      } else if (g->var->type == Type::String) {
        line(fmt::format("\t\tmstap_string_text_str(f->text, mstap_map_entry_string(&{}, e));", map));
        line("\t\t{ struct mstap_arg a[] = { mstap_arg_string(f->text) };");
        line(fmt::format("\t\t  mstap_format(&c->out, {}, a, 1, &c->error); }}", cStringLiteral("=\"%s\"\n")));
      } else {
        line(fmt::format("\t\t{{ struct mstap_arg a[] = {{ mstap_arg_long(*mstap_map_entry_long(&{}, e)) }};", map));
        line(fmt::format("\t\t  mstap_format(&c->out, {}, a, 1, &c->error); }}", cStringLiteral("=%#x\n")));
      }
      line("\t}");
      line("}");
      break;
    }
    }
  }
  if (!any)
    return "";
  std::string out = "/* The end of the run: globals written and never read, as stap lists them. */\n";
  out += "struct probe_dump_frame {\n\tchar text[MSTAP_MAXSTRINGLEN];\n};\n\n";
  out += "static void probe_dump_globals(struct mstap_context *c)\n{\n";
  out += "\tstruct probe_dump_frame *f = mstap_frame_push(c, sizeof(*f));\n\n";
  out += "\tif (!f)\n\t\treturn;\n\tc->nesting--; /* a probe's frame is not a call */\n";
  out += body;
  out += "\tmstap_frame_pop(c, sizeof(*f));\n\tc->nesting++;\n}\n\n";
  (void)arrays;
  return out;
}

struct ProbeOut {
  ProbeKind kind = ProbeKind::Never;
  std::string point, function, location, symbol, interval = "0", randomize = "0";
  std::string path;     // uprobes: the program
  uint64_t offset = 0;  // uprobes: the entry's offset in it
  std::string handler;
  std::string entryHandler, entrySize; // kretprobes that save entry values
  int64_t priority = 0;
  bool optional = false;
  std::string locks; // the name of its lock array, or empty
  size_t lockCount = 0;
  int traceArguments = -1; // tracepoints: ResolvedProbe::traceArguments
  std::string hook;        // tracepoints whose handler reads arguments: the generated hook
  // Kprobes whose handler reads no tracepoint arguments and no entry
  // values (it shares no handler with such points): may get a generated
  // pre-handler, which leaves those fields of the context unset.
  bool ownPreHandler = false;
};

// The runtime's name for a probe family (runtime/mstap_probes.h): a new
// ProbeKind without a case here is a compiler warning (-Wswitch).
const char *runtimeKind(ProbeKind kind) {
  switch (kind) {
  case ProbeKind::Begin: return "MSTAP_PROBE_BEGIN";
  case ProbeKind::End: return "MSTAP_PROBE_END";
  case ProbeKind::Error: return "MSTAP_PROBE_ERROR";
  case ProbeKind::Never: break; // never registered
  case ProbeKind::Timer: return "MSTAP_PROBE_TIMER";
  case ProbeKind::Profile: return "MSTAP_PROBE_PROFILE";
  case ProbeKind::Kprobe: return "MSTAP_PROBE_KPROBE";
  case ProbeKind::Kretprobe: return "MSTAP_PROBE_KRETPROBE";
  case ProbeKind::Tracepoint: return "MSTAP_PROBE_TRACEPOINT";
  case ProbeKind::Uprobe: return "MSTAP_PROBE_UPROBE";
  case ProbeKind::Uretprobe: return "MSTAP_PROBE_URETPROBE";
  }
  return "MSTAP_PROBE_NEVER";
}

// The function registered with a tracepoint whose probe reads its
// arguments: declared with exactly the tracepoint's arity, each argument
// (one integer or pointer, as pass 2 checked) as a u64, which on x86-64 is
// how the caller passes it, whole in a register or a stack slot of its own
// (narrower types are converted where they are read). With the exact arity
// the hook reads no register or stack slot the caller did not fill, and
// writes no stack slot the caller did not reserve.
static std::string tracepointHook(const std::string &name, const std::string &point, int arguments) {
  std::string params, values;
  for (int i = 0; i < arguments; ++i) {
    params += fmt::format(", u64 a{}", i);
    values += fmt::format("{}a{}", i ? ", " : "", i);
  }
  return fmt::format("/* {}: called as (data, {} argument{}) */\n"
                     "static void {}(void *data{})\n{{\n"
                     "\tconst u64 args[] = {{ {} }};\n\n"
                     "\tmstap_run_tracepoint((const struct mstap_probe *)data, args, ARRAY_SIZE(args));\n}}\n\n",
                     point, arguments, arguments == 1 ? "" : "s", name, params, values);
}

// A timer's period in nanoseconds, as C (pass 2 bounded it to 64 bits).
static std::string timerNs(const std::string &unit, uint64_t count) {
  if (unit == "s") return fmt::format("{}ULL * 1000000000ULL", count);
  if (unit == "ms") return fmt::format("{}ULL * 1000000ULL", count);
  if (unit == "us") return fmt::format("{}ULL * 1000ULL", count);
  if (unit == "ns") return fmt::format("{}ULL", count);
  if (unit == "jiffies") return fmt::format("{}ULL * (NSEC_PER_SEC / HZ)", count);
  return fmt::format("NSEC_PER_SEC / {}ULL", count); // hz
}

CodegenResult Generator::run() {
  size_t errorsBefore = diags_.errorCount();
  collectGlobals();

  // Script functions first (their access sets feed the probes' locks).
  std::map<const FunctionDecl *, std::unique_ptr<BodyEmitter>> functionBodies;
  std::string functionsText, framesText, prototypes;
  std::vector<std::string> functionFrames, probeFrames;
  for (const Decl &decl : script_.decls) {
    if (decl.kind != Decl::Kind::Function)
      continue;
    const FunctionDecl &f = *decl.function;
    if (!f.body) {
      internal(f.loc(), fmt::format("function '{}' is written in embedded C, which mstap does not translate", f.name));
      continue;
    }
    auto b = std::make_unique<BodyEmitter>(*this, "fn_" + f.name);
    b->isFunction_ = true;
    b->returnType_ = f.returnType;
    b->block(*f.body);
    std::string frame = "fn_" + f.name + "_frame";
    framesText += frameStruct(frame, *b, f.locals);
    functionFrames.push_back(frame);
    prototypes += functionSignature(f) + ";\n";
    std::string text = fmt::format("/* function {} at {}:{}:{} */\n", f.name, scriptName_, f.loc().line,
                                   f.loc().column);
    text += functionSignature(f) + "\n{\n";
    text += fmt::format("\tstruct {} *f = mstap_frame_push(c, sizeof(*f));\n", frame);
    if (f.returnType == Type::Long)
      text += "\ts64 result = 0;\n";
    if (f.returnType == Type::String)
      text += "\tret[0] = '\\0';\n";
    text += "\n\tif (!f)\n";
    text += f.returnType == Type::Long ? "\t\treturn 0;\n" : "\t\treturn;\n";
    for (size_t i = 0; i < f.params.size() && i < f.locals.size(); ++i) {
      const Variable &p = *f.locals[i];
      if (p.type == Type::String)
        text += fmt::format("\tmstap_string_copy(f->l_{}, a_{});\n", p.name, p.name);
      else
        text += fmt::format("\tf->l_{} = a_{};\n", p.name, p.name);
    }
    text += b->body_;
    text += "out: __attribute__((unused));\n";
    for (const std::string &release : b->ownedForeach_)
      text += "\t" + release + "\n";
    text += "\tmstap_frame_pop(c, sizeof(*f));\n";
    if (f.returnType == Type::Long)
      text += "\treturn result;\n";
    text += "}\n\n";
    functionsText += text;
    functionBodies[&f] = std::move(b);
  }

  // Transitive access sets of functions.
  auto closure = [&](const BodyEmitter &start) {
    std::map<int, bool> access = start.access_;
    std::set<const FunctionDecl *> seen;
    std::vector<const FunctionDecl *> work(start.callees_.begin(), start.callees_.end());
    while (!work.empty()) {
      const FunctionDecl *f = work.back();
      work.pop_back();
      if (!seen.insert(f).second)
        continue;
      auto it = functionBodies.find(f);
      if (it == functionBodies.end())
        continue;
      for (auto [g, w] : it->second->access_) {
        auto [slot, inserted] = access.emplace(g, w);
        if (!inserted && w)
          slot->second = true;
      }
      for (const FunctionDecl *callee : it->second->callees_)
        work.push_back(callee);
    }
    return access;
  };

  std::string probesText, lockArrays;
  std::vector<ProbeOut> descriptors;
  size_t probeIndex = 0, resolvedIndex = 0;
  for (const Decl &decl : script_.decls) {
    if (decl.kind != Decl::Kind::Probe)
      continue;
    const ProbeDecl &p = *decl.probe;
    const std::vector<ResolvedProbe> &resolved = elaborated_.probes.at(resolvedIndex++);
    std::vector<ProbeOut> mine;
    std::string firstPoint = resolved.empty() ? "never" : resolved.front().point;
    std::string handler = fmt::format("probe_{}_{}", probeIndex, identifierFrom(firstPoint));
    for (const ResolvedProbe &r : resolved) {
      ProbeOut d;
      d.point = r.point;
      d.location = fmt::format("{}:{}:{}", scriptName_, p.loc().line, p.loc().column);
      d.handler = handler;
      d.optional = r.source && r.source->optional;
      d.kind = r.kind;
      switch (r.kind) {
      case ProbeKind::Never: continue;
      case ProbeKind::Begin:
      case ProbeKind::End:
      case ProbeKind::Error: d.priority = r.priority; break;
      case ProbeKind::Profile: break;
      case ProbeKind::Timer:
        d.interval = timerNs(r.timerUnit, r.timerCount);
        if (r.timerRandomize)
          d.randomize = timerNs(r.timerUnit, r.timerRandomize);
        break;
      case ProbeKind::Tracepoint:
        d.symbol = r.kernel->function;
        d.traceArguments = r.traceArguments;
        break;
      case ProbeKind::Kprobe:
      case ProbeKind::Kretprobe:
        d.symbol = r.kernel->module.empty() ? r.kernel->function : r.kernel->module + ":" + r.kernel->function;
        d.function = r.kernel->function;
        break;
      case ProbeKind::Uprobe:
      case ProbeKind::Uretprobe:
        d.path = r.user->binary;
        d.offset = r.user->offset;
        d.function = r.user->function;
        break;
      }
      mine.push_back(d);
    }
    ++probeIndex;
    if (mine.empty())
      continue;
    BodyEmitter b(*this, handler);
    EntryCapture entry;
    entry.emitter = std::make_unique<BodyEmitter>(*this, handler + "_entry");
    entry.emitter->isEntry_ = true;
    bool anyReturn = false;
    for (const ProbeOut &d : mine)
      anyReturn = anyReturn || d.kind == ProbeKind::Kretprobe || d.kind == ProbeKind::Uretprobe;
    if (anyReturn)
      b.entry_ = &entry;
    for (const ProbeOut &d : mine)
      b.tracepoint_ = b.tracepoint_ || d.kind == ProbeKind::Tracepoint;
    // "probe PP if (cond)": the handler does nothing while cond is false
    // (pass 2 made every point of a declaration share it).
    const ast::Expr *condition = nullptr;
    for (const ProbePoint &pp : p.points)
      if (pp.condition && !condition)
        condition = pp.condition.get();
    if (condition) {
      Value cond = b.expr(*const_cast<ast::Expr *>(condition));
      b.line(fmt::format("if (!mstap_bool({}))", cond.code));
      b.line("\tgoto out;");
    }
    b.block(*p.body);
    std::string frame = handler + "_frame";
    framesText += frameStruct(frame, b, p.locals);
    probeFrames.push_back(frame);
    std::string text = fmt::format("/* probe {} at {}:{}:{} */\n", firstPoint, scriptName_, p.loc().line,
                                   p.loc().column);
    std::string saved = handler + "_saved";
    if (!entry.fields.empty()) {
      // Pass 2 checked the entry handler's rules: only .return points, no
      // globals (it takes no locks), at most 4096 bytes saved.
      if (!closure(*entry.emitter).empty())
        internal(entry.firstUse, "an entry handler that touches globals");
      std::string entryFrame = handler + "_entry_frame";
      framesText += fmt::format("/* What {} saves at entry for its return. */\nstruct {} {{\n", handler, saved);
      for (const std::string &field : entry.fields)
        framesText += "\t" + field + "\n";
      framesText += "};\n";
      framesText += frameStruct(entryFrame, *entry.emitter, p.locals);
      probeFrames.push_back(entryFrame);
      text += fmt::format("static void {}_entry(struct mstap_context *c)\n{{\n", handler);
      text += fmt::format("\tstruct {} *d = c->entry_data;\n", saved);
      text += fmt::format("\tstruct {} *f;\n\n", entryFrame);
      text += "\tif (!d)\n\t\treturn;\n\tf = mstap_frame_push(c, sizeof(*f));\n";
      text += "\tif (!f)\n\t\treturn;\n\tc->nesting--; /* a probe's frame is not a call */\n";
      text += entry.emitter->body_;
      text += "out: __attribute__((unused));\n";
      text += "\tmstap_frame_pop(c, sizeof(*f));\n\tc->nesting++;\n}\n\n";
      for (ProbeOut &d : mine) {
        d.entryHandler = handler + "_entry";
        d.entrySize = fmt::format("sizeof(struct {})", saved);
      }
    }
    // A handler with no locals and no temporaries in memory needs no
    // frame: the hit then costs no frame push and pop (most counting
    // probes are like that).
    bool frameless = p.locals.empty() && b.frameFields_.empty() && b.maxStringTemps_ == 0;
    // inline: a kprobe's generated pre-handler may take the body in
    // (the compiler still decides by size); the kernel's `inline` is also
    // notrace, so the handler is not itself an ftrace site.
    text += fmt::format("static inline void {}(struct mstap_context *c)\n{{\n", handler);
    if (!entry.fields.empty()) {
      text += fmt::format("\tstruct {} *d = c->entry_data;\n", saved);
      if (!frameless)
        text += fmt::format("\tstruct {} *f;\n", frame);
      text += "\n\tif (!d)\n\t\treturn;\n";
      if (!frameless)
        text += "\tf = mstap_frame_push(c, sizeof(*f));\n";
    } else if (!frameless) {
      text += fmt::format("\tstruct {} *f = mstap_frame_push(c, sizeof(*f));\n\n", frame);
    }
    if (!frameless)
      text += "\tif (!f)\n\t\treturn;\n\tc->nesting--; /* a probe's frame is not a call */\n";
    text += b.body_;
    text += "out: __attribute__((unused));\n";
    for (const std::string &release : b.ownedForeach_)
      text += "\t" + release + "\n";
    if (!frameless)
      text += "\tmstap_frame_pop(c, sizeof(*f));\n\tc->nesting++;\n";
    text += "}\n\n";
    probesText += text;
    std::map<int, bool> access = closure(b);
    std::string locks;
    if (!access.empty()) {
      std::string name = handler + "_locks";
      lockArrays += fmt::format("static const struct mstap_lock_use {}[] = {{", name);
      bool first = true;
      for (auto [g, w] : access) {
        lockArrays += fmt::format("{} {{ {}, {} }}", first ? "" : ",", g, w ? 1 : 0);
        first = false;
      }
      lockArrays += " };\n";
      locks = name;
    }
    for (ProbeOut &d : mine) {
      d.locks = locks;
      d.lockCount = access.size();
      if (d.kind == ProbeKind::Tracepoint && b.readsTargets_ && d.traceArguments > 0) {
        d.hook = fmt::format("{}_hook_{}", handler, &d - mine.data());
        probesText += tracepointHook(d.hook, d.point, d.traceArguments);
      }
      d.ownPreHandler = !b.tracepoint_ && entry.fields.empty();
      descriptors.push_back(d);
    }
  }

  std::vector<int> dumpLocks;
  std::string dumpText = dumpHandler(dumpLocks);
  if (!dumpText.empty()) {
    ProbeOut d;
    d.kind = ProbeKind::End;
    d.point = "end";
    d.location = fmt::format("{}:1:1", scriptName_);
    d.handler = "probe_dump_globals";
    d.priority = 0; // stap's listing is an end probe of priority 0 after the script's own
    lockArrays += "static const struct mstap_lock_use probe_dump_globals_locks[] = {";
    for (size_t i = 0; i < dumpLocks.size(); ++i)
      lockArrays += fmt::format("{} {{ {}, 1 }}", i ? "," : "", dumpLocks[i]);
    lockArrays += " };\n";
    d.locks = "probe_dump_globals_locks";
    d.lockCount = dumpLocks.size();
    descriptors.push_back(d);
    probeFrames.push_back("probe_dump_frame");
  }

  if (diags_.errorCount() != errorsBefore)
    return {};
  bool anyRunnable = false;
  for (const ProbeOut &d : descriptors)
    anyRunnable = anyRunnable || d.handler != "probe_dump_globals";
  if (!anyRunnable) {
    internal({}, "no probes to run: every probe of the script is 'never'");
    return {};
  }

  // ---------------------------------------------------------- assembly
  std::string out;
  out += fmt::format("/* Generated by mstap from {}: the script's logic; the rest is in runtime/. */\n",
                     scriptName_);
  out += "#include \"mstap_module.h\"\n\n";
  out += "/* Temporaries are declared where they are computed, like the script reads. */\n";
  out += "#pragma GCC diagnostic ignored \"-Wdeclaration-after-statement\"\n\n";
  out += "/* An error noticed after a runtime call: record where, unwind. */\n";
  out += "#define MSTAP_CHECK(location, label) \\\n"
         "\tdo { if (unlikely(c->error.message)) { mstap_locate(c, location); goto label; } } while (0)\n";
  out += "/* One statement run: MAXACTION bounds the work of a probe hit. */\n";
  out += "#define MSTAP_ACTION(location, label) \\\n"
         "\tdo { if (unlikely(!mstap_actions(c, 1))) { mstap_locate(c, location); goto label; } } while (0)\n\n";

  // Globals.
  out += "/* The script's globals; each has a lock, taken by the runtime before a handler runs. */\n";
  std::string layouts;
  out += "struct mstap_globals {\n\ts64 unused_;\n";
  for (const GlobalInfo *g : globalOrder_) {
    switch (g->kind) {
    case GlobalInfo::Kind::Long: out += fmt::format("\ts64 {};\n", g->member); break;
    case GlobalInfo::Kind::String: out += fmt::format("\tchar {}[MSTAP_MAXSTRINGLEN];\n", g->member); break;
    case GlobalInfo::Kind::Stat:
      out += fmt::format("\tstruct mstap_pstat {};\n", g->member);
      layouts += fmt::format("static const struct mstap_stat_layout mstap_layout_{} = {};\n", g->member,
                             statLayoutInit(g->histogram));
      break;
    case GlobalInfo::Kind::Map:
    case GlobalInfo::Kind::PMap: {
      bool pmap = g->kind == GlobalInfo::Kind::PMap;
      out += fmt::format("\tstruct {} {};\n", pmap ? "mstap_pmap" : "mstap_map", g->member);
      if (pmap)
        layouts += fmt::format("static const struct mstap_stat_layout mstap_layout_{} = {};\n", g->member,
                               statLayoutInit(g->histogram));
      std::string keyTypes;
      for (size_t k = 0; k < g->var->keyTypes.size(); ++k)
        keyTypes += (k ? ", " : "") + std::string(keyTypeC(g->var->keyTypes[k]));
      const char *valueType = pmap ? "MSTAP_TYPE_STAT"
                              : g->var->type == Type::String ? "MSTAP_TYPE_STRING"
                                                             : "MSTAP_TYPE_LONG";
      layouts += fmt::format("static const struct mstap_map_layout mstap_map_layout_{} = {{ {}, {{ {} }}, {}, {} }};\n",
                             g->member, g->var->keyTypes.size(), keyTypes, valueType,
                             pmap ? "&mstap_layout_" + g->member : "NULL");
      if (g->dumped)
        out += fmt::format("\tu32 *dump_{}_index;\n", g->member);
      break;
    }
    }
  }
  for (const ForeachInfo &fe : foreaches_) {
    out += fmt::format("\tu32 *foreach_{}_index; /* per CPU: {} entries each */\n", fe.id, fe.global->capacity);
    out += fmt::format("\tu8 *foreach_{}_busy;\n", fe.id);
  }
  out += "};\nstatic struct mstap_globals mstap_g __maybe_unused;\n";
  out += layouts + "\n";

  out += "/* Frames: the locals and string temporaries of each handler and function. */\n";
  out += framesText + "\n";
  if (!prototypes.empty())
    out += prototypes + "\n";
  out += functionsText;
  out += probesText;
  out += dumpText;

  // Descriptors.
  out += lockArrays + "\n";
  std::stable_sort(descriptors.begin(), descriptors.end(), [](const ProbeOut &a, const ProbeOut &b) {
    auto rank = [](const ProbeOut &p) { return p.kind == ProbeKind::Begin ? 0 : 1; };
    return rank(a) < rank(b);
  });
  // Kprobes get a pre-handler of their own that runs the hit with the
  // descriptor and handler as constants: the compiler folds the lock list
  // and calls (or inlines) the handler directly, which roughly halves a
  // hit's cost against the runtime's generic path. A wildcard probe
  // matching many functions keeps the generic path: one copy per point
  // would bloat the module.
  constexpr size_t kMaxInlinedPoints = 8;
  std::map<std::string, size_t> kprobePoints;
  for (const ProbeOut &d : descriptors)
    if (d.kind == ProbeKind::Kprobe)
      ++kprobePoints[d.handler];
  std::vector<std::string> preHandlers(descriptors.size());
  std::string preHandlerText;
  for (size_t i = 0; i < descriptors.size(); ++i) {
    const ProbeOut &d = descriptors[i];
    if (d.kind != ProbeKind::Kprobe || !d.ownPreHandler || kprobePoints[d.handler] > kMaxInlinedPoints)
      continue;
    preHandlers[i] = fmt::format("{}_kprobe{}", d.handler, i);
    out += fmt::format("static int {}(struct kprobe *kp, struct pt_regs *regs);\n", preHandlers[i]);
    preHandlerText += fmt::format("static int {}(struct kprobe *kp, struct pt_regs *regs)\n{{\n"
                                  "\tmstap_kprobe_hit(&mstap_probes[{}], {}, regs, mstap_locks, ARRAY_SIZE(mstap_locks));\n"
                                  "\treturn 0;\n}}\n"
                                  "NOKPROBE_SYMBOL({});\n\n",
                                  preHandlers[i], i, d.handler, preHandlers[i]);
  }
  if (!preHandlerText.empty())
    out += "\n";
  out += "static const struct mstap_probe mstap_probes[] = {\n";
  for (size_t i = 0; i < descriptors.size(); ++i) {
    const ProbeOut &d = descriptors[i];
    out += fmt::format("\t{{ .kind = {}, .point = {}, .function = {}, .location = {},\n", runtimeKind(d.kind),
                       cStringLiteral(d.point), cStringLiteral(d.function), cStringLiteral(d.location));
    out += fmt::format("\t  .handler = {}, .priority = {},", d.handler,
                       d.priority == INT64_MAX ? std::string("S64_MAX") : cInteger(d.priority));
    if (!d.symbol.empty())
      out += fmt::format(" .symbol = {},", cStringLiteral(d.symbol));
    if (d.interval != "0")
      out += fmt::format(" .interval_ns = {}, .randomize_ns = {},", d.interval, d.randomize);
    if (!d.path.empty())
      out += fmt::format(" .path = {}, .offset = {:#x}ULL,", cStringLiteral(d.path), d.offset);
    out += fmt::format(" .optional = {},", d.optional ? 1 : 0);
    if (!d.hook.empty())
      out += fmt::format(" .tracepoint_hook = (void *){},", d.hook);
    if (!d.locks.empty())
      out += fmt::format("\n\t  .locks = {}, .lock_count = {},", d.locks, d.lockCount);
    if (!d.entryHandler.empty())
      out += fmt::format("\n\t  .entry_handler = {}, .entry_data_size = {},", d.entryHandler, d.entrySize);
    if (!preHandlers[i].empty())
      out += fmt::format("\n\t  .kprobe_handler = {},", preHandlers[i]);
    out += " },\n";
  }
  out += "};\n\n";
  out += fmt::format("static struct mstap_rwlock mstap_locks[{}];\n\n", std::max<size_t>(1, globalOrder_.size()));
  out += preHandlerText;

  // Init and free.
  out += "static int mstap_init_globals(struct mstap_error *error)\n{\n\tint rc = 0;\n\n";
  for (const GlobalInfo *g : globalOrder_) {
    std::string ref = "mstap_g." + g->member;
    switch (g->kind) {
    case GlobalInfo::Kind::Long:
      if (auto *lit = g->decl->init ? dynamic_cast<IntLiteral *>(g->decl->init.get()) : nullptr)
        out += fmt::format("\t{} = {};\n", ref, cInteger(lit->value));
      break;
    case GlobalInfo::Kind::String:
      if (auto *lit = g->decl->init ? dynamic_cast<StringLiteral *>(g->decl->init.get()) : nullptr)
        out += fmt::format("\tmstap_string_copy({}, {});\n", ref, cStringLiteral(lit->value));
      break;
    case GlobalInfo::Kind::Stat:
      out += fmt::format("\trc = rc ? rc : mstap_pstat_create(&{}, &mstap_layout_{}, error);\n", ref, g->member);
      break;
    case GlobalInfo::Kind::Map:
      out += fmt::format("\trc = rc ? rc : mstap_map_create(&{}, &mstap_map_layout_{}, {}, error);\n", ref,
                         g->member, g->capacity);
      break;
    case GlobalInfo::Kind::PMap:
      out += fmt::format("\trc = rc ? rc : mstap_pmap_create(&{}, &mstap_map_layout_{}, {}, error);\n", ref,
                         g->member, g->capacity);
      break;
    }
    if (g->decl->arraySize && (g->kind == GlobalInfo::Kind::Map || g->kind == GlobalInfo::Kind::PMap))
      out += fmt::format("\tif (!rc)\n\t\t{}(&{}, {});\n",
                         g->kind == GlobalInfo::Kind::PMap ? "mstap_pmap_declare_size" : "mstap_map_declare_size", ref,
                         cStringLiteral(fmt::format("Array overflow, check size limit ({})", *g->decl->arraySize)));
    if (g->dumped && (g->kind == GlobalInfo::Kind::Map || g->kind == GlobalInfo::Kind::PMap)) {
      out += fmt::format("\tmstap_g.dump_{}_index = mstap_alloc_zeroed(sizeof(u32) * {});\n", g->member, g->capacity);
      out += fmt::format("\tif (!mstap_g.dump_{}_index && !rc)\n\t\trc = mstap_raise(error, -ENOMEM, \"out of memory "
                         "for an array listing\");\n",
                         g->member);
    }
  }
  for (const ForeachInfo &fe : foreaches_) {
    out += fmt::format("\tmstap_g.foreach_{}_index = mstap_alloc_zeroed(sizeof(u32) * {} * mstap_cpu_count());\n",
                       fe.id, fe.global->capacity);
    out += fmt::format("\tmstap_g.foreach_{}_busy = mstap_alloc_zeroed(mstap_cpu_count());\n", fe.id);
    out += fmt::format("\tif ((!mstap_g.foreach_{0}_index || !mstap_g.foreach_{0}_busy) && !rc)\n"
                       "\t\trc = mstap_raise(error, -ENOMEM, \"out of memory for a foreach\");\n",
                       fe.id);
  }
  out += "\treturn rc;\n}\n\n";
  out += "static void mstap_free_globals(void)\n{\n";
  for (const GlobalInfo *g : globalOrder_) {
    std::string ref = "mstap_g." + g->member;
    if (g->kind == GlobalInfo::Kind::Stat)
      out += fmt::format("\tmstap_pstat_destroy(&{});\n", ref);
    if (g->kind == GlobalInfo::Kind::Map)
      out += fmt::format("\tmstap_map_destroy(&{});\n", ref);
    if (g->kind == GlobalInfo::Kind::PMap)
      out += fmt::format("\tmstap_pmap_destroy(&{});\n", ref);
    if (g->dumped && (g->kind == GlobalInfo::Kind::Map || g->kind == GlobalInfo::Kind::PMap))
      out += fmt::format("\tmstap_free(mstap_g.dump_{}_index);\n", g->member);
  }
  for (const ForeachInfo &fe : foreaches_) {
    out += fmt::format("\tmstap_free(mstap_g.foreach_{}_index);\n", fe.id);
    out += fmt::format("\tmstap_free(mstap_g.foreach_{}_busy);\n", fe.id);
  }
  out += "}\n\n";

  // The frame stack: the largest probe frame, then MAXNESTING function frames.
  out += "union mstap_probe_frames {\n";
  for (const std::string &f : probeFrames)
    out += fmt::format("\tstruct {} {};\n", f, f);
  out += "};\n";
  out += "union mstap_function_frames {\n\ts64 none;\n";
  for (const std::string &f : functionFrames)
    out += fmt::format("\tstruct {} {};\n", f, f);
  out += "};\n\n";
  out += "static const struct mstap_script mstap_script = {\n";
  out += fmt::format("\t.name = {},\n", cStringLiteral(scriptName_));
  out += "\t.probes = mstap_probes,\n\t.probe_count = ARRAY_SIZE(mstap_probes),\n";
  out += fmt::format("\t.locks = mstap_locks,\n\t.lock_count = {},\n", globalOrder_.size());
  out += "\t.init_globals = mstap_init_globals,\n\t.free_globals = mstap_free_globals,\n";
  out += "\t.frame_bytes = sizeof(union mstap_probe_frames) +\n"
         "\t\t(functionFramesNeeded) * sizeof(union mstap_function_frames),\n";
  out += "};\n\nMSTAP_MODULE_MAIN(mstap_script)\n";
  std::string nesting = functionFrames.empty() ? "0" : "MSTAP_MAXNESTING";
  size_t at = out.find("(functionFramesNeeded)");
  out.replace(at, std::string("(functionFramesNeeded)").size(), "(" + nesting + ")");
  return {true, out};
}

} // namespace

CodegenResult generateC(const Script &script, const ElaborateResult &elaborated, const std::string &scriptName,
                        Diagnostics &diags) {
  Generator gen(script, elaborated, scriptName, diags);
  return gen.run();
}

} // namespace mstap::codegen
