/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstap_stat.h - statistics: what `x <<< v` accumulates, what @count @sum
 * @min @max @avg @hist_log and @hist_linear read, and how a histogram
 * prints.
 *
 * A statistic is a struct mstap_stat followed by its histogram's bucket
 * counters; the shape (no histogram, log, or linear with its range) is a
 * struct mstap_stat_layout shared by every statistic of one script global,
 * as stap allows one histogram kind a global.
 *
 * `x <<< v` must not take a global lock, so a global statistic is kept per
 * CPU (struct mstap_pstat): each CPU adds into its own copy, and reading
 * merges the copies. Reads need the global's exclusive lock (no `<<<` runs
 * meanwhile); adds need only its shared lock, since no two CPUs touch the
 * same copy and a CPU does not re-enter a probe.
 *
 * The histogram printing reproduces stap's text byte for byte, as its
 * testsuite shows it (systemtap.maps/log.exp, log_edge.exp, elision.exp,
 * linear_overunder.exp):
 *
 *   value |-------------------------------------------------- count
 *       0 |@                                                  1
 *       1 |                                                   0
 *
 * - the value column is as wide as the widest label of the rows shown, and
 *   at least as wide as "value"; the bar is 50 columns; the count column is
 *   as wide as the largest count; a blank line ends the histogram;
 * - a bar has count / scale '@', where scale is the largest count divided
 *   by 50, rounded up (1 when no count passes 50);
 * - the rows shown run from two buckets below the lowest non-empty bucket
 *   to two above the highest, within the histogram (for @hist_log, never
 *   below the bucket of 0 unless a negative value was seen; for
 *   @hist_linear, the under- and overflow rows, labelled "<low" and
 *   ">high", only when they are not empty);
 * - an empty bucket more than MSTAP_HIST_ELISION (default 2, stap's
 *   HIST_ELISION) rows away from every non-empty one is left out, and each
 *   run left out is marked by one "~" line, except at the end; a negative
 *   MSTAP_HIST_ELISION leaves nothing out.
 */
#ifndef MSTAP_STAT_H
#define MSTAP_STAT_H

#include "mstap_compat.h"
#include "mstap_format.h"

#if !defined(MSTAP_HIST_ELISION) && defined(HIST_ELISION)
#define MSTAP_HIST_ELISION HIST_ELISION
#endif
#ifndef MSTAP_HIST_ELISION
#define MSTAP_HIST_ELISION 2
#endif

/* The bar's width in the printed histogram. */
#define MSTAP_HIST_WIDTH 50

#define MSTAP_HIST_NONE 0
#define MSTAP_HIST_LOG 1
#define MSTAP_HIST_LINEAR 2

/*
 * @hist_log buckets: 0 holds 0; bucket 64 + k holds the positive values
 * with k significant bits (1, 2..3, 4..7, ... up to 2^62..2^63-1 in 127);
 * bucket 64 - k holds their negatives (-1, -3..-2, ..., -2^63 in 0).
 * These are the bucket numbers a script sees in foreach over @hist_log.
 */
#define MSTAP_HIST_LOG_BUCKETS 128
#define MSTAP_HIST_LOG_ZERO_BUCKET 64

/*
 * @hist_linear(v, low, high, step): (high - low) / step + 1 buckets of
 * `step` values from `low` (the last starts at or below `high`), plus an
 * underflow bucket first and an overflow bucket last; the cap keeps a
 * statistic's size reasonable (stap's translator limits it too).
 */
#ifndef MSTAP_HIST_LINEAR_MAX_BUCKETS
#define MSTAP_HIST_LINEAR_MAX_BUCKETS 8192
#endif

struct mstap_stat_layout {
	u32 hist_kind;
	u32 bucket_count; /* including the under- and overflow ones */
	s64 low;          /* @hist_linear only */
	s64 high;
	s64 step;
};

/*
 * Constant initializers for the layouts the generated code declares, e.g.
 *   static const struct mstap_stat_layout x_layout =
 *           MSTAP_STAT_LAYOUT_LINEAR(0, 1000, 50);
 * Pass 2 has checked low < high and step > 0; mstap_stat_layout_check()
 * checks again at module init.
 */
#define MSTAP_STAT_LAYOUT_PLAIN { MSTAP_HIST_NONE, 0, 0, 0, 0 }
#define MSTAP_STAT_LAYOUT_LOG \
	{ MSTAP_HIST_LOG, MSTAP_HIST_LOG_BUCKETS, 0, 0, 0 }
#define MSTAP_STAT_LAYOUT_LINEAR(low, high, step) \
	{ MSTAP_HIST_LINEAR, \
	  (u32)(((u64)(high) - (u64)(low)) / (u64)(step) + 3), \
	  (low), (high), (step) }

static inline int mstap_stat_layout_check(const struct mstap_stat_layout *layout,
					  struct mstap_error *error)
{
	if (layout->hist_kind == MSTAP_HIST_NONE && layout->bucket_count == 0)
		return 0;
	if (layout->hist_kind == MSTAP_HIST_LOG &&
	    layout->bucket_count == MSTAP_HIST_LOG_BUCKETS)
		return 0;
	if (layout->hist_kind == MSTAP_HIST_LINEAR && layout->step > 0 &&
	    layout->low < layout->high) {
		/* Unsigned: the range may be wider than the largest s64. */
		u64 in_range = mstap_div_u64((u64)layout->high - (u64)layout->low,
					     (u64)layout->step) + 1;

		if (in_range <= MSTAP_HIST_LINEAR_MAX_BUCKETS - 2 &&
		    layout->bucket_count == in_range + 2)
			return 0;
	}
	return mstap_raise(error, -EINVAL,
			   "histogram: bad @hist_linear range, or too many buckets");
}

/* count, sum, min and max; the bucket counters follow in memory. */
struct mstap_stat {
	s64 count;
	s64 sum;
	s64 min;
	s64 max;
};

/* The bytes one statistic of this layout takes, buckets included. */
static inline u32 mstap_stat_size(const struct mstap_stat_layout *layout)
{
	return (u32)sizeof(struct mstap_stat) +
	       layout->bucket_count * (u32)sizeof(s64);
}

static inline s64 *mstap_stat_buckets(struct mstap_stat *stat)
{
	return (s64 *)(stat + 1);
}

static inline const s64 *mstap_stat_buckets_const(const struct mstap_stat *stat)
{
	return (const s64 *)(stat + 1);
}

static inline void mstap_stat_reset(struct mstap_stat *stat,
				    const struct mstap_stat_layout *layout)
{
	memset(stat, 0, mstap_stat_size(layout));
}

/* The bucket a value falls in, for a layout with a histogram. */
static inline u32 mstap_hist_bucket(const struct mstap_stat_layout *layout,
				    s64 value)
{
	u64 offset;
	u64 index;

	if (layout->hist_kind == MSTAP_HIST_LOG) {
		if (value >= 0)
			return MSTAP_HIST_LOG_ZERO_BUCKET +
			       mstap_bit_width((u64)value);
		/* -1 has 1 bit, -2^63 has 64: buckets 63 down to 0. */
		return MSTAP_HIST_LOG_ZERO_BUCKET - mstap_bit_width(0 - (u64)value);
	}
	if (value < layout->low)
		return 0;
	/* An unsigned difference: high minus a very negative low fits. */
	offset = (u64)value - (u64)layout->low;
	index = mstap_div_u64(offset, (u64)layout->step);
	if (index >= layout->bucket_count - 2)
		return layout->bucket_count - 1;
	return (u32)index + 1;
}

/* x <<< value */
static inline void mstap_stat_add(struct mstap_stat *stat,
				  const struct mstap_stat_layout *layout,
				  s64 value)
{
	if (stat->count == 0) {
		stat->min = value;
		stat->max = value;
	} else {
		if (value < stat->min)
			stat->min = value;
		if (value > stat->max)
			stat->max = value;
	}
	stat->count++;
	stat->sum = mstap_wrapping_add(stat->sum, value);
	if (layout->hist_kind != MSTAP_HIST_NONE)
		mstap_stat_buckets(stat)[mstap_hist_bucket(layout, value)]++;
}

/* into += from: what reading a per-CPU statistic does for each CPU. */
static inline void mstap_stat_merge(struct mstap_stat *into,
				    const struct mstap_stat *from,
				    const struct mstap_stat_layout *layout)
{
	u32 i;

	if (from->count == 0)
		return;
	if (into->count == 0) {
		into->min = from->min;
		into->max = from->max;
	} else {
		if (from->min < into->min)
			into->min = from->min;
		if (from->max > into->max)
			into->max = from->max;
	}
	into->count += from->count;
	into->sum = mstap_wrapping_add(into->sum, from->sum);
	for (i = 0; i < layout->bucket_count; i++)
		mstap_stat_buckets(into)[i] += mstap_stat_buckets_const(from)[i];
}

/* ------------------------------------------------------------ extractors */

#define MSTAP_EMPTY_AGGREGATE "empty aggregate"

/* @count and @sum are 0 for an empty statistic, as in stap since 1.5. */
static inline s64 mstap_stat_count(const struct mstap_stat *stat)
{
	return stat->count;
}

static inline s64 mstap_stat_sum(const struct mstap_stat *stat)
{
	return stat->sum;
}

/* @min, @max and @avg of an empty statistic are the error stap reports. */
static inline s64 mstap_stat_min(const struct mstap_stat *stat,
				 struct mstap_error *error)
{
	if (stat->count == 0) {
		mstap_raise(error, -ENODATA, MSTAP_EMPTY_AGGREGATE);
		return 0;
	}
	return stat->min;
}

static inline s64 mstap_stat_max(const struct mstap_stat *stat,
				 struct mstap_error *error)
{
	if (stat->count == 0) {
		mstap_raise(error, -ENODATA, MSTAP_EMPTY_AGGREGATE);
		return 0;
	}
	return stat->max;
}

/* The integer mean, truncated toward zero as C's division does. */
static inline s64 mstap_stat_avg(const struct mstap_stat *stat,
				 struct mstap_error *error)
{
	if (stat->count == 0) {
		mstap_raise(error, -ENODATA, MSTAP_EMPTY_AGGREGATE);
		return 0;
	}
	return mstap_div_s64(stat->sum, stat->count);
}

/* @hist_log(x)[bucket] and @hist_linear(...)[bucket]. */
static inline s64 mstap_hist_bucket_count(const struct mstap_stat *stat,
					  const struct mstap_stat_layout *layout,
					  s64 bucket,
					  struct mstap_error *error)
{
	if (stat->count == 0) {
		mstap_raise(error, -ENODATA, MSTAP_EMPTY_AGGREGATE);
		return 0;
	}
	if (bucket < 0 || bucket >= (s64)layout->bucket_count) {
		mstap_raise(error, -EINVAL, "histogram bucket out of range");
		return 0;
	}
	return mstap_stat_buckets_const(stat)[bucket];
}

/* ------------------------------------------------------------- printing */

/* The row label of a bucket: its lowest value, or "<low" / ">high". */
static inline u32 mstap_hist_label(char *label,
				   const struct mstap_stat_layout *layout,
				   u32 bucket)
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

static inline void mstap_hist_print_row(struct mstap_out *out,
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
 * MSTAP_HIST_ELISION of it, among the rows shown, are empty.
 */
static inline int mstap_hist_row_elided(const s64 *buckets, u32 bucket,
					u32 first, u32 last)
{
	u32 from;
	u32 to;
	u32 i;

	if (MSTAP_HIST_ELISION < 0)
		return 0;
	from = bucket - first > (u32)MSTAP_HIST_ELISION ?
		       bucket - (u32)MSTAP_HIST_ELISION : first;
	to = last - bucket > (u32)MSTAP_HIST_ELISION ?
		     bucket + (u32)MSTAP_HIST_ELISION : last;
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
static inline int mstap_hist_print(struct mstap_out *out,
				   const struct mstap_stat *stat,
				   const struct mstap_stat_layout *layout,
				   struct mstap_error *error)
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
		if (mstap_hist_row_elided(buckets, bucket, first, last)) {
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

/* ------------------------------------------------ per-CPU statistics */

/*
 * A global statistic: one copy per CPU, each on cache lines of its own so
 * that CPUs adding at once do not share lines, and the merged result.
 */
struct mstap_pstat {
	const struct mstap_stat_layout *layout;
	u32 cpu_count;
	u32 stride;
	u8 *per_cpu;
	struct mstap_stat *merged;
};

#define MSTAP_CACHE_LINE 64

/* Module init: allocates the copies. 0, or a negative errno. */
static inline int mstap_pstat_create(struct mstap_pstat *pstat,
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

static inline void mstap_pstat_destroy(struct mstap_pstat *pstat)
{
	mstap_free(pstat->per_cpu);
	mstap_free(pstat->merged);
	pstat->per_cpu = NULL;
	pstat->merged = NULL;
}

static inline struct mstap_stat *mstap_pstat_cpu(struct mstap_pstat *pstat,
						 u32 cpu)
{
	return (struct mstap_stat *)(pstat->per_cpu + (size_t)cpu * pstat->stride);
}

/* x <<< value, on the current CPU's copy. */
static inline void mstap_pstat_add(struct mstap_pstat *pstat, s64 value)
{
	mstap_stat_add(mstap_pstat_cpu(pstat, mstap_current_cpu()),
		       pstat->layout, value);
}

/* The statistic over all CPUs, for the extractors and printing. */
static inline const struct mstap_stat *mstap_pstat_read(struct mstap_pstat *pstat)
{
	u32 cpu;

	mstap_stat_reset(pstat->merged, pstat->layout);
	for (cpu = 0; cpu < pstat->cpu_count; cpu++)
		mstap_stat_merge(pstat->merged, mstap_pstat_cpu(pstat, cpu),
				 pstat->layout);
	return pstat->merged;
}

/* delete x */
static inline void mstap_pstat_clear(struct mstap_pstat *pstat)
{
	u32 cpu;

	for (cpu = 0; cpu < pstat->cpu_count; cpu++)
		mstap_stat_reset(mstap_pstat_cpu(pstat, cpu), pstat->layout);
	mstap_stat_reset(pstat->merged, pstat->layout);
}

#endif /* MSTAP_STAT_H */
