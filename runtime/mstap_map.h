/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstap_map.h - the script's global associative arrays.
 *
 * One generic hash table serves every array; what differs between arrays
 * (how many keys, the type of each, the type of the value) is a constant
 * struct mstap_map_layout the generated code declares beside the array:
 *
 *   static const struct mstap_map_layout counts_layout =
 *           { 2, { MSTAP_TYPE_STRING, MSTAP_TYPE_LONG }, MSTAP_TYPE_LONG, NULL };
 *   static struct mstap_map counts;
 *   ... module init: mstap_map_create(&counts, &counts_layout, 2048, &error);
 *   ... a probe:     union mstap_key k[2]; k[0].string = name; k[1].number = pid;
 *                    s64 *slot = mstap_map_long_slot(&counts, k, &c->error);
 *                    if (slot) *slot += 1;
 *
 * A layout rather than code generated per array keeps the runtime in one
 * place that the tests cover, and the C pass 3 emits small; the cost is a
 * loop over the key types in hashing and comparing, a few nanoseconds
 * (tests/runtime/bench measures it).
 *
 * All the memory is taken at module init: `capacity` entries (the array's
 * declared size, or MSTAP_MAXMAPENTRIES) of a fixed size, string keys and
 * values in buffers of MSTAP_MAXSTRINGLEN (a 2048-entry array with two
 * string keys takes about 2 MiB), and a bucket table of twice the capacity
 * rounded up to a power of two. Live entries are kept dense at the
 * front of the entry storage (deleting moves the last entry into the hole),
 * so walking or sorting an array costs its size, not its capacity. Adding
 * to a full array is the error "Array overflow, check MAXMAPENTRIES" and
 * changes nothing, unless the array wraps around (stap's "global a%",
 * the layout's `wrap`): then the new element replaces the oldest one, the
 * one added first of those still there (changing an element's value does
 * not make it younger). A wrapping array keeps its elements in a list from
 * the oldest to the newest, two entry indexes in each entry, so that
 * finding the oldest costs nothing.
 *
 * Reading a missing element gives 0 or "", and does not create it, as in
 * stap; assigning 0 or "" creates it.
 *
 * foreach sorts an array of entry indexes that the caller provides (one per
 * foreach statement and CPU, since foreach loops may nest over one array),
 * with an in-place heap sort: no recursion, O(n log n) comparisons, and
 * with `limit N` only the first N entries are put in order.
 *
 * The caller holds the global's lock: shared for reads, exclusive for
 * anything that adds, changes or deletes. foreach must not modify the array
 * it walks (pass 2 refuses it, as stap does).
 *
 * Statistics in arrays (`a[k] <<< v`) are per CPU: see struct mstap_pmap
 * at the end.
 */
#ifndef MSTAP_MAP_H
#define MSTAP_MAP_H

#include "mstap_compat.h"
#include "mstap_string.h"
#include "mstap_stat.h"

#if !defined(MSTAP_MAXMAPENTRIES) && defined(MAXMAPENTRIES)
#define MSTAP_MAXMAPENTRIES MAXMAPENTRIES
#endif
#ifndef MSTAP_MAXMAPENTRIES
#define MSTAP_MAXMAPENTRIES 2048
#endif

/* stap allows up to nine index expressions. */
#define MSTAP_MAX_KEYS 9

#define MSTAP_TYPE_LONG 1
#define MSTAP_TYPE_STRING 2
#define MSTAP_TYPE_STAT 3

#define MSTAP_ARRAY_OVERFLOW "Array overflow, check MAXMAPENTRIES"

/* One index of an element: set the member the layout's key type names. */
union mstap_key {
	s64 number;
	const char *string;
};

static inline union mstap_key mstap_key_long(s64 number)
{
	union mstap_key key;

	key.number = number;
	return key;
}

static inline union mstap_key mstap_key_string(const char *string)
{
	union mstap_key key;

	key.string = string;
	return key;
}

struct mstap_map_layout {
	u32 key_count;                    /* 1 .. MSTAP_MAX_KEYS */
	u8 key_types[MSTAP_MAX_KEYS];     /* MSTAP_TYPE_LONG or _STRING */
	u8 value_type;                    /* MSTAP_TYPE_LONG, _STRING or _STAT */
	const struct mstap_stat_layout *stat; /* with MSTAP_TYPE_STAT */
	u8 wrap;                          /* 1: full, adding replaces the oldest */
};

/*
 * Each entry starts with this header: the key tuple's hash, and the next
 * entry of its bucket's chain (an entry index plus one; 0 ends the chain).
 * The keys and the value follow at the offsets the map computed.
 */
struct mstap_entry {
	u32 hash;
	u32 next;
};

/*
 * In the entries of a wrapping array, right after the header: the entries
 * added just before and just after this one (entry index plus one; 0: none).
 */
struct mstap_entry_age {
	u32 older;
	u32 newer;
};

struct mstap_map {
	const struct mstap_map_layout *layout;
	u32 capacity;
	u32 count;
	u32 bucket_mask;
	u32 entry_size;
	u32 value_offset;
	u32 key_offsets[MSTAP_MAX_KEYS];
	u32 *buckets; /* bucket_mask + 1 chain heads: entry index plus one */
	u8 *entries;  /* capacity * entry_size bytes; live: [0, count) */
	/* The error when full: MSTAP_ARRAY_OVERFLOW, or for an array declared
	 * with a size stap's "check size limit (N)" (mstap_map_declare_size). */
	const char *overflow_message;
	/* Wrapping arrays: the oldest and newest entries (index plus one). */
	u32 oldest;
	u32 newest;
};

/* Sizes are rounded to 8 bytes so that every long stays aligned. */
static inline u32 mstap_map_slot_size(u32 type,
				      const struct mstap_stat_layout *stat)
{
	if (type == MSTAP_TYPE_STRING)
		return (MSTAP_MAXSTRINGLEN + 7u) & ~7u;
	if (type == MSTAP_TYPE_STAT)
		return mstap_stat_size(stat);
	return 8;
}

MSTAP_EXTERN_C_BEGIN
/* Module init: takes all of the array's memory. 0, or a negative errno. */
int mstap_map_create(struct mstap_map *map,
		     const struct mstap_map_layout *layout, u32 capacity,
		     struct mstap_error *error);
MSTAP_EXTERN_C_END

/* global a[N]: overflowing it names its size, as stap does; `message` is
 * a constant string the generated code spells. */
static inline void mstap_map_declare_size(struct mstap_map *map,
					  const char *message)
{
	map->overflow_message = message;
}

MSTAP_EXTERN_C_BEGIN
/* Module exit (and after a failed create). */
void mstap_map_destroy(struct mstap_map *map);
MSTAP_EXTERN_C_END

static inline u32 mstap_map_size(const struct mstap_map *map)
{
	return map->count;
}

/* ----------------------------------------------------------- entries */

static inline struct mstap_entry *mstap_map_entry(const struct mstap_map *map,
						  u32 index)
{
	return (struct mstap_entry *)(map->entries + (size_t)index * map->entry_size);
}

static inline s64 mstap_map_entry_long_key(const struct mstap_map *map,
					   const struct mstap_entry *entry,
					   u32 key)
{
	return *(const s64 *)((const u8 *)entry + map->key_offsets[key]);
}

static inline const char *mstap_map_entry_string_key(const struct mstap_map *map,
						     const struct mstap_entry *entry,
						     u32 key)
{
	return (const char *)entry + map->key_offsets[key];
}

static inline s64 *mstap_map_entry_long(const struct mstap_map *map,
					struct mstap_entry *entry)
{
	return (s64 *)((u8 *)entry + map->value_offset);
}

static inline char *mstap_map_entry_string(const struct mstap_map *map,
					   struct mstap_entry *entry)
{
	return (char *)entry + map->value_offset;
}

static inline struct mstap_stat *mstap_map_entry_stat(const struct mstap_map *map,
						      struct mstap_entry *entry)
{
	return (struct mstap_stat *)((u8 *)entry + map->value_offset);
}

/* ------------------------------------------------------------ hashing */

static inline u64 mstap_hash_step(u64 hash, u64 word)
{
	hash ^= word;
	hash *= 0x9e3779b97f4a7c15ull;
	return hash ^ (hash >> 29);
}

static inline u32 mstap_map_hash(const struct mstap_map *map,
				 const union mstap_key *keys)
{
	u64 hash = 0x6a09e667f3bcc909ull;
	u32 k;

	for (k = 0; k < map->layout->key_count; k++) {
		if (map->layout->key_types[k] == MSTAP_TYPE_LONG) {
			hash = mstap_hash_step(hash, (u64)keys[k].number);
		} else {
			/*
			 * The bytes a stored key would keep, eight at a time
			 * (gathered one by one: reading a word at once could
			 * pass the end of a short string), then the length.
			 */
			const char *text = keys[k].string;
			u64 word = 0;
			u32 i;

			for (i = 0; i < MSTAP_STRING_LIMIT && text[i]; i++) {
				word = (word << 8) | (u8)text[i];
				if ((i & 7) == 7) {
					hash = mstap_hash_step(hash, word);
					word = 0;
				}
			}
			hash = mstap_hash_step(hash, word ^ ((u64)i << 56));
		}
	}
	hash ^= hash >> 32;
	hash *= 0xd6e8feb86659fd93ull;
	return (u32)(hash ^ (hash >> 32));
}

static inline int mstap_map_keys_match(const struct mstap_map *map,
				       const struct mstap_entry *entry,
				       const union mstap_key *keys)
{
	u32 k;

	for (k = 0; k < map->layout->key_count; k++) {
		if (map->layout->key_types[k] == MSTAP_TYPE_LONG) {
			if (mstap_map_entry_long_key(map, entry, k) != keys[k].number)
				return 0;
		} else if (!mstap_string_equal(mstap_map_entry_string_key(map, entry, k),
					       keys[k].string)) {
			return 0;
		}
	}
	return 1;
}

/* The chain link that points at the matching entry, or NULL. */
static inline u32 *mstap_map_find_link(const struct mstap_map *map,
				       const union mstap_key *keys, u32 hash)
{
	u32 *link = &map->buckets[hash & map->bucket_mask];

	while (*link) {
		struct mstap_entry *entry = mstap_map_entry(map, *link - 1);

		if (entry->hash == hash && mstap_map_keys_match(map, entry, keys))
			return link;
		link = &entry->next;
	}
	return NULL;
}

/* ------------------------------------------- the age of an element */

static inline struct mstap_entry_age *mstap_map_age(const struct mstap_map *map,
						    u32 index)
{
	return (struct mstap_entry_age *)(mstap_map_entry(map, index) + 1);
}

/* Puts entry `index` at the newest end of the age list. */
static inline void mstap_map_age_append(struct mstap_map *map, u32 index)
{
	struct mstap_entry_age *age = mstap_map_age(map, index);

	age->older = map->newest;
	age->newer = 0;
	if (map->newest)
		mstap_map_age(map, map->newest - 1)->newer = index + 1;
	else
		map->oldest = index + 1;
	map->newest = index + 1;
}

/* Takes entry `index` out of the age list. */
static inline void mstap_map_age_remove(struct mstap_map *map, u32 index)
{
	struct mstap_entry_age *age = mstap_map_age(map, index);

	if (age->older)
		mstap_map_age(map, age->older - 1)->newer = age->newer;
	else
		map->oldest = age->newer;
	if (age->newer)
		mstap_map_age(map, age->newer - 1)->older = age->older;
	else
		map->newest = age->older;
}

/* Entry `from` moved to index `to` (its age links with it): its neighbours
 * learn the new index. */
static inline void mstap_map_age_moved(struct mstap_map *map, u32 from, u32 to)
{
	struct mstap_entry_age *age = mstap_map_age(map, to);

	if (age->older)
		mstap_map_age(map, age->older - 1)->newer = to + 1;
	else if (map->oldest == from + 1)
		map->oldest = to + 1;
	if (age->newer)
		mstap_map_age(map, age->newer - 1)->older = to + 1;
	else if (map->newest == from + 1)
		map->newest = to + 1;
}

/* Unlinks entry `index` from its bucket's chain. */
static inline void mstap_map_unchain(struct mstap_map *map, u32 index)
{
	struct mstap_entry *entry = mstap_map_entry(map, index);
	u32 *link = &map->buckets[entry->hash & map->bucket_mask];

	while (*link != index + 1)
		link = &mstap_map_entry(map, *link - 1)->next;
	*link = entry->next;
}

/* ------------------------------------------------------------ access */

/* The element with these keys, or NULL. */
static inline struct mstap_entry *mstap_map_find(const struct mstap_map *map,
						 const union mstap_key *keys)
{
	u32 *link = mstap_map_find_link(map, keys, mstap_map_hash(map, keys));

	return link ? mstap_map_entry(map, *link - 1) : NULL;
}

/*
 * The element with these keys, created with a zero value if missing; NULL
 * with "Array overflow" when the array is full and does not wrap. A
 * wrapping array that is full gives the oldest element's entry instead,
 * taken out of the array first.
 */
static inline struct mstap_entry *mstap_map_insert(struct mstap_map *map,
						   const union mstap_key *keys,
						   struct mstap_error *error)
{
	u32 hash = mstap_map_hash(map, keys);
	u32 *link = mstap_map_find_link(map, keys, hash);
	struct mstap_entry *entry;
	u32 index = map->count;
	u32 bucket;
	u32 k;

	if (link)
		return mstap_map_entry(map, *link - 1);
	if (mstap_unlikely(map->count >= map->capacity)) {
		if (!map->layout->wrap || !map->oldest) {
			mstap_raise(error, -ENOSPC, map->overflow_message ?
					map->overflow_message : MSTAP_ARRAY_OVERFLOW);
			return NULL;
		}
		/* Reuse the oldest entry where it is: the array stays dense. */
		index = map->oldest - 1;
		mstap_map_unchain(map, index);
		mstap_map_age_remove(map, index);
		map->count--;
	}
	entry = mstap_map_entry(map, index);
	memset(entry, 0, map->entry_size);
	for (k = 0; k < map->layout->key_count; k++) {
		if (map->layout->key_types[k] == MSTAP_TYPE_LONG)
			*(s64 *)((u8 *)entry + map->key_offsets[k]) = keys[k].number;
		else
			mstap_string_copy((char *)entry + map->key_offsets[k],
					  keys[k].string);
	}
	bucket = hash & map->bucket_mask;
	entry->hash = hash;
	entry->next = map->buckets[bucket];
	map->buckets[bucket] = index + 1;
	map->count++;
	if (map->layout->wrap)
		mstap_map_age_append(map, index);
	return entry;
}

/* [k...] in a */
static inline int mstap_map_exists(const struct mstap_map *map,
				   const union mstap_key *keys)
{
	return mstap_map_find(map, keys) != NULL;
}

/* a[k...] of a long array: 0 when missing. */
static inline s64 mstap_map_get_long(const struct mstap_map *map,
				     const union mstap_key *keys)
{
	struct mstap_entry *entry = mstap_map_find(map, keys);

	return entry ? *mstap_map_entry_long(map, entry) : 0;
}

/*
 * a[k...] of a string array: "" when missing. The text stays in the array,
 * so copy it before the lock is released or the array changes.
 */
static inline const char *mstap_map_get_string(const struct mstap_map *map,
					       const union mstap_key *keys)
{
	struct mstap_entry *entry = mstap_map_find(map, keys);

	return entry ? mstap_map_entry_string(map, entry) : "";
}

/*
 * The value of a[k...], created as 0 or "" if missing, for the updates
 * (a[k] += v, a[k]++, a[k] .= s) that would otherwise look up twice.
 * NULL with "Array overflow" when the array is full.
 */
static inline s64 *mstap_map_long_slot(struct mstap_map *map,
				       const union mstap_key *keys,
				       struct mstap_error *error)
{
	struct mstap_entry *entry = mstap_map_insert(map, keys, error);

	return entry ? mstap_map_entry_long(map, entry) : NULL;
}

static inline char *mstap_map_string_slot(struct mstap_map *map,
					  const union mstap_key *keys,
					  struct mstap_error *error)
{
	struct mstap_entry *entry = mstap_map_insert(map, keys, error);

	return entry ? mstap_map_entry_string(map, entry) : NULL;
}

/* a[k...] = value. 0, or -ENOSPC when the array is full. */
static inline int mstap_map_set_long(struct mstap_map *map,
				     const union mstap_key *keys, s64 value,
				     struct mstap_error *error)
{
	s64 *slot = mstap_map_long_slot(map, keys, error);

	if (!slot)
		return -ENOSPC;
	*slot = value;
	return 0;
}

static inline int mstap_map_set_string(struct mstap_map *map,
				       const union mstap_key *keys,
				       const char *value,
				       struct mstap_error *error)
{
	char *slot = mstap_map_string_slot(map, keys, error);

	if (!slot)
		return -ENOSPC;
	mstap_string_copy(slot, value);
	return 0;
}

/* a[k...] <<< value, for an array of statistics that is not per CPU. */
static inline int mstap_map_stat_add(struct mstap_map *map,
				     const union mstap_key *keys, s64 value,
				     struct mstap_error *error)
{
	struct mstap_entry *entry = mstap_map_insert(map, keys, error);

	if (!entry)
		return -ENOSPC;
	mstap_stat_add(mstap_map_entry_stat(map, entry), map->layout->stat, value);
	return 0;
}

/* The statistic a[k...], or NULL when there is none. */
static inline const struct mstap_stat *mstap_map_get_stat(const struct mstap_map *map,
							  const union mstap_key *keys)
{
	struct mstap_entry *entry = mstap_map_find(map, keys);

	return entry ? mstap_map_entry_stat(map, entry) : NULL;
}

/* delete a[k...]: deleting a missing element does nothing. */
static inline void mstap_map_delete(struct mstap_map *map,
				    const union mstap_key *keys)
{
	u32 *link = mstap_map_find_link(map, keys, mstap_map_hash(map, keys));
	u32 hole;
	u32 last;
	struct mstap_entry *moved;

	if (!link)
		return;
	hole = *link - 1;
	*link = mstap_map_entry(map, hole)->next;
	if (map->layout->wrap)
		mstap_map_age_remove(map, hole);
	last = map->count - 1;
	map->count--;
	if (hole == last)
		return;
	/* Keep the entries dense: move the last one into the hole. */
	moved = mstap_map_entry(map, last);
	link = &map->buckets[moved->hash & map->bucket_mask];
	while (*link != last + 1)
		link = &mstap_map_entry(map, *link - 1)->next;
	*link = hole + 1;
	memcpy(mstap_map_entry(map, hole), moved, map->entry_size);
	if (map->layout->wrap)
		mstap_map_age_moved(map, last, hole);
}

/* delete a */
static inline void mstap_map_clear(struct mstap_map *map)
{
	memset(map->buckets, 0, ((size_t)map->bucket_mask + 1) * sizeof(u32));
	map->count = 0;
	map->oldest = 0;
	map->newest = 0;
}

/* ------------------------------------------------------------ foreach */

/* What a statistic is sorted by: foreach (k in a @sum -). */
#define MSTAP_STAT_FIELD_COUNT 0
#define MSTAP_STAT_FIELD_SUM 1
#define MSTAP_STAT_FIELD_MIN 2
#define MSTAP_STAT_FIELD_MAX 3
#define MSTAP_STAT_FIELD_AVG 4

/* The order of one foreach: foreach ([a, b-] in x limit 10) is column 2,
 * direction -1, limit 10. */
struct mstap_map_order {
	s32 direction;   /* 1 ascending, -1 descending, 0 storage order */
	u32 column;      /* 0 the value, 1 .. key_count that key */
	u32 stat_field;  /* sorting statistics by value: MSTAP_STAT_FIELD_* */
	u32 has_limit;
	s64 limit;       /* with has_limit: visit at most this many (< 0: none) */
};

static inline int mstap_compare_longs(s64 a, s64 b)
{
	return a < b ? -1 : a > b;
}

static inline s64 mstap_stat_field(const struct mstap_stat *stat, u32 field)
{
	switch (field) {
	case MSTAP_STAT_FIELD_COUNT:
		return stat->count;
	case MSTAP_STAT_FIELD_SUM:
		return stat->sum;
	case MSTAP_STAT_FIELD_MIN:
		return stat->count ? stat->min : 0;
	case MSTAP_STAT_FIELD_MAX:
		return stat->count ? stat->max : 0;
	default:
		return stat->count ? mstap_div_s64(stat->sum, stat->count) : 0;
	}
}

/* One column of two entries: the value (column 0) or key column - 1. */
static inline int mstap_map_compare_column(const struct mstap_map *map,
					   struct mstap_entry *a,
					   struct mstap_entry *b, u32 column,
					   u32 stat_field)
{
	if (column == 0) {
		switch (map->layout->value_type) {
		case MSTAP_TYPE_LONG:
			return mstap_compare_longs(*mstap_map_entry_long(map, a),
						   *mstap_map_entry_long(map, b));
		case MSTAP_TYPE_STRING:
			return mstap_string_compare(mstap_map_entry_string(map, a),
						    mstap_map_entry_string(map, b));
		default:
			return mstap_compare_longs(
				mstap_stat_field(mstap_map_entry_stat(map, a), stat_field),
				mstap_stat_field(mstap_map_entry_stat(map, b), stat_field));
		}
	}
	if (map->layout->key_types[column - 1] == MSTAP_TYPE_LONG)
		return mstap_compare_longs(mstap_map_entry_long_key(map, a, column - 1),
					   mstap_map_entry_long_key(map, b, column - 1));
	return mstap_string_compare(mstap_map_entry_string_key(map, a, column - 1),
				    mstap_map_entry_string_key(map, b, column - 1));
}

/*
 * Whether entry a comes before entry b: by the chosen column in the chosen
 * direction, then, so that equal values come in a fixed order, by the
 * keys from the first, ascending.
 */
static inline int mstap_map_before(const struct mstap_map *map, u32 a, u32 b,
				   const struct mstap_map_order *order)
{
	struct mstap_entry *entry_a = mstap_map_entry(map, a);
	struct mstap_entry *entry_b = mstap_map_entry(map, b);
	int difference = mstap_map_compare_column(map, entry_a, entry_b,
						  order->column,
						  order->stat_field);
	u32 k;

	if (difference)
		return order->direction < 0 ? difference > 0 : difference < 0;
	for (k = 1; k <= map->layout->key_count; k++) {
		difference = mstap_map_compare_column(map, entry_a, entry_b, k, 0);
		if (difference)
			return difference < 0;
	}
	return 0;
}

/* Restores the heap below `root`: each parent comes before its children. */
static inline void mstap_map_sift_down(const struct mstap_map *map, u32 *index,
				       u32 root, u32 size,
				       const struct mstap_map_order *order)
{
	for (;;) {
		u32 child = 2 * root + 1;
		u32 swap;

		if (child >= size)
			return;
		if (child + 1 < size &&
		    mstap_map_before(map, index[child + 1], index[child], order))
			child++;
		if (!mstap_map_before(map, index[child], index[root], order))
			return;
		swap = index[root];
		index[root] = index[child];
		index[child] = swap;
		root = child;
	}
}

/*
 * foreach: fills index[0 .. n) with the entry indexes to visit, in order,
 * and returns n (the array's size, or less with a limit). `index` has room
 * for the array's capacity.
 */
static inline u32 mstap_map_sort(const struct mstap_map *map, u32 *index,
				 const struct mstap_map_order *order)
{
	u32 count = map->count;
	u32 wanted = count;
	u32 size;
	u32 i;

	if (order->has_limit) {
		if (order->limit <= 0)
			wanted = 0;
		else if (order->limit < (s64)count)
			wanted = (u32)order->limit;
	}
	for (i = 0; i < count; i++)
		index[i] = i;
	if (order->direction == 0 || wanted == 0 ||
	    order->column > map->layout->key_count)
		return wanted;

	/* The root of this heap is the entry that comes first. */
	for (i = count / 2; i-- > 0;)
		mstap_map_sift_down(map, index, i, count, order);
	/* Take the first `wanted` off the heap; they gather at the end,
	 * the first one last. */
	for (size = count; size > count - wanted; size--) {
		u32 first = index[0];

		index[0] = index[size - 1];
		index[size - 1] = first;
		mstap_map_sift_down(map, index, 0, size - 1, order);
	}
	/* Reverse them into place at the front. */
	for (i = 0; i < wanted / 2; i++) {
		u32 swap = index[count - 1 - i];

		index[count - 1 - i] = index[count - wanted + i];
		index[count - wanted + i] = swap;
	}
	if (wanted < count)
		memmove(index, index + (count - wanted), (size_t)wanted * sizeof(u32));
	return wanted;
}

/* ------------------------------------------- arrays of statistics */

/*
 * An array of statistics, a[k] <<< v: an array per CPU that only its CPU
 * adds to, so <<< needs no exclusive lock, and `merged`, every key of every
 * CPU with its statistics merged, rebuilt for foreach. Reading one element
 * merges that key's statistics into `scratch`.
 */
struct mstap_pmap {
	const struct mstap_map_layout *layout;
	u32 cpu_count;
	struct mstap_map *per_cpu;
	struct mstap_map merged;
	struct mstap_stat *scratch;
};

MSTAP_EXTERN_C_BEGIN
void mstap_pmap_destroy(struct mstap_pmap *pmap);

/* Module init; the layout's value type is MSTAP_TYPE_STAT. */
int mstap_pmap_create(struct mstap_pmap *pmap,
		      const struct mstap_map_layout *layout, u32 capacity,
		      struct mstap_error *error);
MSTAP_EXTERN_C_END

/* a[k...] <<< value, into the current CPU's array. */
static inline int mstap_pmap_add(struct mstap_pmap *pmap,
				 const union mstap_key *keys, s64 value,
				 struct mstap_error *error)
{
	return mstap_map_stat_add(&pmap->per_cpu[mstap_current_cpu()], keys,
				  value, error);
}

/* [k...] in a: some CPU has the element. */
static inline int mstap_pmap_exists(const struct mstap_pmap *pmap,
				    const union mstap_key *keys)
{
	u32 cpu;

	for (cpu = 0; cpu < pmap->cpu_count; cpu++) {
		if (mstap_map_exists(&pmap->per_cpu[cpu], keys))
			return 1;
	}
	return 0;
}

/*
 * The statistic a[k...] over all CPUs, for @count(a[k]) and the others;
 * empty (count 0) when no CPU has the element. Valid until the next read.
 */
static inline const struct mstap_stat *mstap_pmap_read(struct mstap_pmap *pmap,
						       const union mstap_key *keys)
{
	u32 hash;
	u32 cpu;

	mstap_stat_reset(pmap->scratch, pmap->layout->stat);
	if (pmap->cpu_count == 0)
		return pmap->scratch;
	/* Every CPU's array has the same layout, so one hash serves all. */
	hash = mstap_map_hash(&pmap->per_cpu[0], keys);
	for (cpu = 0; cpu < pmap->cpu_count; cpu++) {
		struct mstap_map *map = &pmap->per_cpu[cpu];
		u32 *link = mstap_map_find_link(map, keys, hash);

		if (link)
			mstap_stat_merge(pmap->scratch,
					 mstap_map_entry_stat(map, mstap_map_entry(map, *link - 1)),
					 pmap->layout->stat);
	}
	return pmap->scratch;
}

/*
 * Rebuilds `merged` from every CPU, before a foreach walks it. More keys
 * in all than one array holds is "Array overflow" (merged stays partial).
 */
static inline int mstap_pmap_merge_all(struct mstap_pmap *pmap,
				       struct mstap_error *error)
{
	union mstap_key keys[MSTAP_MAX_KEYS];
	u32 cpu;
	u32 i;
	u32 k;

	mstap_map_clear(&pmap->merged);
	for (cpu = 0; cpu < pmap->cpu_count; cpu++) {
		struct mstap_map *map = &pmap->per_cpu[cpu];

		for (i = 0; i < map->count; i++) {
			struct mstap_entry *from = mstap_map_entry(map, i);
			struct mstap_entry *into;

			for (k = 0; k < pmap->layout->key_count; k++) {
				if (pmap->layout->key_types[k] == MSTAP_TYPE_LONG)
					keys[k].number = mstap_map_entry_long_key(map, from, k);
				else
					keys[k].string = mstap_map_entry_string_key(map, from, k);
			}
			into = mstap_map_insert(&pmap->merged, keys, error);
			if (!into)
				return -ENOSPC;
			mstap_stat_merge(mstap_map_entry_stat(&pmap->merged, into),
					 mstap_map_entry_stat(map, from),
					 pmap->layout->stat);
		}
	}
	return 0;
}

/* delete a[k...] */
static inline void mstap_pmap_delete(struct mstap_pmap *pmap,
				     const union mstap_key *keys)
{
	u32 cpu;

	for (cpu = 0; cpu < pmap->cpu_count; cpu++)
		mstap_map_delete(&pmap->per_cpu[cpu], keys);
	mstap_map_delete(&pmap->merged, keys);
}

/* delete a */
/* global a[N] of statistics: see mstap_map_declare_size. */
static inline void mstap_pmap_declare_size(struct mstap_pmap *pmap,
					   const char *message)
{
	u32 cpu;

	for (cpu = 0; pmap->per_cpu && cpu < pmap->cpu_count; cpu++)
		mstap_map_declare_size(&pmap->per_cpu[cpu], message);
	mstap_map_declare_size(&pmap->merged, message);
}

static inline void mstap_pmap_clear(struct mstap_pmap *pmap)
{
	u32 cpu;

	for (cpu = 0; cpu < pmap->cpu_count; cpu++)
		mstap_map_clear(&pmap->per_cpu[cpu]);
	mstap_map_clear(&pmap->merged);
}

#endif /* MSTAP_MAP_H */
