// Statistics and histograms. The printed histograms are checked against
// stap's testsuite output (tests/runtime/data, see its README) and against
// the format stap documents; bucket numbers against log_edge.exp.
#include "test_support.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstring>
#include <string>
#include <vector>

namespace {

using mstap_test::linear_layout;
using mstap_test::log_layout;
using mstap_test::plain_layout;
using mstap_test::read_data_file;
using mstap_test::Stat;

TEST(Stat, CountSumMinMaxAvg) {
  Stat s(plain_layout());
  mstap_error error;
  mstap_error_clear(&error);
  for (s64 v : {5, -3, 10, 0, 7})
    s.add(v);
  EXPECT_EQ(mstap_stat_count(s.get()), 5);
  EXPECT_EQ(mstap_stat_sum(s.get()), 19);
  EXPECT_EQ(mstap_stat_min(s.get(), &error), -3);
  EXPECT_EQ(mstap_stat_max(s.get(), &error), 10);
  EXPECT_EQ(mstap_stat_avg(s.get(), &error), 3); // 19 / 5, truncated
  EXPECT_EQ(error.message, nullptr);
}

TEST(Stat, AvgTruncatesTowardZeroAsCDivision) {
  Stat s(plain_layout());
  mstap_error error;
  mstap_error_clear(&error);
  s.add(-3);
  s.add(-4);
  EXPECT_EQ(mstap_stat_avg(s.get(), &error), -7 / 2); // -3, not -4
  Stat t(plain_layout());
  t.add(1);
  t.add(2);
  EXPECT_EQ(mstap_stat_avg(t.get(), &error), 1);
}

TEST(Stat, EmptyAggregate) {
  Stat s(log_layout());
  mstap_error error;
  mstap_error_clear(&error);
  // @count and @sum of nothing are 0 (stap since 1.5: absentstats.exp) ...
  EXPECT_EQ(mstap_stat_count(s.get()), 0);
  EXPECT_EQ(mstap_stat_sum(s.get()), 0);
  EXPECT_EQ(error.message, nullptr);
  // ... @min, @max, @avg, printing the histogram and indexing it are errors.
  EXPECT_EQ(mstap_stat_min(s.get(), &error), 0);
  EXPECT_STREQ(error.message, "empty aggregate");
  mstap_error_clear(&error);
  mstap_stat_max(s.get(), &error);
  EXPECT_STREQ(error.message, "empty aggregate");
  mstap_error_clear(&error);
  mstap_stat_avg(s.get(), &error);
  EXPECT_STREQ(error.message, "empty aggregate");
  mstap_error_clear(&error);
  mstap_hist_bucket_count(s.get(), &s.layout, 5, &error);
  EXPECT_STREQ(error.message, "empty aggregate");
  std::string message;
  EXPECT_EQ(s.print(&message), "");
  EXPECT_EQ(message, "empty aggregate");
}

TEST(Stat, SumWrapsWithoutUndefinedBehaviour) {
  Stat s(plain_layout());
  s.add(INT64_MAX);
  s.add(1);
  EXPECT_EQ(mstap_stat_sum(s.get()), INT64_MIN);
  Stat t(plain_layout());
  t.add(INT64_MIN);
  t.add(INT64_MIN);
  EXPECT_EQ(mstap_stat_sum(t.get()), 0);
}

TEST(Stat, ExtremeValues) {
  Stat s(log_layout());
  mstap_error error;
  mstap_error_clear(&error);
  s.add(INT64_MIN);
  s.add(INT64_MAX);
  EXPECT_EQ(mstap_stat_min(s.get(), &error), INT64_MIN);
  EXPECT_EQ(mstap_stat_max(s.get(), &error), INT64_MAX);
  EXPECT_EQ(mstap_stat_avg(s.get(), &error), -1 / 2); // sum -1, count 2
}

// Bucket numbers: testsuite/systemtap.maps/log_edge.exp prints "bucket 63"
// for -1, 65 for 1, 64 for 0, 127 for 0x7fffffffffffffff, 66 for 2 and 3,
// 67 for 4.
TEST(Stat, LogBuckets) {
  mstap_stat_layout layout = log_layout();
  struct {
    s64 value;
    u32 bucket;
  } cases[] = {{-1, 63}, {1, 65}, {0, 64}, {INT64_MAX, 127}, {2, 66}, {3, 66},
               {4, 67},  {7, 67}, {8, 68}, {-2, 62},       {-3, 62}, {-4, 61},
               {INT64_MIN, 0},    {INT64_MIN + 1, 1},      {(s64)1 << 62, 127},
               {((s64)1 << 62) - 1, 126}};
  for (const auto &c : cases)
    EXPECT_EQ(mstap_hist_bucket(&layout, c.value), c.bucket) << c.value;
}

TEST(Stat, LinearBuckets) {
  mstap_stat_layout layout = linear_layout(250, 1000, 50);
  EXPECT_EQ(layout.bucket_count, 18u); // under, 250 .. 1000 (16), over
  struct {
    s64 value;
    u32 bucket;
  } cases[] = {{249, 0},   {250, 1},   {299, 1},       {300, 2},      {1000, 16},
               {1049, 16}, {1050, 17}, {INT64_MIN, 0}, {INT64_MAX, 17}};
  for (const auto &c : cases)
    EXPECT_EQ(mstap_hist_bucket(&layout, c.value), c.bucket) << c.value;

  mstap_stat_layout negative = linear_layout(-100, 100, 10);
  EXPECT_EQ(negative.bucket_count, 23u);
  EXPECT_EQ(mstap_hist_bucket(&negative, -101), 0u);
  EXPECT_EQ(mstap_hist_bucket(&negative, -100), 1u);
  EXPECT_EQ(mstap_hist_bucket(&negative, -91), 1u);
  EXPECT_EQ(mstap_hist_bucket(&negative, -1), 10u);
  EXPECT_EQ(mstap_hist_bucket(&negative, 0), 11u);
  EXPECT_EQ(mstap_hist_bucket(&negative, 109), 21u);
  EXPECT_EQ(mstap_hist_bucket(&negative, 110), 22u);

  // A range wider than INT64_MAX: the difference is taken unsigned.
  // (2^64 - 1) / 2^62 = 3, so 4 buckets in the range, 6 in all.
  mstap_stat_layout wide = linear_layout(INT64_MIN, INT64_MAX, (s64)1 << 62);
  EXPECT_EQ(wide.bucket_count, 6u);
  mstap_error error;
  mstap_error_clear(&error);
  EXPECT_EQ(mstap_stat_layout_check(&wide, &error), 0);
  EXPECT_EQ(mstap_hist_bucket(&wide, INT64_MIN), 1u);
  EXPECT_EQ(mstap_hist_bucket(&wide, -1), 2u);
  EXPECT_EQ(mstap_hist_bucket(&wide, 0), 3u);
  EXPECT_EQ(mstap_hist_bucket(&wide, INT64_MAX), 4u);
}

TEST(Stat, LayoutCheck) {
  mstap_error error;
  mstap_error_clear(&error);
  mstap_stat_layout good = linear_layout(0, 100, 10);
  EXPECT_EQ(mstap_stat_layout_check(&good, &error), 0);
  mstap_stat_layout log = log_layout();
  EXPECT_EQ(mstap_stat_layout_check(&log, &error), 0);
  mstap_stat_layout bad = good;
  bad.step = 0;
  EXPECT_EQ(mstap_stat_layout_check(&bad, &error), -EINVAL);
  mstap_stat_layout reversed = good;
  reversed.low = 200;
  EXPECT_NE(mstap_stat_layout_check(&reversed, &error), 0);
  mstap_stat_layout huge = {MSTAP_HIST_LINEAR, 0, 0, 1000000, 1, 0, 0};
  huge.bucket_count = 1000003;
  EXPECT_NE(mstap_stat_layout_check(&huge, &error), 0);
  EXPECT_STREQ(error.message, "histogram: bad @hist_linear range, or too many buckets");
}

TEST(Stat, BucketIndexing) {
  Stat s(log_layout());
  mstap_error error;
  mstap_error_clear(&error);
  for (s64 v : {1, 2, 3, 4})
    s.add(v);
  EXPECT_EQ(mstap_hist_bucket_count(s.get(), &s.layout, 65, &error), 1);
  EXPECT_EQ(mstap_hist_bucket_count(s.get(), &s.layout, 66, &error), 2);
  EXPECT_EQ(mstap_hist_bucket_count(s.get(), &s.layout, 67, &error), 1);
  EXPECT_EQ(mstap_hist_bucket_count(s.get(), &s.layout, 0, &error), 0);
  EXPECT_EQ(error.message, nullptr);
  EXPECT_EQ(mstap_hist_bucket_count(s.get(), &s.layout, 128, &error), 0);
  EXPECT_STREQ(error.message, "histogram bucket out of range");
  mstap_error_clear(&error);
  mstap_hist_bucket_count(s.get(), &s.layout, -1, &error);
  EXPECT_STREQ(error.message, "histogram bucket out of range");
}

// testsuite/systemtap.maps/log_edge.stp, its four histograms.
TEST(HistPrint, LogEdgeAsStapsTestsuite) {
  std::string printed;
  const std::vector<std::vector<s64>> data = {{-1, 1}, {0}, {INT64_MAX}, {1, 2, 3, 4}};
  for (const auto &values : data) {
    Stat s(log_layout());
    for (s64 v : values)
      s.add(v);
    printed += s.print();
  }
  EXPECT_EQ(printed, read_data_file("log_edge.txt"));
}

// testsuite/systemtap.maps/linear_overunder.stp and .exp
TEST(HistPrint, LinearOverUnderAsStapsTestsuite) {
  Stat s(linear_layout(250, 1000, 50));
  mstap_error error;
  mstap_error_clear(&error);
  for (s64 key = 0; key < 100; key++)
    for (s64 m : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 13, 14, 15})
      s.add(key * m);
  EXPECT_EQ(mstap_stat_count(s.get()), 1600);
  EXPECT_EQ(mstap_stat_sum(s.get()), 653400);
  EXPECT_EQ(mstap_stat_min(s.get(), &error), 0);
  EXPECT_EQ(mstap_stat_max(s.get(), &error), 1485);
  EXPECT_EQ(mstap_stat_avg(s.get(), &error), 408);
  EXPECT_EQ(s.print(), read_data_file("linear_overunder.txt"));
}

// One row as stap documents it: the label right-aligned in the value
// column, " |", count/scale '@' padded to 50 columns, a space, the count
// right-aligned in the count column.
std::string row(const std::string &label, u32 label_width, s64 count, s64 scale,
                u32 count_width) {
  std::string number = std::to_string(count);
  std::string bar(static_cast<size_t>(count / scale), '@');
  return std::string(label_width - label.size(), ' ') + label + " |" + bar +
         std::string(50 - bar.size(), ' ') + " " +
         std::string(count_width - number.size(), ' ') + number + "\n";
}

std::string header(u32 label_width) {
  return std::string(label_width - 5, ' ') + "value |" + std::string(50, '-') + " count\n";
}

// testsuite/systemtap.maps/log.stp: one of each power of two up to 2^62,
// their negatives down to -2^63, and twenty zeros: every bucket is shown,
// the value column is 20 wide ("-9223372036854775808"), the count column 2.
TEST(HistPrint, FullLogRangeAsStapsTestsuite) {
  Stat s(log_layout());
  u64 value = 1;
  for (int i = 0; i < 63; i++, value <<= 1)
    s.add(static_cast<s64>(value));
  value = 1;
  for (int i = 0; i < 64; i++, value <<= 1)
    s.add(static_cast<s64>(0 - value));
  for (int i = 0; i < 20; i++)
    s.add(0);

  std::string expected = header(20);
  for (int k = 63; k >= 0; k--) // -2^63 .. -1
    expected += row(k == 63 ? std::to_string(INT64_MIN) : "-" + std::to_string((u64)1 << k), 20,
                    1, 1, 2);
  expected += row("0", 20, 20, 1, 2);
  for (int k = 0; k <= 62; k++)
    expected += row(std::to_string((u64)1 << k), 20, 1, 1, 2);
  expected += "\n";
  EXPECT_EQ(s.print(), expected);
  // Spot checks against log.exp's text.
  EXPECT_NE(expected.find("-9223372036854775808 |@                                                   1\n"),
            std::string::npos);
  EXPECT_NE(expected.find("                   0 |@@@@@@@@@@@@@@@@@@@@                               20\n"),
            std::string::npos);
}

// The langref's @hist_log example: the largest count (16689) is scaled to
// 49 '@' (scale 334, 50 * 334 > 16689), and 254 to none.
TEST(HistPrint, ScaledBarsAsTheLanguageReference) {
  Stat s(log_layout());
  const struct {
    s64 value, count;
  } data[] = {{32, 254}, {64, 3}, {128, 2}, {256, 2}, {512, 4}, {1024, 16689}};
  for (const auto &d : data)
    for (s64 i = 0; i < d.count; i++)
      s.add(d.value);
  std::string expected = header(5);
  expected += row("8", 5, 0, 334, 5) + row("16", 5, 0, 334, 5);
  for (const auto &d : data)
    expected += row(std::to_string(d.value), 5, d.count, 334, 5);
  expected += row("2048", 5, 0, 334, 5) + row("4096", 5, 0, 334, 5) + "\n";
  EXPECT_EQ(s.print(), expected);
  EXPECT_NE(expected.find(" 1024 |" + std::string(49, '@') + "  16689\n"), std::string::npos);
}

TEST(HistPrint, ScaleStartsAboveFifty) {
  for (s64 largest : {49, 50, 51, 99, 100, 101, 1000}) {
    Stat s(linear_layout(0, 10, 1));
    for (s64 i = 0; i < largest; i++)
      s.add(5);
    std::string printed = s.print();
    s64 scale = largest <= 50 ? 1 : (largest + 49) / 50;
    std::string bar = std::string(static_cast<size_t>(largest / scale), '@');
    EXPECT_NE(printed.find("    5 |" + bar + std::string(50 - bar.size(), ' ')), std::string::npos)
        << largest;
  }
}

TEST(HistPrint, NegativeValuesAndUnderflowOnly) {
  Stat s(linear_layout(0, 100, 10));
  for (s64 v : {s64{-5}, s64{-1000}, s64{INT64_MIN}})
    s.add(v);
  // Only the underflow row has data; two rows after it.
  EXPECT_EQ(s.print(), header(5) + row("<0", 5, 3, 1, 1) + row("0", 5, 0, 1, 1) +
                           row("10", 5, 0, 1, 1) + "\n");
}

TEST(HistPrint, OverflowOnly) {
  Stat s(linear_layout(-50, 50, 25));
  s.add(INT64_MAX);
  s.add(75);
  // Buckets -50 -25 0 25 50, then >50; two rows before the overflow.
  EXPECT_EQ(s.print(), header(5) + row("25", 5, 0, 1, 1) + row("50", 5, 0, 1, 1) +
                           row(">50", 5, 2, 1, 1) + "\n");
}

TEST(HistPrint, HugeCounts) {
  Stat s(log_layout());
  s.add(3);
  mstap_stat_buckets(s.get())[66] = INT64_MAX; // as if added that often
  // scale = ceil((2^63 - 1) / 50) = 184467440737095517, which the largest
  // count fills 49 times.
  s64 scale = 184467440737095517;
  std::string expected = header(5) + row("0", 5, 0, scale, 19) + row("1", 5, 0, scale, 19) +
                         row("2", 5, INT64_MAX, scale, 19) + row("4", 5, 0, scale, 19) +
                         row("8", 5, 0, scale, 19) + "\n";
  EXPECT_EQ(s.print(), expected);
  EXPECT_NE(expected.find("    2 |" + std::string(49, '@') + "  9223372036854775807\n"),
            std::string::npos);
}

TEST(HistPrint, TruncatedOutputStaysInItsBuffer) {
  Stat s(log_layout());
  for (s64 v = 1; v < 1000000; v *= 3)
    s.add(v);
  char buffer[128 + 16];
  std::memset(buffer, '#', sizeof(buffer));
  mstap_out out;
  mstap_error error;
  mstap_error_clear(&error);
  mstap_out_init(&out, buffer, 128);
  EXPECT_EQ(mstap_hist_print(&out, s.get(), &s.layout, &error), 0);
  EXPECT_EQ(out.used, 128u);
  EXPECT_EQ(out.truncated, 1u);
  for (size_t i = 128; i < sizeof(buffer); i++)
    EXPECT_EQ(buffer[i], '#');
}

TEST(HistPrint, PlainStatisticHasNoHistogram) {
  Stat s(plain_layout());
  s.add(1);
  std::string message;
  s.print(&message);
  EXPECT_EQ(message, "statistic has no histogram");
}

TEST(PerCpuStat, AddsOnEachCpuAndMerges) {
  mstap_stat_layout layout = linear_layout(0, 100, 10);
  mstap_pstat p;
  mstap_error error;
  mstap_error_clear(&error);
  u32 saved = mstap_shim_cpu_count;
  mstap_shim_cpu_count = 4;
  ASSERT_EQ(mstap_pstat_create(&p, &layout, &error), 0);
  EXPECT_EQ(p.stride % 64, 0u);
  for (u32 cpu = 0; cpu < 4; cpu++) {
    mstap_shim_current_cpu = cpu;
    for (s64 v = 0; v <= 10 * cpu; v += 10)
      mstap_pstat_add(&p, v);
  }
  mstap_shim_current_cpu = 0;
  const mstap_stat *merged = mstap_pstat_read(&p);
  EXPECT_EQ(mstap_stat_count(merged), 1 + 2 + 3 + 4);
  EXPECT_EQ(mstap_stat_sum(merged), 0 + 10 + 30 + 60);
  EXPECT_EQ(mstap_stat_min(merged, &error), 0);
  EXPECT_EQ(mstap_stat_max(merged, &error), 30);
  EXPECT_EQ(mstap_hist_bucket_count(merged, &layout, 1, &error), 4); // the zeros
  EXPECT_EQ(mstap_hist_bucket_count(merged, &layout, 4, &error), 1); // one 30
  // A second read gives the same, not twice as much.
  EXPECT_EQ(mstap_stat_count(mstap_pstat_read(&p)), 10);
  mstap_pstat_clear(&p);
  EXPECT_EQ(mstap_stat_count(mstap_pstat_read(&p)), 0);
  mstap_stat_avg(mstap_pstat_read(&p), &error);
  EXPECT_STREQ(error.message, "empty aggregate");
  mstap_pstat_destroy(&p);
  mstap_shim_cpu_count = saved;
}

// @variance as stap computes it: Welford's integer steps per CPU, then a
// global statistic's parts around the mean of all values (stap(1)'s example:
// 1..5 gives 12, and 2 with a bit shift of 1), an array's two parts at a
// time starting from a copy (1..5 on one CPU: 7).
struct VarianceRun {
  VarianceRun(u32 shift, u32 cpus) : saved(mstap_shim_cpu_count) {
    layout = plain_layout();
    layout.variance = 1;
    layout.variance_shift = shift;
    mstap_error_clear(&error);
    mstap_shim_cpu_count = cpus;
    EXPECT_EQ(mstap_pstat_create(&p, &layout, &error), 0);
    map_layout = {1, {MSTAP_TYPE_LONG}, MSTAP_TYPE_STAT, &layout, 0};
    EXPECT_EQ(mstap_pmap_create(&m, &map_layout, 16, &error), 0);
  }
  ~VarianceRun() {
    mstap_pstat_destroy(&p);
    mstap_pmap_destroy(&m);
    mstap_shim_cpu_count = saved;
    mstap_shim_current_cpu = 0;
  }
  void add(u32 cpu, s64 v) {
    mstap_shim_current_cpu = cpu;
    mstap_pstat_add(&p, v);
    mstap_key k = mstap_key_long(1);
    EXPECT_EQ(mstap_pmap_add(&m, &k, v, &error), 0);
  }
  s64 global() { return mstap_stat_variance(mstap_pstat_read(&p), &layout, &error); }
  s64 element() {
    mstap_key k = mstap_key_long(1);
    return mstap_stat_variance(mstap_pmap_read(&m, &k), &layout, &error);
  }
  u32 saved;
  mstap_stat_layout layout;
  mstap_map_layout map_layout;
  mstap_pstat p;
  mstap_pmap m;
  mstap_error error;
};

TEST(Variance, AsStapsManualOnOneCpu) {
  VarianceRun plain(0, 1), shifted(1, 1);
  for (s64 v = 1; v <= 5; v++) {
    plain.add(0, v);
    shifted.add(0, v);
  }
  // Welford in integers: the mean stays 1 (each step's increment
  // truncates to 0), M2 = 1 + 4 + 9 + 16 = 30, 30 / 4 = 7; the global adds
  // 5 * (1 - 3)^2 = 20 off the true mean: (4 * 7 + 20) / 4 = 12.
  EXPECT_EQ(plain.global(), 12);
  EXPECT_EQ(plain.element(), 7);
  // Scaled by 2: the mean tracks 6 exactly, M2 = 40, 40 / 4 = 10, and
  // 10 >> 2 = 2, both ways.
  EXPECT_EQ(shifted.global(), 2);
  EXPECT_EQ(shifted.element(), 2);
  EXPECT_EQ(plain.error.message, nullptr);
}

TEST(Variance, TwoCpus) {
  VarianceRun run(0, 2);
  run.add(0, 1);
  run.add(0, 3);
  run.add(1, 5);
  run.add(1, 7);
  // Each CPU: mean 2 and 6, variance 2. Around the mean 4:
  // 2*(2-4)^2 + 2 + 2*(6-4)^2 + 2 = 20, 20 / 3 = 6 (the exact 6.67, cut).
  EXPECT_EQ(run.global(), 6);
  EXPECT_EQ(run.element(), 6);
}

TEST(Variance, OneValueIsZeroAndNoneIsAnError) {
  VarianceRun run(3, 2);
  EXPECT_EQ(run.global(), 0);
  EXPECT_STREQ(run.error.message, "empty aggregate");
  mstap_error_clear(&run.error);
  run.add(1, 42);
  EXPECT_EQ(run.global(), 0);
  EXPECT_EQ(run.element(), 0);
  EXPECT_EQ(run.error.message, nullptr);
}

TEST(PerCpuStat, CreateRejectsABadLayout) {
  mstap_stat_layout layout = linear_layout(0, 100, 10);
  layout.step = -1;
  mstap_pstat p;
  mstap_error error;
  mstap_error_clear(&error);
  EXPECT_EQ(mstap_pstat_create(&p, &layout, &error), -EINVAL);
}

} // namespace
