// Elaboration, part 3: target variables. Resolves each $name, $$parms,
// $return and member chain of a probe against every point it expanded to
// (BTF prototypes and types for the kernel, DWARF for programs), into the
// TargetAccess pass 3 reads it through.
#include "sema/elaborate_parts.h"

#include "ast/printer.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace mstap {

using namespace ast;

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

  // A function's @cast chains (its $names pass 2 refused already).
  void function(FunctionDecl &function) {
    points_ = nullptr;
    guards_.clear();
    if (function.body)
      stmt(*function.body);
  }

private:
  // ------------------------------------------------------------- walk
  // Names whose @defined() guards the code being walked.
  std::vector<std::string> guards_;

  static void definedNames(const Expr &e, std::vector<std::string> &names) {
    if (auto *at = dynamic_cast<const AtExpr *>(&e); at && at->op == AtOp::Defined) {
      if (!at->args.empty())
        if (auto *t = dynamic_cast<const TargetExpr *>(at->args[0].get()))
          names.push_back(guardKey(*t));
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

  // What @defined(X) guards: uses of the same $name, or of @cast on the
  // same operand, type and module, whatever members follow (stap's
  // @choose_defined(@cast(p, "T")->new_name, @cast(p, "T")->old_name)).
  static std::string guardKey(const TargetExpr &t) {
    if (!t.isCast())
      return t.name;
    return fmt::format("{}({}, {}, {}, {})", t.name, printExpr(*t.castOperand), t.castType, t.castModule,
                       t.containerMember);
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
      if (t->castOperand)
        expr(*t->castOperand);
      for (auto &c : t->components)
        if (c.index)
          expr(*c.index);
      resolve(*t);
    } else if (auto *at = dynamic_cast<AtExpr *>(&e)) {
      if (at->op == AtOp::Defined) {
        // Folded to 0 or 1 after pass 2: a @cast chain by whether it
        // resolves here, quietly.
        if (auto *t = at->args.empty() ? nullptr : dynamic_cast<TargetExpr *>(at->args[0].get());
            t && t->isCast()) {
          guards_.push_back(guardKey(*t));
          expr(*t);
          guards_.pop_back();
        }
        return;
      }
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

  static bool scalar(const CType &t) {
    return (t.kind == CType::Kind::Integer || t.kind == CType::Kind::Enum ||
            t.kind == CType::Kind::Pointer) &&
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
  static std::optional<int> slotOf(const CPrototype &proto, size_t index) {
    for (size_t i = 0; i <= index; ++i)
      if (i >= proto.params.size() || !scalar(proto.params[i].type))
        return std::nullopt;
    const CType &ret = proto.returns;
    bool hiddenPointer = (ret.kind == CType::Kind::Struct || ret.kind == CType::Kind::Union) && ret.size > 16;
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
    std::optional<CPrototype> proto;
    if (options_.kernel)
      proto = options_.kernel->prototype(point);
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
    std::optional<CPrototype> proto;
    if (options_.user)
      proto = options_.user->prototype(point);
    if (!proto)
      return fmt::format("cannot read '{}' in '{}': the DWARF of '{}' does not describe '{}'", e.name,
                         point.point, point.user->binary, function);
    access.userMemory = true;
    return fromPrototype(e, point, function, *proto, access);
  }

  std::string fromPrototype(const TargetExpr &e, const ResolvedProbe &point, const std::string &function,
                            const CPrototype &prototype, TargetAccess &access) {
    const std::string &name = e.name;
    const CPrototype *proto = &prototype;
    bool trace = point.point.rfind("kernel.trace(", 0) == 0;
    auto paramList = [&] {
      std::string list;
      for (const auto &p : proto->params)
        list += (list.empty() ? "" : ", ") + ("$" + p.name) + ":" + p.type.spelling;
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
                             name, function, proto->params[i].name, proto->params[i].type.spelling);
        const CType &t = proto->params[i].type;
        access.parms.push_back({proto->params[i].name, *slot, t.size, t.isSigned});
      }
      return {};
    }
    std::string plain = name.substr(1);
    CType type;
    if (plain == "return") {
      if (!point.isReturn)
        return fmt::format("'$return' is only available in .return probes, not in '{}'", point.point);
      if (proto->returns.kind == CType::Kind::Void)
        return fmt::format("'$return' does not exist in '{}': '{}' returns void", point.point, function);
      if (!scalar(proto->returns))
        return fmt::format("'$return' of '{}' is a {}, which mstap cannot read yet", function,
                           proto->returns.spelling);
      type = proto->returns;
      access.base = TargetAccess::Base::Return;
    } else {
      size_t index = proto->params.size();
      for (size_t i = 0; i < proto->params.size(); ++i)
        if (proto->params[i].name == plain)
          index = i;
      if (index == proto->params.size()) {
        std::vector<std::string> names;
        for (const auto &p : proto->params)
          names.push_back(p.name);
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
      type = proto->params[index].type;
      access.base = TargetAccess::Base::Argument;
      access.argument = *slot;
    }
    access.size = type.size;
    access.isSigned = type.isSigned && type.kind != CType::Kind::Pointer;
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
  std::string element(const TargetExpr::Component &c, int k, std::string &path, CType &type, bool &inMemory,
                      uint64_t &pending, TargetAccess &access, bool castBase = false) {
    std::string written = path + "[" + printExpr(*c.index) + "]";
    uint64_t bound = 0;
    std::optional<CType> item = type.pointee();
    if (castBase) {
      // @cast(p, "T")[i]: p points at an array of T, of unknown length.
      item = type;
    } else if (type.kind == CType::Kind::Pointer) {
      if (inMemory)
        access.steps.push_back({pending, 8, false, 0, 0});
      pending = 0;
    } else if (inMemory && type.kind == CType::Kind::Array) {
      bound = type.elements;
    } else {
      return fmt::format("'{}' is a {}, not a pointer or an array: it cannot be indexed (in '{}')", path,
                         type.spelling, written);
    }
    if (!item)
      return fmt::format("cannot index '{}' (a {}): its element type is unknown", path, type.spelling);
    if (item->size == 0 || item->kind == CType::Kind::Void || item->kind == CType::Kind::Function)
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
  // A @cast chain starts with its type in memory, at the operand's
  // address (`pending` before it, for @container_of).
  std::string members(const TargetExpr &e, const std::string &function, CType type, TargetAccess &access,
                      bool inMemory = false, uint64_t pending = 0, std::string path = {}) {
    (void)function;
    // `type` is a value in hand (a pointer, an integer) until a member of an
    // embedded struct is named: then `inMemory` holds, and `pending` is
    // the offset from the last address read.
    if (path.empty())
      path = e.name;
    for (size_t k = 0; k < e.components.size(); ++k) {
      const auto &c = e.components[k];
      if (c.index) {
        std::string error = element(c, static_cast<int>(k), path, type, inMemory, pending, access,
                                    e.isCast() && k == 0);
        if (!error.empty())
          return error;
        continue;
      }
      const char *op = c.dot ? "." : "->";
      CType container = type;
      bool aggregate = type.kind == CType::Kind::Struct || type.kind == CType::Kind::Union;
      if (c.dot && type.kind == CType::Kind::Pointer)
        return fmt::format("'{}' is a pointer ({}): follow it with '->{}', not '.{}'", path, type.spelling,
                           c.member, c.member);
      if (c.dot && !(inMemory && aggregate))
        return fmt::format("'{}' is a {}, not a struct or union: it has no member '{}' (to concatenate "
                           "strings, put spaces around '.')",
                           path, type.spelling, c.member);
      if (!inMemory && type.kind != CType::Kind::Pointer)
        return fmt::format("'{}' is a {}, not a pointer to a struct: it has no member '{}'", path,
                           type.spelling, c.member);
      if (type.kind == CType::Kind::Pointer) {
        // A pointer in memory (a member) is read first, then followed.
        if (inMemory)
          access.steps.push_back({pending, 8, false, 0, 0});
        std::optional<CType> pointee = type.pointee();
        if (!pointee)
          return fmt::format("cannot follow '{}' (a {}): its pointee is unknown", path, type.spelling);
        container = *pointee;
        pending = 0;
      }
      if (container.kind != CType::Kind::Struct && container.kind != CType::Kind::Union)
        return fmt::format("'{}' {} a {}, not a struct or union: it has no member '{}'", path,
                           type.kind == CType::Kind::Pointer ? "points to" : "is", container.spelling,
                           c.member);
      std::vector<CMember> list = container.members();
      const CMember *found = nullptr;
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
        if (e.addressOf)
          return fmt::format("'&{}': a bitfield has no address", path);
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
    if (e.addressOf) {
      if (!inMemory)
        return e.isCast() ? std::string()
                          : fmt::format("'&{}': {} is passed in a register and has no address; take the "
                                        "address of a member ('&{}->member')",
                                        path, path, path);
      access.steps.push_back({pending, 0, false, 0, 0});
      return {};
    }
    if (!inMemory)
      return {};
    if (e.isCast() && e.components.empty()) {
      // @cast(p, "T") alone is p; @container_of, the container's address.
      if (pending)
        access.steps.push_back({pending, 0, false, 0, 0});
      return {};
    }
    switch (type.kind) {
    case CType::Kind::Integer:
    case CType::Kind::Enum:
    case CType::Kind::Pointer:
      if (!scalar(type))
        return fmt::format("'{}' is a {} of {} bytes, which mstap cannot read", path, type.spelling, type.size);
      access.steps.push_back({pending, type.size, type.isSigned && type.kind != CType::Kind::Pointer, 0, 0});
      return {};
    case CType::Kind::Array:
      // An array reads as its address, as stap does: kernel_string() takes it.
      access.steps.push_back({pending, 0, false, 0, 0});
      return {};
    case CType::Kind::Struct:
    case CType::Kind::Union:
      return fmt::format("'{}' is a {}: name one of its members with '.' or '->'", path, type.spelling);
    default:
      return fmt::format("'{}' is a {}, which mstap cannot read", path, type.spelling);
    }
  }

  // The module a @cast without one reads its type from: the program of a
  // process probe, the module of a module(...) probe (whose BTF includes
  // the kernel's), else the kernel, as stap defaults to the probe's module.
  std::string defaultCastModule() const {
    if (!points_ || points_->empty())
      return "kernel";
    std::string module;
    for (const ResolvedProbe &p : *points_) {
      std::string mine = p.user ? p.user->binary : p.kernel && !p.kernel->module.empty() ? p.kernel->module
                                                                                         : "kernel";
      if (!module.empty() && mine != module)
        return "kernel";
      module = mine;
    }
    return module;
  }

  // The type of a @cast, from the first of its ':'-separated modules that
  // has it. A "<header.h>" after a module is what stap compiles when there
  // is no debuginfo; BTF needs none, so it is skipped.
  std::string castType(const TargetExpr &e, CType &type, bool &user) {
    std::string modules = e.castModule.empty() ? defaultCastModule() : e.castModule;
    std::vector<std::string> errors;
    size_t start = 0;
    while (start <= modules.size()) {
      size_t end = modules.find(':', start);
      std::string module = modules.substr(start, end == std::string::npos ? std::string::npos : end - start);
      start = end == std::string::npos ? modules.size() + 1 : end + 1;
      if (size_t header = module.find('<'); header != std::string::npos) {
        if (header == 0) {
          errors.push_back(fmt::format("'{}' is a C header: mstap reads types from the kernel's BTF and from "
                                       "programs' DWARF, not from headers; name \"kernel\", a module or a "
                                       "program",
                                       module));
          continue;
        }
        module = module.substr(0, header);
      }
      if (module.empty())
        continue;
      user = module[0] == '/';
      const FunctionSource *source = user ? options_.user : options_.kernel;
      std::string error;
      if (!source) {
        errors.push_back(fmt::format("no {} to read '{}' from", user ? "program" : "target kernel", e.castType));
        continue;
      }
      if (auto found = source->namedType(module, e.castType, error)) {
        type = *found;
        return {};
      }
      errors.push_back(error);
    }
    if (errors.empty())
      return fmt::format("{} names no module to read '{}' from", e.name, e.castType);
    std::string text = errors.front();
    for (size_t i = 1; i < errors.size(); ++i)
      text += "; " + errors[i];
    return text;
  }

  // @cast(p, "T")->...: the chain starts with a T in memory at p.
  // @container_of(p, "T", m): at p minus m's offset in T.
  std::string resolveCastAccess(const TargetExpr &e, TargetAccess &access) {
    CType type;
    bool user = false;
    std::string error = castType(e, type, user);
    if (!error.empty())
      return error;
    access.base = TargetAccess::Base::Cast;
    access.userMemory = user;
    if (type.kind == CType::Kind::Void || type.kind == CType::Kind::Function || type.size == 0)
      return fmt::format("'{}' has no size: {} cannot read memory as one", type.spelling, e.name);
    uint64_t pending = 0;
    if (!e.containerMember.empty()) {
      if (type.kind != CType::Kind::Struct && type.kind != CType::Kind::Union)
        return fmt::format("'{}' is not a struct or union: it has no member '{}'", type.spelling,
                           e.containerMember);
      std::vector<CMember> list = type.members();
      const CMember *found = nullptr;
      std::vector<std::string> names;
      for (const auto &m : list) {
        names.push_back(m.name);
        if (m.name == e.containerMember)
          found = &m;
      }
      if (!found) {
        std::string similar = similarNames(e.containerMember, names);
        return fmt::format("{} has no member '{}'{}", type.spelling, e.containerMember,
                           similar.empty() ? "" : " (similar: " + similar + ")");
      }
      if (found->bitSize || found->bitOffset % 8)
        return fmt::format("'{}' of {} is a bitfield: it has no address", e.containerMember, type.spelling);
      pending = 0 - found->bitOffset / 8; // wraps: the steps add modulo 2^64
    }
    std::string path = fmt::format("{}({}, \"{}\")", e.name, printExpr(*e.castOperand), e.castType);
    return members(e, "", type, access, true, pending, path);
  }

  void fail(TargetExpr &e, const std::string &error) {
    bool isGuarded = std::find(guards_.begin(), guards_.end(), guardKey(e)) != guards_.end();
    if (!isGuarded)
      diags_.error(file_, e.loc(), error);
    TargetAccess failed;
    failed.error = error;
    out_[&e] = std::move(failed);
  }

  void resolve(TargetExpr &e) {
    if (e.isCast()) {
      TargetAccess access;
      std::string error = resolveCastAccess(e, access);
      if (!error.empty())
        return fail(e, error);
      out_[&e] = std::move(access);
      return;
    }
    if (e.name == "@var") {
      // BTF has a VAR entry, with its type, only for the per-CPU variables
      // (its .data..percpu DATASEC); none has the address of a global,
      // which a module cannot look up either (kallsyms_lookup_name is not
      // exported).
      return fail(e, fmt::format("@var(\"{}\") is not supported: mstap reads the kernel's types from BTF, which "
                                 "describes no global variables but the per-CPU ones, and a module cannot look "
                                 "up a global's address; read it with @cast on its address "
                                 "(@cast(ADDRESS, \"TYPE\")->member)",
                                 e.castType));
    }
    if (!points_)
      return; // a $name in a function: pass 2 refused it already
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
    if (!error.empty())
      return fail(e, error);
    out_[&e] = std::move(first);
  }

  const SourceFile *file_;
  Diagnostics &diags_;
  const ElaborateOptions &options_;
  std::map<const TargetExpr *, TargetAccess> &out_;
  const std::vector<ResolvedProbe> *points_ = nullptr;
};

} // namespace

std::optional<CType> FunctionSource::namedType(const std::string &module, const std::string &name,
                                               std::string &error) const {
  error = fmt::format("no types to read '{}' from in '{}'", name, module);
  return std::nullopt;
}

void resolveFunctionCasts(FunctionDecl &function, const SourceFile *file, Diagnostics &diags,
                          const ElaborateOptions &options, std::map<const TargetExpr *, TargetAccess> &out) {
  TargetResolver(file, diags, options, out).function(function);
}

void resolveTargets(ProbeDecl &probe, const std::vector<ResolvedProbe> &points, const SourceFile *file,
                    Diagnostics &diags, const ElaborateOptions &options,
                    std::map<const TargetExpr *, TargetAccess> &out) {
  TargetResolver(file, diags, options, out).probe(probe, points);
}

} // namespace mstap
