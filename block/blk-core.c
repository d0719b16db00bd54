// SPDX-License-Identifier: MIT
/*
 * The block layer's core: generic_make_request and its bio_list loop, the
 * request path (blk_queue_bio, the request pool, plugging, the driver's
 * peek/start/requeue and completion), the bypass path, and queue set-up.
 *
 * Concurrency. On one CPU, process context and completion context
 * (tasklets, timers) never preempt each other, and interrupts only touch
 * what blk-softirq.c guards; so "current" state (the bio_list, the plug)
 * is per CPU and needs no lock. Between CPUs, the request path's per-queue
 * state is under q->queue_lock, as in Linux 3.x (see blkdev.h for who holds
 * it when); bios are never ended with it held. The bypass path shares only
 * atomic and per-CPU counts.
 */
#include "block/blk-mq.h"
#include "block/blk.h"
#include "block/blkdev.h"
#include "block/elevator.h"
#include "block/genhd.h"
#include "kernel/string.h"

/*
 * The seed's current->bio_list: non-NULL while a generic_make_request loop
 * is running on this CPU. Interrupts never submit, and completion context
 * only runs when process context waits, so one pointer per CPU serves both
 * of its contexts: a softirq that submits while process context is inside
 * the loop (waiting for a request) just adds to that loop's list.
 */
#define current_bio_list (blk_cpu_ctx[smp_processor_id()].bio_list)
#define current_plug (blk_cpu_ctx[smp_processor_id()].plug)
#define current_end_batch (blk_cpu_ctx[smp_processor_id()].end_batch)

static void blk_flush_plug_list(struct blk_plug *plug);

/* ------------------------------------------------------------------------
 * generic_make_request
 */

bool blk_msg_ok(struct request_queue *q)
{
	u32 n = __atomic_load_n(&q->msg_count, __ATOMIC_RELAXED);

	if (n > BLK_MSG_BURST)
		return false;
	n = __atomic_fetch_add(&q->msg_count, 1, __ATOMIC_RELAXED);
	if (n < BLK_MSG_BURST)
		return true;
	if (n == BLK_MSG_BURST)
		pr_err("blk: %s: further messages about refused I/O suppressed",
		       q->disk ? q->disk->disk_name : "queue");
	return false;
}

static bool refuse(struct bio *bio, int err)
{
	bio->bi_status = err;
	bio_endio(bio);
	return true;
}

/*
 * Returns true when the bio was consumed: ended with an error, finished
 * (a flush the device does not need), or taken over by flush emulation.
 */
static bool generic_make_request_checks(struct bio *bio)
{
	struct gendisk *disk = bio->bi_disk;
	struct request_queue *q;
	unsigned op = bio_op(bio);
	u32 lbs;

	if (!disk || !disk->queue) {
		pr_err("blk: bio for sector %llu has no disk", (unsigned long long)bio->bi_sector);
		return refuse(bio, -ENODEV);
	}
	q = disk->queue;
	if (q->queue_flags & QUEUE_FLAG_DYING)
		return refuse(bio, -ENODEV);

	switch (op) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		if (!bio->bi_size) {
			/* An empty write with PREFLUSH is how Linux spells a flush. */
			if (op == REQ_OP_WRITE && (bio->bi_rw & REQ_PREFLUSH)) {
				bio->bi_rw = REQ_OP_FLUSH | (bio->bi_rw & REQ_SYNC);
				op = REQ_OP_FLUSH;
				break;
			}
			return refuse(bio, -EINVAL);
		}
		break;
	case REQ_OP_FLUSH:
		if (bio->bi_size)
			return refuse(bio, -EINVAL);
		bio->bi_rw &= ~(REQ_PREFLUSH | REQ_FUA);
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		if (!blk_queue_get_max_sectors(q, op)) {
			if (blk_msg_ok(q))
				pr_err("blk: %s: %s not supported", disk->disk_name,
				       op == REQ_OP_DISCARD ? "discard" : "write-zeroes");
			return refuse(bio, -EOPNOTSUPP);
		}
		if (!bio->bi_size)
			return refuse(bio, -EINVAL);
		break;
	default:
		return refuse(bio, -EOPNOTSUPP);
	}

	if (op != REQ_OP_READ && op != REQ_OP_FLUSH && disk->read_only) {
		if (blk_msg_ok(q))
			pr_err("blk: %s: write refused, the disk is read-only "
			       "(sector %llu, %u bytes)",
			       disk->disk_name, (unsigned long long)bio->bi_sector, bio->bi_size);
		return refuse(bio, -EROFS);
	}

	if (op != REQ_OP_FLUSH) {
		sector_t cap = get_capacity(disk), nr = bio_sectors(bio);

		if (nr > cap || bio->bi_sector > cap - nr) {
			if (blk_msg_ok(q))
				pr_err("blk: %s: access beyond end of device: sector %llu + %llu "
				       "> capacity %llu",
				       disk->disk_name, (unsigned long long)bio->bi_sector,
				       (unsigned long long)nr, (unsigned long long)cap);
			return refuse(bio, -EIO);
		}
		lbs = q->limits.logical_block_size;
		if (!IS_ALIGNED(bio->bi_sector, lbs >> SECTOR_SHIFT) ||
		    !IS_ALIGNED(bio->bi_size, lbs)) {
			if (blk_msg_ok(q))
				pr_err("blk: %s: bio (sector %llu, %u bytes) not aligned to the "
				       "%u-byte logical block",
				       disk->disk_name, (unsigned long long)bio->bi_sector,
				       bio->bi_size, lbs);
			return refuse(bio, -EINVAL);
		}
	}

	/* Without a volatile cache, flushes and FUA have nothing to do. */
	if (!(q->queue_flags & QUEUE_FLAG_WC)) {
		bio->bi_rw &= ~(REQ_PREFLUSH | REQ_FUA);
		if (op == REQ_OP_FLUSH) {
			bio_endio(bio);
			return true;
		}
	}
	if (bio->bi_rw & (REQ_PREFLUSH | REQ_FUA))
		return blk_flush_emulate(q, bio);
	return false;
}

void generic_make_request(struct bio *bio)
{
	struct bio_list on_stack;

	bio->bi_cpu = (u16)smp_processor_id();
	if (current_bio_list) {
		bio_list_add(current_bio_list, bio);
		return;
	}

	/*
	 * The checks run inside the loop too: a bio that fails them ends, and
	 * its bi_end_io may submit again, which then only queues here.
	 */
	BUG_ON(bio->bi_next);
	bio_list_init(&on_stack);
	current_bio_list = &on_stack;
	do {
		if (!generic_make_request_checks(bio)) {
			struct request_queue *q = bio->bi_disk->queue;

			blk_stat(q)->bios++;
			q->make_request_fn(q, bio);
		}
		bio = bio_list_pop(&on_stack);
	} while (bio);
	current_bio_list = NULL;
}

void submit_bio(struct bio *bio)
{
	generic_make_request(bio);
}

/* ------------------------------------------------------------------------
 * The request pool
 */

static void init_rq_pool(struct request_queue *q, struct request *pool, unsigned nr)
{
	unsigned i;

	q->rq_pool = pool;
	q->nr_requests = nr;
	INIT_LIST_HEAD(&q->rq_free);
	for (i = 0; i < nr; i++) {
		INIT_LIST_HEAD(&pool[i].queuelist);
		INIT_LIST_HEAD(&pool[i].timeout_list);
		INIT_LIST_HEAD(&pool[i].hash);
		RB_CLEAR_NODE(&pool[i].rb_node);
		list_add_tail(&pool[i].queuelist, &q->rq_free);
	}
}

static int alloc_rq_pool(struct request_queue *q, unsigned nr)
{
	struct request *pool = kzalloc(sizeof(*pool) * nr);

	if (!pool)
		return -ENOMEM;
	init_rq_pool(q, pool, nr);
	return 0;
}

static bool rq_available(const struct request_queue *q)
{
	return !list_empty(&q->rq_free) && bio_list_empty(&q->backlog);
}

/*
 * A free request, or NULL; called with the queue lock held (interrupts
 * off, *flags the caller's saved state). When the pool is empty, process
 * context drops the lock, pushes out what it holds back, and waits for a
 * completion to free one; completion context cannot wait and gets NULL
 * (its bio is parked on q->backlog). Bios already parked go first, so a
 * newcomer never overtakes them.
 */
static __noinline bool get_request_wait(struct request_queue *q, bool can_wait,
					unsigned long *flags)
{
	while (!rq_available(q)) {
		unsigned cpu = smp_processor_id();

		if (!can_wait || !flags || blk_in_atomic())
			return false;
		/* Marked under the lock: the CPU that frees one sees the mark and wakes us. */
		set_bit(cpu, &q->rq_wait_cpus);
		spin_unlock_irqrestore(&q->queue_lock, *flags);
		if (current_plug && current_plug->depth == 0)
			blk_flush_plug_list(current_plug);
		blk_run_queue(q);
		wait_until(rq_available(q));
		spin_lock_irqsave(&q->queue_lock, *flags);
		clear_bit(cpu, &q->rq_wait_cpus);
	}
	return true;
}

static struct request *get_request(struct request_queue *q, bool can_wait, unsigned long *flags)
{
	struct request *rq;

	if (unlikely(!rq_available(q)) && !get_request_wait(q, can_wait, flags))
		return NULL;
	rq = list_first_entry(&q->rq_free, struct request, queuelist);
	list_del_init(&rq->queuelist);
	q->nr_rqs++;
	return rq;
}

/* Lock held. */
void __blk_put_request(struct request_queue *q, struct request *rq)
{
	unsigned long waiters;

	if (q->last_merge == rq)
		q->last_merge = NULL;
	BUG_ON(!list_empty(&rq->queuelist) || !list_empty(&rq->timeout_list) ||
	       !list_empty(&rq->hash) || !RB_EMPTY_NODE(&rq->rb_node));
	rq->bio = NULL;
	rq->biotail = NULL;
	rq->rq_flags = 0;
	rq->atomic_flags = 0;
	rq->special = NULL;
	list_add(&rq->queuelist, &q->rq_free);
	q->nr_rqs--;
	if (!bio_list_empty(&q->backlog))
		blk_run_queue_async(q);
	waiters = READ_ONCE(q->rq_wait_cpus);
	while (waiters) {
		unsigned cpu = (unsigned)__builtin_ctzl(waiters);

		waiters &= waiters - 1;
		smp_send_reschedule(cpu);
	}
}

static void init_request_from_bio(struct request_queue *q, struct request *rq, struct bio *bio)
{
	rq->q = q;
	rq->mq_hctx = NULL;
	rq->mq_ctx = NULL;
	rq->tag = -1;
	rq->internal_tag = -1;
	rq->rq_disk = bio->bi_disk;
	rq->cmd_flags = bio->bi_rw;
	rq->rq_flags = bio_flagged(bio, BIO_RETRY) ? RQF_NOMERGE : 0;
	rq->atomic_flags = 0;
	rq->__sector = bio->bi_sector;
	rq->__data_len = bio->bi_size;
	rq->bio = bio;
	rq->biotail = bio;
	bio->bi_next = NULL;
	blk_rq_init_segments(q, rq, bio);
	rq->start_time_ns = ktime_get_ns();
	rq->fifo_time = 0;
	rq->deadline = 0;
	rq->special = NULL;
	rq->errors = 0;
	rq->cpu = bio->bi_cpu;
}

static void park_bio(struct request_queue *q, struct bio *bio)
{
	bio_list_add(&q->backlog, bio);
	if (!list_empty(&q->rq_free))
		blk_run_queue_async(q);
}

int blk_queue_nr_requests(struct request_queue *q, unsigned nr)
{
	struct request *old = q->rq_pool, *pool;
	unsigned long flags;

	if (!nr)
		return -EINVAL;
	pool = kzalloc(sizeof(*pool) * nr);
	if (!pool)
		return -ENOMEM;
	spin_lock_irqsave(&q->queue_lock, flags);
	if (q->nr_rqs || !bio_list_empty(&q->backlog)) {
		spin_unlock_irqrestore(&q->queue_lock, flags);
		kfree(pool);
		return -EBUSY;
	}
	init_rq_pool(q, pool, nr);
	spin_unlock_irqrestore(&q->queue_lock, flags);
	kfree(old);
	return 0;
}

/* ------------------------------------------------------------------------
 * Plugging
 */

/*
 * Which plug bios submitted here join (blk_current_plug and
 * blk_same_context, in blk.h). There are two contexts:
 * process (atomic depth 0) and completion (depth above 0: bio_endio nests
 * inside the softirq, but it is the same context). A process-context plug
 * serves only process context: completion work that runs while that
 * context waits must not strand its bios on a list the waiter flushes
 * later. A plug opened in completion context (a driver's completion
 * tasklet, inside blk_atomic_enter) serves everything nested under it,
 * such as bi_end_io callbacks that end requests and submit the next I/O.
 */

void blk_start_plug(struct blk_plug *plug)
{
	INIT_LIST_HEAD(&plug->list);
	plug->count = 0;
	plug->nr_cbs = 0;
	plug->depth = blk_atomic_depth();
	plug->prev = current_plug;
	/* A plug inside a plug of the same context: the outer one decides. */
	plug->active = !(current_plug && blk_same_context(current_plug->depth, plug->depth));
	if (plug->active)
		current_plug = plug;
}

static void flush_plug_callbacks(struct blk_plug *plug)
{
	while (plug->nr_cbs) {
		struct blk_plug_cb cb = plug->cbs[--plug->nr_cbs];

		cb.fn(cb.q, cb.data);
	}
}

/*
 * Insert everything the plug holds, queue by queue in the order it came,
 * and run each queue once: that is the burst's single doorbell. Each queue
 * is locked once for all of its requests; blk-mq requests go to their
 * hardware contexts, each run once.
 */
static void blk_flush_plug_list(struct blk_plug *plug)
{
	LIST_HEAD(list);

	flush_plug_callbacks(plug);
	list_splice_tail_init(&plug->list, &list);
	plug->count = 0;
	while (!list_empty(&list)) {
		struct request *first = list_first_entry(&list, struct request, queuelist);
		struct request_queue *q = first->q;
		struct request *rq, *n;
		unsigned long flags;

		if (first->mq_hctx) {
			LIST_HEAD(mq);

			list_for_each_entry_safe(rq, n, &list, queuelist)
				if (rq->q == q)
					list_move_tail(&rq->queuelist, &mq);
			blk_mq_insert_plugged(q, &mq);
			continue;
		}
		spin_lock_irqsave(&q->queue_lock, flags);
		list_for_each_entry_safe(rq, n, &list, queuelist) {
			if (rq->q != q)
				continue;
			list_del_init(&rq->queuelist);
			__elv_add_request(q, rq, ELEVATOR_INSERT_SORT_MERGE);
		}
		__blk_run_queue(q);
		spin_unlock_irqrestore(&q->queue_lock, flags);
	}
}

void blk_flush_plug(struct blk_plug *plug)
{
	blk_flush_plug_list(plug);
}

void blk_flush_current_plug(void)
{
	if (current_plug && current_plug->depth == 0)
		blk_flush_plug_list(current_plug);
}

void blk_finish_plug(struct blk_plug *plug)
{
	if (!plug->active)
		return;
	/* Plugs nest like the contexts that own them; anything else is a bug. */
	BUG_ON(current_plug != plug);
	blk_flush_plug_list(plug);
	current_plug = plug->prev;
	plug->active = false;
}

bool blk_check_plugged(struct request_queue *q, blk_plug_cb_fn *fn, void *data)
{
	struct blk_plug *plug = blk_current_plug();
	unsigned i;

	if (!plug)
		return false;
	for (i = 0; i < plug->nr_cbs; i++)
		if (plug->cbs[i].fn == fn && plug->cbs[i].data == data)
			return true;
	if (plug->nr_cbs == BLK_PLUG_MAX_CBS)
		return false;
	plug->cbs[plug->nr_cbs].fn = fn;
	plug->cbs[plug->nr_cbs].q = q;
	plug->cbs[plug->nr_cbs].data = data;
	plug->nr_cbs++;
	return true;
}

bool __blk_attempt_plug_merge(struct request_queue *q, struct request *rq, struct bio *bio,
			      int type)
{
	if (rq->q != q || !blk_rq_merge_ok(rq, bio))
		return false;
	if (type == ELEVATOR_BACK_MERGE && bio_attempt_back_merge(q, rq, bio))
		return true;
	if (type == ELEVATOR_FRONT_MERGE && bio_attempt_front_merge(q, rq, bio))
		return true;
	return false;
}

/* ------------------------------------------------------------------------
 * The request path's make_request_fn
 */

static void __blk_queue_bio(struct request_queue *q, struct bio *bio, bool run)
{
	struct blk_plug *plug;
	struct request *rq;
	int where = ELEVATOR_INSERT_SORT;
	unsigned long flags;

	blk_queue_split(q, &bio);
	if (!bio)
		return;

	if (bio_op(bio) == REQ_OP_FLUSH) {
		/* Flushes cover writes already completed: no need to sort or wait. */
		where = ELEVATOR_INSERT_BACK;
		spin_lock_irqsave(&q->queue_lock, flags);
		goto get_rq;
	}
	plug = blk_current_plug();
	/* The plug is this CPU's own: merging into it needs no lock. */
	if (plug && bio_mergeable(bio) && !(q->queue_flags & QUEUE_FLAG_NOMERGES) &&
	    blk_attempt_plug_merge(q, plug, bio))
		return;
	spin_lock_irqsave(&q->queue_lock, flags);
	if (bio_mergeable(bio) && !(q->queue_flags & QUEUE_FLAG_NOMERGES)) {
		int type = elv_merge(q, &rq, bio);

		if (type == ELEVATOR_BACK_MERGE && bio_attempt_back_merge(q, rq, bio)) {
			if (!attempt_back_merge(q, rq))
				elv_merged_request(q, rq, type);
			goto out_unlock;
		}
		if (type == ELEVATOR_FRONT_MERGE && bio_attempt_front_merge(q, rq, bio)) {
			if (!attempt_front_merge(q, rq))
				elv_merged_request(q, rq, type);
			goto out_unlock;
		}
	}

get_rq:
	rq = get_request(q, true, &flags);
	if (!rq) {
		park_bio(q, bio);
		goto out_unlock;
	}
	init_request_from_bio(q, rq, bio);

	plug = blk_current_plug();
	if (plug && where == ELEVATOR_INSERT_SORT) {
		spin_unlock_irqrestore(&q->queue_lock, flags);
		if (plug->count >= BLK_MAX_REQUEST_COUNT)
			blk_flush_plug_list(plug);
		list_add_tail(&rq->queuelist, &plug->list);
		plug->count++;
		return;
	}
	__elv_add_request(q, rq, where);
	if (run)
		__blk_run_queue(q);
out_unlock:
	spin_unlock_irqrestore(&q->queue_lock, flags);
}

void blk_queue_bio(struct request_queue *q, struct bio *bio)
{
	__blk_queue_bio(q, bio, true);
}

/*
 * Called from the block softirq: bios parked for lack of a request. They
 * are taken off the backlog under the lock and queued again one by one;
 * once one parks again, the rest go back behind it, in order.
 */
static void blk_run_backlog(struct request_queue *q)
{
	struct bio_list list;
	unsigned long flags;
	struct bio *bio;

	spin_lock_irqsave(&q->queue_lock, flags);
	if (bio_list_empty(&q->backlog) || list_empty(&q->rq_free)) {
		spin_unlock_irqrestore(&q->queue_lock, flags);
		return;
	}
	list = q->backlog;
	bio_list_init(&q->backlog);
	spin_unlock_irqrestore(&q->queue_lock, flags);
	while ((bio = bio_list_pop(&list))) {
		bool parked;

		spin_lock_irqsave(&q->queue_lock, flags);
		parked = !bio_list_empty(&q->backlog);
		if (parked) {
			bio_list_add(&q->backlog, bio);
			while ((bio = bio_list_pop(&list)))
				bio_list_add(&q->backlog, bio);
		}
		spin_unlock_irqrestore(&q->queue_lock, flags);
		if (parked)
			break;
		__blk_queue_bio(q, bio, false);
	}
}

/* ------------------------------------------------------------------------
 * Running the queue
 */

static bool blk_queue_has_work(const struct request_queue *q)
{
	return !list_empty(&q->queue_head) || q->nr_sorted;
}

/*
 * Lock held. request_fn ends no bio under the lock (failed requests go
 * through __blk_end_request_all), so nothing it does can come back here
 * on this CPU; other CPUs wait for the lock.
 */
void __blk_run_queue(struct request_queue *q)
{
	if (!q->request_fn || blk_queue_stopped(q) || !blk_queue_has_work(q))
		return;
	q->request_fn(q);
}

void blk_run_queue(struct request_queue *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->queue_lock, flags);
	__blk_run_queue(q);
	spin_unlock_irqrestore(&q->queue_lock, flags);
}

void blk_softirq_run_queue(struct request_queue *q)
{
	blk_run_backlog(q);
	blk_run_queue(q);
}

/*
 * The queue's state in one line, for a run that stalled (the job engine's
 * watchdog): whether the driver stopped it, where its requests are.
 */
void blk_dump_queue(struct request_queue *q)
{
	unsigned long flags;
	unsigned dispatch = 0, parked = 0;
	struct request *rq;
	struct bio *bio;

	if (q->mq_ops) {
		blk_mq_dump(q);
		return;
	}
	spin_lock_irqsave(&q->queue_lock, flags);
	list_for_each_entry(rq, &q->queue_head, queuelist)
		dispatch++;
	for (bio = q->backlog.head; bio; bio = bio->bi_next)
		parked++;
	printk("%s: queue %s, requests %u of %u out (%u in the scheduler, %u to dispatch, %u+%u "
	       "in the driver), parked bios %u, CPUs waiting for a request %#lx\n",
	       q->disk ? q->disk->disk_name : "?", blk_queue_stopped(q) ? "stopped" : "running",
	       q->nr_rqs, q->nr_requests, q->nr_sorted, dispatch, q->in_flight[0], q->in_flight[1],
	       parked, READ_ONCE(q->rq_wait_cpus));
	spin_unlock_irqrestore(&q->queue_lock, flags);
}

void blk_stop_queue(struct request_queue *q)
{
	__atomic_fetch_or(&q->queue_flags, QUEUE_FLAG_STOPPED, __ATOMIC_SEQ_CST);
}

void blk_start_queue(struct request_queue *q)
{
	__atomic_fetch_and(&q->queue_flags, ~QUEUE_FLAG_STOPPED, __ATOMIC_SEQ_CST);
	blk_run_queue_async(q);
}

int blk_lld_busy(struct request_queue *q)
{
	return q->lld_busy_fn ? q->lld_busy_fn(q) : 0;
}

/* ------------------------------------------------------------------------
 * Driver face: dispatch (all with the queue lock held)
 */

static struct request *__elv_next_request(struct request_queue *q)
{
	for (;;) {
		if (!list_empty(&q->queue_head))
			return list_first_entry(&q->queue_head, struct request, queuelist);
		if (!q->elevator || !q->elevator->type->ops.elevator_dispatch_fn(q, 0))
			return NULL;
	}
}

struct request *blk_peek_request(struct request_queue *q)
{
	struct request *rq;

	while ((rq = __elv_next_request(q))) {
		int ret;

		if ((rq->rq_flags & RQF_DONTPREP) || !q->prep_rq_fn)
			break;
		ret = q->prep_rq_fn(q, rq);
		if (ret == BLKPREP_OK) {
			rq->rq_flags |= RQF_DONTPREP;
			break;
		}
		if (ret == BLKPREP_DEFER) {
			/* It keeps its place; the driver runs the queue when it can. */
			rq = NULL;
			break;
		}
		rq->rq_flags |= RQF_QUIET;
		blk_start_request(rq);
		__blk_end_request_all(rq, -EIO);
	}
	return rq;
}

void blk_start_request(struct request *rq)
{
	struct request_queue *q = rq->q;

	BUG_ON(rq->rq_flags & (RQF_STARTED | RQF_SORTED));
	list_del_init(&rq->queuelist);
	rq->rq_flags |= RQF_STARTED;
	q->in_flight[rq_data_dir(rq)]++;
	blk_stat(q)->dispatched++;
	/* One clock read serves the timeout and the driver (io_start_time_ns). */
	rq->io_start_time_ns = ktime_get_ns();
	blk_add_timer_at(rq, rq->io_start_time_ns);
}

struct request *blk_fetch_request(struct request_queue *q)
{
	struct request *rq = blk_peek_request(q);

	if (rq)
		blk_start_request(rq);
	return rq;
}

void blk_requeue_request(struct request_queue *q, struct request *rq)
{
	blk_delete_timer(rq);
	__atomic_store_n(&rq->atomic_flags, 0, __ATOMIC_SEQ_CST);
	if (rq->rq_flags & RQF_STARTED) {
		q->in_flight[rq_data_dir(rq)]--;
		blk_stat(q)->dispatched--;
		rq->rq_flags &= ~RQF_STARTED;
	}
	list_del_init(&rq->queuelist);
	blk_stat(q)->requeues++;
	rq->rq_flags |= RQF_SOFTBARRIER;
	__elv_add_request(q, rq, ELEVATOR_INSERT_FRONT);
}

/* ------------------------------------------------------------------------
 * Driver face: completion
 */

/*
 * Each bio of a failed merged request goes out again as a request of its
 * own, at the front of the dispatch queue in its old order. Bios that find
 * no free request are parked; they stay unmergeable (BIO_RETRY) either way.
 * Lock held.
 */
static void blk_retry_bios(struct request_queue *q, struct bio *bios)
{
	LIST_HEAD(list);
	struct bio *bio;

	while ((bio = bios)) {
		struct request *rq;

		bios = bio->bi_next;
		bio->bi_next = NULL;
		bio->bi_flags |= BIO_RETRY;
		blk_stat(q)->retries++;
		rq = get_request(q, false, NULL);
		if (!rq) {
			park_bio(q, bio);
			continue;
		}
		init_request_from_bio(q, rq, bio);
		list_add_tail(&rq->queuelist, &list);
	}
	while (!list_empty(&list)) {
		struct request *rq = list_last_entry(&list, struct request, queuelist);

		list_del_init(&rq->queuelist);
		__elv_add_request(q, rq, ELEVATOR_INSERT_FRONT);
	}
	blk_run_queue_async(q);
}

/*
 * The request's side of ending it, lock held: accounting, its timeout,
 * unprep, back to the pool. Returns the bios still to end (none when a
 * failed merged request's bios were sent again one by one).
 */
static struct bio *blk_finish_request(struct request *rq, int error)
{
	struct request_queue *q = rq->q;
	struct bio *bios = rq->bio;

	if (!(rq->rq_flags & RQF_STARTED)) {
		/* Ended straight from the dispatch queue (the driver refused it unseen). */
		BUG_ON(rq->rq_flags & RQF_SORTED);
		list_del_init(&rq->queuelist);
	} else {
		q->in_flight[rq_data_dir(rq)]--;
	}
	blk_delete_timer(rq);
	if ((rq->rq_flags & RQF_DONTPREP) && q->unprep_rq_fn)
		q->unprep_rq_fn(q, rq);
	blk_stat(q)->completions++;
	if (error)
		blk_stat(q)->errors++;

	/* Free the request first, so a bi_end_io that submits finds one. */
	__blk_put_request(q, rq);

	if (error && bios && bios->bi_next) {
		blk_retry_bios(q, bios);
		return NULL;
	}
	for (struct bio *bio = bios; bio; bio = bio->bi_next)
		if (error && !bio->bi_status)
			bio->bi_status = error;
	return bios;
}

/*
 * Ending requests in batches. While the block softirq ends a batch of
 * completed requests, blk_end_request_all on its CPU only queues each one
 * (a started request is on no list) with its error; blk_end_request_batch
 * then takes each queue's lock once for all of that queue's requests, as
 * Linux 3.x's virtblk_done ended everything it reaped under one lock, and
 * ends their bios once the locks are dropped. A lock per request cost an
 * interrupts-off section and two locked instructions each.
 */

void blk_end_request_batch_begin(struct list_head *batch)
{
	BUG_ON(current_end_batch);
	INIT_LIST_HEAD(batch);
	current_end_batch = batch;
}

void blk_end_request_batch(struct list_head *batch)
{
	struct bio *bios = NULL, **tail = &bios;

	BUG_ON(current_end_batch != batch);
	current_end_batch = NULL;
	while (!list_empty(batch)) {
		struct request_queue *q = list_first_entry(batch, struct request, queuelist)->q;
		struct request *rq, *n;
		unsigned long flags;

		spin_lock_irqsave(&q->queue_lock, flags);
		list_for_each_entry_safe(rq, n, batch, queuelist) {
			if (rq->q != q)
				continue;
			list_del_init(&rq->queuelist);
			*tail = blk_finish_request(rq, rq->errors);
			while (*tail)
				tail = &(*tail)->bi_next;
		}
		spin_unlock_irqrestore(&q->queue_lock, flags);
	}
	blk_end_bios(bios);
}

void blk_end_request_all(struct request *rq, int error)
{
	struct list_head *batch = current_end_batch;
	struct request_queue *q = rq->q;
	unsigned long flags;
	struct bio *bios;

	if (batch && list_empty(&rq->queuelist)) {
		rq->errors = error;
		list_add_tail(&rq->queuelist, batch);
		return;
	}
	spin_lock_irqsave(&q->queue_lock, flags);
	bios = blk_finish_request(rq, error);
	spin_unlock_irqrestore(&q->queue_lock, flags);
	blk_end_bios(bios);
}

void __blk_end_request_all(struct request *rq, int error)
{
	blk_defer_bios(blk_finish_request(rq, error));
}

/* ------------------------------------------------------------------------
 * The bypass path
 */

static void blk_bio_path_make_request(struct request_queue *q, struct bio *bio)
{
	blk_queue_split(q, &bio);
	if (!bio)
		return;
	bio->bi_acct_q = q;
	local_inc(&q->counters[smp_processor_id()].bios_in_flight);
	blk_stat(q)->dispatched++;
	q->bypass_fn(q, bio);
}

void blk_account_bio_done(struct bio *bio)
{
	struct request_queue *q = bio->bi_acct_q;
	int *in_flight = &q->counters[smp_processor_id()].bios_in_flight;

	bio->bi_acct_q = NULL;
	/* bio_endio runs on the submitting CPU, whose count this is. */
	BUG_ON(READ_ONCE(*in_flight) <= 0);
	local_dec(in_flight);
	blk_stat(q)->completions++;
	if (bio->bi_status)
		blk_stat(q)->errors++;
}

void blk_queue_bypass_fn(struct request_queue *q, make_request_fn *fn)
{
	q->bypass_fn = fn;
}

const char *blk_path_name(enum blk_path path)
{
	switch (path) {
	case BLK_PATH_BIO:
		return "bio";
	case BLK_PATH_MQ:
		return "mq";
	default:
		return "request";
	}
}

int blk_path_from_name(const char *name)
{
	if (!strcmp(name, "request"))
		return BLK_PATH_REQUEST;
	if (!strcmp(name, "bio"))
		return BLK_PATH_BIO;
	if (!strcmp(name, "mq"))
		return BLK_PATH_MQ;
	return -EINVAL;
}

int blk_queue_set_path(struct request_queue *q, enum blk_path path)
{
	make_request_fn *fn;

	if (path == BLK_PATH_BIO && q->bypass_fn)
		fn = blk_bio_path_make_request;
	else if (path == BLK_PATH_REQUEST && q->request_fn)
		fn = blk_queue_bio;
	else if (path == BLK_PATH_MQ && q->mq_ops)
		fn = blk_mq_make_request;
	else
		return -EINVAL;
	if (path == BLK_PATH_MQ) {
		int err = blk_mq_alloc_requests(q);

		if (err)
			return err;
	}
	if (q->path == path && q->make_request_fn == fn)
		return 0;
	blk_drain_queue(q);
	q->path = path;
	q->make_request_fn = fn;
	return 0;
}

int blk_queue_bios_in_flight(struct request_queue *q)
{
	int n = 0;

	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		n += READ_ONCE(q->counters[cpu].bios_in_flight);
	return n;
}

static bool blk_queue_idle(struct request_queue *q)
{
	return !READ_ONCE(q->nr_rqs) && bio_list_empty(&q->backlog) && !blk_queue_bios_in_flight(q) &&
	       (!q->mq_ops || blk_mq_queue_idle(q));
}

/*
 * Nothing wakes a draining CPU on purpose: completions on other CPUs are
 * noticed at the next tick at the latest, which is soon enough for
 * switching paths or tearing a queue down.
 */
void blk_drain_queue(struct request_queue *q)
{
	/* Waiting in completion context would wait for itself. */
	BUG_ON(blk_in_atomic());
	if (current_plug && current_plug->depth == 0)
		blk_flush_plug_list(current_plug);
	blk_run_queue(q);
	if (q->mq_ops)
		blk_mq_run_hw_queues(q, false);
	wait_until(blk_queue_idle(q));
}

/* ------------------------------------------------------------------------
 * Queue set-up
 */

int blk_dev_init(void)
{
	return bio_pool_init();
}

void blk_dev_exit(void)
{
	blk_softirq_reset();
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		blk_cpu_ctx[cpu].plug = NULL;
		blk_cpu_ctx[cpu].bio_list = NULL;
		blk_cpu_ctx[cpu].end_batch = NULL;
	}
	if (bio_pool_exit())
		pr_err("blk: reserve bios still in use at exit");
}

struct request_queue *blk_alloc_queue(void)
{
	struct request_queue *q = kzalloc(sizeof(*q));

	if (!q)
		return NULL;
	spin_lock_init(&q->queue_lock, "queue_lock");
	INIT_LIST_HEAD(&q->queue_head);
	INIT_LIST_HEAD(&q->rq_free);
	INIT_LIST_HEAD(&q->run_entry);
	INIT_LIST_HEAD(&q->timeout_list);
	bio_list_init(&q->backlog);
	blk_set_default_limits(&q->limits);
	q->rq_timeout = BLK_DEFAULT_RQ_TIMEOUT;
	q->path = BLK_PATH_BIO;
	timer_setup(&q->timeout, blk_rq_timed_out_timer);
	return q;
}

void blk_queue_get_counters(struct request_queue *q, struct blk_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		const struct blk_counters *c = &q->counters[cpu].c;

		out->bios += c->bios;
		out->dispatched += c->dispatched;
		out->back_merges += c->back_merges;
		out->front_merges += c->front_merges;
		out->rq_merges += c->rq_merges;
		out->splits += c->splits;
		out->completions += c->completions;
		out->errors += c->errors;
		out->timeouts += c->timeouts;
		out->requeues += c->requeues;
		out->retries += c->retries;
		out->kicks += c->kicks;
		out->irqs += c->irqs;
	}
}

void blk_queue_make_request(struct request_queue *q, make_request_fn *fn)
{
	q->make_request_fn = fn;
	q->path = BLK_PATH_BIO;
}

struct request_queue *blk_init_queue(request_fn_proc *request_fn, void *queuedata)
{
	struct request_queue *q = blk_alloc_queue();

	if (!q)
		return NULL;
	if (alloc_rq_pool(q, BLKDEV_MAX_RQ))
		goto fail;
	q->request_fn = request_fn;
	q->queuedata = queuedata;
	q->make_request_fn = blk_queue_bio;
	q->path = BLK_PATH_REQUEST;
	if (elevator_init(q, "deadline"))
		goto fail;
	return q;
fail:
	pr_err("blk: no memory for a request queue");
	kfree(q->rq_pool);
	kfree(q);
	return NULL;
}

void blk_cleanup_queue(struct request_queue *q)
{
	if (!q)
		return;
	__atomic_fetch_or(&q->queue_flags, QUEUE_FLAG_DYING, __ATOMIC_SEQ_CST);
	blk_drain_queue(q);
	del_timer_sync(&q->timeout);
	blk_softirq_forget_queue(q);
	if (q->mq_ops)
		blk_mq_exit_queue(q);
	if (q->elevator)
		elevator_exit(q);
	kfree(q->rq_pool);
	kfree(q);
}
