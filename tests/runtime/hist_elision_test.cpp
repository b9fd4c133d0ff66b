// testsuite/systemtap.maps/elision.stp, printed with HIST_ELISION set as
// stap's elision.exp runs it; built once for each setting (see
// CMakeLists.txt), the expected text in data/ELISION_DATA_FILE.
#include "test_support.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using mstap_test::linear_layout;
using mstap_test::log_layout;
using mstap_test::read_data_file;
using mstap_test::Stat;

TEST(HistElision, ELISION_TEST_NAME) {
  struct Histogram {
    mstap_stat_layout layout;
    std::vector<s64> values;
  };
  const std::vector<Histogram> histograms = {
      {linear_layout(0, 1500, 50), {444, 999}}, {linear_layout(0, 1500, 50), {444, 500}},
      {linear_layout(0, 1500, 50), {0}},        {linear_layout(0, 1500, 50), {50}},
      {linear_layout(0, 1500, 50), {1450}},     {linear_layout(0, 1500, 50), {1500}},
      {linear_layout(-100, 100, 10), {-10}},    {linear_layout(-100, 100, 10), {0}},
      {log_layout(), {128}},                    {log_layout(), {0}},
      {log_layout(), {-2, -4096}},
  };
  std::string printed;
  for (const Histogram &h : histograms) {
    Stat s(h.layout);
    for (s64 v : h.values)
      s.add(v);
    printed += s.print();
  }
  std::string expected = read_data_file(ELISION_DATA_FILE);
  ASSERT_FALSE(expected.empty()) << "missing " << ELISION_DATA_FILE;
  EXPECT_EQ(printed, expected);
}

} // namespace
