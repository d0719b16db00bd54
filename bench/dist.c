/* SPDX-License-Identifier: MIT */
/*
 * fio's random_distribution: which block a random job visits next.
 *
 *   zipf:THETA     P(k) proportional to 1 / k^THETA over the region's blocks
 *   pareto:H       the 80/20 family: block = (n - 1) * u^(log H / log(1 - H)),
 *                  as fio's lib/zipf.c draws it
 *   normal:DEV     a normal distribution whose standard deviation is DEV
 *                  percent of the region, centred on the region's middle
 *   zoned:A/S:...  A percent of the I/Os uniform over the next S percent of
 *                  the region, a list per direction (bench/zones.c parses it)
 *   zoned_abs:A/SIZE:...  the same with zones of SIZE bytes
 *
 * Like fio, zipf and pareto draw a rank and scatter it over the region, so
 * the hot blocks are not simply the first ones; fio scatters with a hash,
 * which lets some ranks share a block, while here a keyed permutation of the
 * region (bench/randmap.c) gives every rank its own block, so the shape
 * survives: pareto:0.2 sends 80% of the I/O to 20% of the blocks. With an
 * explicit center (zipf:1.2:0.3) the hot spot sits at that fraction of the
 * region instead. A normal draw outside the region is drawn again.
 *
 * Everything is integer arithmetic (logarithms and powers in fixed point,
 * bench/fixmath.c): the kernel has no floating point, and the same seed
 * draws the same blocks on every boot and in the host unit tests.
 *
 * zipf does not use the approximation of Gray et al. that fio's lib/zipf.c
 * uses (exact for the two hottest ranks only) but a table of the
 * distribution function: one entry per rank for the first ZIPF_EXACT ranks,
 * then buckets each 1/16 wider than where they start, whose mass is the
 * integral of x^-THETA over the bucket (Simpson's rule; the sum differs from
 * it by less than 1e-7 of the bucket beyond rank 1024). A draw finds its
 * entry by binary search and, in a bucket, picks the rank by rejection: a
 * uniform rank k is kept with probability (first / k)^THETA, so inside the
 * bucket the ranks follow 1 / k^THETA exactly.
 */
#include "bench/engine.h"
#include "bench/fixmath.h"
#include "bench/randmap.h"
#include "kernel/errno.h"
#include "kernel/platform.h"
#include "kernel/string.h"

/* Ranks with an entry of their own: the hot ones, where the shape is seen. */
#define ZIPF_EXACT 1024
/* Beyond them a bucket of ranks from k on holds k >> ZIPF_BUCKET_SHIFT ranks. */
#define ZIPF_BUCKET_SHIFT 4
/* pareto's exponent: Q40 (it ranges from 7e-8 to 1.4e7 for 0 < H < 1) */
#define PARETO_POW_SHIFT 40

struct zipf_entry {
	u64 cum;   /* the distribution function up to and including this entry */
	u64 first; /* its first rank (0 = the hottest) */
};

/* A zone of zoned or zoned_abs, in blocks of the region. */
struct zone_range {
	u64 start, len;
	u32 cum; /* the I/O percentages up to and including this zone */
};

struct dist {
	enum rand_dist type;
	bool hash;
	u64 n;
	u64 rng;
	struct randmap perm;	 /* scatters ranks over the region */
	u64 param;		 /* zipf theta, pareto h, normal deviation (percent): millionths */
	u64 center;		 /* the hot spot of a centred zipf or pareto: a block */
	u64 center_q56;		 /* normal: the center as a Q56 fraction of the region */
	struct zipf_entry *zipf; /* nr_zipf entries, then one whose first is n */
	u64 nr_zipf;
	u64 pareto_pow;			   /* Q40 */
	struct zone_range *zones[DDIR_NR]; /* NULL: that direction draws uniformly */
	unsigned nr_zones[DDIR_NR];
};

_Static_assert(sizeof(struct dist) <= sizeof(struct dist_state), "dist_state is too small");

static u64 rng64(u64 *s)
{
	/* splitmix64 */
	u64 z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A uniform integer in [0, n). */
static u64 below(u64 *s, u64 n)
{
	return (u64)(((u128)rng64(s) * n) >> 64);
}

/* (x2 / 2)^-theta in Q63 for x2 >= 2, theta in millionths. */
static u64 half_pow_neg(u128 x2, u64 theta)
{
	u128 lg = fix_log2(x2) - FIX_ONE_LOG;

	return fix_exp2_neg(lg * theta / MICRO);
}

/* The bucket of ranks that starts at rank @first ends before the returned rank. */
static u64 zipf_bucket_end(u64 first, u64 n)
{
	u64 width = first < ZIPF_EXACT ? 1 : (first + 1) >> ZIPF_BUCKET_SHIFT;

	return width >= n - first ? n : first + width;
}

/*
 * The mass of ranks [first, end), rank r weighing (r + 1)^-theta: for one
 * rank exactly, for a bucket by Simpson's rule on the integral of x^-theta
 * from first + 1/2 to end + 1/2 (each rank's weight is the integral over its
 * unit interval, to second order). Q63 units.
 */
static u128 zipf_mass(u64 first, u64 end, u64 theta)
{
	u128 a2 = 2 * (u128)first + 1, b2 = 2 * (u128)end + 1;

	if (end - first == 1)
		return half_pow_neg(2 * ((u128)first + 1), theta);
	return (end - first) *
	       ((u128)half_pow_neg(a2, theta) + 4 * (u128)half_pow_neg(first + end + 1, theta) +
		half_pow_neg(b2, theta)) /
	       6;
}

static int zipf_init(struct dist *d)
{
	u64 nr = 0, i = 0, first;
	u128 total = 0, run = 0;
	unsigned shift = 0;

	for (first = 0; first < d->n; first = zipf_bucket_end(first, d->n))
		nr++;
	d->zipf = kmalloc((nr + 1) * sizeof(*d->zipf));
	if (!d->zipf)
		return -ENOMEM;
	d->nr_zipf = nr;
	/* The masses, then the distribution function scaled to fit 64 bits. */
	for (first = 0; first < d->n; first = zipf_bucket_end(first, d->n), i++) {
		d->zipf[i].first = first;
		total += zipf_mass(first, zipf_bucket_end(first, d->n), d->param);
	}
	d->zipf[nr].first = d->n;
	d->zipf[nr].cum = 0;
	while (total >> shift >> 64)
		shift++;
	for (i = 0; i < nr; i++) {
		run += zipf_mass(d->zipf[i].first, d->zipf[i + 1].first, d->param);
		d->zipf[i].cum = (u64)(run >> shift);
	}
	return 0;
}

static u64 zipf_next(struct dist *d)
{
	u64 v = below(&d->rng, d->zipf[d->nr_zipf - 1].cum), lo = 0, hi = d->nr_zipf - 1;
	u64 first, width;
	u128 lg_first;

	/* The first entry whose distribution function passes v: never one of no mass. */
	while (lo < hi) {
		u64 mid = lo + (hi - lo) / 2;
		if (d->zipf[mid].cum > v)
			hi = mid;
		else
			lo = mid + 1;
	}
	first = d->zipf[lo].first;
	width = d->zipf[lo + 1].first - first;
	if (width == 1)
		return first;
	lg_first = fix_log2((u128)first + 1);
	for (;;) {
		u64 r = first + below(&d->rng, width);
		u128 dlg = fix_log2((u128)r + 1) - lg_first;
		if (rng64(&d->rng) >> 1 < fix_exp2_neg(dlg * d->param / MICRO))
			return r;
	}
}

/* log2(u) in Q56, negated, for u uniform in (0, 1): 64 random bits, the last one set. */
static u64 neg_log2_uniform(u64 *s)
{
	return (64ull << FIX_LOG_SHIFT) - fix_log2(rng64(s) | 1);
}

static void pareto_init(struct dist *d)
{
	/* log H / log(1 - H), both logarithms negative */
	u64 lg_one = fix_log2(MICRO);
	u128 num = lg_one - fix_log2(d->param), den = lg_one - fix_log2(MICRO - d->param);

	d->pareto_pow = (u64)((num << PARETO_POW_SHIFT) / den);
}

static u64 pareto_next(struct dist *d)
{
	u128 y = ((u128)d->pareto_pow * neg_log2_uniform(&d->rng)) >> PARETO_POW_SHIFT;

	/* (n - 1) * u^pow */
	return (u64)(((u128)(d->n - 1) * fix_exp2_neg(y)) >> FIX_FRAC_SHIFT);
}

/*
 * Marsaglia's polar method: a point (x, y) uniform in the unit disc, s = x^2 + y^2,
 * gives the normal deviate x / sqrt(s) * sqrt(-2 ln s). Then the block is at
 * center + z * DEV / 100 of the region, or drawn again when that is outside it.
 */
static u64 normal_next(struct dist *d)
{
	/* No deviation: every draw is the center (the last block for center 1). */
	if (!d->param)
		return d->center < d->n ? d->center : d->n - 1;
	for (;;) {
		/* x, y: Q62 in [-1, 1); s: Q124 */
		s64 x = (s64)rng64(&d->rng) >> 1, y = (s64)rng64(&d->rng) >> 1;
		u64 ax = x < 0 ? -(u64)x : (u64)x, ay = y < 0 ? -(u64)y : (u64)y;
		u128 s = (u128)ax * ax + (u128)ay * ay, r2, off;
		u64 lg, r, cosine, z;
		s64 f;

		if (s == 0 || s >= (u128)1 << 124)
			continue;
		/* -log2 s, then r^2 = -2 ln s = 2 ln 2 * -log2 s, all Q56 */
		lg = (124ull << FIX_LOG_SHIFT) - fix_log2(s);
		r2 = ((u128)lg * FIX_LN2_Q62) >> 61;
		r = fix_isqrt(r2 << FIX_LOG_SHIFT);
		/* |x| / sqrt(s), Q62: at most 1 since x^2 <= s */
		cosine = (u64)(((u128)ax << 62) / fix_isqrt(s));
		z = (u64)(((u128)cosine * r) >> 62);
		/* the offset from the center, a Q56 fraction of the region */
		off = (u128)z * d->param / (100 * MICRO);
		if (off >= (u128)1 << 62)
			continue;
		f = x < 0 ? (s64)d->center_q56 - (s64)off : (s64)d->center_q56 + (s64)off;
		if (f >= 0 && (u64)f < FIX_ONE_LOG)
			return (u64)(((u128)(u64)f * d->n) >> FIX_LOG_SHIFT);
	}
}

/*
 * zoned, zoned_abs: each direction's zones as ranges of the region's @unit
 * byte blocks, where fio's __get_next_rand_offset_zoned(_abs) puts them.
 */
static int zones_init(struct dist *d, const struct job_spec *s, u32 unit)
{
	struct job_zone *z = kmalloc(JOB_ZONES_MAX * sizeof(*z));
	int err = 0;

	if (!z)
		return -ENOMEM;
	for (unsigned dir = 0; dir < DDIR_NR && !err; dir++) {
		unsigned nr = job_zones(s, (enum ddir)dir, z);
		struct zone_range *r;
		u64 at = 0;
		u32 cum = 0;

		if (!nr)
			continue;
		r = kmalloc(nr * sizeof(*r));
		if (!r) {
			err = -ENOMEM;
			break;
		}
		for (unsigned i = 0; i < nr; i++) {
			cum += z[i].access;
			r[i].cum = cum;
			if (d->type == DIST_ZONED) {
				r[i].start = (u64)((u128)at * d->n / 100);
				r[i].len = (u64)((u128)d->n * z[i].size / 100);
			} else {
				r[i].start = at / unit;
				r[i].len = (at + z[i].size) / unit - r[i].start;
			}
			at += z[i].size;
		}
		d->zones[dir] = r;
		d->nr_zones[dir] = nr;
	}
	kfree(z);
	return err;
}

/* A zone by the I/O percentages, then a block in it uniformly. */
static u64 zoned_next(struct dist *d, enum ddir dir)
{
	const struct zone_range *r = d->zones[dir];
	unsigned lo = 0, hi = d->nr_zones[dir] - 1;
	u64 v, unit;

	if (!r)
		return rng64(&d->rng) % d->n;
	v = below(&d->rng, 100);
	/* The first zone whose running total passes v: zones of 0 % never are. */
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (r[mid].cum > v)
			hi = mid;
		else
			lo = mid + 1;
	}
	/* A zone too small for a block of its own gets its first block, as in fio. */
	unit = r[lo].start + (r[lo].len ? below(&d->rng, r[lo].len) : 0);
	return unit < d->n ? unit : d->n - 1;
}

int dist_init(struct dist_state *ds, const struct job_spec *s, u64 n, u32 unit, u64 seed)
{
	struct dist *d = (struct dist *)ds->words;

	memset(d, 0, sizeof(*d));
	d->type = s->dist;
	d->n = n ? n : 1;
	d->rng = seed;
	randmap_init(&d->perm, d->n, rng64(&d->rng));
	d->hash = !s->dist_center_set;
	d->param = s->dist_param;
	d->center = (u64)((u128)s->dist_center * d->n / MICRO);
	d->center_q56 = (u64)(((u128)s->dist_center << FIX_LOG_SHIFT) / MICRO);
	switch (d->type) {
	case DIST_ZIPF:
		return zipf_init(d);
	case DIST_PARETO:
		pareto_init(d);
		return 0;
	case DIST_ZONED:
	case DIST_ZONED_ABS:
		return zones_init(d, s, unit);
	default:
		return 0;
	}
}

void dist_free(struct dist_state *ds)
{
	struct dist *d = (struct dist *)ds->words;

	kfree(d->zipf);
	d->zipf = NULL;
	d->nr_zipf = 0;
	for (unsigned dir = 0; dir < DDIR_NR; dir++) {
		kfree(d->zones[dir]);
		d->zones[dir] = NULL;
		d->nr_zones[dir] = 0;
	}
}

/* Place a rank (0 = the hottest) in the region. */
static u64 place(struct dist *d, u64 rank)
{
	if (rank >= d->n)
		rank = d->n - 1;
	if (d->hash)
		return randmap_permute(&d->perm, rank);
	return (rank + d->center) % d->n;
}

u64 dist_next(struct dist_state *ds, enum ddir dir)
{
	struct dist *d = (struct dist *)ds->words;

	switch (d->type) {
	case DIST_ZONED:
	case DIST_ZONED_ABS:
		return zoned_next(d, dir);
	case DIST_ZIPF:
		return place(d, zipf_next(d));
	case DIST_PARETO:
		return place(d, pareto_next(d));
	case DIST_NORMAL:
		return normal_next(d);
	default:
		return rng64(&d->rng) % d->n;
	}
}
