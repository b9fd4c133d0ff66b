// Elaboration, part 2: probe points. Each point as written is expanded by
// the probe family that claims it (sema/probes/: one file a family) into
// the points it stands for, each with its ProbeKind.
#include "sema/elaborate_parts.h"

#include "sema/probes/family.h"

#include <fmt/format.h>

namespace mstap {

void resolveProbePoint(const ast::ProbePoint &pp, const SourceFile *file, Diagnostics &diags,
                       const ElaborateOptions &options, std::vector<ResolvedProbe> &out) {
  PointContext ctx(pp, file, diags, options, out);
  for (const ProbeFamily *family : probeFamilies())
    if (family->claims(pp)) {
      family->resolve(ctx);
      return;
    }
  // "syscall.foo ?": an optional point may name an alias the library does
  // not have (on this kernel), as in stap.
  if (pp.optional || pp.sufficient)
    return;
  std::string spelled;
  for (size_t i = 0; i < pp.components.size(); ++i)
    spelled += (i ? "." : "") + pp.components[i].name;
  std::vector<std::string> names;
  for (const ProbeFamily *family : probeFamilies())
    for (std::string &name : family->spellings())
      names.push_back(std::move(name));
  std::string similar = similarNames(spelled, names);
  ctx.error(pp.components[0].loc, fmt::format("unknown probe point '{}'{}", ctx.written,
                                              similar.empty() ? "" : " (similar: " + similar + ")"));
}

} // namespace mstap
