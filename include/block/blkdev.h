/* SPDX-License-Identifier: MIT */
/*
 * The block layer: request queues, requests, and the two faces a driver
 * shows them (the seeds: the request path through the I/O scheduler to
 * q->request_fn, and the bio path straight to the driver's make_request_fn).
 *
 * Execution model. Each CPU has one process context, a completion context
 * and interrupts. Interrupt handlers only call blk_complete_request();
 * everything else in here runs in process context or in completion context
 * (the block softirq, timers, bi_end_io). Completion context never waits:
 * where process context would wait for a free request or bio, completion
 * context parks the I/O and picks it up again when one is freed. The block
 * layer knows it is in completion context through blk_atomic_enter/exit
 * (bio.h), which its own softirq, its timer and bio_endio use; a driver's
 * own tasklet or timer that submits I/O or plugs must do the same. The
 * "current" state of a context (the bio_list, the plug) is per CPU.
 *
 * Locking, as Linux 3.x: q->queue_lock (taken with interrupts off) guards
 * the request path's state: the elevator and dispatch queue, the request
 * pool, the backlog, in-flight counts, the timeout list. request_fn runs
 * with it held, on whichever CPU ran the queue, and so do the driver-face
 * calls made from it (blk_peek_request, blk_start_request,
 * blk_requeue_request, __blk_end_request_all); blk_end_request_all and
 * blk_run_queue take it themselves. No bio ends with it held: bios of a
 * request ended under the lock are ended afterwards by the block softirq.
 * The bypass path takes no queue lock at all. Counters are per CPU.
 *
 * I/O path, request queues:
 *   submit_bio -> generic_make_request (checks, bio_list loop)
 *     -> q->make_request_fn = blk_queue_bio: split to the limits, merge into
 *        a queued request or allocate one, plug or insert into the elevator,
 *        run the queue
 *     -> q->request_fn (driver): blk_peek_request / blk_start_request,
 *        blk_rq_map_sg, hand it to the device; blk_requeue_request and
 *        blk_stop_queue when the device is full
 *   interrupt -> blk_complete_request -> block softirq -> q->softirq_done_fn
 *     (driver) -> blk_end_request_all (the softirq frees its batch of
 *     requests under one queue lock) -> bio_endio for each bio; then the
 *     queue is run again.
 *
 * Bio path (BLK_PATH_BIO): the driver's bypass fn gets each bio split to
 * the limits and ends it with bio_endio; blk_check_plugged lets it batch
 * its doorbell until blk_finish_plug.
 */
#ifndef BLOCK_BLKDEV_H
#define BLOCK_BLKDEV_H

#include "block/bio.h"
#include "block/rbtree.h"
#include "kernel/list.h"
#include "kernel/platform.h"
#include "kernel/scatterlist.h"
#include "kernel/types.h"

struct request;
struct request_queue;
struct elevator_queue;
struct gendisk;

/* ------------------------------------------------------------------------
 * Requests
 */

/* rq_flags: block-layer state of a request. */
#define RQF_STARTED (1u << 0)	  /* handed to the driver (blk_start_request) */
#define RQF_SORTED (1u << 1)	  /* inside the elevator */
#define RQF_DONTPREP (1u << 2)	  /* prep_rq_fn succeeded; unprep at the end */
#define RQF_SOFTBARRIER (1u << 3) /* requeued: keeps its place at the front */
#define RQF_NOMERGE (1u << 4)	  /* never merge anything into it */
#define RQF_QUIET (1u << 5)	  /* failed by the block layer itself */

struct blk_mq_hw_ctx;
struct blk_mq_ctx;

struct request {
	struct list_head queuelist; /* elevator FIFO, dispatch queue, plug or done list */
	struct request_queue *q;
	/* blk-mq: its contexts and tags (-1: none); NULL on the request path. */
	struct blk_mq_hw_ctx *mq_hctx;
	struct blk_mq_ctx *mq_ctx;
	int tag;	  /* driver tag */
	int internal_tag; /* scheduler tag */
	struct gendisk *rq_disk;

	u32 cmd_flags; /* op | REQ_* flags, from the first bio */
	u32 rq_flags;  /* RQF_* */

	sector_t __sector; /* use blk_rq_pos() */
	u32 __data_len;	   /* use blk_rq_bytes() */
	struct bio *bio;
	struct bio *biotail;

	/*
	 * An upper bound on the scatterlist blk_rq_map_sg builds, kept within
	 * max_segments; plus the sizes of the first and last segments so a
	 * merge can tell whether the touching segments fit in one.
	 */
	u16 nr_phys_segments;
	u32 seg_front_size;
	u32 seg_back_size;

	u64 start_time_ns;    /* allocation, request path (deadline's FIFO counts from it) */
	u64 io_start_time_ns; /* started: the timeout and the driver count from it */
	u64 fifo_time;	      /* deadline scheduler: expiry of this request */
	u64 deadline;	   /* timeout: when rq_timed_out_fn is due */
	struct list_head timeout_list;

	struct list_head hash;	/* elevator: back-merge lookup by end sector */
	struct rb_node rb_node; /* deadline: sorted by start sector */

	void *special; /* the driver's (virtio-blk: its virtblk_req) */
	int errors;    /* 0 or -errno, for completion without softirq_done_fn */
	u16 cpu;       /* where it completes: its first bio's CPU (Linux's rq->cpu) */

	/*
	 * Completion against timeout (REQ_ATOM_*): changed by atomic
	 * read-modify-write only, from any CPU and interrupt context.
	 */
	unsigned long atomic_flags;
};

static inline sector_t blk_rq_pos(const struct request *rq)
{
	return rq->__sector;
}

static inline u32 blk_rq_bytes(const struct request *rq)
{
	return rq->__data_len;
}

static inline u32 blk_rq_sectors(const struct request *rq)
{
	return rq->__data_len >> SECTOR_SHIFT;
}

static inline unsigned req_op(const struct request *rq)
{
	return rq->cmd_flags & REQ_OP_MASK;
}

static inline int rq_data_dir(const struct request *rq)
{
	return op_is_write(req_op(rq)) ? WRITE : READ;
}

/* ------------------------------------------------------------------------
 * Queue limits: what the device can take in one request. The driver sets
 * them from what the device reports; bio_add_page, splitting and merging
 * obey them, so nothing below has to check again.
 */
struct queue_limits {
	u32 max_hw_sectors;	      /* the device's limit */
	u32 max_sectors;	      /* what the block layer builds (<= max_hw_sectors) */
	u32 max_segment_size;	      /* bytes in one scatterlist element */
	u16 max_segments;	      /* scatterlist elements per request */
	u32 logical_block_size;	      /* addressing unit, bytes */
	u32 physical_block_size;      /* write unit, bytes */
	u32 io_min;		      /* smallest I/O without read-modify-write */
	u32 io_opt;		      /* preferred I/O size, 0 if none */
	u32 max_discard_sectors;      /* 0: discard unsupported */
	u32 max_write_zeroes_sectors; /* 0: write-zeroes unsupported */
};

/* Linux's defaults: conservative enough for any device that sets nothing. */
#define BLK_SAFE_MAX_SECTORS 255		   /* what old ATA could take */
#define BLK_DEF_MAX_SECTORS 1024		   /* 512 KiB: latency stays bounded */
#define BLK_MAX_SEGMENTS 128			   /* a page of scatterlist */
#define BLK_MAX_SEGMENT_SIZE 65536		   /* what many DMA engines take */
#define BLKDEV_MAX_RQ 128			   /* requests per queue (nr_requests) */
#define BLK_DEFAULT_RQ_TIMEOUT (30 * NSEC_PER_SEC) /* as Linux: 30 s */

/* ------------------------------------------------------------------------
 * Counters, one set per queue, read out in one place (blk_print_counters).
 * The driver adds what it counts (kicks, interrupts) through its
 * block_device_operations when they are read.
 */
struct blk_counters {
	u64 bios;	  /* bios handed to the queue's make_request_fn */
	u64 dispatched;	  /* requests started, or bios handed to a bypass driver */
	u64 back_merges;  /* bios appended to a queued request */
	u64 front_merges; /* bios prepended to a queued request */
	u64 rq_merges;	  /* queued requests joined into one */
	u64 splits;	  /* bios split to fit the limits */
	u64 completions;  /* requests (or bypass bios) ended */
	u64 errors;	  /* ... of which with an error */
	u64 timeouts;	  /* rq_timed_out_fn calls */
	u64 requeues;	  /* blk_requeue_request calls */
	u64 retries;	  /* bios re-issued alone after their merged request failed */
	u64 kicks;	  /* driver: device notifications */
	u64 irqs;	  /* driver: interrupts handled */
};

/* One set per CPU in each queue, each on its own cache lines; summed when read. */
struct blk_cpu_counters {
	struct blk_counters c;
	/*
	 * Bypass-path bios this CPU submitted and has not ended yet (a bio
	 * ends on the CPU that submitted it, so only this CPU changes it:
	 * local_inc, no locked instruction); the queue is idle when every
	 * CPU's is 0.
	 */
	int bios_in_flight;
} __aligned(SMP_CACHE_BYTES);

/* ------------------------------------------------------------------------
 * The request queue and its callbacks (the seed's list, where they apply).
 */
typedef void(request_fn_proc)(struct request_queue *q);
typedef void(make_request_fn)(struct request_queue *q, struct bio *bio);
/* BLKPREP_OK, BLKPREP_KILL (end it with -EIO) or BLKPREP_DEFER (try later). */
typedef int(prep_rq_fn)(struct request_queue *q, struct request *rq);
typedef void(unprep_rq_fn)(struct request_queue *q, struct request *rq);
/* How many bytes of @bv may be appended to @bio (>= bv_len accepts it). */
typedef int(merge_bvec_fn)(struct request_queue *q, const struct bio *bio,
			   const struct bio_vec *bv);
typedef void(softirq_done_fn)(struct request *rq);
typedef int(lld_busy_fn)(struct request_queue *q);
/*
 * Polled completion (Linux's blk_poll): reap what the device finished
 * without waiting for its interrupt. With @spin the driver may turn the
 * device's interrupts off while its caller keeps polling; without it the
 * driver turns them back on before the caller sleeps, reaping anything that
 * finished meanwhile. With @hipri only where this CPU's REQ_HIPRI I/O
 * went (Linux's cookie names that queue): a poll queue has no interrupt to
 * turn off, and the caller's other queues keep theirs. Returns how many
 * completions it found.
 */
typedef int(poll_fn)(struct request_queue *q, bool hipri, bool spin);

enum blk_eh_timer_return {
	BLK_EH_NOT_HANDLED, /* the driver will complete it itself, later */
	BLK_EH_HANDLED,	    /* complete it now (the driver set rq->errors) */
	BLK_EH_RESET_TIMER, /* give it another rq_timeout */
};
typedef enum blk_eh_timer_return(rq_timed_out_fn)(struct request *rq);

#define BLKPREP_OK 0
#define BLKPREP_KILL 1
#define BLKPREP_DEFER 2

enum blk_path {
	BLK_PATH_REQUEST, /* blk_queue_bio, the elevator, request_fn */
	BLK_PATH_BIO,	  /* the driver's bypass make_request_fn */
	BLK_PATH_MQ,	  /* blk_mq_make_request, hardware contexts, queue_rq */
};

/* queue_flags */
#define QUEUE_FLAG_STOPPED (1u << 0)  /* the driver said it is full */
#define QUEUE_FLAG_DYING (1u << 1)    /* being torn down: new bios fail */
#define QUEUE_FLAG_NOMERGES (1u << 2) /* never merge (for measurements) */
#define QUEUE_FLAG_WC (1u << 3)	      /* volatile write cache: flushes matter */
#define QUEUE_FLAG_FUA (1u << 4)      /* the device honours REQ_FUA itself */

struct request_queue {
	spinlock_t queue_lock;

	/* Dispatch queue: requests the elevator released, in driver order. */
	struct list_head queue_head;
	struct request *last_merge; /* one-entry merge cache */
	struct elevator_queue *elevator;
	unsigned nr_sorted; /* requests inside the elevator */

	request_fn_proc *request_fn;
	make_request_fn *make_request_fn;
	make_request_fn *bypass_fn;
	prep_rq_fn *prep_rq_fn;
	unprep_rq_fn *unprep_rq_fn;
	merge_bvec_fn *merge_bvec_fn;
	softirq_done_fn *softirq_done_fn;
	rq_timed_out_fn *rq_timed_out_fn;
	lld_busy_fn *lld_busy_fn;
	poll_fn *poll_fn;
	void *queuedata;
	struct gendisk *disk;

	struct queue_limits limits;
	u32 queue_flags;
	enum blk_path path;
	u64 rq_timeout; /* ns */

	/* Request pool: allocated up front so the request path cannot fail. */
	struct request *rq_pool;
	unsigned nr_requests;
	struct list_head rq_free;
	unsigned nr_rqs;	    /* out of the pool: plugged, queued, in flight */
	struct bio_list backlog;    /* bios waiting for a request (completion context) */
	unsigned in_flight[2];	    /* started and not ended, per direction */
	unsigned long rq_wait_cpus; /* CPUs waiting for a free request */

	struct list_head run_entry; /* on a CPU's softirq list of queues to run */

	struct timer_list timeout;
	struct list_head timeout_list; /* started requests, oldest first */

	struct blk_cpu_counters counters[NR_CPUS];
	u32 msg_count; /* rate limit for per-bio error messages */

	/* blk-mq (block/blk-mq.c): set once the driver attached a tag set. */
	struct blk_mq_tag_set *tag_set;
	const struct blk_mq_ops *mq_ops;
	struct blk_mq_hw_ctx **queue_hw_ctx;
	unsigned nr_hw_queues;
	struct blk_mq_ctx *queue_ctx; /* NR_CPUS of them */
	unsigned mq_nr_requests;      /* scheduler tags per hardware context */
	const struct elevator_mq_type *mq_sched;
	void *mq_sched_data;
	void *mq_sched_prealloc[2]; /* each mq scheduler's data (block/blk-mq-sched.c) */
};

/* This CPU's counters of @q. */
static inline struct blk_counters *blk_stat(struct request_queue *q)
{
	return &q->counters[smp_processor_id()].c;
}

/* The queue's own counters, summed over the CPUs (without the driver's). */
void blk_queue_get_counters(struct request_queue *q, struct blk_counters *out);
/* Bypass-path bios submitted and not yet ended, over every CPU. */
int blk_queue_bios_in_flight(struct request_queue *q);

int blk_mq_poll(struct request_queue *q, bool spin);
static inline int blk_poll(struct request_queue *q, bool hipri, bool spin)
{
	if (q->path == BLK_PATH_MQ)
		return blk_mq_poll(q, spin);
	return q->poll_fn ? q->poll_fn(q, hipri, spin) : 0;
}

static inline bool blk_queue_stopped(const struct request_queue *q)
{
	return __atomic_load_n(&q->queue_flags, __ATOMIC_ACQUIRE) & QUEUE_FLAG_STOPPED;
}

/* ------------------------------------------------------------------------
 * Set-up (process context). blk_init_queue: a request-path queue with the
 * deadline elevator and a pool of BLKDEV_MAX_RQ requests; NULL without
 * memory. blk_alloc_queue: a bare queue for a bio-based driver, which then
 * calls blk_queue_make_request. blk_cleanup_queue drains and frees.
 */
int blk_dev_init(void);
void blk_dev_exit(void);

struct request_queue *blk_init_queue(request_fn_proc *request_fn, void *queuedata);
struct request_queue *blk_alloc_queue(void);
void blk_queue_make_request(struct request_queue *q, make_request_fn *fn);
void blk_cleanup_queue(struct request_queue *q);

/*
 * The bypass path of a request queue: register the driver's make_request_fn
 * once, then switch with blk_queue_set_path (drains first, so no I/O is in
 * flight on the old path). -EINVAL when the path has no function.
 */
void blk_queue_bypass_fn(struct request_queue *q, make_request_fn *fn);
int blk_queue_set_path(struct request_queue *q, enum blk_path path);
const char *blk_path_name(enum blk_path path);
/* "request", "bio" or "mq"; -EINVAL otherwise. */
int blk_path_from_name(const char *name);

/* Wait (process context) until nothing is queued, parked or in flight. */
void blk_drain_queue(struct request_queue *q);
/* Resize the request pool; -EBUSY unless drained, -EINVAL for 0. */
int blk_queue_nr_requests(struct request_queue *q, unsigned nr);

/* Limits (block/blk-settings.c). Values out of range are clamped, with a message. */
void blk_set_default_limits(struct queue_limits *lim);
/* For stacking drivers: no limits of their own; the members' queues split. */
void blk_set_stacking_limits(struct queue_limits *lim);
void blk_queue_max_hw_sectors(struct request_queue *q, u32 max_hw_sectors);
void blk_queue_max_segments(struct request_queue *q, u16 max_segments);
void blk_queue_max_segment_size(struct request_queue *q, u32 max_size);
void blk_queue_logical_block_size(struct request_queue *q, u32 size);
void blk_queue_physical_block_size(struct request_queue *q, u32 size);
void blk_queue_io_min(struct request_queue *q, u32 min);
void blk_queue_io_opt(struct request_queue *q, u32 opt);
void blk_queue_max_discard_sectors(struct request_queue *q, u32 sectors);
void blk_queue_max_write_zeroes_sectors(struct request_queue *q, u32 sectors);
/* Volatile cache (flushes are sent) and native FUA (else emulated by a flush). */
void blk_queue_write_cache(struct request_queue *q, bool wc, bool fua);
void blk_queue_rq_timeout(struct request_queue *q, u64 timeout_ns);
void blk_queue_nomerges(struct request_queue *q, bool nomerges);
void blk_queue_prep_rq(struct request_queue *q, prep_rq_fn *fn);
void blk_queue_unprep_rq(struct request_queue *q, unprep_rq_fn *fn);
void blk_queue_merge_bvec(struct request_queue *q, merge_bvec_fn *fn);
void blk_queue_softirq_done(struct request_queue *q, softirq_done_fn *fn);
void blk_queue_rq_timed_out(struct request_queue *q, rq_timed_out_fn *fn);
void blk_queue_lld_busy(struct request_queue *q, lld_busy_fn *fn);

/* Largest request for an op: the discard and write-zeroes limits differ. */
u32 blk_queue_get_max_sectors(const struct request_queue *q, unsigned op);

/* ------------------------------------------------------------------------
 * Submission (process or completion context).
 *
 * generic_make_request checks the bio (a disk that is there and alive, the
 * range within the capacity, alignment to logical_block_size, an op the
 * queue supports, no write to a read-only disk) and ends it with the error
 * (-ENODEV, -EIO, -EINVAL, -EOPNOTSUPP, -EROFS) before any driver sees it.
 * A make_request_fn that calls it again (a stacking driver) only queues the
 * bio on the current bio_list; the outermost call loops over that list, so
 * make_request_fn calls never nest.
 */
void generic_make_request(struct bio *bio);
void submit_bio(struct bio *bio);

/* The request path's make_request_fn. */
void blk_queue_bio(struct request_queue *q, struct bio *bio);

/*
 * Split *bio so the part kept fits max_sectors, max_segments and
 * max_segment_size at a logical block boundary; the rest is chained and
 * resubmitted. *bio becomes NULL when the bio had to be ended instead.
 */
void blk_queue_split(struct request_queue *q, struct bio **bio);

/* ------------------------------------------------------------------------
 * Plugging: hold requests back during a burst so they merge, then dispatch
 * them with one run of request_fn per queue (one doorbell). A plug belongs
 * to the context that started it, process or completion (blk_in_atomic);
 * a driver tasklet that plugs should run inside blk_atomic_enter/exit so
 * that what its bi_end_io calls submit joins its plug. Nested plugs in the
 * same context are absorbed by the outer one. Finish a plug before waiting
 * for its I/O.
 */
typedef void(blk_plug_cb_fn)(struct request_queue *q, void *data);

struct blk_plug_cb {
	blk_plug_cb_fn *fn;
	struct request_queue *q;
	void *data;
};

#define BLK_PLUG_MAX_CBS 8
/* Linux's bound: past this many requests a plug dispatches what it holds. */
#define BLK_MAX_REQUEST_COUNT 16

struct blk_plug {
	struct list_head list; /* requests (request path and blk-mq), not yet queued */
	unsigned count;
	struct blk_plug_cb cbs[BLK_PLUG_MAX_CBS];
	unsigned nr_cbs;
	struct blk_plug *prev;
	int depth;
	bool active;
};

void blk_start_plug(struct blk_plug *plug);
void blk_finish_plug(struct blk_plug *plug);
/*
 * For bypass drivers: when a plug is active in this context, remember
 * (@fn, @data) to be called once from blk_finish_plug and return true, so
 * the caller may defer its doorbell; false means "do it now".
 */
bool blk_check_plugged(struct request_queue *q, blk_plug_cb_fn *fn, void *data);

/* ------------------------------------------------------------------------
 * Driver face, request path. request_fn runs in process or softirq context
 * on any CPU, with q->queue_lock held and interrupts off; it is never
 * re-entered for the same queue. The calls marked (locked) need the lock
 * held, as they are from request_fn.
 */
/* (locked) The next request to dispatch, prepared, still queued; NULL if none. */
struct request *blk_peek_request(struct request_queue *q);
/* (locked) Take it off the queue and arm its timeout: the device owns it now. */
void blk_start_request(struct request *rq);
struct request *blk_fetch_request(struct request_queue *q);
/* (locked) The device could not take it after all: back to the front of the queue. */
void blk_requeue_request(struct request_queue *q, struct request *rq);
/* The queue's state, one line (per hardware context on blk-mq): a stalled run's report. */
void blk_dump_queue(struct request_queue *q);
/* Stop and start need no lock; starting runs request_fn from the block softirq. */
void blk_stop_queue(struct request_queue *q);
void blk_start_queue(struct request_queue *q);
/* Run request_fn now (takes the lock), or from this CPU's block softirq. */
void blk_run_queue(struct request_queue *q);
void blk_run_queue_async(struct request_queue *q);
/* The driver's lld_busy_fn, or 0. */
int blk_lld_busy(struct request_queue *q);

/*
 * One scatterlist for every bio of @rq; physically contiguous neighbours are
 * joined up to max_segment_size. @sg needs room for rq->nr_phys_segments
 * (never more than max_segments). Returns the count; 0 for ops without data.
 */
int blk_rq_map_sg(struct request_queue *q, struct request *rq, struct scatterlist *sg);
/* The same for one bio on the bypass path (split to the limits already). */
int blk_bio_map_sg(struct request_queue *q, struct bio *bio, struct scatterlist *sg);

/*
 * Completion. blk_complete_request is for interrupt context: it queues @rq
 * for the block softirq, which calls q->softirq_done_fn(rq) (or, without
 * one, blk_end_request_all(rq, rq->errors)). blk_end_request_all ends every
 * bio of @rq with @error and frees @rq, which the caller must not touch
 * again. When a request of several merged bios fails, each bio is issued
 * again as a request of its own, so the error reaches only the bios the
 * device really refused.
 */
void blk_complete_request(struct request *rq);
/*
 * The same for a driver that reaps several requests at once (both faces,
 * request_fn and blk-mq): those that belong to this CPU wait on @batch
 * (through queuelist) until blk_complete_batch hands them to the softirq
 * in one critical section, with one schedule of it.
 */
void blk_complete_request_batch(struct request *rq, struct list_head *batch);
void blk_complete_batch(struct list_head *batch);
void blk_end_request_all(struct request *rq, int error);
/*
 * The block softirq ends its requests in batches: between these two calls,
 * on this CPU, blk_end_request_all only queues a started request on
 * @batch; blk_end_request_batch frees them all, taking each queue's lock
 * once, and then ends their bios. Not nested.
 */
void blk_end_request_batch_begin(struct list_head *batch);
void blk_end_request_batch(struct list_head *batch);
/*
 * End a list of bios (through bi_next), each with its bi_status, on the CPU
 * that submitted it: at once when that is this one, else from that CPU's
 * block softirq. Completion context.
 */
void __blk_end_bios(struct bio *bios);
static inline void blk_end_bios(struct bio *bios)
{
	/* Inline for the common case: one bio, submitted on this CPU. */
	if (bios && !bios->bi_next && bios->bi_cpu == smp_processor_id())
		bio_endio(bios);
	else if (bios)
		__blk_end_bios(bios);
}
/*
 * (locked) The same for a request failed inside request_fn (a broken
 * device, a request it cannot build): the request is freed now, its bios
 * end from the block softirq once the lock is dropped.
 */
void __blk_end_request_all(struct request *rq, int error);

/* ------------------------------------------------------------------------
 * Counters (per queue, plus the driver's through its fops).
 */
void blk_get_counters(struct gendisk *disk, struct blk_counters *out);
void blk_reset_counters(struct gendisk *disk);
void blk_print_counters(struct gendisk *disk);

#endif
