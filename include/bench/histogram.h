/* SPDX-License-Identifier: MIT */
/*
 * Latency histograms in fio's bucket scheme (its "plat" histograms): values
 * below 128 get a bucket each; above, each power of two is split into 64
 * linear buckets, so any value is known to within 1/64 (1.6 %). Like fio,
 * 29 groups are kept (values from about 17.2 s on share the last bucket;
 * min and max are kept exactly). A bucket's value is its midpoint, and a
 * percentile is the value of the bucket where the running count reaches
 * it, as fio computes both: the same samples give fio's numbers, and
 * json+ "bins" carry fio's keys.
 */
#ifndef BENCH_HISTOGRAM_H
#define BENCH_HISTOGRAM_H

#include "kernel/types.h"

#define HIST_SUB_BITS 6
#define HIST_SUB_BUCKETS (1u << HIST_SUB_BITS)
#define HIST_GROUPS 29
#define HIST_BUCKETS (HIST_GROUPS * HIST_SUB_BUCKETS) /* 1856, fio's FIO_IO_U_PLAT_NR */

struct histogram {
	u64 count;
	u64 sum;
	unsigned __int128 sumsq; /* for the standard deviation */
	u64 min;
	u64 max;
	u32 bucket[HIST_BUCKETS];
};

void hist_init(struct histogram *h);
void hist_add(struct histogram *h, u64 value);
void hist_merge(struct histogram *into, const struct histogram *from);
/* fio's percentile: p in millionths of a percent (99.9 % is 99900000). */
u64 hist_percentile(const struct histogram *h, u64 p_x1e6);
/* Several at once into @out, in one walk when @p_x1e6 is ascending. */
void hist_percentiles(const struct histogram *h, const u64 *p_x1e6, unsigned n, u64 *out);
/* The mean and the sample standard deviation, times 10^6 (fio prints 6 decimals). */
u64 hist_mean_x1e6(const struct histogram *h);
u64 hist_stddev_x1e6(const struct histogram *h);
u64 hist_mean(const struct histogram *h);
/* The value a bucket stands for (fio's plat_idx_to_val). */
u64 hist_bucket_value(unsigned idx);

/* Standard deviation of n samples from their sum and sum of squares, x 10^6. */
u64 stddev_x1e6(u64 n, u64 sum, unsigned __int128 sumsq);

#endif
