// SPDX-License-Identifier: MIT
/*
 * Host unit tests for blk-mq (block/blk-mq*.c, block/mq-deadline.c) with
 * the fake driver's blk-mq face (test_block_fake.c): which hardware
 * context each CPU's I/O goes through, how requests are batched towards
 * the device (bd->last, commit_rqs), tags and what happens when they run
 * out, both schedulers, completion on the submitting CPU, errors, retries,
 * timeouts and requeues.
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

#define CAP 16384 /* sectors: 8 MiB */

static void softirqs_on(unsigned cpu)
{
	unsigned saved = host_cpu;

	host_cpu = cpu;
	run_softirqs();
	host_cpu = saved;
}

/* A disk on the mq path with scheduler none (the tests of mq-deadline switch to it). */
static struct fake_dev *mq_disk(unsigned nr_hw_queues, unsigned depth)
{
	struct fake_dev *fd = fake_create("vda", CAP);

	fake_enable_mq(fd, nr_hw_queues, depth);
	assert_int_equal(elevator_switch(fd->q, "none"), 0);
	return fd;
}

/* Linux's default scheduler: mq-deadline with one hardware queue, none with several. */
static void test_mq_default_scheduler(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);

	fake_enable_mq(fd, 1, 16);
	assert_string_equal(elevator_name(fd->q), "mq-deadline");
	fake_destroy(fd);
	fd = fake_create("vda", CAP);
	fake_enable_mq(fd, 2, 16);
	assert_string_equal(elevator_name(fd->q), "none");
	fake_destroy(fd);
}

/* Data written through the mq path reads back; every bio ends once. */
static void test_mq_data_round_trip(void **state)
{
	struct fake_dev *fd = mq_disk(1, 16);
	u8 *w = page_buf(4), *r = page_buf(4);
	struct tio a, b;

	pattern_fill(w, 64, 16384, 3);
	submit_bio(make_bio(&a, fd->disk, REQ_OP_WRITE, 64, 16384, w, 0));
	fake_settle(fd);
	assert_int_equal(a.ended, 1);
	assert_int_equal(a.status, 0);
	submit_bio(make_bio(&b, fd->disk, REQ_OP_READ, 64, 16384, r, 0));
	fake_settle(fd);
	assert_int_equal(b.ended, 1);
	assert_true(pattern_check(r, 64, 16384, 3));
	assert_int_equal(fd->log[0].hw_queue, 0);
	assert_true(fd->log[0].last);
	assert_int_equal(qcounters(fd->q).dispatched, 2);
	assert_int_equal(qcounters(fd->q).completions, 2);
	assert_string_equal(blk_path_name(fd->q->path), "mq");
	assert_string_equal(elevator_name(fd->q), "none");
	fake_destroy(fd);
	free(w);
	free(r);
}

/* CPU i goes through hardware context i mod nr_hw_queues. */
static void test_mq_cpu_to_queue_map(void **state)
{
	struct fake_dev *fd;
	u8 *buf = page_buf(4);
	struct tio t[4];

	host_nr_cpus = 4;
	fd = mq_disk(2, 16);
	for (unsigned cpu = 0; cpu < 4; cpu++) {
		host_cpu = cpu;
		submit_bio(make_bio(&t[cpu], fd->disk, REQ_OP_READ, cpu * 64, 4096,
				    buf + cpu * 4096, 0));
		assert_int_equal(fd->log[cpu].hw_queue, (int)(cpu % 2));
		assert_int_equal(fd->log[cpu].cpu, cpu);
		assert_ptr_equal(blk_mq_map_queue(fd->q, cpu), blk_mq_hctx(fd->q, cpu % 2));
	}
	fake_complete_all(fd);
	for (unsigned cpu = 0; cpu < 4; cpu++) {
		softirqs_on(cpu);
		assert_int_equal(t[cpu].ended, 1);
	}
	host_cpu = 0;
	fake_destroy(fd);
	free(buf);
}

/*
 * A plugged burst reaches the driver as one batch per hardware context:
 * every request but the last with bd->last false, so one notification.
 */
static void test_mq_plug_batches_with_last(void **state)
{
	struct fake_dev *fd = mq_disk(1, 64);
	u64 runs = blk_mq_hctx(fd->q, 0)->runs;
	u8 *buf = page_buf(8);
	struct blk_plug plug;
	struct tio t[8];

	blk_start_plug(&plug);
	for (unsigned i = 0; i < 8; i++)
		submit_bio(
			make_bio(&t[i], fd->disk, REQ_OP_READ, i * 128, 4096, buf + i * 4096, 0));
	assert_int_equal(fd->nlog, 0);
	blk_finish_plug(&plug);
	assert_int_equal(fd->nlog, 8);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(fd->log[i].last, i == 7);
	assert_int_equal(fd->mq_notifies[0], 1);
	assert_int_equal(fd->mq_commits[0], 0);
	/* With no scheduler, straight from the plug to the driver: no run of the context. */
	assert_int_equal(blk_mq_hctx(fd->q, 0)->direct, 1);
	assert_int_equal(blk_mq_hctx(fd->q, 0)->runs, runs);
	/* Without a plug, every request is its own batch. */
	fake_settle(fd);
	submit_bio(make_bio(&t[0], fd->disk, REQ_OP_READ, 4000, 4096, buf, 0));
	assert_true(fd->log[8].last);
	fake_settle(fd);
	fake_destroy(fd);
	free(buf);
}

/*
 * A plug goes straight to the driver only when nothing of its CPU waits
 * before it: with requests the device refused waiting on the context's
 * dispatch list, or the context stopped, the next plug queues behind them
 * and the device sees every request in the order it was submitted.
 */
static void test_mq_plug_direct_keeps_order(void **state)
{
	struct fake_dev *fd = mq_disk(1, 64);
	struct blk_mq_hw_ctx *hctx = blk_mq_hctx(fd->q, 0);
	u8 *buf = page_buf(8);
	struct blk_plug plug;
	struct tio t[8];
	unsigned i;

	fd->mq_ring_size = 2;
	blk_start_plug(&plug);
	for (i = 0; i < 4; i++)
		submit_bio(
			make_bio(&t[i], fd->disk, REQ_OP_READ, i * 128, 4096, buf + i * 4096, 0));
	blk_finish_plug(&plug);
	assert_int_equal(fd->nlog, 2); /* two taken, two waiting on the dispatch list */
	assert_int_equal(hctx->direct, 1);
	blk_start_plug(&plug);
	submit_bio(make_bio(&t[4], fd->disk, REQ_OP_READ, 4 * 128, 4096, buf + 4 * 4096, 0));
	blk_finish_plug(&plug);
	assert_int_equal(hctx->direct, 1); /* queued behind them instead */
	assert_int_equal(fd->nlog, 2);

	fake_settle(fd);
	assert_int_equal(fd->nlog, 5);

	blk_mq_stop_hw_queue(hctx); /* room on the device, but the context is stopped */
	blk_start_plug(&plug);
	for (i = 5; i < 8; i++)
		submit_bio(
			make_bio(&t[i], fd->disk, REQ_OP_READ, i * 128, 4096, buf + i * 4096, 0));
	blk_finish_plug(&plug);
	assert_int_equal(hctx->direct, 1);
	assert_int_equal(fd->nlog, 5);
	blk_mq_start_stopped_hw_queues(fd->q, false);
	fake_settle(fd);
	assert_int_equal(fd->nlog, 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(fd->log[i].sector, i * 128);
		assert_int_equal(t[i].ended, 1);
	}
	fake_destroy(fd);
	free(buf);
}

/* A plugged sequential burst merges into one request before it leaves. */
static void test_mq_plug_merges(void **state)
{
	struct fake_dev *fd = mq_disk(1, 64);
	u8 *buf = page_buf(4);
	struct blk_plug plug;
	struct tio t[4];

	blk_start_plug(&plug);
	for (unsigned i = 0; i < 4; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_WRITE, i * 8, 4096, buf + i * 4096, 0));
	blk_finish_plug(&plug);
	assert_int_equal(fd->nlog, 1);
	assert_int_equal(fd->log[0].nr_bios, 4);
	assert_int_equal(fd->log[0].sectors, 32);
	assert_int_equal(qcounters(fd->q).back_merges, 3);
	fake_settle(fd);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(t[i].ended, 1);
	fake_destroy(fd);
	free(buf);
}

/*
 * The device fills up in the middle of a batch: what it took is committed
 * (commit_rqs, since no request with last went), the refused request waits
 * at the front and goes after the next completion, in order.
 */
static void test_mq_busy_commits_and_restarts(void **state)
{
	struct fake_dev *fd = mq_disk(1, 64);
	u8 *buf = page_buf(8);
	struct blk_plug plug;
	struct tio t[6];

	fd->mq_ring_size = 4;
	blk_start_plug(&plug);
	for (unsigned i = 0; i < 6; i++)
		submit_bio(
			make_bio(&t[i], fd->disk, REQ_OP_READ, i * 128, 4096, buf + i * 4096, 0));
	blk_finish_plug(&plug);
	assert_int_equal(fd->nlog, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_false(fd->log[i].last);
	assert_int_equal(fd->mq_commits[0], 1);
	assert_int_equal(fd->mq_notifies[0], 1);
	assert_true(blk_mq_hctx(fd->q, 0)->busy >= 1);
	fake_complete(fd, 1);
	assert_int_equal(fd->nlog, 5);
	assert_int_equal(fd->log[4].sector, 4 * 128);
	fake_settle(fd);
	assert_int_equal(fd->nlog, 6);
	assert_int_equal(fd->log[5].sector, 5 * 128);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(t[i].ended, 1);
	fake_destroy(fd);
	free(buf);
}

/*
 * As virtio-blk and Linux's virtio_queue_rq: the driver starts a request
 * before it finds the ring full and gives it back busy. Dispatched again,
 * it must start afresh, untimed meanwhile and counted once: with either
 * scheduler, on a device two requests deep, sixteen requests each reach
 * the device once and end once.
 */
static void test_mq_busy_after_start(void **state)
{
	static const char *const scheds[] = {"none", "mq-deadline"};

	for (unsigned s = 0; s < ARRAY_SIZE(scheds); s++) {
		struct fake_dev *fd = mq_disk(1, 64);
		u8 *buf = page_buf(16);
		struct blk_plug plug;
		struct tio t[16];

		assert_int_equal(elevator_switch(fd->q, scheds[s]), 0);
		fd->mq_ring_size = 2;
		fd->mq_start_then_busy = true;
		blk_start_plug(&plug);
		for (unsigned i = 0; i < 16; i++)
			submit_bio(make_bio(&t[i], fd->disk, REQ_OP_READ, i * 64, 4096,
					    buf + i * 4096, 0));
		blk_finish_plug(&plug);
		assert_int_equal(fd->nlog, 2);
		assert_true(blk_mq_hctx(fd->q, 0)->busy >= 1);
		assert_int_equal(qcounters(fd->q).dispatched, 2);
		fake_settle(fd);
		assert_int_equal(fd->nlog, 16);
		assert_int_equal(qcounters(fd->q).dispatched, 16);
		for (unsigned i = 0; i < 16; i++)
			assert_int_equal(t[i].ended, 1);
		fake_destroy(fd);
		free(buf);
	}
}

/* As virtio-blk: a full device stops the context; a completion restarts it. */
static void test_mq_stop_and_restart(void **state)
{
	struct fake_dev *fd = mq_disk(1, 64);
	u8 *buf = page_buf(4);
	struct tio t[3];

	fd->mq_ring_size = 2;
	fd->mq_stop_when_full = true;
	for (unsigned i = 0; i < 3; i++)
		submit_bio(
			make_bio(&t[i], fd->disk, REQ_OP_READ, i * 128, 4096, buf + i * 4096, 0));
	assert_int_equal(fd->nlog, 2);
	assert_true(blk_mq_hctx_stopped(blk_mq_hctx(fd->q, 0)));
	fake_complete(fd, 1);
	assert_false(blk_mq_hctx_stopped(blk_mq_hctx(fd->q, 0)));
	assert_int_equal(fd->nlog, 3);
	fake_settle(fd);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(t[i].ended, 1);
	fake_destroy(fd);
	free(buf);
}

/*
 * A queue set up for blk-mq allocates its requests when it first takes
 * path=mq, one per tag it can hand out, and only once.
 */
static void test_mq_requests_on_first_use(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	struct blk_mq_hw_ctx *hctx;
	struct request *first;

	fake_init_mq(fd, 2, 48);
	for (unsigned i = 0; i < 2; i++) {
		hctx = blk_mq_hctx(fd->q, i);
		assert_null(hctx->rqs);
		assert_int_equal(hctx->nr_rqs, 0);
	}
	assert_int_equal(blk_queue_set_path(fd->q, BLK_PATH_MQ), 0);
	for (unsigned i = 0; i < 2; i++) {
		hctx = blk_mq_hctx(fd->q, i);
		assert_non_null(hctx->rqs);
		/* mq-deadline's scheduler tags: twice the depth. */
		assert_int_equal(hctx->nr_rqs, 96);
		for (unsigned t = 0; t < hctx->nr_rqs; t++) {
			assert_ptr_equal(hctx->rqs[t]->mq_hctx, hctx);
			assert_int_equal(hctx->rqs[t]->tag, -1);
		}
	}
	first = blk_mq_hctx(fd->q, 0)->rqs[0];
	assert_int_equal(blk_queue_set_path(fd->q, BLK_PATH_REQUEST), 0);
	assert_int_equal(blk_queue_set_path(fd->q, BLK_PATH_MQ), 0);
	assert_ptr_equal(blk_mq_hctx(fd->q, 0)->rqs[0], first);
	fake_destroy(fd);
}

/* Tags are sized from the device queue; with a scheduler there are twice as many, up to 128. */
static void test_mq_tag_sizing(void **state)
{
	struct fake_dev *fd = mq_disk(2, 48);

	assert_int_equal(blk_mq_hctx(fd->q, 0)->driver_tags.depth, 48);
	assert_int_equal(blk_mq_hctx(fd->q, 1)->driver_tags.depth, 48);
	assert_int_equal(fd->q->mq_nr_requests, 96);
	fake_destroy(fd);
	fd = mq_disk(1, 256);
	assert_int_equal(fd->q->mq_nr_requests, 256);
	assert_int_equal(blk_mq_set_queue_depth(fd->q, 300), -EINVAL);
	assert_int_equal(blk_mq_set_queue_depth(fd->q, 2), 0);
	assert_int_equal(blk_mq_hctx(fd->q, 0)->driver_tags.depth, 2);
	fake_destroy(fd);
}

/*
 * Completion context finds no tag: its bios wait on the context's
 * backlog and go out, in order, as tags come back; none is lost.
 */
static void test_mq_tags_exhausted_in_completion_context(void **state)
{
	struct fake_dev *fd = mq_disk(1, 4);
	u8 *buf = page_buf(10);
	struct tio t[10];

	blk_atomic_enter();
	for (unsigned i = 0; i < 10; i++)
		submit_bio(
			make_bio(&t[i], fd->disk, REQ_OP_READ, i * 128, 4096, buf + i * 4096, 0));
	blk_atomic_exit();
	assert_int_equal(fd->nlog, 4);
	assert_false(bio_list_empty(&blk_mq_hctx(fd->q, 0)->backlog));
	fake_settle(fd);
	assert_int_equal(fd->nlog, 10);
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(t[i].ended, 1);
		assert_int_equal(fd->log[i].sector, i * 128);
	}
	fake_destroy(fd);
	free(buf);
}

/*
 * A request submitted on CPU 1 whose interrupt comes on CPU 0 completes
 * on CPU 1 (its softirq), where its bio ends.
 */
static void test_mq_completion_on_submitting_cpu(void **state)
{
	struct fake_dev *fd;
	u8 *buf = page_buf(1);
	struct tio t;

	host_nr_cpus = 2;
	fd = mq_disk(1, 16);
	host_cpu = 1;
	submit_bio(make_bio(&t, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	assert_int_equal(fd->nr_inflight, 1);
	host_cpu = 0;
	host_woken_cpus = 0;
	host_irq_depth++;
	blk_mq_complete_request(fd->inflight[0]);
	host_irq_depth--;
	assert_true(host_woken_cpus & 2ul);
	run_softirqs();
	assert_int_equal(t.ended, 0);
	softirqs_on(1);
	assert_int_equal(t.ended, 1);
	fake_destroy(fd);
	free(buf);
}

/* A failed request of several bios: each bio again alone; the error reaches only its own. */
static void test_mq_merged_failure_retried(void **state)
{
	struct fake_dev *fd = mq_disk(1, 16);
	u8 *buf = page_buf(4);
	struct blk_plug plug;
	struct tio t[4];

	fd->fail_enabled = true;
	fd->fail_sector = 17;
	fd->fail_error = -EIO;
	blk_start_plug(&plug);
	for (unsigned i = 0; i < 4; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_WRITE, i * 8, 4096, buf + i * 4096, 0));
	blk_finish_plug(&plug);
	fake_settle(fd);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(t[i].ended, 1);
		assert_int_equal(t[i].status, i == 2 ? -EIO : 0);
	}
	assert_int_equal(qcounters(fd->q).retries, 4);
	fake_destroy(fd);
	free(buf);
}

/* queue_rq refuses a request: it ends with the driver's error; the others go on. */
static void test_mq_queue_rq_error(void **state)
{
	struct fake_dev *fd = mq_disk(1, 16);
	u8 *buf = page_buf(2);
	struct tio a, b;

	fd->mq_refuse_sector = 64;
	submit_bio(make_bio(&a, fd->disk, REQ_OP_READ, 64, 4096, buf, 0));
	submit_bio(make_bio(&b, fd->disk, REQ_OP_READ, 128, 4096, buf + 4096, 0));
	fake_settle(fd);
	assert_int_equal(a.ended, 1);
	assert_int_equal(a.status, -EOPNOTSUPP);
	assert_int_equal(b.ended, 1);
	assert_int_equal(b.status, 0);
	fake_destroy(fd);
	free(buf);
}

/* A request the device never finishes: ops->timeout after rq_timeout; HANDLED ends it. */
static void test_mq_timeout(void **state)
{
	struct fake_dev *fd = mq_disk(1, 16);
	u8 *buf = page_buf(1);
	struct tio t;

	blk_queue_rq_timeout(fd->q, 5 * NSEC_PER_SEC);
	fd->timeout_ret = BLK_EH_HANDLED;
	submit_bio(make_bio(&t, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	host_advance_ns(4 * NSEC_PER_SEC);
	run_softirqs();
	assert_int_equal(fd->timeouts_seen, 0);
	host_advance_ns(2 * NSEC_PER_SEC);
	run_softirqs();
	assert_int_equal(fd->timeouts_seen, 1);
	assert_int_equal(t.ended, 1);
	assert_int_equal(t.status, -ETIMEDOUT);
	assert_int_equal(qcounters(fd->q).timeouts, 1);
	fd->nr_inflight = 0; /* the "device" let go of it */
	fd->mq_inflight[0] = 0;
	fake_destroy(fd);
	free(buf);
}

/* The device finishes it while the timeout handler runs: it completes once, late. */
static struct fake_dev *race_fd;

static enum blk_eh_timer_return racing_timeout(struct request *rq)
{
	race_fd->timeouts_seen++;
	blk_mq_complete_request(rq); /* the interrupt, during the handler */
	return BLK_EH_NOT_HANDLED;
}

static const struct blk_mq_ops *saved_ops;
static struct blk_mq_ops racing_ops;

static void test_mq_timeout_races_completion(void **state)
{
	struct fake_dev *fd = mq_disk(1, 16);
	u8 *buf = page_buf(1);
	struct tio t;

	race_fd = fd;
	saved_ops = fd->q->mq_ops;
	racing_ops = *saved_ops;
	racing_ops.timeout = racing_timeout;
	fd->q->mq_ops = &racing_ops;
	blk_queue_rq_timeout(fd->q, NSEC_PER_SEC);
	submit_bio(make_bio(&t, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	host_advance_ns(2 * NSEC_PER_SEC);
	run_softirqs();
	assert_int_equal(fd->timeouts_seen, 1);
	assert_int_equal(t.ended, 1);
	assert_int_equal(t.status, 0);
	/* A second report of the same completion changes nothing. */
	fake_settle(fd);
	assert_int_equal(t.ended, 1);
	fd->q->mq_ops = saved_ops;
	fake_destroy(fd);
	free(buf);
}

/* A requeued request goes to the front and out again; it ends once. */
static void test_mq_requeue(void **state)
{
	struct fake_dev *fd = mq_disk(1, 16);
	u8 *buf = page_buf(2);
	struct request *rq;
	struct tio a;

	submit_bio(make_bio(&a, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	assert_int_equal(fd->nlog, 1);
	rq = fd->inflight[0];
	fd->nr_inflight = 0;
	fd->mq_inflight[0] = 0;
	blk_mq_requeue_request(rq);
	assert_int_equal(qcounters(fd->q).requeues, 1);
	run_softirqs();
	assert_int_equal(fd->nlog, 2);
	assert_int_equal(fd->log[1].sector, 0);
	fake_settle(fd);
	assert_int_equal(a.ended, 1);
	fake_destroy(fd);
	free(buf);
}

/* Flushes pass through, on every scheduler. */
static void test_mq_flush(void **state)
{
	struct fake_dev *fd = mq_disk(1, 16);
	struct tio f, g;

	blk_queue_write_cache(fd->q, true, false);
	submit_bio(make_nodata_bio(&f, fd->disk, REQ_OP_FLUSH, 0, 0));
	fake_settle(fd);
	assert_int_equal(f.ended, 1);
	assert_int_equal(fd->log[0].op, REQ_OP_FLUSH);
	assert_int_equal(elevator_switch(fd->q, "mq-deadline"), 0);
	submit_bio(make_nodata_bio(&g, fd->disk, REQ_OP_FLUSH, 0, 0));
	fake_settle(fd);
	assert_int_equal(g.ended, 1);
	assert_int_equal(fd->log[1].op, REQ_OP_FLUSH);
	fake_destroy(fd);
}

/* With none, a bio joins a request waiting in its CPU's software queue. */
static void test_mq_none_merges_in_software_queue(void **state)
{
	struct fake_dev *fd = mq_disk(1, 16);
	u8 *buf = page_buf(2);
	struct tio a, b;

	blk_mq_stop_hw_queue(blk_mq_hctx(fd->q, 0));
	submit_bio(make_bio(&a, fd->disk, REQ_OP_WRITE, 0, 4096, buf, 0));
	submit_bio(make_bio(&b, fd->disk, REQ_OP_WRITE, 8, 4096, buf + 4096, 0));
	assert_int_equal(fd->nlog, 0);
	blk_mq_start_stopped_hw_queues(fd->q, false);
	assert_int_equal(fd->nlog, 1);
	assert_int_equal(fd->log[0].nr_bios, 2);
	fake_settle(fd);
	assert_int_equal(a.ended + b.ended, 2);
	fake_destroy(fd);
	free(buf);
}

/* ------------------------------------------------------------------------
 * mq-deadline
 */

/*
 * Requests beyond the device's depth wait in the scheduler with tags of
 * their own, and merge there: the seed's slow-disk claim on blk-mq.
 */
static void test_mq_deadline_merges_beyond_device_depth(void **state)
{
	struct fake_dev *fd = mq_disk(1, 64);
	u8 *buf = page_buf(16);
	struct tio t[16];

	assert_int_equal(elevator_switch(fd->q, "mq-deadline"), 0);
	assert_string_equal(elevator_name(fd->q), "mq-deadline");
	assert_int_equal(blk_mq_set_queue_depth(fd->q, 2), 0);
	for (unsigned i = 0; i < 16; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_WRITE, i * 8, 4096, buf + i * 4096, 0));
	/* Two on the device; the rest merged while they waited. */
	assert_int_equal(fd->nlog, 2);
	fake_settle(fd);
	assert_true(fd->nlog <= 4);
	assert_true(qcounters(fd->q).back_merges >= 12);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(t[i].ended, 1);
	fake_destroy(fd);
	free(buf);
}

/*
 * Sorted batches: a batch starts at the oldest request and sweeps up in
 * sector order; when the sweep runs off the end, the next batch starts
 * again at the oldest one left.
 */
static void test_mq_deadline_sorts(void **state)
{
	static const sector_t order[] = {800, 80, 400, 240, 960, 0};
	static const sector_t want[] = {800, 960, 80, 240, 400, 0};
	struct fake_dev *fd = mq_disk(1, 64);
	u8 *buf = page_buf(6);
	struct tio t[6];

	assert_int_equal(elevator_switch(fd->q, "mq-deadline"), 0);
	blk_mq_stop_hw_queue(blk_mq_hctx(fd->q, 0));
	for (unsigned i = 0; i < 6; i++)
		submit_bio(
			make_bio(&t[i], fd->disk, REQ_OP_READ, order[i], 4096, buf + i * 4096, 0));
	blk_mq_start_stopped_hw_queues(fd->q, false);
	assert_int_equal(fd->nlog, 6);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(fd->log[i].sector, want[i]);
	fake_settle(fd);
	fake_destroy(fd);
	free(buf);
}

/* An expired read goes ahead of the sorted sweep (read_expire, in ms). */
static void test_mq_deadline_expiry(void **state)
{
	struct fake_dev *fd = mq_disk(1, 64);
	u8 *buf = page_buf(4);
	long v;
	struct tio t[4];

	assert_int_equal(elevator_switch(fd->q, "mq-deadline"), 0);
	assert_int_equal(elv_get_tunable(fd->q, "read_expire", &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(elv_set_tunable(fd->q, "fifo_batch", 1), 0);
	assert_int_equal(elv_set_tunable(fd->q, "read_expire", 100), 0);
	blk_mq_stop_hw_queue(blk_mq_hctx(fd->q, 0));
	submit_bio(make_bio(&t[0], fd->disk, REQ_OP_READ, 900, 4096, buf, 0));
	host_advance_ns(200 * NSEC_PER_MSEC);
	submit_bio(make_bio(&t[1], fd->disk, REQ_OP_READ, 0, 4096, buf + 4096, 0));
	submit_bio(make_bio(&t[2], fd->disk, REQ_OP_READ, 100, 4096, buf + 8192, 0));
	blk_mq_start_stopped_hw_queues(fd->q, false);
	/* The oldest, expired, first; then the sweep goes on from it. */
	assert_int_equal(fd->log[0].sector, 900);
	fake_settle(fd);
	fake_destroy(fd);
	free(buf);
}

/* Linux's tunables and defaults, and values Linux refuses. */
static void test_mq_deadline_tunables(void **state)
{
	static const struct {
		const char *name;
		long def;
	} want[] = {
		{"read_expire", 500}, {"write_expire", 5000}, {"writes_starved", 2},
		{"front_merges", 1},  {"fifo_batch", 16},     {"async_depth", 96},
	};
	struct fake_dev *fd = mq_disk(1, 64);
	long v;

	assert_int_equal(elevator_switch(fd->q, "mq-deadline"), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(elv_get_tunable(fd->q, want[i].name, &v), 0);
		assert_int_equal(v, want[i].def);
		assert_true(elv_tunable_known(want[i].name));
	}
	assert_int_equal(elv_set_tunable(fd->q, "front_merges", 2), -EINVAL);
	assert_int_equal(elv_set_tunable(fd->q, "async_depth", 0), -EINVAL);
	assert_int_equal(elv_set_tunable(fd->q, "no_such_thing", 1), -EINVAL);
	assert_int_equal(elevator_switch(fd->q, "cfq"), -EINVAL);
	assert_int_equal(elevator_switch(fd->q, "none"), 0);
	assert_string_equal(elevator_name(fd->q), "none");
	assert_int_equal(elv_get_tunable(fd->q, "read_expire", &v), -EINVAL);
	fake_destroy(fd);
}

/* Asynchronous writes hold at most async_depth scheduler tags; reads may use the rest. */
static void test_mq_deadline_async_depth(void **state)
{
	struct fake_dev *fd = mq_disk(1, 4);
	u8 *buf = page_buf(10);
	struct tio t[10];

	assert_int_equal(elevator_switch(fd->q, "mq-deadline"), 0);
	assert_int_equal(fd->q->mq_nr_requests, 8);
	assert_int_equal(elv_set_tunable(fd->q, "async_depth", 3), 0);
	blk_mq_stop_hw_queue(blk_mq_hctx(fd->q, 0));
	blk_atomic_enter(); /* completion context: a bio without a tag waits on the backlog */
	for (unsigned i = 0; i < 5; i++)
		submit_bio(
			make_bio(&t[i], fd->disk, REQ_OP_WRITE, i * 128, 4096, buf + i * 4096, 0));
	assert_int_equal(blk_mq_tags_busy(&blk_mq_hctx(fd->q, 0)->sched_tags), 3);
	for (unsigned i = 5; i < 10; i++)
		submit_bio(
			make_bio(&t[i], fd->disk, REQ_OP_READ, i * 128, 4096, buf + i * 4096, 0));
	assert_int_equal(blk_mq_tags_busy(&blk_mq_hctx(fd->q, 0)->sched_tags), 8);
	blk_atomic_exit();
	blk_mq_start_stopped_hw_queues(fd->q, false);
	fake_settle(fd);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(t[i].ended, 1);
	fake_destroy(fd);
	free(buf);
}

/* Two hardware contexts, one mq-deadline: each request leaves through its own context. */
static void test_mq_deadline_dispatches_on_own_context(void **state)
{
	struct fake_dev *fd;
	u8 *buf = page_buf(4);
	struct tio t[4];

	host_nr_cpus = 2;
	fd = mq_disk(2, 16);
	assert_int_equal(elevator_switch(fd->q, "mq-deadline"), 0);
	blk_mq_stop_hw_queue(blk_mq_hctx(fd->q, 0));
	blk_mq_stop_hw_queue(blk_mq_hctx(fd->q, 1));
	for (unsigned i = 0; i < 4; i++) {
		host_cpu = i % 2;
		submit_bio(
			make_bio(&t[i], fd->disk, REQ_OP_READ, i * 256, 4096, buf + i * 4096, 0));
	}
	host_cpu = 0;
	blk_mq_start_stopped_hw_queues(fd->q, false);
	assert_int_equal(fd->nlog, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(fd->log[i].hw_queue, (int)(fd->log[i].sector / 256 % 2));
	fake_complete_all(fd);
	softirqs_on(1);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(t[i].ended, 1);
	fake_destroy(fd);
	free(buf);
}

/* Paths switch only on a drained queue; the mq path needs a tag set. */
static void test_mq_path_switching(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct tio a, b;

	assert_int_equal(blk_queue_set_path(fd->q, BLK_PATH_MQ), -EINVAL);
	assert_int_equal(blk_path_from_name("mq"), BLK_PATH_MQ);
	fake_enable_mq(fd, 1, 16);
	assert_int_equal(elevator_switch(fd->q, "none"), 0);
	submit_bio(make_bio(&a, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	fake_complete_all(fd);
	assert_int_equal(blk_queue_set_path(fd->q, BLK_PATH_REQUEST), 0);
	assert_int_equal(a.ended, 1);
	submit_bio(make_bio(&b, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	fake_settle(fd);
	assert_int_equal(b.ended, 1);
	assert_int_equal(fd->log[1].hw_queue, -1);
	fake_destroy(fd);
	free(buf);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, block_test_setup, block_test_teardown)
	const struct CMUnitTest tests[] = {
		T(test_mq_default_scheduler),
		T(test_mq_data_round_trip),
		T(test_mq_cpu_to_queue_map),
		T(test_mq_plug_batches_with_last),
		T(test_mq_plug_direct_keeps_order),
		T(test_mq_plug_merges),
		T(test_mq_busy_commits_and_restarts),
		T(test_mq_stop_and_restart),
		T(test_mq_tag_sizing),
		T(test_mq_requests_on_first_use),
		T(test_mq_tags_exhausted_in_completion_context),
		T(test_mq_completion_on_submitting_cpu),
		T(test_mq_merged_failure_retried),
		T(test_mq_busy_after_start),
		T(test_mq_queue_rq_error),
		T(test_mq_timeout),
		T(test_mq_timeout_races_completion),
		T(test_mq_requeue),
		T(test_mq_flush),
		T(test_mq_none_merges_in_software_queue),
		T(test_mq_deadline_merges_beyond_device_depth),
		T(test_mq_deadline_sorts),
		T(test_mq_deadline_expiry),
		T(test_mq_deadline_tunables),
		T(test_mq_deadline_async_depth),
		T(test_mq_deadline_dispatches_on_own_context),
		T(test_mq_path_switching),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
