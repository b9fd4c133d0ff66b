#include "driver/kernel_probes.h"

#include "kernel/kernel_functions.h"
#include "kernel/trace_groups.h"

#include <fmt/format.h>

#include <algorithm>
#include <fnmatch.h>
#include <optional>
#include <set>

namespace mstap {

struct KernelProbes::State {
  const Options &options;
  bool loaded = false;
  std::string loadError;
  std::optional<kernel::KernelFunctions> kernel;
  std::optional<std::vector<kernel::ModuleFile>> modules;
  std::vector<std::unique_ptr<kernel::ModuleFunctions>> loadedModules;
  size_t dropped = 0;
  std::vector<std::string> notes;

  explicit State(const Options &o) : options(o) {}

  bool load(std::string &error) {
    if (!loaded) {
      loaded = true;
      auto target = kernel::resolveKernelTarget(options.release, options.sysroot.empty() ? "/" : options.sysroot);
      if (!target) {
        loadError = target.error();
      } else {
        auto functions = kernel::KernelFunctions::load(
            *target, options.disableCache ? kernel::LoadOptions{} : kernel::LoadOptions::defaults());
        if (!functions)
          loadError = functions.error() +
                      fmt::format("\nto read it, install linux-image-{0} (or unpack it without installing: "
                                  "tools/fetch-kernel {0}, then pass --sysroot with the folder it prints)",
                                  target->release);
        else
          kernel = functions.take();
      }
    }
    error = loadError;
    return kernel.has_value();
  }

  void take(const std::string &module, const kernel::FunctionMatches &found, std::vector<KernelMatch> &out) {
    dropped += found.dropped.size();
    out.reserve(out.size() + found.functions.size());
    for (const kernel::KernelFunction *f : found.functions)
      out.push_back({module, f->name, f});
  }

  // A tracepoint, the BTF its argument types are in, and its group.
  struct TraceEntry {
    kernel::Tracepoint tracepoint;
    const kernel::Btf *btf = nullptr;
    std::string group; // empty when the header tree does not say
  };
  std::optional<std::vector<TraceEntry>> traceEntries; // every tracepoint, read once
  std::optional<kernel::TraceGroups> traceGroups;      // read with them

  static std::optional<CPrototype> tracepointPrototype(const TraceEntry &entry) {
    if (!entry.tracepoint.prototypeKnown)
      return std::nullopt;
    CPrototype prototype;
    for (const auto &a : entry.tracepoint.arguments)
      prototype.params.push_back({a.name, entry.btf->type(a.typeId, a.type)});
    prototype.returns = entry.btf->type(0, "void");
    return prototype;
  }

  static std::optional<CPrototype> prototypeOf(const KernelMatch &match) {
    if (match.isTracepoint)
      return match.handle ? tracepointPrototype(*static_cast<const TraceEntry *>(match.handle)) : std::nullopt;
    auto *function = static_cast<const kernel::KernelFunction *>(match.handle);
    if (!function || !function->prototype || !function->prototype.btf())
      return std::nullopt;
    const kernel::Btf &btf = *function->prototype.btf();
    CPrototype prototype;
    for (const auto &p : function->prototype->parameters)
      prototype.params.push_back({p.name, btf.type(p.typeId, p.type)});
    prototype.returns = btf.type(function->prototype->returnTypeId, function->prototype->returnType);
    return prototype;
  }

  // Tracepoints, from the "btf_trace_NAME" typedefs the kernel's BTF holds
  // for each of them: no symbol table is needed. Their groups come from the
  // header tree. "NAME" patterns match names alone; "GROUP:NAME" patterns
  // both parts, so a tracepoint of unknown group matches none of them.
  bool tracepoints(const std::string &pattern, std::vector<KernelMatch> &out, std::string &error) {
    const auto &btf = kernel->btf();
    if (!btf) {
      error = fmt::format("the kernel {} has no BTF, which mstap reads its tracepoints from",
                          kernel->target().release);
      return false;
    }
    size_t colon = pattern.find(':');
    bool withGroup = colon != std::string::npos;
    std::string groupPattern = withGroup ? pattern.substr(0, colon) : "";
    std::string namePattern = withGroup ? pattern.substr(colon + 1) : pattern;
    if (!traceEntries) {
      traceGroups = kernel::loadTraceGroups(kernel->target());
      traceEntries.emplace();
      for (auto &tp : btf->tracepoints()) {
        auto group = traceGroups->groupOf.find(tp.name);
        std::string groupName = group == traceGroups->groupOf.end() ? "" : group->second;
        traceEntries->push_back({std::move(tp), btf.get(), std::move(groupName)});
      }
    }
    size_t before = out.size();
    std::vector<std::string> ungrouped; // names that matched, of unknown group
    std::set<std::string> otherGroups;  // groups of those whose name matched but group did not
    for (const TraceEntry &entry : *traceEntries) {
      if (fnmatch(namePattern.c_str(), entry.tracepoint.name.c_str(), 0) != 0)
        continue;
      if (withGroup && entry.group.empty()) {
        ungrouped.push_back(entry.tracepoint.name);
        continue;
      }
      if (withGroup && fnmatch(groupPattern.c_str(), entry.group.c_str(), 0) != 0) {
        otherGroups.insert(entry.group);
        continue;
      }
      KernelMatch m{"", entry.tracepoint.name, &entry};
      m.isTracepoint = true;
      m.group = entry.group;
      out.push_back(std::move(m));
    }
    if (out.size() != before)
      return true;
    // Nothing matched: say why, when the name alone would have.
    std::string which = ungrouped.size() == 1 ? fmt::format("'{}' has", ungrouped.front())
                                              : fmt::format("the {} tracepoints matching '{}' have", ungrouped.size(),
                                                            namePattern);
    if (!otherGroups.empty())
      error = fmt::format("tracepoints matching '{}' are in group{} {}", namePattern,
                          otherGroups.size() == 1 ? "" : "s", fmt::join(otherGroups, ", "));
    else if (!ungrouped.empty() && traceGroups->roots.empty())
      error = fmt::format("{} no known group: mstap reads groups from the kernel's trace headers, and found no "
                          "header tree for {} (install its headers); name the tracepoint without a group",
                          which, kernel->target().release);
    else if (!ungrouped.empty())
      error = fmt::format("{} no known group: no trace header under {} defines {} as an event; name the "
                          "tracepoint without a group",
                          which, fmt::join(traceGroups->roots, ", "), ungrouped.size() == 1 ? "it" : "them");
    return true;
  }

  bool listedModules(std::string &error) {
    if (!modules) {
      auto listed = kernel::listModules(kernel->target());
      if (!listed) {
        error = listed.error();
        return false;
      }
      modules = listed.take();
    }
    return true;
  }

  // A module's BTF by its exact name, loaded once.
  const kernel::Btf *moduleBtf(const std::string &name, std::string &error) {
    for (const auto &loaded : loadedModules)
      if (loaded->name() == name) {
        if (!loaded->btf())
          error = fmt::format("module '{}' has no BTF to read types from", name);
        return loaded->btf().get();
      }
    if (!listedModules(error))
      return nullptr;
    std::string wanted = name;
    std::replace(wanted.begin(), wanted.end(), '-', '_');
    for (const auto &file : *modules) {
      if (file.name != wanted)
        continue;
      auto functions = kernel::ModuleFunctions::load(file, *kernel);
      if (!functions) {
        error = functions.error();
        return nullptr;
      }
      loadedModules.push_back(std::make_unique<kernel::ModuleFunctions>(functions.take()));
      if (!loadedModules.back()->btf())
        error = fmt::format("module '{}' has no BTF to read types from", name);
      return loadedModules.back()->btf().get();
    }
    std::vector<std::string> names;
    for (const auto &file : *modules)
      names.push_back(file.name);
    std::string similar = similarNames(wanted, names);
    error = fmt::format("no module '{}' for kernel {}{}", name, kernel->target().release,
                        similar.empty() ? "" : " (similar: " + similar + ")");
    return nullptr;
  }

  std::optional<CType> namedType(const std::string &module, const std::string &name, std::string &error) {
    if (!load(error))
      return std::nullopt;
    const kernel::Btf *btf = nullptr;
    if (module == "kernel") {
      btf = kernel->btf().get();
      if (!btf) {
        error = fmt::format("the kernel {} has no BTF, which mstap reads @cast's types from",
                            kernel->target().release);
        return std::nullopt;
      }
    } else {
      btf = moduleBtf(module, error);
      if (!btf)
        return std::nullopt;
    }
    if (auto found = btf->findType(name))
      return found;
    std::string similar = btf->similarTypeNames(name);
    bool pointer = name.find('*') != std::string::npos;
    error = fmt::format("the BTF of {} has no type '{}'{}{}",
                        module == "kernel" ? "the kernel " + kernel->target().release : "module '" + module + "'",
                        name, pointer ? " (nor a pointer to it)" : "",
                        similar.empty() ? "" : " (similar: " + similar + ")");
    return std::nullopt;
  }

  bool match(const std::string &what, const std::string &module, const std::string &pattern,
             std::vector<KernelMatch> &out, std::string &error) {
    if (!load(error))
      return false;
    if (what == "trace")
      return tracepoints(pattern, out, error);
    if (module.empty()) {
      auto found = kernel->matchFunctions(pattern);
      if (found.exactNameBlocked()) {
        error = fmt::format("cannot probe '{}': {}", pattern, found.dropped.front().reason);
        return false;
      }
      take("", found, out);
      return true;
    }
    if (!listedModules(error))
      return false;
    for (const auto &file : kernel::findModules(*modules, module)) {
      auto functions = kernel::ModuleFunctions::load(file, *kernel);
      if (!functions) {
        error = functions.error();
        return false;
      }
      for (const auto &note : functions->notes())
        notes.push_back(note);
      // Kept: matches point into its table.
      loadedModules.push_back(std::make_unique<kernel::ModuleFunctions>(functions.take()));
      take(loadedModules.back()->name(), loadedModules.back()->matchFunctions(pattern), out);
    }
    return true;
  }
};

KernelProbes::KernelProbes(const Options &options) : state_(std::make_unique<State>(options)) {}

bool KernelProbes::matchKernel(const std::string &what, const std::string &module, const std::string &pattern,
                               std::vector<KernelMatch> &matches, std::string &error) const {
  return state_->match(what, module, pattern, matches, error);
}

std::optional<CPrototype> KernelProbes::prototype(const ResolvedProbe &point) const {
  return point.kernel ? State::prototypeOf(*point.kernel) : std::nullopt;
}

std::optional<CType> KernelProbes::namedType(const std::string &module, const std::string &name,
                                             std::string &error) const {
  return state_->namedType(module, name, error);
}

KernelProbes::~KernelProbes() = default;

std::vector<std::string> KernelProbes::report() const {
  std::vector<std::string> lines;
  if (!state_->kernel)
    return lines;
  const auto &r = state_->kernel->report();
  lines.push_back(fmt::format("kernel {}: {} functions (names from {}; prototypes from {}) in {:.0f} ms",
                              state_->kernel->target().release, state_->kernel->table().size(),
                              r.symbolSource.empty() ? "BTF" : r.symbolSource,
                              r.btfSource.empty() ? "nowhere" : r.btfSource, r.totalMilliseconds));
  for (const auto &note : r.notes)
    lines.push_back(note);
  for (const auto &note : state_->notes)
    lines.push_back(note);
  if (const auto &groups = state_->traceGroups) {
    size_t grouped = 0;
    for (const auto &entry : *state_->traceEntries)
      grouped += !entry.group.empty();
    lines.push_back(fmt::format("tracepoint groups: {} of {} tracepoints, from {} files under {} in {:.0f} ms",
                                grouped, state_->traceEntries->size(), groups->headers,
                                groups->roots.empty() ? std::string("no header tree")
                                                      : fmt::format("{}", fmt::join(groups->roots, ", ")),
                                groups->milliseconds));
  }
  if (state_->dropped)
    lines.push_back(fmt::format("{} functions matched by wildcards were left out: they cannot be kprobed",
                                state_->dropped));
  return lines;
}

} // namespace mstap
