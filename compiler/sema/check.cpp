#include "sema/check.h"

#include "ast/printer.h"
#include "ast/walk.h"
#include "sema/builtins.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <vector>

namespace mstap {
namespace {

using namespace ast;

bool isHistogram(AtOp op) { return op == AtOp::HistLog || op == AtOp::HistLinear; }

// Whether a function reads or writes a global, itself or through the
// functions it calls (a call in progress counts as touching none: its
// other paths are looked at where it started).
class GlobalAccess {
public:
  bool function(const FunctionDecl &f) {
    if (auto it = memo_.find(&f); it != memo_.end())
      return it->second;
    if (!f.body || !active_.insert(&f).second)
      return false;
    bool touches = stmt(*f.body);
    active_.erase(&f);
    memo_[&f] = touches;
    return touches;
  }
  bool expr(Expr &e) { return scan(e); }
  bool stmt(Stmt &s) { return scan(s); }

private:
  template <typename Node> bool scan(Node &node) {
    struct Scan : RecursiveVisitor {
      GlobalAccess &access;
      bool found = false;
      explicit Scan(GlobalAccess &a) : access(a) {}
      void global(const Variable *v) { found = found || (v && v->scope == Variable::Scope::Global); }
      void visit(SymbolRef &e) override { global(e.var); }
      void visit(IndexExpr &e) override {
        global(e.var);
        RecursiveVisitor::visit(e);
      }
      void visit(InExpr &e) override {
        global(e.var);
        RecursiveVisitor::visit(e);
      }
      void visit(CallExpr &e) override {
        if (e.callee)
          found = found || access.function(*e.callee);
        RecursiveVisitor::visit(e);
      }
      void visit(ForeachStmt &s) override {
        global(s.arrayVar);
        global(s.valueVarRef);
        RecursiveVisitor::visit(s);
      }
      void visit(TryStmt &s) override { // "catch (g)" may write a global
        global(s.catchVarRef);
        RecursiveVisitor::visit(s);
      }
    } scan(*this);
    node.accept(scan);
    return scan.found;
  }

  std::map<const FunctionDecl *, bool> memo_;
  std::set<const FunctionDecl *> active_;
};

// How an expression's value is used where it stands.
enum class Use {
  Value,     // computed with: must have a type, and be no statistic
  Discarded, // an expression statement, a for loop's init or step
  Statistic, // the operand of '<<<', @count and the like, delete
  Printed,   // an argument of print or println: a histogram may stand here
};

class Checker : public RecursiveVisitor {
public:
  Checker(const SourceFile *file, Diagnostics &diags, ElaborateResult &result)
      : file_(file), diags_(diags), result_(result) {}

  void checkFunction(FunctionDecl &f) {
    if (!f.body) // embedded C: guru mode or a library script, checked by pass 1
      return;
    function_ = &f;
    points_ = nullptr;
    anyReturn_ = tracepoint_ = false;
    walk(*f.body);
    function_ = nullptr;
  }

  void checkProbe(ProbeDecl &probe, const std::vector<ResolvedProbe> &points) {
    function_ = nullptr;
    points_ = &points;
    anyReturn_ = tracepoint_ = false;
    bool allReturn = true, runs = false;
    for (const ResolvedProbe &r : points) {
      if (r.kind == ProbeKind::Never)
        continue;
      runs = true;
      bool isReturn = r.kind == ProbeKind::Kretprobe || r.kind == ProbeKind::Uretprobe;
      anyReturn_ = anyReturn_ || isReturn;
      allReturn = allReturn && isReturn;
      tracepoint_ = tracepoint_ || r.kind == ProbeKind::Tracepoint;
    }
    runnable_ = runnable_ || runs;
    captured_.clear();
    savedBytes_ = 0;
    firstCapture_ = {};
    anyCapture_ = captureTouchesGlobals_ = false;

    // One handler serves all the points of a declaration, so they must
    // agree on the condition it tests.
    const ProbePoint *conditioned = nullptr;
    std::string conditionText;
    for (const ProbePoint &pp : probe.points) {
      std::string text = pp.condition ? printExpr(*pp.condition) : "";
      if (&pp != &probe.points.front() && text != conditionText)
        error(pp.loc(), "the points of one probe must share their 'if' condition: write two probes");
      conditionText = text;
      if (pp.condition && !conditioned)
        conditioned = &pp;
    }
    if (!runs)
      return; // never translated
    if (conditioned)
      use(*conditioned->condition, Use::Value);
    walk(*probe.body);

    if (!anyCapture_)
      return;
    if (!allReturn)
      error(firstCapture_, "a probe that reads values at entry (@entry, or target variables in .return probes) "
                           "must have only .return points: write two probes");
    if (captureTouchesGlobals_)
      error(firstCapture_, "@entry(...) cannot read or write globals, directly or through a function: the "
                           "entry handler takes no locks; save a target variable and use globals at return");
    // Kretprobes preallocate this for every call in flight (maxactive),
    // uretprobes for MSTAP_URETPROBE_SLOTS calls: keep it small.
    if (savedBytes_ > 4096)
      error(firstCapture_, fmt::format("this probe saves {} bytes at each entry (strings take 512): mstap "
                                       "allows 4096; save fewer strings with @entry",
                                       savedBytes_));
  }

  bool runnable() const { return runnable_; }

  // ------------------------------------------------------- expressions

  void visit(IntLiteral &e) override { enter(e); }
  void visit(StringLiteral &e) override { enter(e); }
  void visit(SymbolRef &e) override { enter(e); }
  void visit(IndexExpr &e) override {
    enter(e);
    for (auto &k : e.keys)
      use(*k, Use::Value);
  }
  void visit(CallExpr &e) override {
    enter(e);
    bool prints = e.builtin && (e.builtin->name == std::string("print") || e.builtin->name == std::string("println"));
    for (auto &arg : e.args)
      use(*arg, prints ? Use::Printed : Use::Value);
  }
  void visit(TargetExpr &e) override {
    enter(e);
    const TargetAccess *access = accessOf(e);
    if (!access)
      return;
    // @cast reads where and when the script says: its operand is a value
    // like any other (holding target variables, saved at entry themselves).
    if (access->base == TargetAccess::Base::Cast) {
      use(*e.castOperand, Use::Value);
      indexes(e);
      return;
    }
    // In a .return probe the registers no longer hold the arguments: they
    // are read at entry, as stap does.
    if (anyReturn_ && entryDepth_ == 0 && access->base != TargetAccess::Base::Return) {
      capture(e);
      return;
    }
    if (entryDepth_ > 0 && access->base == TargetAccess::Base::Return) {
      error(e.loc(), "'$return' cannot be saved at entry: the function has not returned yet");
      return;
    }
    indexes(e);
  }
  void visit(UnaryExpr &e) override {
    enter(e);
    use(*e.operand, Use::Value);
  }
  void visit(IncDecExpr &e) override {
    enter(e);
    if (auto *target = dyn<TargetExpr>(e.operand.get())) {
      written(*target, true);
      return;
    }
    use(*e.operand, Use::Value);
  }
  void visit(BinaryExpr &e) override {
    enter(e);
    use(*e.lhs, Use::Value);
    use(*e.rhs, Use::Value);
  }
  void visit(InExpr &e) override {
    enter(e);
    for (auto &k : e.keys)
      use(*k, Use::Value);
  }
  void visit(TernaryExpr &e) override {
    Use mine = enter(e);
    use(*e.cond, Use::Value);
    // A discarded choice discards its branches; a printed one computes them.
    Use branches = mine == Use::Discarded ? Use::Discarded : Use::Value;
    use(*e.then, branches);
    use(*e.otherwise, branches);
  }
  void visit(AssignExpr &e) override {
    enter(e);
    if (auto *target = dyn<TargetExpr>(e.lhs.get())) {
      use(*e.rhs, Use::Value);
      written(*target, e.op != AssignOp::Assign);
      return;
    }
    use(*e.lhs, e.op == AssignOp::Aggregate ? Use::Statistic
                : e.op == AssignOp::Assign  ? Use::Discarded
                                            : Use::Value);
    use(*e.rhs, Use::Value);
  }
  void visit(AtExpr &e) override {
    Use mine = enter(e);
    switch (e.op) {
    case AtOp::Defined: // not evaluated: pass 2 folded what it could
      return;
    case AtOp::Entry:
      if (function_) {
        error(e.loc(), "@entry is only available in a .return probe's handler, not in a function");
      } else if (entryDepth_ > 0) { // @entry inside @entry: already at the entry
        use(*e.args[0], Use::Value);
      } else if (!anyReturn_) {
        error(e.loc(), "@entry is only available in .return probes");
      } else {
        capture(*e.args[0]);
      }
      return;
    default: break;
    }
    if (isHistogram(e.op) && mine != Use::Printed)
      error(e.loc(), fmt::format("{} can only be printed with print or println", spelling(e.op)));
    // Statistics live in globals: a local filled by nothing has none.
    if (auto *sym = dyn<SymbolRef>(e.args[0].get());
        sym && sym->var && sym->var->scope != Variable::Scope::Global)
      error(sym->loc(), fmt::format("{} needs a statistic: a global filled with '<<<'", spelling(e.op)));
    use(*e.args[0], Use::Statistic);
    for (size_t i = 1; i < e.args.size(); ++i)
      use(*e.args[i], Use::Value);
  }

  // -------------------------------------------------------- statements

  void visit(ExprStmt &s) override { use(*s.expr, Use::Discarded); }
  void visit(ForStmt &s) override {
    if (s.init)
      use(*s.init, Use::Discarded);
    if (s.cond)
      use(*s.cond, Use::Value);
    if (s.step)
      use(*s.step, Use::Discarded);
    walk(*s.body);
  }
  void visit(DeleteStmt &s) override {
    if (auto *whole = dyn<SymbolRef>(s.target.get()); whole && whole->var &&
                                                                   whole->var->scope == Variable::Scope::Global)
      return; // a whole array or statistic
    use(*s.target, Use::Statistic);
  }

private:
  void error(SourceLoc at, std::string message) { diags_.error(file_, at, std::move(message)); }

  void use(Expr &e, Use how) {
    Use saved = use_;
    use_ = how;
    walk(e);
    use_ = saved;
  }

  // The checks every expression gets from where it stands; returns how it
  // is used (its children are values unless the caller says otherwise).
  Use enter(Expr &e) {
    Use how = use_;
    use_ = Use::Value;
    if (how == Use::Statistic)
      return how;
    if (e.type == Type::Unknown) {
      if (how == Use::Discarded)
        return how;
      // A parameter no call gives a type (its function is never called):
      // pass 3 declares it a long, as mstap always has.
      if (auto *sym = dyn<SymbolRef>(&e); sym && sym->var && sym->var->scope == Variable::Scope::Param)
        return how;
      auto *call = dyn<CallExpr>(&e);
      error(e.loc(), call ? fmt::format("'{}' returns no value, but its value is used here", call->function)
                          : std::string("this expression has no value to use"));
    } else if (e.type == Type::Stats) {
      if (auto *sym = dyn<SymbolRef>(&e))
        error(e.loc(), fmt::format("'{}' is a statistic or an array here, not a value", sym->name));
      else if (auto *ix = dyn<IndexExpr>(&e))
        error(e.loc(), fmt::format("'{}' holds statistics: read them with @count, @sum, ...", ix->array));
      else
        error(e.loc(), "a statistic is no value: read it with @count, @sum, ...");
    }
    return how;
  }

  const TargetAccess *accessOf(TargetExpr &e) {
    auto it = result_.targets.find(&e);
    if (it == result_.targets.end())
      return nullptr; // in a function: pass 2 refused it already
    if (!it->second.error.empty()) { // a use @defined did not guard away
      error(e.loc(), it->second.error);
      return nullptr;
    }
    return &it->second;
  }

  void indexes(TargetExpr &e) {
    for (auto &c : e.components)
      if (c.index)
        use(*c.index, Use::Value);
  }

  // A value the entry handler of a .return probe saves for the return.
  void capture(Expr &e) {
    if (!anyCapture_)
      firstCapture_ = e.loc();
    anyCapture_ = true;
    // The entry handler runs before the probe's body: a value the body
    // computes (a local, a run-time index) does not exist there yet.
    bool usesLocals = false;
    forEachExpr(e, [&](Expr &x) {
      if (auto *sym = dyn<SymbolRef>(&x); sym && sym->var && sym->var->scope != Variable::Scope::Global)
        usesLocals = true;
    });
    if (usesLocals) {
      error(e.loc(), "a value read at entry (@entry, or a target variable in a .return probe) cannot use the "
                     "probe's local variables: they do not exist yet at the function's entry");
      return;
    }
    if (dyn<TargetExpr>(&e) && !captured_.insert(printExpr(e)).second)
      return; // a target variable read twice is saved once
    ++entryDepth_;
    use(e, Use::Value);
    --entryDepth_;
    captureTouchesGlobals_ = captureTouchesGlobals_ || globals_.expr(e);
    if (e.type == Type::String)
      savedBytes_ += 512;
    else if (e.type == Type::Long)
      savedBytes_ += 8;
    else if (e.type == Type::Stats)
      error(e.loc(), "@entry saves a number or a string, not a statistic");
  }

  // A target variable written (guru mode): registers, and in process probes
  // the program's memory. `readToo` for '+=' and '++', which read it first.
  void written(TargetExpr &e, bool readToo) {
    const TargetAccess *access = accessOf(e);
    if (!access)
      return;
    if (e.addressOf) {
      error(e.loc(), fmt::format("'{}' is an address, not a variable: it cannot be assigned to", printExpr(e)));
      return;
    }
    bool cast = access->base == TargetAccess::Base::Cast;
    if (readToo) {
      for (auto &c : e.components)
        if (c.index && mayModify(*c.index)) {
          error(e.loc(), fmt::format("'{}' would evaluate its index twice: compute the index first", e.name));
          return;
        }
      if (cast && mayModify(*e.castOperand)) {
        error(e.loc(), fmt::format("'{}' would evaluate its pointer twice: compute it first", e.name));
        return;
      }
    }
    if (cast && access->steps.empty()) {
      error(e.loc(), fmt::format("'{}' is its pointer's value, not memory: name a member to write", printExpr(e)));
      return;
    }
    // Kernel memory is written only through registers: Linux exports no
    // faulting-safe write into kernel memory to modules.
    std::string refused =
        access->base == TargetAccess::Base::Parms ? "'$$parms' cannot be assigned to"
        : !cast && tracepoint_ ? fmt::format("'{}' cannot be written: a tracepoint's arguments are copies", e.name)
        : !cast && ((anyReturn_ && access->base != TargetAccess::Base::Return) || entryDepth_ > 0)
            ? fmt::format("'{}' cannot be written in a .return probe: its value there is a copy taken at entry; "
                          "write it in a probe on the function's entry",
                          e.name)
        : !access->userMemory && (cast || !access->steps.empty() || (access->base == TargetAccess::Base::Argument &&
                                                             access->argument >= 6))
            ? fmt::format("'{}' cannot be written: it is kernel memory, and the kernel offers modules no safe "
                          "way to write there; mstap writes only registers (the first six parameters, "
                          "$return) and, in process probes, the program's memory",
                          cast ? printExpr(e) : e.name)
            : "";
    if (!refused.empty()) {
      error(e.loc(), refused);
      return;
    }
    if (!access->steps.empty()) {
      const TargetAccess::Step &last = access->steps.back();
      if (last.size == 0 || last.bitSize || last.indexComponent >= 0) {
        error(e.loc(), fmt::format("'{}' cannot be written: only whole integers and pointers can, not {}", e.name,
                                   last.bitSize ? "bitfields" : "arrays or structs"));
        return;
      }
    }
    if (cast)
      use(*e.castOperand, Use::Value);
    indexes(e);
  }

  const SourceFile *file_;
  Diagnostics &diags_;
  ElaborateResult &result_;
  GlobalAccess globals_;
  FunctionDecl *function_ = nullptr;
  const std::vector<ResolvedProbe> *points_ = nullptr;
  bool anyReturn_ = false, tracepoint_ = false, runnable_ = false;
  Use use_ = Use::Value;
  int entryDepth_ = 0; // inside a value the entry handler computes
  std::set<std::string> captured_;
  size_t savedBytes_ = 0;
  SourceLoc firstCapture_;
  bool anyCapture_ = false, captureTouchesGlobals_ = false;
};

// A statistic's histogram shape comes from the extractors that print it;
// one statistic has one shape, and its bounds are known before the run.
// Likewise the bit shift of its variance: one a statistic, as in stap.
class HistogramScan : public RecursiveVisitor {
public:
  HistogramScan(const SourceFile *file, Diagnostics &diags, std::map<const Variable *, HistogramShape> &shapes,
                std::map<const Variable *, int> &varianceShifts)
      : file_(file), diags_(diags), shapes_(shapes), varianceShifts_(varianceShifts) {}

  void visit(AtExpr &e) override {
    RecursiveVisitor::visit(e);
    if ((!isHistogram(e.op) && e.op != AtOp::Variance) || e.args.empty())
      return;
    const Variable *v = nullptr;
    if (auto *sym = dyn<SymbolRef>(e.args[0].get()))
      v = sym->var;
    else if (auto *ix = dyn<IndexExpr>(e.args[0].get()))
      v = ix->var;
    if (!v || v->scope != Variable::Scope::Global)
      return;
    if (e.op == AtOp::Variance) {
      variance(e, v);
      return;
    }
    HistogramShape h;
    h.op = e.op;
    h.loc = e.loc();
    if (e.op == AtOp::HistLinear) {
      int64_t values[3] = {0, 0, 0};
      for (size_t i = 1; i < 4 && i < e.args.size(); ++i) {
        auto *lit = dyn<IntLiteral>(e.args[i].get());
        if (!lit) {
          diags_.error(file_, e.args[i]->loc(),
                       "the bounds and step of @hist_linear must be numbers known before the run");
          return;
        }
        values[i - 1] = lit->value;
      }
      h.low = values[0];
      h.high = values[1];
      h.step = values[2];
      if (h.step <= 0 || h.low >= h.high) {
        diags_.error(file_, e.loc(), "@hist_linear needs low < high and a step above 0");
        return;
      }
      if (((uint64_t)h.high - (uint64_t)h.low) / (uint64_t)h.step + 3 > 8192) {
        diags_.error(file_, e.loc(), "@hist_linear would need more than 8192 buckets: widen the step");
        return;
      }
    }
    auto [it, first] = shapes_.emplace(v, h);
    const HistogramShape &have = it->second;
    if (!first && (have.op != h.op || have.low != h.low || have.high != h.high || have.step != h.step)) {
      diags_.error(file_, e.loc(), fmt::format("'{}' is printed as two different histograms; one statistic keeps "
                                               "one histogram shape",
                                               v->name));
      diags_.note(file_, have.loc, "the first one is here");
    }
  }

private:
  // @variance(s) computes with the shift of s (0 by default); an
  // @variance(s, N) sets it to N, 0 to 62, and two different N conflict.
  void variance(AtExpr &e, const Variable *v) {
    auto *shift = e.args.size() > 1 ? dyn<IntLiteral>(e.args[1].get()) : nullptr;
    auto it = varianceShifts_.emplace(v, 0).first;
    if (!shift)
      return;
    if (shift->value < 0 || shift->value > 62) {
      diags_.error(file_, shift->loc(), fmt::format("bit shift ({}) out of range <0..62>", shift->value));
      return;
    }
    auto [explicitIt, first] = explicitShifts_.emplace(v, std::make_pair(static_cast<int>(shift->value), e.loc()));
    if (!first && explicitIt->second.first != shift->value) {
      diags_.error(file_, e.loc(),
                   fmt::format("conflicting bit shifts declared (previously {})", explicitIt->second.first));
      diags_.note(file_, explicitIt->second.second, "the first one is here");
      return;
    }
    it->second = static_cast<int>(shift->value);
  }

  const SourceFile *file_;
  Diagnostics &diags_;
  std::map<const Variable *, HistogramShape> &shapes_;
  std::map<const Variable *, int> &varianceShifts_;
  std::map<const Variable *, std::pair<int, SourceLoc>> explicitShifts_;
};

// stap's rule for foreach: the array a loop walks is not modified while it
// walks it, in the body or by a function the body calls (transitively): a
// slot written, added or deleted would leave the loop walking a stale
// order. Deleting the whole array is allowed (stap 4.8 accepts it; the
// loop ends there). Every call is known at pass 2, so the rule
// is decided here entirely; nothing is left to check at run time.
class ForeachMutation : public RecursiveVisitor {
public:
  ForeachMutation(const SourceFile *file, Diagnostics &diags) : file_(file), diags_(diags) {}

  void check(Stmt &body) {
    iterated_.clear();
    walk(body);
  }

  void visit(ForeachStmt &s) override {
    walkOptional(s.limit);
    iterated_.push_back(s.arrayVar);
    walk(*s.body);
    iterated_.pop_back();
  }
  void visit(AssignExpr &e) override {
    written(*e.lhs);
    RecursiveVisitor::visit(e);
  }
  void visit(IncDecExpr &e) override {
    written(*e.operand);
    RecursiveVisitor::visit(e);
  }
  // "delete a" of the whole array a loop walks is allowed, as stap 4.8
  // allows it: the loop ends there (runtime/mstap_map.h).
  void visit(DeleteStmt &s) override {
    if (!dyn<SymbolRef>(s.target.get()))
      written(*s.target);
    RecursiveVisitor::visit(s);
  }
  void visit(CallExpr &e) override {
    if (e.callee && !iterated_.empty()) {
      const std::set<const Variable *> &writes = writesOf(*e.callee);
      for (const Variable *array : iterated_)
        if (array && writes.count(array) && reported_.insert({&e, array}).second)
          diags_.error(file_, e.loc(),
                       fmt::format("function call modifies var '{}' during 'foreach' iteration", array->name));
    }
    RecursiveVisitor::visit(e);
  }

private:
  // The array an assignment, ++/-- or delete writes, if it writes one.
  static const Variable *arrayWritten(Expr &target) {
    if (auto *index = dyn<IndexExpr>(&target))
      return index->var;
    if (auto *symbol = dyn<SymbolRef>(&target))
      return symbol->var; // "delete a": the whole array
    return nullptr;
  }

  void written(Expr &target) {
    const Variable *array = arrayWritten(target);
    if (!array)
      return;
    for (const Variable *walked : iterated_)
      if (walked == array && reported_.insert({&target, array}).second)
        diags_.error(file_, target.loc(),
                     fmt::format("variable '{}' modified during 'foreach' iteration", array->name));
  }

  // The globals a function writes with an assignment, ++/--, '<<<' or
  // delete, itself or through the functions it calls.
  const std::set<const Variable *> &writesOf(const FunctionDecl &start) {
    if (auto it = closure_.find(&start); it != closure_.end())
      return it->second;
    std::set<const Variable *> all;
    std::set<const FunctionDecl *> seen{&start};
    std::vector<const FunctionDecl *> work{&start};
    while (!work.empty()) {
      const FunctionDecl *f = work.back();
      work.pop_back();
      const Direct &direct = directOf(*f);
      all.insert(direct.writes.begin(), direct.writes.end());
      for (const FunctionDecl *callee : direct.callees)
        if (seen.insert(callee).second)
          work.push_back(callee);
    }
    return closure_[&start] = std::move(all);
  }

  struct Direct {
    std::set<const Variable *> writes;
    std::set<const FunctionDecl *> callees;
  };
  const Direct &directOf(const FunctionDecl &f) {
    if (auto it = direct_.find(&f); it != direct_.end())
      return it->second;
    struct Scan : RecursiveVisitor {
      Direct direct;
      void add(Expr &target) {
        if (const Variable *v = arrayWritten(target); v && v->scope == Variable::Scope::Global)
          direct.writes.insert(v);
      }
      void visit(AssignExpr &e) override {
        add(*e.lhs);
        RecursiveVisitor::visit(e);
      }
      void visit(IncDecExpr &e) override {
        add(*e.operand);
        RecursiveVisitor::visit(e);
      }
      void visit(DeleteStmt &s) override {
        if (!dyn<SymbolRef>(s.target.get())) // the whole array: allowed, as above
          add(*s.target);
        RecursiveVisitor::visit(s);
      }
      void visit(CallExpr &e) override {
        if (e.callee)
          direct.callees.insert(e.callee);
        RecursiveVisitor::visit(e);
      }
    } scan;
    if (f.body)
      scan.walk(*f.body);
    return direct_[&f] = std::move(scan.direct);
  }

  const SourceFile *file_;
  Diagnostics &diags_;
  std::vector<const Variable *> iterated_;
  std::set<std::pair<const void *, const Variable *>> reported_;
  std::map<const FunctionDecl *, Direct> direct_;
  std::map<const FunctionDecl *, std::set<const Variable *>> closure_;
};

} // namespace

bool checkElaborated(Script &script, ElaborateResult &result, Diagnostics &diags) {
  unsigned errorsBefore = diags.errorCount();
  size_t firstDiagnostic = diags.all().size();
  HistogramScan histograms(script.file, diags, result.histograms, result.varianceShifts);
  Checker checker(script.file, diags, result);
  ForeachMutation foreachMutation(script.file, diags);
  size_t probeIndex = 0;
  for (Decl &decl : script.decls) {
    if (decl.kind == Decl::Kind::Function) {
      if (decl.function->body) {
        histograms.walk(*decl.function->body);
        foreachMutation.check(*decl.function->body);
      }
      checker.checkFunction(*decl.function);
    } else if (decl.kind == Decl::Kind::Probe) {
      histograms.walk(*decl.probe->body);
      foreachMutation.check(*decl.probe->body);
      checker.checkProbe(*decl.probe, result.probes.at(probeIndex++));
    }
  }
  if (!checker.runnable() && diags.errorCount() == errorsBefore)
    diags.error(script.file, {}, "no probes to run: every probe of the script is 'never'");
  diags.sortFrom(firstDiagnostic);
  return diags.errorCount() == errorsBefore;
}

} // namespace mstap
