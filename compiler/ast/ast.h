// mstap's own syntax tree: what pass 1 produces and every later pass reads.
// Nodes own their children; each carries the source range it came from.
#pragma once

#include "support/source.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mstap::ast {

enum class Type { Unknown, Long, String, Stats };
const char *typeName(Type type);

class Visitor;
struct FunctionDecl;

// A variable, as pass 2 resolves it: globals are declared, locals and
// parameters belong to one probe or function. Pass 1 leaves these unset.
struct Variable {
  enum class Scope { Global, Local, Param } scope = Scope::Local;
  std::string name;
  Type type = Type::Unknown;   // the value's type; for an array, its elements'
  SourceLoc typeLoc;           // where that type was first inferred (for notes)
  int arity = -1;              // -1 not yet known, 0 a scalar, N an array with N keys
  std::vector<Type> keyTypes;  // one per key, for arrays
  SourceLoc loc;               // its declaration, or first use for locals
  bool read = false, written = false;
  const SourceFile *privateTo = nullptr; // a private global: the one file that sees it
};

struct Node {
  SourceRange range;
  SourceLoc loc() const { return range.begin; }
};

// What each node is, for a `switch` that the compiler checks is complete
// (-Wswitch): a pass that dispatches on kind() is told of every new kind.
enum class ExprKind {
  IntLiteral, StringLiteral, SymbolRef, IndexExpr, CallExpr, TargetExpr, UnaryExpr, IncDecExpr, BinaryExpr, InExpr, TernaryExpr, AssignExpr, AtExpr, EmbeddedExpr,
};
enum class StmtKind {
  BlockStmt, NullStmt, ExprStmt, IfStmt, WhileStmt, ForStmt, ForeachStmt, BreakStmt, ContinueStmt, NextStmt, ReturnStmt, DeleteStmt, TryStmt,
};

// ----------------------------------------------------------- expressions

struct Expr : Node {
  explicit Expr(ExprKind k) : kind(k) {}
  virtual ~Expr() = default;
  virtual void accept(Visitor &v) = 0;
  const ExprKind kind;
  Type type = Type::Unknown; // set by pass 2
};
using ExprPtr = std::unique_ptr<Expr>;
using ExprList = std::vector<ExprPtr>;

#define MSTAP_EXPR(T)                                                                                          \
  static constexpr ExprKind Kind = ExprKind::T;                                                                \
  T() : Expr(Kind) {}                                                                                          \
  void accept(Visitor &v) override;
#define MSTAP_STMT(T)                                                                                          \
  static constexpr StmtKind Kind = StmtKind::T;                                                                \
  T() : Stmt(Kind) {}                                                                                          \
  void accept(Visitor &v) override;

struct IntLiteral : Expr {
  int64_t value = 0;
  MSTAP_EXPR(IntLiteral)
};

struct StringLiteral : Expr {
  std::string value; // the bytes the literal denotes, escapes decoded
  MSTAP_EXPR(StringLiteral)
};

// A plain name: a local, a global or a function parameter.
struct SymbolRef : Expr {
  std::string name;
  Variable *var = nullptr; // pass 2
  MSTAP_EXPR(SymbolRef)
};

// a[k1, k2]: arrays are always named globals (or locals, for pass 2 to reject).
struct IndexExpr : Expr {
  std::string array;
  Variable *var = nullptr; // pass 2
  ExprList keys;
  MSTAP_EXPR(IndexExpr)
};

struct Builtin;
struct CallExpr : Expr {
  std::string function;
  FunctionDecl *callee = nullptr;    // pass 2: a script function, or
  const Builtin *builtin = nullptr;  // a built-in one
  ExprList args;
  MSTAP_EXPR(CallExpr)
};

// $name, $$parms, $return, and the chain after them: ->field, [index].
struct TargetExpr : Expr {
  struct Component {
    std::string member;  // "->member" (or ".member") when non-empty
    ExprPtr index;       // "[index]" otherwise
    bool dot = false;    // the member was written ".member"
    SourceLoc loc;
  };
  std::string name; // as written, with its '$' or '$$' (and a trailing '$' pretty-print mark); "@cast"...
  std::vector<Component> components;
  // @cast(operand, "castType"[, "castModule"]), @container_of(operand,
  // "castType", containerMember) and @module_container_of(operand,
  // "castModule", "castType", containerMember) as the chain's base (`name`
  // is the operator): `operand` is the address of a castType, or of its
  // member containerMember. Null for $name chains.
  ExprPtr castOperand;
  std::string castType, castModule; // castModule empty: the probe's module, else "kernel"
  std::string containerMember;
  // "&" in front: the address the chain ends at, not the value there.
  bool addressOf = false;
  bool isCast() const { return castOperand != nullptr; }
  MSTAP_EXPR(TargetExpr)
};

enum class UnaryOp { Not, BitNot, Negate, Plus };
const char *spelling(UnaryOp op);

struct UnaryExpr : Expr {
  UnaryOp op;
  ExprPtr operand;
  MSTAP_EXPR(UnaryExpr)
};

// ++x, --x, x++, x--
struct IncDecExpr : Expr {
  bool increment = true;
  bool prefix = true;
  ExprPtr operand;
  MSTAP_EXPR(IncDecExpr)
};

enum class BinaryOp {
  Mul, Div, Mod,
  Add, Sub, Concat,
  Shl, Shr, UShr, // UShr: ">>>", the right shift that fills with zeros
  Eq, Ne, Lt, Le, Gt, Ge,
  BitAnd, BitXor, BitOr,
  LogAnd, LogOr,
};
const char *spelling(BinaryOp op);

struct BinaryExpr : Expr {
  BinaryOp op;
  ExprPtr lhs, rhs;
  MSTAP_EXPR(BinaryExpr)
};

// k in a, [k1, k2] in a
struct InExpr : Expr {
  ExprList keys;
  std::string array;
  Variable *var = nullptr; // pass 2
  MSTAP_EXPR(InExpr)
};

struct TernaryExpr : Expr {
  ExprPtr cond, then, otherwise;
  MSTAP_EXPR(TernaryExpr)
};

enum class AssignOp {
  Assign, Add, Sub, Mul, Div, Mod, Shl, Shr, BitAnd, BitXor, BitOr, Concat,
  Aggregate, // "<<<": add a value to a statistic
};
const char *spelling(AssignOp op);

struct AssignExpr : Expr {
  AssignOp op;
  ExprPtr lhs, rhs;
  MSTAP_EXPR(AssignExpr)
};

// The @-operators: statistics extractors, @defined and @entry.
// @variance(s[, shift]): its optional second argument is a number literal,
// the bit shift the statistic's variance is computed with.
enum class AtOp { Count, Sum, Min, Max, Avg, HistLog, HistLinear, Defined, Entry, Variance };
const char *spelling(AtOp op); // "@count", ...
std::optional<AtOp> atOpNamed(const std::string &name);

struct AtExpr : Expr {
  AtOp op;
  ExprList args;
  MSTAP_EXPR(AtExpr)
};

// %{ C expression %} (guru mode, or a library script): a long, or a string
// when the text holds the pragma /* string */, as in stap.
struct EmbeddedExpr : Expr {
  std::string code;
  MSTAP_EXPR(EmbeddedExpr)
};

// ------------------------------------------------------------ statements

struct Stmt : Node {
  explicit Stmt(StmtKind k) : kind(k) {}
  virtual ~Stmt() = default;
  virtual void accept(Visitor &v) = 0;
  const StmtKind kind;
};
using StmtPtr = std::unique_ptr<Stmt>;

struct BlockStmt : Stmt {
  std::vector<StmtPtr> statements;
  MSTAP_STMT(BlockStmt)
};

struct NullStmt : Stmt {
  MSTAP_STMT(NullStmt)
};

struct ExprStmt : Stmt {
  ExprPtr expr;
  MSTAP_STMT(ExprStmt)
};

struct IfStmt : Stmt {
  ExprPtr cond;
  StmtPtr then;
  StmtPtr otherwise; // may be null
  MSTAP_STMT(IfStmt)
};

struct WhileStmt : Stmt {
  ExprPtr cond;
  StmtPtr body;
  MSTAP_STMT(WhileStmt)
};

struct ForStmt : Stmt {
  ExprPtr init, cond, step; // each may be null
  StmtPtr body;
  MSTAP_STMT(ForStmt)
};

enum class SortOrder { None, Ascending, Descending };

struct ForeachStmt : Stmt {
  struct Key {
    std::string name;
    SortOrder sort = SortOrder::None;
    SourceLoc loc;
  };
  std::string valueVar;       // "v" in "foreach (v = [k] in a)"; empty when absent
  SourceLoc valueLoc;
  std::vector<Key> keys;
  bool bracketedKeys = false; // "[k]" rather than "k"
  std::string array;
  SourceLoc arrayLoc;
  SortOrder valueSort = SortOrder::None; // the mark on the array or value: sort by value
  std::optional<AtOp> sortAggregate;     // foreach (k in s @sum-): by which extractor
  ExprPtr limit;              // may be null
  StmtPtr body;
  // pass 2
  Variable *arrayVar = nullptr, *valueVarRef = nullptr;
  std::vector<Variable *> keyVars;
  MSTAP_STMT(ForeachStmt)
};

struct BreakStmt : Stmt {
  MSTAP_STMT(BreakStmt)
};
struct ContinueStmt : Stmt {
  MSTAP_STMT(ContinueStmt)
};
struct NextStmt : Stmt {
  MSTAP_STMT(NextStmt)
};

struct ReturnStmt : Stmt {
  ExprPtr value; // may be null
  MSTAP_STMT(ReturnStmt)
};

struct DeleteStmt : Stmt {
  ExprPtr target;
  MSTAP_STMT(DeleteStmt)
};

struct TryStmt : Stmt {
  std::unique_ptr<BlockStmt> body;
  std::string catchVar; // empty when "catch" has no variable
  SourceLoc catchVarLoc;
  std::unique_ptr<BlockStmt> handler;
  Variable *catchVarRef = nullptr; // pass 2
  MSTAP_STMT(TryStmt)
};

#undef MSTAP_EXPR
#undef MSTAP_STMT

// ---------------------------------------------------------- declarations

struct GlobalVar : Node {
  std::string name;
  std::unique_ptr<Variable> var; // pass 2
  std::optional<int64_t> arraySize; // global a[100]
  bool wrap = false;                // global a%: when full, adding replaces the oldest element
  const SourceFile *privateTo = nullptr; // private global a: the one file that sees it
  ExprPtr init;                     // a literal, or null
};

struct Param : Node {
  std::string name;
  Type type = Type::Unknown;
};

struct FunctionDecl : Node {
  std::string name;
  const SourceFile *privateTo = nullptr; // private function: the one file that may call it
  Type returnType = Type::Unknown;
  std::vector<Param> params;
  std::unique_ptr<BlockStmt> body; // null when the body is embedded C
  std::optional<std::string> embeddedCode; // the text between %{ and %}
  // pass 2
  std::vector<std::unique_ptr<Variable>> locals; // parameters first
  SourceLoc returnTypeLoc;
  bool overloaded = false; // another function has its name (and another arity)
  // The C function pass 3 writes: fn_NAME, or fn_NAME__Nargs for an overload.
  std::string cName() const {
    return "fn_" + name + (overloaded ? "__" + std::to_string(params.size()) + "args" : "");
  }
};

struct ProbePoint : Node {
  struct Component {
    std::string name;
    // The literal parameter, if any: a number or a string.
    std::optional<int64_t> number;
    std::optional<std::string> string;
    SourceLoc loc;
  };
  std::vector<Component> components;
  bool optional = false;   // "?": no error when it matches nothing
  bool sufficient = false; // "!": stop at the first alternative that matches
  ExprPtr condition;       // "if (expr)", or null
};

struct ProbeDecl : Node {
  std::vector<ProbePoint> points;
  std::unique_ptr<BlockStmt> body;
  // A probe made from a probe on an alias: the alias name as the script's
  // point matched it ("syscall.read" for "syscall.*"), for -l and -L.
  std::string alias;
  std::vector<std::unique_ptr<Variable>> locals; // pass 2
};

// probe NAME[, NAME...] = POINT[, POINT...] { prologue }, or "+=" with an
// epilogue: the names stand for the points, and a probe on a name runs the
// alias's body before (or, for "+=", after) its own, in one scope.
struct AliasDecl : Node {
  std::vector<ProbePoint> names; // plain components: no marks, conditions or wildcards
  std::vector<ProbePoint> points;
  std::unique_ptr<BlockStmt> body;
  bool epilogue = false; // "+="
};

struct GlobalDecl : Node {
  std::vector<GlobalVar> vars;
};

struct EmbeddedDecl : Node {
  std::string code;
};

// The declarations of a script, in source order.
struct Decl {
  enum class Kind { Global, Function, Probe, Alias, Embedded } kind;
  // The file the declaration came from: what 'private' declarations are
  // private to, once a script is more than one file.
  const SourceFile *file = nullptr;
  std::unique_ptr<GlobalDecl> global;
  std::unique_ptr<FunctionDecl> function;
  std::unique_ptr<ProbeDecl> probe;
  std::unique_ptr<AliasDecl> alias;
  std::unique_ptr<EmbeddedDecl> embedded;
  // The declaration comes from a library script (tapset/, -I), not the
  // user's: embedded C is allowed there without -g, as in stap.
  bool fromLibrary = false;
};

// The declarations of a run: the user's script, then (after pass 1 links
// them) the library declarations it uses, each node's locations naming the
// file it came from.
struct Script {
  const SourceFile *file = nullptr; // the user's script
  std::vector<Decl> decls;
};

// ---------------------------------------------------------------- visitor

class Visitor {
public:
  virtual ~Visitor() = default;
  virtual void visit(IntLiteral &) = 0;
  virtual void visit(StringLiteral &) = 0;
  virtual void visit(SymbolRef &) = 0;
  virtual void visit(IndexExpr &) = 0;
  virtual void visit(CallExpr &) = 0;
  virtual void visit(TargetExpr &) = 0;
  virtual void visit(UnaryExpr &) = 0;
  virtual void visit(IncDecExpr &) = 0;
  virtual void visit(BinaryExpr &) = 0;
  virtual void visit(InExpr &) = 0;
  virtual void visit(TernaryExpr &) = 0;
  virtual void visit(AssignExpr &) = 0;
  virtual void visit(AtExpr &) = 0;
  virtual void visit(EmbeddedExpr &) = 0;

  virtual void visit(BlockStmt &) = 0;
  virtual void visit(NullStmt &) = 0;
  virtual void visit(ExprStmt &) = 0;
  virtual void visit(IfStmt &) = 0;
  virtual void visit(WhileStmt &) = 0;
  virtual void visit(ForStmt &) = 0;
  virtual void visit(ForeachStmt &) = 0;
  virtual void visit(BreakStmt &) = 0;
  virtual void visit(ContinueStmt &) = 0;
  virtual void visit(NextStmt &) = 0;
  virtual void visit(ReturnStmt &) = 0;
  virtual void visit(DeleteStmt &) = 0;
  virtual void visit(TryStmt &) = 0;
};

// The node as a T when it is one, else null: a check of kind(), not RTTI.
template <typename T, typename Node> T *dyn(Node *node) {
  return node && node->kind == T::Kind ? static_cast<T *>(node) : nullptr;
}
template <typename T, typename Node> const T *dyn(const Node *node) {
  return node && node->kind == T::Kind ? static_cast<const T *>(node) : nullptr;
}

} // namespace mstap::ast
