/* SPDX-License-Identifier: MIT */
/*
 * Private to block/ (Linux keeps the same in block/blk.h): what the block
 * layer's files share with each other. Drivers use blkdev.h instead.
 */
#ifndef BLOCK_BLK_H
#define BLOCK_BLK_H

#include "block/bio.h"
#include "block/blkdev.h"
#include "block/elevator.h"

/* A bio may join a request, and a request may take bios. */
static inline bool bio_mergeable(const struct bio *bio)
{
	return !(bio->bi_rw & REQ_NOMERGE_FLAGS) && !bio_flagged(bio, BIO_RETRY) &&
	       bio_op(bio) != REQ_OP_FLUSH;
}

static inline bool rq_mergeable(const struct request *rq)
{
	return !(rq->rq_flags & (RQF_NOMERGE | RQF_STARTED)) &&
	       !(rq->cmd_flags & REQ_NOMERGE_FLAGS) && req_op(rq) != REQ_OP_FLUSH;
}

static inline sector_t rq_end_sector(const struct request *rq)
{
	return blk_rq_pos(rq) + blk_rq_sectors(rq);
}

/* blk-merge.c */
void blk_recount_segments(struct request_queue *q, struct bio *bio);
static inline void bio_ensure_segments(struct request_queue *q, struct bio *bio)
{
	if (bio->bi_seg_q != q)
		blk_recount_segments(q, bio);
}
bool blk_rq_merge_ok(struct request *rq, struct bio *bio);
/* Which end of @rq @bio touches, if any: inline, it is the test that fails for random I/O. */
static inline int blk_try_merge(const struct request *rq, const struct bio *bio)
{
	if (rq_end_sector(rq) == bio->bi_sector)
		return ELEVATOR_BACK_MERGE;
	if (bio_end_sector(bio) == blk_rq_pos(rq))
		return ELEVATOR_FRONT_MERGE;
	return ELEVATOR_NO_MERGE;
}
bool bio_attempt_back_merge(struct request_queue *q, struct request *rq, struct bio *bio);
bool bio_attempt_front_merge(struct request_queue *q, struct request *rq, struct bio *bio);
bool attempt_back_merge(struct request_queue *q, struct request *rq);
bool attempt_front_merge(struct request_queue *q, struct request *rq);
bool blk_attempt_req_merge(struct request_queue *q, struct request *rq, struct request *next);
bool blk_rq_join(struct request_queue *q, struct request *rq, struct request *next);
/* A new request's segment layout, its one bio's (inline: once per request). */
static inline void blk_rq_init_segments(struct request_queue *q, struct request *rq,
					struct bio *bio)
{
	if (!bio_has_data(bio)) {
		rq->nr_phys_segments = 0;
		rq->seg_front_size = 0;
		rq->seg_back_size = 0;
		return;
	}
	bio_ensure_segments(q, bio);
	rq->nr_phys_segments = (u16)bio->bi_phys_segments;
	rq->seg_front_size = bio->bi_seg_front_size;
	rq->seg_back_size = bio->bi_seg_back_size;
}

/* blk-core.c */
/*
 * Whether two completion depths are the same context (blk-core.c's
 * plugging comment says why there are two: process and completion).
 */
static inline bool blk_same_context(int depth_a, int depth_b)
{
	return (depth_a == 0) == (depth_b == 0);
}

/* The plug that bios submitted here should join, if any. */
static inline struct blk_plug *blk_current_plug(void)
{
	const struct blk_cpu_ctx *c = &blk_cpu_ctx[smp_processor_id()];
	struct blk_plug *plug = c->plug;

	return plug && blk_same_context(plug->depth, c->atomic_depth) ? plug : NULL;
}
bool __blk_attempt_plug_merge(struct request_queue *q, struct request *rq, struct bio *bio,
			      int type);
/*
 * Merge @bio into @plug's newest request, if they touch. Only the newest: a
 * sequential burst extends the request it just added, and scanning the
 * whole plug for every bio of a random burst costs O(n^2) for merges that
 * never happen (Linux stopped scanning too); the elevator's hash still
 * finds other neighbours when the plug is flushed. Inline up to the test
 * that fails for random I/O: whether the sectors touch.
 */
static inline bool blk_attempt_plug_merge(struct request_queue *q, struct blk_plug *plug,
					  struct bio *bio)
{
	struct request *rq;
	int type;

	if (list_empty(&plug->list))
		return false;
	rq = list_last_entry(&plug->list, struct request, queuelist);
	type = blk_try_merge(rq, bio);
	return type != ELEVATOR_NO_MERGE && __blk_attempt_plug_merge(q, rq, bio, type);
}
/* Insert and dispatch what @plug holds now (it stays open). */
void blk_flush_plug(struct blk_plug *plug);
/* Process context about to wait: push out what this CPU's plug holds back. */
void blk_flush_current_plug(void);
void __blk_put_request(struct request_queue *q, struct request *rq);
void __blk_run_queue(struct request_queue *q);
void blk_account_bio_done(struct bio *bio);
/* The block softirq's work for one queue: parked bios, then request_fn. */
void blk_softirq_run_queue(struct request_queue *q);
/* Returns true when the bio was consumed (ended, or taken over by a flush sequence). */
bool blk_flush_emulate(struct request_queue *q, struct bio *bio);

/* blk-timeout.c */
void blk_add_timer(struct request *rq);
void blk_add_timer_at(struct request *rq, u64 now);
void blk_delete_timer(struct request *rq);
void blk_rq_timed_out_timer(struct timer_list *t);

/* blk-softirq.c */
/* The request is complete in the driver's eyes: queue it for its CPU's softirq. */
void __blk_complete_request(struct request *rq);
/*
 * Leave a list of bios (through bi_next) to their CPUs' softirqs, even
 * this CPU's (for callers holding a queue lock). blk_end_bios is in blkdev.h.
 */
void blk_defer_bios(struct bio *bios);
void blk_softirq_forget_queue(struct request_queue *q);
void blk_softirq_reset(void);

/* Completion-state bits in rq->atomic_flags (atomic read-modify-write only). */
#define REQ_ATOM_COMPLETE (1ul << 0) /* on the done list, or ended */
#define REQ_ATOM_TIMEOUT (1ul << 1)  /* rq_timed_out_fn is running */
#define REQ_ATOM_LATE (1ul << 2)     /* completed while the handler ran */

/*
 * At most this many messages per queue about refused bios: a job that keeps
 * writing to a read-only disk must not bury the console.
 */
#define BLK_MSG_BURST 10
bool blk_msg_ok(struct request_queue *q);

#endif
