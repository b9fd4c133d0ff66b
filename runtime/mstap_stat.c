// SPDX-License-Identifier: GPL-2.0
/*
 * mstap_stat.c - the cold part of statistics (mstap_stat.h): histogram
 * printing and the per-CPU statistics' allocation. Compiled once per
 * kernel build tree and set of -D limits (pass 4), and into the user-space
 * tests; what a probe hit runs (<<<, the extractors) stays inline in
 * mstap_stat.h.
 */
#include "mstap_stat.h"
#include "mstap_string.h"

/* Shared by every module: it must not know the module's name. */
#undef KBUILD_MODNAME

/* The row label of a bucket: its lowest value, or "<low" / ">high". */
static u32 mstap_hist_label(char *label,
			    const struct mstap_stat_layout *layout, u32 bucket)
{
	s64 value;
	u32 length = 0;

	if (layout->hist_kind == MSTAP_HIST_LOG) {
		if (bucket == MSTAP_HIST_LOG_ZERO_BUCKET)
			value = 0;
		else if (bucket > MSTAP_HIST_LOG_ZERO_BUCKET)
			value = (s64)((u64)1 << (bucket - MSTAP_HIST_LOG_ZERO_BUCKET - 1));
		else /* -1, -2, -4, ... -2^63 */
			value = (s64)(~(u64)0 << (MSTAP_HIST_LOG_ZERO_BUCKET - 1 - bucket));
	} else if (bucket == 0) {
		label[length++] = '<';
		value = layout->low;
	} else if (bucket == layout->bucket_count - 1) {
		label[length++] = '>';
		value = layout->high;
	} else {
		value = (s64)((u64)layout->low + (u64)(bucket - 1) * (u64)layout->step);
	}
	mstap_string_from_long(label + length, value);
	return length + mstap_string_length(label + length);
}

static void mstap_hist_print_row(struct mstap_out *out,
				 const struct mstap_stat_layout *layout,
				 u32 bucket, s64 count, s64 scale,
				 u32 label_width, u32 count_width)
{
	char label[24];
	u32 label_length = mstap_hist_label(label, layout, bucket);
	u32 bar = (u32)mstap_div_s64(count, scale);

	mstap_out_fill(out, ' ', label_width - label_length);
	mstap_out_write(out, label, label_length);
	mstap_out_write(out, " |", 2);
	mstap_out_fill(out, '@', bar);
	mstap_out_fill(out, ' ', MSTAP_HIST_WIDTH - bar + 1);
	mstap_out_long_aligned(out, count, count_width);
	mstap_out_char(out, '\n');
}

/*
 * Whether the row of `bucket` is left out: it and every row within
 * `elision` of it, among the rows shown, are empty (never, below 0).
 */
static int mstap_hist_row_elided(const s64 *buckets, u32 bucket,
				 u32 first, u32 last, int elision)
{
	u32 from;
	u32 to;
	u32 i;

	if (elision < 0)
		return 0;
	from = bucket - first > (u32)elision ?
		       bucket - (u32)elision : first;
	to = last - bucket > (u32)elision ?
		     bucket + (u32)elision : last;
	for (i = from; i <= to; i++) {
		if (buckets[i] != 0)
			return 0;
	}
	return 1;
}

/*
 * print(@hist_log(x)) and print(@hist_linear(x, ...)): the histogram of a
 * statistic, in stap's text. An empty statistic is the error stap reports.
 */
int mstap_hist_print_elided(struct mstap_out *out,
			    const struct mstap_stat *stat,
			    const struct mstap_stat_layout *layout,
			    int elision, struct mstap_error *error)
{
	const s64 *buckets = mstap_stat_buckets_const(stat);
	u32 last_bucket = layout->bucket_count - 1;
	u32 first = 0;
	u32 last = 0;
	u32 label_width = 5; /* "value" */
	u32 count_width;
	u32 bucket;
	u32 i;
	s64 largest = 0;
	s64 scale;
	int eliding = 0;
	char text[24];

	if (layout->hist_kind == MSTAP_HIST_NONE || layout->bucket_count == 0)
		return mstap_raise(error, -EINVAL, "statistic has no histogram");
	if (stat->count == 0)
		return mstap_raise(error, -ENODATA, MSTAP_EMPTY_AGGREGATE);

	/* count > 0, so some bucket is not empty. */
	first = last_bucket;
	for (bucket = 0; bucket <= last_bucket; bucket++) {
		if (buckets[bucket] == 0)
			continue;
		if (bucket < first)
			first = bucket;
		last = bucket;
		if (buckets[bucket] > largest)
			largest = buckets[bucket];
	}
	/* Two more rows on each side, for the eye. */
	for (i = 0; i < 2; i++) {
		if (layout->hist_kind == MSTAP_HIST_LOG) {
			if (first > 0 && first != MSTAP_HIST_LOG_ZERO_BUCKET)
				first--;
		} else if (first > 0) {
			first--;
		}
		if (last < last_bucket)
			last++;
	}
	if (layout->hist_kind == MSTAP_HIST_LINEAR) {
		if (first == 0 && buckets[0] == 0)
			first++;
		if (last == last_bucket && buckets[last_bucket] == 0)
			last--;
	}

	for (bucket = first; bucket <= last; bucket++) {
		u32 length = mstap_hist_label(text, layout, bucket);

		if (length > label_width)
			label_width = length;
	}
	mstap_string_from_long(text, largest);
	count_width = mstap_string_length(text);
	/* largest / 50 rounded up, without overflowing near INT64_MAX. */
	scale = mstap_div_s64(largest, MSTAP_HIST_WIDTH);
	if (scale * MSTAP_HIST_WIDTH != largest)
		scale++;

	mstap_out_fill(out, ' ', label_width - 5);
	mstap_out_write(out, "value |", 7);
	mstap_out_fill(out, '-', MSTAP_HIST_WIDTH);
	mstap_out_write(out, " count\n", 7);
	for (bucket = first; bucket <= last; bucket++) {
		if (mstap_hist_row_elided(buckets, bucket, first, last,
					  elision)) {
			eliding = 1;
			continue;
		}
		if (eliding) {
			mstap_out_fill(out, ' ', label_width + 1);
			mstap_out_write(out, "~\n", 2);
			eliding = 0;
		}
		mstap_hist_print_row(out, layout, bucket, buckets[bucket], scale,
				     label_width, count_width);
	}
	mstap_out_char(out, '\n');
	return 0;
}

/* Module init: allocates the copies. 0, or a negative errno. */
int mstap_pstat_create(struct mstap_pstat *pstat,
		       const struct mstap_stat_layout *layout,
		       struct mstap_error *error)
{
	u32 size = mstap_stat_size(layout);
	int status;

	/* Zeroed first, so that destroying after a failed create is safe. */
	memset(pstat, 0, sizeof(*pstat));
	status = mstap_stat_layout_check(layout, error);
	if (status)
		return status;
	pstat->layout = layout;
	pstat->cpu_count = mstap_cpu_count();
	pstat->stride = (size + MSTAP_CACHE_LINE - 1) & ~(u32)(MSTAP_CACHE_LINE - 1);
	pstat->per_cpu = (u8 *)mstap_alloc_zeroed((size_t)pstat->stride *
						   pstat->cpu_count);
	pstat->merged = (struct mstap_stat *)mstap_alloc_zeroed(size);
	if (!pstat->per_cpu || !pstat->merged) {
		mstap_free(pstat->per_cpu);
		mstap_free(pstat->merged);
		pstat->per_cpu = NULL;
		pstat->merged = NULL;
		return mstap_raise(error, -ENOMEM,
				   "out of memory for a statistic");
	}
	return 0;
}

void mstap_pstat_destroy(struct mstap_pstat *pstat)
{
	mstap_free(pstat->per_cpu);
	mstap_free(pstat->merged);
	pstat->per_cpu = NULL;
	pstat->merged = NULL;
}

