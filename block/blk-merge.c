// SPDX-License-Identifier: MIT
/*
 * Segments, splitting and merging.
 *
 * One rule decides how segments form everywhere (bio_add_page,
 * blk_recount_segments, blk_queue_split, blk_rq_map_sg): walk the data one
 * bio_vec at a time and join a vec to the current segment when it starts
 * where the segment ends physically and the segment stays within
 * max_segment_size. Vecs are never cut, so this greedy walk gives the
 * fewest segments for any run of vecs. A request's nr_phys_segments is the
 * size of one particular valid grouping (its bios' own segments, joined at
 * the seams where that fits), so the walk blk_rq_map_sg does can only find
 * as many or fewer: the driver's scatterlist, sized by max_segments, holds
 * it.
 */
#include "block/blk.h"
#include "block/blkdev.h"
#include "block/elevator.h"
#include "block/genhd.h"

static inline phys_addr_t bvec_phys(const struct bio_vec *bv)
{
	return virt_to_phys(bv->bv_page) + bv->bv_offset;
}

void blk_recount_segments(struct request_queue *q, struct bio *bio)
{
	u32 max_seg = q->limits.max_segment_size;
	struct bvec_iter iter;
	struct bio_vec bv;
	u32 nsegs = 0, seg = 0;
	phys_addr_t end = 0;

	bio->bi_seg_front_size = 0;
	bio->bi_phys_start = 0;
	bio_for_each_segment(bv, bio, iter) {
		phys_addr_t phys = bvec_phys(&bv);

		if (nsegs && phys == end && seg + bv.bv_len <= max_seg) {
			seg += bv.bv_len;
		} else {
			if (nsegs == 1)
				bio->bi_seg_front_size = seg;
			if (!nsegs)
				bio->bi_phys_start = phys;
			nsegs++;
			seg = bv.bv_len;
		}
		end = phys + bv.bv_len;
	}
	if (nsegs == 1)
		bio->bi_seg_front_size = seg;
	bio->bi_phys_segments = nsegs;
	bio->bi_seg_back_size = seg;
	bio->bi_phys_end = end;
	bio->bi_seg_q = q;
}

/* ------------------------------------------------------------------------
 * Splitting
 */

/*
 * How many sectors of @bio fit one request, rounded down to a logical
 * block; 0 when all of it does, negative when not even one block fits.
 */
static long bio_split_sectors(struct request_queue *q, struct bio *bio)
{
	const struct queue_limits *lim = &q->limits;
	u32 lbs_sectors = lim->logical_block_size >> SECTOR_SHIFT;
	u32 max_sectors = blk_queue_get_max_sectors(q, bio_op(bio));
	u64 max_bytes = (u64)max_sectors << SECTOR_SHIFT;
	struct bvec_iter iter;
	struct bio_vec bv;
	u64 bytes = 0;
	u32 nsegs = 0, seg = 0;
	phys_addr_t end = 0;
	u32 sectors;

	if (!bio_has_data(bio)) {
		if (bio_sectors(bio) <= max_sectors)
			return 0;
		return max_sectors;
	}

	bio_for_each_segment(bv, bio, iter) {
		phys_addr_t phys = bvec_phys(&bv);
		bool contig = nsegs && phys == end;

		if (bytes + bv.bv_len > max_bytes) {
			/* Take the part of this vec that still fits, if a segment is free for it.
			 */
			u32 part = (u32)(max_bytes - bytes);

			if (part && ((contig && seg + part <= lim->max_segment_size) ||
				     nsegs < lim->max_segments))
				bytes = max_bytes;
			goto split;
		}
		if (contig && seg + bv.bv_len <= lim->max_segment_size) {
			seg += bv.bv_len;
		} else {
			if (nsegs == lim->max_segments)
				goto split;
			nsegs++;
			seg = bv.bv_len;
		}
		end = phys + bv.bv_len;
		bytes += bv.bv_len;
	}
	return 0;

split:
	sectors = ALIGN_DOWN((u32)(bytes >> SECTOR_SHIFT), lbs_sectors);
	if (!sectors)
		return -EINVAL;
	return sectors;
}

void blk_queue_split(struct request_queue *q, struct bio **biop)
{
	struct bio *bio = *biop, *split;
	long sectors;

	if (bio_op(bio) == REQ_OP_FLUSH)
		return;
	/*
	 * One whole vector is one segment: it fits when its size does, with
	 * no walk over its vectors (as Linux's single-page fast path; the walk
	 * was the bypass path's largest block-layer cost per 4 KiB I/O).
	 */
	if (bio->bi_vcnt == 1 && !bio->bi_idx && !bio->bi_bvec_done &&
	    bio->bi_size == bio->bi_io_vec[0].bv_len &&
	    bio->bi_size <= q->limits.max_segment_size &&
	    bio_sectors(bio) <= blk_queue_get_max_sectors(q, bio_op(bio)))
		return;
	sectors = bio_split_sectors(q, bio);
	if (!sectors)
		return;
	if (sectors < 0) {
		if (blk_msg_ok(q))
			pr_err("blk: %s: bio at sector %llu cannot be split to the queue's "
			       "limits (%u segments of at most %u bytes, %u-byte blocks)",
			       q->disk ? q->disk->disk_name : "?",
			       (unsigned long long)bio->bi_sector, q->limits.max_segments,
			       q->limits.max_segment_size, q->limits.logical_block_size);
		bio->bi_status = -EINVAL;
		bio_endio(bio);
		*biop = NULL;
		return;
	}
	split = bio_split(bio, (u32)sectors);
	if (!split) {
		bio->bi_status = -ENOMEM;
		bio_endio(bio);
		*biop = NULL;
		return;
	}
	bio_chain(split, bio);
	blk_stat(q)->splits++;
	/*
	 * The rest goes back through generic_make_request: inside its loop
	 * that only queues it, so it is split again when its turn comes.
	 */
	generic_make_request(bio);
	*biop = split;
}

/* ------------------------------------------------------------------------
 * Merging
 */

bool blk_rq_merge_ok(struct request *rq, struct bio *bio)
{
	if (!rq_mergeable(rq) || !bio_mergeable(bio))
		return false;
	if (req_op(rq) != bio_op(bio) || rq->rq_disk != bio->bi_disk)
		return false;
	if ((rq->cmd_flags ^ bio->bi_rw) & REQ_HIPRI)
		return false;
	return true;
}

/*
 * Would the segments at a seam join into one: the first run ends where the
 * second starts, and together they fit max_segment_size.
 */
static bool seam_joins(struct request_queue *q, phys_addr_t end, u32 back, phys_addr_t start,
		       u32 front)
{
	return end == start && (u64)back + front <= q->limits.max_segment_size;
}

/*
 * The segment bookkeeping of joining run A (segments na, first/last sizes
 * fa/ba) before run B (nb, fb, bb): returns the count and the new first and
 * last sizes, or false when the count exceeds max_segments.
 */
static bool join_segments(struct request_queue *q, bool seam, u32 na, u32 fa, u32 ba, u32 nb,
			  u32 fb, u32 bb, u32 *n, u32 *front, u32 *back)
{
	if (!na || !nb) {
		*n = na + nb;
		*front = na ? fa : fb;
		*back = nb ? bb : ba;
	} else if (seam) {
		*n = na + nb - 1;
		*front = na == 1 ? fa + fb : fa;
		*back = nb == 1 ? ba + bb : bb;
	} else {
		*n = na + nb;
		*front = fa;
		*back = bb;
	}
	return *n <= q->limits.max_segments;
}

static bool merge_size_ok(struct request_queue *q, struct request *rq, u32 add_bytes)
{
	u64 total = (u64)blk_rq_bytes(rq) + add_bytes;

	return total <= (u64)blk_queue_get_max_sectors(q, req_op(rq)) << SECTOR_SHIFT;
}

bool bio_attempt_back_merge(struct request_queue *q, struct request *rq, struct bio *bio)
{
	u32 n = 0, front = 0, back = 0;

	if (!merge_size_ok(q, rq, bio->bi_size))
		return false;
	if (bio_has_data(bio)) {
		bool seam;

		bio_ensure_segments(q, bio);
		seam = seam_joins(q, rq->biotail->bi_phys_end, rq->seg_back_size,
				  bio->bi_phys_start, bio->bi_seg_front_size);
		if (!join_segments(q, seam, rq->nr_phys_segments, rq->seg_front_size,
				   rq->seg_back_size, bio->bi_phys_segments, bio->bi_seg_front_size,
				   bio->bi_seg_back_size, &n, &front, &back))
			return false;
	}
	rq->biotail->bi_next = bio;
	rq->biotail = bio;
	bio->bi_next = NULL;
	rq->__data_len += bio->bi_size;
	rq->nr_phys_segments = (u16)n;
	rq->seg_front_size = front;
	rq->seg_back_size = back;
	blk_stat(q)->back_merges++;
	return true;
}

bool bio_attempt_front_merge(struct request_queue *q, struct request *rq, struct bio *bio)
{
	u32 n = 0, front = 0, back = 0;

	if (!merge_size_ok(q, rq, bio->bi_size))
		return false;
	if (bio_has_data(bio)) {
		bool seam;

		bio_ensure_segments(q, bio);
		seam = seam_joins(q, bio->bi_phys_end, bio->bi_seg_back_size,
				  rq->bio->bi_phys_start, rq->seg_front_size);
		if (!join_segments(q, seam, bio->bi_phys_segments, bio->bi_seg_front_size,
				   bio->bi_seg_back_size, rq->nr_phys_segments, rq->seg_front_size,
				   rq->seg_back_size, &n, &front, &back))
			return false;
	}
	bio->bi_next = rq->bio;
	rq->bio = bio;
	rq->__sector = bio->bi_sector;
	rq->__data_len += bio->bi_size;
	rq->nr_phys_segments = (u16)n;
	rq->seg_front_size = front;
	rq->seg_back_size = back;
	blk_stat(q)->front_merges++;
	return true;
}

/*
 * Join @next, which starts where @rq ends, onto @rq: its bios, bytes and
 * segments. The caller takes @next out of its scheduler and frees it.
 */
bool blk_rq_join(struct request_queue *q, struct request *rq, struct request *next)
{
	u32 n = 0, front = 0, back = 0;

	/* Whether the sectors touch first: for random I/O the one test that fails. */
	if (rq_end_sector(rq) != blk_rq_pos(next))
		return false;
	if (!rq_mergeable(rq) || !rq_mergeable(next))
		return false;
	if (req_op(rq) != req_op(next) || rq->rq_disk != next->rq_disk)
		return false;
	if ((rq->cmd_flags ^ next->cmd_flags) & REQ_HIPRI)
		return false;
	if (!merge_size_ok(q, rq, blk_rq_bytes(next)))
		return false;
	if (rq->nr_phys_segments || next->nr_phys_segments) {
		bool seam = seam_joins(q, rq->biotail->bi_phys_end, rq->seg_back_size,
				       next->bio->bi_phys_start, next->seg_front_size);

		if (!join_segments(q, seam, rq->nr_phys_segments, rq->seg_front_size,
				   rq->seg_back_size, next->nr_phys_segments, next->seg_front_size,
				   next->seg_back_size, &n, &front, &back))
			return false;
	}

	rq->biotail->bi_next = next->bio;
	rq->biotail = next->biotail;
	rq->__data_len += next->__data_len;
	rq->nr_phys_segments = (u16)n;
	rq->seg_front_size = front;
	rq->seg_back_size = back;
	/* The joined request is as old as its oldest part. */
	if (next->start_time_ns < rq->start_time_ns)
		rq->start_time_ns = next->start_time_ns;
	next->bio = NULL;
	next->biotail = NULL;
	blk_stat(q)->rq_merges++;
	return true;
}

/* Join @next onto @rq and free it (request path, queue lock held). */
static bool attempt_merge(struct request_queue *q, struct request *rq, struct request *next)
{
	struct bio *bio = next->bio, *biotail = next->biotail;

	if (!blk_rq_join(q, rq, next))
		return false;
	/* The elevator still looks at @next's range while taking it out. */
	next->bio = bio;
	next->biotail = biotail;
	elv_merge_requests(q, rq, next);
	next->bio = NULL;
	next->biotail = NULL;
	__blk_put_request(q, next);
	return true;
}

bool attempt_back_merge(struct request_queue *q, struct request *rq)
{
	struct request *next = elv_latter_request(q, rq);

	return next && attempt_merge(q, rq, next);
}

bool attempt_front_merge(struct request_queue *q, struct request *rq)
{
	struct request *prev = elv_former_request(q, rq);

	return prev && attempt_merge(q, prev, rq);
}

bool blk_attempt_req_merge(struct request_queue *q, struct request *rq, struct request *next)
{
	return attempt_merge(q, rq, next);
}

/* ------------------------------------------------------------------------
 * Scatterlists
 */

static void map_bio(struct request_queue *q, struct bio *bio, struct scatterlist *sglist,
		    struct scatterlist **sg, int *nsegs)
{
	u32 max_seg = q->limits.max_segment_size;
	struct bvec_iter iter;
	struct bio_vec bv;

	bio_for_each_segment(bv, bio, iter) {
		phys_addr_t phys = bvec_phys(&bv);
		struct scatterlist *cur = *sg;

		if (cur && cur->addr + cur->length == phys &&
		    (u64)cur->length + bv.bv_len <= max_seg) {
			cur->length += bv.bv_len;
			continue;
		}
		cur = cur ? cur + 1 : sglist;
		sg_set(cur, phys, bv.bv_len);
		*sg = cur;
		(*nsegs)++;
	}
}

/* One whole vector (blk_queue_split let it through): one segment, no walk. */
static bool map_one_vec(struct bio *bio, struct scatterlist *sglist)
{
	if (bio->bi_vcnt != 1 || bio->bi_idx || bio->bi_bvec_done ||
	    bio->bi_size != bio->bi_io_vec[0].bv_len)
		return false;
	sg_set(sglist, bvec_phys(&bio->bi_io_vec[0]), bio->bi_size);
	return true;
}

/* Out of line: the walk's registers would otherwise weigh on the one-vector case. */
static __noinline int map_request(struct request_queue *q, struct request *rq,
				  struct scatterlist *sglist)
{
	struct scatterlist *sg = NULL;
	int nsegs = 0;

	for (struct bio *bio = rq->bio; bio; bio = bio->bi_next)
		map_bio(q, bio, sglist, &sg, &nsegs);
	/* The grouping argument at the top of this file guarantees it. */
	BUG_ON(nsegs > rq->nr_phys_segments);
	return nsegs;
}

int blk_rq_map_sg(struct request_queue *q, struct request *rq, struct scatterlist *sglist)
{
	struct bio *bio = rq->bio;

	if (req_op(rq) != REQ_OP_READ && req_op(rq) != REQ_OP_WRITE)
		return 0;
	if (bio && !bio->bi_next && map_one_vec(bio, sglist))
		return 1;
	return map_request(q, rq, sglist);
}

static __noinline int map_one_bio(struct request_queue *q, struct bio *bio,
				  struct scatterlist *sglist)
{
	struct scatterlist *sg = NULL;
	int nsegs = 0;

	map_bio(q, bio, sglist, &sg, &nsegs);
	BUG_ON(nsegs > q->limits.max_segments);
	return nsegs;
}

int blk_bio_map_sg(struct request_queue *q, struct bio *bio, struct scatterlist *sglist)
{
	return map_one_vec(bio, sglist) ? 1 : map_one_bio(q, bio, sglist);
}
