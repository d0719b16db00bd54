/* SPDX-License-Identifier: MIT */
/*
 * fio's latency target search, window by window: the depths it steps
 * through for windows that pass or fail, the final window, the job's end,
 * latency_run, and fio's quirks (an empty window fails; a failed window at
 * depth 1 changes nothing). tests/tools/lattarget-vs-fio holds the kernel's
 * steps against Debian's fio's own (--debug=rate).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench/lattarget.h"

#define PCT(x) ((u64)((x)*1000000))
#define WINDOW 1000

static struct lat_target t;
static u64 now, ios;

static void start(u32 iodepth)
{
	now = 5;
	ios = 0;
	lat_target_init(&t, iodepth, true, ios, now);
	assert_int_equal(t.qd, 1);
}

/* One window of @n I/Os, @over of them over the target, judged at @pct. */
static enum lat_step window(u64 n, u64 over, u64 pct)
{
	enum lat_step step;

	for (u64 i = 0; i < over; i++)
		assert_int_equal(lat_target_over(&t, pct), LAT_NONE);
	ios += n;
	now += WINDOW - 1;
	assert_int_equal(lat_target_check(&t, WINDOW, pct, false, ios, now), LAT_NONE);
	now += 1;
	step = lat_target_check(&t, WINDOW, pct, false, ios, now);
	if (step == LAT_UP || step == LAT_DOWN || step == LAT_FINAL)
		lat_target_cycle(&t, ios, now);
	return step;
}

static void test_off(void **state)
{
	lat_target_init(&t, 32, false, 0, 0);
	assert_int_equal(t.qd, 32);
}

/* Every window passes: doubling to iodepth, one final window, done. */
static void test_doubles_to_iodepth(void **state)
{
	static const u32 steps[] = {2, 4, 8, 16, 24};

	start(24);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(window(100, 0, PCT(100)), LAT_UP);
		assert_int_equal(t.qd, steps[i]);
	}
	assert_int_equal(window(100, 0, PCT(100)), LAT_FINAL);
	assert_int_equal(t.qd, 24);
	assert_true(t.end_run);
	assert_int_equal(window(100, 0, PCT(100)), LAT_DONE);
}

/* A failed depth is bisected towards; one below it, three passes raise the ceiling. */
static void test_bisects(void **state)
{
	start(128);
	/* 1 -> 2 -> 4 -> 8 -> 16 pass, 16 fails (99 % < 99.5 %). */
	for (u32 qd = 1; qd < 16; qd *= 2)
		assert_int_equal(window(1000, 0, PCT(99.5)), LAT_UP);
	assert_int_equal(t.qd, 16);
	assert_int_equal(window(1000, 10, PCT(99.5)), LAT_DOWN);
	/* Down: high 16, halfway from low 8. */
	assert_int_equal(t.qd, 12);
	assert_int_equal(t.high, 16);
	assert_int_equal(t.low, 8);
	assert_int_equal(window(1000, 5, PCT(99.5)), LAT_UP); /* 99.5 % passes */
	assert_int_equal(t.qd, 14);
	assert_int_equal(window(1000, 6, PCT(99.5)), LAT_DOWN);
	assert_int_equal(t.qd, 13);
	assert_int_equal(t.high, 14);
	/* 13 is one below the ceiling: (13 + 14) / 2 stays 13, found. */
	assert_int_equal(window(1000, 0, PCT(99.5)), LAT_FINAL);
	assert_int_equal(t.qd, 13);
	assert_int_equal(t.stable, 1);
	assert_int_equal(window(1000, 0, PCT(99.5)), LAT_DONE);
}

/*
 * latency_run: the search never ends. A depth one below a failed one that
 * keeps passing raises that ceiling after three windows and moves on.
 */
static void test_latency_run(void **state)
{
	start(64);
	for (u32 qd = 1; qd < 8; qd *= 2)
		assert_int_equal(window(100, 0, PCT(100)), LAT_UP);
	assert_int_equal(t.qd, 8);
	assert_int_equal(window(100, 1, PCT(99)), LAT_UP); /* 99 % */
	assert_int_equal(t.qd, 16);
	assert_int_equal(window(100, 2, PCT(99)), LAT_DOWN);
	assert_int_equal(t.qd, 12);
	assert_int_equal(window(100, 2, PCT(99)), LAT_DOWN);
	assert_int_equal(t.qd, 10);
	assert_int_equal(window(100, 2, PCT(99)), LAT_DOWN);
	assert_int_equal(t.qd, 9);
	assert_int_equal(t.high, 10);
	for (unsigned i = 0; i < 2; i++) {
		ios += 100;
		now += WINDOW;
		assert_int_equal(lat_target_check(&t, WINDOW, PCT(99), true, ios, now), LAT_UP);
		lat_target_cycle(&t, ios, now);
		assert_int_equal(t.qd, 9);
	}
	ios += 100;
	now += WINDOW;
	assert_int_equal(lat_target_check(&t, WINDOW, PCT(99), true, ios, now), LAT_UP);
	assert_int_equal(t.high, 11);
	assert_int_equal(t.qd, 10);
}

/* With latency_percentile=100 one I/O over steps down at once; at depth 1 it is fatal. */
static void test_hundred_percent(void **state)
{
	start(32);
	assert_int_equal(window(10, 0, PCT(100)), LAT_UP);
	assert_int_equal(window(10, 0, PCT(100)), LAT_UP);
	assert_int_equal(t.qd, 4);
	assert_int_equal(lat_target_over(&t, PCT(100)), LAT_DOWN);
	assert_int_equal(t.qd, 3); /* high 4, low 2 */
	assert_int_equal(lat_target_over(&t, PCT(100)), LAT_DOWN);
	assert_int_equal(t.qd, 2);
	assert_int_equal(lat_target_over(&t, PCT(100)), LAT_DOWN);
	assert_int_equal(t.qd, 1); /* low was 2, is now 1 */
	assert_int_equal(lat_target_over(&t, PCT(100)), LAT_FATAL);
}

/* fio's quirks: no I/O in a window fails it; a failed window at depth 1 does nothing. */
static void test_quirks(void **state)
{
	start(8);
	assert_int_equal(window(0, 0, PCT(50)), LAT_NONE); /* at depth 1: nothing */
	assert_int_equal(t.qd, 1);
	/* No new window started: the next look judges the same one (now with I/O). */
	ios += 10;
	assert_int_equal(lat_target_check(&t, WINDOW, PCT(50), false, ios, now), LAT_UP);
	lat_target_cycle(&t, ios, now);
	assert_int_equal(t.qd, 2);
	now += WINDOW;
	assert_int_equal(lat_target_check(&t, WINDOW, PCT(50), false, ios, now), LAT_DOWN);
	assert_int_equal(t.qd, 1);
	/* A window shorter than its length is not judged. */
	lat_target_cycle(&t, ios, now);
	ios += 10;
	assert_int_equal(lat_target_check(&t, WINDOW, PCT(50), false, ios, now + WINDOW - 1),
			 LAT_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_doubles_to_iodepth),
		cmocka_unit_test(test_bisects),
		cmocka_unit_test(test_latency_run),
		cmocka_unit_test(test_hundred_percent),
		cmocka_unit_test(test_quirks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
