// SPDX-License-Identifier: MIT
/*
 * Host unit tests for the I/O schedulers. Requests are queued while the
 * queue is stopped, then the fake device takes them one at a time (a ring
 * of one), so the order in its log is exactly the scheduler's dispatch
 * order. Each expected order below is traced by hand from Linux's
 * deadline_dispatch_requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/host_platform.h"
#include "tests/unit/test_block_fake.h"

#define CAP 65536

static u8 *buf;
static struct tio tios[64];
static int ntio;

static void submit(struct fake_dev *fd, unsigned op, sector_t sector)
{
	assert_true(ntio < (int)ARRAY_SIZE(tios));
	submit_bio(make_bio(&tios[ntio++], fd->disk, op, sector, 4096, buf, 0));
}

static struct fake_dev *setup_dev(const char *sched)
{
	struct fake_dev *fd = fake_create("vda", CAP);

	buf = page_buf(1);
	ntio = 0;
	if (sched)
		assert_int_equal(elevator_switch(fd->q, sched), 0);
	fd->ring_size = 1;
	fd->stop_before_peek = true;
	blk_stop_queue(fd->q);
	return fd;
}

/* Let the device take requests one by one until @n have been dispatched. */
static void dispatch_one_by_one(struct fake_dev *fd, unsigned n)
{
	blk_start_queue(fd->q);
	run_softirqs();
	while (fd->nlog < n) {
		unsigned before = fd->nlog;

		fake_complete(fd, 1);
		assert_true(fd->nlog > before);
	}
}

static void expect_order(struct fake_dev *fd, const sector_t *order, unsigned n)
{
	unsigned i;

	assert_int_equal(fd->nlog, n);
	for (i = 0; i < n; i++) {
		if (fd->log[i].sector != order[i])
			fail_msg("dispatch %u: sector %llu, expected %llu", i,
				 (unsigned long long)fd->log[i].sector,
				 (unsigned long long)order[i]);
	}
}

static void teardown_dev(struct fake_dev *fd)
{
	int i;

	fake_destroy(fd);
	for (i = 0; i < ntio; i++)
		assert_int_equal(tios[i].ended, 1);
	free(buf);
}

static void test_sorted_sweep(void **state)
{
	struct fake_dev *fd = setup_dev(NULL);
	static const sector_t order[] = {800, 1000, 100, 300, 500, 700};

	assert_string_equal(elevator_name(fd->q), "deadline");
	submit(fd, REQ_OP_READ, 800);
	submit(fd, REQ_OP_READ, 100);
	submit(fd, REQ_OP_READ, 1000);
	submit(fd, REQ_OP_READ, 500);
	submit(fd, REQ_OP_READ, 300);
	submit(fd, REQ_OP_READ, 700);
	/* The oldest first, then upwards from it; at the end, back to the oldest left. */
	dispatch_one_by_one(fd, 6);
	expect_order(fd, order, 6);
	teardown_dev(fd);
}

/*
 * Reads at 150, then a millisecond later at 100, 200 and 300, one request
 * per batch; after two dispatches (150, then the sweep goes on to 200),
 * @wait_ms pass before the rest are dispatched in @order. @read_expire_ms,
 * when not 0, is set first.
 */
static void expiry_case(long read_expire_ms, u64 wait_ms, const sector_t *order)
{
	struct fake_dev *fd = setup_dev(NULL);

	assert_int_equal(elv_set_tunable(fd->q, "fifo_batch", 1), 0);
	if (read_expire_ms)
		assert_int_equal(elv_set_tunable(fd->q, "read_expire", read_expire_ms), 0);
	submit(fd, REQ_OP_READ, 150);
	host_advance_ns(NSEC_PER_MSEC);
	submit(fd, REQ_OP_READ, 100);
	submit(fd, REQ_OP_READ, 200);
	submit(fd, REQ_OP_READ, 300);
	dispatch_one_by_one(fd, 2);
	host_advance_ns(wait_ms * NSEC_PER_MSEC);
	dispatch_one_by_one(fd, 4);
	expect_order(fd, order, 4);
	teardown_dev(fd);
}

static void test_fifo_expiry_interrupts_sweep(void **state)
{
	static const sector_t no_expiry[] = {150, 200, 300, 100};
	static const sector_t expiry[] = {150, 200, 100, 300};

	expiry_case(0, 0, no_expiry);
	expiry_case(0, 500, expiry); /* 100 was queued 500 ms ago: read_expire's default */
}

static void test_read_expire_tunable(void **state)
{
	static const sector_t order[] = {150, 200, 100, 300};

	/* The same as above, expired after 50 ms instead of 500. */
	expiry_case(50, 50, order);
}

/* Reads at 10, 20, ... 60, then writes at 1000, 2000, 3000: dispatched in @order. */
static void reads_then_writes(struct fake_dev *fd, const sector_t *order)
{
	int i;

	for (i = 1; i <= 6; i++)
		submit(fd, REQ_OP_READ, 10 * i);
	for (i = 1; i <= 3; i++)
		submit(fd, REQ_OP_WRITE, 1000 * i);
	dispatch_one_by_one(fd, 9);
	expect_order(fd, order, 9);
}

static void test_write_starvation_bound(void **state)
{
	struct fake_dev *fd = setup_dev(NULL);
	static const sector_t order[] = {10, 20, 1000, 30, 40, 2000, 50, 60, 3000};
	int i;

	/* One request per batch: two read batches, then writes get one. */
	assert_int_equal(elv_set_tunable(fd->q, "fifo_batch", 1), 0);
	reads_then_writes(fd, order);
	for (i = 0; i < 9; i++)
		assert_int_equal(fd->log[i].op,
				 fd->log[i].sector >= 1000 ? REQ_OP_WRITE : REQ_OP_READ);
	teardown_dev(fd);
}

static void test_fifo_batch(void **state)
{
	struct fake_dev *fd = setup_dev(NULL);
	static const sector_t order[] = {10, 20, 1000, 2000, 30, 40, 3000, 50, 60};

	/* Batches of two; writes may be passed over once. */
	assert_int_equal(elv_set_tunable(fd->q, "fifo_batch", 2), 0);
	assert_int_equal(elv_set_tunable(fd->q, "writes_starved", 1), 0);
	reads_then_writes(fd, order);
	teardown_dev(fd);
}

static void test_default_batch_keeps_sweeping(void **state)
{
	struct fake_dev *fd = setup_dev(NULL);
	static const sector_t order[] = {10, 20, 30, 40, 50, 60, 1000, 2000, 3000};

	/* With the defaults (batch 16) the read sweep finishes before writes. */
	reads_then_writes(fd, order);
	teardown_dev(fd);
}

static void front_merge_case(bool front_merges, unsigned expect_requests)
{
	struct fake_dev *fd = setup_dev(NULL);

	assert_int_equal(elv_set_tunable(fd->q, "front_merges", front_merges), 0);
	submit(fd, REQ_OP_READ, 8);
	/* Make another request the last merged one, so only the tree can find 8. */
	submit(fd, REQ_OP_READ, 100);
	submit(fd, REQ_OP_READ, 108);
	submit(fd, REQ_OP_READ, 0);
	dispatch_one_by_one(fd, expect_requests);
	assert_int_equal(fd->nlog, expect_requests);
	assert_int_equal(qcounters(fd->q).front_merges, front_merges ? 1 : 0);
	teardown_dev(fd);
}

static void test_front_merges_tunable(void **state)
{
	front_merge_case(true, 2);
	front_merge_case(false, 3);
}

static void test_noop_is_fifo_with_merges(void **state)
{
	struct fake_dev *fd = setup_dev("noop");
	static const sector_t order[] = {800, 100, 1000, 500};

	assert_string_equal(elevator_name(fd->q), "noop");
	submit(fd, REQ_OP_READ, 800);
	submit(fd, REQ_OP_READ, 100);
	submit(fd, REQ_OP_WRITE, 1000);
	submit(fd, REQ_OP_READ, 500);
	submit(fd, REQ_OP_READ, 108); /* back merge by the hash */
	dispatch_one_by_one(fd, 4);
	expect_order(fd, order, 4);
	assert_int_equal(fd->log[1].sectors, 16);
	assert_int_equal(qcounters(fd->q).back_merges, 1);
	teardown_dev(fd);
}

static void test_tunables(void **state)
{
	struct fake_dev *fd = setup_dev(NULL);
	long v;

	assert_int_equal(elv_get_tunable(fd->q, "read_expire", &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(elv_get_tunable(fd->q, "write_expire", &v), 0);
	assert_int_equal(v, 5000);
	assert_int_equal(elv_get_tunable(fd->q, "writes_starved", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(elv_get_tunable(fd->q, "fifo_batch", &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(elv_get_tunable(fd->q, "front_merges", &v), 0);
	assert_int_equal(v, 1);

	assert_int_equal(elv_set_tunable(fd->q, "write_expire", 7), 0);
	assert_int_equal(elv_get_tunable(fd->q, "write_expire", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(elv_set_tunable(fd->q, "read_expire", -1), -EINVAL);
	assert_int_equal(elv_set_tunable(fd->q, "fifo_batch", -3), -EINVAL);
	assert_int_equal(elv_set_tunable(fd->q, "front_merges", 2), -EINVAL);
	assert_int_equal(elv_set_tunable(fd->q, "quantum", 4), -EINVAL);
	assert_int_equal(elv_get_tunable(fd->q, "quantum", &v), -EINVAL);

	/* Switching resets the tunables; noop has none. */
	blk_start_queue(fd->q);
	run_softirqs();
	assert_int_equal(elevator_switch(fd->q, "cfq"), -EINVAL);
	assert_string_equal(elevator_name(fd->q), "deadline");
	assert_int_equal(elevator_switch(fd->q, "noop"), 0);
	assert_int_equal(elv_set_tunable(fd->q, "fifo_batch", 4), -EINVAL);
	assert_int_equal(elevator_switch(fd->q, "deadline"), 0);
	assert_int_equal(elv_get_tunable(fd->q, "write_expire", &v), 0);
	assert_int_equal(v, 5000);
	teardown_dev(fd);
}

static void test_switch_waits_for_queued_requests(void **state)
{
	struct fake_dev *fd = setup_dev(NULL);
	int i;

	fd->ring_size = 64;
	fd->complete_in_fn = true;
	for (i = 0; i < 5; i++)
		submit(fd, REQ_OP_WRITE, 100 * i);
	blk_start_queue(fd->q);
	assert_int_equal(elevator_switch(fd->q, "noop"), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(tios[i].ended, 1);
	assert_int_equal(fd->q->nr_sorted, 0);
	teardown_dev(fd);
}

static void test_merged_requests_keep_earliest_expiry(void **state)
{
	struct fake_dev *fd = setup_dev(NULL);
	static const sector_t order[] = {100, 0, 500};

	/*
	 * 16 is queued first; 0 a little later; 8 then joins 0 and 16 into one
	 * request, which must keep 16's FIFO place and expiry: once that has
	 * passed it goes before the younger request at 500.
	 */
	assert_int_equal(elv_set_tunable(fd->q, "fifo_batch", 1), 0);
	submit(fd, REQ_OP_READ, 100);
	submit(fd, REQ_OP_READ, 16);
	host_advance_ns(100 * NSEC_PER_MSEC);
	submit(fd, REQ_OP_READ, 500);
	submit(fd, REQ_OP_READ, 0);
	submit(fd, REQ_OP_READ, 8);
	assert_int_equal(qcounters(fd->q).rq_merges, 1);
	dispatch_one_by_one(fd, 1); /* 100, the oldest; the sweep goes on to 500 next */
	host_advance_ns(450 * NSEC_PER_MSEC);
	dispatch_one_by_one(fd, 3);
	expect_order(fd, order, 3);
	assert_int_equal(fd->log[1].sectors, 24);
	teardown_dev(fd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, block_test_setup, block_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_sorted_sweep),
		T(test_fifo_expiry_interrupts_sweep),
		T(test_read_expire_tunable),
		T(test_write_starvation_bound),
		T(test_fifo_batch),
		T(test_default_batch_keeps_sweeping),
		T(test_front_merges_tunable),
		T(test_noop_is_fifo_with_merges),
		T(test_tunables),
		T(test_switch_waits_for_queued_requests),
		T(test_merged_requests_keep_earliest_expiry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
