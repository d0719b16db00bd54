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
 * completed twice and a late completion is never lost. Which of the two
 * owns the request is decided by one atomic update of rq->atomic_flags,
 * made under the queue lock, so the request cannot be freed and reused
 * between being found expired and being claimed.
 *
 * The list and the timer are under the queue lock; the handler runs
 * without it (it may reset the device and requeue requests).
 */
#include "block/blk.h"
#include "block/blkdev.h"

/* Lock held. @now: the clock, as the caller has just read it. */
void blk_add_timer_at(struct request *rq, u64 now)
{
	struct request_queue *q = rq->q;

	rq->deadline = now + q->rq_timeout;
	list_add_tail(&rq->timeout_list, &q->timeout_list);
	if (!q->timeout.pending || rq->deadline < q->timeout.expires)
		mod_timer(&q->timeout, rq->deadline);
}

/* Lock held. */
void blk_add_timer(struct request *rq)
{
	blk_add_timer_at(rq, ktime_get_ns());
}

/* Lock held. */
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

/* Claim @rq for the timeout handler, unless it completed; lock held. */
static bool blk_rq_claim_timeout(struct request *rq)
{
	unsigned long old = __atomic_load_n(&rq->atomic_flags, __ATOMIC_RELAXED);

	do {
		if (old & (REQ_ATOM_COMPLETE | REQ_ATOM_TIMEOUT))
			return false; /* completed in time after all; the softirq ends it */
	} while (!__atomic_compare_exchange_n(&rq->atomic_flags, &old, old | REQ_ATOM_TIMEOUT,
					      false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	return true;
}

/* The handler's turn: @rq is claimed (REQ_ATOM_TIMEOUT), the lock is not held. */
static void blk_rq_timed_out(struct request_queue *q, struct request *rq)
{
	enum blk_eh_timer_return ret;
	unsigned long flags, old;

	blk_stat(q)->timeouts++;
	ret = q->rq_timed_out_fn ? q->rq_timed_out_fn(rq) : BLK_EH_RESET_TIMER;

	/* Give it up again: completed now, or the device's again. */
	old = __atomic_fetch_and(&rq->atomic_flags, ~(REQ_ATOM_TIMEOUT | REQ_ATOM_LATE),
				 __ATOMIC_SEQ_CST);
	switch (ret) {
	case BLK_EH_HANDLED:
		__atomic_fetch_or(&rq->atomic_flags, REQ_ATOM_COMPLETE, __ATOMIC_SEQ_CST);
		__blk_complete_request(rq);
		break;
	case BLK_EH_RESET_TIMER:
		if (old & REQ_ATOM_LATE) {
			__atomic_fetch_or(&rq->atomic_flags, REQ_ATOM_COMPLETE, __ATOMIC_SEQ_CST);
			__blk_complete_request(rq);
		} else {
			spin_lock_irqsave(&q->queue_lock, flags);
			blk_add_timer(rq);
			spin_unlock_irqrestore(&q->queue_lock, flags);
		}
		break;
	case BLK_EH_NOT_HANDLED:
	default:
		if (old & REQ_ATOM_LATE) {
			__atomic_fetch_or(&rq->atomic_flags, REQ_ATOM_COMPLETE, __ATOMIC_SEQ_CST);
			__blk_complete_request(rq);
		}
		break;
	}
}

void blk_rq_timed_out_timer(struct timer_list *t)
{
	struct request_queue *q = container_of(t, struct request_queue, timeout);
	u64 now = ktime_get_ns(), next = 0;
	struct request *rq, *n;
	unsigned long flags;

	blk_atomic_enter();
	/*
	 * One expired request at a time, each claimed under the lock: the
	 * handler may complete, requeue or restart other requests, so the
	 * list is looked at afresh after each.
	 */
	for (;;) {
		struct request *expired = NULL;

		spin_lock_irqsave(&q->queue_lock, flags);
		list_for_each_entry_safe(rq, n, &q->timeout_list, timeout_list) {
			if (rq->deadline > now)
				continue;
			list_del_init(&rq->timeout_list);
			if (blk_rq_claim_timeout(rq)) {
				expired = rq;
				break;
			}
		}
		spin_unlock_irqrestore(&q->queue_lock, flags);
		if (!expired)
			break;
		blk_rq_timed_out(q, expired);
	}
	spin_lock_irqsave(&q->queue_lock, flags);
	list_for_each_entry(rq, &q->timeout_list, timeout_list) {
		if (!next || rq->deadline < next)
			next = rq->deadline;
	}
	if (next)
		mod_timer(&q->timeout, MAX(next, now + 1));
	else
		del_timer(&q->timeout);
	spin_unlock_irqrestore(&q->queue_lock, flags);
	blk_atomic_exit();
}
