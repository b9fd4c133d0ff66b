// Probe aliases: which alias definitions a probe point names, and the
// expansion of every probe on an alias into probes on the alias's points
// (pass 2's first step), as stap derives them.
#pragma once

#include "ast/ast.h"
#include "support/diagnostics.h"

#include <vector>

namespace mstap {

// A point naming an alias: `consumed` of its components matched the name
// (wildcards allowed, as in "syscall.*"); the others are a suffix appended
// to each of the alias's points ("probe myalias.return").
struct AliasMatch {
  const ast::AliasDecl *alias = nullptr;
  const ast::ProbePoint *name = nullptr;
  size_t consumed = 0;
};

// The aliases among `aliases` that `point` names. A name matched with a
// suffix gives way to a longer alias that matches the same components
// (syscall.open.return is preferred to syscall.open + ".return").
std::vector<AliasMatch> matchAliases(const ast::ProbePoint &point, const std::vector<const ast::AliasDecl *> &aliases);

// Replaces each probe on an alias by probes on the alias's points, whose
// body is a copy of the alias's prologue and the probe's own body (or the
// body and an epilogue), aliases naming aliases expanded in turn. Points
// that name no alias stay as written, for the probe families.
void expandAliases(ast::Script &script, Diagnostics &diags);

} // namespace mstap
