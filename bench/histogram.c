/* SPDX-License-Identifier: MIT */
#include "bench/fixmath.h"
#include "bench/histogram.h"
#include "kernel/string.h"

void hist_init(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
	h->min = ~0ull;
}

/*
 * fio's plat_val_to_idx: below 2 * 64 the value is its own bucket; above,
 * the top bit picks the group and the next 6 bits the bucket within it.
 */
static unsigned bucket_of(u64 v)
{
	unsigned msb, error_bits, idx;

	if (v < 2 * HIST_SUB_BUCKETS)
		return (unsigned)v;
	msb = 63 - (unsigned)__builtin_clzll(v);
	error_bits = msb - HIST_SUB_BITS;
	idx = ((error_bits + 1) << HIST_SUB_BITS) +
	      ((unsigned)(v >> error_bits) & (HIST_SUB_BUCKETS - 1));
	return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

u64 hist_bucket_value(unsigned idx)
{
	unsigned error_bits, k;
	u64 base;

	if (idx < 2 * HIST_SUB_BUCKETS)
		return idx;
	error_bits = (idx >> HIST_SUB_BITS) - 1;
	base = 1ull << (error_bits + HIST_SUB_BITS);
	k = idx % HIST_SUB_BUCKETS;
	/* The middle of the bucket: base + (k + 0.5) * 2^error_bits. */
	return base + ((u64)k << error_bits) + (1ull << (error_bits - 1));
}

void hist_add(struct histogram *h, u64 v)
{
	h->count++;
	h->sum += v;
	h->sumsq += (unsigned __int128)v * v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->bucket[bucket_of(v)]++;
}

void hist_merge(struct histogram *into, const struct histogram *from)
{
	if (!from->count)
		return;
	into->count += from->count;
	into->sum += from->sum;
	into->sumsq += from->sumsq;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
	for (unsigned b = 0; b < HIST_BUCKETS; b++)
		into->bucket[b] += from->bucket[b];
}

/*
 * fio: the first bucket whose running sum reaches p / 100 * N, that is,
 * whose sum is at least ceil(p_x1e6 * N / 10^8): one 128-bit division per
 * percentile instead of a 128-bit product per bucket.
 */
static u64 percentile_want(const struct histogram *h, u64 p_x1e6)
{
	unsigned __int128 prod = (unsigned __int128)p_x1e6 * h->count;

	return (u64)((prod + 100000000u - 1) / 100000000u);
}

void hist_percentiles(const struct histogram *h, const u64 *p_x1e6, unsigned n, u64 *out)
{
	unsigned i = 0;
	u64 seen = 0;

	for (unsigned k = 1; k < n; k++) {
		if (p_x1e6[k] < p_x1e6[k - 1]) {
			/* Not ascending: each on its own walk. */
			for (k = 0; k < n; k++)
				hist_percentiles(h, &p_x1e6[k], 1, &out[k]);
			return;
		}
	}
	if (!h->count) {
		for (; i < n; i++)
			out[i] = 0;
		return;
	}
	/* One walk for all of them: a report asks for some twenty. */
	for (unsigned b = 0; b < HIST_BUCKETS && i < n; b++) {
		if (!h->bucket[b])
			continue;
		seen += h->bucket[b];
		for (; i < n && seen >= percentile_want(h, p_x1e6[i]); i++)
			out[i] = hist_bucket_value(b);
	}
	for (; i < n; i++)
		out[i] = hist_bucket_value(HIST_BUCKETS - 1);
}

u64 hist_percentile(const struct histogram *h, u64 p_x1e6)
{
	u64 v;

	hist_percentiles(h, &p_x1e6, 1, &v);
	return v;
}

u64 hist_mean_x1e6(const struct histogram *h)
{
	return h->count ? (u64)((unsigned __int128)h->sum * 1000000 / h->count) : 0;
}

u64 hist_mean(const struct histogram *h)
{
	return h->count ? h->sum / h->count : 0;
}

u64 stddev_x1e6(u64 n, u64 sum, unsigned __int128 sumsq)
{
	unsigned __int128 d, q, r, var_x1e12, nn;

	if (n < 2)
		return 0;
	/* Sample variance (n - 1), as fio's: (n * sumsq - sum^2) / (n * (n - 1)). */
	d = (unsigned __int128)n * sumsq;
	if (d < (unsigned __int128)sum * sum)
		return 0;
	d -= (unsigned __int128)sum * sum;
	nn = (unsigned __int128)n * (n - 1);
	q = d / nn;
	r = d % nn;
	var_x1e12 = q * 1000000000000ull + r * 1000000000000ull / nn;
	return fix_isqrt(var_x1e12);
}

u64 hist_stddev_x1e6(const struct histogram *h)
{
	return stddev_x1e6(h->count, h->sum, h->sumsq);
}
