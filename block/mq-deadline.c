// SPDX-License-Identifier: MIT
/*
 * mq-deadline: the deadline policy for blk-mq (Linux's block/mq-deadline.c,
 * without I/O priorities and zoned devices, which this kernel has not).
 *
 * One instance per request queue, under its own lock, shared by every
 * hardware context: per direction a tree sorted by start sector and a
 * FIFO ordered by expiry time; dispatch in sorted batches of up to
 * fifo_batch requests from one direction, reads first unless writes were
 * passed over writes_starved times, restarting from the oldest request when
 * one has expired. A dispatched request goes to the hardware context its
 * tag belongs to, whichever context asked (blk-mq.c sorts that out).
 *
 * Bios merge into queued requests here: at the back through a hash of end
 * sectors, at the front (front_merges) through the tree; a request that
 * grew into its neighbour absorbs it.
 *
 * Tunables and defaults are Linux's: read_expire 500 ms, write_expire
 * 5000 ms, writes_starved 2, front_merges 1, fifo_batch 16, and async_depth
 * (scheduler tags an asynchronous write may hold, three quarters of
 * nr_requests, so writes cannot take every tag from reads). Linux's
 * prio_aging_expire has nothing to age here: every request has one
 * priority.
 */
#include "block/blk-mq.h"
#include "block/blk.h"
#include "block/blkdev.h"
#include "block/elevator.h"

#define DD_READ_EXPIRE_MS 500
#define DD_WRITE_EXPIRE_MS 5000
#define DD_WRITES_STARVED 2
#define DD_FRONT_MERGES 1
#define DD_FIFO_BATCH 16
#define DD_HASH_BITS 6

struct dd_data {
	spinlock_t lock;
	struct rb_root sort_list[2];
	struct list_head fifo_list[2];
	struct list_head dispatch; /* requeued and flush requests: first out, unsorted */
	struct request *next_rq[2];
	unsigned batching;
	unsigned starved;
	struct list_head hash[1u << DD_HASH_BITS]; /* back-merge lookup by end sector */

	u64 fifo_expire[2]; /* ns */
	long fifo_batch;
	long writes_starved;
	long front_merges;
	long async_depth;
};

static struct dd_data *dd_of(struct request_queue *q)
{
	return q->mq_sched_data;
}

static struct list_head *dd_hash_bucket(struct dd_data *dd, sector_t end)
{
	return &dd->hash[((u64)end * 0x9e3779b97f4a7c15ull) >> (64 - DD_HASH_BITS)];
}

static void dd_hash_add(struct dd_data *dd, struct request *rq)
{
	list_add(&rq->hash, dd_hash_bucket(dd, rq_end_sector(rq)));
}

static void dd_hash_reposition(struct dd_data *dd, struct request *rq)
{
	if (list_empty(&rq->hash))
		return;
	list_del_init(&rq->hash);
	dd_hash_add(dd, rq);
}

static struct request *dd_hash_find(struct dd_data *dd, sector_t end)
{
	struct request *rq;

	list_for_each_entry(rq, dd_hash_bucket(dd, end), hash)
		if (rq_end_sector(rq) == end)
			return rq;
	return NULL;
}

static struct request *dd_latter(struct request *rq)
{
	struct rb_node *n = rb_next(&rq->rb_node);

	return n ? rb_entry(n, struct request, rb_node) : NULL;
}

static struct request *dd_former(struct request *rq)
{
	struct rb_node *n = rb_prev(&rq->rb_node);

	return n ? rb_entry(n, struct request, rb_node) : NULL;
}

/* Out of the tree, the FIFO and the hash. */
static void dd_remove_request(struct dd_data *dd, struct request *rq)
{
	int dir = rq_data_dir(rq);

	list_del_init(&rq->queuelist);
	list_del_init(&rq->hash);
	if (dd->next_rq[dir] == rq)
		dd->next_rq[dir] = dd_latter(rq);
	elv_rb_del(&dd->sort_list[dir], rq);
	RB_CLEAR_NODE(&rq->rb_node);
}

static void dd_insert_requests(struct blk_mq_hw_ctx *hctx, struct list_head *list, bool at_head)
{
	struct dd_data *dd = dd_of(hctx->queue);
	unsigned long flags;
	u64 now = ktime_get_ns();

	spin_lock_irqsave(&dd->lock, flags);
	while (!list_empty(list)) {
		struct request *rq = list_first_entry(list, struct request, queuelist);
		int dir = rq_data_dir(rq);

		list_del_init(&rq->queuelist);
		if (at_head || req_op(rq) == REQ_OP_FLUSH) {
			if (at_head)
				list_add(&rq->queuelist, &dd->dispatch);
			else
				list_add_tail(&rq->queuelist, &dd->dispatch);
			continue;
		}
		elv_rb_add(&dd->sort_list[dir], rq);
		if (rq_mergeable(rq) && !(hctx->queue->queue_flags & QUEUE_FLAG_NOMERGES))
			dd_hash_add(dd, rq);
		rq->fifo_time = now + dd->fifo_expire[dir];
		list_add_tail(&rq->queuelist, &dd->fifo_list[dir]);
	}
	spin_unlock_irqrestore(&dd->lock, flags);
}

static bool dd_fifo_expired(struct dd_data *dd, int dir)
{
	struct request *rq = list_first_entry(&dd->fifo_list[dir], struct request, queuelist);

	return ktime_get_ns() >= rq->fifo_time;
}

/* Lock held: the policy of deadline-iosched.c, one request at a time. */
static struct request *__dd_dispatch_request(struct dd_data *dd)
{
	bool reads, writes;
	struct request *rq;
	int dir;

	if (!list_empty(&dd->dispatch)) {
		rq = list_first_entry(&dd->dispatch, struct request, queuelist);
		list_del_init(&rq->queuelist);
		return rq;
	}
	reads = !list_empty(&dd->fifo_list[READ]);
	writes = !list_empty(&dd->fifo_list[WRITE]);

	/* A batch is one direction only, so at most one next_rq is set. */
	rq = dd->next_rq[WRITE] ? dd->next_rq[WRITE] : dd->next_rq[READ];
	if (rq && dd->batching < (unsigned long)dd->fifo_batch)
		goto dispatch_request;

	if (reads) {
		if (writes && dd->starved++ >= (unsigned long)dd->writes_starved)
			goto dispatch_writes;
		dir = READ;
		goto dispatch_find_request;
	}
	if (writes) {
	dispatch_writes:
		dd->starved = 0;
		dir = WRITE;
		goto dispatch_find_request;
	}
	return NULL;

dispatch_find_request:
	if (dd_fifo_expired(dd, dir) || !dd->next_rq[dir])
		rq = list_first_entry(&dd->fifo_list[dir], struct request, queuelist);
	else
		rq = dd->next_rq[dir];
	dd->batching = 0;

dispatch_request:
	dd->batching++;
	dir = rq_data_dir(rq);
	dd->next_rq[READ] = NULL;
	dd->next_rq[WRITE] = NULL;
	dd->next_rq[dir] = dd_latter(rq);
	dd_remove_request(dd, rq);
	return rq;
}

static struct request *dd_dispatch_request(struct blk_mq_hw_ctx *hctx)
{
	struct dd_data *dd = dd_of(hctx->queue);
	struct request *rq;
	unsigned long flags;

	spin_lock_irqsave(&dd->lock, flags);
	rq = __dd_dispatch_request(dd);
	spin_unlock_irqrestore(&dd->lock, flags);
	return rq;
}

static bool dd_has_work(struct blk_mq_hw_ctx *hctx)
{
	struct dd_data *dd = dd_of(hctx->queue);

	return !list_empty(&dd->dispatch) || !list_empty(&dd->fifo_list[READ]) ||
	       !list_empty(&dd->fifo_list[WRITE]);
}

/*
 * @next was joined onto @rq: the joined request keeps the earlier expiry
 * and its FIFO place, and @next leaves. Lock held.
 */
static void dd_merged_requests(struct dd_data *dd, struct request *rq, struct request *next)
{
	if (next->fifo_time < rq->fifo_time) {
		list_del_init(&rq->queuelist);
		list_add(&rq->queuelist, &next->queuelist);
		rq->fifo_time = next->fifo_time;
	}
	dd_remove_request(dd, next);
}

static bool dd_bio_merge(struct request_queue *q, struct bio *bio)
{
	struct dd_data *dd = dd_of(q);
	struct request *rq, *free = NULL;
	unsigned long flags;
	bool merged = false;

	spin_lock_irqsave(&dd->lock, flags);
	rq = dd_hash_find(dd, bio->bi_sector);
	if (rq && blk_rq_merge_ok(rq, bio) && bio_attempt_back_merge(q, rq, bio)) {
		struct request *next = dd_latter(rq);

		merged = true;
		if (next && blk_rq_join(q, rq, next)) {
			dd_merged_requests(dd, rq, next);
			free = next;
		}
		dd_hash_reposition(dd, rq);
	} else if (dd->front_merges) {
		rq = elv_rb_find(&dd->sort_list[bio_data_dir(bio)], bio_end_sector(bio));
		if (rq && blk_rq_merge_ok(rq, bio) && bio_attempt_front_merge(q, rq, bio)) {
			struct request *prev;
			int dir = rq_data_dir(rq);

			merged = true;
			/* The start moved: re-sort, then see whether it now touches its neighbour.
			 */
			elv_rb_del(&dd->sort_list[dir], rq);
			elv_rb_add(&dd->sort_list[dir], rq);
			prev = dd_former(rq);
			if (prev && blk_rq_join(q, prev, rq)) {
				dd_merged_requests(dd, prev, rq);
				dd_hash_reposition(dd, prev);
				free = rq;
			}
		}
	}
	spin_unlock_irqrestore(&dd->lock, flags);
	if (free)
		blk_mq_free_request(free);
	return merged;
}

/* Asynchronous writes (no REQ_SYNC) hold at most async_depth scheduler tags. */
static unsigned dd_limit_depth(struct request_queue *q, unsigned op)
{
	struct dd_data *dd = dd_of(q);

	if (!op_is_write(op))
		return ~0u;
	return (unsigned)READ_ONCE(dd->async_depth);
}

static void *dd_alloc_data(void)
{
	struct dd_data *dd = kzalloc(sizeof(*dd));

	if (dd)
		spin_lock_init(&dd->lock, "mq-deadline");
	return dd;
}

static void dd_free_data(void *data)
{
	kfree(data);
}

/* Fresh state and Linux's defaults, every time the scheduler is chosen. */
static void dd_init_sched(struct request_queue *q)
{
	struct dd_data *dd = dd_of(q);

	dd->sort_list[READ] = RB_ROOT;
	dd->sort_list[WRITE] = RB_ROOT;
	INIT_LIST_HEAD(&dd->fifo_list[READ]);
	INIT_LIST_HEAD(&dd->fifo_list[WRITE]);
	INIT_LIST_HEAD(&dd->dispatch);
	for (unsigned i = 0; i < ARRAY_SIZE(dd->hash); i++)
		INIT_LIST_HEAD(&dd->hash[i]);
	dd->next_rq[READ] = NULL;
	dd->next_rq[WRITE] = NULL;
	dd->batching = 0;
	dd->starved = 0;
	dd->fifo_expire[READ] = DD_READ_EXPIRE_MS * NSEC_PER_MSEC;
	dd->fifo_expire[WRITE] = DD_WRITE_EXPIRE_MS * NSEC_PER_MSEC;
	dd->fifo_batch = DD_FIFO_BATCH;
	dd->writes_starved = DD_WRITES_STARVED;
	dd->front_merges = DD_FRONT_MERGES;
	dd->async_depth = MAX(1u, 3 * q->mq_nr_requests / 4);
}

static void dd_exit_sched(struct request_queue *q)
{
	struct dd_data *dd = dd_of(q);

	BUG_ON(!list_empty(&dd->fifo_list[READ]) || !list_empty(&dd->fifo_list[WRITE]) ||
	       !list_empty(&dd->dispatch));
}

/* ------------------------------------------------------------------------
 * Tunables, in Linux's sysfs units; values Linux would clamp are refused.
 */

#define DD_INT_MAX 0x7fffffffl

static long dd_show(void *data, int which)
{
	struct dd_data *dd = data;

	switch (which) {
	case 0:
		return (long)(dd->fifo_expire[READ] / NSEC_PER_MSEC);
	case 1:
		return (long)(dd->fifo_expire[WRITE] / NSEC_PER_MSEC);
	case 2:
		return dd->writes_starved;
	case 3:
		return dd->front_merges;
	case 4:
		return dd->fifo_batch;
	default:
		return dd->async_depth;
	}
}

static int dd_store(void *data, int which, long v)
{
	struct dd_data *dd = data;

	if (v < 0 || v > DD_INT_MAX || (which == 3 && v > 1) || (which == 5 && v < 1))
		return -EINVAL;
	switch (which) {
	case 0:
		dd->fifo_expire[READ] = (u64)v * NSEC_PER_MSEC;
		break;
	case 1:
		dd->fifo_expire[WRITE] = (u64)v * NSEC_PER_MSEC;
		break;
	case 2:
		dd->writes_starved = v;
		break;
	case 3:
		dd->front_merges = v;
		break;
	case 4:
		dd->fifo_batch = v;
		break;
	default:
		WRITE_ONCE(dd->async_depth, v);
		break;
	}
	return 0;
}

/* clang-format off */
static const struct elv_mq_tunable dd_tunables[] = {
	{ "read_expire", 0 },
	{ "write_expire", 1 },
	{ "writes_starved", 2 },
	{ "front_merges", 3 },
	{ "fifo_batch", 4 },
	{ "async_depth", 5 },
	{ NULL, 0 },
};

const struct elevator_mq_type mq_deadline = {
	.name = "mq-deadline",
	.ops = {
		.alloc_data = dd_alloc_data,
		.free_data = dd_free_data,
		.init_sched = dd_init_sched,
		.exit_sched = dd_exit_sched,
		.bio_merge = dd_bio_merge,
		.insert_requests = dd_insert_requests,
		.dispatch_request = dd_dispatch_request,
		.has_work = dd_has_work,
		.limit_depth = dd_limit_depth,
	},
	.tunables = dd_tunables,
	.show = dd_show,
	.store = dd_store,
};
/* clang-format on */
