// SPDX-License-Identifier: MIT
/*
 * Request timeouts. Each started request gets a deadline (q->rq_timeout
 * after blk_start_request) and sits on the queue's timeout list; one timer
 * per queue is armed for the earliest deadline. When it fires, each
 * expired request goes to the driver's rq_timed_out_fn, whose answer is
 * Linux's: BLK_EH_HANDLED (complete it now), BLK_EH_RESET_TIMER (wait
 * another rq_timeout), BLK_EH_NOT_HANDLED (the driver completes it later).
 *
 * The device may finish the request while the handler runs. Then
 * blk_complete_request only notes it (REQ_ATOM_LATE), and the completion
 * happens here, once, after the handler returned: a request is never
 * completed twice and a late completion is never lost.
 */
#include "block/blk.h"
#include "block/blkdev.h"

void blk_add_timer(struct request *rq)
{
	struct request_queue *q = rq->q;

	rq->deadline = ktime_get_ns() + q->rq_timeout;
	list_add_tail(&rq->timeout_list, &q->timeout_list);
	if (!q->timeout.pending || rq->deadline < q->timeout.expires)
		mod_timer(&q->timeout, rq->deadline);
}

void blk_delete_timer(struct request *rq)
{
	struct request_queue *q = rq->q;

	if (list_empty(&rq->timeout_list))
		return;
	list_del_init(&rq->timeout_list);
	/* No timer tick for an idle queue. */
	if (list_empty(&q->timeout_list))
		del_timer(&q->timeout);
}

static void blk_rq_timed_out(struct request_queue *q, struct request *rq)
{
	enum blk_eh_timer_return ret;
	unsigned long flags;
	bool late;

	flags = local_irq_save();
	if (rq->atomic_flags & REQ_ATOM_COMPLETE) {
		/* Completed in time after all; the softirq ends it. */
		local_irq_restore(flags);
		return;
	}
	rq->atomic_flags |= REQ_ATOM_TIMEOUT;
	local_irq_restore(flags);

	q->counters.timeouts++;
	ret = q->rq_timed_out_fn ? q->rq_timed_out_fn(rq) : BLK_EH_RESET_TIMER;

	flags = local_irq_save();
	late = rq->atomic_flags & REQ_ATOM_LATE;
	rq->atomic_flags &= ~(REQ_ATOM_TIMEOUT | REQ_ATOM_LATE);
	local_irq_restore(flags);

	switch (ret) {
	case BLK_EH_HANDLED:
		__blk_complete_request(rq);
		break;
	case BLK_EH_RESET_TIMER:
		if (late)
			__blk_complete_request(rq);
		else
			blk_add_timer(rq);
		break;
	case BLK_EH_NOT_HANDLED:
	default:
		if (late)
			__blk_complete_request(rq);
		break;
	}
}

void blk_rq_timed_out_timer(struct timer_list *t)
{
	struct request_queue *q = container_of(t, struct request_queue, timeout);
	u64 now = ktime_get_ns(), next = 0;
	struct request *rq, *n;
	LIST_HEAD(expired);

	blk_atomic_enter();
	/* Detach first: the handler may complete or requeue other requests. */
	list_for_each_entry_safe(rq, n, &q->timeout_list, timeout_list) {
		if (rq->deadline <= now)
			list_move_tail(&rq->timeout_list, &expired);
	}
	while (!list_empty(&expired)) {
		rq = list_first_entry(&expired, struct request, timeout_list);
		list_del_init(&rq->timeout_list);
		blk_rq_timed_out(q, rq);
	}
	list_for_each_entry(rq, &q->timeout_list, timeout_list) {
		if (!next || rq->deadline < next)
			next = rq->deadline;
	}
	if (next)
		mod_timer(&q->timeout, MAX(next, now + 1));
	else
		del_timer(&q->timeout);
	blk_atomic_exit();
}
