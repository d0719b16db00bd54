// SPDX-License-Identifier: MIT
/*
 * REQ_PREFLUSH and REQ_FUA on a device with a volatile write cache.
 *
 * A PREFLUSH write becomes a flush followed by the plain write, issued from
 * the flush's completion. A FUA write, when the device has no FUA of its
 * own, becomes the plain write followed by a flush, and the submitter's bio
 * ends only after that flush. Both sequences are built from ordinary bios
 * going through generic_make_request, so they work the same on the request
 * path, the bypass path and under a stacking driver. The flush itself needs
 * no ordering against queued writes: it only has to cover writes that had
 * completed when it was issued, which is what the device guarantees.
 */
#include "block/blk.h"
#include "block/blkdev.h"

static void blk_preflush_endio(struct bio *flush)
{
	struct bio *bio = flush->bi_private;
	int err = flush->bi_status;

	bio_put(flush);
	if (err) {
		bio->bi_status = err;
		bio_endio(bio);
		return;
	}
	generic_make_request(bio);
}

/* (An error only: @bio may hold one a split piece of it left there.) */
static void blk_postflush_endio(struct bio *flush)
{
	struct bio *bio = flush->bi_private;

	if (flush->bi_status)
		bio->bi_status = flush->bi_status;
	bio_put(flush);
	bio_endio(bio);
}

/* The data part of an emulated FUA write finished: now the flush. */
static void blk_fua_data_endio(struct bio *data)
{
	struct bio *bio = data->bi_private;

	if (data->bi_status) {
		bio->bi_status = data->bi_status;
		bio_put(data);
		bio_endio(bio);
		return;
	}
	/*
	 * Reuse the clone as the flush: completion context must not depend on
	 * an allocation succeeding.
	 */
	data->bi_rw = REQ_OP_FLUSH | (data->bi_rw & REQ_SYNC);
	data->bi_size = 0;
	data->bi_seg_q = NULL;
	data->bi_end_io = blk_postflush_endio;
	generic_make_request(data);
}

bool blk_flush_emulate(struct request_queue *q, struct bio *bio)
{
	struct bio *extra;

	if (bio->bi_rw & REQ_PREFLUSH) {
		extra = bio_alloc(0);
		if (!extra) {
			bio->bi_status = -ENOMEM;
			bio_endio(bio);
			return true;
		}
		bio->bi_rw &= ~REQ_PREFLUSH;
		extra->bi_disk = bio->bi_disk;
		extra->bi_rw = REQ_OP_FLUSH | (bio->bi_rw & REQ_SYNC);
		extra->bi_end_io = blk_preflush_endio;
		extra->bi_private = bio;
		generic_make_request(extra);
		return true;
	}
	if ((bio->bi_rw & REQ_FUA) && !(q->queue_flags & QUEUE_FLAG_FUA)) {
		extra = bio_clone_fast(bio);
		if (!extra) {
			bio->bi_status = -ENOMEM;
			bio_endio(bio);
			return true;
		}
		extra->bi_rw &= ~REQ_FUA;
		extra->bi_end_io = blk_fua_data_endio;
		extra->bi_private = bio;
		generic_make_request(extra);
		return true;
	}
	return false;
}
