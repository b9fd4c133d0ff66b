// Symbol lists in nm's text format: /proc/kallsyms ("ADDRESS TYPE NAME
// [MODULE]") and System.map ("ADDRESS TYPE NAME").
#pragma once

#include "kernel/or_error.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mstap::kernel {

struct TextSymbol {
  uint64_t address = 0;
  std::string name;
  std::string module; // from kallsyms' "[module]" column; empty for vmlinux
  bool global = false; // 'T' or 'W', not 't' or 'w'
};

// An address range in which the kernel refuses kprobes, e.g. .noinstr.text.
struct AddressRange {
  uint64_t start = 0;
  uint64_t end = 0; // exclusive
  std::string section;
};

struct SymbolMap {
  // Text symbols (nm types t, T, w, W), without the markers the linker
  // script puts at section boundaries (_stext, __noinstr_text_start, ...).
  std::vector<TextSymbol> functions;
  // False when every address is zero, as kallsyms shows them to users
  // without CAP_SYSLOG: the names still count, the addresses do not.
  bool addressesKnown = false;
  // The sections where the kernel forbids kprobes, from their boundary
  // markers; empty when the addresses are not known.
  std::vector<AddressRange> unprobeableRanges;
};

SymbolMap parseSymbolMap(std::string_view text);

// Debian's linux-image packages ship a System.map whose only line says the
// real one is in the -dbg package. Such a file says nothing about functions.
bool isPlaceholderSystemMap(std::string_view text);

} // namespace mstap::kernel
