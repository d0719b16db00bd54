/* SPDX-License-Identifier: MIT */
/*
 * fio's random distributions (bench/dist.c), checked by their shapes:
 * zipf's hottest block takes 1/zeta(n, theta) of the draws, pareto:0.2
 * sends 80% of them to 20% of the blocks, normal:10 has its mean at the
 * center and a deviation of 10% of the region; every draw is in range.
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

#define N 1000
#define DRAWS 400000

static unsigned counts[N];

static void draw(enum rand_dist type, micro_t param, bool center, micro_t where)
{
	struct job_spec s = {0};
	struct dist_state d;

	s.dist = type;
	s.dist_param = param;
	s.dist_center = center ? where : MICRO / 2;
	s.dist_center_set = center;
	memset(counts, 0, sizeof(counts));
	dist_init(&d, &s, N, 12345);
	for (int i = 0; i < DRAWS; i++) {
		u64 v = dist_next(&d);
		assert_true(v < N);
		counts[v]++;
	}
}

static int by_count_desc(const void *a, const void *b)
{
	return (int)*(const unsigned *)b - (int)*(const unsigned *)a;
}

static void test_zipf(void **state)
{
	double zeta = 0, share;

	for (int i = 1; i <= N; i++)
		zeta += pow(i, -1.2);
	draw(DIST_ZIPF, 1200000, false, 0);
	qsort(counts, N, sizeof(counts[0]), by_count_desc);
	share = (double)counts[0] / DRAWS;
	assert_true(fabs(share - 1 / zeta) < 0.02);
	/* The second hottest: 2^-1.2 of the first. */
	assert_true(fabs((double)counts[1] / counts[0] - pow(2, -1.2)) < 0.05);
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

static void test_pareto(void **state)
{
	u64 top = 0;

	draw(DIST_PARETO, 200000, false, 0);
	qsort(counts, N, sizeof(counts[0]), by_count_desc);
	for (int i = 0; i < N / 5; i++)
		top += counts[i];
	assert_true(fabs((double)top / DRAWS - 0.8) < 0.03);
}

static void test_normal(void **state)
{
	double mean = 0, var = 0;

	draw(DIST_NORMAL, 10000000, false, 0);
	for (int i = 0; i < N; i++)
		mean += (double)i * counts[i];
	mean /= DRAWS;
	for (int i = 0; i < N; i++)
		var += (i - mean) * (i - mean) * counts[i];
	var /= DRAWS;
	assert_true(fabs(mean - N / 2.0) < 2);
	assert_true(fabs(sqrt(var) - N * 0.10) < 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zipf),
		cmocka_unit_test(test_zipf_centred),
		cmocka_unit_test(test_pareto),
		cmocka_unit_test(test_normal),
	};

	return cmocka_run_group_tests_name("dist", tests, NULL, NULL);
}
