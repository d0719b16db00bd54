// SPDX-License-Identifier: MIT
/*
 * The elevator core: choosing a scheduler, the merge lookups every
 * scheduler shares, insertion, and the hand-over to the dispatch queue.
 * Everything here but set-up runs under q->queue_lock.
 *
 * Back merges are found through a hash of queued requests by end sector
 * (a sequential stream always extends the request that ends where the bio
 * starts); front merges are rare enough that each scheduler looks them up
 * in its own order, if at all. q->last_merge short-cuts both for streams.
 */
#include "block/elevator.h"
#include "block/blk-mq.h"
#include "block/blk.h"
#include "block/blkdev.h"
#include "block/genhd.h"
#include "kernel/string.h"

static const struct elevator_type *const elevators[] = {
	&iosched_deadline,
	&elevator_noop,
};

static const struct elevator_type *elevator_find(const char *name)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(elevators); i++)
		if (!strcmp(elevators[i]->elevator_name, name))
			return elevators[i];
	return NULL;
}

bool elv_tunable_known(const char *name)
{
	if (blk_mq_sched_tunable_known(name))
		return true;
	for (unsigned i = 0; i < ARRAY_SIZE(elevators); i++) {
		const struct elv_tunable *t = elevators[i]->tunables;
		for (; t && t->name; t++)
			if (!strcmp(t->name, name))
				return true;
	}
	return false;
}

static struct elevator_queue *elevator_alloc(struct request_queue *q,
					     const struct elevator_type *type)
{
	struct elevator_queue *eq = kzalloc(sizeof(*eq));
	unsigned i;

	if (!eq)
		return NULL;
	eq->type = type;
	for (i = 0; i < ARRAY_SIZE(eq->hash); i++)
		INIT_LIST_HEAD(&eq->hash[i]);
	if (type->ops.elevator_init_fn(q, eq)) {
		kfree(eq);
		return NULL;
	}
	return eq;
}

int elevator_init(struct request_queue *q, const char *name)
{
	const struct elevator_type *type = elevator_find(name);
	struct elevator_queue *eq;

	if (!type)
		return -EINVAL;
	eq = elevator_alloc(q, type);
	if (!eq)
		return -ENOMEM;
	q->elevator = eq;
	return 0;
}

void elevator_exit(struct request_queue *q)
{
	struct elevator_queue *eq = q->elevator;

	if (!eq)
		return;
	BUG_ON(q->nr_sorted);
	eq->type->ops.elevator_exit_fn(eq);
	kfree(eq);
	q->elevator = NULL;
	q->last_merge = NULL;
}

int elevator_switch(struct request_queue *q, const char *name)
{
	const struct elevator_type *type = elevator_find(name);
	struct elevator_queue *eq, *old;
	unsigned long flags;

	/* The mq path's schedulers have names of their own. */
	if (blk_mq_sched_known(name))
		return blk_mq_sched_switch(q, name);
	if (!type || !q->elevator)
		return -EINVAL;
	if (q->elevator->type == type)
		return 0;
	blk_drain_queue(q);
	/* Build the new one before dropping the old, so a failure changes nothing. */
	eq = elevator_alloc(q, type);
	if (!eq)
		return -ENOMEM;
	spin_lock_irqsave(&q->queue_lock, flags);
	old = q->elevator;
	BUG_ON(q->nr_sorted);
	q->elevator = eq;
	q->last_merge = NULL;
	spin_unlock_irqrestore(&q->queue_lock, flags);
	old->type->ops.elevator_exit_fn(old);
	kfree(old);
	return 0;
}

const char *elevator_name(const struct request_queue *q)
{
	if (q->path == BLK_PATH_MQ)
		return blk_mq_sched_name(q);
	return q->elevator ? q->elevator->type->elevator_name : "none";
}

static const struct elv_tunable *tunable_find(struct request_queue *q, const char *name)
{
	const struct elv_tunable *t;

	if (!q->elevator || !q->elevator->type->tunables)
		return NULL;
	for (t = q->elevator->type->tunables; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

int elv_set_tunable(struct request_queue *q, const char *name, long value)
{
	const struct elv_tunable *t;
	unsigned long flags;
	int err = -EINVAL;

	if (q->path == BLK_PATH_MQ)
		return blk_mq_sched_set_tunable(q, name, value);
	spin_lock_irqsave(&q->queue_lock, flags);
	t = tunable_find(q, name);
	if (t)
		err = t->store(q->elevator, value);
	spin_unlock_irqrestore(&q->queue_lock, flags);
	return err;
}

int elv_get_tunable(struct request_queue *q, const char *name, long *value)
{
	const struct elv_tunable *t;
	unsigned long flags;
	int err = -EINVAL;

	if (q->path == BLK_PATH_MQ)
		return blk_mq_sched_get_tunable(q, name, value);
	spin_lock_irqsave(&q->queue_lock, flags);
	t = tunable_find(q, name);
	if (t) {
		*value = t->show(q->elevator);
		err = 0;
	}
	spin_unlock_irqrestore(&q->queue_lock, flags);
	return err;
}

/* ------------------------------------------------------------------------
 * The back-merge hash
 */

static struct list_head *rqhash_bucket(struct elevator_queue *eq, sector_t end)
{
	/* Golden-ratio multiplicative hash: sequential ends spread over buckets. */
	u64 h = (u64)end * 0x9e3779b97f4a7c15ull;

	return &eq->hash[h >> (64 - ELV_HASH_BITS)];
}

static void elv_rqhash_del(struct request *rq)
{
	list_del_init(&rq->hash);
}

static void elv_rqhash_add(struct request_queue *q, struct request *rq)
{
	list_add(&rq->hash, rqhash_bucket(q->elevator, rq_end_sector(rq)));
}

static void elv_rqhash_reposition(struct request_queue *q, struct request *rq)
{
	if (list_empty(&rq->hash))
		return;
	elv_rqhash_del(rq);
	elv_rqhash_add(q, rq);
}

static struct request *elv_rqhash_find(struct request_queue *q, sector_t end)
{
	struct list_head *bucket = rqhash_bucket(q->elevator, end);
	struct request *rq;

	list_for_each_entry(rq, bucket, hash)
		if (rq_end_sector(rq) == end)
			return rq;
	return NULL;
}

/* ------------------------------------------------------------------------
 * Merging
 */

bool elv_bio_merge_ok(struct request *rq, struct bio *bio)
{
	return blk_rq_merge_ok(rq, bio);
}

int elv_merge(struct request_queue *q, struct request **req, struct bio *bio)
{
	struct elevator_queue *eq = q->elevator;
	struct request *rq;

	/* Whether the sectors touch first: for random I/O the one test that fails. */
	if (q->last_merge) {
		int type = blk_try_merge(q->last_merge, bio);

		if (type != ELEVATOR_NO_MERGE && elv_bio_merge_ok(q->last_merge, bio)) {
			*req = q->last_merge;
			return type;
		}
	}
	rq = elv_rqhash_find(q, bio->bi_sector);
	if (rq && elv_bio_merge_ok(rq, bio)) {
		*req = rq;
		return ELEVATOR_BACK_MERGE;
	}
	if (eq->type->ops.elevator_merge_fn)
		return eq->type->ops.elevator_merge_fn(q, req, bio);
	return ELEVATOR_NO_MERGE;
}

void elv_merged_request(struct request_queue *q, struct request *rq, int type)
{
	struct elevator_queue *eq = q->elevator;

	if (eq->type->ops.elevator_merged_fn)
		eq->type->ops.elevator_merged_fn(q, rq, type);
	if (type == ELEVATOR_BACK_MERGE)
		elv_rqhash_reposition(q, rq);
	q->last_merge = rq;
}

void elv_merge_requests(struct request_queue *q, struct request *rq, struct request *next)
{
	struct elevator_queue *eq = q->elevator;

	if (next->rq_flags & RQF_SORTED) {
		if (eq->type->ops.elevator_merge_req_fn)
			eq->type->ops.elevator_merge_req_fn(q, rq, next);
		elv_rqhash_del(next);
		next->rq_flags &= ~RQF_SORTED;
		q->nr_sorted--;
	}
	elv_rqhash_reposition(q, rq);
	q->last_merge = rq;
}

/* A request from a plug joins a queued one that ends where it starts. */
bool elv_attempt_insert_merge(struct request_queue *q, struct request *rq)
{
	struct request *prev;

	if ((q->queue_flags & QUEUE_FLAG_NOMERGES) || !rq_mergeable(rq))
		return false;
	/* Whether the sectors touch first: for random I/O the one test that fails. */
	prev = q->last_merge;
	if (prev && rq_end_sector(prev) == blk_rq_pos(rq) && blk_attempt_req_merge(q, prev, rq))
		return true;
	prev = elv_rqhash_find(q, blk_rq_pos(rq));
	return prev && blk_attempt_req_merge(q, prev, rq);
}

struct request *elv_former_request(struct request_queue *q, struct request *rq)
{
	struct elevator_queue *eq = q->elevator;

	if (!(rq->rq_flags & RQF_SORTED) || !eq->type->ops.elevator_former_req_fn)
		return NULL;
	return eq->type->ops.elevator_former_req_fn(q, rq);
}

struct request *elv_latter_request(struct request_queue *q, struct request *rq)
{
	struct elevator_queue *eq = q->elevator;

	if (!(rq->rq_flags & RQF_SORTED) || !eq->type->ops.elevator_latter_req_fn)
		return NULL;
	return eq->type->ops.elevator_latter_req_fn(q, rq);
}

/* ------------------------------------------------------------------------
 * Insertion and dispatch
 */

void __elv_add_request(struct request_queue *q, struct request *rq, int where)
{
	switch (where) {
	case ELEVATOR_INSERT_FRONT:
		list_add(&rq->queuelist, &q->queue_head);
		break;
	case ELEVATOR_INSERT_BACK:
		list_add_tail(&rq->queuelist, &q->queue_head);
		break;
	case ELEVATOR_INSERT_SORT_MERGE:
		if (elv_attempt_insert_merge(q, rq))
			break;
		/* fall through */
	case ELEVATOR_INSERT_SORT:
		rq->rq_flags |= RQF_SORTED;
		q->nr_sorted++;
		if (rq_mergeable(rq) && !(q->queue_flags & QUEUE_FLAG_NOMERGES)) {
			elv_rqhash_add(q, rq);
			if (!q->last_merge)
				q->last_merge = rq;
		}
		q->elevator->type->ops.elevator_add_req_fn(q, rq);
		break;
	default:
		BUG();
	}
}

void elv_dispatch_add_tail(struct request_queue *q, struct request *rq)
{
	if (q->last_merge == rq)
		q->last_merge = NULL;
	elv_rqhash_del(rq);
	rq->rq_flags &= ~RQF_SORTED;
	q->nr_sorted--;
	list_add_tail(&rq->queuelist, &q->queue_head);
}

/* ------------------------------------------------------------------------
 * Sector-sorted trees for schedulers. Requests with the same start sector
 * go to the right of each other, so the tree keeps their arrival order.
 */

void elv_rb_add(struct rb_root *root, struct request *rq)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		struct request *cur = rb_entry(*link, struct request, rb_node);

		parent = *link;
		if (blk_rq_pos(rq) < blk_rq_pos(cur))
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&rq->rb_node, parent, link);
	rb_insert_color(&rq->rb_node, root);
}

void elv_rb_del(struct rb_root *root, struct request *rq)
{
	BUG_ON(RB_EMPTY_NODE(&rq->rb_node));
	rb_erase(&rq->rb_node, root);
}

struct request *elv_rb_find(struct rb_root *root, sector_t sector)
{
	struct rb_node *n = root->rb_node;

	while (n) {
		struct request *rq = rb_entry(n, struct request, rb_node);

		if (sector < blk_rq_pos(rq))
			n = n->rb_left;
		else if (sector > blk_rq_pos(rq))
			n = n->rb_right;
		else
			return rq;
	}
	return NULL;
}

struct request *elv_rb_former_request(struct request_queue *q, struct request *rq)
{
	struct rb_node *n = rb_prev(&rq->rb_node);

	return n ? rb_entry(n, struct request, rb_node) : NULL;
}

struct request *elv_rb_latter_request(struct request_queue *q, struct request *rq)
{
	struct rb_node *n = rb_next(&rq->rb_node);

	return n ? rb_entry(n, struct request, rb_node) : NULL;
}
