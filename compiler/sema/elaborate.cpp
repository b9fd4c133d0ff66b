#include "sema/elaborate.h"

#include "sema/elaborate_parts.h"

#include "sema/aliases.h"

#include "ast/printer.h"
#include "sema/builtins.h"
#include "sema/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace mstap {

using namespace ast;

std::string similarNames(const std::string &name, const std::vector<std::string> &candidates) {
  std::vector<std::pair<size_t, std::string>> scored;
  size_t limit = std::max<size_t>(2, name.size() / 3);
  for (const auto &c : candidates) {
    size_t d = editDistance(name, c);
    if (d <= limit && c != name)
      scored.emplace_back(d, c);
  }
  std::sort(scored.begin(), scored.end());
  std::string out;
  for (size_t i = 0; i < scored.size() && i < 5; ++i)
    out += (i ? ", " : "") + scored[i].second;
  return out;
}

ElaborateResult elaborate(Script &script, const ElaborateOptions &options, Diagnostics &diags) {
  ElaborateResult result;
  unsigned errorsBefore = diags.errorCount();
  size_t firstDiagnostic = diags.all().size();
  diags.sayRepeatsOnce(true);
  expandAliases(script, diags);
  resolveNamesAndTypes(script, options, diags);
  for (Decl &decl : script.decls) {
    if (decl.kind == Decl::Kind::Function)
      resolveFunctionCasts(*decl.function, script.file, diags, options, result.targets);
    if (decl.kind != Decl::Kind::Probe)
      continue;
    std::vector<ResolvedProbe> resolved;
    unsigned pointErrors = diags.errorCount();
    for (const ProbePoint &pp : decl.probe->points) {
      size_t before = resolved.size();
      resolveProbePoint(pp, script.file, diags, options, resolved);
      // "!": the first alternative that matches is enough, as in stap.
      if (pp.sufficient && resolved.size() > before)
        break;
    }
    if (diags.errorCount() == pointErrors && !resolved.empty())
      resolveTargets(*decl.probe, resolved, script.file, diags, options, result.targets);
    result.probes.push_back(std::move(resolved));
  }
  diags.sortFrom(firstDiagnostic);
  result.ok = diags.errorCount() == errorsBefore;
  return result;
}

static std::string variableText(const Variable &v) {
  std::string text = v.name + ":" + typeName(v.type);
  if (v.arity > 0) {
    text += " [";
    for (size_t i = 0; i < v.keyTypes.size(); ++i)
      text += (i ? ", " : "") + std::string(typeName(v.keyTypes[i]));
    text += "]";
  }
  return text;
}

static std::string localsText(const std::vector<std::unique_ptr<Variable>> &locals) {
  std::string text;
  for (const auto &v : locals)
    if (v->scope == Variable::Scope::Local)
      text += "  # local " + variableText(*v) + "\n";
  return text;
}

std::string printElaborated(const Script &script, const ElaborateResult &result) {
  std::string out = "# globals\n";
  for (const Decl &decl : script.decls)
    if (decl.kind == Decl::Kind::Global)
      for (const GlobalVar &g : decl.global->vars)
        if (g.var && (g.var->read || g.var->written))
          out += variableText(*g.var) + "\n";
  out += "# functions\n";
  for (const Decl &decl : script.decls) {
    if (decl.kind != Decl::Kind::Function)
      continue;
    const FunctionDecl &f = *decl.function;
    out += f.name + ":" + (f.returnType == Type::Unknown ? "unknown" : typeName(f.returnType)) + " (";
    for (size_t i = 0; i < f.params.size() && i < f.locals.size(); ++i)
      out += (i ? ", " : "") + variableText(*f.locals[i]);
    out += ")\n" + localsText(f.locals);
    out += f.body ? printBlock(*f.body) : "%{" + *f.embeddedCode + "%}\n";
  }
  out += "# probes\n";
  size_t index = 0;
  for (const Decl &decl : script.decls) {
    if (decl.kind != Decl::Kind::Probe)
      continue;
    const auto &resolved = result.probes.at(index++);
    for (const ResolvedProbe &r : resolved)
      out += r.point + " /* <- " + r.origin + " */\n";
    out += localsText(decl.probe->locals);
    out += printBlock(*decl.probe->body);
  }
  return out;
}

} // namespace mstap
