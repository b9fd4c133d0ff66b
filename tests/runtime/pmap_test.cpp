// Arrays of statistics, kept per CPU: a[k] <<< v on several CPUs, read back
// merged; foreach over the merged array; the overflow when all the CPUs
// together have more keys than one array holds (stap's pmap_agg_overflow).
#include "test_support.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

struct Cpus {
  explicit Cpus(u32 count) : saved(mstap_shim_cpu_count) { mstap_shim_cpu_count = count; }
  ~Cpus() {
    mstap_shim_cpu_count = saved;
    mstap_shim_current_cpu = 0;
  }
  u32 saved;
};

const mstap_stat_layout kLog = MSTAP_STAT_LAYOUT_LOG;
const mstap_map_layout kByPid = {1, {MSTAP_TYPE_LONG}, MSTAP_TYPE_STAT, &kLog, 0};

TEST(PerCpuMap, AddsOnEachCpuReadMerged) {
  Cpus cpus(3);
  mstap_pmap p;
  mstap_error error;
  mstap_error_clear(&error);
  ASSERT_EQ(mstap_pmap_create(&p, &kByPid, 16, &error), 0);
  EXPECT_EQ(p.cpu_count, 3u);
  mstap_key pid = mstap_key_long(100);
  for (u32 cpu = 0; cpu < 3; cpu++) {
    mstap_shim_current_cpu = cpu;
    for (s64 v = 1; v <= cpu + 1; v++)
      ASSERT_EQ(mstap_pmap_add(&p, &pid, v * 10, &error), 0);
  }
  const mstap_stat *s = mstap_pmap_read(&p, &pid);
  EXPECT_EQ(mstap_stat_count(s), 6);                 // 1 + 2 + 3 values
  EXPECT_EQ(mstap_stat_sum(s), 10 + 30 + 60);        // per CPU: 10; 10+20; 10+20+30
  EXPECT_EQ(mstap_stat_min(s, &error), 10);
  EXPECT_EQ(mstap_stat_max(s, &error), 30);
  EXPECT_EQ(mstap_hist_bucket_count(s, &kLog, 64 + 4, &error), 3); // 10 (8..15) three times
  EXPECT_TRUE(mstap_pmap_exists(&p, &pid));

  mstap_key other = mstap_key_long(7);
  EXPECT_FALSE(mstap_pmap_exists(&p, &other));
  const mstap_stat *empty = mstap_pmap_read(&p, &other);
  EXPECT_EQ(mstap_stat_count(empty), 0);
  EXPECT_EQ(error.message, nullptr);
  mstap_stat_min(empty, &error);
  EXPECT_STREQ(error.message, "empty aggregate");

  mstap_pmap_delete(&p, &pid);
  EXPECT_FALSE(mstap_pmap_exists(&p, &pid));
  EXPECT_EQ(mstap_stat_count(mstap_pmap_read(&p, &pid)), 0);
  mstap_pmap_destroy(&p);
}

TEST(PerCpuMap, ForeachOverTheMergedArray) {
  Cpus cpus(4);
  mstap_pmap p;
  mstap_error error;
  mstap_error_clear(&error);
  ASSERT_EQ(mstap_pmap_create(&p, &kByPid, 64, &error), 0);
  // Key k gets k values, spread over the CPUs.
  for (s64 k = 1; k <= 10; k++) {
    mstap_key key = mstap_key_long(k);
    for (s64 i = 0; i < k; i++) {
      mstap_shim_current_cpu = static_cast<u32>((k + i) % 4);
      ASSERT_EQ(mstap_pmap_add(&p, &key, i, &error), 0);
    }
  }
  ASSERT_EQ(mstap_pmap_merge_all(&p, &error), 0);
  EXPECT_EQ(mstap_map_size(&p.merged), 10u);
  std::vector<u32> index(64);
  mstap_map_order order = {-1, 0, MSTAP_STAT_FIELD_COUNT, 1, 3};
  u32 n = mstap_map_sort(&p.merged, index.data(), &order);
  ASSERT_EQ(n, 3u);
  std::vector<s64> top;
  for (u32 i = 0; i < n; i++) {
    mstap_entry *e = mstap_map_entry(&p.merged, index[i]);
    top.push_back(mstap_map_entry_long_key(&p.merged, e, 0));
    EXPECT_EQ(mstap_map_entry_stat(&p.merged, e)->count, top.back());
  }
  EXPECT_EQ(top, (std::vector<s64>{10, 9, 8}));
  // Merging again rebuilds rather than adds.
  ASSERT_EQ(mstap_pmap_merge_all(&p, &error), 0);
  mstap_key ten = mstap_key_long(10);
  EXPECT_EQ(mstap_map_get_stat(&p.merged, &ten)->count, 10);
  mstap_pmap_clear(&p);
  EXPECT_EQ(mstap_map_size(&p.merged), 0u);
  ASSERT_EQ(mstap_pmap_merge_all(&p, &error), 0);
  EXPECT_EQ(mstap_map_size(&p.merged), 0u);
  mstap_pmap_destroy(&p);
}

TEST(PerCpuMap, EachCpuHasItsOwnRoomButTheMergeOverflows) {
  Cpus cpus(2);
  mstap_pmap p;
  mstap_error error;
  mstap_error_clear(&error);
  ASSERT_EQ(mstap_pmap_create(&p, &kByPid, 4, &error), 0);
  for (u32 cpu = 0; cpu < 2; cpu++) {
    mstap_shim_current_cpu = cpu;
    for (s64 k = 0; k < 4; k++) {
      mstap_key key = mstap_key_long(cpu * 100 + k);
      ASSERT_EQ(mstap_pmap_add(&p, &key, 1, &error), 0);
    }
    mstap_key fifth = mstap_key_long(cpu * 100 + 4);
    EXPECT_EQ(mstap_pmap_add(&p, &fifth, 1, &error), -ENOSPC);
    EXPECT_STREQ(error.message, "Array overflow, check MAXMAPENTRIES");
    mstap_error_clear(&error);
  }
  EXPECT_EQ(mstap_pmap_merge_all(&p, &error), -ENOSPC);
  EXPECT_STREQ(error.message, "Array overflow, check MAXMAPENTRIES");
  // One key is still read right, whatever the merged array holds.
  mstap_key last = mstap_key_long(103);
  EXPECT_EQ(mstap_stat_count(mstap_pmap_read(&p, &last)), 1);
  mstap_pmap_destroy(&p);
}

// global s%[N] of statistics: each CPU's array and the merged one wrap.
TEST(PerCpuMap, WrappingArraysNeitherOverflowNorFailTheMerge) {
  Cpus cpus(2);
  mstap_map_layout wrapping = kByPid;
  wrapping.wrap = 1;
  mstap_pmap p;
  mstap_error error;
  mstap_error_clear(&error);
  ASSERT_EQ(mstap_pmap_create(&p, &wrapping, 4, &error), 0);
  for (u32 cpu = 0; cpu < 2; cpu++) {
    mstap_shim_current_cpu = cpu;
    for (s64 k = 0; k < 6; k++) { // keys cpu*100 + 0..5: 0 and 1 go
      mstap_key key = mstap_key_long(cpu * 100 + k);
      ASSERT_EQ(mstap_pmap_add(&p, &key, 1, &error), 0);
    }
  }
  EXPECT_EQ(mstap_pmap_merge_all(&p, &error), 0);
  EXPECT_EQ(error.message, nullptr);
  EXPECT_EQ(mstap_map_size(&p.merged), 4u); // eight keys met four slots
  mstap_key gone = mstap_key_long(1), kept = mstap_key_long(105);
  EXPECT_FALSE(mstap_pmap_exists(&p, &gone));
  EXPECT_EQ(mstap_stat_count(mstap_pmap_read(&p, &kept)), 1);
  mstap_pmap_destroy(&p);
}

TEST(PerCpuMap, RefusesAnArrayOfLongs) {
  Cpus cpus(2);
  mstap_map_layout longs = {1, {MSTAP_TYPE_LONG}, MSTAP_TYPE_LONG, nullptr, 0};
  mstap_pmap p;
  mstap_error error;
  mstap_error_clear(&error);
  EXPECT_EQ(mstap_pmap_create(&p, &longs, 4, &error), -EINVAL);
  mstap_pmap_destroy(&p); // safe after a failed create
}

} // namespace
