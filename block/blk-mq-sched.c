// SPDX-License-Identifier: MIT
/*
 * The blk-mq schedulers: none (the per-CPU software queues, in blk-mq.c)
 * and mq-deadline. Switching drains the queue first, so no request is
 * ever inside a scheduler that goes away; the scheduler tags replace the
 * driver tags as the source of requests while a scheduler is in place.
 * Each scheduler's data comes with the queue, so switching allocates
 * nothing and cannot fail for memory.
 */
#include "block/blk-mq.h"
#include "block/blk.h"
#include "block/blkdev.h"
#include "kernel/string.h"

static const struct elevator_mq_type *const mq_scheds[] = {
	&mq_deadline,
};

bool blk_mq_sched_known(const char *name)
{
	if (!strcmp(name, "none"))
		return true;
	for (unsigned i = 0; i < ARRAY_SIZE(mq_scheds); i++)
		if (!strcmp(mq_scheds[i]->name, name))
			return true;
	return false;
}

const char *blk_mq_sched_name(const struct request_queue *q)
{
	return q->mq_sched ? q->mq_sched->name : "none";
}

_Static_assert(ARRAY_SIZE(mq_scheds) <= ARRAY_SIZE(((struct request_queue *)0)->mq_sched_prealloc),
	       "room for every mq scheduler's data");

int blk_mq_sched_alloc(struct request_queue *q)
{
	for (unsigned i = 0; i < ARRAY_SIZE(mq_scheds); i++) {
		q->mq_sched_prealloc[i] = mq_scheds[i]->ops.alloc_data();
		if (!q->mq_sched_prealloc[i]) {
			blk_mq_sched_free(q);
			return -ENOMEM;
		}
	}
	/*
	 * Linux's default: mq-deadline for a device with one queue, none for
	 * one with several (elevator_get_default).
	 */
	q->mq_sched = q->nr_hw_queues == 1 ? &mq_deadline : NULL;
	if (q->mq_sched) {
		q->mq_sched_data = q->mq_sched_prealloc[0];
		q->mq_sched->ops.init_sched(q);
	}
	return 0;
}

void blk_mq_sched_free(struct request_queue *q)
{
	if (q->mq_sched && q->mq_sched->ops.exit_sched)
		q->mq_sched->ops.exit_sched(q);
	q->mq_sched = NULL;
	q->mq_sched_data = NULL;
	for (unsigned i = 0; i < ARRAY_SIZE(mq_scheds); i++) {
		if (q->mq_sched_prealloc[i])
			mq_scheds[i]->ops.free_data(q->mq_sched_prealloc[i]);
		q->mq_sched_prealloc[i] = NULL;
	}
}

int blk_mq_sched_switch(struct request_queue *q, const char *name)
{
	const struct elevator_mq_type *type = NULL;
	unsigned idx = 0;

	if (!q->mq_ops)
		return -EINVAL;
	if (strcmp(name, "none")) {
		for (idx = 0; idx < ARRAY_SIZE(mq_scheds); idx++)
			if (!strcmp(mq_scheds[idx]->name, name))
				break;
		if (idx == ARRAY_SIZE(mq_scheds))
			return -EINVAL;
		type = mq_scheds[idx];
	}
	if (q->mq_sched == type)
		return 0;
	blk_drain_queue(q);
	if (q->mq_sched)
		q->mq_sched->ops.exit_sched(q);
	q->mq_sched = NULL;
	q->mq_sched_data = NULL;
	if (type) {
		q->mq_sched_data = q->mq_sched_prealloc[idx];
		type->ops.init_sched(q);
		q->mq_sched = type;
	}
	return 0;
}

static const struct elv_mq_tunable *mq_tunable_find(const struct elevator_mq_type *type,
						    const char *name)
{
	const struct elv_mq_tunable *t;

	for (t = type ? type->tunables : NULL; t && t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

bool blk_mq_sched_tunable_known(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(mq_scheds); i++)
		if (mq_tunable_find(mq_scheds[i], name))
			return true;
	return false;
}

/* Tunables change between jobs, on a drained queue: no lock needed against I/O. */
int blk_mq_sched_set_tunable(struct request_queue *q, const char *name, long value)
{
	const struct elv_mq_tunable *t = mq_tunable_find(q->mq_sched, name);

	return t ? q->mq_sched->store(q->mq_sched_data, t->which, value) : -EINVAL;
}

int blk_mq_sched_get_tunable(struct request_queue *q, const char *name, long *value)
{
	const struct elv_mq_tunable *t = mq_tunable_find(q->mq_sched, name);

	if (!t)
		return -EINVAL;
	*value = q->mq_sched->show(q->mq_sched_data, t->which);
	return 0;
}
