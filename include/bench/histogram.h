/* SPDX-License-Identifier: MIT */
/*
 * A log-linear latency histogram: each power of two is split into
 * HIST_SUB_BUCKETS linear buckets, so any recorded value is known to within
 * 1/HIST_SUB_BUCKETS (1.6 %) with constant memory and O(1) recording.
 * Percentiles report the upper edge of their bucket, clamped to the
 * largest value seen, as fio's do.
 */
#ifndef KERNEL_HISTOGRAM_H
#define KERNEL_HISTOGRAM_H

#include "kernel/types.h"

#define HIST_SUB_BITS 6
#define HIST_SUB_BUCKETS (1u << HIST_SUB_BITS)
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB_BUCKETS)

struct histogram {
	u64 count;
	u64 sum;
	u64 min;
	u64 max;
	u32 bucket[HIST_BUCKETS];
};

void hist_init(struct histogram *h);
void hist_add(struct histogram *h, u64 value);
/* The value below which @permille thousandths of the samples fall. */
u64 hist_percentile(const struct histogram *h, unsigned permille_x10);
u64 hist_mean(const struct histogram *h);

#endif
