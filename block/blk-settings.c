// SPDX-License-Identifier: MIT
/*
 * Queue limits and callbacks. A driver calls these once, at probe time,
 * with what its device reported; the device is not trusted, so a value that
 * would break the block layer's own assumptions (a segment smaller than a
 * page, a block size that is not a power of two) is clamped and reported
 * here rather than discovered later as a corrupted request.
 */
#include "block/blk.h"
#include "block/blkdev.h"
#include "block/genhd.h"

static const char *qname(const struct request_queue *q)
{
	return q->disk ? q->disk->disk_name : "queue";
}

/* Keep max_sectors a whole number of logical blocks, so splits land on one. */
static void limits_fixup(struct queue_limits *lim)
{
	u32 lbs_sectors = lim->logical_block_size >> SECTOR_SHIFT;

	lim->max_sectors = MIN(lim->max_sectors, lim->max_hw_sectors);
	lim->max_sectors = ALIGN_DOWN(lim->max_sectors, lbs_sectors);
	if (!lim->max_sectors)
		lim->max_sectors = lbs_sectors;
	lim->max_discard_sectors = ALIGN_DOWN(lim->max_discard_sectors, lbs_sectors);
	lim->max_write_zeroes_sectors = ALIGN_DOWN(lim->max_write_zeroes_sectors, lbs_sectors);
	if (lim->physical_block_size < lim->logical_block_size)
		lim->physical_block_size = lim->logical_block_size;
	if (lim->io_min < lim->physical_block_size)
		lim->io_min = lim->physical_block_size;
}

void blk_set_default_limits(struct queue_limits *lim)
{
	lim->max_hw_sectors = BLK_SAFE_MAX_SECTORS;
	lim->max_sectors = BLK_SAFE_MAX_SECTORS;
	lim->max_segment_size = BLK_MAX_SEGMENT_SIZE;
	lim->max_segments = BLK_MAX_SEGMENTS;
	lim->logical_block_size = SECTOR_SIZE;
	lim->physical_block_size = SECTOR_SIZE;
	lim->io_min = SECTOR_SIZE;
	lim->io_opt = 0;
	lim->max_discard_sectors = 0;
	lim->max_write_zeroes_sectors = 0;
}

void blk_set_stacking_limits(struct queue_limits *lim)
{
	blk_set_default_limits(lim);
	lim->max_hw_sectors = UINT32_MAX >> SECTOR_SHIFT;
	lim->max_sectors = UINT32_MAX >> SECTOR_SHIFT;
	lim->max_segments = UINT16_MAX;
	lim->max_segment_size = UINT32_MAX >> 1;
}

void blk_queue_max_hw_sectors(struct request_queue *q, u32 max_hw_sectors)
{
	struct queue_limits *lim = &q->limits;

	if ((u64)max_hw_sectors << SECTOR_SHIFT < PAGE_SIZE) {
		pr_warn("blk: %s: max_hw_sectors %u is below a page; using %lu", qname(q),
			max_hw_sectors, PAGE_SIZE >> SECTOR_SHIFT);
		max_hw_sectors = PAGE_SIZE >> SECTOR_SHIFT;
	}
	lim->max_hw_sectors = max_hw_sectors;
	lim->max_sectors = MIN(max_hw_sectors, (u32)BLK_DEF_MAX_SECTORS);
	limits_fixup(lim);
}

void blk_queue_max_segments(struct request_queue *q, u16 max_segments)
{
	if (!max_segments) {
		pr_warn("blk: %s: max_segments 0; using 1", qname(q));
		max_segments = 1;
	}
	q->limits.max_segments = max_segments;
}

void blk_queue_max_segment_size(struct request_queue *q, u32 max_size)
{
	/* A bio_vec is up to a page and is never split across segments. */
	if (max_size < PAGE_SIZE) {
		pr_warn("blk: %s: max_segment_size %u is below a page; using %lu", qname(q),
			max_size, PAGE_SIZE);
		max_size = PAGE_SIZE;
	}
	q->limits.max_segment_size = max_size;
}

void blk_queue_logical_block_size(struct request_queue *q, u32 size)
{
	if (!is_power_of_2(size) || size < SECTOR_SIZE || size > PAGE_SIZE) {
		pr_warn("blk: %s: logical block size %u is not a power of two in %u..%lu; "
			"keeping %u",
			qname(q), size, SECTOR_SIZE, PAGE_SIZE, q->limits.logical_block_size);
		return;
	}
	q->limits.logical_block_size = size;
	limits_fixup(&q->limits);
}

void blk_queue_physical_block_size(struct request_queue *q, u32 size)
{
	if (!is_power_of_2(size) || size < SECTOR_SIZE) {
		pr_warn("blk: %s: physical block size %u is not a power of two >= %u; ignored",
			qname(q), size, SECTOR_SIZE);
		return;
	}
	q->limits.physical_block_size = size;
	limits_fixup(&q->limits);
}

void blk_queue_io_min(struct request_queue *q, u32 min)
{
	q->limits.io_min = min;
	limits_fixup(&q->limits);
}

void blk_queue_io_opt(struct request_queue *q, u32 opt)
{
	q->limits.io_opt = opt;
}

void blk_queue_max_discard_sectors(struct request_queue *q, u32 sectors)
{
	q->limits.max_discard_sectors = sectors;
	limits_fixup(&q->limits);
}

void blk_queue_max_write_zeroes_sectors(struct request_queue *q, u32 sectors)
{
	q->limits.max_write_zeroes_sectors = sectors;
	limits_fixup(&q->limits);
}

void blk_queue_write_cache(struct request_queue *q, bool wc, bool fua)
{
	q->queue_flags &= ~(QUEUE_FLAG_WC | QUEUE_FLAG_FUA);
	if (wc)
		q->queue_flags |= QUEUE_FLAG_WC;
	if (fua)
		q->queue_flags |= QUEUE_FLAG_FUA;
}

void blk_queue_rq_timeout(struct request_queue *q, u64 timeout_ns)
{
	q->rq_timeout = timeout_ns ? timeout_ns : BLK_DEFAULT_RQ_TIMEOUT;
}

void blk_queue_nomerges(struct request_queue *q, bool nomerges)
{
	if (nomerges)
		q->queue_flags |= QUEUE_FLAG_NOMERGES;
	else
		q->queue_flags &= ~QUEUE_FLAG_NOMERGES;
}

void blk_queue_prep_rq(struct request_queue *q, prep_rq_fn *fn)
{
	q->prep_rq_fn = fn;
}

void blk_queue_unprep_rq(struct request_queue *q, unprep_rq_fn *fn)
{
	q->unprep_rq_fn = fn;
}

void blk_queue_merge_bvec(struct request_queue *q, merge_bvec_fn *fn)
{
	q->merge_bvec_fn = fn;
}

void blk_queue_softirq_done(struct request_queue *q, softirq_done_fn *fn)
{
	q->softirq_done_fn = fn;
}

void blk_queue_rq_timed_out(struct request_queue *q, rq_timed_out_fn *fn)
{
	q->rq_timed_out_fn = fn;
}

void blk_queue_lld_busy(struct request_queue *q, lld_busy_fn *fn)
{
	q->lld_busy_fn = fn;
}

u32 blk_queue_get_max_sectors(const struct request_queue *q, unsigned op)
{
	if (op == REQ_OP_DISCARD)
		return q->limits.max_discard_sectors;
	if (op == REQ_OP_WRITE_ZEROES)
		return q->limits.max_write_zeroes_sectors;
	return q->limits.max_sectors;
}
