/* SPDX-License-Identifier: MIT */
/*
 * blk-mq, the third path (Linux 3.13 onward; the shape of Linux's
 * include/linux/blk-mq.h): per-CPU software contexts feed hardware contexts
 * bound one to one to the device's queues, requests carry tags instead of
 * coming from a pool, and the driver's face is queue_rq.
 *
 *   submit_bio -> blk_mq_make_request: split, merge (the plug, then the
 *     scheduler or the CPU's software queue), a request with a tag of the
 *     CPU's hardware context, into the plug or inserted (the scheduler, or
 *     the CPU's software queue) and the hardware context run:
 *   dispatch: requests that came back busy first, then the scheduler's (or
 *     every mapped software queue's), handed to ops->queue_rq one by one
 *     with bd->last on the final one, so the driver notifies the device
 *     once per batch; ops->commit_rqs when a batch ends early.
 *   completion: the driver's interrupt handler calls blk_mq_complete_request;
 *     ops->complete runs in the block softirq of the request's CPU and ends
 *     it with blk_mq_end_request.
 *
 * CPU i submits through hardware context i mod nr_hw_queues (several CPUs
 * share one when there are fewer queues than CPUs). Each hardware context
 * has its own driver tags, sized from the device queue it stands for; with
 * a scheduler, requests first take a scheduler tag (nr_requests of them,
 * twice the driver depth up to 128, as Linux) and get a driver tag only
 * when dispatched, so requests beyond the device's depth wait, and merge,
 * in the scheduler. Schedulers: none and mq-deadline.
 *
 * Locking: each hardware context's lock guards its dispatch list, its
 * timeout list and its backlog; each software context's lock its list;
 * mq-deadline has one lock of its own. queue_rq runs without any of them,
 * possibly on two CPUs at once for one hardware context: the driver locks
 * its queue. No bio ends under a lock.
 *
 * The block layer still never names virtio: a driver fills in a
 * struct blk_mq_tag_set with its ops, and attaches it to its queue.
 */
#ifndef BLOCK_BLK_MQ_H
#define BLOCK_BLK_MQ_H

#include "block/blkdev.h"
#include "kernel/list.h"
#include "kernel/platform.h"
#include "kernel/types.h"

struct blk_mq_hw_ctx;
struct blk_mq_tag_set;

/* queue_rq's answers (Linux 3.13's BLK_MQ_RQ_QUEUE_*). */
#define BLK_MQ_RQ_QUEUE_OK 0	/* the device has it */
#define BLK_MQ_RQ_QUEUE_BUSY 1	/* no room now: try again after a completion */
#define BLK_MQ_RQ_QUEUE_ERROR 2 /* fail it (rq->errors, or -EIO) */

struct blk_mq_queue_data {
	struct request *rq;
	bool last; /* no more requests follow in this batch: notify the device */
};

struct blk_mq_ops {
	/* Hand @bd->rq to the device; the driver calls blk_mq_start_request first. */
	int (*queue_rq)(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd);
	/* A batch ended before a request with last: notify the device now. */
	void (*commit_rqs)(struct blk_mq_hw_ctx *hctx);
	/* Softirq context, on the request's CPU: end it with blk_mq_end_request. */
	void (*complete)(struct request *rq);
	/* The request's time is up; the answers of rq_timed_out_fn. */
	enum blk_eh_timer_return (*timeout)(struct request *rq);
	/*
	 * Reap @hctx's completions without waiting for an interrupt (the
	 * hybrid polling of blk_poll: with @spin interrupts may stay off).
	 */
	int (*poll)(struct blk_mq_hw_ctx *hctx, bool spin);
};

/* A bitmap of tags, taken and released with atomic bit operations. */
struct blk_mq_bitmap {
	unsigned depth;
	unsigned nr_words;
	unsigned long *map;
	unsigned hint; /* where the next search starts: spreads CPUs over words */
};

/* hctx->state bits */
#define BLK_MQ_S_STOPPED 0	 /* the driver said it is full */
#define BLK_MQ_S_SCHED_RESTART 1 /* something came back busy: run after a completion */

struct blk_mq_hw_ctx {
	spinlock_t lock;
	struct list_head dispatch; /* came back busy, or requeued: first next time */
	struct bio_list backlog;   /* bios that found no tag in completion context */
	unsigned long state;
	struct request_queue *queue;
	unsigned queue_num;
	void *driver_data;

	struct blk_mq_bitmap driver_tags; /* the device's depth */
	struct blk_mq_bitmap sched_tags;  /* nr_requests; unused without a scheduler */
	/* Requests, owned by their scheduler tag (or driver tag without a scheduler). */
	struct request **rqs;
	unsigned nr_rqs;
	unsigned long tag_wait_cpus; /* CPUs waiting (process context) for a tag */

	unsigned long cpumask; /* CPUs mapped here */
	unsigned long ctx_map; /* of those, software queues with requests */
	struct tasklet run_tasklet;
	struct timer_list timeout;

	/*
	 * Counters (atomically updated: several CPUs share a context); what
	 * each request does is counted per CPU in the queue's blk_stat.
	 */
	u64 busy;    /* queue_rq answers BUSY */
	u64 runs;    /* dispatch runs */
	u64 direct;  /* plugs issued straight to the driver (no scheduler) */
	u64 commits; /* commit_rqs calls */
};

/* A CPU's software queue in one request queue. */
struct blk_mq_ctx {
	spinlock_t lock;
	struct list_head rq_list; /* inserted, not yet taken by a dispatch */
	unsigned cpu;
	struct blk_mq_hw_ctx *hctx;
} __aligned(SMP_CACHE_BYTES);

struct blk_mq_tag_set {
	const struct blk_mq_ops *ops;
	unsigned nr_hw_queues;
	unsigned queue_depth; /* driver tags per hardware context */
	unsigned cmd_size;    /* the driver's bytes after each struct request */
	void *driver_data;
};

/* The driver's bytes behind a request (Linux's blk_mq_rq_to_pdu). */
static inline void *blk_mq_rq_to_pdu(struct request *rq)
{
	return rq + 1;
}

static inline struct request *blk_mq_rq_from_pdu(void *pdu)
{
	return (struct request *)pdu - 1;
}

/*
 * Give @q the blk-mq face: hardware contexts and their tags per @set.
 * The queue keeps its other paths; blk_queue_set_path(q, BLK_PATH_MQ)
 * switches to this one. The driver's per-context data goes in
 * hctx->driver_data (queue_hw_ctx). 0 or -ENOMEM / -EINVAL.
 */
int blk_mq_init_queue_set(struct request_queue *q, struct blk_mq_tag_set *set);
/*
 * The contexts' requests (with the driver's cmd_size each), allocated by
 * the first blk_queue_set_path(q, BLK_PATH_MQ), not at set-up. 0, or
 * -ENOMEM (the queue keeps its path), -EINVAL without blk-mq.
 */
int blk_mq_alloc_requests(struct request_queue *q);
void blk_mq_exit_queue(struct request_queue *q);
struct blk_mq_hw_ctx *blk_mq_hctx(struct request_queue *q, unsigned i);
/* The hardware context CPU @cpu submits through. */
struct blk_mq_hw_ctx *blk_mq_map_queue(struct request_queue *q, unsigned cpu);

/* The mq path's make_request_fn. */
void blk_mq_make_request(struct request_queue *q, struct bio *bio);

/* Driver face. */
void blk_mq_start_request(struct request *rq);
/* Interrupt context: complete it on its CPU (ops->complete from the softirq). */
void blk_mq_complete_request(struct request *rq);
/* End every bio of @rq with @error (each on its own CPU) and free the request. */
void blk_mq_end_request(struct request *rq, int error);
/* Back to the front of its hardware context, dispatched again later. */
void blk_mq_requeue_request(struct request *rq);
void blk_mq_stop_hw_queue(struct blk_mq_hw_ctx *hctx);
/*
 * Clear a stopped hardware context's stop, or every stopped one's, and run
 * it (from the softirq when @async).
 */
void blk_mq_start_stopped_hw_queue(struct blk_mq_hw_ctx *hctx, bool async);
void blk_mq_start_stopped_hw_queues(struct request_queue *q, bool async);
void blk_mq_run_hw_queue(struct blk_mq_hw_ctx *hctx, bool async);
void blk_mq_run_hw_queues(struct request_queue *q, bool async);
bool blk_mq_hctx_stopped(const struct blk_mq_hw_ctx *hctx);
/* Each hardware context's state, one line each (a stalled run's report). */
void blk_mq_dump(struct request_queue *q);

/* Block core: polling, draining, depth, counters. */
int blk_mq_poll(struct request_queue *q, bool spin);
bool blk_mq_queue_idle(struct request_queue *q);
/* Driver tags per context (1..the set's depth); -EBUSY unless drained. */
int blk_mq_set_queue_depth(struct request_queue *q, unsigned depth);
/* How many of @bm's tags are taken (counted from the map: for slow paths and tests). */
unsigned blk_mq_tags_busy(const struct blk_mq_bitmap *bm);
/* The plug's requests for @q (a list through queuelist), inserted and run. */
void blk_mq_insert_plugged(struct request_queue *q, struct list_head *list);

/*
 * Schedulers (block/blk-mq-sched.c, block/mq-deadline.c). The queue's mq
 * scheduler is chosen with elevator_switch (names "none", "mq-deadline");
 * tunables go through elv_set_tunable while the queue is on the mq path.
 */
struct elevator_mq_ops {
	/*
	 * The scheduler's data is allocated with the queue (so a switch never
	 * fails for memory, and switching back and forth allocates nothing);
	 * init_sched sets it up afresh in q->mq_sched_data, exit_sched checks
	 * it is empty.
	 */
	void *(*alloc_data)(void);
	void (*free_data)(void *data);
	void (*init_sched)(struct request_queue *q);
	void (*exit_sched)(struct request_queue *q);
	/* Try to merge @bio into a queued request; true when it was. */
	bool (*bio_merge)(struct request_queue *q, struct bio *bio);
	void (*insert_requests)(struct blk_mq_hw_ctx *hctx, struct list_head *list, bool at_head);
	/* The next request to dispatch (possibly of another hardware context), or NULL. */
	struct request *(*dispatch_request)(struct blk_mq_hw_ctx *hctx);
	bool (*has_work)(struct blk_mq_hw_ctx *hctx);
	/* At most this many scheduler tags for @op (mq-deadline's async_depth). */
	unsigned (*limit_depth)(struct request_queue *q, unsigned op);
	/* The request leaves the scheduler's reach (ended or requeued). */
	void (*finish_request)(struct request *rq);
};

/* A tunable: its sysfs name, and which of the scheduler's values it is. */
struct elv_mq_tunable {
	const char *name;
	int which;
};

struct elevator_mq_type {
	const char *name;
	struct elevator_mq_ops ops;
	const struct elv_mq_tunable *tunables; /* ends with a NULL name */
	long (*show)(void *sched_data, int which);
	int (*store)(void *sched_data, int which, long value); /* 0 or -EINVAL */
};

extern const struct elevator_mq_type mq_deadline;

/* -EINVAL for a name that is not an mq scheduler; drains first. */
int blk_mq_sched_switch(struct request_queue *q, const char *name);
/* With the queue (block/blk-mq.c): every scheduler's data, and Linux's default choice. */
int blk_mq_sched_alloc(struct request_queue *q);
void blk_mq_sched_free(struct request_queue *q);
bool blk_mq_sched_known(const char *name);
const char *blk_mq_sched_name(const struct request_queue *q);
int blk_mq_sched_set_tunable(struct request_queue *q, const char *name, long value);
int blk_mq_sched_get_tunable(struct request_queue *q, const char *name, long *value);
bool blk_mq_sched_tunable_known(const char *name);

/* For mq schedulers: give back a request merged into another. */
void blk_mq_free_request(struct request *rq);

#endif
