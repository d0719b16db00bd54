/* SPDX-License-Identifier: MIT */
/*
 * A fake block driver and bio helpers shared by the block-layer unit tests
 * (tests/unit/test_block_*.c). The fake "device" is a RAM disk that
 * executes a request when the driver hands it over (data copied through
 * the scatterlist blk_rq_map_sg built) and completes it when the test says
 * so, through blk_complete_request and the block softirq, as the real
 * driver's interrupt handler would.
 */
#ifndef TESTS_UNIT_TEST_BLOCK_FAKE_H
#define TESTS_UNIT_TEST_BLOCK_FAKE_H

#include "block/bio.h"
#include "block/blk-mq.h"
#include "block/blkdev.h"
#include "block/elevator.h"
#include "block/genhd.h"
#include "kernel/platform.h"

#define FAKE_LOG_MAX 4096
#define FAKE_MAX_INFLIGHT 512
#define FAKE_MAX_HW_QUEUES 8

/* One request (or bypass bio) as the device received it. */
struct fake_io {
	unsigned op;
	sector_t sector;
	u32 sectors;
	unsigned nr_bios;
	int nsg;
	u32 flags;    /* cmd_flags / bi_rw */
	int hw_queue; /* blk-mq: the hardware context it came through; -1 otherwise */
	bool last;    /* blk-mq: bd->last */
	unsigned cpu; /* the CPU queue_rq ran on */
};

struct fake_dev {
	char name[16];
	struct gendisk *disk;
	struct request_queue *q;
	u8 *data;
	sector_t capacity;

	/* Behaviour, set by the test. */
	unsigned ring_size;  /* requests the device holds before it is full */
	bool complete_in_fn; /* complete right away, from request_fn */
	/*
	 * When full: stop the queue before peeking (default: peek, start,
	 * requeue and stop, as Linux 3.x virtio-blk, which takes one request
	 * out of the scheduler early).
	 */
	bool stop_before_peek;
	bool bypass_sync;  /* bypass path: bio_endio inside the bypass fn */
	bool fail_enabled; /* requests covering fail_sector fail */
	sector_t fail_sector;
	int fail_error;
	enum blk_eh_timer_return timeout_ret;

	/* What happened. */
	unsigned request_fn_runs;
	unsigned kicks; /* request_fn runs or bypass unplugs that sent something */
	unsigned timeouts_seen;
	unsigned prep_calls, unprep_calls;
	struct fake_io log[FAKE_LOG_MAX];
	unsigned nlog;
	struct request *inflight[FAKE_MAX_INFLIGHT];
	unsigned nr_inflight;
	struct bio_list bios; /* bypass bios the device holds */
	unsigned nr_bios;
	bool bypass_pending_kick;

	/* blk-mq face (fake_enable_mq): one "device queue" per hardware context. */
	struct blk_mq_tag_set tag_set;
	unsigned mq_ring_size;			  /* per queue; full: BUSY */
	bool mq_start_then_busy;		  /* start before looking for room, as virtio-blk */
	bool mq_stop_when_full;			  /* as virtio-blk: stop the context too */
	unsigned mq_inflight[FAKE_MAX_HW_QUEUES]; /* per queue */
	unsigned mq_notifies[FAKE_MAX_HW_QUEUES]; /* requests with last, and commit_rqs */
	unsigned mq_commits[FAKE_MAX_HW_QUEUES];
	unsigned mq_unnotified[FAKE_MAX_HW_QUEUES]; /* queued since the last notify */
	int mq_refuse_sector;			    /* queue_rq answers ERROR for it; -1: never */
};

/* The queue's counters, summed over the CPUs. */
static inline struct blk_counters qcounters(struct request_queue *q)
{
	struct blk_counters c;

	blk_queue_get_counters(q, &c);
	return c;
}

/* setup/teardown for every block test: fresh platform and block layer. */
int block_test_setup(void **state);
int block_test_teardown(void **state);

/* A request-path disk of @capacity sectors, deadline scheduler, ring of 64. */
struct fake_dev *fake_create(const char *name, sector_t capacity);
void fake_destroy(struct fake_dev *fd);
/* Also register the bypass path (blk_queue_bypass_fn). */
void fake_enable_bypass(struct fake_dev *fd);
/*
 * Also give the disk a blk-mq face: @nr_hw_queues queues of @depth tags,
 * each a ring of @depth (queue_rq answers BUSY when it is full), and
 * switch the queue to the mq path.
 */
void fake_enable_mq(struct fake_dev *fd, unsigned nr_hw_queues, unsigned depth);
/* The same without switching paths: the queue stays on the request path. */
void fake_init_mq(struct fake_dev *fd, unsigned nr_hw_queues, unsigned depth);

/* "Interrupt": complete in-flight requests, oldest first; then run softirqs. */
void fake_complete(struct fake_dev *fd, unsigned n);
void fake_complete_all(struct fake_dev *fd);
/* Bypass path: end the held bios. */
void fake_complete_bios(struct fake_dev *fd);
void run_softirqs(void);
/* Complete everything until the queue is idle. */
void fake_settle(struct fake_dev *fd);

/* A test bio and its completion record. */
struct tio {
	struct bio *bio;
	int ended;
	int status;
	u64 end_order;
};

extern u64 tio_end_seq;
/* Page-aligned buffer of @pages pages (host memory, not counted). */
void *page_buf(unsigned pages);
/*
 * A bio of @bytes at @sector on @disk over @buf, one vec per page (or per
 * @vec_bytes if non-zero), with tio_endio as its end_io. Asserts it built.
 */
struct bio *make_bio(struct tio *t, struct gendisk *disk, unsigned op, sector_t sector, u32 bytes,
		     void *buf, u32 vec_bytes);
/* A data-less bio (flush, discard, write zeroes). */
struct bio *make_nodata_bio(struct tio *t, struct gendisk *disk, unsigned op, sector_t sector,
			    u32 bytes);
void tio_endio(struct bio *bio);

/* A fill pattern that names its disk sector and a salt. */
void pattern_fill(void *buf, sector_t sector, u32 bytes, u32 salt);
bool pattern_check(const void *buf, sector_t sector, u32 bytes, u32 salt);

#endif
