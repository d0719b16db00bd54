/* SPDX-License-Identifier: MIT */
/*
 * fio's random distributions (bench/dist.c), checked by their shapes against
 * what the host's libm computes: zipf's hottest block takes 1/zeta(n, theta)
 * of the draws and every power-of-two band of ranks its share of zeta,
 * pareto:H sends 1 - H of them to the hottest H of the blocks, normal:DEV
 * has its mean at the center and a deviation of DEV% of the region, zoned
 * gives each zone its share uniformly and a direction its own list; every
 * draw is in range, the same seed draws the same blocks, a failed
 * allocation is an error. And the fixed-point arithmetic underneath
 * (bench/fixmath.c) against long double.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench/engine.h"
#include "bench/fixmath.h"
#include "kernel/errno.h"
#include "host_platform.h"

#define N 1000
#define DRAWS 400000
#define BIG (1u << 20)

static unsigned counts[BIG];
static struct job_spec spec(enum rand_dist type, micro_t param, bool center, micro_t where)
{
	struct job_spec s = {0};

	s.dist = type;
	s.dist_param = param;
	s.dist_center = center ? where : MICRO / 2;
	s.dist_center_set = center;
	return s;
}

/* @draws draws of direction @dir with @seed over @n blocks (at most BIG) into counts[]. */
static void draw_spec(const struct job_spec *s, enum ddir dir, u64 n, unsigned draws, u64 seed)
{
	struct dist_state d = {0};

	memset(counts, 0, sizeof(counts));
	assert_int_equal(dist_init(&d, s, n, 4096, seed), 0);
	for (unsigned i = 0; i < draws; i++) {
		u64 v = dist_next(&d, dir);

		assert_true(v < n);
		counts[v]++;
	}
	dist_free(&d);
	assert_int_equal(host_live_allocs, 0);
}

/* @draws draws over @n blocks (at most BIG) into counts[]. */
static void draw_n(enum rand_dist type, micro_t param, bool center, micro_t where, u64 n,
		   unsigned draws)
{
	struct job_spec s = spec(type, param, center, where);

	draw_spec(&s, DDIR_READ, n, draws, 12345);
}

static void draw(enum rand_dist type, micro_t param, bool center, micro_t where)
{
	draw_n(type, param, center, where, N, DRAWS);
}

static int by_count_desc(const void *a, const void *b)
{
	return (int)*(const unsigned *)b - (int)*(const unsigned *)a;
}

/* |observed - expected| within 5 standard deviations of a binomial count. */
static void assert_share(u64 observed, double p, unsigned draws)
{
	double expected = p * draws, sd = sqrt(draws * p * (1 - p));

	if (fabs(observed - expected) > 5 * sd + 1) {
		print_error("observed %lu, expected %.1f (sd %.1f)\n", observed, expected, sd);
		fail();
	}
}

static double zeta(u64 n, double theta)
{
	double z = 0;

	for (u64 i = n; i >= 1; i--)
		z += pow(i, -theta);
	return z;
}

static void test_fix_log2(void **state)
{
	u64 s = 1;

	assert_int_equal(fix_log2(1), 0);
	assert_int_equal(fix_log2(2), FIX_ONE_LOG);
	assert_int_equal(fix_log2((u128)1 << 100), 100 * FIX_ONE_LOG);
	for (int i = 0; i < 20000; i++) {
		u128 x;
		long double want, got;
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		/* sizes from 1 to 2^127, and the values just below powers of two */
		x = ((u128)s << 64 | s) >> (i % 128);
		if (i % 7 == 0)
			x = ((u128)1 << (i % 127 + 1)) - 1;
		if (!x)
			x = 1;
		want = log2l((long double)x);
		got = (long double)fix_log2(x) / FIX_ONE_LOG;
		if (fabsl(got - want) > 0x1p-52L) {
			print_error("log2(%Lg): %.20Lg, want %.20Lg\n", (long double)x, got, want);
			fail();
		}
	}
}

static void test_fix_exp2_neg(void **state)
{
	u64 s = 7;

	assert_int_equal(fix_exp2_neg(0), FIX_ONE);
	assert_int_equal(fix_exp2_neg(FIX_ONE_LOG), FIX_ONE / 2);
	assert_int_equal(fix_exp2_neg(10 * (u128)FIX_ONE_LOG), FIX_ONE >> 10);
	assert_int_equal(fix_exp2_neg(64 * (u128)FIX_ONE_LOG), 0);
	assert_int_equal(fix_exp2_neg((u128)1 << 100), 0);
	for (int i = 0; i < 20000; i++) {
		u128 y;
		long double want, got;
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		/* exponents from 0 to 64 */
		y = (s >> 1) >> (i % 56);
		want = exp2l(-(long double)y / FIX_ONE_LOG);
		got = (long double)fix_exp2_neg(y) / FIX_ONE;
		if (fabsl(got - want) > 0x1p-54L) {
			print_error("2^-%Lg: %.20Lg, want %.20Lg\n", (long double)y / FIX_ONE_LOG,
				    got, want);
			fail();
		}
	}
}

static void test_fix_isqrt(void **state)
{
	u64 s = 3;
	u128 max = ~(u128)0;

	assert_int_equal(fix_isqrt(0), 0);
	assert_int_equal(fix_isqrt(1), 1);
	assert_int_equal(fix_isqrt(15), 3);
	assert_int_equal(fix_isqrt(16), 4);
	assert_int_equal(fix_isqrt(max), ~0ull);
	for (int i = 0; i < 20000; i++) {
		u128 x, r;
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		x = ((u128)s << 64 | (s ^ (s >> 17))) >> (i % 128);
		r = fix_isqrt(x);
		assert_true(r * r <= x);
		assert_true((r + 1) * (r + 1) > x);
	}
}

static void check_zipf_top(micro_t theta)
{
	double z = zeta(N, theta / 1e6), share;

	draw(DIST_ZIPF, theta, false, 0);
	qsort(counts, N, sizeof(counts[0]), by_count_desc);
	share = (double)counts[0] / DRAWS;
	assert_true(fabs(share - 1 / z) < 0.02);
	assert_share(counts[0], 1 / z, DRAWS);
	/* The second hottest: 2^-theta of the first. */
	assert_true(fabs((double)counts[1] / counts[0] - pow(2, -(theta / 1e6))) < 0.05);
}

static void test_zipf(void **state)
{
	check_zipf_top(1200000);
	check_zipf_top(800000);
}

/*
 * A region of a million blocks, centred at 0 so that the block is the rank:
 * every band of ranks [2^i, 2^(i+1)) gets its share of zeta, the bands past
 * the first 1024 ranks from the buckets of the table.
 */
static void check_zipf_bands(micro_t theta)
{
	const unsigned draws = 1000000;
	double t = theta / 1e6, z = zeta(BIG, t);

	draw_n(DIST_ZIPF, theta, true, 0, BIG, draws);
	for (u64 lo = 1; lo < BIG; lo *= 2) {
		double p = 0;
		u64 seen = 0;
		for (u64 k = lo; k < 2 * lo && k <= BIG; k++) {
			p += pow(k, -t);
			seen += counts[k - 1];
		}
		assert_share(seen, p / z, draws);
	}
	/*
	 * Within the buckets too: past rank 1024 the table has buckets 1/16
	 * as wide as where they start, and the first half of each takes more
	 * than the second (a uniform pick inside the bucket would not). The
	 * expected share is exact whatever the buckets, so this holds for any
	 * table; it is sharp for this one.
	 */
	{
		double p = 0;
		u64 seen = 0;
		for (u64 first = 1024; first < BIG; first += (first + 1) >> 4) {
			u64 half = first + ((first + 1) >> 5);
			for (u64 r = first; r < half && r < BIG; r++) {
				p += pow(r + 1, -t);
				seen += counts[r];
			}
		}
		assert_share(seen, p / z, draws);
	}
}

static void test_zipf_bands(void **state)
{
	check_zipf_bands(800000);
	check_zipf_bands(1200000);
	check_zipf_bands(300000);
}

static void test_zipf_huge_region(void **state)
{
	/* 2^40 blocks: zeta by Euler-Maclaurin past the first terms. */
	const u64 n = 1ull << 40, exact = 100000;
	const double t = 1.2;
	struct job_spec s = spec(DIST_ZIPF, 1200000, true, 0);
	struct dist_state d = {0};
	double z = zeta(exact, t), a = exact + 0.5;
	u64 top = 0;

	z += (pow(n + 0.5, 1 - t) - pow(a, 1 - t)) / (1 - t);
	assert_int_equal(dist_init(&d, &s, n, 4096, 99), 0);
	for (int i = 0; i < DRAWS; i++) {
		u64 v = dist_next(&d, DDIR_READ);
		assert_true(v < n);
		top += v == 0;
	}
	dist_free(&d);
	assert_share(top, 1 / z, DRAWS);
}

static void test_zipf_centred(void **state)
{
	/* With a center, the hot spot sits there instead of being scattered. */
	draw(DIST_ZIPF, 1200000, true, 300000);
	unsigned best = 0;
	for (unsigned i = 1; i < N; i++)
		if (counts[i] > counts[best])
			best = i;
	assert_int_equal(best, 300);
}

static void check_pareto(micro_t h)
{
	u64 top = 0;
	double hf = h / 1e6;

	draw(DIST_PARETO, h, false, 0);
	qsort(counts, N, sizeof(counts[0]), by_count_desc);
	for (int i = 0; i < (int)(N * hf + 0.5); i++)
		top += counts[i];
	/* the hottest H of the blocks take 1 - H of the I/O */
	assert_true(fabs((double)top / DRAWS - (1 - hf)) < 0.03);
}

static void test_pareto(void **state)
{
	check_pareto(200000);
	check_pareto(100000);
	check_pareto(300000);
}

static void test_pareto_cdf(void **state)
{
	/* Centred at 0, the block is the rank: P(rank < x (n - 1)) = x^(1 / pow). */
	const double h = 0.2, pw = log(h) / log(1 - h);

	draw_n(DIST_PARETO, 200000, true, 0, BIG, DRAWS);
	for (double x = 0.001; x < 1; x *= 3) {
		u64 seen = 0, edge = (u64)ceil(x * (BIG - 1));
		for (u64 i = 0; i < edge; i++)
			seen += counts[i];
		assert_share(seen, pow((double)edge / (BIG - 1), 1 / pw), DRAWS);
	}
}

static void check_normal(micro_t dev, micro_t center, u64 n)
{
	double mean = 0, var = 0, want = center / 1e6 * n, sd = dev / 1e8 * n;

	draw_n(DIST_NORMAL, dev, center != MICRO / 2, center, n, DRAWS);
	for (u64 i = 0; i < n; i++)
		mean += (double)i * counts[i];
	mean /= DRAWS;
	for (u64 i = 0; i < n; i++)
		var += (i - mean) * (i - mean) * counts[i];
	var /= DRAWS;
	/* half a block for the flooring, and 5 standard errors */
	assert_true(fabs(mean - (want - 0.5)) < 5 * sd / sqrt(DRAWS) + 0.5);
	assert_true(fabs(sqrt(var) - sd) < 0.01 * sd + 0.5);
}

static void test_normal(void **state)
{
	check_normal(10000000, MICRO / 2, N);
	check_normal(3000000, 250000, N);
	check_normal(5000000, MICRO / 2, BIG);
}

static void test_normal_no_deviation(void **state)
{
	draw(DIST_NORMAL, 0, true, 300000);
	assert_int_equal(counts[300], DRAWS);
	/* center 1 is past the last block: the last block, not an endless redraw */
	draw(DIST_NORMAL, 0, true, MICRO);
	assert_int_equal(counts[N - 1], DRAWS);
}

static void test_small_regions(void **state)
{
	static const struct {
		enum rand_dist type;
		micro_t param;
	} dists[] = {
		{DIST_ZIPF, 1200000},	 {DIST_ZIPF, 500000},	   {DIST_ZIPF, 5000000},
		{DIST_PARETO, 200000},	 {DIST_PARETO, 999999},	   {DIST_PARETO, 1},
		{DIST_NORMAL, 10000000}, {DIST_NORMAL, 100000000},
	};
	static const u64 sizes[] = {1, 2, 3, 1023, 1024, 1025, 1100, 17 * 1024 + 5};

	for (unsigned i = 0; i < sizeof(dists) / sizeof(dists[0]); i++)
		for (unsigned j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			draw_n(dists[i].type, dists[i].param, false, 0, sizes[j], 20000);
			if (sizes[j] == 1)
				assert_int_equal(counts[0], 20000);
		}
	/* Two blocks: the hotter takes 1 / (1 + 2^-theta). */
	draw_n(DIST_ZIPF, 1200000, true, 0, 2, DRAWS);
	assert_share(counts[0], 1 / (1 + pow(2, -1.2)), DRAWS);
}

static void test_same_seed_same_draws(void **state)
{
	static const enum rand_dist types[] = {DIST_ZIPF, DIST_PARETO, DIST_NORMAL};
	static const micro_t params[] = {900000, 300000, 20000000};

	for (unsigned t = 0; t < 3; t++) {
		struct job_spec s = spec(types[t], params[t], false, 0);
		struct dist_state a = {0}, b = {0}, c = {0};
		unsigned differ = 0;

		assert_int_equal(dist_init(&a, &s, 1ull << 30, 4096, 42), 0);
		assert_int_equal(dist_init(&b, &s, 1ull << 30, 4096, 42), 0);
		assert_int_equal(dist_init(&c, &s, 1ull << 30, 4096, 43), 0);
		for (int i = 0; i < 10000; i++) {
			u64 x = dist_next(&a, DDIR_READ);
			assert_int_equal(x, dist_next(&b, DDIR_READ));
			differ += x != dist_next(&c, DDIR_READ);
		}
		assert_true(differ > 9000);
		dist_free(&a);
		dist_free(&b);
		dist_free(&c);
	}
	assert_int_equal(host_live_allocs, 0);
}

/* The kernel's kernel_fail (kernel/exit.c), for bench/zones.c. */
int kernel_fail(const char *fmt, ...)
{
	(void)fmt;
	return -EIO;
}

static struct job_spec zoned(const char *v)
{
	struct job_spec s = {0};

	s.dist = !strncmp(v, "zoned_abs:", 10) ? DIST_ZONED_ABS : DIST_ZONED;
	s.zones = v;
	return s;
}

/* @draws draws of direction @dir over @n blocks of 4 KiB into counts[]. */
static void draw_zoned(const char *v, enum ddir dir, u64 n, unsigned draws)
{
	struct job_spec s = zoned(v);

	draw_spec(&s, dir, n, draws, 777);
}

static double share(u64 from, u64 to, unsigned draws)
{
	unsigned long long sum = 0;

	for (u64 b = from; b < to; b++)
		sum += counts[b];
	return (double)sum / draws;
}

/*
 * zoned: each zone takes its share of the draws (within 0.5 %, some six
 * deviations at these counts), uniformly inside it: every block of a zone
 * within six deviations of the zone's mean.
 */
static void test_zoned_shape(void **state)
{
	static const struct {
		u64 from, to;
		double share;
	} z[] = {{0, 100, 0.60}, {100, 300, 0.30}, {300, 600, 0.08}, {600, 1000, 0.02}};

	draw_zoned("zoned:60/10:30/20:8/30:2/40", DDIR_READ, N, DRAWS);
	for (unsigned i = 0; i < ARRAY_SIZE(z); i++) {
		double mean = z[i].share * DRAWS / (double)(z[i].to - z[i].from);

		assert_true(fabs(share(z[i].from, z[i].to, DRAWS) - z[i].share) < 0.005);
		for (u64 b = z[i].from; b < z[i].to; b++)
			assert_true(fabs(counts[b] - mean) < 6 * sqrt(mean));
	}
	/* Blank sizes share what is left: 10, 45 and 45 percent of the region. */
	draw_zoned("zoned:50/10:25:25", DDIR_READ, N, DRAWS);
	assert_true(fabs(share(0, 100, DRAWS) - 0.50) < 0.005);
	assert_true(fabs(share(100, 550, DRAWS) - 0.25) < 0.005);
	assert_true(fabs(share(550, 1000, DRAWS) - 0.25) < 0.005);
	/* Zones short of the whole region leave the rest alone. */
	draw_zoned("zoned:70/5:30/20", DDIR_READ, N, DRAWS);
	assert_true(share(250, 1000, DRAWS) == 0.0);
	assert_true(fabs(share(0, 50, DRAWS) - 0.70) < 0.005);
}

/* A list per direction; a blank one is uniform, the last list serves trims. */
static void test_zoned_directions(void **state)
{
	const char *v = "zoned:100/10,,0/50:100/50";

	draw_zoned(v, DDIR_READ, N, DRAWS);
	assert_true(share(0, 100, DRAWS) == 1.0);
	draw_zoned(v, DDIR_TRIM, N, DRAWS);
	assert_true(share(500, 1000, DRAWS) == 1.0);
	draw_zoned(v, DDIR_WRITE, N, DRAWS);
	for (u64 tenth = 0; tenth < 10; tenth++)
		assert_true(fabs(share(tenth * 100, tenth * 100 + 100, DRAWS) - 0.1) < 0.005);
}

/* zoned_abs: zones in bytes, over the region's blocks; a zone without I/O is never drawn. */
static void test_zoned_abs(void **state)
{
	draw_zoned("zoned_abs:50/4k:0/8k:50/16k", DDIR_READ, 100, DRAWS);
	assert_true(fabs(share(0, 1, DRAWS) - 0.5) < 0.005);
	assert_true(share(1, 3, DRAWS) == 0.0);
	assert_true(fabs(share(3, 7, DRAWS) - 0.5) < 0.005);
	assert_true(share(7, 100, DRAWS) == 0.0);
	/* Zones past the region's end are job_init's error; a region of one block still draws in
	 * range. */
	draw_zoned("zoned:60/10:40/90", DDIR_READ, 1, 1000);
	assert_int_equal(counts[0], 1000);
}

static void test_no_memory(void **state)
{
	struct job_spec s = spec(DIST_ZIPF, 1200000, false, 0);
	struct dist_state d = {0};

	host_kmalloc_fail = true;
	assert_int_equal(dist_init(&d, &s, 1 << 20, 4096, 1), -ENOMEM);
	host_kmalloc_fail = false;
	dist_free(&d);
	s = zoned("zoned:50/50,100/10");
	host_kmalloc_fail = true;
	assert_int_equal(dist_init(&d, &s, 1 << 20, 4096, 1), -ENOMEM);
	host_kmalloc_fail = false;
	dist_free(&d);
	/* A state dist_init never saw (a uniform job's) is freed too. */
	memset(&d, 0, sizeof(d));
	dist_free(&d);
	assert_int_equal(host_live_allocs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fix_log2),
		cmocka_unit_test(test_fix_exp2_neg),
		cmocka_unit_test(test_fix_isqrt),
		cmocka_unit_test(test_zipf),
		cmocka_unit_test(test_zipf_bands),
		cmocka_unit_test(test_zipf_huge_region),
		cmocka_unit_test(test_zipf_centred),
		cmocka_unit_test(test_pareto),
		cmocka_unit_test(test_pareto_cdf),
		cmocka_unit_test(test_normal),
		cmocka_unit_test(test_normal_no_deviation),
		cmocka_unit_test(test_small_regions),
		cmocka_unit_test(test_same_seed_same_draws),
		cmocka_unit_test(test_zoned_shape),
		cmocka_unit_test(test_zoned_directions),
		cmocka_unit_test(test_zoned_abs),
		cmocka_unit_test(test_no_memory),
	};

	return cmocka_run_group_tests_name("dist", tests, NULL, NULL);
}
