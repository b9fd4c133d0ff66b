#include "kernel/kernel_functions.h"

#include "kernel/decompress.h"
#include "kernel/elf_file.h"
#include "kernel/files.h"
#include "kernel/image_btf.h"
#include "kernel/symbol_map.h"
#include "support/clock.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fnmatch.h>
#include <unordered_map>

namespace mstap::kernel {

namespace {

using Clock = std::chrono::steady_clock;

bool startsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// The part of a glob before its first special character: every match starts
// with it, so only that stretch of the sorted table needs testing.
std::string_view literalPrefix(std::string_view pattern) {
  return pattern.substr(0, std::min(pattern.find_first_of("*?[\\"), pattern.size()));
}

bool isUnprobeableSectionName(std::string_view section) {
  return section == ".noinstr.text" || section == ".entry.text" || section == ".kprobes.text";
}

// Each name's FUNC entry (the first, where static functions share a name).
std::unordered_map<std::string, uint32_t> funcIdsByName(const std::vector<BtfFunction> &functions) {
  std::unordered_map<std::string, uint32_t> ids;
  ids.reserve(functions.size());
  for (const BtfFunction &function : functions)
    ids.emplace(function.name, function.typeId);
  return ids;
}

// The first symbol list that names functions: kallsyms for the running
// kernel, then a real System.map.
std::optional<SymbolMap> loadSymbolMap(const KernelTarget &target, LoadReport &report) {
  if (target.running && !target.kallsymsPath.empty()) {
    OrError<std::string> text = readWholeFile(target.kallsymsPath);
    if (text.ok()) {
      SymbolMap map = parseSymbolMap(*text);
      if (!map.functions.empty()) {
        report.symbolSource = target.kallsymsPath;
        return map;
      }
      report.notes.push_back(target.kallsymsPath + " lists no functions");
    } else {
      report.notes.push_back(text.error());
    }
  }
  for (const std::string &path : target.systemMaps) {
    if (!isReadableFile(path))
      continue;
    OrError<std::string> text = readWholeFile(path);
    if (!text.ok()) {
      report.notes.push_back(text.error());
      continue;
    }
    if (isPlaceholderSystemMap(*text)) {
      report.notes.push_back(path + " is a placeholder without symbols (Debian keeps the real one in the "
                                    "linux-image-*-dbg package); ignored");
      continue;
    }
    report.symbolSource = path;
    return parseSymbolMap(*text);
  }
  return std::nullopt;
}

std::shared_ptr<const Btf> loadVmlinuxBtf(const KernelTarget &target, const LoadOptions &options,
                                          LoadReport &report) {
  if (target.running && !target.runningBtfPath.empty() && isReadableFile(target.runningBtfPath)) {
    OrError<std::string> blob = readWholeFile(target.runningBtfPath);
    if (blob.ok()) {
      auto btf = Btf::parse(*blob, target.runningBtfPath);
      if (btf.ok()) {
        report.btfSource = target.runningBtfPath;
        return btf.take();
      }
      report.notes.push_back(btf.error());
    } else {
      report.notes.push_back(blob.error());
    }
  }
  if (target.kernelImage.empty() || !isReadableFile(target.kernelImage)) {
    report.notes.push_back("no kernel image at " + target.kernelImage);
    return nullptr;
  }
  OrError<ImageBtf> loaded = loadKernelImageBtf(target.kernelImage, target.release, options.cacheDirectory);
  if (!loaded.ok()) {
    report.notes.push_back(loaded.error());
    return nullptr;
  }
  report.btfSource = loaded->how;
  report.btfFromCache = loaded->fromCache;
  if (!loaded->cacheNote.empty())
    report.notes.push_back(loaded->cacheNote);
  return loaded->btf;
}

std::string sectionContaining(const std::vector<AddressRange> &ranges, uint64_t address) {
  for (const AddressRange &range : ranges)
    if (address >= range.start && address < range.end)
      return range.section;
  return "";
}

} // namespace

bool isFunctionEntryName(std::string_view name) {
  return !startsWith(name, "__pfx_") && !startsWith(name, "__cfi_") && !endsWith(name, ".cold") &&
         name.find(".cold.") == std::string_view::npos;
}

FunctionTable::FunctionTable(std::vector<KernelFunction> functions) {
  // Sorted through an index, as moving the entries themselves is costly; the
  // index also breaks ties, so that of several functions of one name the
  // first listed stays.
  std::vector<uint32_t> order(functions.size());
  for (uint32_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    int byName = functions[a].name.compare(functions[b].name);
    return byName != 0 ? byName < 0 : a < b;
  });
  functions_.reserve(functions.size());
  for (uint32_t index : order) {
    KernelFunction &function = functions[index];
    if (!functions_.empty() && functions_.back().name == function.name) {
      ++functions_.back().copies;
      ++duplicateNames_;
      continue;
    }
    functions_.push_back(std::move(function));
  }
}

const KernelFunction *FunctionTable::find(std::string_view name) const {
  auto found = std::lower_bound(functions_.begin(), functions_.end(), name,
                                [](const KernelFunction &function, std::string_view key) { return function.name < key; });
  if (found == functions_.end() || found->name != name)
    return nullptr;
  return &*found;
}

FunctionMatches FunctionTable::match(const std::string &pattern, const ProbeBlocklist &blocklist,
                                     std::string_view module) const {
  FunctionMatches matches;
  matches.exactName = pattern.find_first_of("*?[\\") == std::string::npos;
  std::string_view prefix = literalPrefix(pattern);
  auto first = std::lower_bound(functions_.begin(), functions_.end(), prefix,
                                [](const KernelFunction &function, std::string_view key) { return function.name < key; });
  for (auto it = first; it != functions_.end() && startsWith(it->name, prefix); ++it) {
    if (::fnmatch(pattern.c_str(), it->name.c_str(), 0) != 0)
      continue;
    std::optional<std::string> reason;
    if (!it->unprobeableSection.empty())
      reason = "in " + it->unprobeableSection + ", where the kernel forbids kprobes";
    else
      reason = blocklist.reasonUnprobeable(it->name, module);
    if (reason)
      matches.dropped.push_back({it->name, std::move(*reason)});
    else
      matches.functions.push_back(&*it);
  }
  return matches;
}

LoadOptions LoadOptions::defaults() {
  LoadOptions options;
  options.cacheDirectory = defaultCacheDirectory();
  return options;
}

OrError<KernelFunctions> KernelFunctions::load(const KernelTarget &target, const LoadOptions &options) {
  const Clock::time_point start = Clock::now();
  KernelFunctions kernel;
  kernel.target_ = target;
  LoadReport &report = kernel.report_;

  std::optional<SymbolMap> symbols = loadSymbolMap(target, report);
  report.symbolMilliseconds = millisecondsSince(start);

  const Clock::time_point btfStart = Clock::now();
  kernel.btf_ = loadVmlinuxBtf(target, options, report);
  report.btfMilliseconds = millisecondsSince(btfStart);

  auto blocklist = std::make_shared<ProbeBlocklist>();
  if (target.running && !target.kprobesBlacklistPath.empty()) {
    if (isReadableFile(target.kprobesBlacklistPath)) {
      OrError<std::string> text = readWholeFile(target.kprobesBlacklistPath);
      if (text.ok())
        report.kernelBlacklistEntries = blocklist->addKernelBlacklist(*text, target.kprobesBlacklistPath);
      else
        report.notes.push_back(text.error());
    } else {
      report.notes.push_back("cannot read " + target.kprobesBlacklistPath +
                             " (debugfs not mounted, or not root); only the built-in blocklist applies");
    }
  }
  kernel.blocklist_ = std::move(blocklist);

  if (!symbols && !kernel.btf_) {
    std::string message = "found no list of functions for kernel " + target.release;
    for (const std::string &note : report.notes)
      message += "\n  " + note;
    return OrError<KernelFunctions>::failure(message);
  }

  std::vector<BtfFunction> btfFunctions;
  if (kernel.btf_)
    btfFunctions = kernel.btf_->functions(/*withPrototypes=*/false);
  report.btfFunctionEntries = btfFunctions.size();

  std::vector<KernelFunction> functions;
  if (symbols) {
    std::unordered_map<std::string, uint32_t> prototypes = funcIdsByName(btfFunctions);
    functions.reserve(symbols->functions.size());
    for (TextSymbol &symbol : symbols->functions) {
      // kallsyms also lists the loaded modules' functions; those belong to
      // module("...") probes.
      if (!symbol.module.empty())
        continue;
      if (!isFunctionEntryName(symbol.name)) {
        ++report.nonEntrySymbols;
        continue;
      }
      KernelFunction function;
      if (symbols->addressesKnown) {
        function.address = symbol.address;
        function.unprobeableSection = sectionContaining(symbols->unprobeableRanges, symbol.address);
      }
      function.global = symbol.global;
      // Only the first function of a name keeps its entry in the table, and
      // it is the first to come here.
      if (auto found = prototypes.find(symbol.name); found != prototypes.end()) {
        function.prototype = LazyPrototype(kernel.btf_.get(), found->second);
        prototypes.erase(found);
      }
      function.name = std::move(symbol.name);
      functions.push_back(std::move(function));
    }
  } else {
    for (BtfFunction &entry : btfFunctions) {
      KernelFunction function;
      function.name = std::move(entry.name);
      function.global = !entry.isStatic;
      function.prototype = LazyPrototype(kernel.btf_.get(), entry.typeId);
      functions.push_back(std::move(function));
    }
  }
  kernel.table_ = FunctionTable(std::move(functions));
  report.totalMilliseconds = millisecondsSince(start);
  return kernel;
}

OrError<std::vector<ModuleFile>> listModules(const KernelTarget &target) {
  std::string root = target.modulesDir;
  if (!isDirectory(root)) {
    if (target.buildDir.empty() || !isDirectory(target.buildDir))
      return OrError<std::vector<ModuleFile>>::failure("no modules folder " + target.modulesDir);
    root = target.buildDir;
  }
  std::vector<ModuleFile> modules;
  std::error_code ec;
  // Symbolic links to folders are not followed: lib/modules/RELEASE/build
  // points into the kernel headers, which hold no modules.
  for (auto it = std::filesystem::recursive_directory_iterator(
           root, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec))
      continue;
    std::string file = it->path().filename().string();
    size_t suffix = file.rfind(".ko");
    if (suffix == std::string::npos || suffix == 0)
      continue;
    std::string_view rest = std::string_view(file).substr(suffix);
    if (rest != ".ko" && rest != ".ko.xz" && rest != ".ko.zst" && rest != ".ko.gz")
      continue;
    std::string name = file.substr(0, suffix);
    std::replace(name.begin(), name.end(), '-', '_');
    modules.push_back({std::move(name), it->path().string()});
  }
  if (ec)
    return OrError<std::vector<ModuleFile>>::failure("cannot list " + root + ": " + ec.message());
  // By name, and for one name by path, keeping the first: a deterministic
  // choice when, say, updates/ and kernel/ hold the same module.
  std::sort(modules.begin(), modules.end(), [](const ModuleFile &a, const ModuleFile &b) {
    return a.name != b.name ? a.name < b.name : a.path < b.path;
  });
  modules.erase(std::unique(modules.begin(), modules.end(),
                            [](const ModuleFile &a, const ModuleFile &b) { return a.name == b.name; }),
                modules.end());
  return modules;
}

std::vector<ModuleFile> findModules(const std::vector<ModuleFile> &modules, const std::string &pattern) {
  std::string normalised = pattern;
  std::replace(normalised.begin(), normalised.end(), '-', '_');
  std::vector<ModuleFile> found;
  for (const ModuleFile &module : modules)
    if (::fnmatch(normalised.c_str(), module.name.c_str(), 0) == 0)
      found.push_back(module);
  return found;
}

OrError<ModuleFunctions> ModuleFunctions::load(const ModuleFile &module, const KernelFunctions &kernel) {
  using Result = OrError<ModuleFunctions>;
  OrError<std::string> data = readWholeFile(module.path);
  if (!data.ok())
    return Result::failure(data.error());
  OrError<std::string> elf = decompressModuleFile(module.path, data.take());
  if (!elf.ok())
    return Result::failure(elf.error());
  OrError<ElfContents> contents = readElf(*elf, module.path, /*wantFunctions=*/true);
  if (!contents.ok())
    return Result::failure(contents.error());

  ModuleFunctions loaded;
  loaded.name_ = module.name;
  loaded.blocklist_ = kernel.blocklist_;
  std::unordered_map<std::string, uint32_t> prototypes;
  if (contents->btf) {
    if (kernel.btf()) {
      auto btf = Btf::parse(*contents->btf, module.path + " (.BTF)", kernel.btf());
      if (btf.ok()) {
        loaded.btf_ = btf.take();
        prototypes = funcIdsByName(loaded.btf_->functions(/*withPrototypes=*/false));
      } else {
        loaded.notes_.push_back(btf.error());
      }
    } else {
      loaded.notes_.push_back(module.path + ": its BTF builds on vmlinux's, which was not found; no prototypes");
    }
  } else {
    loaded.notes_.push_back(module.path + " has no .BTF section; no prototypes");
  }

  std::vector<KernelFunction> functions;
  for (ElfFunctionSymbol &symbol : contents->functions) {
    if (!isFunctionEntryName(symbol.name))
      continue;
    KernelFunction function;
    function.global = symbol.global;
    // Addresses in a .ko are offsets into its sections until it is loaded;
    // they would only mislead.
    if (isUnprobeableSectionName(symbol.section))
      function.unprobeableSection = symbol.section;
    if (auto found = prototypes.find(symbol.name); found != prototypes.end()) {
      function.prototype = LazyPrototype(loaded.btf_.get(), found->second);
      prototypes.erase(found);
    }
    function.name = std::move(symbol.name);
    functions.push_back(std::move(function));
  }
  loaded.table_ = FunctionTable(std::move(functions));
  return loaded;
}

} // namespace mstap::kernel
