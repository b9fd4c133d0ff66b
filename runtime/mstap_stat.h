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
	u32 variance;       /* 1: @variance reads it, so <<< keeps its terms */
	u32 variance_shift; /* @variance(x, N): 0 .. 62 */
};

/*
 * Constant initializers for the layouts the generated code declares, e.g.
 *   static const struct mstap_stat_layout x_layout =
 *           MSTAP_STAT_LAYOUT_LINEAR(0, 1000, 50);
 * Pass 2 has checked low < high and step > 0; mstap_stat_layout_check()
 * checks again at module init.
 */
#define MSTAP_STAT_LAYOUT_PLAIN { MSTAP_HIST_NONE, 0, 0, 0, 0, 0, 0 }
#define MSTAP_STAT_LAYOUT_LOG \
	{ MSTAP_HIST_LOG, MSTAP_HIST_LOG_BUCKETS, 0, 0, 0, 0, 0 }
#define MSTAP_STAT_LAYOUT_LINEAR(low, high, step) \
	{ MSTAP_HIST_LINEAR, \
	  (u32)(((u64)(high) - (u64)(low)) / (u64)(step) + 3), \
	  (low), (high), (step), 0, 0 }

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

/*
 * count, sum, min and max; the bucket counters follow in memory. With a
 * layout's `variance`, <<< also keeps Welford's running mean and sum of
 * squared differences, as stap does, in integers scaled by 2^shift: avg_s
 * is the mean << shift, variance_s the variance << 2 * shift (both
 * truncated at every step, so the result is stap's, not the exact one).
 */
struct mstap_stat {
	s64 count;
	s64 sum;
	s64 min;
	s64 max;
	s64 avg_s;
	s64 m2;
	s64 variance_s;
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

static inline s64 mstap_wrapping_mul(s64 a, s64 b)
{
	return (s64)((u64)a * (u64)b);
}

/* a / b for the variance, whose divisors are counts: 0 when b is 0, as
 * stap's division without an error pointer gives. */
static inline s64 mstap_variance_div(s64 a, s64 b)
{
	return b > 0 ? mstap_div_s64(a, b) : 0;
}

/*
 * Welford's step for the value just counted (stat->count includes it).
 * stap keeps the difference from the mean in an int; mstap keeps its 64
 * bits, which differs only past 2^31.
 */
static inline void mstap_stat_add_variance(struct mstap_stat *stat, u32 shift,
					   s64 value)
{
	s64 scaled = (s64)((u64)value << shift);
	s64 delta;

	if (stat->count == 1) {
		stat->avg_s = scaled;
		stat->m2 = 0;
		return;
	}
	delta = scaled - stat->avg_s;
	stat->avg_s += mstap_div_s64(delta, stat->count);
	stat->m2 = mstap_wrapping_add(stat->m2,
				      mstap_wrapping_mul(delta, scaled - stat->avg_s));
	stat->variance_s = mstap_div_s64(stat->m2, stat->count - 1);
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
	if (layout->variance)
		mstap_stat_add_variance(stat, layout->variance_shift, value);
	if (layout->hist_kind != MSTAP_HIST_NONE)
		mstap_stat_buckets(stat)[mstap_hist_bucket(layout, value)]++;
}

/* n * (avg - mean)^2 + (n - 1) * variance: one part's share of the sum
 * the total variance divides (stap's "Total Variance" formula). */
static inline s64 mstap_variance_share(s64 count, s64 avg_s, s64 variance_s,
				       s64 mean_s)
{
	s64 off = avg_s - mean_s;

	return mstap_wrapping_add(mstap_wrapping_mul(count, mstap_wrapping_mul(off, off)),
				  mstap_wrapping_mul(count - 1, variance_s));
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
		into->avg_s = from->avg_s;
		into->m2 = from->m2;
		into->variance_s = from->variance_s;
	} else {
		if (from->min < into->min)
			into->min = from->min;
		if (from->max > into->max)
			into->max = from->max;
		if (layout->variance) {
			/* Two parts at a time, as stap merges an array's. */
			s64 count = into->count + from->count;
			s64 sum = mstap_wrapping_add(into->sum, from->sum);
			s64 mean_s = mstap_variance_div((s64)((u64)sum << layout->variance_shift),
							count);
			s64 total = mstap_wrapping_add(
				mstap_variance_share(into->count, into->avg_s,
						     into->variance_s, mean_s),
				mstap_variance_share(from->count, from->avg_s,
						     from->variance_s, mean_s));

			into->variance_s = mstap_variance_div(total, count - 1);
			into->avg_s = mean_s;
		}
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

/*
 * @variance: the scaled variance shifted back (an arithmetic shift, as
 * stap's); 0 for one value.
 */
static inline s64 mstap_stat_variance(const struct mstap_stat *stat,
				      const struct mstap_stat_layout *layout,
				      struct mstap_error *error)
{
	if (stat->count == 0) {
		mstap_raise(error, -ENODATA, MSTAP_EMPTY_AGGREGATE);
		return 0;
	}
	return stat->variance_s >> (2 * layout->variance_shift);
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

MSTAP_EXTERN_C_BEGIN
/*
 * mstap_hist_print with `elision` for MSTAP_HIST_ELISION (mstap_stat.c):
 * the setting is the script's, the code compiled once.
 */
int mstap_hist_print_elided(struct mstap_out *out,
			    const struct mstap_stat *stat,
			    const struct mstap_stat_layout *layout,
			    int elision, struct mstap_error *error);
MSTAP_EXTERN_C_END

/*
 * print(@hist_log(x)) and print(@hist_linear(x, ...)): the histogram of a
 * statistic, in stap's text. An empty statistic is the error stap reports.
 */
static inline int mstap_hist_print(struct mstap_out *out,
				   const struct mstap_stat *stat,
				   const struct mstap_stat_layout *layout,
				   struct mstap_error *error)
{
	return mstap_hist_print_elided(out, stat, layout, MSTAP_HIST_ELISION,
				       error);
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

MSTAP_EXTERN_C_BEGIN
/* Module init: allocates the copies. 0, or a negative errno. */
int mstap_pstat_create(struct mstap_pstat *pstat,
		       const struct mstap_stat_layout *layout,
		       struct mstap_error *error);

/* Module exit (and after a failed create). */
void mstap_pstat_destroy(struct mstap_pstat *pstat);
MSTAP_EXTERN_C_END

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

/*
 * The statistic over all CPUs, for the extractors and printing. Its
 * variance takes every CPU's part at once, around the mean of all the
 * values, as stap computes a global statistic's (so one CPU's Welford
 * mean, truncated at each step, counts as a part off that mean).
 */
static inline const struct mstap_stat *mstap_pstat_read(struct mstap_pstat *pstat)
{
	struct mstap_stat *merged = pstat->merged;
	s64 mean_s;
	s64 total = 0;
	u32 cpu;

	mstap_stat_reset(merged, pstat->layout);
	for (cpu = 0; cpu < pstat->cpu_count; cpu++)
		mstap_stat_merge(merged, mstap_pstat_cpu(pstat, cpu),
				 pstat->layout);
	if (!pstat->layout->variance || merged->count == 0)
		return merged;
	mean_s = mstap_variance_div((s64)((u64)merged->sum <<
					  pstat->layout->variance_shift),
				    merged->count);
	for (cpu = 0; cpu < pstat->cpu_count; cpu++) {
		const struct mstap_stat *part = mstap_pstat_cpu(pstat, cpu);

		if (part->count)
			total = mstap_wrapping_add(total,
				mstap_variance_share(part->count, part->avg_s,
						     part->variance_s, mean_s));
	}
	merged->avg_s = mean_s;
	merged->variance_s = mstap_variance_div(total, merged->count - 1);
	return merged;
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
