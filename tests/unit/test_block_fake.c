// SPDX-License-Identifier: MIT
/*
 * The fake driver behind the block-layer unit tests: see test_block_fake.h.
 *
 * It plays by the rules the real virtio-blk driver must follow, and checks
 * what the block layer owes it on every request: a scatterlist within
 * max_segments and max_segment_size whose bytes add up to the request,
 * bios that are contiguous on disk, never more than the ring holds.
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

u64 tio_end_seq;
static long allocs_at_setup, dma_at_setup;

int block_test_setup(void **state)
{
	host_platform_reset();
	/* BLOCK_TEST_VERBOSE=1 shows the block layer's messages. */
	host_printk_quiet = getenv("BLOCK_TEST_VERBOSE") == NULL;
	tio_end_seq = 0;
	allocs_at_setup = host_live_allocs;
	dma_at_setup = host_live_dma;
	assert_int_equal(blk_dev_init(), 0);
	return 0;
}

static void forget_disk(struct gendisk *disk, void *data)
{
	del_disk(disk);
}

int block_test_teardown(void **state)
{
	run_softirqs();
	/* After a failed test, later tests must still find the names free. */
	disk_for_each(forget_disk, NULL);
	blk_dev_exit();
	assert_int_equal(host_live_allocs, allocs_at_setup);
	assert_int_equal(host_live_dma, dma_at_setup);
	assert_int_equal(blk_atomic_depth(), 0);
	return 0;
}

void run_softirqs(void)
{
	while (do_softirq())
		;
}

void *page_buf(unsigned pages)
{
	void *p = aligned_alloc(PAGE_SIZE, (size_t)pages * PAGE_SIZE);

	assert_non_null(p);
	memset(p, 0, (size_t)pages * PAGE_SIZE);
	return p;
}

void tio_endio(struct bio *bio)
{
	struct tio *t = bio->bi_private;

	t->ended++;
	t->status = bio->bi_status;
	t->end_order = ++tio_end_seq;
	bio_put(bio);
}

struct bio *make_bio(struct tio *t, struct gendisk *disk, unsigned op, sector_t sector, u32 bytes,
		     void *buf, u32 vec_bytes)
{
	u32 step = vec_bytes ? vec_bytes : PAGE_SIZE;
	unsigned nvec = (bytes + step - 1) / step + 1;
	struct bio *bio = bio_alloc(nvec > BIO_MAX_VECS ? BIO_MAX_VECS : nvec);
	u32 done = 0;

	assert_non_null(bio);
	memset(t, 0, sizeof(*t));
	t->bio = bio;
	bio->bi_disk = disk;
	bio->bi_sector = sector;
	bio_set_op(bio, op, 0);
	bio->bi_end_io = tio_endio;
	bio->bi_private = t;
	while (done < bytes) {
		u8 *p = (u8 *)buf + done;
		u8 *page = (u8 *)((uintptr_t)p & ~(PAGE_SIZE - 1));
		u32 off = (u32)(p - page);
		u32 len = MIN(bytes - done, step);

		len = MIN(len, (u32)PAGE_SIZE - off);
		assert_int_equal(bio_add_page(bio, page, len, off), (int)len);
		done += len;
	}
	return bio;
}

struct bio *make_nodata_bio(struct tio *t, struct gendisk *disk, unsigned op, sector_t sector,
			    u32 bytes)
{
	struct bio *bio = bio_alloc(0);

	assert_non_null(bio);
	memset(t, 0, sizeof(*t));
	t->bio = bio;
	bio->bi_disk = disk;
	bio->bi_sector = sector;
	bio->bi_size = bytes;
	bio_set_op(bio, op, 0);
	bio->bi_end_io = tio_endio;
	bio->bi_private = t;
	return bio;
}

/* Each word names its sector and place in it, so any piece can be checked alone. */
static u32 pattern_word(sector_t sector, u32 i, u32 salt)
{
	sector_t s = sector + i / (SECTOR_SIZE / 4);

	return (u32)s * 2654435761u ^ (u32)(s >> 32) ^ salt ^ (i % (SECTOR_SIZE / 4)) * 0x9e37u;
}

void pattern_fill(void *buf, sector_t sector, u32 bytes, u32 salt)
{
	u32 *w = buf;
	u32 i;

	for (i = 0; i < bytes / 4; i++)
		w[i] = pattern_word(sector, i, salt);
}

bool pattern_check(const void *buf, sector_t sector, u32 bytes, u32 salt)
{
	const u32 *w = buf;
	u32 i;

	for (i = 0; i < bytes / 4; i++)
		if (w[i] != pattern_word(sector, i, salt))
			return false;
	return true;
}

/* ------------------------------------------------------------------------
 * The device
 */

static int fake_execute(struct fake_dev *fd, struct request_queue *q, unsigned op, sector_t sector,
			u32 bytes, struct scatterlist *sg, int nsg)
{
	u64 off = sector * SECTOR_SIZE;
	int i;

	assert_true(sector + bytes / SECTOR_SIZE <= fd->capacity);
	if (fd->fail_enabled && fd->fail_sector >= sector &&
	    fd->fail_sector < sector + bytes / SECTOR_SIZE)
		return fd->fail_error;
	if (op == REQ_OP_WRITE_ZEROES) {
		memset(fd->data + off, 0, bytes);
		return 0;
	}
	if (op == REQ_OP_DISCARD)
		return 0; /* the contents become undefined: keeping them is allowed */
	for (i = 0; i < nsg; i++) {
		void *mem = (void *)(uintptr_t)sg[i].addr;

		if (op == REQ_OP_WRITE)
			memcpy(fd->data + off, mem, sg[i].length);
		else if (op == REQ_OP_READ)
			memcpy(mem, fd->data + off, sg[i].length);
		off += sg[i].length;
	}
	return 0;
}

static void check_sg(struct request_queue *q, struct scatterlist *sg, int nsg, u32 bytes,
		     unsigned op)
{
	u64 total = 0;
	int i;

	if (op != REQ_OP_READ && op != REQ_OP_WRITE) {
		assert_int_equal(nsg, 0);
		return;
	}
	assert_true(nsg >= 1);
	assert_true(nsg <= q->limits.max_segments);
	for (i = 0; i < nsg; i++) {
		assert_true(sg[i].length <= q->limits.max_segment_size);
		total += sg[i].length;
	}
	assert_int_equal(total, bytes);
}

/* The scatterlist must be the bios' bytes, in order, nothing more or less. */
static void check_sg_matches_bios(struct bio *first, struct scatterlist *sg, int nsg)
{
	int i = 0;
	u32 off = 0;
	struct bio *bio;

	for (bio = first; bio; bio = bio->bi_next) {
		struct bvec_iter iter;
		struct bio_vec bv;

		bio_for_each_segment(bv, bio, iter) {
			phys_addr_t p = virt_to_phys(bv.bv_page) + bv.bv_offset;
			u32 left = bv.bv_len;

			assert_true(bv.bv_offset + bv.bv_len <= PAGE_SIZE);
			while (left) {
				u32 take;

				assert_true(i < nsg);
				assert_int_equal(sg[i].addr + off, p);
				take = MIN(left, sg[i].length - off);
				left -= take;
				p += take;
				off += take;
				if (off == sg[i].length) {
					i++;
					off = 0;
				}
			}
		}
	}
	assert_int_equal(i, nsg);
	assert_int_equal(off, 0);
}

static struct fake_io *fake_log(struct fake_dev *fd, unsigned op, sector_t sector, u32 sectors,
				unsigned nr_bios, int nsg, u32 flags)
{
	struct fake_io *io;

	assert_true(fd->nlog < FAKE_LOG_MAX);
	io = &fd->log[fd->nlog++];
	io->op = op;
	io->sector = sector;
	io->sectors = sectors;
	io->nr_bios = nr_bios;
	io->nsg = nsg;
	io->flags = flags;
	io->hw_queue = -1;
	io->last = false;
	io->cpu = smp_processor_id();
	return io;
}

static struct fake_io *fake_dispatch(struct fake_dev *fd, struct request *rq)
{
	struct fake_io *io;
	struct request_queue *q = rq->q;
	struct scatterlist *sg = calloc(q->limits.max_segments + 1, sizeof(*sg));
	sector_t next = blk_rq_pos(rq);
	unsigned nr_bios = 0;
	u32 bytes = 0;
	struct bio *bio;
	int nsg;

	assert_non_null(sg);
	for (bio = rq->bio; bio; bio = bio->bi_next) {
		assert_int_equal(bio->bi_sector, next);
		next += bio_sectors(bio);
		bytes += bio->bi_size;
		nr_bios++;
	}
	assert_int_equal(bytes, blk_rq_bytes(rq));
	assert_true(rq->nr_phys_segments <= q->limits.max_segments);
	if (req_op(rq) != REQ_OP_DISCARD && req_op(rq) != REQ_OP_WRITE_ZEROES)
		assert_true(blk_rq_sectors(rq) <= q->limits.max_sectors);
	nsg = blk_rq_map_sg(q, rq, sg);
	check_sg(q, sg, nsg, blk_rq_bytes(rq), req_op(rq));
	if (nsg)
		check_sg_matches_bios(rq->bio, sg, nsg);
	io = fake_log(fd, req_op(rq), blk_rq_pos(rq), blk_rq_sectors(rq), nr_bios, nsg,
		      rq->cmd_flags);
	rq->errors = fake_execute(fd, q, req_op(rq), blk_rq_pos(rq), blk_rq_bytes(rq), sg, nsg);
	free(sg);
	return io;
}

static void fake_request_fn(struct request_queue *q)
{
	struct fake_dev *fd = q->queuedata;
	struct request *rq;
	bool issued = false;

	fd->request_fn_runs++;
	for (;;) {
		if (fd->stop_before_peek && fd->nr_inflight >= fd->ring_size) {
			/* Full: stop without taking anything out of the scheduler. */
			blk_stop_queue(q);
			break;
		}
		rq = blk_peek_request(q);
		if (!rq)
			break;
		if (fd->nr_inflight >= fd->ring_size) {
			/* As Linux 3.x virtio-blk: the ring is full, stop until a completion. */
			blk_start_request(rq);
			blk_requeue_request(q, rq);
			blk_stop_queue(q);
			break;
		}
		blk_start_request(rq);
		fake_dispatch(fd, rq);
		assert_true(fd->nr_inflight < FAKE_MAX_INFLIGHT);
		fd->inflight[fd->nr_inflight++] = rq;
		issued = true;
		if (fd->complete_in_fn)
			blk_complete_request(rq);
	}
	if (issued)
		fd->kicks++;
}

static void fake_forget(struct fake_dev *fd, struct request *rq)
{
	unsigned i;

	for (i = 0; i < fd->nr_inflight; i++) {
		if (fd->inflight[i] == rq) {
			memmove(&fd->inflight[i], &fd->inflight[i + 1],
				(fd->nr_inflight - i - 1) * sizeof(fd->inflight[0]));
			fd->nr_inflight--;
			return;
		}
	}
	fail_msg("completed a request the device does not hold");
}

/* softirq_done_fn: as virtblk_request_done. */
static void fake_done(struct request *rq)
{
	struct request_queue *q = rq->q;
	struct fake_dev *fd = q->queuedata;
	bool stopped = blk_queue_stopped(q);

	fake_forget(fd, rq);
	blk_end_request_all(rq, rq->errors);
	if (stopped)
		blk_start_queue(q);
}

static enum blk_eh_timer_return fake_timed_out(struct request *rq)
{
	struct fake_dev *fd = rq->q->queuedata;

	fd->timeouts_seen++;
	if (fd->timeout_ret == BLK_EH_HANDLED)
		rq->errors = -ETIMEDOUT;
	return fd->timeout_ret;
}

static void fake_get_counters(struct gendisk *disk, struct blk_counters *c)
{
	struct fake_dev *fd = disk->private_data;

	c->kicks = fd->kicks;
	c->irqs = 7;
}

/* clang-format off */
static const struct block_device_operations fake_fops = {
	.get_counters = fake_get_counters,
};
/* clang-format on */

struct fake_dev *fake_create(const char *name, sector_t capacity)
{
	struct fake_dev *fd = calloc(1, sizeof(*fd));

	assert_non_null(fd);
	snprintf(fd->name, sizeof(fd->name), "%s", name);
	fd->capacity = capacity;
	fd->data = calloc(capacity, SECTOR_SIZE);
	assert_non_null(fd->data);
	fd->ring_size = 64;
	fd->timeout_ret = BLK_EH_RESET_TIMER;
	bio_list_init(&fd->bios);

	fd->q = blk_init_queue(fake_request_fn, fd);
	assert_non_null(fd->q);
	blk_queue_softirq_done(fd->q, fake_done);
	blk_queue_rq_timed_out(fd->q, fake_timed_out);
	blk_queue_max_hw_sectors(fd->q, 2048);

	fd->disk = alloc_disk();
	assert_non_null(fd->disk);
	snprintf(fd->disk->disk_name, DISK_NAME_LEN, "%s", name);
	fd->disk->queue = fd->q;
	fd->disk->fops = &fake_fops;
	fd->disk->private_data = fd;
	set_capacity(fd->disk, capacity);
	assert_int_equal(add_disk(fd->disk), 0);
	return fd;
}

void fake_settle(struct fake_dev *fd)
{
	unsigned rounds = 0;

	for (;;) {
		run_softirqs();
		if (!fd->nr_inflight && !fd->nr_bios)
			break;
		fake_complete_all(fd);
		fake_complete_bios(fd);
		assert_true(++rounds < 100000);
	}
}

void fake_destroy(struct fake_dev *fd)
{
	fake_settle(fd);
	del_disk(fd->disk);
	put_disk(fd->disk);
	blk_cleanup_queue(fd->q);
	free(fd->data);
	free(fd);
}

void fake_complete(struct fake_dev *fd, unsigned n)
{
	unsigned i;

	/* Interrupt context: only blk_complete_request, with interrupts off. */
	unsigned long flags = local_irq_save();

	for (i = 0; i < n && i < fd->nr_inflight; i++)
		blk_complete_request(fd->inflight[i]);
	local_irq_restore(flags);
	run_softirqs();
}

void fake_complete_all(struct fake_dev *fd)
{
	fake_complete(fd, fd->nr_inflight);
}

/* ------------------------------------------------------------------------
 * The bypass path
 */

static void fake_unplug(struct request_queue *q, void *data)
{
	struct fake_dev *fd = data;

	if (fd->bypass_pending_kick)
		fd->kicks++;
	fd->bypass_pending_kick = false;
}

static void fake_make_request(struct request_queue *q, struct bio *bio)
{
	struct fake_dev *fd = q->queuedata;
	struct scatterlist *sg = calloc(q->limits.max_segments + 1, sizeof(*sg));
	int nsg;

	assert_non_null(sg);
	bio->bi_next = NULL;
	nsg = blk_bio_map_sg(q, bio, sg);
	check_sg(q, sg, nsg, bio->bi_size, bio_op(bio));
	if (nsg)
		check_sg_matches_bios(bio, sg, nsg);
	if (bio_op(bio) != REQ_OP_DISCARD && bio_op(bio) != REQ_OP_WRITE_ZEROES)
		assert_true(bio_sectors(bio) <= q->limits.max_sectors);
	fake_log(fd, bio_op(bio), bio->bi_sector, bio_sectors(bio), 1, nsg, bio->bi_rw);
	bio->bi_status = fake_execute(fd, q, bio_op(bio), bio->bi_sector, bio->bi_size, sg, nsg);
	free(sg);

	fd->bypass_pending_kick = true;
	if (!blk_check_plugged(q, fake_unplug, fd))
		fake_unplug(q, fd);
	if (fd->bypass_sync) {
		bio_endio(bio);
		return;
	}
	bio_list_add(&fd->bios, bio);
	fd->nr_bios++;
}

void fake_enable_bypass(struct fake_dev *fd)
{
	blk_queue_bypass_fn(fd->q, fake_make_request);
}

void fake_complete_bios(struct fake_dev *fd)
{
	struct bio_list list = fd->bios;
	struct bio *bio;

	bio_list_init(&fd->bios);
	fd->nr_bios = 0;
	/* The driver's completion tasklet is softirq context. */
	blk_atomic_enter();
	while ((bio = bio_list_pop(&list)))
		bio_endio(bio);
	blk_atomic_exit();
	run_softirqs();
}

/* ------------------------------------------------------------------------
 * The blk-mq face
 */

static int fake_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct fake_dev *fd = hctx->queue->queuedata;
	unsigned qn = hctx->queue_num;
	struct fake_io *io;

	/* The block layer owes the driver the request's own context. */
	assert_ptr_equal(rq->mq_hctx, hctx);
	assert_true(rq->tag >= 0);
	if (fd->mq_refuse_sector >= 0 && blk_rq_pos(rq) == (sector_t)fd->mq_refuse_sector) {
		rq->errors = -EOPNOTSUPP;
		return BLK_MQ_RQ_QUEUE_ERROR;
	}
	if (fd->mq_start_then_busy)
		blk_mq_start_request(rq);
	if (fd->mq_inflight[qn] >= fd->mq_ring_size) {
		if (fd->mq_stop_when_full)
			blk_mq_stop_hw_queue(hctx);
		return BLK_MQ_RQ_QUEUE_BUSY;
	}
	if (!fd->mq_start_then_busy)
		blk_mq_start_request(rq);
	io = fake_dispatch(fd, rq);
	io->hw_queue = (int)qn;
	io->last = bd->last;
	assert_true(fd->nr_inflight < FAKE_MAX_INFLIGHT);
	fd->inflight[fd->nr_inflight++] = rq;
	fd->mq_inflight[qn]++;
	fd->mq_unnotified[qn]++;
	if (bd->last) {
		fd->mq_notifies[qn]++;
		fd->mq_unnotified[qn] = 0;
		fd->kicks++;
	}
	if (fd->complete_in_fn)
		blk_mq_complete_request(rq);
	return BLK_MQ_RQ_QUEUE_OK;
}

static void fake_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct fake_dev *fd = hctx->queue->queuedata;
	unsigned qn = hctx->queue_num;

	fd->mq_commits[qn]++;
	if (fd->mq_unnotified[qn]) {
		fd->mq_notifies[qn]++;
		fd->mq_unnotified[qn] = 0;
		fd->kicks++;
	}
}

/* As virtio-blk's virtblk_request_done for the mq face. */
static void fake_mq_complete(struct request *rq)
{
	struct fake_dev *fd = rq->q->queuedata;

	fake_forget(fd, rq);
	fd->mq_inflight[rq->mq_hctx->queue_num]--;
	blk_mq_end_request(rq, rq->errors);
	blk_mq_start_stopped_hw_queues(rq->q, true);
}

static enum blk_eh_timer_return fake_mq_timeout(struct request *rq)
{
	return fake_timed_out(rq);
}

static const struct blk_mq_ops fake_mq_ops = {
	.queue_rq = fake_queue_rq,
	.commit_rqs = fake_commit_rqs,
	.complete = fake_mq_complete,
	.timeout = fake_mq_timeout,
};

void fake_init_mq(struct fake_dev *fd, unsigned nr_hw_queues, unsigned depth)
{
	assert_true(nr_hw_queues <= FAKE_MAX_HW_QUEUES);
	fd->tag_set.ops = &fake_mq_ops;
	fd->tag_set.nr_hw_queues = nr_hw_queues;
	fd->tag_set.queue_depth = depth;
	fd->tag_set.cmd_size = 64;
	fd->mq_ring_size = depth;
	fd->mq_refuse_sector = -1;
	assert_int_equal(blk_mq_init_queue_set(fd->q, &fd->tag_set), 0);
}

void fake_enable_mq(struct fake_dev *fd, unsigned nr_hw_queues, unsigned depth)
{
	fake_init_mq(fd, nr_hw_queues, depth);
	assert_int_equal(blk_queue_set_path(fd->q, BLK_PATH_MQ), 0);
}
