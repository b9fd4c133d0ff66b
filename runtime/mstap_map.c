// SPDX-License-Identifier: GPL-2.0
/*
 * mstap_map.c - the cold part of associative arrays (mstap_map.h): taking
 * and giving back their memory at module init and exit. Compiled once per
 * kernel build tree and set of -D limits (pass 4; MSTAP_MAXSTRINGLEN sizes
 * the string slots here as in the script's code), and into the user-space
 * tests; what a probe hit runs (lookups, updates, foreach sorting) stays
 * inline in mstap_map.h.
 */
#include "mstap_map.h"

/* Shared by every module: it must not know the module's name. */
#undef KBUILD_MODNAME

/* Module init: takes all of the array's memory. 0, or a negative errno. */
int mstap_map_create(struct mstap_map *map,
		     const struct mstap_map_layout *layout, u32 capacity,
		     struct mstap_error *error)
{
	u32 offset = (u32)sizeof(struct mstap_entry);
	u32 buckets = 1;
	u32 k;

	memset(map, 0, sizeof(*map));
	if (layout->wrap)
		offset += (u32)sizeof(struct mstap_entry_age);
	if (layout->key_count < 1 || layout->key_count > MSTAP_MAX_KEYS ||
	    capacity < 1 || capacity > (1u << 24))
		return mstap_raise(error, -EINVAL, "array: bad layout or size");
	for (k = 0; k < layout->key_count; k++) {
		if (layout->key_types[k] != MSTAP_TYPE_LONG &&
		    layout->key_types[k] != MSTAP_TYPE_STRING)
			return mstap_raise(error, -EINVAL, "array: bad key type");
	}
	if (layout->value_type == MSTAP_TYPE_STAT) {
		int status;

		if (!layout->stat)
			return mstap_raise(error, -EINVAL, "array: no statistic layout");
		status = mstap_stat_layout_check(layout->stat, error);
		if (status)
			return status;
	} else if (layout->value_type != MSTAP_TYPE_LONG &&
		   layout->value_type != MSTAP_TYPE_STRING) {
		return mstap_raise(error, -EINVAL, "array: bad value type");
	}
	/*
	 * The header, the long keys and a long value (or the start of a
	 * statistic) first, so that they share a cache line; the string
	 * buffers, which are long and mostly unused, last.
	 */
	for (k = 0; k < layout->key_count; k++) {
		if (layout->key_types[k] == MSTAP_TYPE_LONG) {
			map->key_offsets[k] = offset;
			offset += mstap_map_slot_size(MSTAP_TYPE_LONG, NULL);
		}
	}
	if (layout->value_type != MSTAP_TYPE_STRING) {
		map->value_offset = offset;
		offset += mstap_map_slot_size(layout->value_type, layout->stat);
	}
	for (k = 0; k < layout->key_count; k++) {
		if (layout->key_types[k] == MSTAP_TYPE_STRING) {
			map->key_offsets[k] = offset;
			offset += mstap_map_slot_size(MSTAP_TYPE_STRING, NULL);
		}
	}
	if (layout->value_type == MSTAP_TYPE_STRING) {
		map->value_offset = offset;
		offset += mstap_map_slot_size(MSTAP_TYPE_STRING, NULL);
	}
	while (buckets < 2 * capacity)
		buckets <<= 1;

	map->layout = layout;
	map->capacity = capacity;
	map->entry_size = offset;
	map->bucket_mask = buckets - 1;
	map->buckets = (u32 *)mstap_alloc_zeroed((size_t)buckets * sizeof(u32));
	map->entries = (u8 *)mstap_alloc_zeroed((size_t)capacity * offset);
	if (!map->buckets || !map->entries) {
		mstap_free(map->buckets);
		mstap_free(map->entries);
		map->buckets = NULL;
		map->entries = NULL;
		return mstap_raise(error, -ENOMEM, "out of memory for an array");
	}
	return 0;
}

/* Module exit. */
void mstap_map_destroy(struct mstap_map *map)
{
	mstap_free(map->buckets);
	mstap_free(map->entries);
	map->buckets = NULL;
	map->entries = NULL;
	map->count = 0;
}

void mstap_pmap_destroy(struct mstap_pmap *pmap)
{
	u32 cpu;

	if (pmap->per_cpu) {
		for (cpu = 0; cpu < pmap->cpu_count; cpu++)
			mstap_map_destroy(&pmap->per_cpu[cpu]);
	}
	mstap_free(pmap->per_cpu);
	mstap_map_destroy(&pmap->merged);
	mstap_free(pmap->scratch);
	pmap->per_cpu = NULL;
	pmap->scratch = NULL;
}

/* Module init; the layout's value type is MSTAP_TYPE_STAT. */
int mstap_pmap_create(struct mstap_pmap *pmap,
		      const struct mstap_map_layout *layout, u32 capacity,
		      struct mstap_error *error)
{
	u32 cpu;
	int status;

	memset(pmap, 0, sizeof(*pmap));
	if (layout->value_type != MSTAP_TYPE_STAT || !layout->stat)
		return mstap_raise(error, -EINVAL, "array: not an array of statistics");
	pmap->layout = layout;
	pmap->cpu_count = mstap_cpu_count();
	pmap->per_cpu = (struct mstap_map *)mstap_alloc_zeroed(
		(size_t)pmap->cpu_count * sizeof(struct mstap_map));
	pmap->scratch = (struct mstap_stat *)mstap_alloc_zeroed(
		mstap_stat_size(layout->stat));
	if (!pmap->per_cpu || !pmap->scratch) {
		mstap_pmap_destroy(pmap);
		return mstap_raise(error, -ENOMEM, "out of memory for an array");
	}
	status = mstap_map_create(&pmap->merged, layout, capacity, error);
	for (cpu = 0; cpu < pmap->cpu_count && status == 0; cpu++)
		status = mstap_map_create(&pmap->per_cpu[cpu], layout, capacity,
					  error);
	if (status)
		mstap_pmap_destroy(pmap);
	return status;
}

