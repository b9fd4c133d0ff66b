// SPDX-License-Identifier: GPL-2.0
/*
 * Builds every runtime header as kernel code: includes them all and calls
 * every function once, so that the compiler generates (and warns about)
 * all of it, stack frames included. Only built, never loaded: the check is
 * that kbuild with -Werror accepts it.
 */
#include <linux/module.h>
#include <linux/init.h>

#include "mstap_compat.h"
#include "mstap_string.h"
#include "mstap_format.h"
#include "mstap_stat.h"
#include "mstap_map.h"

static const struct mstap_stat_layout plain_layout = MSTAP_STAT_LAYOUT_PLAIN;
static const struct mstap_stat_layout log_layout = MSTAP_STAT_LAYOUT_LOG;
static const struct mstap_stat_layout linear_layout =
	MSTAP_STAT_LAYOUT_LINEAR(0, 1000, 50);

static const struct mstap_map_layout long_map_layout = {
	2, { MSTAP_TYPE_STRING, MSTAP_TYPE_LONG }, MSTAP_TYPE_LONG, NULL, 0
};
static const struct mstap_map_layout string_map_layout = {
	1, { MSTAP_TYPE_LONG }, MSTAP_TYPE_STRING, NULL, 0
};
static const struct mstap_map_layout stat_map_layout = {
	1, { MSTAP_TYPE_LONG }, MSTAP_TYPE_STAT, &log_layout, 0
};

static struct mstap_map long_map;
static struct mstap_map string_map;
static struct mstap_pmap stat_map;
static struct mstap_pstat plain_stat;
static struct mstap_pstat linear_stat;
static struct mstap_error init_error;
static char text_a[MSTAP_MAXSTRINGLEN];
static char text_b[MSTAP_MAXSTRINGLEN];
static char print_buffer[8192];
static u32 sort_index[MSTAP_MAXMAPENTRIES];

static void mstap_check_flush(struct mstap_out *out)
{
	out->used = 0;
}

static noinline int mstap_check_strings(struct mstap_error *error)
{
	mstap_string_copy(text_a, "hello");
	mstap_string_append(text_a, " world");
	mstap_string_substr(text_b, text_a, 1, 3);
	mstap_string_replace(text_b, text_a, "o", "0");
	mstap_string_text_str(text_a, "\a\n\"x\x1f");
	mstap_string_from_long(text_b, -42);
	return (int)(mstap_string_isinstr(text_a, "x") +
		     mstap_string_strtol("0x1f", 0, error) +
		     mstap_string_compare(text_a, text_b) +
		     mstap_string_length(text_a));
}

static noinline int mstap_check_format(struct mstap_error *error)
{
	struct mstap_out out;
	struct mstap_arg args[4];

	args[0] = mstap_arg_long(-5);
	args[1] = mstap_arg_string("text");
	args[2] = mstap_arg_long(8);
	args[3] = mstap_arg_long((s64)(uintptr_t)text_a);
	mstap_out_init(&out, print_buffer, sizeof(print_buffer));
	out.flush = mstap_check_flush;
	mstap_format(&out, "%+05d %-8s %#x %.4M\n", args, 4, error);
	return mstap_sprintf(text_b, "%p %b %c", args + 2, 2, error);
}

static noinline int mstap_check_stats(struct mstap_error *error)
{
	const struct mstap_stat *stat;
	struct mstap_out out;
	int status;

	status = mstap_pstat_create(&plain_stat, &plain_layout, error);
	if (status)
		return status;
	status = mstap_pstat_create(&linear_stat, &linear_layout, error);
	if (status) {
		mstap_pstat_destroy(&plain_stat);
		return status;
	}
	mstap_pstat_add(&plain_stat, 7);
	mstap_pstat_add(&linear_stat, 120);
	stat = mstap_pstat_read(&plain_stat);
	status = (int)(mstap_stat_count(stat) + mstap_stat_sum(stat) +
		       mstap_stat_min(stat, error) + mstap_stat_max(stat, error) +
		       mstap_stat_avg(stat, error));
	stat = mstap_pstat_read(&linear_stat);
	status += (int)mstap_hist_bucket_count(stat, &linear_layout, 3, error);
	mstap_out_init(&out, print_buffer, sizeof(print_buffer));
	status += mstap_hist_print(&out, stat, &linear_layout, error);
	mstap_pstat_clear(&plain_stat);
	mstap_pstat_destroy(&plain_stat);
	mstap_pstat_destroy(&linear_stat);
	return status;
}

static noinline int mstap_check_maps(struct mstap_error *error)
{
	union mstap_key keys[2];
	struct mstap_map_order order = { -1, 0, MSTAP_STAT_FIELD_COUNT, 1, 10 };
	const struct mstap_stat *stat;
	struct mstap_out out;
	s64 *slot;
	u32 visits;
	int status;

	status = mstap_map_create(&long_map, &long_map_layout, MSTAP_MAXMAPENTRIES,
				  error);
	if (status)
		return status;
	status = mstap_map_create(&string_map, &string_map_layout, 100, error);
	if (!status)
		status = mstap_pmap_create(&stat_map, &stat_map_layout,
					   MSTAP_MAXMAPENTRIES, error);
	if (status) {
		mstap_map_destroy(&long_map);
		mstap_map_destroy(&string_map);
		return status;
	}
	keys[0] = mstap_key_string("read");
	keys[1] = mstap_key_long(3);
	slot = mstap_map_long_slot(&long_map, keys, error);
	if (slot)
		*slot += 1;
	mstap_map_set_long(&long_map, keys, 5, error);
	status = (int)mstap_map_get_long(&long_map, keys) +
		 mstap_map_exists(&long_map, keys);
	visits = mstap_map_sort(&long_map, sort_index, &order);
	status += (int)visits + (int)mstap_map_size(&long_map);
	mstap_map_delete(&long_map, keys);
	mstap_map_clear(&long_map);

	keys[0] = mstap_key_long(1);
	mstap_map_set_string(&string_map, keys, "value", error);
	mstap_string_copy(text_a, mstap_map_get_string(&string_map, keys));
	mstap_map_string_slot(&string_map, keys, error);

	mstap_pmap_add(&stat_map, keys, 99, error);
	stat = mstap_pmap_read(&stat_map, keys);
	status += mstap_pmap_exists(&stat_map, keys);
	status += mstap_pmap_merge_all(&stat_map, error);
	visits = mstap_map_sort(&stat_map.merged, sort_index, &order);
	status += (int)visits;
	mstap_out_init(&out, print_buffer, sizeof(print_buffer));
	status += mstap_hist_print(&out, stat, &log_layout, error);
	stat = mstap_map_get_stat(&stat_map.merged, keys);
	if (stat)
		status += (int)stat->count;
	mstap_pmap_delete(&stat_map, keys);
	mstap_pmap_clear(&stat_map);

	mstap_pmap_destroy(&stat_map);
	mstap_map_destroy(&string_map);
	mstap_map_destroy(&long_map);
	return status;
}

static int __init mstap_kbuild_check_init(void)
{
	int sum;

	mstap_error_clear(&init_error);
	sum = mstap_check_strings(&init_error);
	sum += mstap_check_format(&init_error);
	sum += mstap_check_stats(&init_error);
	sum += mstap_check_maps(&init_error);
	pr_info("mstap runtime check: %d %s\n", sum,
		init_error.message ? init_error.message : "");
	return 0;
}

static void __exit mstap_kbuild_check_exit(void)
{
}

module_init(mstap_kbuild_check_init);
module_exit(mstap_kbuild_check_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mstap runtime headers, built as kernel code");
