#include "sema/pass2.h"

#include "sema/check.h"
#include "sema/fold.h"

#include <map>

namespace mstap {

ElaborateResult analyzeScript(ast::Script &script, const ElaborateOptions &options,
                              const TargetDefinedAt &targetDefined, Diagnostics &diags) {
  ElaborateResult result = elaborate(script, options, diags);
  if (!result.ok)
    return result;
  std::map<const ast::ProbeDecl *, const std::vector<ResolvedProbe> *> pointsOf;
  size_t index = 0;
  for (const ast::Decl &decl : script.decls)
    if (decl.kind == ast::Decl::Kind::Probe)
      pointsOf[decl.probe.get()] = &result.probes.at(index++);
  foldConstants(script, [&](const ast::ProbeDecl *probe, const ast::TargetExpr &target) {
    // A @cast chain is defined where its type and members resolved.
    if (target.isCast()) {
      auto access = result.targets.find(&target);
      return access != result.targets.end() && access->second.error.empty();
    }
    return probe && targetDefined && targetDefined(*pointsOf.at(probe), target);
  });
  result.ok = checkElaborated(script, result, diags);
  return result;
}

} // namespace mstap
