// Microbenchmarks of the runtime's hot paths (never run by ctest):
//   cmake --build build --target mstap_runtime_bench
//   ./build/tests/runtime/mstap_runtime_bench
// Target: each under 100 ns an operation.
#include "mstap_format.h"
#include "mstap_map.h"
#include "mstap_stat.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr u32 kEntries = MSTAP_MAXMAPENTRIES; // 2048: a full default array

mstap_map_layout layout_with(u32 key_count, bool strings) {
  mstap_map_layout layout = {};
  layout.key_count = key_count;
  for (u32 k = 0; k < key_count; k++)
    layout.key_types[k] = strings && k % 2 == 0 ? MSTAP_TYPE_STRING : MSTAP_TYPE_LONG;
  layout.value_type = MSTAP_TYPE_LONG;
  return layout;
}

// A full array of 2048 elements, and the key tuples of its elements.
struct FullMap {
  FullMap(u32 key_count, bool strings) : layout(layout_with(key_count, strings)) {
    mstap_error_clear(&error);
    mstap_map_create(&map, &layout, kEntries, &error);
    for (u32 i = 0; i < kEntries; i++)
      names.push_back("process-" + std::to_string(i));
    keys.resize(static_cast<size_t>(kEntries) * key_count);
    for (u32 i = 0; i < kEntries; i++) {
      for (u32 k = 0; k < key_count; k++) {
        mstap_key &key = keys[static_cast<size_t>(i) * key_count + k];
        if (layout.key_types[k] == MSTAP_TYPE_STRING)
          key.string = names[(i + k) % kEntries].c_str();
        else
          key.number = static_cast<s64>(i) * 7919 + k;
      }
      mstap_map_set_long(&map, &keys[static_cast<size_t>(i) * key_count], i, &error);
    }
    if (mstap_map_size(&map) != kEntries || error.message)
      std::fprintf(stderr, "setup failed\n");
  }
  ~FullMap() { mstap_map_destroy(&map); }
  const mstap_key *key(u32 i) const { return &keys[static_cast<size_t>(i % kEntries) * layout.key_count]; }
  mstap_map_layout layout;
  mstap_map map;
  mstap_error error;
  std::vector<std::string> names;
  std::vector<mstap_key> keys;
};

// a[k...] += 1 on an element that exists, in a full array of 2048.
void BM_MapUpdate(benchmark::State &state) {
  FullMap m(static_cast<u32>(state.range(0)), state.range(1) != 0);
  u32 i = 0;
  for (auto _ : state) {
    s64 *slot = mstap_map_long_slot(&m.map, m.key(i++ * 97), &m.error);
    benchmark::DoNotOptimize(slot);
    *slot += 1;
  }
}
BENCHMARK(BM_MapUpdate)
    ->ArgNames({"keys", "strings"})
    ->Args({1, 0})->Args({2, 0})->Args({4, 0})->Args({1, 1})->Args({2, 1})->Args({4, 1});

// a[k...] read, for an element that exists and one that does not.
void BM_MapLookup(benchmark::State &state) {
  FullMap m(static_cast<u32>(state.range(0)), state.range(1) != 0);
  u32 i = 0;
  s64 sum = 0;
  for (auto _ : state) {
    sum += mstap_map_get_long(&m.map, m.key(i++ * 97));
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_MapLookup)
    ->ArgNames({"keys", "strings"})
    ->Args({1, 0})->Args({2, 0})->Args({4, 0})->Args({1, 1})->Args({2, 1})->Args({4, 1});

void BM_MapLookupMissing(benchmark::State &state) {
  FullMap m(static_cast<u32>(state.range(0)), false);
  std::vector<mstap_key> missing(m.layout.key_count, mstap_key_long(-1));
  s64 i = 0;
  for (auto _ : state) {
    missing[0].number = -(++i);
    benchmark::DoNotOptimize(mstap_map_exists(&m.map, missing.data()));
  }
}
BENCHMARK(BM_MapLookupMissing)->ArgName("keys")->Arg(1)->Arg(2)->Arg(4);

// Insert and delete, which moves the last element into the hole.
void BM_MapInsertDelete(benchmark::State &state) {
  FullMap m(2, false);
  mstap_map_delete(&m.map, m.key(0)); // room for one
  mstap_key fresh[2] = {mstap_key_long(-1), mstap_key_long(-2)};
  for (auto _ : state) {
    mstap_map_set_long(&m.map, fresh, 1, &m.error);
    mstap_map_delete(&m.map, fresh);
  }
}
BENCHMARK(BM_MapInsertDelete);

// x <<< v into a per-CPU statistic.
void BM_StatAdd(benchmark::State &state) {
  mstap_stat_layout layout = MSTAP_STAT_LAYOUT_PLAIN;
  if (state.range(0) == 1) {
    mstap_stat_layout log = MSTAP_STAT_LAYOUT_LOG;
    layout = log;
  } else if (state.range(0) == 2) {
    mstap_stat_layout linear = MSTAP_STAT_LAYOUT_LINEAR(0, 1000, 10);
    layout = linear;
  }
  mstap_pstat stat;
  mstap_error error;
  mstap_error_clear(&error);
  mstap_pstat_create(&stat, &layout, &error);
  s64 v = 0;
  for (auto _ : state) {
    mstap_pstat_add(&stat, v);
    v = (v + 977) & 0xfffff;
  }
  benchmark::DoNotOptimize(mstap_pstat_read(&stat)->count);
  mstap_pstat_destroy(&stat);
}
BENCHMARK(BM_StatAdd)->ArgName("hist")->Arg(0)->Arg(1)->Arg(2); // none, log, linear

// a[k] <<< v into a per-CPU array of statistics.
void BM_StatMapAdd(benchmark::State &state) {
  static const mstap_stat_layout log = MSTAP_STAT_LAYOUT_LOG;
  mstap_map_layout layout = {1, {MSTAP_TYPE_LONG}, MSTAP_TYPE_STAT, &log, 0};
  mstap_pmap pmap;
  mstap_error error;
  mstap_error_clear(&error);
  mstap_pmap_create(&pmap, &layout, kEntries, &error);
  s64 i = 0;
  for (auto _ : state) {
    mstap_key key = mstap_key_long(i % 1024);
    mstap_pmap_add(&pmap, &key, i, &error);
    i++;
  }
  mstap_pmap_destroy(&pmap);
}
BENCHMARK(BM_StatMapAdd);

// printf of a short line into the print buffer.
void BM_PrintfShortLine(benchmark::State &state) {
  char buffer[4096];
  mstap_out out;
  mstap_error error;
  mstap_error_clear(&error);
  mstap_out_init(&out, buffer, sizeof(buffer));
  mstap_arg args[] = {mstap_arg_string("bash"), mstap_arg_long(4242), mstap_arg_long(-17),
                      mstap_arg_long(0xffff8800)};
  for (auto _ : state) {
    out.used = 0;
    mstap_format(&out, "%s[%d]: ret=%d at %p\n", args, 4, &error);
    benchmark::DoNotOptimize(buffer[0]);
  }
  state.counters["bytes"] = static_cast<double>(out.used);
}
BENCHMARK(BM_PrintfShortLine);

// foreach (k in a- limit 10) over a full array, and a full sort.
void BM_MapSort(benchmark::State &state) {
  FullMap m(1, false);
  std::vector<u32> index(kEntries);
  mstap_map_order order = {-1, 0, MSTAP_STAT_FIELD_COUNT, state.range(0) > 0 ? 1u : 0u,
                           state.range(0)};
  for (auto _ : state)
    benchmark::DoNotOptimize(mstap_map_sort(&m.map, index.data(), &order));
}
BENCHMARK(BM_MapSort)->ArgName("limit")->Arg(10)->Arg(0);

// print(@hist_log(x)) of a statistic with 20 buckets in use.
void BM_HistPrint(benchmark::State &state) {
  mstap_stat_layout log = MSTAP_STAT_LAYOUT_LOG;
  std::vector<s64> memory(mstap_stat_size(&log) / 8);
  mstap_stat *stat = reinterpret_cast<mstap_stat *>(memory.data());
  for (s64 v = 1; v < (1 << 20); v = v * 2 + 1)
    mstap_stat_add(stat, &log, v);
  std::vector<char> buffer(16384);
  mstap_out out;
  mstap_error error;
  mstap_error_clear(&error);
  mstap_out_init(&out, buffer.data(), static_cast<u32>(buffer.size()));
  for (auto _ : state) {
    out.used = 0;
    mstap_hist_print(&out, stat, &log, &error);
  }
}
BENCHMARK(BM_HistPrint);

} // namespace

BENCHMARK_MAIN();
