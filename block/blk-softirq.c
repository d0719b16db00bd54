// SPDX-License-Identifier: MIT
/*
 * The block softirq: where completions leave interrupt context.
 *
 * The driver's interrupt handler calls blk_complete_request(), which only
 * puts the request on a done list (with interrupts off) and schedules the
 * tasklet. The tasklet then calls each queue's softirq_done_fn, where the
 * driver ends the request, and afterwards runs every queue that completed
 * something or was restarted, so a stopped driver gets going again without
 * doing it from its interrupt handler (the seed's virtblk_done path).
 */
#include "block/blk.h"
#include "block/blkdev.h"

static LIST_HEAD(blk_done_list);
static LIST_HEAD(blk_run_list);
static void blk_done_softirq(void *unused);
static struct tasklet blk_softirq_tasklet = TASKLET_INIT(blk_done_softirq, NULL);

/* Callers have interrupts off. */
static void queue_run_locked(struct request_queue *q)
{
	if (list_empty(&q->run_entry))
		list_add_tail(&q->run_entry, &blk_run_list);
}

void __blk_complete_request(struct request *rq)
{
	unsigned long flags = local_irq_save();

	rq->atomic_flags |= REQ_ATOM_COMPLETE;
	list_add_tail(&rq->queuelist, &blk_done_list);
	tasklet_schedule(&blk_softirq_tasklet);
	local_irq_restore(flags);
}

void blk_complete_request(struct request *rq)
{
	unsigned long flags = local_irq_save();

	if (rq->atomic_flags & REQ_ATOM_TIMEOUT) {
		/* The timeout handler owns it right now; it finishes the job after. */
		rq->atomic_flags |= REQ_ATOM_LATE;
	} else if (!(rq->atomic_flags & REQ_ATOM_COMPLETE)) {
		/* Started requests are on no list: queuelist is free for the done list. */
		BUG_ON(!(rq->rq_flags & RQF_STARTED) || !list_empty(&rq->queuelist));
		__blk_complete_request(rq);
	}
	/* Else it is completed already: a second report of it changes nothing. */
	local_irq_restore(flags);
}

void blk_run_queue_async(struct request_queue *q)
{
	unsigned long flags = local_irq_save();

	queue_run_locked(q);
	tasklet_schedule(&blk_softirq_tasklet);
	local_irq_restore(flags);
}

static void blk_done_softirq(void *unused)
{
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
		unsigned long flags = local_irq_save();
		struct request *rq = NULL;
		struct request_queue *q = NULL;

		if (!list_empty(&blk_done_list)) {
			rq = list_first_entry(&blk_done_list, struct request, queuelist);
			list_del_init(&rq->queuelist);
			queue_run_locked(rq->q);
		} else if (!list_empty(&blk_run_list)) {
			q = list_first_entry(&blk_run_list, struct request_queue, run_entry);
			list_del_init(&q->run_entry);
		}
		local_irq_restore(flags);

		if (rq) {
			q = rq->q;
			if (q->softirq_done_fn)
				q->softirq_done_fn(rq);
			else
				blk_end_request_all(rq, rq->errors);
		} else if (q) {
			blk_softirq_run_queue(q);
		} else {
			break;
		}
	}
	blk_finish_plug(&plug);
	blk_atomic_exit();
}

void blk_softirq_forget_queue(struct request_queue *q)
{
	unsigned long flags = local_irq_save();

	list_del_init(&q->run_entry);
	local_irq_restore(flags);
}

void blk_softirq_reset(void)
{
	INIT_LIST_HEAD(&blk_done_list);
	INIT_LIST_HEAD(&blk_run_list);
	tasklet_init(&blk_softirq_tasklet, blk_done_softirq, NULL);
}
