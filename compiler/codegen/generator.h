// Pass 3's own declarations, shared by its files: the generator of the
// module, the emitter of one body, and the records of the layout they
// share. Internal to compiler/codegen (codegen.h is the pass's interface).
//
// The files: codegen.cpp (helpers, generateC), statements.cpp,
// expressions.cpp, targets.cpp (target variables and entry values),
// calls.cpp (print and the built-ins), globals.cpp (the globals' layout,
// frames, the dump of unread globals), module.cpp (the translation's order
// and the module's sections).
#pragma once

#include "codegen/codegen.h"

#include "ast/printer.h"
#include "ast/walk.h"
#include "sema/builtins.h"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace mstap::codegen {

using namespace ast;

// A C identifier made from arbitrary text: letters and digits kept, the rest '_'.
std::string identifierFrom(const std::string &text, size_t limit = 40);
const char *keyTypeC(Type t);
// The one spelling of a 64-bit integer in the C.
std::string cInteger(int64_t value);
// The C initialiser of a statistic's layout.
// A statistic's layout initializer; with `varianceShift` >= 0 it keeps
// the terms of @variance, computed with that bit shift.
std::string statLayoutInit(const HistogramShape &h, int varianceShift);


// ------------------------------------------------------------ globals

struct GlobalInfo {
  const Variable *var = nullptr;
  const GlobalVar *decl = nullptr;
  int index = 0;              // its lock
  std::string member;         // in struct mstap_globals
  enum class Kind { Long, String, Stat, Map, PMap } kind = Kind::Long;
  HistogramShape histogram; // from pass 2
  int varianceShift = -1;     // from pass 2: >= 0 when @variance reads it
  std::string capacity;       // C expression, arrays only
  bool dumped = false;        // written, never read: printed at the end
};



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
  void loop(SourceLoc at, Expr *init, Expr *cond, Expr *step, Stmt &body);
  void discarded(Expr &e);
  void discard(const Value &v);
  Value symbol(SymbolRef &e);
  Value element(IndexExpr &e);
  Value unary(UnaryExpr &e);
  Value membership(InExpr &e);
  Value ternary(TernaryExpr &e);
  Value assign(AssignExpr &e);
  Value incDec(IncDecExpr &e);
  Value call(CallExpr &e);
  Value builtinCall(CallExpr &e);
  Value binary(BinaryExpr &e);
  Value at(AtExpr &e);
  Value embedded(EmbeddedExpr &e);
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

// One probe point to register: its descriptor, as pass 3 writes it.
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

class Generator {
public:
  // The file a location is in as users name it: the script's name as given,
  // or a library script's path.
  std::string fileOf(SourceLoc at) const {
    return at.file && at.file != script_.file ? at.file->name() : scriptName_;
  }
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
  // Translation, in order: layouts, then bodies (which record what they
  // touch), then the module's sections from what they recorded.
  void collectGlobals();
  void translateFunctions();
  void translateProbes();
  void addDumpProbe();
  std::map<int, bool> closure(const BodyEmitter &start) const;
  std::string prologue() const;
  std::string globalsSection() const;
  std::string bodiesSection() const;
  std::string descriptorsSection();
  std::string initAndFree() const;
  std::string frameStack() const;
  std::string frameStruct(const std::string &name, const BodyEmitter &b,
                          const std::vector<std::unique_ptr<Variable>> &locals);
  std::string emitFunction(const FunctionDecl &f, BodyEmitter &b);
  std::string dumpHandler(std::vector<int> &locks);
  std::string functionSignature(const FunctionDecl &f) const;
  void translateEmbeddedFunction(const FunctionDecl &f);

  const ElaborateResult &elaborated_;
  Diagnostics &diags_;

  // What the bodies produced, for the sections.
  std::map<const FunctionDecl *, std::unique_ptr<BodyEmitter>> functionBodies;
  std::string embeddedText, functionsText, framesText, prototypes, probesText, lockArrays, dumpText;
  std::vector<std::string> functionFrames, probeFrames;
  std::vector<ProbeOut> descriptors;
};

} // namespace mstap::codegen
