// SPDX-License-Identifier: MIT
/*
 * Randomized host tests of the whole request path. Each run draws queue
 * limits, scheduler tunables, a ring size, a request-pool size and a mix of
 * reads, writes and discards with random buffers (random vec sizes, offsets
 * and physical gaps), and submits them in bursts from process context
 * (sometimes plugged) and from completion context, with completions and
 * clock ticks in between. Then:
 *   - per op, every sector is dispatched as many times as it was submitted
 *     (nothing lost, nothing duplicated, splits and merges included);
 *   - every bio ended exactly once, without error;
 *   - the disk starts as a known pattern and writes carry the same pattern,
 *     so every read must return it whatever order the scheduler chose;
 *   - the fake driver checks each scatterlist against the bios it came
 *     from, and the teardown checks for leaks.
 * Failures print the seed; BLOCK_RANDOM_SEED=n reruns one.
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

#define CAP 4096 /* sectors */
#define MAX_VECS 160
#define NOPS 3 /* read, write, discard */

static u64 rng_state;

static u32 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (u32)(rng_state >> 11);
}

static struct fake_dev *cur_fd;

/*
 * Waiting for a free request idles the CPU until the device interrupts:
 * here the "device" finishes everything it holds at that moment.
 */
void cpu_idle_once(void)
{
	unsigned long flags;
	unsigned i;

	if (!cur_fd || !cur_fd->nr_inflight)
		fail_msg("idle with nothing in flight: nothing would wake us");
	flags = local_irq_save();
	for (i = 0; i < cur_fd->nr_inflight; i++)
		blk_complete_request(cur_fd->inflight[i]);
	local_irq_restore(flags);
}

struct rvec {
	uintptr_t off; /* into rb->buf */
	u32 len;
};

struct rbio {
	struct tio t;
	unsigned op;
	sector_t sector;
	u32 bytes;
	u8 *buf;
	struct rvec vecs[MAX_VECS];
	unsigned nvecs;
};

static int op_index(unsigned op)
{
	return op == REQ_OP_READ ? 0 : op == REQ_OP_WRITE ? 1 : 2;
}

static struct bio *build(struct rbio *rb, struct fake_dev *fd, u32 lbs, bool discard)
{
	u32 blocks = 1 + rng() % (65536 / lbs);
	u32 choice = rng() % 20;
	struct bio *bio;
	u32 done = 0, off;
	uintptr_t pos;
	unsigned i;

	rb->op = choice < 9 ? REQ_OP_READ : choice < 18 || !discard ? REQ_OP_WRITE : REQ_OP_DISCARD;
	rb->bytes = blocks * lbs;
	rb->sector = (sector_t)(rng() % (CAP / (lbs / SECTOR_SIZE))) * (lbs / SECTOR_SIZE);
	if (rb->sector + rb->bytes / SECTOR_SIZE > CAP)
		rb->bytes = (u32)(CAP - rb->sector) * SECTOR_SIZE;
	rb->nvecs = 0;
	rb->buf = NULL;
	if (rb->op == REQ_OP_DISCARD)
		return make_nodata_bio(&rb->t, NULL, REQ_OP_DISCARD, rb->sector, rb->bytes);

	/* Lay the vecs out at offsets from 0 first, then allocate just enough pages. */
	pos = SECTOR_SIZE * (rng() % 8);
	while (done < rb->bytes) {
		u32 want = SECTOR_SIZE * (1 + rng() % 8); /* MIN evaluates twice */
		u32 len = MIN(want, rb->bytes - done);

		off = (u32)(pos & (PAGE_SIZE - 1));
		if (off + len > PAGE_SIZE || rng() % 6 == 0) {
			/* Next page, or leave a physical gap before it. */
			pos = ALIGN_UP(pos + 1, PAGE_SIZE);
			if (rng() % 2)
				pos += PAGE_SIZE;
		}
		assert_true(rb->nvecs < MAX_VECS);
		rb->vecs[rb->nvecs].off = pos;
		rb->vecs[rb->nvecs].len = len;
		rb->nvecs++;
		pos += len;
		done += len;
	}
	rb->buf = page_buf((unsigned)(pos / PAGE_SIZE + 1));

	bio = bio_alloc(rb->nvecs);
	assert_non_null(bio);
	memset(&rb->t, 0, sizeof(rb->t));
	rb->t.bio = bio;
	bio->bi_sector = rb->sector;
	bio_set_op(bio, rb->op, 0);
	bio->bi_end_io = tio_endio;
	bio->bi_private = &rb->t;
	for (done = 0, i = 0; i < rb->nvecs; i++) {
		u8 *p = rb->buf + rb->vecs[i].off;
		u32 len = rb->vecs[i].len;

		off = (u32)(rb->vecs[i].off & (PAGE_SIZE - 1));
		if (rb->op == REQ_OP_WRITE)
			pattern_fill(p, rb->sector + done / SECTOR_SIZE, len, 0);
		assert_int_equal(bio_add_page(bio, p - off, len, off), (int)len);
		done += len;
	}
	return bio;
}

static void run_one(const char *sched, u64 seed, int nbios)
{
	static u16 submitted[NOPS][CAP], dispatched[NOPS][CAP];
	struct rbio *rbs = calloc(nbios, sizeof(*rbs));
	struct fake_dev *fd = fake_create("vda", CAP);
	u32 lbs;
	bool discard;
	int next = 0, i;
	unsigned j, k;

	rng_state = seed;
	lbs = rng() % 4 ? SECTOR_SIZE : 4096;
	cur_fd = fd;
	memset(submitted, 0, sizeof(submitted));
	memset(dispatched, 0, sizeof(dispatched));
	pattern_fill(fd->data, 0, CAP * SECTOR_SIZE, 0);

	assert_int_equal(elevator_switch(fd->q, sched), 0);
	blk_queue_logical_block_size(fd->q, lbs);
	blk_queue_max_hw_sectors(fd->q, 8 + rng() % 256);
	/* A 4 KiB block may come in eight 512-byte vecs: it must fit one request. */
	blk_queue_max_segments(fd->q, (u16)((lbs == 4096 ? 8 : 1) + rng() % 16));
	blk_queue_max_segment_size(fd->q, PAGE_SIZE * (1 + rng() % 16));
	discard = rng() % 2;
	if (discard)
		blk_queue_max_discard_sectors(fd->q, (lbs / SECTOR_SIZE) * (1 + rng() % 64));
	assert_int_equal(blk_queue_nr_requests(fd->q, 2 + rng() % 32), 0);
	fd->ring_size = 1 + rng() % 32;
	fd->stop_before_peek = rng() % 2;
	if (!strcmp(sched, "deadline")) {
		assert_int_equal(elv_set_tunable(fd->q, "fifo_batch", rng() % 20), 0);
		assert_int_equal(elv_set_tunable(fd->q, "writes_starved", rng() % 5), 0);
		assert_int_equal(elv_set_tunable(fd->q, "front_merges", rng() % 2), 0);
		assert_int_equal(elv_set_tunable(fd->q, "read_expire", rng() % 50), 0);
		assert_int_equal(elv_set_tunable(fd->q, "write_expire", rng() % 100), 0);
	}

	while (next < nbios) {
		u32 action = rng() % 10;

		if (action < 6) {
			int burst = 1 + rng() % 8;
			bool plug = rng() % 3 == 0, atomic = rng() % 4 == 0;
			struct blk_plug p;

			if (atomic)
				blk_atomic_enter(); /* as if from a bi_end_io */
			if (plug)
				blk_start_plug(&p);
			for (i = 0; i < burst && next < nbios; i++, next++) {
				struct rbio *rb = &rbs[next];
				struct bio *bio = build(rb, fd, lbs, discard);

				bio->bi_disk = fd->disk;
				for (j = 0; j < rb->bytes / SECTOR_SIZE; j++)
					submitted[op_index(rb->op)][rb->sector + j]++;
				submit_bio(bio);
			}
			if (plug)
				blk_finish_plug(&p);
			if (atomic)
				blk_atomic_exit();
		} else if (action < 9) {
			if (fd->nr_inflight)
				fake_complete(fd, 1 + rng() % fd->nr_inflight);
			else
				run_softirqs();
		} else {
			host_advance_ns((rng() % 20) * NSEC_PER_MSEC);
			run_softirqs();
		}
	}
	fake_settle(fd);
	for (k = 0; k < fd->nlog; k++)
		for (j = 0; j < fd->log[k].sectors; j++)
			dispatched[op_index(fd->log[k].op)][fd->log[k].sector + j]++;
	for (k = 0; k < NOPS; k++)
		for (j = 0; j < CAP; j++)
			if (submitted[k][j] != dispatched[k][j])
				fail_msg("seed %llu %s: op %u sector %u submitted %u times, "
					 "dispatched %u",
					 (unsigned long long)seed, sched, k, j, submitted[k][j],
					 dispatched[k][j]);
	for (i = 0; i < nbios; i++) {
		struct rbio *rb = &rbs[i];
		u32 done = 0;

		if (rb->t.ended != 1 || rb->t.status)
			fail_msg("seed %llu %s: bio %d ended %d times, status %d",
				 (unsigned long long)seed, sched, i, rb->t.ended, rb->t.status);
		for (j = 0; rb->op == REQ_OP_READ && j < rb->nvecs; j++) {
			if (!pattern_check(rb->buf + rb->vecs[j].off,
					   rb->sector + done / SECTOR_SIZE, rb->vecs[j].len, 0))
				fail_msg("seed %llu %s: bio %d read wrong data in vec %u",
					 (unsigned long long)seed, sched, i, j);
			done += rb->vecs[j].len;
		}
		free(rb->buf);
	}
	assert_true(pattern_check(fd->data, 0, CAP * SECTOR_SIZE, 0));
	assert_int_equal(qcounters(fd->q).completions, qcounters(fd->q).dispatched);
	assert_int_equal(qcounters(fd->q).errors, 0);
	cur_fd = NULL;
	fake_destroy(fd);
	free(rbs);
}

static void run_many(const char *sched)
{
	const char *one = getenv("BLOCK_RANDOM_SEED");
	u64 seed;

	if (one) {
		run_one(sched, strtoull(one, NULL, 0), 400);
		return;
	}
	for (seed = 1; seed <= 100; seed++) {
		/* Fresh block-layer state per seed, leak-checked each time. */
		block_test_teardown(NULL);
		block_test_setup(NULL);
		run_one(sched, seed * 0x9e3779b97f4a7c15ull, 300);
	}
}

static void test_random_deadline(void **state)
{
	run_many("deadline");
}

static void test_random_noop(void **state)
{
	run_many("noop");
}

#define T(f) cmocka_unit_test_setup_teardown(f, block_test_setup, block_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_random_deadline),
		T(test_random_noop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
