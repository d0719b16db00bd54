/* SPDX-License-Identifier: MIT */
/*
 * The latency histogram: fio's bucket scheme and percentiles (checked
 * against numbers Debian's fio 3.33 computed), mean, deviation, merging.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "bench/histogram.h"
#include "fio_clat_fixture.h"

static struct histogram h, h2;

static void test_empty(void **state)
{
	hist_init(&h);
	assert_int_equal(hist_percentile(&h, 50000000), 0);
	assert_int_equal(hist_mean(&h), 0);
	assert_int_equal(hist_stddev_x1e6(&h), 0);
}

static void test_small_values_exact(void **state)
{
	hist_init(&h);
	for (u64 v = 1; v <= 50; v++)
		hist_add(&h, v);
	assert_int_equal(hist_percentile(&h, 50000000), 25);
	assert_int_equal(hist_percentile(&h, 100000000), 50);
	assert_int_equal(h.min, 1);
	assert_int_equal(h.max, 50);
	assert_int_equal(hist_mean(&h), 25); /* 1275 / 50 */
	assert_int_equal(hist_mean_x1e6(&h), 25500000);
}

/* Every value comes back from its percentile within half a bucket (1/128). */
static void test_precision(void **state)
{
	u64 v = 1;
	for (int i = 0; i < 2000; i++) {
		v = v * 1103515245 + 12345;
		u64 x = (v >> 16) % 10000000000ull + 1;
		hist_init(&h);
		hist_add(&h, x);
		u64 p = hist_percentile(&h, 50000000);
		u64 diff = p > x ? p - x : x - p;
		assert_true(diff <= x / 128 + 1);
	}
}

/* fio's own numbers: its bins in, its percentiles out. */
static void check_fixture(const unsigned long long (*bins)[2], size_t nbins, const void *pct_table,
			  size_t npct, unsigned long long n)
{
	const struct {
		unsigned long long p_x1e6, value;
	} *pct = pct_table;
	u64 total = 0;

	hist_init(&h);
	for (size_t i = 0; i < nbins; i++)
		for (unsigned long long k = 0; k < bins[i][1]; k++)
			hist_add(&h, bins[i][0]);
	for (size_t i = 0; i < nbins; i++)
		total += bins[i][1];
	assert_int_equal(total, n);
	/* Each bin key is a bucket's own value. */
	for (size_t i = 0; i < nbins; i++) {
		struct histogram one;
		hist_init(&one);
		hist_add(&one, bins[i][0]);
		assert_int_equal(hist_percentile(&one, 50000000), bins[i][0]);
	}
	for (size_t i = 0; i < npct; i++)
		assert_int_equal(hist_percentile(&h, pct[i].p_x1e6), pct[i].value);
}

static void test_matches_fio(void **state)
{
	check_fixture(fio_write_bins, sizeof(fio_write_bins) / sizeof(fio_write_bins[0]),
		      fio_write_pct, sizeof(fio_write_pct) / sizeof(fio_write_pct[0]), fio_write_n);
	check_fixture(fio_read_bins, sizeof(fio_read_bins) / sizeof(fio_read_bins[0]), fio_read_pct,
		      sizeof(fio_read_pct) / sizeof(fio_read_pct[0]), fio_read_n);
}

static void test_mean_and_stddev(void **state)
{
	/* 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample deviation sqrt(32/7). */
	static const u64 v[] = {2, 4, 4, 4, 5, 5, 7, 9};
	hist_init(&h);
	for (size_t i = 0; i < 8; i++)
		hist_add(&h, v[i]);
	assert_int_equal(hist_mean_x1e6(&h), 5000000);
	assert_true(llabs((long long)hist_stddev_x1e6(&h) - (long long)(sqrt(32.0 / 7) * 1e6)) <=
		    1);
	/* Large values (seconds in ns) keep their precision. */
	hist_init(&h);
	hist_add(&h, 3000000000ull);
	hist_add(&h, 1000000000ull);
	assert_int_equal(hist_mean_x1e6(&h), 2000000000ull * 1000000);
	assert_true(llabs((long long)(hist_stddev_x1e6(&h) / 1000000) - 1414213562) <= 1);
}

static void test_merge(void **state)
{
	hist_init(&h);
	hist_init(&h2);
	for (u64 x = 1; x <= 1000; x++)
		hist_add(x % 2 ? &h : &h2, x * 1000);
	hist_merge(&h, &h2);
	assert_int_equal(h.count, 1000);
	assert_int_equal(h.min, 1000);
	assert_int_equal(h.max, 1000000);
	assert_int_equal(hist_mean(&h), 500500);
	hist_init(&h2);
	hist_merge(&h, &h2); /* an empty histogram changes nothing */
	assert_int_equal(h.min, 1000);
}

static void test_huge_value(void **state)
{
	hist_init(&h);
	hist_add(&h, ~0ull);
	assert_int_equal(h.max, ~0ull);
	/* Beyond fio's 29 groups: the last bucket, as fio does. */
	assert_int_equal(hist_percentile(&h, 50000000), hist_bucket_value(HIST_BUCKETS - 1));
}

/*
 * fio's rule taken literally (the running sum times 10^8 reaches p times
 * N, in 128 bits) against hist_percentile's threshold and
 * hist_percentiles' single walk, over histograms of every shape and the
 * percentiles fio reports, including the edges, in order and not.
 */
static u64 percentile_by_definition(const struct histogram *hh, u64 p_x1e6)
{
	unsigned __int128 want = (unsigned __int128)p_x1e6 * hh->count, seen = 0;

	for (unsigned b = 0; b < HIST_BUCKETS; b++) {
		seen += hh->bucket[b];
		if (seen * 100000000u >= want && hh->bucket[b])
			return hist_bucket_value(b);
	}
	return hist_bucket_value(HIST_BUCKETS - 1);
}

static void test_percentile_threshold(void **state)
{
	static const u64 ps[] = {0,	   1,	     1000000,  5000000,	 10000000, 20000000,
				 30000000, 40000000, 50000000, 60000000, 70000000, 80000000,
				 90000000, 95000000, 99000000, 99500000, 99900000, 99950000,
				 99990000, 99999999, 100000000};
	u64 seed = 12345;

	for (unsigned round = 0; round < 300; round++) {
		unsigned n = round % 7 == 0 ? 1 : 1 + (unsigned)(round * 37 % 2000);

		hist_init(&h);
		for (unsigned i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			hist_add(&h, (seed >> 33) % (round % 2 ? 200 : 50000000));
		}
		u64 all[ARRAY_SIZE(ps)], odd[3];
		static const u64 unsorted[3] = {99000000, 50000000, 99900000};

		hist_percentiles(&h, ps, ARRAY_SIZE(ps), all);
		for (unsigned i = 0; i < ARRAY_SIZE(ps); i++) {
			assert_int_equal(hist_percentile(&h, ps[i]),
					 percentile_by_definition(&h, ps[i]));
			assert_int_equal(all[i], percentile_by_definition(&h, ps[i]));
		}
		hist_percentiles(&h, unsorted, 3, odd);
		for (unsigned i = 0; i < 3; i++)
			assert_int_equal(odd[i], percentile_by_definition(&h, unsorted[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),		cmocka_unit_test(test_small_values_exact),
		cmocka_unit_test(test_precision),	cmocka_unit_test(test_matches_fio),
		cmocka_unit_test(test_mean_and_stddev), cmocka_unit_test(test_merge),
		cmocka_unit_test(test_huge_value),	cmocka_unit_test(test_percentile_threshold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
