// process("PATH").function("PATTERN")[.call|.return], against the
// program's DWARF.
#include "sema/probes/family.h"

#include <fmt/format.h>

namespace mstap {
namespace {

class Process : public ProbeFamily {
public:
  std::vector<std::string> spellings() const override { return {"process.function"}; }

  bool claims(const ast::ProbePoint &pp) const override { return pp.components[0].name == "process"; }

  void resolve(PointContext &ctx) const override {
    const auto &c = ctx.c;
    if (!c[0].string) {
      ctx.error(c[0].loc, fmt::format("cannot expand '{}': mstap probes a program named by its path, as in "
                                      "process(\"/usr/bin/prog\").function(\"name\")",
                                      ctx.written));
      return;
    }
    bool known = c.size() >= 2 && c[1].name == "function" &&
                 (c.size() == 2 || (c.size() == 3 && (c[2].name == "call" || c[2].name == "return")));
    if (!known) {
      SourceLoc at = c.size() >= 2 ? c[1].loc : c[0].loc;
      ctx.error(at, fmt::format("unknown probe point '{}': mstap supports process(\"PATH\").function(\"NAME\"), "
                                "with .call or .return",
                                ctx.written));
      return;
    }
    if (!c[1].string) {
      ctx.error(c[1].loc, "'function' needs a string in parentheses");
      return;
    }
    if (c.size() == 3 && !ctx.noParam(2))
      return;
    std::string suffix = c.size() == 3 ? "." + c[2].name : "";
    const FunctionSource *user = ctx.options.user;
    if (!user) {
      ctx.error(c[0].loc, fmt::format("cannot expand '{}': user-space probes are not available here", ctx.written));
      return;
    }
    std::vector<UserMatch> matches;
    std::string problem;
    if (!user->matchProgram(*c[0].string, *c[1].string, matches, problem)) {
      ctx.error(c[0].loc, problem);
      return;
    }
    if (matches.empty()) {
      ctx.noMatch(c[1].loc, problem);
      return;
    }
    for (auto &m : matches) {
      std::string at = m.file.empty() ? "" : fmt::format("@{}:{}", m.file, m.line);
      bool isReturn = suffix == ".return";
      ResolvedProbe &r = ctx.add(fmt::format("process(\"{}\").function(\"{}{}\"){}", m.binary, m.function, at, suffix),
                                 isReturn ? ProbeKind::Uretprobe : ProbeKind::Uprobe);
      r.isReturn = isReturn;
      r.user = std::move(m);
    }
  }
};

} // namespace

bool FunctionSource::matchProgram(const std::string &, const std::string &, std::vector<UserMatch> &,
                                  std::string &error) const {
  error = "this source holds no programs";
  return false;
}

const ProbeFamily &processFamily() {
  static const Process family;
  return family;
}

} // namespace mstap
