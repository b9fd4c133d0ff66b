#include "sema/probes/family.h"

#include "ast/printer.h"

#include <fmt/format.h>

namespace mstap {

const std::vector<const ProbeFamily *> &probeFamilies() {
  static const std::vector<const ProbeFamily *> families = {
      &beginEndFamily(),
      &timerFamily(),
      &kernelFamily(),
      &processFamily(),
  };
  return families;
}

PointContext::PointContext(const ast::ProbePoint &point, const SourceFile *file, Diagnostics &diagnostics,
                           const ElaborateOptions &elaborateOptions, std::vector<ResolvedProbe> &out)
    : pp(point), c(point.components), written(ast::printProbePoint(point)), options(elaborateOptions),
      diags(diagnostics), file_(file), out_(out) {}

void PointContext::error(SourceLoc at, std::string message) { diags.error(file_, at, std::move(message)); }

void PointContext::errorWithNotes(SourceLoc at, const std::string &lines) {
  size_t lineEnd = lines.find('\n');
  error(at, lines.substr(0, lineEnd));
  while (lineEnd != std::string::npos) {
    size_t next = lines.find('\n', lineEnd + 1);
    std::string detail = lines.substr(lineEnd + 1, next == std::string::npos ? next : next - lineEnd - 1);
    size_t start = detail.find_first_not_of(' ');
    if (start != std::string::npos)
      diags.note(nullptr, {}, detail.substr(start));
    lineEnd = next;
  }
}

void PointContext::noMatch(SourceLoc at, const std::string &problem) {
  if (pp.optional || pp.sufficient) // "!" is optional too
    return;
  error(at, fmt::format("no match for probe point '{}'{}", written, problem.empty() ? "" : " (" + problem + ")"));
}

ResolvedProbe &PointContext::add(std::string point, ProbeKind kind) {
  ResolvedProbe r;
  r.point = std::move(point);
  r.origin = written;
  r.kind = kind;
  r.source = &pp;
  out_.push_back(std::move(r));
  return out_.back();
}

bool PointContext::noParam(size_t i) {
  if (!c[i].number && !c[i].string)
    return true;
  error(c[i].loc, fmt::format("'{}' takes no parameter", c[i].name));
  return false;
}

bool PointContext::numberParam(size_t i, bool positive) {
  if (c[i].string || !c[i].number) {
    error(c[i].loc, fmt::format("'{}' needs a number in parentheses", c[i].name));
    return false;
  }
  if (positive && *c[i].number <= 0) {
    error(c[i].loc, fmt::format("'{}' needs a number above 0", c[i].name));
    return false;
  }
  return true;
}

std::optional<std::string> PointContext::stringParam(size_t i) {
  if (!c[i].string)
    error(c[i].loc, fmt::format("'{}' needs a string in parentheses", c[i].name));
  return c[i].string;
}

} // namespace mstap
