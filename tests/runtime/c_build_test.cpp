// The same runtime compiled as C (c_scenarios.c, gnu11): its results must be
// those the C++ build gives and stap's testsuite expects.
#include <cstring>
#include "c_scenarios.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

TEST(CBuild, SprintfMatchesSnprintf) {
  char result[MSTAP_MAXSTRINGLEN];
  const char *specs[] = {"%d", "%+08d", "%-6x|", "%#o", "%.3u", "% i", "%#X"};
  for (const char *spec : specs)
    for (s64 value : {0LL, 1LL, -1LL, 255LL, -123456789LL, 9223372036854775807LL}) {
      mstap_arg arg = mstap_arg_long(value);
      ASSERT_EQ(mstap_c_sprintf(result, spec, &arg, 1), nullptr);
      std::string c_spec = spec;
      c_spec.insert(c_spec.find_first_of("diuoxX"), "ll");
      char expected[64];
      std::snprintf(expected, sizeof(expected), c_spec.c_str(), static_cast<long long>(value));
      // stap's '#' marks 0 too (Format.StapAlternateFormMarksZero); C does not.
      if (value == 0 && std::string(spec) == "%#o")
        std::strcpy(expected, "00");
      if (value == 0 && std::string(spec) == "%#X")
        std::strcpy(expected, "0X0");
      EXPECT_STREQ(result, expected) << spec << " " << value;
    }
  mstap_arg args[] = {mstap_arg_long(0x12345678abcdef00), mstap_arg_string("s")};
  ASSERT_EQ(mstap_c_sprintf(result, "%20pX %.1s", args, 2), nullptr);
  EXPECT_STREQ(result, "  0x12345678abcdef00X s");
  EXPECT_STREQ(mstap_c_sprintf(result, "%s", args, 1),
               "printf: argument type does not match the format");
}

TEST(CBuild, TextStr) {
  char result[MSTAP_MAXSTRINGLEN];
  mstap_c_text_str(result, "\077\231\a\n\n\r\n");
  EXPECT_STREQ(result, "?\\231\\a\\n\\n\\r\\n");
}

TEST(CBuild, HistogramsAsStapsTestsuite) {
  std::vector<char> out(16384);
  std::string printed;
  const mstap_stat_layout log = MSTAP_STAT_LAYOUT_LOG;
  const std::vector<std::vector<s64>> data = {{-1, 1}, {0}, {INT64_MAX}, {1, 2, 3, 4}};
  for (const auto &values : data) {
    ASSERT_EQ(mstap_c_hist_print(out.data(), static_cast<u32>(out.size()), &log, values.data(),
                                 static_cast<u32>(values.size())),
              nullptr);
    printed += out.data();
  }
  EXPECT_EQ(printed, mstap_test::read_data_file("log_edge.txt"));
  EXPECT_STREQ(mstap_c_hist_print(out.data(), static_cast<u32>(out.size()), &log, nullptr, 0),
               "empty aggregate");
}

TEST(CBuild, SortedKeys) {
  const s64 keys[] = {5, 3, 9, 1, 7};
  const s64 values[] = {50, 30, 30, 10, 70};
  s64 order[5];
  ASSERT_EQ(mstap_c_sorted_keys(order, keys, values, 5, 1, 1, -1), 5u);
  EXPECT_EQ(std::vector<s64>(order, order + 5), (std::vector<s64>{1, 3, 5, 7, 9}));
  ASSERT_EQ(mstap_c_sorted_keys(order, keys, values, 5, -1, 0, 3), 3u);
  EXPECT_EQ(std::vector<s64>(order, order + 3), (std::vector<s64>{7, 5, 3})); // 30: key 3 before 9
}

} // namespace
