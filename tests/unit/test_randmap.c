/* SPDX-License-Identifier: MIT */
/* The random map: every block exactly once per pass, a new order each pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench/randmap.h"

static void check_pass(struct randmap *m, u64 n, u64 *order)
{
	unsigned char *seen = calloc(n, 1);

	assert_non_null(seen);
	for (u64 i = 0; i < n; i++) {
		u64 b = randmap_next(m);
		assert_true(b < n);
		assert_false(seen[b]);
		seen[b] = 1;
		if (order)
			order[i] = b;
	}
	free(seen);
}

static void test_every_block_once(void **state)
{
	static const u64 sizes[] = {1, 2, 3, 7, 64, 100, 1000, 4096, 65537, 250000};

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct randmap m;
		randmap_init(&m, sizes[s], 42 + s);
		check_pass(&m, sizes[s], NULL);
		check_pass(&m, sizes[s], NULL); /* the second pass too */
	}
}

static void test_passes_differ_and_are_shuffled(void **state)
{
	enum { N = 1000 };
	u64 a[N], b[N];
	struct randmap m;
	unsigned same = 0, in_place = 0;

	randmap_init(&m, N, 7);
	check_pass(&m, N, a);
	check_pass(&m, N, b);
	for (unsigned i = 0; i < N; i++) {
		same += a[i] == b[i];
		in_place += a[i] == i;
	}
	assert_true(same < N / 10);
	assert_true(in_place < N / 10);
}

static void test_seed_changes_order(void **state)
{
	enum { N = 512 };
	u64 a[N], b[N];
	struct randmap m1, m2;

	randmap_init(&m1, N, 1);
	randmap_init(&m2, N, 2);
	check_pass(&m1, N, a);
	check_pass(&m2, N, b);
	assert_true(memcmp(a, b, sizeof(a)) != 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_block_once),
		cmocka_unit_test(test_passes_differ_and_are_shuffled),
		cmocka_unit_test(test_seed_changes_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
