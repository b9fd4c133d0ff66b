// Pass 3: target variables (registers and memory reads, guru writes) and
// the values a .return probe saves at entry.
#include "codegen/generator.h"

#include <fmt/format.h>

#include <algorithm>

namespace mstap::codegen {

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
  if (entry_ && access->base != TargetAccess::Base::Return && access->base != TargetAccess::Base::Cast)
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
      // The name comes from the program's DWARF: a '%' in it is text, not a
      // conversion reading an argument that is not there.
      std::string name;
      for (char ch : p.name)
        name += ch == '%' ? std::string("%%") : std::string(1, ch);
      format += (format.empty() ? "" : " ") + name + "=%#x";
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
  if (store && access->steps.empty() && access->base != TargetAccess::Base::Cast) {
    if (access->base == TargetAccess::Base::Return)
      line(fmt::format("mstap_reg_set_return(c, {}); {}", *store, cComment(e.name)));
    else
      line(fmt::format("mstap_reg_set_arg(c, {}, {}); {}", access->argument, *store, cComment(e.name)));
    check(e.loc());
    return {*store, Type::Long};
  }
  std::string t = longTemp();
  if (access->base == TargetAccess::Base::Cast) {
    // @cast(p, "T"): the address is the script's value p.
    Value address = expr(*e.castOperand);
    line(fmt::format("s64 {} = {}; {}", t, address.code, cComment(e.name)));
  } else {
    std::string raw = access->base == TargetAccess::Base::Return
                          ? std::string("mstap_reg_return(c)")
                          : fmt::format("mstap_reg_arg(c, {})", access->argument);
    line(fmt::format("s64 {} = {}; {}", t, convertInteger(raw, access->size, access->isSigned),
                     cComment(e.name)));
    check(e.loc());
  }
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
  if (e.castOperand && mayModify(*e.castOperand)) {
    gen_.internal(e.loc(), fmt::format("'{}' would evaluate its pointer twice: compute it first", e.name));
    return false;
  }
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
    if (auto *sym = dyn<SymbolRef>(&x); sym && sym->var && sym->var->scope != Variable::Scope::Global)
      usesLocals = true;
  });
  if (usesLocals) {
    gen_.internal(e.loc(), "a value read at entry (@entry, or a target variable in a .return probe) cannot use the "
                        "probe's local variables: they do not exist yet at the function's entry");
    return {"0", Type::Long};
  }
  std::string key = dyn<TargetExpr>(&e) ? printExpr(e) : "";
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

} // namespace mstap::codegen
