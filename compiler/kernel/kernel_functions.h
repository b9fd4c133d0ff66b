// The functions of the target kernel and its modules, without debuginfo:
// names from kallsyms, System.map or a module's symbol table, prototypes from
// BTF. Pass 2 expands kernel.function("PATTERN") and
// module("M").function("PATTERN") probe points against these.
#pragma once

#include "kernel/btf_types.h"
#include "kernel/or_error.h"
#include "kernel/probe_safety.h"
#include "kernel/target.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mstap::kernel {

// A function's prototype, spelled from BTF the first time it is asked for:
// most runs look at a handful of the kernel's 45,000 prototypes. Reads like a
// std::optional<Prototype>.
class LazyPrototype {
public:
  LazyPrototype() = default;
  LazyPrototype(const Btf *btf, uint32_t funcId) : btf_(btf), funcId_(funcId) {}

  bool has_value() const { return btf_ != nullptr || spelled_.has_value(); }
  explicit operator bool() const { return has_value(); }
  const Prototype &operator*() const {
    if (!spelled_) {
      spelled_ = btf_->prototypeOf(funcId_);
      if (!spelled_)
        spelled_ = Prototype{};
    }
    return *spelled_;
  }
  const Prototype *operator->() const { return &**this; }
  // The BTF the prototype's type ids belong to.
  const Btf *btf() const { return btf_; }
  friend bool operator==(const LazyPrototype &p, std::nullopt_t) { return !p.has_value(); }

private:
  const Btf *btf_ = nullptr; // owned by the KernelFunctions or ModuleFunctions holding this
  uint32_t funcId_ = 0;
  mutable std::optional<Prototype> spelled_;
};

struct KernelFunction {
  std::string name;
  std::optional<uint64_t> address; // when a symbol list with addresses gave it
  bool global = false;
  uint32_t copies = 1;             // static functions of different files may share a name
  LazyPrototype prototype;
  // A section where the kernel forbids kprobes (".noinstr.text"...), when
  // addresses or the ELF file show the function to be in one.
  std::string unprobeableSection;
};

struct DroppedFunction {
  std::string name;
  std::string reason;
};

struct FunctionMatches {
  std::vector<const KernelFunction *> functions; // probe-able, sorted by name
  std::vector<DroppedFunction> dropped;          // matched but cannot be kprobed
  bool exactName = false;                        // the pattern has no wildcard

  // The pattern named one existing function and that function cannot be
  // kprobed: pass 2 reports dropped.front().reason as an error rather than
  // "no match".
  bool exactNameBlocked() const { return exactName && functions.empty() && !dropped.empty(); }
};

// Functions sorted by name, one entry a name.
class FunctionTable {
public:
  FunctionTable() = default;
  explicit FunctionTable(std::vector<KernelFunction> functions);

  const std::vector<KernelFunction> &functions() const { return functions_; }
  size_t size() const { return functions_.size(); }
  const KernelFunction *find(std::string_view name) const;
  // How many entries were folded into others by sharing their name.
  size_t duplicateNames() const { return duplicateNames_; }

  // stap's glob (`*`, `?`, `[...]`, as fnmatch(3) without flags), leaving
  // out what `blocklist` names for `module` ("" for vmlinux).
  FunctionMatches match(const std::string &pattern, const ProbeBlocklist &blocklist,
                        std::string_view module) const;

private:
  std::vector<KernelFunction> functions_;
  size_t duplicateNames_ = 0;
};

// Where the functions came from and what that cost, for -v output.
struct LoadReport {
  std::string symbolSource; // kallsyms or System.map used for names; empty when names came from BTF
  std::string btfSource;    // where the BTF came from; empty without BTF
  bool btfFromCache = false;
  std::vector<std::string> notes; // sources skipped and why, cache trouble
  size_t btfFunctionEntries = 0;  // BTF_KIND_FUNC entries, one a function, names shared or not
  size_t nonEntrySymbols = 0;     // __pfx_/__cfi_ padding and .cold parts left out
  size_t kernelBlacklistEntries = 0;
  double symbolMilliseconds = 0;
  double btfMilliseconds = 0;
  double totalMilliseconds = 0;
};

struct LoadOptions {
  std::string cacheDirectory; // for the BTF cache; empty: no cache
  static LoadOptions defaults(); // the cache in $XDG_CACHE_HOME/mstap or ~/.cache/mstap
};

class KernelFunctions {
public:
  // Reads the target's functions in stap's order of sources: for the running
  // kernel /proc/kallsyms and /sys/kernel/btf/vmlinux; then a real System.map
  // (Debian's placeholder does not count); then the BTF inside the kernel
  // image. Names come from the first symbol list found, else from BTF;
  // prototypes from BTF when there is any. Fails only when no source at all
  // names a function.
  static OrError<KernelFunctions> load(const KernelTarget &target, const LoadOptions &options);

  const KernelTarget &target() const { return target_; }
  const FunctionTable &table() const { return table_; }
  const KernelFunction *find(std::string_view name) const { return table_.find(name); }
  FunctionMatches matchFunctions(const std::string &pattern) const { return table_.match(pattern, *blocklist_, ""); }
  // vmlinux's BTF, the base of every module's split BTF; null when absent.
  const std::shared_ptr<const Btf> &btf() const { return btf_; }
  const ProbeBlocklist &blocklist() const { return *blocklist_; }
  const LoadReport &report() const { return report_; }

private:
  KernelTarget target_;
  FunctionTable table_;
  std::shared_ptr<const Btf> btf_;
  // Shared with the modules loaded against this kernel.
  std::shared_ptr<const ProbeBlocklist> blocklist_;
  LoadReport report_;

  friend class ModuleFunctions;
};

struct ModuleFile {
  std::string name; // as the kernel names it: '-' in the file name becomes '_'
  std::string path;
};

// The target's module files (.ko, .ko.xz, .ko.zst, .ko.gz) under
// SYSROOT/lib/modules/RELEASE, or for a build tree without installed modules,
// under the build tree; sorted by name.
OrError<std::vector<ModuleFile>> listModules(const KernelTarget &target);

// The modules whose name matches a stap glob ("ext4", "nf_*"); '-' and '_'
// count as the same, as they do for the kernel.
std::vector<ModuleFile> findModules(const std::vector<ModuleFile> &modules, const std::string &pattern);

class ModuleFunctions {
public:
  // The functions in the module's symbol table, with prototypes from its
  // split BTF on top of `kernel`'s BTF.
  static OrError<ModuleFunctions> load(const ModuleFile &module, const KernelFunctions &kernel);

  const std::string &name() const { return name_; }
  const FunctionTable &table() const { return table_; }
  const KernelFunction *find(std::string_view name) const { return table_.find(name); }
  FunctionMatches matchFunctions(const std::string &pattern) const { return table_.match(pattern, *blocklist_, name_); }
  const std::shared_ptr<const Btf> &btf() const { return btf_; }
  const std::vector<std::string> &notes() const { return notes_; }

private:
  std::string name_;
  FunctionTable table_;
  std::shared_ptr<const Btf> btf_;
  std::shared_ptr<const ProbeBlocklist> blocklist_; // the kernel's
  std::vector<std::string> notes_;
};

// Symbols in kallsyms and symbol tables that are not function entries: the
// __pfx_/__cfi_ padding before each function of newer kernels, and the .cold
// parts that compilers split off functions.
bool isFunctionEntryName(std::string_view name);

} // namespace mstap::kernel
