/* SPDX-License-Identifier: MIT */
/*
 * fio's random_distribution: which block a random job visits next.
 *
 *   zipf:THETA     P(k) proportional to 1 / k^THETA over the region's blocks,
 *                  drawn with the method of Gray et al. ("Quickly generating
 *                  billion-record synthetic databases", SIGMOD 1994) that
 *                  fio's lib/zipf.c uses
 *   pareto:H       the 80/20 family: block = (n - 1) * u^(log H / log(1 - H))
 *   normal:DEV     a normal distribution whose standard deviation is DEV
 *                  percent of the region, centred on the region's middle
 *
 * Like fio, zipf and pareto draw a rank and scatter it over the region, so
 * the hot blocks are not simply the first ones; fio scatters with a hash,
 * which lets some ranks share a block, while here a keyed permutation of the
 * region (bench/randmap.c) gives every rank its own block, so the shape
 * survives: pareto:0.2 sends 80% of the I/O to 20% of the blocks. With an
 * explicit center (zipf:1.2:0.3) the hot spot sits at that fraction of the
 * region instead. A normal draw outside the region is
 * drawn again.
 *
 * This is the kernel's one file built with SSE (see the Makefile and
 * kernel/fpu.h): it runs in process and softirq context only, never in an
 * interrupt handler. libm is not available, so log and exp are computed
 * here, to double precision.
 */
#include "bench/engine.h"
#include "bench/randmap.h"
#include "kernel/platform.h"

#define LN2 0.69314718055994530942

struct dist {
	enum rand_dist type;
	u64 n;
	u64 rng;
	struct randmap perm; /* scatters ranks over the region */
	bool hash;
	double theta, zetan, zeta2, eta, alpha; /* zipf */
	double pareto_pow;
	double sigma, center; /* normal, and the hot spot of centred zipf/pareto */
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

/* A uniform double in [0, 1), 53 random bits. */
static double uniform(u64 *s)
{
	return (double)(rng64(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* x = m * 2^e with m in [1, 2), from the bits of the double. */
static double split_exp(double x, int *e)
{
	union {
		double d;
		u64 u;
	} v = {x};
	*e = (int)((v.u >> 52) & 0x7ff) - 1023;
	v.u = (v.u & ~(0x7ffull << 52)) | (1023ull << 52);
	return v.d;
}

static double scale2(double x, int e)
{
	union {
		double d;
		u64 u;
	} v = {1.0};

	if (e < -1022)
		return 0.0;
	if (e > 1023)
		e = 1023;
	v.u = (u64)(e + 1023) << 52;
	return x * v.d;
}

/* Natural log for x > 0: log m via atanh's series on m in [sqrt(1/2), sqrt(2)). */
static double dlog(double x)
{
	int e;
	double m = split_exp(x, &e), z, z2, term, sum;

	if (m > 1.41421356237309504880) {
		m *= 0.5;
		e++;
	}
	z = (m - 1.0) / (m + 1.0);
	z2 = z * z;
	term = z;
	sum = 0.0;
	for (int k = 1; k < 40; k += 2) {
		sum += term / k;
		term *= z2;
	}
	return 2.0 * sum + e * LN2;
}

/* e^x: x = k ln 2 + r with |r| <= ln2 / 2, Taylor for e^r. */
static double dexp(double x)
{
	double kf, r, term = 1.0, sum = 1.0;
	int k;

	if (x > 709.0)
		x = 709.0;
	if (x < -745.0)
		return 0.0;
	kf = x / LN2;
	k = (int)(kf < 0 ? kf - 0.5 : kf + 0.5);
	r = x - k * LN2;
	for (int i = 1; i < 22; i++) {
		term *= r / i;
		sum += term;
	}
	return scale2(sum, k);
}

static double dpow(double x, double y)
{
	if (x <= 0.0)
		return 0.0;
	return dexp(y * dlog(x));
}

static double dsqrt(double x)
{
	double r;

	__asm__("sqrtsd %1, %0" : "=x"(r) : "x"(x));
	return r;
}

/*
 * zeta(n, theta) = sum 1/i^theta for i = 1..n: the first terms exactly,
 * the rest by the Euler-Maclaurin formula, so regions of billions of blocks
 * cost no more than small ones.
 */
static double zeta(u64 n, double theta)
{
	const u64 exact = 2000;
	double sum = 0.0, a, b, fa, fb;

	for (u64 i = 1; i <= n && i <= exact; i++)
		sum += dpow((double)i, -theta);
	if (n <= exact)
		return sum;
	a = (double)exact;
	b = (double)n;
	fa = dpow(a, -theta);
	fb = dpow(b, -theta);
	/* integral of x^-theta from a to b, plus the trapezoid and first derivative corrections */
	sum += (dpow(b, 1.0 - theta) - dpow(a, 1.0 - theta)) / (1.0 - theta);
	sum += (fb - fa) / 2.0;
	sum += theta / 12.0 * (fa / a - fb / b);
	return sum;
}

void dist_init(struct dist_state *ds, const struct job_spec *s, u64 n, u64 seed)
{
	struct dist *d = (struct dist *)ds->words;
	double p = (double)s->dist_param / (double)MICRO;

	d->type = s->dist;
	d->n = n ? n : 1;
	d->rng = seed;
	randmap_init(&d->perm, d->n, rng64(&d->rng));
	d->hash = !s->dist_center_set;
	d->center = (double)s->dist_center / (double)MICRO;
	switch (d->type) {
	case DIST_ZIPF:
		d->theta = p;
		d->zetan = zeta(d->n, p);
		d->zeta2 = 1.0 + dpow(0.5, p);
		d->alpha = 1.0 / (1.0 - p);
		d->eta = (1.0 - dpow(2.0 / (double)d->n, 1.0 - p)) / (1.0 - d->zeta2 / d->zetan);
		break;
	case DIST_PARETO:
		d->pareto_pow = dlog(p) / dlog(1.0 - p);
		break;
	case DIST_NORMAL:
		d->sigma = p / 100.0 * (double)d->n;
		break;
	default:
		break;
	}
}

/* Place a rank (0 = the hottest) in the region. */
static u64 place(struct dist *d, u64 rank)
{
	if (d->hash)
		return randmap_permute(&d->perm, rank);
	return (rank + (u64)(d->center * (double)d->n)) % d->n;
}

u64 dist_next(struct dist_state *ds)
{
	struct dist *d = (struct dist *)ds->words;
	double u, v;
	u64 rank;

	switch (d->type) {
	case DIST_ZIPF:
		u = uniform(&d->rng);
		v = u * d->zetan;
		if (v < 1.0)
			rank = 0;
		else if (v < d->zeta2)
			rank = 1;
		else
			rank = (u64)((double)d->n * dpow(d->eta * u - d->eta + 1.0, d->alpha));
		if (rank >= d->n)
			rank = d->n - 1;
		return place(d, rank);
	case DIST_PARETO:
		u = uniform(&d->rng);
		rank = (u64)((double)(d->n - 1) * dpow(u, d->pareto_pow));
		if (rank >= d->n)
			rank = d->n - 1;
		return place(d, rank);
	case DIST_NORMAL:
		for (;;) {
			/* Marsaglia's polar method. */
			double x, y, r, z, pos;
			do {
				x = 2.0 * uniform(&d->rng) - 1.0;
				y = 2.0 * uniform(&d->rng) - 1.0;
				r = x * x + y * y;
			} while (r >= 1.0 || r == 0.0);
			z = x * dsqrt(-2.0 * dlog(r) / r);
			pos = d->center * (double)d->n + z * d->sigma;
			if (pos >= 0.0 && pos < (double)d->n)
				return (u64)pos;
		}
	default:
		return rng64(&d->rng) % d->n;
	}
}
