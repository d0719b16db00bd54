// SPDX-License-Identifier: MIT
/*
 * The deadline I/O scheduler, with Linux's dispatch policy.
 *
 * Per direction, requests sit in a tree sorted by start sector and in a
 * FIFO ordered by expiry time. Dispatch works in batches: up to fifo_batch
 * requests in ascending sector order from one direction. Between batches
 * it picks a direction, reads first, unless writes have already been
 * passed over writes_starved times; within the direction it starts from
 * the oldest request if that one has expired (or the sweep has run off the
 * end), and otherwise carries on the sweep from where the last batch
 * stopped. So throughput comes from sorted batches and latency is bounded
 * by the expiry times.
 */
#include "block/blkdev.h"
#include "block/elevator.h"

/* A reader usually blocks on its data, so reads expire first. */
#define DEADLINE_READ_EXPIRE_MS 500
/* Writes are mostly write-back nobody waits on: ten times longer. */
#define DEADLINE_WRITE_EXPIRE_MS 5000
/* Read batches that may go ahead of pending writes before a write batch. */
#define DEADLINE_WRITES_STARVED 2
/* Requests per sorted batch before the expiry times are looked at again. */
#define DEADLINE_FIFO_BATCH 16
/* Front merges are rare, but one tree lookup per bio is cheap enough. */
#define DEADLINE_FRONT_MERGES 1

struct deadline_data {
	struct rb_root sort_list[2];
	struct list_head fifo_list[2];
	/* Where the sorted sweep continues, per direction. */
	struct request *next_rq[2];
	unsigned batching; /* requests dispatched in this batch */
	unsigned starved;  /* read batches while writes waited */

	u64 fifo_expire[2]; /* ns */
	long fifo_batch;
	long writes_starved;
	long front_merges;
};

static struct deadline_data *dd_of(struct request_queue *q)
{
	return q->elevator->elevator_data;
}

static struct request *deadline_latter_request(struct request *rq)
{
	struct rb_node *n = rb_next(&rq->rb_node);

	return n ? rb_entry(n, struct request, rb_node) : NULL;
}

static void deadline_remove_request(struct deadline_data *dd, struct request *rq)
{
	int dir = rq_data_dir(rq);

	list_del_init(&rq->queuelist);
	if (dd->next_rq[dir] == rq)
		dd->next_rq[dir] = deadline_latter_request(rq);
	elv_rb_del(&dd->sort_list[dir], rq);
}

static void deadline_add_request(struct request_queue *q, struct request *rq)
{
	struct deadline_data *dd = dd_of(q);
	int dir = rq_data_dir(rq);

	elv_rb_add(&dd->sort_list[dir], rq);
	/*
	 * A request's age counts from its birth (init_request_from_bio read
	 * the clock then), which also saves a clock read per request here;
	 * a merge keeps the older birth (attempt_merge).
	 */
	rq->fifo_time = rq->start_time_ns + dd->fifo_expire[dir];
	list_add_tail(&rq->queuelist, &dd->fifo_list[dir]);
}

static int deadline_merge(struct request_queue *q, struct request **req, struct bio *bio)
{
	struct deadline_data *dd = dd_of(q);
	struct request *rq;

	if (!dd->front_merges)
		return ELEVATOR_NO_MERGE;
	rq = elv_rb_find(&dd->sort_list[bio_data_dir(bio)], bio_end_sector(bio));
	if (rq && elv_bio_merge_ok(rq, bio)) {
		*req = rq;
		return ELEVATOR_FRONT_MERGE;
	}
	return ELEVATOR_NO_MERGE;
}

static void deadline_merged_request(struct request_queue *q, struct request *rq, int type)
{
	struct deadline_data *dd = dd_of(q);

	/* A front merge moved the start sector: re-sort. */
	if (type == ELEVATOR_FRONT_MERGE) {
		elv_rb_del(&dd->sort_list[rq_data_dir(rq)], rq);
		elv_rb_add(&dd->sort_list[rq_data_dir(rq)], rq);
	}
}

static void deadline_merged_requests(struct request_queue *q, struct request *rq,
				     struct request *next)
{
	struct deadline_data *dd = dd_of(q);

	/* The joined request keeps the earlier expiry, and its FIFO place. */
	if (!list_empty(&rq->queuelist) && !list_empty(&next->queuelist) &&
	    next->fifo_time < rq->fifo_time) {
		list_del_init(&rq->queuelist);
		list_add(&rq->queuelist, &next->queuelist);
		rq->fifo_time = next->fifo_time;
	}
	deadline_remove_request(dd, next);
}

static void deadline_move_request(struct request_queue *q, struct deadline_data *dd,
				  struct request *rq)
{
	int dir = rq_data_dir(rq);

	dd->next_rq[READ] = NULL;
	dd->next_rq[WRITE] = NULL;
	dd->next_rq[dir] = deadline_latter_request(rq);
	deadline_remove_request(dd, rq);
	elv_dispatch_add_tail(q, rq);
}

static bool deadline_check_fifo(struct deadline_data *dd, int dir)
{
	struct request *rq = list_first_entry(&dd->fifo_list[dir], struct request, queuelist);

	return ktime_get_ns() >= rq->fifo_time;
}

static int deadline_dispatch_requests(struct request_queue *q, int force)
{
	struct deadline_data *dd = dd_of(q);
	bool reads = !list_empty(&dd->fifo_list[READ]);
	bool writes = !list_empty(&dd->fifo_list[WRITE]);
	struct request *rq;
	int dir;

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
	return 0;

dispatch_find_request:
	/*
	 * Restart from the oldest request when one has expired, or when the
	 * last batch went the other way or ran off the end of the sweep.
	 */
	if (deadline_check_fifo(dd, dir) || !dd->next_rq[dir])
		rq = list_first_entry(&dd->fifo_list[dir], struct request, queuelist);
	else
		rq = dd->next_rq[dir];
	dd->batching = 0;

dispatch_request:
	dd->batching++;
	deadline_move_request(q, dd, rq);
	return 1;
}

static struct request *deadline_former(struct request_queue *q, struct request *rq)
{
	return elv_rb_former_request(q, rq);
}

static struct request *deadline_latter(struct request_queue *q, struct request *rq)
{
	return elv_rb_latter_request(q, rq);
}

static int deadline_init_queue(struct request_queue *q, struct elevator_queue *eq)
{
	struct deadline_data *dd = kzalloc(sizeof(*dd));

	if (!dd)
		return -ENOMEM;
	dd->sort_list[READ] = RB_ROOT;
	dd->sort_list[WRITE] = RB_ROOT;
	INIT_LIST_HEAD(&dd->fifo_list[READ]);
	INIT_LIST_HEAD(&dd->fifo_list[WRITE]);
	dd->fifo_expire[READ] = DEADLINE_READ_EXPIRE_MS * NSEC_PER_MSEC;
	dd->fifo_expire[WRITE] = DEADLINE_WRITE_EXPIRE_MS * NSEC_PER_MSEC;
	dd->fifo_batch = DEADLINE_FIFO_BATCH;
	dd->writes_starved = DEADLINE_WRITES_STARVED;
	dd->front_merges = DEADLINE_FRONT_MERGES;
	eq->elevator_data = dd;
	return 0;
}

static void deadline_exit_queue(struct elevator_queue *eq)
{
	struct deadline_data *dd = eq->elevator_data;

	BUG_ON(!list_empty(&dd->fifo_list[READ]) || !list_empty(&dd->fifo_list[WRITE]));
	kfree(dd);
}

/* ------------------------------------------------------------------------
 * Tunables, in Linux's sysfs units; values Linux would clamp are refused.
 */

#define DD_INT_MAX 0x7fffffffl

static long show_read_expire(struct elevator_queue *eq)
{
	return (long)(((struct deadline_data *)eq->elevator_data)->fifo_expire[READ] /
		      NSEC_PER_MSEC);
}

static long show_write_expire(struct elevator_queue *eq)
{
	return (long)(((struct deadline_data *)eq->elevator_data)->fifo_expire[WRITE] /
		      NSEC_PER_MSEC);
}

static long show_writes_starved(struct elevator_queue *eq)
{
	return ((struct deadline_data *)eq->elevator_data)->writes_starved;
}

static long show_fifo_batch(struct elevator_queue *eq)
{
	return ((struct deadline_data *)eq->elevator_data)->fifo_batch;
}

static long show_front_merges(struct elevator_queue *eq)
{
	return ((struct deadline_data *)eq->elevator_data)->front_merges;
}

static int store_read_expire(struct elevator_queue *eq, long v)
{
	if (v < 0 || v > DD_INT_MAX)
		return -EINVAL;
	((struct deadline_data *)eq->elevator_data)->fifo_expire[READ] = (u64)v * NSEC_PER_MSEC;
	return 0;
}

static int store_write_expire(struct elevator_queue *eq, long v)
{
	if (v < 0 || v > DD_INT_MAX)
		return -EINVAL;
	((struct deadline_data *)eq->elevator_data)->fifo_expire[WRITE] = (u64)v * NSEC_PER_MSEC;
	return 0;
}

static int store_writes_starved(struct elevator_queue *eq, long v)
{
	if (v < 0 || v > DD_INT_MAX)
		return -EINVAL;
	((struct deadline_data *)eq->elevator_data)->writes_starved = v;
	return 0;
}

static int store_fifo_batch(struct elevator_queue *eq, long v)
{
	if (v < 0 || v > DD_INT_MAX)
		return -EINVAL;
	((struct deadline_data *)eq->elevator_data)->fifo_batch = v;
	return 0;
}

static int store_front_merges(struct elevator_queue *eq, long v)
{
	if (v != 0 && v != 1)
		return -EINVAL;
	((struct deadline_data *)eq->elevator_data)->front_merges = v;
	return 0;
}

/* Tables read best one entry per line. */
/* clang-format off */
static const struct elv_tunable deadline_tunables[] = {
	{ "read_expire", show_read_expire, store_read_expire },
	{ "write_expire", show_write_expire, store_write_expire },
	{ "writes_starved", show_writes_starved, store_writes_starved },
	{ "fifo_batch", show_fifo_batch, store_fifo_batch },
	{ "front_merges", show_front_merges, store_front_merges },
	{ NULL, NULL, NULL },
};

const struct elevator_type iosched_deadline = {
	.elevator_name = "deadline",
	.ops = {
		.elevator_merge_fn = deadline_merge,
		.elevator_merged_fn = deadline_merged_request,
		.elevator_merge_req_fn = deadline_merged_requests,
		.elevator_dispatch_fn = deadline_dispatch_requests,
		.elevator_add_req_fn = deadline_add_request,
		.elevator_former_req_fn = deadline_former,
		.elevator_latter_req_fn = deadline_latter,
		.elevator_init_fn = deadline_init_queue,
		.elevator_exit_fn = deadline_exit_queue,
	},
	.tunables = deadline_tunables,
};
/* clang-format on */
