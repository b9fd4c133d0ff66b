// Elaboration, part 2: probe points. Expands each point as written into
// the points it stands for (kernel functions and tracepoints from BTF,
// program functions from DWARF), each with its ProbeKind.
#include "sema/elaborate_parts.h"

#include "ast/printer.h"

#include <fmt/format.h>

#include <algorithm>

namespace mstap {

using namespace ast;

namespace {

// Probe point families that need no kernel data, and those that do.
const char *const knownProbePoints[] = {
    "begin", "end", "error", "never", "timer.s", "timer.ms", "timer.us", "timer.ns", "timer.hz",
    "timer.jiffies", "timer.profile", "kernel.function", "module.function", "kprobe.function",
    "kernel.trace",
};

class ProbeResolver {
public:
  ProbeResolver(const SourceFile *file, Diagnostics &diags, const ElaborateOptions &options)
      : file_(file), diags_(diags), options_(options) {}

  void resolve(const ProbePoint &pp, std::vector<ResolvedProbe> &out) {
    const auto &c = pp.components;
    std::string family;
    for (size_t i = 0; i < c.size(); ++i)
      family += (i ? "." : "") + c[i].name;
    std::string written = printProbePoint(pp);
    auto add = [&](std::string point, ProbeKind kind) {
      ResolvedProbe r;
      r.point = std::move(point);
      r.origin = written;
      r.kind = kind;
      r.source = &pp;
      out.push_back(std::move(r));
      return &out.back();
    };
    auto noParam = [&](size_t i) {
      if (c[i].number || c[i].string)
        error(c[i].loc, fmt::format("'{}' takes no parameter", c[i].name));
    };
    auto numberParam = [&](size_t i, bool positive) {
      if (c[i].string || !c[i].number)
        error(c[i].loc, fmt::format("'{}' needs a number in parentheses", c[i].name));
      else if (positive && *c[i].number <= 0)
        error(c[i].loc, fmt::format("'{}' needs a number above 0", c[i].name));
    };
    auto stringParam = [&](size_t i) {
      if (!c[i].string)
        error(c[i].loc, fmt::format("'{}' needs a string in parentheses", c[i].name));
      return c[i].string.value_or("");
    };
    const std::string &head = c[0].name;

    if (c.size() == 1 && (head == "begin" || head == "end" || head == "error")) {
      if (c[0].string)
        error(c[0].loc, fmt::format("the priority of '{}' must be a number", head));
      ResolvedProbe *r = add(written, head == "begin" ? ProbeKind::Begin
                                      : head == "end" ? ProbeKind::End
                                                      : ProbeKind::Error);
      r->priority = c[0].number.value_or(0);
      return;
    }
    if (c.size() == 1 && head == "never") {
      noParam(0);
      add(written, ProbeKind::Never);
      return;
    }
    if (head == "timer" && c.size() >= 2) {
      noParam(0);
      const std::string &unit = c[1].name;
      if (unit == "profile" && c.size() == 2) {
        noParam(1);
        add(written, ProbeKind::Profile);
        return;
      }
      if (unit == "s" || unit == "ms" || unit == "us" || unit == "ns" || unit == "hz" || unit == "jiffies") {
        numberParam(1, true);
        bool randomize = c.size() == 3 && c[2].name == "randomize" && unit != "hz";
        if (randomize) {
          numberParam(2, true);
        } else if (c.size() != 2) {
          error(c[2].loc, fmt::format("unknown probe point '{}': a timer may end only in .randomize(N)", written));
          return;
        }
        if (!timerPeriodFits(c[1], unit) || (randomize && !timerPeriodFits(c[2], unit)))
          return;
        ResolvedProbe *r = add(written, ProbeKind::Timer);
        r->timerUnit = unit;
        r->timerCount = static_cast<uint64_t>(c[1].number.value_or(1));
        r->timerRandomize = randomize ? static_cast<uint64_t>(c[2].number.value_or(0)) : 0;
        return;
      }
    }
    std::string module, what, pattern;
    size_t suffixAt = 0;
    if (head == "kernel" && c.size() >= 2 && (c[1].name == "function" || c[1].name == "trace")) {
      noParam(0);
      what = c[1].name;
      pattern = stringParam(1);
      suffixAt = 2;
    } else if (head == "module" && c.size() >= 2 && c[1].name == "function") {
      module = stringParam(0);
      what = "function";
      pattern = stringParam(1);
      suffixAt = 2;
    } else if (head == "kprobe" && c.size() >= 2 && c[1].name == "function") {
      noParam(0);
      what = "function";
      pattern = stringParam(1);
      suffixAt = 2;
    } else if (head == "process") {
      resolveProcess(pp, written, out);
      return;
    } else {
      std::vector<std::string> names(std::begin(knownProbePoints), std::end(knownProbePoints));
      std::string similar = similarNames(family, names);
      error(c[0].loc, fmt::format("unknown probe point '{}'{}", written,
                                  similar.empty() ? "" : " (similar: " + similar + ")"));
      return;
    }
    std::string suffix;
    if (suffixAt < c.size()) {
      const auto &s = c[suffixAt];
      bool allowed = what == "function" && (s.name == "return" || (s.name == "call" && head != "kprobe"));
      if (!allowed || suffixAt + 1 != c.size()) {
        error(s.loc, fmt::format("unknown probe point '{}': '{}' cannot follow {}.{}", written, s.name, head, what));
        return;
      }
      noParam(suffixAt);
      suffix = "." + s.name;
    }
    if (!options_.kernel) {
      error(c[0].loc, fmt::format("cannot expand '{}': no target kernel was given", written));
      return;
    }
    std::vector<KernelMatch> matches;
    std::string problem;
    if (!options_.kernel->match(what, module, pattern, matches, problem)) {
      // The first line says what failed; the others why, as notes.
      size_t lineEnd = problem.find('\n');
      error(c[0].loc, problem.substr(0, lineEnd));
      while (lineEnd != std::string::npos) {
        size_t next = problem.find('\n', lineEnd + 1);
        std::string detail = problem.substr(lineEnd + 1, next == std::string::npos ? next : next - lineEnd - 1);
        size_t start = detail.find_first_not_of(' ');
        if (start != std::string::npos)
          diags_.note(nullptr, {}, detail.substr(start));
        lineEnd = next;
      }
      return;
    }
    if (matches.empty()) {
      if (!pp.optional && !pp.sufficient) // "!" is optional too
        error(c[0].loc, fmt::format("no match for probe point '{}'{}", written,
                                    problem.empty() ? "" : " (" + problem + ")"));
      return;
    }
    for (auto &m : matches) {
      std::string prefix = m.module.empty() ? head + "." : fmt::format("module(\"{}\").", m.module);
      // A tracepoint shows its group when known, as stap lists it; the
      // kernel registers it by its bare name (KernelMatch::function).
      std::string name = m.group.empty() ? m.function : m.group + ":" + m.function;
      ResolvedProbe r;
      r.point = fmt::format("{}{}(\"{}\"){}", prefix, what, name, suffix);
      r.origin = written;
      r.isReturn = suffix == ".return";
      r.kernel = std::move(m);
      r.kind = what == "trace" ? ProbeKind::Tracepoint : r.isReturn ? ProbeKind::Kretprobe : ProbeKind::Kprobe;
      r.source = &pp;
      if (what == "trace" && options_.kernel->prototype)
        if (auto proto = options_.kernel->prototype(*r.kernel); proto && proto->paramTypes.size() == proto->params.size()) {
          bool oneSlotEach = std::all_of(proto->paramTypes.begin(), proto->paramTypes.end(), [](const KernelType &t) {
            return (t.kind == KernelType::Kind::Integer || t.kind == KernelType::Kind::Enum ||
                    t.kind == KernelType::Kind::Pointer) &&
                   t.size >= 1 && t.size <= 8;
          });
          if (oneSlotEach)
            r.traceArguments = static_cast<int>(proto->params.size());
        }
      out.push_back(std::move(r));
    }
  }

private:
  // A timer's count (or randomisation) in `unit`: at least 100 us, so a
  // probe cannot swamp a CPU, and at most what 64 bits of nanoseconds hold
  // (a jiffy counted as 10 ms, the longest of HZ=100).
  bool timerPeriodFits(const ProbePoint::Component &c, const std::string &unit) {
    if (!c.number || *c.number <= 0)
      return false; // reported as a missing or non-positive number
    double n = static_cast<double>(*c.number);
    double ns = unit == "s" ? n * 1e9 : unit == "ms" ? n * 1e6 : unit == "us" ? n * 1e3
                : unit == "ns" ? n : unit == "jiffies" ? n * 1e6 : 1e9 / n;
    double longest = unit == "jiffies" ? n * 1e7 : ns;
    if (c.name == "randomize")
      return longest < 9.2e18 ? true : (error(c.loc, "the randomisation of a timer must be under 292 years"), false);
    if (ns < 100000) {
      error(c.loc, "a timer period under 100 microseconds would swamp the CPU: mstap refuses it");
      return false;
    }
    if (longest >= 9.2e18) {
      error(c.loc, "a timer period must be under 292 years (2^63 nanoseconds)");
      return false;
    }
    return true;
  }

  // process("PATH").function("PATTERN")[.call|.return], against the
  // program's DWARF.
  void resolveProcess(const ProbePoint &pp, const std::string &written, std::vector<ResolvedProbe> &out) {
    const auto &c = pp.components;
    if (!c[0].string) {
      error(c[0].loc, fmt::format("cannot expand '{}': mstap probes a program named by its path, as in "
                                  "process(\"/usr/bin/prog\").function(\"name\")",
                                  written));
      return;
    }
    bool known = c.size() >= 2 && c[1].name == "function" &&
                 (c.size() == 2 || (c.size() == 3 && (c[2].name == "call" || c[2].name == "return")));
    if (!known) {
      SourceLoc at = c.size() >= 2 ? c[1].loc : c[0].loc;
      error(at, fmt::format("unknown probe point '{}': mstap supports process(\"PATH\").function(\"NAME\"), "
                            "with .call or .return",
                            written));
      return;
    }
    if (!c[1].string) {
      error(c[1].loc, "'function' needs a string in parentheses");
      return;
    }
    if (c.size() == 3 && (c[2].number || c[2].string)) {
      error(c[2].loc, fmt::format("'{}' takes no parameter", c[2].name));
      return;
    }
    std::string suffix = c.size() == 3 ? "." + c[2].name : "";
    if (!options_.user) {
      error(c[0].loc, fmt::format("cannot expand '{}': user-space probes are not available here", written));
      return;
    }
    std::vector<UserMatch> matches;
    std::string problem;
    if (!options_.user->match(*c[0].string, *c[1].string, matches, problem)) {
      error(c[0].loc, problem);
      return;
    }
    if (matches.empty()) {
      if (!pp.optional && !pp.sufficient) // "!" is optional too
        error(c[1].loc, fmt::format("no match for probe point '{}'{}", written,
                                    problem.empty() ? "" : " (" + problem + ")"));
      return;
    }
    for (auto &m : matches) {
      std::string at = m.file.empty() ? "" : fmt::format("@{}:{}", m.file, m.line);
      ResolvedProbe r;
      r.point = fmt::format("process(\"{}\").function(\"{}{}\"){}", m.binary, m.function, at, suffix);
      r.origin = written;
      r.isReturn = suffix == ".return";
      r.user = std::move(m);
      r.kind = r.isReturn ? ProbeKind::Uretprobe : ProbeKind::Uprobe;
      r.source = &pp;
      out.push_back(std::move(r));
    }
  }

  void error(SourceLoc at, std::string message) { diags_.error(file_, at, std::move(message)); }
  const SourceFile *file_;
  Diagnostics &diags_;
  const ElaborateOptions &options_;
};

} // namespace

void resolveProbePoint(const ProbePoint &pp, const SourceFile *file, Diagnostics &diags,
                       const ElaborateOptions &options, std::vector<ResolvedProbe> &out) {
  ProbeResolver(file, diags, options).resolve(pp, out);
}

} // namespace mstap
