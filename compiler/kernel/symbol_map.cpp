#include "kernel/symbol_map.h"
#include "kernel/files.h"

#include <array>
#include <charconv>
#include <map>

namespace mstap::kernel {

namespace {

bool isTextType(char type) { return type == 't' || type == 'T' || type == 'w' || type == 'W'; }

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Labels the linker script puts at the edges of text sections; they have text
// addresses but are not functions.
bool isSectionMarker(std::string_view name) {
  return endsWith(name, "_text_start") || endsWith(name, "_text_end") || name == "_stext" || name == "_etext" ||
         name == "_text" || name == "_sinittext" || name == "_einittext";
}

// The sections in which the kernel refuses to place kprobes on x86-64: code
// the kprobes machinery runs itself (.kprobes.text), code that must not be
// instrumented at all (.noinstr.text), and the low-level entry code
// (.entry.text, added to the blacklist by the x86 kprobes code).
struct Section {
  std::string_view startMarker;
  std::string_view endMarker;
  std::string_view name;
};
constexpr std::array<Section, 3> kUnprobeableSections{{
    {"__kprobes_text_start", "__kprobes_text_end", ".kprobes.text"},
    {"__noinstr_text_start", "__noinstr_text_end", ".noinstr.text"},
    {"__entry_text_start", "__entry_text_end", ".entry.text"},
}};


} // namespace

SymbolMap parseSymbolMap(std::string_view text) {
  SymbolMap map;
  std::map<std::string_view, uint64_t> markers;
  size_t position = 0;
  std::string_view line;
  while (nextLine(text, position, line)) {

    std::string_view addressField = nextField(line);
    std::string_view typeField = nextField(line);
    std::string_view name = nextField(line);
    std::string_view moduleField = nextField(line);
    uint64_t address = 0;
    auto [rest, error] = std::from_chars(addressField.data(), addressField.data() + addressField.size(), address, 16);
    if (error != std::errc() || rest != addressField.data() + addressField.size() || typeField.size() != 1 ||
        name.empty())
      continue;
    char type = typeField[0];
    if (!isTextType(type))
      continue;
    if (isSectionMarker(name)) {
      if (moduleField.empty())
        markers[name] = address;
      continue;
    }
    TextSymbol symbol;
    symbol.address = address;
    symbol.name = std::string(name);
    if (moduleField.size() > 2 && moduleField.front() == '[' && moduleField.back() == ']')
      symbol.module = std::string(moduleField.substr(1, moduleField.size() - 2));
    symbol.global = type == 'T' || type == 'W';
    if (address != 0)
      map.addressesKnown = true;
    map.functions.push_back(std::move(symbol));
  }

  if (map.addressesKnown) {
    for (const Section &section : kUnprobeableSections) {
      auto start = markers.find(section.startMarker);
      auto stop = markers.find(section.endMarker);
      if (start != markers.end() && stop != markers.end() && start->second < stop->second)
        map.unprobeableRanges.push_back({start->second, stop->second, std::string(section.name)});
    }
  }
  return map;
}

bool isPlaceholderSystemMap(std::string_view text) {
  if (text.find("The real System.map is in") != std::string_view::npos)
    return true;
  return parseSymbolMap(text).functions.empty();
}

} // namespace mstap::kernel
