// Associative arrays: stap's semantics (missing elements read as 0 or "",
// assigning 0 keeps the element: testsuite/systemtap.maps/exists.exp), the
// overflow error, and foreach's orders, checked against std::map and
// std::sort models.
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace {

// An array created for a test and destroyed after it.
struct Map {
  Map(const mstap_map_layout &l, u32 capacity) : layout(l) {
    mstap_error_clear(&error);
    EXPECT_EQ(mstap_map_create(&map, &layout, capacity, &error), 0);
    index.resize(capacity);
  }
  ~Map() { mstap_map_destroy(&map); }
  std::vector<u32> sort(s32 direction, u32 column, s64 limit = -1,
                        u32 stat_field = MSTAP_STAT_FIELD_COUNT) {
    mstap_map_order order;
    order.direction = direction;
    order.column = column;
    order.stat_field = stat_field;
    order.has_limit = limit >= 0 ? 1 : 0;
    order.limit = limit;
    u32 n = mstap_map_sort(&map, index.data(), &order);
    return std::vector<u32>(index.begin(), index.begin() + n);
  }
  mstap_map_layout layout;
  mstap_map map;
  mstap_error error;
  std::vector<u32> index;
};

mstap_map_layout layout_of(std::vector<u8> keys, u8 value,
                           const mstap_stat_layout *stat = nullptr) {
  mstap_map_layout layout = {};
  layout.key_count = static_cast<u32>(keys.size());
  for (size_t i = 0; i < keys.size(); i++)
    layout.key_types[i] = keys[i];
  layout.value_type = value;
  layout.stat = stat;
  return layout;
}

constexpr u8 L = MSTAP_TYPE_LONG;
constexpr u8 S = MSTAP_TYPE_STRING;

TEST(Map, DefaultCapacityIs2048) { EXPECT_EQ(MSTAP_MAXMAPENTRIES, 2048); }

TEST(Map, SetGetExistsDeleteOneLongKey) {
  Map m(layout_of({L}, L), MSTAP_MAXMAPENTRIES);
  mstap_key k = mstap_key_long(42);
  EXPECT_FALSE(mstap_map_exists(&m.map, &k));
  EXPECT_EQ(mstap_map_get_long(&m.map, &k), 0); // missing: 0 ...
  EXPECT_EQ(mstap_map_size(&m.map), 0u);        // ... and not created
  EXPECT_EQ(mstap_map_set_long(&m.map, &k, 7, &m.error), 0);
  EXPECT_TRUE(mstap_map_exists(&m.map, &k));
  EXPECT_EQ(mstap_map_get_long(&m.map, &k), 7);
  EXPECT_EQ(mstap_map_set_long(&m.map, &k, 0, &m.error), 0);
  EXPECT_TRUE(mstap_map_exists(&m.map, &k)); // still there with 0
  mstap_map_delete(&m.map, &k);
  EXPECT_FALSE(mstap_map_exists(&m.map, &k));
  mstap_map_delete(&m.map, &k); // deleting a missing element: nothing
  EXPECT_EQ(mstap_map_size(&m.map), 0u);
  EXPECT_EQ(m.error.message, nullptr);
}

TEST(Map, DeleteOnAnEmptyArrayAndClear) {
  Map m(layout_of({S, L}, L), 8);
  mstap_key k[2] = {mstap_key_string("x"), mstap_key_long(1)};
  mstap_map_delete(&m.map, k);
  mstap_map_clear(&m.map);
  EXPECT_EQ(mstap_map_size(&m.map), 0u);
  for (s64 i = 0; i < 8; i++) {
    k[1].number = i;
    ASSERT_EQ(mstap_map_set_long(&m.map, k, i, &m.error), 0);
  }
  mstap_map_clear(&m.map);
  EXPECT_EQ(mstap_map_size(&m.map), 0u);
  EXPECT_FALSE(mstap_map_exists(&m.map, k));
  for (s64 i = 0; i < 8; i++) { // all the room is back
    k[1].number = 100 + i;
    ASSERT_EQ(mstap_map_set_long(&m.map, k, i, &m.error), 0);
  }
  EXPECT_EQ(m.error.message, nullptr);
}

// testsuite/systemtap.maps/exists.stp: a[i], b[i, 10*i], c[""].
TEST(Map, ExistsAsStapsTestsuite) {
  Map a(layout_of({L}, L), 64), b(layout_of({L, L}, L), 64), c(layout_of({S}, S), 64);
  for (s64 i = 0; i < 11; i++) {
    mstap_key k = mstap_key_long(i);
    mstap_map_set_long(&a.map, &k, i * i, &a.error);
    mstap_key kk[2] = {mstap_key_long(i), mstap_key_long(10 * i)};
    mstap_map_set_long(&b.map, kk, i * i, &b.error);
  }
  mstap_key fifty = mstap_key_long(50);
  EXPECT_FALSE(mstap_map_exists(&a.map, &fifty));
  for (s64 i = 0; i < 11; i++) {
    mstap_key kk[2] = {mstap_key_long(i), mstap_key_long(10 * i)};
    EXPECT_TRUE(mstap_map_exists(&b.map, kk));
  }
  mstap_key zeros[2] = {mstap_key_long(0), mstap_key_long(0)};
  mstap_map_set_long(&b.map, zeros, 0, &b.error);
  EXPECT_TRUE(mstap_map_exists(&b.map, zeros));
  mstap_map_delete(&b.map, zeros);
  EXPECT_FALSE(mstap_map_exists(&b.map, zeros));

  mstap_key empty = mstap_key_string("");
  mstap_key hello = mstap_key_string("hello");
  mstap_map_set_string(&c.map, &empty, "empty string", &c.error);
  mstap_map_set_string(&c.map, &hello, "HELLO", &c.error);
  EXPECT_TRUE(mstap_map_exists(&c.map, &empty));
  EXPECT_STREQ(mstap_map_get_string(&c.map, &hello), "HELLO");
  mstap_map_set_string(&c.map, &empty, "", &c.error);
  EXPECT_TRUE(mstap_map_exists(&c.map, &empty)); // still there with ""
  mstap_map_delete(&c.map, &empty);
  EXPECT_FALSE(mstap_map_exists(&c.map, &empty));
  mstap_key missing = mstap_key_string("missing");
  EXPECT_STREQ(mstap_map_get_string(&c.map, &missing), "");
}

TEST(Map, FourMixedKeys) {
  Map m(layout_of({S, L, S, L}, S), MSTAP_MAXMAPENTRIES);
  mstap_key k[4] = {mstap_key_string("coords"), mstap_key_long(3), mstap_key_string("x"),
                    mstap_key_long(-7)};
  EXPECT_EQ(mstap_map_set_string(&m.map, k, "test", &m.error), 0);
  EXPECT_STREQ(mstap_map_get_string(&m.map, k), "test");
  mstap_key other[4] = {mstap_key_string("coords"), mstap_key_long(3), mstap_key_string("x"),
                        mstap_key_long(7)};
  EXPECT_FALSE(mstap_map_exists(&m.map, other));
  mstap_key swapped[4] = {mstap_key_string("x"), mstap_key_long(3), mstap_key_string("coords"),
                          mstap_key_long(-7)};
  EXPECT_FALSE(mstap_map_exists(&m.map, swapped));
  mstap_entry *e = mstap_map_find(&m.map, k);
  ASSERT_NE(e, nullptr);
  EXPECT_STREQ(mstap_map_entry_string_key(&m.map, e, 0), "coords");
  EXPECT_EQ(mstap_map_entry_long_key(&m.map, e, 1), 3);
  EXPECT_STREQ(mstap_map_entry_string_key(&m.map, e, 2), "x");
  EXPECT_EQ(mstap_map_entry_long_key(&m.map, e, 3), -7);
}

TEST(Map, NineKeysAreTheMost) {
  Map m(layout_of({L, L, L, L, L, L, L, L, L}, L), 16);
  mstap_key k[9];
  for (int i = 0; i < 9; i++)
    k[i] = mstap_key_long(i);
  EXPECT_EQ(mstap_map_set_long(&m.map, k, 9, &m.error), 0);
  EXPECT_EQ(mstap_map_get_long(&m.map, k), 9);
  mstap_map_layout ten = layout_of({L}, L);
  ten.key_count = 10;
  mstap_map map;
  mstap_error error;
  mstap_error_clear(&error);
  EXPECT_EQ(mstap_map_create(&map, &ten, 16, &error), -EINVAL);
}

TEST(Map, SlotsUpdateInPlace) {
  Map m(layout_of({S}, L), 16);
  mstap_key k = mstap_key_string("reads");
  for (int i = 0; i < 5; i++) {
    s64 *slot = mstap_map_long_slot(&m.map, &k, &m.error);
    ASSERT_NE(slot, nullptr);
    *slot += 10;
  }
  EXPECT_EQ(mstap_map_get_long(&m.map, &k), 50);
  EXPECT_EQ(mstap_map_size(&m.map), 1u);

  Map s(layout_of({L}, S), 16);
  mstap_key one = mstap_key_long(1);
  char *text = mstap_map_string_slot(&s.map, &one, &s.error);
  ASSERT_NE(text, nullptr);
  EXPECT_STREQ(text, ""); // created as ""
  mstap_string_append(text, "abc");
  mstap_string_append(mstap_map_string_slot(&s.map, &one, &s.error), "def");
  EXPECT_STREQ(mstap_map_get_string(&s.map, &one), "abcdef");
}

TEST(Map, LongStringsAreCutAtTheStringLimit) {
  Map m(layout_of({S}, S), 16);
  std::string key(700, 'k');
  std::string value(700, 'v');
  mstap_key k = mstap_key_string(key.c_str());
  EXPECT_EQ(mstap_map_set_string(&m.map, &k, value.c_str(), &m.error), 0);
  EXPECT_EQ(std::string(mstap_map_get_string(&m.map, &k)), std::string(511, 'v'));
  // The key is kept cut too, so its first 511 bytes find the element.
  std::string prefix(511, 'k');
  mstap_key p = mstap_key_string(prefix.c_str());
  EXPECT_TRUE(mstap_map_exists(&m.map, &p));
  mstap_entry *e = mstap_map_find(&m.map, &k);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(std::string(mstap_map_entry_string_key(&m.map, e, 0)), prefix);
}

TEST(Map, FullArrayIsAnErrorAndChangesNothing) {
  Map m(layout_of({L}, L), 4);
  for (s64 i = 0; i < 4; i++) {
    mstap_key k = mstap_key_long(i);
    ASSERT_EQ(mstap_map_set_long(&m.map, &k, i * 10, &m.error), 0);
  }
  mstap_key fifth = mstap_key_long(4);
  EXPECT_EQ(mstap_map_set_long(&m.map, &fifth, 40, &m.error), -ENOSPC);
  EXPECT_STREQ(m.error.message, "Array overflow, check MAXMAPENTRIES");
  EXPECT_EQ(mstap_map_long_slot(&m.map, &fifth, &m.error), nullptr);
  EXPECT_EQ(mstap_map_string_slot(&m.map, &fifth, &m.error), nullptr);
  EXPECT_EQ(mstap_map_size(&m.map), 4u);
  EXPECT_FALSE(mstap_map_exists(&m.map, &fifth));
  for (s64 i = 0; i < 4; i++) {
    mstap_key k = mstap_key_long(i);
    EXPECT_EQ(mstap_map_get_long(&m.map, &k), i * 10);
  }
  // Updating an element that exists still works when full.
  mstap_error_clear(&m.error);
  mstap_key two = mstap_key_long(2);
  EXPECT_EQ(mstap_map_set_long(&m.map, &two, 99, &m.error), 0);
  EXPECT_EQ(mstap_map_get_long(&m.map, &two), 99);
  // After a delete there is room for one more.
  mstap_map_delete(&m.map, &two);
  EXPECT_EQ(mstap_map_set_long(&m.map, &fifth, 40, &m.error), 0);
  EXPECT_EQ(m.error.message, nullptr);
}

TEST(Map, FillsTo2048) {
  Map m(layout_of({L, L}, L), MSTAP_MAXMAPENTRIES);
  for (s64 i = 0; i < MSTAP_MAXMAPENTRIES; i++) {
    mstap_key k[2] = {mstap_key_long(i), mstap_key_long(-i)};
    ASSERT_EQ(mstap_map_set_long(&m.map, k, i, &m.error), 0);
  }
  EXPECT_EQ(mstap_map_size(&m.map), 2048u);
  mstap_key k[2] = {mstap_key_long(2048), mstap_key_long(0)};
  EXPECT_EQ(mstap_map_set_long(&m.map, k, 1, &m.error), -ENOSPC);
  for (s64 i = 0; i < MSTAP_MAXMAPENTRIES; i++) {
    mstap_key kk[2] = {mstap_key_long(i), mstap_key_long(-i)};
    ASSERT_EQ(mstap_map_get_long(&m.map, kk), i);
  }
}

TEST(Map, BadLayoutsAreRefused) {
  mstap_map map;
  mstap_error error;
  mstap_error_clear(&error);
  mstap_map_layout no_keys = layout_of({}, L);
  EXPECT_EQ(mstap_map_create(&map, &no_keys, 16, &error), -EINVAL);
  mstap_map_layout stat_key = layout_of({MSTAP_TYPE_STAT}, L);
  EXPECT_EQ(mstap_map_create(&map, &stat_key, 16, &error), -EINVAL);
  mstap_map_layout bad_value = layout_of({L}, 9);
  EXPECT_EQ(mstap_map_create(&map, &bad_value, 16, &error), -EINVAL);
  mstap_map_layout stat_without_layout = layout_of({L}, MSTAP_TYPE_STAT);
  EXPECT_EQ(mstap_map_create(&map, &stat_without_layout, 16, &error), -EINVAL);
  mstap_map_layout good = layout_of({L}, L);
  EXPECT_EQ(mstap_map_create(&map, &good, 0, &error), -EINVAL);
  EXPECT_STREQ(error.message, "array: bad layout or size");
}

// Random operations against std::map, deletes included (they move entries).
TEST(Map, MatchesAModelUnderRandomOperations) {
  Map m(layout_of({S, L}, L), 64);
  std::map<std::pair<std::string, s64>, s64> model;
  std::mt19937_64 random(12345);
  const char *names[] = {"a", "bb", "ccc", "", "a longer name"};
  for (int step = 0; step < 200000; step++) {
    std::string name = names[random() % 5];
    s64 number = static_cast<s64>(random() % 20) - 10;
    mstap_key k[2] = {mstap_key_string(name.c_str()), mstap_key_long(number)};
    auto key = std::make_pair(name, number);
    switch (random() % 4) {
    case 0:
    case 1: {
      s64 value = static_cast<s64>(random());
      mstap_error_clear(&m.error);
      int status = mstap_map_set_long(&m.map, k, value, &m.error);
      if (model.count(key) || model.size() < 64) {
        ASSERT_EQ(status, 0);
        model[key] = value;
      } else {
        ASSERT_EQ(status, -ENOSPC);
      }
      break;
    }
    case 2:
      mstap_map_delete(&m.map, k);
      model.erase(key);
      break;
    default:
      ASSERT_EQ(mstap_map_exists(&m.map, k), model.count(key) == 1);
      ASSERT_EQ(mstap_map_get_long(&m.map, k), model.count(key) ? model[key] : 0);
      break;
    }
    ASSERT_EQ(mstap_map_size(&m.map), model.size());
  }
  // Every entry is reachable through its chain and matches the model.
  for (u32 i = 0; i < mstap_map_size(&m.map); i++) {
    mstap_entry *e = mstap_map_entry(&m.map, i);
    auto key = std::make_pair(std::string(mstap_map_entry_string_key(&m.map, e, 0)),
                              mstap_map_entry_long_key(&m.map, e, 1));
    ASSERT_EQ(model.at(key), *mstap_map_entry_long(&m.map, e));
    mstap_key k[2] = {mstap_key_string(key.first.c_str()), mstap_key_long(key.second)};
    ASSERT_EQ(mstap_map_find(&m.map, k), e);
  }
}

// global a%[3]: adding to a full wrapping array replaces the element added
// first (stap's map->wrap); no error.
TEST(MapWrap, ReplacesTheOldestWithoutAnError) {
  mstap_map_layout layout = layout_of({L}, L);
  layout.wrap = 1;
  Map m(layout, 3);
  for (s64 i = 1; i <= 5; i++) {
    mstap_key k = mstap_key_long(i);
    ASSERT_EQ(mstap_map_set_long(&m.map, &k, i * 10, &m.error), 0);
  }
  EXPECT_EQ(m.error.message, nullptr);
  EXPECT_EQ(mstap_map_size(&m.map), 3u);
  for (s64 i = 1; i <= 5; i++) {
    mstap_key k = mstap_key_long(i);
    EXPECT_EQ(mstap_map_exists(&m.map, &k), i >= 3) << i;
    EXPECT_EQ(mstap_map_get_long(&m.map, &k), i >= 3 ? i * 10 : 0) << i;
  }
}

// Changing an element's value does not make it younger; deleting one takes
// it out of the order, and the dense storage's move keeps the order right.
TEST(MapWrap, AgeIsTheOrderOfAddingNotOfChanging) {
  mstap_map_layout layout = layout_of({S}, L);
  layout.wrap = 1;
  Map m(layout, 3);
  auto set = [&](const char *name, s64 value) {
    mstap_key k = mstap_key_string(name);
    ASSERT_EQ(mstap_map_set_long(&m.map, &k, value, &m.error), 0);
  };
  auto has = [&](const char *name) {
    mstap_key k = mstap_key_string(name);
    return mstap_map_exists(&m.map, &k) != 0;
  };
  set("a", 1);
  set("b", 2);
  set("c", 3);
  set("a", 100); // a stays the oldest
  set("d", 4);   // replaces a
  EXPECT_FALSE(has("a"));
  EXPECT_TRUE(has("b") && has("c") && has("d"));
  mstap_key b = mstap_key_string("b");
  mstap_map_delete(&m.map, &b); // d moves into b's entry
  set("e", 5);                  // room again: nothing goes
  EXPECT_TRUE(has("c") && has("d") && has("e"));
  set("f", 6); // replaces c, then d, then e
  EXPECT_FALSE(has("c"));
  set("g", 7);
  EXPECT_FALSE(has("d"));
  EXPECT_TRUE(has("e") && has("f") && has("g"));
  mstap_map_clear(&m.map);
  set("h", 8);
  set("i", 9);
  set("j", 10);
  set("k", 11);
  EXPECT_FALSE(has("h"));
  EXPECT_TRUE(has("i") && has("j") && has("k"));
  EXPECT_EQ(m.error.message, nullptr);
}

// Random adds, changes and deletes against a model that remembers the order
// of adding: the array always holds the model's newest `capacity` elements.
TEST(MapWrap, MatchesAModelUnderRandomOperations) {
  mstap_map_layout layout = layout_of({L, S}, L);
  layout.wrap = 1;
  const u32 capacity = 16;
  Map m(layout, capacity);
  std::vector<std::pair<s64, s64>> model; // (key, value), oldest first
  std::mt19937_64 random(777);
  const char *tags[] = {"x", "y"};
  auto find = [&](s64 key) {
    return std::find_if(model.begin(), model.end(), [&](const auto &e) { return e.first == key; });
  };
  for (int step = 0; step < 100000; step++) {
    s64 key = static_cast<s64>(random() % 40);
    mstap_key k[2] = {mstap_key_long(key), mstap_key_string(tags[key % 2])};
    switch (random() % 5) {
    case 0:
    case 1: {
      s64 value = static_cast<s64>(random() % 1000);
      ASSERT_EQ(mstap_map_set_long(&m.map, k, value, &m.error), 0);
      auto it = find(key);
      if (it != model.end()) {
        it->second = value;
      } else {
        if (model.size() == capacity)
          model.erase(model.begin());
        model.emplace_back(key, value);
      }
      break;
    }
    case 2: {
      mstap_map_delete(&m.map, k);
      auto it = find(key);
      if (it != model.end())
        model.erase(it);
      break;
    }
    case 3:
      if (random() % 500 == 0) {
        mstap_map_clear(&m.map);
        model.clear();
      }
      break;
    default: {
      auto it = find(key);
      ASSERT_EQ(mstap_map_exists(&m.map, k), it != model.end());
      ASSERT_EQ(mstap_map_get_long(&m.map, k), it != model.end() ? it->second : 0);
      break;
    }
    }
    ASSERT_EQ(mstap_map_size(&m.map), model.size());
  }
  ASSERT_EQ(m.error.message, nullptr);
  // The age list, walked from the oldest, is the model's order.
  std::vector<s64> walked;
  for (u32 at = m.map.oldest; at; at = mstap_map_age(&m.map, at - 1)->newer)
    walked.push_back(mstap_map_entry_long_key(&m.map, mstap_map_entry(&m.map, at - 1), 0));
  std::vector<s64> expected;
  for (const auto &e : model)
    expected.push_back(e.first);
  EXPECT_EQ(walked, expected);
}

// foreach orders, compared with std::stable_sort of (column, then keys).
struct Row {
  std::string name;
  s64 number;
  s64 value;
  u32 entry;
};

std::vector<Row> rows_of(Map &m) {
  std::vector<Row> rows;
  for (u32 i = 0; i < mstap_map_size(&m.map); i++) {
    mstap_entry *e = mstap_map_entry(&m.map, i);
    rows.push_back({mstap_map_entry_string_key(&m.map, e, 0),
                    mstap_map_entry_long_key(&m.map, e, 1), *mstap_map_entry_long(&m.map, e), i});
  }
  return rows;
}

std::vector<u32> expected_order(std::vector<Row> rows, s32 direction, u32 column, s64 limit) {
  auto keys = [](const Row &r) { return std::make_tuple(r.name, r.number); };
  std::sort(rows.begin(), rows.end(), [&](const Row &a, const Row &b) {
    int c = 0;
    if (column == 0)
      c = a.value < b.value ? -1 : a.value > b.value;
    else if (column == 1)
      c = a.name < b.name ? -1 : a.name > b.name;
    else
      c = a.number < b.number ? -1 : a.number > b.number;
    if (c)
      return direction < 0 ? c > 0 : c < 0;
    return keys(a) < keys(b);
  });
  std::vector<u32> order;
  for (const Row &r : rows)
    if (limit < 0 || static_cast<s64>(order.size()) < limit)
      order.push_back(r.entry);
  return order;
}

TEST(MapSort, EveryColumnBothDirectionsWithLimits) {
  std::mt19937_64 random(7);
  for (u32 size : {0u, 1u, 2u, 3u, 10u, 100u, 2048u}) {
    Map m(layout_of({S, L}, L), 2048);
    while (mstap_map_size(&m.map) < size) {
      std::string name = "n" + std::to_string(random() % 50);
      mstap_key k[2] = {mstap_key_string(name.c_str()),
                        mstap_key_long(static_cast<s64>(random() % 100) - 50)};
      // Few distinct values, so that ties are common.
      mstap_map_set_long(&m.map, k, static_cast<s64>(random() % 7) - 3, &m.error);
    }
    std::vector<Row> rows = rows_of(m);
    for (s32 direction : {1, -1})
      for (u32 column : {0u, 1u, 2u})
        for (s64 limit : {-1LL, 0LL, 1LL, 5LL, static_cast<long long>(size),
                          static_cast<long long>(size) + 10}) {
          ASSERT_EQ(m.sort(direction, column, limit), expected_order(rows, direction, column, limit))
              << "size " << size << " direction " << direction << " column " << column
              << " limit " << limit;
        }
  }
}

TEST(MapSort, StorageOrderWithAndWithoutLimit) {
  Map m(layout_of({L}, L), 16);
  for (s64 i = 0; i < 5; i++) {
    mstap_key k = mstap_key_long(i);
    mstap_map_set_long(&m.map, &k, 100 - i, &m.error);
  }
  EXPECT_EQ(m.sort(0, 0), (std::vector<u32>{0, 1, 2, 3, 4}));
  EXPECT_EQ(m.sort(0, 0, 2), (std::vector<u32>{0, 1}));
  EXPECT_EQ(m.sort(1, 0, -5 + 0), (std::vector<u32>{4, 3, 2, 1, 0})); // no limit
  mstap_map_order negative = {1, 0, 0, 1, -3};
  EXPECT_EQ(mstap_map_sort(&m.map, m.index.data(), &negative), 0u); // limit -3: nothing
}

// The langref's example: odds[] sorted by key ascending, evens[] by value
// descending.
TEST(MapSort, LanguageReferenceExample) {
  Map odds(layout_of({L}, L), 16), evens(layout_of({L}, L), 16);
  s64 no = 0, ne = 0;
  for (s64 i = 0; i < 10; i++) {
    mstap_key k = mstap_key_long(i % 2 ? no++ : ne++);
    mstap_map_set_long(i % 2 ? &odds.map : &evens.map, &k, i, &odds.error);
  }
  mstap_key two = mstap_key_long(2), three = mstap_key_long(3);
  mstap_map_delete(&odds.map, &two);
  mstap_map_delete(&evens.map, &three);
  std::string printed;
  for (u32 i : odds.sort(1, 1)) {
    mstap_entry *e = mstap_map_entry(&odds.map, i);
    printed += "odds[" + std::to_string(mstap_map_entry_long_key(&odds.map, e, 0)) + "] = " +
               std::to_string(*mstap_map_entry_long(&odds.map, e)) + "\n";
  }
  for (u32 i : evens.sort(-1, 0)) {
    mstap_entry *e = mstap_map_entry(&evens.map, i);
    printed += "evens[" + std::to_string(mstap_map_entry_long_key(&evens.map, e, 0)) + "] = " +
               std::to_string(*mstap_map_entry_long(&evens.map, e)) + "\n";
  }
  EXPECT_EQ(printed, "odds[0] = 1\nodds[1] = 3\nodds[3] = 7\nodds[4] = 9\n"
                     "evens[4] = 8\nevens[2] = 4\nevens[1] = 2\nevens[0] = 0\n");
}

TEST(MapSort, StringValues) {
  Map m(layout_of({L}, S), 16);
  const char *values[] = {"pear", "apple", "fig", "apple", ""};
  for (s64 i = 0; i < 5; i++) {
    mstap_key k = mstap_key_long(i);
    mstap_map_set_string(&m.map, &k, values[i], &m.error);
  }
  std::vector<s64> keys;
  for (u32 i : m.sort(1, 0))
    keys.push_back(mstap_map_entry_long_key(&m.map, mstap_map_entry(&m.map, i), 0));
  EXPECT_EQ(keys, (std::vector<s64>{4, 1, 3, 2, 0})); // "", apple(1), apple(3), fig, pear
}

TEST(MapSort, StatisticsByEachField) {
  mstap_stat_layout plain = MSTAP_STAT_LAYOUT_PLAIN;
  Map m(layout_of({L}, MSTAP_TYPE_STAT, &plain), 16);
  // key 0: {1, 2, 3}  key 1: {10}  key 2: {-5, 100}
  const std::vector<std::vector<s64>> data = {{1, 2, 3}, {10}, {-5, 100}};
  for (s64 i = 0; i < 3; i++) {
    mstap_key k = mstap_key_long(i);
    for (s64 v : data[i])
      ASSERT_EQ(mstap_map_stat_add(&m.map, &k, v, &m.error), 0);
  }
  auto keys = [&](u32 field) {
    std::vector<s64> out;
    for (u32 i : m.sort(1, 0, -1, field))
      out.push_back(mstap_map_entry_long_key(&m.map, mstap_map_entry(&m.map, i), 0));
    return out;
  };
  EXPECT_EQ(keys(MSTAP_STAT_FIELD_COUNT), (std::vector<s64>{1, 2, 0})); // 1, 2, 3
  EXPECT_EQ(keys(MSTAP_STAT_FIELD_SUM), (std::vector<s64>{0, 1, 2}));   // 6, 10, 95
  EXPECT_EQ(keys(MSTAP_STAT_FIELD_MIN), (std::vector<s64>{2, 0, 1}));   // -5, 1, 10
  EXPECT_EQ(keys(MSTAP_STAT_FIELD_MAX), (std::vector<s64>{0, 1, 2}));   // 3, 10, 100
  EXPECT_EQ(keys(MSTAP_STAT_FIELD_AVG), (std::vector<s64>{0, 1, 2}));   // 2, 10, 47
  mstap_key one = mstap_key_long(1);
  const mstap_stat *stat = mstap_map_get_stat(&m.map, &one);
  ASSERT_NE(stat, nullptr);
  EXPECT_EQ(stat->sum, 10);
  mstap_key missing = mstap_key_long(9);
  EXPECT_EQ(mstap_map_get_stat(&m.map, &missing), nullptr);
}

} // namespace
