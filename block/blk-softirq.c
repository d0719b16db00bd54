// SPDX-License-Identifier: MIT
/*
 * The block softirq: where completions leave interrupt context, one per
 * CPU (Linux's BLOCK_SOFTIRQ and its per-CPU blk_cpu_done list).
 *
 * The driver's interrupt handler calls blk_complete_request(), which only
 * puts the request on a done list and schedules the softirq of the CPU the
 * request belongs to (rq->cpu, where its first bio was submitted: Linux's
 * QUEUE_FLAG_SAME_COMP), waking that CPU if it is another. The softirq then
 * calls each queue's softirq_done_fn, where the driver ends the request,
 * and afterwards runs every queue that completed something or was
 * restarted, so a stopped driver gets going again without doing it from
 * its interrupt handler (the seed's virtblk_done path).
 *
 * Bios end on the CPU that submitted them (bio.h). A request may hold bios
 * from several CPUs (merged), and a request ended under the queue lock
 * must not end its bios there: such bios wait on their own CPU's list
 * until its softirq ends them.
 */
#include "block/blk-mq.h"
#include "block/blk.h"
#include "block/blkdev.h"

struct blk_cpu_done {
	spinlock_t lock;       /* the lists below; taken from any CPU and interrupt context */
	struct list_head done; /* requests to complete */
	struct bio_list bios;  /* bios to end */
	struct list_head run;  /* queues to run (guarded by blk_run_lock) */
	struct tasklet tasklet;
	bool ready;
};

static DEFINE_PER_CPU(struct blk_cpu_done, blk_cpu_done);
/* Which CPU's run list a queue is on (q->run_entry): one lock for all of them. */
static DEFINE_SPINLOCK(blk_run_lock);

static void blk_done_softirq(void *data);

static struct blk_cpu_done *cpu_done(unsigned cpu)
{
	struct blk_cpu_done *d = &per_cpu(blk_cpu_done, cpu);

	/* Made on first use: block/ has no per-CPU start-up hook of its own. */
	if (unlikely(!__atomic_load_n(&d->ready, __ATOMIC_ACQUIRE))) {
		unsigned long flags;

		spin_lock_irqsave(&blk_run_lock, flags);
		if (!d->ready) {
			spin_lock_init(&d->lock, "blk_cpu_done");
			INIT_LIST_HEAD(&d->done);
			bio_list_init(&d->bios);
			INIT_LIST_HEAD(&d->run);
			tasklet_init(&d->tasklet, blk_done_softirq, d);
			__atomic_store_n(&d->ready, true, __ATOMIC_RELEASE);
		}
		spin_unlock_irqrestore(&blk_run_lock, flags);
	}
	return d;
}

static unsigned target_cpu(unsigned cpu)
{
	return cpu < num_online_cpus() ? cpu : smp_processor_id();
}

void __blk_complete_request(struct request *rq)
{
	unsigned cpu = target_cpu(rq->cpu);
	struct blk_cpu_done *d = cpu_done(cpu);
	unsigned long flags;

	spin_lock_irqsave(&d->lock, flags);
	list_add_tail(&rq->queuelist, &d->done);
	spin_unlock_irqrestore(&d->lock, flags);
	tasklet_schedule_on(&d->tasklet, cpu);
}

/*
 * The request's owner is decided by one atomic update of its flags: the
 * first of completion and timeout to get there; a completion that comes
 * while the timeout handler owns it only marks it LATE (blk-timeout.c).
 */
static inline bool blk_claim_completion(struct request *rq)
{
	unsigned long old = __atomic_load_n(&rq->atomic_flags, __ATOMIC_RELAXED), new;

	do {
		if (old & (REQ_ATOM_COMPLETE | REQ_ATOM_LATE))
			return false; /* completed already: a second report changes nothing */
		new = old | ((old & REQ_ATOM_TIMEOUT) ? REQ_ATOM_LATE : REQ_ATOM_COMPLETE);
	} while (!__atomic_compare_exchange_n(&rq->atomic_flags, &old, new, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	if (!(new & REQ_ATOM_COMPLETE))
		return false;
	/* Started requests are on no list: queuelist is free for the done list. */
	BUG_ON(!(rq->rq_flags & RQF_STARTED) || !list_empty(&rq->queuelist));
	return true;
}

void blk_complete_request(struct request *rq)
{
	if (blk_claim_completion(rq))
		__blk_complete_request(rq);
}

void blk_complete_request_batch(struct request *rq, struct list_head *batch)
{
	if (!blk_claim_completion(rq))
		return;
	if (target_cpu(rq->cpu) == smp_processor_id())
		list_add_tail(&rq->queuelist, batch);
	else
		__blk_complete_request(rq);
}

void blk_complete_batch(struct list_head *batch)
{
	unsigned cpu = smp_processor_id();
	struct blk_cpu_done *d;
	unsigned long flags;

	if (list_empty(batch))
		return;
	d = cpu_done(cpu);
	spin_lock_irqsave(&d->lock, flags);
	list_splice_tail_init(batch, &d->done);
	spin_unlock_irqrestore(&d->lock, flags);
	tasklet_schedule_on(&d->tasklet, cpu);
}

void blk_run_queue_async(struct request_queue *q)
{
	struct blk_cpu_done *d = cpu_done(smp_processor_id());
	unsigned long flags;

	spin_lock_irqsave(&blk_run_lock, flags);
	if (list_empty(&q->run_entry))
		list_add_tail(&q->run_entry, &d->run);
	spin_unlock_irqrestore(&blk_run_lock, flags);
	tasklet_schedule(&d->tasklet);
}

/* Queue @bio to be ended by its CPU's softirq. */
static void blk_bio_endio_deferred(struct bio *bio)
{
	unsigned cpu = target_cpu(bio->bi_cpu);
	struct blk_cpu_done *d = cpu_done(cpu);
	unsigned long flags;

	bio->bi_cpu = (u16)cpu;
	spin_lock_irqsave(&d->lock, flags);
	bio_list_add(&d->bios, bio);
	spin_unlock_irqrestore(&d->lock, flags);
	tasklet_schedule_on(&d->tasklet, cpu);
}

void __blk_end_bios(struct bio *bios)
{
	struct bio *bio;

	while ((bio = bios)) {
		bios = bio->bi_next;
		bio->bi_next = NULL;
		if (bio->bi_cpu == smp_processor_id())
			bio_endio(bio);
		else
			blk_bio_endio_deferred(bio);
	}
}

void blk_defer_bios(struct bio *bios)
{
	struct bio *bio;

	while ((bio = bios)) {
		bios = bio->bi_next;
		bio->bi_next = NULL;
		blk_bio_endio_deferred(bio);
	}
}

/* Queues that completed something go on this CPU's run list, once each. */
static void blk_queue_runs(struct blk_cpu_done *d, struct request_queue **qs, unsigned n)
{
	unsigned long flags;

	if (!n)
		return;
	spin_lock_irqsave(&blk_run_lock, flags);
	for (unsigned i = 0; i < n; i++)
		if (list_empty(&qs[i]->run_entry))
			list_add_tail(&qs[i]->run_entry, &d->run);
	spin_unlock_irqrestore(&blk_run_lock, flags);
}

/* End one request from the done list, as its queue's face asks. */
static void blk_end_done_request(struct request *rq)
{
	struct request_queue *q = rq->q;

	if (rq->mq_hctx) {
		/* Refused by the block layer itself: the driver has no part in it. */
		if ((rq->rq_flags & RQF_QUIET) || !q->mq_ops->complete)
			blk_mq_end_request(rq, rq->errors);
		else
			q->mq_ops->complete(rq);
	} else if (q->softirq_done_fn) {
		q->softirq_done_fn(rq);
	} else {
		blk_end_request_all(rq, rq->errors);
	}
}

/* Distinct queues a batch may name before they are put on the run list. */
#define BLK_DONE_QUEUES 8

static void blk_done_softirq(void *data)
{
	struct blk_cpu_done *d = data;
	struct blk_plug plug;

	/*
	 * Completion callbacks often submit the next I/O at once (a job
	 * refilling its queue depth). Under one plug, everything this batch
	 * of completions submits reaches the driver together: one run of
	 * request_fn, one notification to the device.
	 */
	blk_atomic_enter();
	blk_start_plug(&plug);
	for (;;) {
		struct request_queue *qs[BLK_DONE_QUEUES], *q = NULL;
		struct request *rq, *n;
		struct bio_list bios;
		unsigned long flags;
		unsigned nq = 0;
		struct bio *bio;
		struct list_head ended;
		LIST_HEAD(done);
		bool worked;

		/*
		 * The whole list in one critical section, as Linux takes its
		 * per-CPU list: a lock per request cost two locked instructions
		 * and an interrupts-off section each. What completes meanwhile
		 * waits for the next round.
		 */
		spin_lock_irqsave(&d->lock, flags);
		list_splice_init(&d->done, &done);
		bios = d->bios;
		bio_list_init(&d->bios);
		spin_unlock_irqrestore(&d->lock, flags);
		worked = !list_empty(&done) || !bio_list_empty(&bios);

		blk_end_request_batch_begin(&ended);
		list_for_each_entry_safe(rq, n, &done, queuelist) {
			list_del_init(&rq->queuelist);
			/*
			 * Once it has completed something, a request queue is
			 * run again. A blk-mq context restarts itself as its
			 * tags come back (blk_mq_free_request), so running its
			 * queue here would only take the queue lock for nothing.
			 */
			if (!rq->mq_hctx) {
				unsigned i;

				for (i = 0; i < nq && qs[i] != rq->q; i++)
					;
				if (i == nq) {
					if (nq == BLK_DONE_QUEUES) {
						blk_queue_runs(d, qs, nq);
						nq = 0;
					}
					qs[nq++] = rq->q;
				}
			}
			blk_end_done_request(rq);
		}
		blk_end_request_batch(&ended);
		blk_queue_runs(d, qs, nq);
		while ((bio = bio_list_pop(&bios)))
			bio_endio(bio);
		if (worked)
			continue;
		spin_lock_irqsave(&blk_run_lock, flags);
		if (!list_empty(&d->run)) {
			q = list_first_entry(&d->run, struct request_queue, run_entry);
			list_del_init(&q->run_entry);
		}
		spin_unlock_irqrestore(&blk_run_lock, flags);
		if (!q)
			break;
		blk_softirq_run_queue(q);
	}
	blk_finish_plug(&plug);
	blk_atomic_exit();
}

void blk_softirq_forget_queue(struct request_queue *q)
{
	unsigned long flags;

	spin_lock_irqsave(&blk_run_lock, flags);
	list_del_init(&q->run_entry);
	spin_unlock_irqrestore(&blk_run_lock, flags);
}

void blk_softirq_reset(void)
{
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		per_cpu(blk_cpu_done, cpu).ready = false;
}
