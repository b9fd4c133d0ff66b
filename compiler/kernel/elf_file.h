// What the kernel library needs from an ELF file (vmlinux or a module's .ko),
// read with LLVM's Object library: the .BTF section and the function symbols.
#pragma once

#include "kernel/or_error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mstap::kernel {

struct ElfFunctionSymbol {
  std::string name;
  uint64_t address = 0;  // section-relative in a relocatable .ko
  std::string section;   // e.g. ".text", ".init.text", ".noinstr.text"
  bool global = false;
};

struct ElfContents {
  std::optional<std::string> btf;           // the .BTF section, when present
  std::vector<ElfFunctionSymbol> functions; // defined STT_FUNC symbols of .symtab
};

// `origin` names the file in messages. Symbols are only collected when
// `wantFunctions` is set, which a vmlinux read just for its BTF does not need.
OrError<ElfContents> readElf(std::string_view bytes, const std::string &origin, bool wantFunctions);

} // namespace mstap::kernel
