// SPDX-License-Identifier: MIT
/*
 * noop: requests leave in the order they came. Merging still happens
 * through the core (back merges by the end-sector hash, front and back
 * through the last-merge cache), which is all a device with its own queue
 * and no seek cost wants from a scheduler.
 */
#include "block/blkdev.h"
#include "block/elevator.h"

struct noop_data {
	struct list_head queue;
};

static void noop_merged_requests(struct request_queue *q, struct request *rq, struct request *next)
{
	list_del_init(&next->queuelist);
}

static int noop_dispatch(struct request_queue *q, int force)
{
	struct noop_data *nd = q->elevator->elevator_data;
	struct request *rq;

	if (list_empty(&nd->queue))
		return 0;
	rq = list_first_entry(&nd->queue, struct request, queuelist);
	list_del_init(&rq->queuelist);
	elv_dispatch_add_tail(q, rq);
	return 1;
}

static void noop_add_request(struct request_queue *q, struct request *rq)
{
	struct noop_data *nd = q->elevator->elevator_data;

	list_add_tail(&rq->queuelist, &nd->queue);
}

static struct request *noop_former_request(struct request_queue *q, struct request *rq)
{
	struct noop_data *nd = q->elevator->elevator_data;

	if (rq->queuelist.prev == &nd->queue)
		return NULL;
	return list_entry(rq->queuelist.prev, struct request, queuelist);
}

static struct request *noop_latter_request(struct request_queue *q, struct request *rq)
{
	struct noop_data *nd = q->elevator->elevator_data;

	if (rq->queuelist.next == &nd->queue)
		return NULL;
	return list_entry(rq->queuelist.next, struct request, queuelist);
}

static int noop_init_queue(struct request_queue *q, struct elevator_queue *eq)
{
	struct noop_data *nd = kzalloc(sizeof(*nd));

	if (!nd)
		return -ENOMEM;
	INIT_LIST_HEAD(&nd->queue);
	eq->elevator_data = nd;
	return 0;
}

static void noop_exit_queue(struct elevator_queue *eq)
{
	struct noop_data *nd = eq->elevator_data;

	BUG_ON(!list_empty(&nd->queue));
	kfree(nd);
}

/* clang-format off */
const struct elevator_type elevator_noop = {
	.elevator_name = "noop",
	.ops = {
		.elevator_merge_req_fn = noop_merged_requests,
		.elevator_dispatch_fn = noop_dispatch,
		.elevator_add_req_fn = noop_add_request,
		.elevator_former_req_fn = noop_former_request,
		.elevator_latter_req_fn = noop_latter_request,
		.elevator_init_fn = noop_init_queue,
		.elevator_exit_fn = noop_exit_queue,
	},
	.tunables = NULL,
};
/* clang-format on */
