/* SPDX-License-Identifier: MIT */
/*
 * I/O schedulers ("elevators"). A scheduler holds requests between
 * blk_queue_bio and the dispatch queue: it finds front-merge candidates,
 * keeps its own order, and releases one request at a time when the driver
 * asks for more (elevator_dispatch_fn -> elv_dispatch_add_tail). The core
 * keeps what every scheduler shares: the back-merge hash by end sector, the
 * one-entry merge cache q->last_merge, and the request counts.
 *
 * Two are built in: "noop" (FIFO, with merging) and "deadline" (per
 * direction a sector-sorted tree and a FIFO with expiry times; Linux's
 * dispatch policy). Tunables are set by name, in the units Linux's sysfs
 * uses: milliseconds for the expiry times, counts for the rest.
 */
#ifndef BLOCK_ELEVATOR_H
#define BLOCK_ELEVATOR_H

#include "block/blkdev.h"
#include "kernel/list.h"
#include "kernel/types.h"

enum elv_merge {
	ELEVATOR_NO_MERGE,
	ELEVATOR_FRONT_MERGE,
	ELEVATOR_BACK_MERGE,
};

enum elv_insert {
	ELEVATOR_INSERT_FRONT,	    /* head of the dispatch queue (requeue, retry) */
	ELEVATOR_INSERT_BACK,	    /* tail of the dispatch queue (flush) */
	ELEVATOR_INSERT_SORT,	    /* into the scheduler */
	ELEVATOR_INSERT_SORT_MERGE, /* try to join a queued request first (plug) */
};

struct elevator_queue;

struct elevator_ops {
	/* Find a request @bio can be front-merged into; back merges are the core's. */
	int (*elevator_merge_fn)(struct request_queue *q, struct request **rq, struct bio *bio);
	/* @rq grew by a bio (ELEVATOR_FRONT_MERGE moves its start). */
	void (*elevator_merged_fn)(struct request_queue *q, struct request *rq, int type);
	/* @next was joined onto @rq and leaves the scheduler. */
	void (*elevator_merge_req_fn)(struct request_queue *q, struct request *rq,
				      struct request *next);
	/* Move one request to the dispatch queue; 0 when there is none. */
	int (*elevator_dispatch_fn)(struct request_queue *q, int force);
	void (*elevator_add_req_fn)(struct request_queue *q, struct request *rq);
	/* The queued requests just before and after @rq in the scheduler's order. */
	struct request *(*elevator_former_req_fn)(struct request_queue *q, struct request *rq);
	struct request *(*elevator_latter_req_fn)(struct request_queue *q, struct request *rq);
	int (*elevator_init_fn)(struct request_queue *q, struct elevator_queue *eq);
	void (*elevator_exit_fn)(struct elevator_queue *eq);
};

struct elv_tunable {
	const char *name;
	long (*show)(struct elevator_queue *eq);
	int (*store)(struct elevator_queue *eq, long value); /* 0 or -EINVAL */
};

struct elevator_type {
	const char *elevator_name;
	struct elevator_ops ops;
	const struct elv_tunable *tunables; /* ends with a NULL name */
};

#define ELV_HASH_BITS 6

struct elevator_queue {
	const struct elevator_type *type;
	void *elevator_data;
	struct list_head hash[1u << ELV_HASH_BITS];
};

extern const struct elevator_type elevator_noop;
extern const struct elevator_type iosched_deadline;

/* -EINVAL for an unknown name, -ENOMEM without memory. */
int elevator_init(struct request_queue *q, const char *name);
void elevator_exit(struct request_queue *q);
/* Drains the queue (process context), then changes scheduler; tunables reset. */
int elevator_switch(struct request_queue *q, const char *name);
const char *elevator_name(const struct request_queue *q);

/* -EINVAL for a key the current scheduler does not have, or a bad value. */
int elv_set_tunable(struct request_queue *q, const char *name, long value);
/* Whether any scheduler has a tunable of this name (for command-line checks). */
bool elv_tunable_known(const char *name);
int elv_get_tunable(struct request_queue *q, const char *name, long *value);

/* Used by the block core. */
int elv_merge(struct request_queue *q, struct request **rq, struct bio *bio);
void elv_merged_request(struct request_queue *q, struct request *rq, int type);
void elv_merge_requests(struct request_queue *q, struct request *rq, struct request *next);
bool elv_attempt_insert_merge(struct request_queue *q, struct request *rq);
void __elv_add_request(struct request_queue *q, struct request *rq, int where);
struct request *elv_former_request(struct request_queue *q, struct request *rq);
struct request *elv_latter_request(struct request_queue *q, struct request *rq);
bool elv_bio_merge_ok(struct request *rq, struct bio *bio);

/* Used by schedulers. */
void elv_dispatch_add_tail(struct request_queue *q, struct request *rq);
void elv_rb_add(struct rb_root *root, struct request *rq);
void elv_rb_del(struct rb_root *root, struct request *rq);
struct request *elv_rb_find(struct rb_root *root, sector_t sector);
struct request *elv_rb_former_request(struct request_queue *q, struct request *rq);
struct request *elv_rb_latter_request(struct request_queue *q, struct request *rq);

#endif
