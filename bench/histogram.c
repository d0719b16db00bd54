/* SPDX-License-Identifier: MIT */
#include "bench/histogram.h"
#include "kernel/string.h"

void hist_init(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
	h->min = ~0ull;
}

/*
 * Values below HIST_SUB_BUCKETS get a bucket each; above, the bucket is the
 * position of the top bit (the group) and the next HIST_SUB_BITS bits.
 */
static unsigned bucket_of(u64 v)
{
	if (v < HIST_SUB_BUCKETS)
		return (unsigned)v;
	unsigned msb = 63 - (unsigned)__builtin_clzll(v);
	unsigned group = msb - HIST_SUB_BITS + 1;
	unsigned sub = (unsigned)(v >> (msb - HIST_SUB_BITS)) & (HIST_SUB_BUCKETS - 1);
	return group * HIST_SUB_BUCKETS + sub;
}

/* The largest value that falls into bucket @b. */
static u64 bucket_upper(unsigned b)
{
	if (b < HIST_SUB_BUCKETS)
		return b;
	unsigned group = b / HIST_SUB_BUCKETS;
	unsigned sub = b % HIST_SUB_BUCKETS;
	unsigned shift = group - 1;
	return (((u64)(HIST_SUB_BUCKETS + sub + 1)) << shift) - 1;
}

void hist_add(struct histogram *h, u64 v)
{
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->bucket[bucket_of(v)]++;
}

u64 hist_percentile(const struct histogram *h, unsigned permille_x10)
{
	u64 want, seen = 0;

	if (!h->count)
		return 0;
	/* The rank of the sample at this percentile, rounded up (nearest-rank). */
	want = (h->count * permille_x10 + 9999) / 10000;
	if (!want)
		want = 1;
	for (unsigned b = 0; b < HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= want) {
			u64 up = bucket_upper(b);
			return up > h->max ? h->max : up;
		}
	}
	return h->max;
}

u64 hist_mean(const struct histogram *h)
{
	return h->count ? h->sum / h->count : 0;
}
