#include "kernel/symbol_map.h"
#include "kernel/test_support.h"

#include <algorithm>
#include <gtest/gtest.h>

namespace mstap::kernel {
namespace {

using testing::fixtureSource;
using testing::readFixture;

const TextSymbol *findSymbol(const SymbolMap &map, const std::string &name) {
  auto found = std::find_if(map.functions.begin(), map.functions.end(),
                            [&](const TextSymbol &symbol) { return symbol.name == name; });
  return found == map.functions.end() ? nullptr : &*found;
}

TEST(SymbolMap, ReadsTextSymbolsOfKallsyms) {
  SymbolMap map = parseSymbolMap(readFixture(fixtureSource("kallsyms.txt")));
  EXPECT_TRUE(map.addressesKnown);
  const TextSymbol *read = findSymbol(map, "vfs_read");
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->address, 0xffffffff811d2500u);
  EXPECT_TRUE(read->global);
  EXPECT_TRUE(read->module.empty());
  ASSERT_NE(findSymbol(map, "show_stat"), nullptr);
  EXPECT_FALSE(findSymbol(map, "show_stat")->global);
  EXPECT_NE(findSymbol(map, "weak_default_handler"), nullptr) << "weak functions (W) count";
  // Data, read-only data and bss are not functions; section markers neither.
  for (const char *absent : {"jiffies", "linux_banner", "some_bss_variable", "_stext", "_text",
                             "__entry_text_start", "__noinstr_text_end"})
    EXPECT_EQ(findSymbol(map, absent), nullptr) << absent;
  const TextSymbol *moduleFunction = findSymbol(map, "ext4_file_open");
  ASSERT_NE(moduleFunction, nullptr);
  EXPECT_EQ(moduleFunction->module, "ext4");
}

TEST(SymbolMap, FindsTheSectionsWhereKprobesAreForbidden) {
  SymbolMap map = parseSymbolMap(readFixture(fixtureSource("kallsyms.txt")));
  ASSERT_EQ(map.unprobeableRanges.size(), 2u);
  auto has = [&](const std::string &section, uint64_t start, uint64_t end) {
    return std::any_of(map.unprobeableRanges.begin(), map.unprobeableRanges.end(), [&](const AddressRange &range) {
      return range.section == section && range.start == start && range.end == end;
    });
  };
  EXPECT_TRUE(has(".entry.text", 0xffffffff81000010u, 0xffffffff81001a87u));
  EXPECT_TRUE(has(".noinstr.text", 0xffffffff8225a5f0u, 0xffffffff82262705u));
}

TEST(SymbolMap, ZeroAddressesStillNameFunctions) {
  // What kallsyms shows a user without CAP_SYSLOG.
  std::string text = readFixture(fixtureSource("kallsyms.txt"));
  for (size_t line = 0; line < text.size(); line = text.find('\n', line) + 1) {
    text.replace(line, 16, std::string(16, '0'));
    if (text.find('\n', line) == std::string::npos)
      break;
  }
  SymbolMap map = parseSymbolMap(text);
  EXPECT_FALSE(map.addressesKnown);
  EXPECT_TRUE(map.unprobeableRanges.empty());
  EXPECT_NE(findSymbol(map, "vfs_read"), nullptr);
}

TEST(SymbolMap, SkipsMalformedLines) {
  SymbolMap map = parseSymbolMap("garbage\nffffffff81000000 T\nzz T bad_address\n"
                                 "ffffffff81000000 TT two_letters\nffffffff81000010 t good\n");
  ASSERT_EQ(map.functions.size(), 1u);
  EXPECT_EQ(map.functions[0].name, "good");
}

TEST(SymbolMap, RecognisesDebiansPlaceholderSystemMap) {
  EXPECT_TRUE(isPlaceholderSystemMap(readFixture(fixtureSource("System.map-placeholder"))));
  EXPECT_FALSE(isPlaceholderSystemMap(readFixture(fixtureSource("System.map-real"))));
  EXPECT_TRUE(isPlaceholderSystemMap(""));
}

} // namespace
} // namespace mstap::kernel
