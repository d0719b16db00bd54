// SPDX-License-Identifier: MIT
/*
 * blk-mq: per-CPU software contexts, hardware contexts with tags, and the
 * queue_rq face (include/block/blk-mq.h has the picture and the locking).
 */
#include "block/blk-mq.h"
#include "block/blk.h"
#include "block/blkdev.h"
#include "block/elevator.h"
#include "block/genhd.h"
#include "kernel/string.h"

/* Requests the scheduler hands over per dispatch round. */
#define BLK_MQ_DISPATCH_BATCH 32
/* Linux's BLKDEV_DEFAULT_RQ: scheduler tags are twice the depth, up to this. */
#define BLK_MQ_SCHED_RQ_MAX 128
/* A context that came back busy with nothing in flight is run again after this. */
#define BLK_MQ_RESOURCE_DELAY_NS (3 * NSEC_PER_MSEC)
/* How far back a CPU's software queue is searched for a merge (Linux: 8). */
#define BLK_MQ_CTX_MERGE_DEPTH 8

#define BITS_PER_LONG (8 * sizeof(unsigned long))

/* ------------------------------------------------------------------------
 * Tags
 */

static int bitmap_init(struct blk_mq_bitmap *bm, unsigned depth)
{
	bm->depth = depth;
	bm->nr_words = DIV_ROUND_UP(depth, BITS_PER_LONG);
	bm->map = kzalloc(bm->nr_words * sizeof(unsigned long));
	bm->hint = 0;
	return bm->map ? 0 : -ENOMEM;
}

/*
 * Tags in use, counted from the map: only the slow paths ask (waiting for
 * a tag, idle checks), so taking and giving back a tag is one locked
 * instruction each, not two.
 */
unsigned blk_mq_tags_busy(const struct blk_mq_bitmap *bm)
{
	unsigned n = 0;

	for (unsigned w = 0; bm->map && w < bm->nr_words; w++)
		n += hweight_long(__atomic_load_n(&bm->map[w], __ATOMIC_RELAXED));
	return n;
}

static void bitmap_exit(struct blk_mq_bitmap *bm)
{
	kfree(bm->map);
	bm->map = NULL;
	bm->depth = 0;
}

/*
 * A free tag below @limit, or -1; lock-free, so any CPU may take one. The
 * word index wraps by comparison, not by a remainder: a division is a
 * helper call under TCG, and this runs for every request.
 */
static int bitmap_get(struct blk_mq_bitmap *bm, unsigned limit)
{
	unsigned words = DIV_ROUND_UP(limit, BITS_PER_LONG);
	unsigned w = READ_ONCE(bm->hint);

	if (w >= words)
		w = 0;
	for (unsigned i = 0; i < words; i++, w = w + 1 == words ? 0 : w + 1) {
		unsigned bits = MIN((unsigned)BITS_PER_LONG, limit - w * (unsigned)BITS_PER_LONG);
		unsigned long mask = bits == BITS_PER_LONG ? ~0ul : (1ul << bits) - 1;

		for (;;) {
			unsigned long free = ~__atomic_load_n(&bm->map[w], __ATOMIC_RELAXED) & mask;
			unsigned bit;

			if (!free)
				break;
			bit = (unsigned)__builtin_ctzl(free);
			if (!test_and_set_bit(bit, &bm->map[w])) {
				WRITE_ONCE(bm->hint, w);
				return (int)(w * BITS_PER_LONG + bit);
			}
		}
	}
	return -1;
}

/* Whether bitmap_get(@bm, @limit) would find a tag now: a free bit below @limit. */
static bool bitmap_has_free(const struct blk_mq_bitmap *bm, unsigned limit)
{
	for (unsigned w = 0; w * BITS_PER_LONG < limit; w++) {
		unsigned bits = MIN((unsigned)BITS_PER_LONG, limit - w * (unsigned)BITS_PER_LONG);
		unsigned long mask = bits == BITS_PER_LONG ? ~0ul : (1ul << bits) - 1;

		if (~__atomic_load_n(&bm->map[w], __ATOMIC_RELAXED) & mask)
			return true;
	}
	return false;
}

static void bitmap_put(struct blk_mq_bitmap *bm, unsigned tag)
{
	BUG_ON(tag >= bm->depth || !test_bit(tag % BITS_PER_LONG, &bm->map[tag / BITS_PER_LONG]));
	clear_bit(tag % BITS_PER_LONG, &bm->map[tag / BITS_PER_LONG]);
}

/*
 * Each hardware context's state in one line, for a run that stalled (the
 * job engine's watchdog): where requests and bios wait, and what would
 * move them.
 */
void blk_mq_dump(struct request_queue *q)
{
	const char *name = q->disk ? q->disk->disk_name : "?";

	for (unsigned i = 0; q->mq_ops && i < q->nr_hw_queues; i++) {
		struct blk_mq_hw_ctx *hctx = q->queue_hw_ctx[i];
		unsigned dispatch = 0, parked = 0;
		unsigned long flags;
		struct request *rq;
		struct bio *bio;

		spin_lock_irqsave(&hctx->lock, flags);
		list_for_each_entry(rq, &hctx->dispatch, queuelist)
			dispatch++;
		for (bio = hctx->backlog.head; bio; bio = bio->bi_next)
			parked++;
		spin_unlock_irqrestore(&hctx->lock, flags);
		printk("%s: hctx%u: %s%s, dispatch list %u, parked bios %u, software queues with "
		       "requests %#lx, driver tags %u of %u, scheduler tags %u of %u, tag waiters "
		       "%#lx, runs %lu, busy %lu\n",
		       name, i, blk_mq_hctx_stopped(hctx) ? "stopped" : "running",
		       test_bit(BLK_MQ_S_SCHED_RESTART, &hctx->state) ? ", restart pending" : "",
		       dispatch, parked, READ_ONCE(hctx->ctx_map),
		       blk_mq_tags_busy(&hctx->driver_tags), hctx->driver_tags.depth,
		       blk_mq_tags_busy(&hctx->sched_tags), hctx->sched_tags.depth,
		       READ_ONCE(hctx->tag_wait_cpus), (unsigned long)hctx->runs,
		       (unsigned long)hctx->busy);
	}
}

/* ------------------------------------------------------------------------
 * Contexts
 */

static void blk_mq_run_work(void *data);
static void blk_mq_timeout_timer(struct timer_list *t);

struct blk_mq_hw_ctx *blk_mq_hctx(struct request_queue *q, unsigned i)
{
	return i < q->nr_hw_queues ? q->queue_hw_ctx[i] : NULL;
}

/* Linux's default map: CPU i through queue i mod nr_hw_queues. */
struct blk_mq_hw_ctx *blk_mq_map_queue(struct request_queue *q, unsigned cpu)
{
	return q->queue_ctx[cpu % NR_CPUS].hctx;
}

bool blk_mq_hctx_stopped(const struct blk_mq_hw_ctx *hctx)
{
	return test_bit(BLK_MQ_S_STOPPED, &hctx->state);
}

static void blk_mq_free_hctx(struct blk_mq_hw_ctx *hctx)
{
	if (!hctx)
		return;
	for (unsigned i = 0; hctx->rqs && i < hctx->nr_rqs; i++)
		kfree(hctx->rqs[i]);
	kfree(hctx->rqs);
	bitmap_exit(&hctx->driver_tags);
	bitmap_exit(&hctx->sched_tags);
	kfree(hctx);
}

static struct blk_mq_hw_ctx *blk_mq_alloc_hctx(struct request_queue *q, struct blk_mq_tag_set *set,
					       unsigned i)
{
	struct blk_mq_hw_ctx *hctx = kzalloc(sizeof(*hctx));

	if (!hctx)
		return NULL;
	spin_lock_init(&hctx->lock, "hctx lock");
	INIT_LIST_HEAD(&hctx->dispatch);
	bio_list_init(&hctx->backlog);
	hctx->queue = q;
	hctx->queue_num = i;
	tasklet_init(&hctx->run_tasklet, blk_mq_run_work, hctx);
	timer_setup(&hctx->timeout, blk_mq_timeout_timer);
	if (bitmap_init(&hctx->driver_tags, set->queue_depth) ||
	    bitmap_init(&hctx->sched_tags, q->mq_nr_requests))
		goto fail;
	return hctx;
fail:
	blk_mq_free_hctx(hctx);
	return NULL;
}

/* One request per tag the context can hand out (blk_mq_alloc_requests). */
static int blk_mq_alloc_hctx_rqs(struct request_queue *q, struct blk_mq_hw_ctx *hctx)
{
	struct blk_mq_tag_set *set = q->tag_set;
	unsigned nr = MAX(set->queue_depth, q->mq_nr_requests);
	struct request **rqs = kzalloc(nr * sizeof(*rqs));

	if (!rqs)
		return -ENOMEM;
	for (unsigned t = 0; t < nr; t++) {
		struct request *rq = kzalloc(sizeof(*rq) + set->cmd_size);

		if (!rq) {
			while (t--)
				kfree(rqs[t]);
			kfree(rqs);
			return -ENOMEM;
		}
		rq->q = q;
		rq->mq_hctx = hctx;
		rq->tag = -1;
		rq->internal_tag = -1;
		INIT_LIST_HEAD(&rq->queuelist);
		INIT_LIST_HEAD(&rq->timeout_list);
		INIT_LIST_HEAD(&rq->hash);
		RB_CLEAR_NODE(&rq->rb_node);
		rqs[t] = rq;
	}
	/* Published whole: the context's timeout timer walks rqs[0..nr_rqs). */
	hctx->rqs = rqs;
	smp_store_release(&hctx->nr_rqs, nr);
	return 0;
}

/*
 * The requests come when the queue first takes path=mq, not with the
 * contexts: each has room for the driver's command (a virtio-blk request
 * with seg_max segments, about 4.4 KiB), so a context holds a megabyte at
 * 256 tags and four and a half at microvm's 1024-entry rings, and
 * allocating and zeroing them was the largest part of probing a disk
 * under TCG, for a path most runs never take.
 */
int blk_mq_alloc_requests(struct request_queue *q)
{
	int err;

	if (!q->mq_ops)
		return -EINVAL;
	for (unsigned i = 0; i < q->nr_hw_queues; i++) {
		if (q->queue_hw_ctx[i]->rqs)
			continue;
		if ((err = blk_mq_alloc_hctx_rqs(q, q->queue_hw_ctx[i])))
			return err;
	}
	return 0;
}

int blk_mq_init_queue_set(struct request_queue *q, struct blk_mq_tag_set *set)
{
	if (!set->ops || !set->ops->queue_rq || !set->nr_hw_queues || set->nr_hw_queues > NR_CPUS ||
	    !set->queue_depth)
		return -EINVAL;
	q->mq_nr_requests = 2 * MIN(set->queue_depth, (unsigned)BLK_MQ_SCHED_RQ_MAX);
	q->queue_ctx = kzalloc(NR_CPUS * sizeof(*q->queue_ctx));
	q->queue_hw_ctx = kzalloc(set->nr_hw_queues * sizeof(*q->queue_hw_ctx));
	if (!q->queue_ctx || !q->queue_hw_ctx)
		goto fail;
	q->nr_hw_queues = set->nr_hw_queues;
	for (unsigned i = 0; i < set->nr_hw_queues; i++) {
		q->queue_hw_ctx[i] = blk_mq_alloc_hctx(q, set, i);
		if (!q->queue_hw_ctx[i])
			goto fail;
	}
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		struct blk_mq_ctx *ctx = &q->queue_ctx[cpu];

		spin_lock_init(&ctx->lock, "mq ctx lock");
		INIT_LIST_HEAD(&ctx->rq_list);
		ctx->cpu = cpu;
		ctx->hctx = q->queue_hw_ctx[cpu % set->nr_hw_queues];
		ctx->hctx->cpumask |= 1ul << cpu;
	}
	q->tag_set = set;
	q->mq_ops = set->ops;
	if (blk_mq_sched_alloc(q))
		goto fail;
	return 0;
fail:
	q->mq_ops = NULL;
	q->tag_set = NULL;
	for (unsigned i = 0; q->queue_hw_ctx && i < set->nr_hw_queues; i++)
		blk_mq_free_hctx(q->queue_hw_ctx[i]);
	kfree(q->queue_hw_ctx);
	kfree(q->queue_ctx);
	q->queue_hw_ctx = NULL;
	q->queue_ctx = NULL;
	q->nr_hw_queues = 0;
	return -ENOMEM;
}

void blk_mq_exit_queue(struct request_queue *q)
{
	if (!q->mq_ops)
		return;
	blk_mq_sched_free(q);
	for (unsigned i = 0; i < q->nr_hw_queues; i++) {
		del_timer_sync(&q->queue_hw_ctx[i]->timeout);
		blk_mq_free_hctx(q->queue_hw_ctx[i]);
	}
	kfree(q->queue_hw_ctx);
	kfree(q->queue_ctx);
	q->queue_hw_ctx = NULL;
	q->queue_ctx = NULL;
	q->nr_hw_queues = 0;
	q->mq_ops = NULL;
	q->tag_set = NULL;
}

/* ------------------------------------------------------------------------
 * Requests
 */

static void wake_tag_waiters(struct blk_mq_hw_ctx *hctx)
{
	unsigned long cpus = READ_ONCE(hctx->tag_wait_cpus);

	while (cpus) {
		unsigned cpu = (unsigned)__builtin_ctzl(cpus);

		cpus &= cpus - 1;
		smp_send_reschedule(cpu);
	}
}

/*
 * The tags a request of @op on @hctx comes from, and how far into them it
 * may look (a scheduler may keep some back, as mq-deadline's async_depth).
 * Inline for the common case, no scheduler: out of line, the scheduler's
 * call made every caller save its registers for nothing.
 */
static struct blk_mq_bitmap *blk_mq_sched_rq_tags(struct request_queue *q,
						  struct blk_mq_hw_ctx *hctx, unsigned op,
						  unsigned *limit)
{
	struct blk_mq_bitmap *bm = &hctx->sched_tags;

	*limit = bm->depth;
	if (q->mq_sched->ops.limit_depth)
		*limit = MAX(1u, MIN(*limit, q->mq_sched->ops.limit_depth(q, op)));
	return bm;
}

static inline struct blk_mq_bitmap *blk_mq_rq_tags(struct request_queue *q,
						   struct blk_mq_hw_ctx *hctx, unsigned op,
						   unsigned *limit)
{
	if (q->mq_sched)
		return blk_mq_sched_rq_tags(q, hctx, op, limit);
	*limit = hctx->driver_tags.depth;
	return &hctx->driver_tags;
}

/*
 * Process context with no tag free: wait for one (after pushing out its
 * plug and running the context, so it is not waiting for itself). Out of
 * line, so the common case carries none of it.
 */
static __noinline int blk_mq_wait_tag(struct blk_mq_hw_ctx *hctx,
				      struct blk_mq_bitmap *bm, unsigned limit)
{
	int tag;

	while ((tag = bitmap_get(bm, limit)) < 0) {
		unsigned cpu = smp_processor_id();

		/* Marked before looking again: a CPU freeing a tag after this sees us. */
		set_bit(cpu, &hctx->tag_wait_cpus);
		blk_flush_current_plug();
		blk_mq_run_hw_queue(hctx, false);
		wait_until(bitmap_has_free(bm, limit));
		clear_bit(cpu, &hctx->tag_wait_cpus);
	}
	return tag;
}

/*
 * A request of @ctx's hardware context: a scheduler tag when there is a
 * scheduler, else a driver tag. Process context waits for one;
 * completion context cannot wait and gets NULL.
 */
static struct request *blk_mq_get_request(struct request_queue *q, struct blk_mq_ctx *ctx,
					  unsigned op, bool can_wait)
{
	struct blk_mq_hw_ctx *hctx = ctx->hctx;
	bool sched = q->mq_sched != NULL;
	unsigned limit;
	struct blk_mq_bitmap *bm = blk_mq_rq_tags(q, hctx, op, &limit);
	struct request *rq;
	int tag = bitmap_get(bm, limit);

	if (tag < 0) {
		if (!can_wait || blk_in_atomic())
			return NULL;
		tag = blk_mq_wait_tag(hctx, bm, limit);
	}
	rq = hctx->rqs[tag];
	BUG_ON(rq->bio || !list_empty(&rq->queuelist));
	rq->tag = sched ? -1 : tag;
	rq->internal_tag = sched ? tag : -1;
	rq->mq_ctx = ctx;
	return rq;
}

static void blk_mq_rq_from_bio(struct request_queue *q, struct request *rq, struct bio *bio)
{
	rq->rq_disk = bio->bi_disk;
	rq->cmd_flags = bio->bi_rw;
	rq->rq_flags = bio_flagged(bio, BIO_RETRY) ? RQF_NOMERGE : 0;
	__atomic_store_n(&rq->atomic_flags, 0, __ATOMIC_RELAXED);
	rq->__sector = bio->bi_sector;
	rq->__data_len = bio->bi_size;
	rq->bio = bio;
	rq->biotail = bio;
	bio->bi_next = NULL;
	blk_rq_init_segments(q, rq, bio);
	/* Nothing on this path reads a birth time (mq-deadline reads the clock per insert). */
	rq->start_time_ns = 0;
	rq->fifo_time = 0;
	rq->deadline = 0;
	rq->special = NULL;
	rq->errors = 0;
	rq->cpu = bio->bi_cpu;
}

/* A driver tag for a request that has a scheduler tag only; false when none is free. */
static bool blk_mq_get_driver_tag(struct request *rq)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	int tag;

	if (rq->tag >= 0)
		return true;
	tag = bitmap_get(&hctx->driver_tags, hctx->driver_tags.depth);
	if (tag < 0)
		return false;
	rq->tag = tag;
	return true;
}

static void blk_mq_put_driver_tag(struct request *rq)
{
	if (rq->tag >= 0 && rq->internal_tag >= 0) {
		bitmap_put(&rq->mq_hctx->driver_tags, (unsigned)rq->tag);
		rq->tag = -1;
	}
}

/*
 * Every field of the request is reset before its tags go back: the tag
 * that owns the request object (the driver tag without a scheduler, the
 * scheduler tag with one) may be taken by another CPU the moment its bit
 * clears, and that CPU sets the request up afresh. Reset after the put,
 * the tag fields overwrote the new owner's: its tag was then never put
 * back, and a context lost one tag for good each time (at queue_depth=8
 * on two CPUs, a drain between job groups waited for ever; tools/soak
 * seed 36 run 174).
 */
void blk_mq_free_request(struct request *rq)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	int tag = rq->tag, internal_tag = rq->internal_tag;

	rq->bio = NULL;
	rq->biotail = NULL;
	rq->rq_flags = 0;
	rq->special = NULL;
	WRITE_ONCE(rq->deadline, 0);
	__atomic_store_n(&rq->atomic_flags, 0, __ATOMIC_RELAXED);
	rq->tag = -1;
	rq->internal_tag = -1;
	/* The puts are full barriers (locked): the resets are seen first. */
	if (tag >= 0)
		bitmap_put(&hctx->driver_tags, (unsigned)tag);
	if (internal_tag >= 0)
		bitmap_put(&hctx->sched_tags, (unsigned)internal_tag);
	/* The tag is free: whoever waits or came back without one may go on. */
	wake_tag_waiters(hctx);
	/* Tested first: a locked clear of a bit that is not set costs for nothing. */
	if ((test_bit(BLK_MQ_S_SCHED_RESTART, &hctx->state) &&
	     test_and_clear_bit(BLK_MQ_S_SCHED_RESTART, &hctx->state)) ||
	    !bio_list_empty(&hctx->backlog))
		blk_mq_run_hw_queue(hctx, true);
}

/* ------------------------------------------------------------------------
 * Inserting
 */

/* Into the scheduler, or the request's CPU's software queue. */
static void blk_mq_insert_request(struct request *rq, bool at_head)
{
	struct request_queue *q = rq->q;
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	struct blk_mq_ctx *ctx = rq->mq_ctx;
	unsigned long flags;

	if (q->mq_sched) {
		LIST_HEAD(list);

		list_add(&rq->queuelist, &list);
		q->mq_sched->ops.insert_requests(hctx, &list, at_head);
		return;
	}
	spin_lock_irqsave(&ctx->lock, flags);
	if (at_head)
		list_add(&rq->queuelist, &ctx->rq_list);
	else
		list_add_tail(&rq->queuelist, &ctx->rq_list);
	spin_unlock_irqrestore(&ctx->lock, flags);
	set_bit(ctx->cpu, &hctx->ctx_map);
}

/* Straight onto the hardware context's dispatch list (flushes, requeues). */
static void blk_mq_insert_dispatch(struct request *rq, bool at_head)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	unsigned long flags;

	spin_lock_irqsave(&hctx->lock, flags);
	if (at_head)
		list_add(&rq->queuelist, &hctx->dispatch);
	else
		list_add_tail(&rq->queuelist, &hctx->dispatch);
	spin_unlock_irqrestore(&hctx->lock, flags);
}

static void stat_add(u64 *counter, u64 n)
{
	__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

/*
 * Whether a plug's requests for @hctx from @ctx may go to the driver at
 * once, as Linux issues a plug directly when there is no scheduler: only
 * when nothing of this context or CPU waits before them (the context's
 * dispatch list, its parked bios, this CPU's software queue), so the
 * order of one CPU's requests holds.
 */
static bool blk_mq_can_issue_directly(struct blk_mq_hw_ctx *hctx, struct blk_mq_ctx *ctx)
{
	return !blk_mq_hctx_stopped(hctx) && list_empty(&hctx->dispatch) &&
	       bio_list_empty(&hctx->backlog) &&
	       !(__atomic_load_n(&hctx->ctx_map, __ATOMIC_RELAXED) & (1ul << ctx->cpu));
}

static bool blk_mq_dispatch_rq_list(struct list_head *list);

void blk_mq_insert_plugged(struct request_queue *q, struct list_head *list)
{
	unsigned long run = 0;

	/* Each CPU's software queue or the scheduler once per hardware context. */
	while (!list_empty(list)) {
		struct request *first = list_first_entry(list, struct request, queuelist);
		struct blk_mq_hw_ctx *hctx = first->mq_hctx;
		struct blk_mq_ctx *ctx = first->mq_ctx;
		struct request *rq, *n;
		LIST_HEAD(batch);
		unsigned long flags;

		list_for_each_entry_safe(rq, n, list, queuelist)
			if (rq->mq_ctx == ctx)
				list_move_tail(&rq->queuelist, &batch);
		if (!q->mq_sched && blk_mq_can_issue_directly(hctx, ctx)) {
			/* What comes back busy waits on the context's dispatch list. */
			stat_add(&hctx->direct, 1);
			blk_mq_dispatch_rq_list(&batch);
			continue;
		}
		run |= 1ul << hctx->queue_num;
		if (q->mq_sched) {
			q->mq_sched->ops.insert_requests(hctx, &batch, false);
			continue;
		}
		spin_lock_irqsave(&ctx->lock, flags);
		list_splice_tail_init(&batch, &ctx->rq_list);
		spin_unlock_irqrestore(&ctx->lock, flags);
		set_bit(ctx->cpu, &hctx->ctx_map);
	}
	while (run) {
		unsigned i = (unsigned)__builtin_ctzl(run);

		run &= run - 1;
		blk_mq_run_hw_queue(q->queue_hw_ctx[i], false);
	}
}

/* ------------------------------------------------------------------------
 * Submitting
 */

/*
 * With no scheduler, a bio may still join a request waiting in this
 * CPU's software queue (the newest few, as Linux's blk_bio_list_merge).
 */
static bool blk_mq_ctx_merge(struct request_queue *q, struct blk_mq_ctx *ctx, struct bio *bio)
{
	struct request *rq;
	unsigned looked = 0;
	unsigned long flags;
	bool merged = false;

	if (list_empty(&ctx->rq_list))
		return false;
	spin_lock_irqsave(&ctx->lock, flags);
	for (rq = list_last_entry(&ctx->rq_list, struct request, queuelist);
	     &rq->queuelist != &ctx->rq_list && looked < BLK_MQ_CTX_MERGE_DEPTH;
	     rq = list_prev_entry(rq, queuelist), looked++) {
		int type;

		type = blk_try_merge(rq, bio); /* the cheap test first */
		if (type == ELEVATOR_NO_MERGE || !blk_rq_merge_ok(rq, bio))
			continue;
		if (type == ELEVATOR_BACK_MERGE)
			merged = bio_attempt_back_merge(q, rq, bio);
		else if (type == ELEVATOR_FRONT_MERGE)
			merged = bio_attempt_front_merge(q, rq, bio);
		if (merged)
			break;
	}
	spin_unlock_irqrestore(&ctx->lock, flags);
	return merged;
}

static void blk_mq_park_bio(struct blk_mq_hw_ctx *hctx, struct bio *bio, bool front)
{
	unsigned long flags;

	spin_lock_irqsave(&hctx->lock, flags);
	if (front)
		bio_list_add_head(&hctx->backlog, bio);
	else
		bio_list_add(&hctx->backlog, bio);
	spin_unlock_irqrestore(&hctx->lock, flags);
}

/*
 * A bio (split to the limits already) becomes a request of its CPU's
 * hardware context. From the plug, the scheduler or the CPU's software
 * queue it may instead join a queued request. Returns the hardware
 * context to run, or NULL when nothing needs running now.
 */
enum submit_from {
	SUBMIT_NEW,	/* a new bio, from make_request */
	SUBMIT_BACKLOG, /* a parked bio, first in line */
	SUBMIT_RETRY,	/* a bio of a failed request, sent again alone */
};

static struct blk_mq_hw_ctx *blk_mq_submit(struct request_queue *q, struct bio *bio,
					   enum submit_from from)
{
	struct blk_mq_ctx *ctx = &q->queue_ctx[bio->bi_cpu % NR_CPUS];
	bool parked = from != SUBMIT_NEW;
	struct blk_plug *plug = parked ? NULL : blk_current_plug();
	struct request *rq;

	if (bio_mergeable(bio) && !(q->queue_flags & QUEUE_FLAG_NOMERGES)) {
		if (plug && blk_attempt_plug_merge(q, plug, bio))
			return NULL;
		if (q->mq_sched ? q->mq_sched->ops.bio_merge(q, bio)
				: blk_mq_ctx_merge(q, ctx, bio))
			return NULL;
	}
	rq = blk_mq_get_request(q, ctx, bio_op(bio), !parked);
	if (!rq) {
		unsigned limit;
		struct blk_mq_bitmap *bm = blk_mq_rq_tags(q, ctx->hctx, bio_op(bio), &limit);

		/* Completion context, no tag: the bio waits for one, in order. */
		blk_mq_park_bio(ctx->hctx, bio, from == SUBMIT_BACKLOG);
		/*
		 * A tag freed between the failed look and the park found no bio
		 * waiting and ran nothing (the lost wake-up): look again now that
		 * the bio can be seen (blk_mq_free_request frees, then looks).
		 */
		smp_mb();
		if (bitmap_has_free(bm, limit))
			blk_mq_run_hw_queue(ctx->hctx, true);
		return NULL;
	}
	blk_mq_rq_from_bio(q, rq, bio);
	if (bio_op(bio) == REQ_OP_FLUSH) {
		/* Flushes cover writes already completed: no sorting, no waiting. */
		blk_mq_insert_dispatch(rq, false);
		return rq->mq_hctx;
	}
	if (plug) {
		if (plug->count >= BLK_MAX_REQUEST_COUNT)
			blk_flush_plug(plug);
		list_add_tail(&rq->queuelist, &plug->list);
		plug->count++;
		return NULL;
	}
	blk_mq_insert_request(rq, false);
	return rq->mq_hctx;
}

void blk_mq_make_request(struct request_queue *q, struct bio *bio)
{
	struct blk_mq_hw_ctx *hctx;

	blk_queue_split(q, &bio);
	if (!bio)
		return;
	hctx = blk_mq_submit(q, bio, SUBMIT_NEW);
	if (hctx)
		blk_mq_run_hw_queue(hctx, false);
}

/*
 * Bios parked for lack of a tag go first, in order, before anything new
 * is dispatched; the first one that finds no tag again stops the round.
 */
static void blk_mq_run_backlog(struct blk_mq_hw_ctx *hctx)
{
	struct request_queue *q = hctx->queue;

	while (!bio_list_empty(&hctx->backlog)) {
		unsigned long flags;
		struct bio *bio;

		spin_lock_irqsave(&hctx->lock, flags);
		bio = bio_list_pop(&hctx->backlog);
		spin_unlock_irqrestore(&hctx->lock, flags);
		if (!bio)
			return;
		blk_mq_submit(q, bio, SUBMIT_BACKLOG);
		if (!bio_list_empty(&hctx->backlog) && hctx->backlog.head == bio)
			return;
	}
}

/* ------------------------------------------------------------------------
 * Dispatching
 */

/* Requests back to the front of their hardware contexts, in order; each is rerun later. */
static void blk_mq_return_list(struct list_head *list)
{
	while (!list_empty(list)) {
		struct blk_mq_hw_ctx *hctx =
			list_last_entry(list, struct request, queuelist)->mq_hctx;
		struct request *rq, *n;
		unsigned long flags;

		spin_lock_irqsave(&hctx->lock, flags);
		list_for_each_entry_safe_reverse(rq, n, list, queuelist)
		{
			if (rq->mq_hctx != hctx)
				continue;
			list_move(&rq->queuelist, &hctx->dispatch);
		}
		set_bit(BLK_MQ_S_SCHED_RESTART, &hctx->state);
		spin_unlock_irqrestore(&hctx->lock, flags);
		/* Nothing in flight would complete and restart it: try again soon. */
		if (!blk_mq_tags_busy(&hctx->driver_tags))
			blk_mq_run_hw_queue(hctx, true);
	}
}

/* Not timed: no deadline for the context's timer to find. */
static void blk_mq_stop_timing(struct request *rq)
{
	WRITE_ONCE(rq->deadline, 0);
}

/*
 * A driver may start a request and then find no room for it (virtio-blk
 * starts it before it knows whether the ring has room, as Linux's does):
 * given back busy, it is not in flight, so it is neither timed nor counted
 * and starts afresh when dispatched again (Linux's __blk_mq_requeue_request
 * on BLK_STS_RESOURCE).
 */
static void blk_mq_unstart_request(struct request *rq)
{
	if (!(rq->rq_flags & RQF_STARTED))
		return;
	blk_mq_stop_timing(rq);
	rq->rq_flags &= ~RQF_STARTED;
	blk_stat(rq->q)->dispatched--;
}

/*
 * Hand @list's requests to the driver, each with bd.last set when the
 * next one goes elsewhere or cannot go now. Returns false when one came
 * back busy or found no driver tag: it and the rest wait at the front of
 * their contexts' dispatch lists.
 */
static bool blk_mq_dispatch_rq_list(struct list_head *list)
{
	struct blk_mq_hw_ctx *uncommitted = NULL;

	while (!list_empty(list)) {
		struct request *rq = list_first_entry(list, struct request, queuelist), *next;
		struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
		struct request_queue *q = hctx->queue;
		struct blk_mq_queue_data bd;
		int ret;

		if (!blk_mq_get_driver_tag(rq))
			break;
		list_del_init(&rq->queuelist);
		next = list_empty(list) ? NULL : list_first_entry(list, struct request, queuelist);
		bd.rq = rq;
		bd.last = !next || next->mq_hctx != hctx || !blk_mq_get_driver_tag(next);
		if (uncommitted && uncommitted != hctx) {
			if (q->mq_ops->commit_rqs) {
				q->mq_ops->commit_rqs(uncommitted);
				stat_add(&uncommitted->commits, 1);
			}
			uncommitted = NULL;
		}
		ret = q->mq_ops->queue_rq(hctx, &bd);
		if (ret == BLK_MQ_RQ_QUEUE_OK) {
			uncommitted = bd.last ? NULL : hctx;
			continue;
		}
		if (ret == BLK_MQ_RQ_QUEUE_BUSY) {
			stat_add(&hctx->busy, 1);
			blk_mq_unstart_request(rq);
			list_add(&rq->queuelist, list);
			break;
		}
		/* Refused: it ends from the softirq, with the block layer's status. */
		if (!rq->errors)
			rq->errors = -EIO;
		rq->rq_flags |= RQF_QUIET | RQF_STARTED;
		__atomic_fetch_or(&rq->atomic_flags, REQ_ATOM_COMPLETE, __ATOMIC_SEQ_CST);
		__blk_complete_request(rq);
	}
	if (uncommitted && uncommitted->queue->mq_ops->commit_rqs) {
		uncommitted->queue->mq_ops->commit_rqs(uncommitted);
		stat_add(&uncommitted->commits, 1);
	}
	if (list_empty(list))
		return true;
	blk_mq_return_list(list);
	return false;
}

/* Everything waiting in the software queues mapped to @hctx, oldest CPU first. */
static void blk_mq_flush_busy_ctxs(struct blk_mq_hw_ctx *hctx, struct list_head *list)
{
	struct request_queue *q = hctx->queue;
	unsigned long map = __atomic_load_n(&hctx->ctx_map, __ATOMIC_RELAXED);

	while (map) {
		unsigned cpu = (unsigned)__builtin_ctzl(map);
		struct blk_mq_ctx *ctx = &q->queue_ctx[cpu];
		unsigned long flags;

		map &= map - 1;
		if (!test_and_clear_bit(cpu, &hctx->ctx_map))
			continue;
		spin_lock_irqsave(&ctx->lock, flags);
		list_splice_tail_init(&ctx->rq_list, list);
		spin_unlock_irqrestore(&ctx->lock, flags);
	}
}

static void __blk_mq_run_hw_queue(struct blk_mq_hw_ctx *hctx)
{
	struct request_queue *q = hctx->queue;
	LIST_HEAD(list);
	unsigned long flags;

	if (blk_mq_hctx_stopped(hctx))
		return;
	stat_add(&hctx->runs, 1);
	blk_mq_run_backlog(hctx);

	/* What came back busy last time goes first. */
	if (!list_empty(&hctx->dispatch)) {
		spin_lock_irqsave(&hctx->lock, flags);
		list_splice_init(&hctx->dispatch, &list);
		spin_unlock_irqrestore(&hctx->lock, flags);
		if (!blk_mq_dispatch_rq_list(&list))
			return;
	}
	if (!q->mq_sched) {
		blk_mq_flush_busy_ctxs(hctx, &list);
		if (!list_empty(&list))
			blk_mq_dispatch_rq_list(&list);
		return;
	}
	for (;;) {
		struct request *rq;
		unsigned n = 0;

		while (n < BLK_MQ_DISPATCH_BATCH &&
		       (rq = q->mq_sched->ops.dispatch_request(hctx))) {
			list_add_tail(&rq->queuelist, &list);
			n++;
		}
		if (!n || !blk_mq_dispatch_rq_list(&list))
			return;
	}
}

static void blk_mq_run_work(void *data)
{
	struct blk_mq_hw_ctx *hctx = data;

	/* Requests it fails end here: completion context, as the block softirq. */
	blk_atomic_enter();
	__blk_mq_run_hw_queue(hctx);
	blk_atomic_exit();
}

void blk_mq_run_hw_queue(struct blk_mq_hw_ctx *hctx, bool async)
{
	if (blk_mq_hctx_stopped(hctx))
		return;
	if (async)
		tasklet_schedule(&hctx->run_tasklet);
	else
		__blk_mq_run_hw_queue(hctx);
}

void blk_mq_run_hw_queues(struct request_queue *q, bool async)
{
	for (unsigned i = 0; i < q->nr_hw_queues; i++)
		blk_mq_run_hw_queue(q->queue_hw_ctx[i], async);
}

void blk_mq_stop_hw_queue(struct blk_mq_hw_ctx *hctx)
{
	set_bit(BLK_MQ_S_STOPPED, &hctx->state);
}

void blk_mq_start_stopped_hw_queue(struct blk_mq_hw_ctx *hctx, bool async)
{
	/* A look first: the locked clear only for a context that is stopped. */
	if (test_bit(BLK_MQ_S_STOPPED, &hctx->state) &&
	    test_and_clear_bit(BLK_MQ_S_STOPPED, &hctx->state))
		blk_mq_run_hw_queue(hctx, async);
}

void blk_mq_start_stopped_hw_queues(struct request_queue *q, bool async)
{
	for (unsigned i = 0; i < q->nr_hw_queues; i++)
		blk_mq_start_stopped_hw_queue(q->queue_hw_ctx[i], async);
}

/* ------------------------------------------------------------------------
 * The driver's side of a request
 */

void blk_mq_start_request(struct request *rq)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	struct request_queue *q = rq->q;

	BUG_ON(rq->rq_flags & RQF_STARTED);
	rq->rq_flags |= RQF_STARTED;
	blk_stat(q)->dispatched++;
	/*
	 * A deadline marks the request started for the context's timer, which
	 * looks at the context's requests themselves (as Linux's
	 * blk_mq_check_expired): no list, no lock per request. An armed timer
	 * is left alone: it finds the oldest deadline when it fires. So a
	 * busy context arms it once, not once per request.
	 */
	rq->io_start_time_ns = ktime_get_ns();
	smp_store_release(&rq->deadline, rq->io_start_time_ns + q->rq_timeout);
	if (!READ_ONCE(hctx->timeout.pending))
		mod_timer(&hctx->timeout, rq->deadline);
}

void blk_mq_complete_request(struct request *rq)
{
	blk_complete_request(rq);
}

/*
 * Each bio of a failed request of several goes out again alone, as the
 * request path does, so the error reaches only the bios the device
 * really refused. Completion context: no waiting for a tag.
 */
static void blk_mq_retry_bios(struct request_queue *q, struct bio *bios)
{
	unsigned long run = 0;
	struct bio *bio;

	while ((bio = bios)) {
		struct blk_mq_hw_ctx *hctx;

		bios = bio->bi_next;
		bio->bi_next = NULL;
		bio->bi_flags |= BIO_RETRY;
		blk_stat(q)->retries++;
		hctx = blk_mq_submit(q, bio, SUBMIT_RETRY);
		if (hctx)
			run |= 1ul << hctx->queue_num;
	}
	while (run) {
		unsigned i = (unsigned)__builtin_ctzl(run);

		run &= run - 1;
		blk_mq_run_hw_queue(q->queue_hw_ctx[i], true);
	}
}

void blk_mq_end_request(struct request *rq, int error)
{
	struct request_queue *q = rq->q;
	struct bio *bios = rq->bio, *bio;

	blk_mq_stop_timing(rq);
	blk_stat(q)->completions++;
	if (error)
		blk_stat(q)->errors++;
	if (q->mq_sched && q->mq_sched->ops.finish_request)
		q->mq_sched->ops.finish_request(rq);
	/* Free the request first, so a bi_end_io that submits finds one. */
	blk_mq_free_request(rq);
	if (error) {
		if (bios && bios->bi_next) {
			blk_mq_retry_bios(q, bios);
			return;
		}
		for (bio = bios; bio; bio = bio->bi_next)
			if (!bio->bi_status)
				bio->bi_status = error;
	}
	blk_end_bios(bios);
}

void blk_mq_requeue_request(struct request *rq)
{
	blk_mq_stop_timing(rq);
	__atomic_store_n(&rq->atomic_flags, 0, __ATOMIC_SEQ_CST);
	rq->rq_flags &= ~RQF_STARTED;
	blk_stat(rq->q)->requeues++;
	/* A scheduler's request gives its device slot back while it waits. */
	blk_mq_put_driver_tag(rq);
	blk_mq_insert_dispatch(rq, true);
	blk_mq_run_hw_queue(rq->mq_hctx, true);
}

/* ------------------------------------------------------------------------
 * Timeouts: as blk-timeout.c, per hardware context. A started request has
 * a deadline (0 otherwise); the timer looks at every request of the
 * context, and claims an expired one against its completion.
 */

static bool claim_timeout(struct request *rq)
{
	unsigned long old = __atomic_load_n(&rq->atomic_flags, __ATOMIC_RELAXED);

	do {
		if (old & (REQ_ATOM_COMPLETE | REQ_ATOM_TIMEOUT))
			return false;
	} while (!__atomic_compare_exchange_n(&rq->atomic_flags, &old, old | REQ_ATOM_TIMEOUT,
					      false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	return true;
}

/*
 * Give up a claim: the request is completed now if the handler did so
 * (@handled), or if its completion came while the claim was held (it only
 * noted that, REQ_ATOM_LATE); otherwise it goes on.
 */
static void release_timeout(struct request *rq, bool handled)
{
	unsigned long old = __atomic_fetch_and(
		&rq->atomic_flags, ~(REQ_ATOM_TIMEOUT | REQ_ATOM_LATE), __ATOMIC_SEQ_CST);

	if (handled || (old & REQ_ATOM_LATE)) {
		__atomic_fetch_or(&rq->atomic_flags, REQ_ATOM_COMPLETE, __ATOMIC_SEQ_CST);
		__blk_complete_request(rq);
	}
}

static void blk_mq_rq_timed_out(struct blk_mq_hw_ctx *hctx, struct request *rq)
{
	struct request_queue *q = hctx->queue;
	enum blk_eh_timer_return ret;

	blk_stat(q)->timeouts++;
	ret = q->mq_ops->timeout ? q->mq_ops->timeout(rq) : BLK_EH_RESET_TIMER;
	if (ret == BLK_EH_RESET_TIMER && READ_ONCE(rq->deadline))
		WRITE_ONCE(rq->deadline, ktime_get_ns() + q->rq_timeout);
	release_timeout(rq, ret == BLK_EH_HANDLED);
}

static void blk_mq_timeout_timer(struct timer_list *t)
{
	struct blk_mq_hw_ctx *hctx = container_of(t, struct blk_mq_hw_ctx, timeout);
	u64 now = ktime_get_ns(), next = 0;

	blk_atomic_enter();
	for (unsigned t = 0, nr = smp_load_acquire(&hctx->nr_rqs); t < nr; t++) {
		struct request *rq = hctx->rqs[t];
		u64 deadline = smp_load_acquire(&rq->deadline);

		if (!deadline)
			continue;
		if (deadline > now) {
			if (!next || deadline < next)
				next = deadline;
			continue;
		}
		if (!claim_timeout(rq))
			continue; /* completed meanwhile */
		/*
		 * The deadline seen may be an earlier life's: the request can
		 * have completed, been freed and started again since. Claimed,
		 * it cannot end under us; its deadline now is the one that counts.
		 */
		deadline = READ_ONCE(rq->deadline);
		if (!deadline || deadline > now) {
			if (deadline && (!next || deadline < next))
				next = deadline;
			release_timeout(rq, false);
			continue;
		}
		blk_mq_rq_timed_out(hctx, rq);
		deadline = READ_ONCE(rq->deadline);
		if (deadline > now && (!next || deadline < next))
			next = deadline;
	}
	if (next)
		mod_timer(&hctx->timeout, MAX(next, now + 1));
	blk_atomic_exit();
}

/* ------------------------------------------------------------------------
 * For the block core
 */

int blk_mq_poll(struct request_queue *q, bool spin)
{
	struct blk_mq_hw_ctx *hctx;

	if (!q->mq_ops || !q->mq_ops->poll)
		return 0;
	hctx = blk_mq_map_queue(q, smp_processor_id());
	return q->mq_ops->poll(hctx, spin);
}

bool blk_mq_queue_idle(struct request_queue *q)
{
	for (unsigned i = 0; i < q->nr_hw_queues; i++) {
		struct blk_mq_hw_ctx *hctx = q->queue_hw_ctx[i];

		if (blk_mq_tags_busy(&hctx->driver_tags) || blk_mq_tags_busy(&hctx->sched_tags) ||
		    !bio_list_empty(&hctx->backlog))
			return false;
	}
	return true;
}

int blk_mq_set_queue_depth(struct request_queue *q, unsigned depth)
{
	if (!q->mq_ops)
		return -EINVAL;
	if (!depth || depth > q->tag_set->queue_depth)
		return -EINVAL;
	if (!blk_mq_queue_idle(q))
		return -EBUSY;
	for (unsigned i = 0; i < q->nr_hw_queues; i++)
		q->queue_hw_ctx[i]->driver_tags.depth = depth;
	return 0;
}
