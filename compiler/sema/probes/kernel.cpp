// kernel.function("PATTERN")[.call|.return], module("M").function(...),
// kprobe.function("PATTERN")[.return] and kernel.trace("[GROUP:]NAME"),
// expanded against the target kernel's BTF and symbols.
#include "sema/probes/family.h"

#include <fmt/format.h>

#include <algorithm>

namespace mstap {
namespace {

class Kernel : public ProbeFamily {
public:
  std::vector<std::string> spellings() const override {
    return {"kernel.function", "module.function", "kprobe.function", "kernel.trace"};
  }

  bool claims(const ast::ProbePoint &pp) const override {
    const auto &c = pp.components;
    if (c.size() < 2)
      return false;
    return (c[0].name == "kernel" && (c[1].name == "function" || c[1].name == "trace")) ||
           ((c[0].name == "module" || c[0].name == "kprobe") && c[1].name == "function");
  }

  void resolve(PointContext &ctx) const override {
    const auto &c = ctx.c;
    const std::string &head = c[0].name;
    const std::string &what = c[1].name; // "function" or "trace"
    std::optional<std::string> module;
    if (head == "module") {
      if (!(module = ctx.stringParam(0)))
        return;
    } else if (!ctx.noParam(0)) {
      return;
    }
    std::optional<std::string> pattern = ctx.stringParam(1);
    if (!pattern)
      return;
    std::string suffix;
    if (c.size() > 2) {
      const auto &s = c[2];
      bool allowed = what == "function" && (s.name == "return" || (s.name == "call" && head != "kprobe"));
      if (!allowed || c.size() != 3) {
        ctx.error(s.loc, fmt::format("unknown probe point '{}': '{}' cannot follow {}.{}", ctx.written, s.name, head,
                                     what));
        return;
      }
      if (!ctx.noParam(2))
        return;
      suffix = "." + s.name;
    }
    const FunctionSource *kernel = ctx.options.kernel;
    if (!kernel) {
      ctx.error(c[0].loc, fmt::format("cannot expand '{}': no target kernel was given", ctx.written));
      return;
    }
    std::vector<KernelMatch> matches;
    std::string problem;
    if (!kernel->matchKernel(what, module.value_or(""), *pattern, matches, problem)) {
      ctx.errorWithNotes(c[0].loc, problem);
      return;
    }
    if (matches.empty()) {
      ctx.noMatch(c[0].loc, problem);
      return;
    }
    for (auto &m : matches) {
      std::string prefix = m.module.empty() ? head + "." : fmt::format("module(\"{}\").", m.module);
      // A tracepoint shows its group when known, as stap lists it; the
      // kernel registers it by its bare name (KernelMatch::function).
      std::string name = m.group.empty() ? m.function : m.group + ":" + m.function;
      bool isReturn = suffix == ".return";
      ResolvedProbe &r = ctx.add(fmt::format("{}{}(\"{}\"){}", prefix, what, name, suffix),
                                 what == "trace" ? ProbeKind::Tracepoint
                                 : isReturn      ? ProbeKind::Kretprobe
                                                 : ProbeKind::Kprobe);
      r.isReturn = isReturn;
      r.kernel = std::move(m);
      if (what == "trace")
        r.traceArguments = oneSlotArguments(*kernel, r);
    }
  }

private:
  // How many arguments a tracepoint passes its probes after their data
  // pointer when each is one integer or pointer (a handler of that many u64
  // parameters then receives them exactly); -1 otherwise.
  static int oneSlotArguments(const FunctionSource &kernel, const ResolvedProbe &point) {
    auto proto = kernel.prototype(point);
    if (!proto)
      return -1;
    bool oneSlotEach = std::all_of(proto->params.begin(), proto->params.end(), [](const CParameter &p) {
      const CType &t = p.type;
      return (t.kind == CType::Kind::Integer || t.kind == CType::Kind::Enum || t.kind == CType::Kind::Pointer) &&
             t.size >= 1 && t.size <= 8;
    });
    return oneSlotEach ? static_cast<int>(proto->params.size()) : -1;
  }
};

} // namespace

bool FunctionSource::matchKernel(const std::string &, const std::string &, const std::string &,
                                 std::vector<KernelMatch> &, std::string &error) const {
  error = "this source holds no kernel functions";
  return false;
}

const ProbeFamily &kernelFamily() {
  static const Kernel family;
  return family;
}

} // namespace mstap
