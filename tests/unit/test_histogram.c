/* SPDX-License-Identifier: MIT */
/* The latency histogram: bucket precision, percentiles, mean, extremes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "bench/histogram.h"

static struct histogram h;

static void test_empty(void **state)
{
	hist_init(&h);
	assert_int_equal(hist_percentile(&h, 5000), 0);
	assert_int_equal(hist_mean(&h), 0);
}

static void test_small_values_exact(void **state)
{
	hist_init(&h);
	for (u64 v = 1; v <= 50; v++)
		hist_add(&h, v);
	assert_int_equal(hist_percentile(&h, 5000), 25);
	assert_int_equal(hist_percentile(&h, 10000), 50);
	assert_int_equal(h.min, 1);
	assert_int_equal(h.max, 50);
	assert_int_equal(hist_mean(&h), 25); /* 1275 / 50 */
}

/* Every value comes back from its percentile within 1/64 above it. */
static void test_precision(void **state)
{
	u64 v = 1;
	for (int i = 0; i < 2000; i++) {
		v = v * 1103515245 + 12345;
		u64 x = (v >> 16) % 10000000000ull + 1;
		hist_init(&h);
		hist_add(&h, x);
		hist_add(&h, x * 2 + 1000); /* a larger max so clamping does not hide errors */
		u64 p = hist_percentile(&h, 5000);
		assert_true(p >= x);
		assert_true(p - x <= x / 64 + 1);
	}
}

static void test_percentiles_of_uniform(void **state)
{
	hist_init(&h);
	for (u64 v = 1; v <= 100000; v++)
		hist_add(&h, v * 1000);
	u64 p50 = hist_percentile(&h, 5000), p99 = hist_percentile(&h, 9900);
	u64 p999 = hist_percentile(&h, 9990);
	assert_true(p50 >= 50000000 && p50 <= 50000000 + 50000000 / 64);
	assert_true(p99 >= 99000000 && p99 <= 99000000 + 99000000 / 64);
	assert_true(p999 >= 99900000 && p999 <= 100000000);
	assert_int_equal(hist_percentile(&h, 10000), 100000000);
}

static void test_huge_value(void **state)
{
	hist_init(&h);
	hist_add(&h, ~0ull);
	assert_int_equal(hist_percentile(&h, 5000), ~0ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),	   cmocka_unit_test(test_small_values_exact),
		cmocka_unit_test(test_precision),  cmocka_unit_test(test_percentiles_of_uniform),
		cmocka_unit_test(test_huge_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
