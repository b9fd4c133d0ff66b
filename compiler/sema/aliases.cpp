#include "sema/aliases.h"

#include "ast/clone.h"
#include "ast/printer.h"

#include <fmt/format.h>

#include <fnmatch.h>

namespace mstap {

using namespace ast;

namespace {

// Past this depth an alias names itself, directly or through others; past
// this many probes a script (syscall.*.* on a deep library) is refused
// rather than elaborated for minutes.
constexpr int kMaxAliasDepth = 16;
constexpr size_t kMaxDerivedProbes = 20000;

bool sameName(const ProbePoint &a, const ProbePoint &b, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (a.components[i].name != b.components[i].name)
      return false;
  return true;
}

} // namespace

std::vector<AliasMatch> matchAliases(const ProbePoint &point, const std::vector<const AliasDecl *> &aliases) {
  std::vector<AliasMatch> matches;
  const auto &pc = point.components;
  for (const AliasDecl *alias : aliases)
    for (const ProbePoint &name : alias->names) {
      size_t k = name.components.size();
      if (k == 0 || pc.size() < k)
        continue;
      bool ok = true;
      for (size_t i = 0; i < k && ok; ++i)
        ok = !pc[i].number && !pc[i].string &&
             fnmatch(pc[i].name.c_str(), name.components[i].name.c_str(), 0) == 0;
      if (ok)
        matches.push_back({alias, &name, k});
    }
  // A suffix applies only where no longer alias spells it out, and only to
  // an alias named in full: "signal.*.return" means the aliases that spell
  // out ".return", not every signal.* alias with ".return" appended (which
  // a tracepoint alias cannot take).
  std::vector<AliasMatch> kept;
  for (const AliasMatch &m : matches) {
    bool superseded = false;
    if (m.consumed < pc.size())
      for (size_t i = 0; i < m.consumed; ++i)
        if (pc[i].name.find_first_of("*?[") != std::string::npos)
          superseded = true;
    if (m.consumed < pc.size())
      for (const AliasMatch &other : matches)
        if (other.consumed > m.consumed && sameName(*other.name, *m.name, m.consumed) &&
            fnmatch(pc[m.consumed].name.c_str(), other.name->components[m.consumed].name.c_str(), 0) == 0) {
          superseded = true;
          break;
        }
    if (!superseded)
      kept.push_back(m);
  }
  return kept;
}

namespace {

class AliasExpander {
public:
  AliasExpander(Script &script, Diagnostics &diags) : script_(script), diags_(diags) {
    for (const Decl &decl : script.decls)
      if (decl.kind == Decl::Kind::Alias)
        aliases_.push_back(decl.alias.get());
  }

  void run() {
    if (aliases_.empty())
      return;
    std::vector<Decl> decls;
    for (Decl &decl : script_.decls) {
      if (decl.kind != Decl::Kind::Probe) {
        decls.push_back(std::move(decl));
        continue;
      }
      std::vector<Decl> derived;
      expand(std::move(decl), 0, nullptr, derived);
      for (Decl &d : derived)
        decls.push_back(std::move(d));
    }
    script_.decls = std::move(decls);
  }

private:
  // The point as the user wrote it, where an expansion's errors are told.
  struct Origin {
    SourceLoc loc;
    std::string text;
  };

  // Expands `decl` into `out`: itself with the points that name no alias
  // (if any), then one probe an alias match, each expanded in turn.
  void expand(Decl decl, int depth, const Origin *origin, std::vector<Decl> &out) {
    ProbeDecl &probe = *decl.probe;
    std::vector<ProbePoint> plain;
    std::vector<std::pair<Decl, Origin>> derived;
    for (ProbePoint &pp : probe.points) {
      std::vector<AliasMatch> matches = matchAliases(pp, aliases_);
      if (matches.empty()) {
        plain.push_back(std::move(pp));
        continue;
      }
      Origin from = origin ? *origin : Origin{pp.loc(), printProbePoint(pp)};
      if (depth >= kMaxAliasDepth) {
        diags_.error(script_.file, from.loc,
                     fmt::format("probe alias '{}' expands through {} aliases: does an alias name itself?",
                                 from.text, kMaxAliasDepth));
        continue;
      }
      for (const AliasMatch &m : matches) {
        if (derivedCount_ >= kMaxDerivedProbes) {
          if (!tooMany_)
            diags_.error(script_.file, from.loc,
                         fmt::format("'{}' expands to more than {} probes", from.text, kMaxDerivedProbes));
          tooMany_ = true;
          return;
        }
        ++derivedCount_;
        derived.emplace_back(derive(decl, pp, m), from);
      }
    }
    bool any = !plain.empty();
    if (any) {
      probe.points = std::move(plain);
      out.push_back(std::move(decl));
    }
    for (auto &[d, from] : derived)
      expand(std::move(d), depth + 1, &from, out);
  }

  // One probe on the alias's points: the prologue and the probe's body (or
  // the body and the epilogue) in one block, which is one scope in stap.
  Decl derive(const Decl &from, const ProbePoint &used, const AliasMatch &m) {
    const ProbeDecl &probe = *from.probe;
    Decl decl;
    decl.kind = Decl::Kind::Probe;
    decl.fromLibrary = from.fromLibrary;
    decl.file = from.file;
    decl.probe = std::make_unique<ProbeDecl>();
    ProbeDecl &d = *decl.probe;
    d.range = probe.range;
    if (probe.alias.empty()) {
      ProbePoint named;
      named.components = m.name->components;
      for (size_t i = m.consumed; i < used.components.size(); ++i)
        named.components.push_back(used.components[i]);
      d.alias = printProbePoint(named);
    } else {
      d.alias = probe.alias;
    }
    for (const ProbePoint &target : m.alias->points) {
      ProbePoint pp = clone(target);
      for (size_t i = m.consumed; i < used.components.size(); ++i)
        pp.components.push_back(used.components[i]);
      // "syscall.foo ?" makes the alias's points optional too.
      pp.optional = pp.optional || used.optional || used.sufficient;
      if (used.condition) {
        ExprPtr condition = clone(*used.condition);
        if (pp.condition) {
          auto both = std::make_unique<BinaryExpr>();
          both->range = condition->range;
          both->op = BinaryOp::LogAnd;
          both->lhs = std::move(pp.condition);
          both->rhs = std::move(condition);
          condition = std::move(both);
        }
        pp.condition = std::move(condition);
      }
      d.points.push_back(std::move(pp));
    }
    auto body = std::make_unique<BlockStmt>();
    body->range = probe.body->range;
    std::unique_ptr<BlockStmt> aliasBody = cloneBlock(*m.alias->body);
    std::unique_ptr<BlockStmt> ownBody = cloneBlock(*probe.body);
    if (m.alias->epilogue) {
      body->statements.push_back(std::move(ownBody));
      body->statements.push_back(std::move(aliasBody));
    } else {
      body->statements.push_back(std::move(aliasBody));
      body->statements.push_back(std::move(ownBody));
    }
    d.body = std::move(body);
    return decl;
  }

  Script &script_;
  Diagnostics &diags_;
  std::vector<const AliasDecl *> aliases_;
  size_t derivedCount_ = 0;
  bool tooMany_ = false;
};

} // namespace

void expandAliases(Script &script, Diagnostics &diags) { AliasExpander(script, diags).run(); }

} // namespace mstap
