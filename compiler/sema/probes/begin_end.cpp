// begin, end, error (each with an optional priority) and never.
#include "sema/probes/family.h"

#include <fmt/format.h>

namespace mstap {
namespace {

class BeginEnd : public ProbeFamily {
public:
  std::vector<std::string> spellings() const override { return {"begin", "end", "error", "never"}; }

  bool claims(const ast::ProbePoint &pp) const override {
    const std::string &head = pp.components[0].name;
    return pp.components.size() == 1 && (head == "begin" || head == "end" || head == "error" || head == "never");
  }

  void resolve(PointContext &ctx) const override {
    const auto &head = ctx.c[0];
    if (head.name == "never") {
      ctx.noParam(0);
      ctx.add(ctx.written, ProbeKind::Never);
      return;
    }
    if (head.string)
      ctx.error(head.loc, fmt::format("the priority of '{}' must be a number", head.name));
    ResolvedProbe &r = ctx.add(ctx.written, head.name == "begin" ? ProbeKind::Begin
                                            : head.name == "end" ? ProbeKind::End
                                                                 : ProbeKind::Error);
    r.priority = head.number.value_or(0);
  }
};

} // namespace

const ProbeFamily &beginEndFamily() {
  static const BeginEnd family;
  return family;
}

} // namespace mstap
