// SPDX-License-Identifier: MIT
/*
 * Host unit tests for the block core (block/blk-*.c, bio.c, genhd.c) with
 * the fake driver of test_block_fake.c: what reaches the driver, in which
 * requests, how often request_fn runs, and that every bio ends exactly
 * once with the right status and nothing leaks.
 *
 * To hold requests in the scheduler while a test builds them up, the queue
 * is stopped (blk_stop_queue) and restarted afterwards (blk_start_queue),
 * as a driver with a full ring would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "block/md.h"
#include "tests/unit/host_platform.h"
#include "tests/unit/test_block_fake.h"

#define CAP 16384 /* sectors: 8 MiB */

static void restart(struct fake_dev *fd)
{
	blk_start_queue(fd->q);
	run_softirqs();
}

/* ------------------------------------------------------------------------
 * Merging
 */

static void test_back_merge(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(2);
	struct tio a, b;

	blk_stop_queue(fd->q);
	submit_bio(make_bio(&a, fd->disk, REQ_OP_WRITE, 0, 4096, buf, 0));
	submit_bio(make_bio(&b, fd->disk, REQ_OP_WRITE, 8, 4096, buf + 4096, 0));
	assert_int_equal(fd->nlog, 0);
	restart(fd);
	assert_int_equal(fd->nlog, 1);
	assert_int_equal(fd->log[0].sector, 0);
	assert_int_equal(fd->log[0].sectors, 16);
	assert_int_equal(fd->log[0].nr_bios, 2);
	/* Contiguous pages coalesce into one segment. */
	assert_int_equal(fd->log[0].nsg, 1);
	assert_int_equal(qcounters(fd->q).back_merges, 1);
	fake_settle(fd);
	assert_int_equal(a.ended, 1);
	assert_int_equal(b.ended, 1);
	assert_int_equal(a.status, 0);
	assert_int_equal(b.status, 0);
	fake_destroy(fd);
	free(buf);
}

static void test_front_merge(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(2);
	struct tio a, b;

	blk_stop_queue(fd->q);
	submit_bio(make_bio(&a, fd->disk, REQ_OP_READ, 8, 4096, buf + 4096, 0));
	submit_bio(make_bio(&b, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	restart(fd);
	assert_int_equal(fd->nlog, 1);
	assert_int_equal(fd->log[0].sector, 0);
	assert_int_equal(fd->log[0].sectors, 16);
	assert_int_equal(fd->log[0].nsg, 1);
	assert_int_equal(qcounters(fd->q).front_merges, 1);
	fake_settle(fd);
	assert_int_equal(a.ended + b.ended, 2);
	fake_destroy(fd);
	free(buf);
}

static void test_no_merge_across_direction_or_gap(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(3);
	struct tio a, b, c;

	blk_stop_queue(fd->q);
	submit_bio(make_bio(&a, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	submit_bio(make_bio(&b, fd->disk, REQ_OP_WRITE, 8, 4096, buf + 4096, 0));
	submit_bio(make_bio(&c, fd->disk, REQ_OP_READ, 24, 4096, buf + 8192, 0));
	restart(fd);
	assert_int_equal(fd->nlog, 3);
	assert_int_equal(qcounters(fd->q).back_merges + qcounters(fd->q).front_merges, 0);
	fake_destroy(fd);
	free(buf);
}

static void test_no_merge_past_max_sectors(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(3);
	struct tio t[3];
	int i;

	blk_queue_max_hw_sectors(fd->q, 16);
	blk_stop_queue(fd->q);
	for (i = 0; i < 3; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_WRITE, 8 * i, 4096, buf + 4096 * i, 0));
	restart(fd);
	assert_int_equal(fd->nlog, 2);
	assert_int_equal(fd->log[0].sectors + fd->log[1].sectors, 24);
	assert_true(fd->log[0].sectors <= 16 && fd->log[1].sectors <= 16);
	fake_destroy(fd);
	free(buf);
}

static void test_no_merge_past_max_segments(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(8);
	struct tio t[3];
	int i;

	/* Every other page: the bios are not physically contiguous. */
	blk_queue_max_segments(fd->q, 2);
	blk_stop_queue(fd->q);
	for (i = 0; i < 3; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_WRITE, 8 * i, 4096, buf + 8192 * i, 0));
	restart(fd);
	assert_int_equal(fd->nlog, 2);
	assert_int_equal(fd->log[0].nr_bios, 2);
	assert_int_equal(fd->log[0].nsg, 2);
	assert_int_equal(fd->log[1].nr_bios, 1);
	fake_destroy(fd);
	free(buf);
}

static void test_contiguous_bios_share_segments(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(4);
	struct tio t[4];
	int i;

	/* One segment allowed, but the memory is contiguous: all four fit it. */
	blk_queue_max_segments(fd->q, 1);
	blk_stop_queue(fd->q);
	for (i = 0; i < 4; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_WRITE, 8 * i, 4096, buf + 4096 * i, 0));
	restart(fd);
	assert_int_equal(fd->nlog, 1);
	assert_int_equal(fd->log[0].nr_bios, 4);
	assert_int_equal(fd->log[0].nsg, 1);
	fake_destroy(fd);
	free(buf);
}

static void test_segment_seam_respects_max_segment_size(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(3);
	struct tio t[3];
	int i;

	/*
	 * Three contiguous pages, segments of at most two pages and two
	 * segments per request: all three bios fit one request as [8K][4K].
	 * The bookkeeping must know the first seam already filled a segment.
	 */
	blk_queue_max_segment_size(fd->q, 8192);
	blk_queue_max_segments(fd->q, 2);
	blk_stop_queue(fd->q);
	for (i = 0; i < 3; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_WRITE, 8 * i, 4096, buf + 4096 * i, 0));
	restart(fd);
	assert_int_equal(fd->nlog, 1);
	assert_int_equal(fd->log[0].nsg, 2);
	fake_destroy(fd);
	free(buf);
}

static void test_request_merge_closes_gap(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(3);
	struct tio t[3];

	blk_stop_queue(fd->q);
	submit_bio(make_bio(&t[0], fd->disk, REQ_OP_WRITE, 0, 4096, buf, 0));
	submit_bio(make_bio(&t[1], fd->disk, REQ_OP_WRITE, 16, 4096, buf + 8192, 0));
	submit_bio(make_bio(&t[2], fd->disk, REQ_OP_WRITE, 8, 4096, buf + 4096, 0));
	restart(fd);
	assert_int_equal(fd->nlog, 1);
	assert_int_equal(fd->log[0].sectors, 24);
	assert_int_equal(fd->log[0].nr_bios, 3);
	assert_int_equal(qcounters(fd->q).rq_merges, 1);
	assert_int_equal(qcounters(fd->q).completions, 0);
	fake_settle(fd);
	assert_int_equal(qcounters(fd->q).completions, 1);
	assert_int_equal(t[0].ended + t[1].ended + t[2].ended, 3);
	fake_destroy(fd);
	free(buf);
}

static void test_back_merge_finds_grown_request(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(6);
	struct tio t[6];

	/*
	 * Grow A (0..) and B (100..) in turns, so that the merge cache always
	 * points at the other one: each back merge must find its request by
	 * its new end sector.
	 */
	blk_stop_queue(fd->q);
	submit_bio(make_bio(&t[0], fd->disk, REQ_OP_WRITE, 0, 4096, buf, 0));
	submit_bio(make_bio(&t[1], fd->disk, REQ_OP_WRITE, 100, 4096, buf + 4096, 0));
	submit_bio(make_bio(&t[2], fd->disk, REQ_OP_WRITE, 108, 4096, buf + 8192, 0));
	submit_bio(make_bio(&t[3], fd->disk, REQ_OP_WRITE, 8, 4096, buf + 12288, 0));
	submit_bio(make_bio(&t[4], fd->disk, REQ_OP_WRITE, 116, 4096, buf + 16384, 0));
	submit_bio(make_bio(&t[5], fd->disk, REQ_OP_WRITE, 16, 4096, buf + 20480, 0));
	restart(fd);
	assert_int_equal(fd->nlog, 2);
	assert_int_equal(qcounters(fd->q).back_merges, 4);
	assert_int_equal(fd->log[0].sectors + fd->log[1].sectors, 48);
	fake_destroy(fd);
	free(buf);
}

static void test_nomerges_flag(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(2);
	struct tio a, b;

	blk_queue_nomerges(fd->q, true);
	blk_stop_queue(fd->q);
	submit_bio(make_bio(&a, fd->disk, REQ_OP_WRITE, 0, 4096, buf, 0));
	submit_bio(make_bio(&b, fd->disk, REQ_OP_WRITE, 8, 4096, buf + 4096, 0));
	restart(fd);
	assert_int_equal(fd->nlog, 2);
	fake_destroy(fd);
	free(buf);
}

static void test_discard_merges_within_its_limit(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	struct tio t[3];

	blk_queue_max_discard_sectors(fd->q, 64);
	blk_stop_queue(fd->q);
	submit_bio(make_nodata_bio(&t[0], fd->disk, REQ_OP_DISCARD, 0, 32 * 512));
	submit_bio(make_nodata_bio(&t[1], fd->disk, REQ_OP_DISCARD, 32, 32 * 512));
	submit_bio(make_nodata_bio(&t[2], fd->disk, REQ_OP_DISCARD, 64, 32 * 512));
	restart(fd);
	assert_int_equal(fd->nlog, 2);
	assert_int_equal(fd->log[0].op, REQ_OP_DISCARD);
	assert_int_equal(fd->log[0].sectors, 64);
	assert_int_equal(fd->log[0].nsg, 0);
	fake_settle(fd);
	assert_int_equal(t[0].status + t[1].status + t[2].status, 0);
	fake_destroy(fd);
}

static void test_unsupported_ops_refused(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	struct tio d, z;

	submit_bio(make_nodata_bio(&d, fd->disk, REQ_OP_DISCARD, 0, 4096));
	submit_bio(make_nodata_bio(&z, fd->disk, REQ_OP_WRITE_ZEROES, 0, 4096));
	assert_int_equal(d.ended, 1);
	assert_int_equal(d.status, -EOPNOTSUPP);
	assert_int_equal(z.status, -EOPNOTSUPP);
	assert_int_equal(fd->nlog, 0);
	fake_destroy(fd);
}

/* ------------------------------------------------------------------------
 * Flush and FUA
 */

static void test_flush_without_cache_is_free(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct tio f, w;

	submit_bio(make_nodata_bio(&f, fd->disk, REQ_OP_FLUSH, 0, 0));
	assert_int_equal(f.ended, 1);
	assert_int_equal(f.status, 0);
	make_bio(&w, fd->disk, REQ_OP_WRITE, 0, 4096, buf, 0);
	w.bio->bi_rw |= REQ_FUA | REQ_PREFLUSH;
	submit_bio(w.bio);
	fake_settle(fd);
	assert_int_equal(fd->nlog, 1);
	assert_int_equal(fd->log[0].op, REQ_OP_WRITE);
	assert_int_equal(fd->log[0].flags & (REQ_FUA | REQ_PREFLUSH), 0);
	assert_int_equal(w.ended, 1);
	fake_destroy(fd);
	free(buf);
}

static void test_preflush_and_fua_emulated(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(2);
	struct tio w, o;

	blk_queue_write_cache(fd->q, true, false);
	make_bio(&w, fd->disk, REQ_OP_WRITE, 0, 4096, buf, 0);
	w.bio->bi_rw |= REQ_PREFLUSH | REQ_FUA;
	submit_bio(w.bio);
	/* Flush first, and nothing else until it completed. */
	assert_int_equal(fd->nlog, 1);
	assert_int_equal(fd->log[0].op, REQ_OP_FLUSH);
	fake_complete_all(fd);
	assert_int_equal(fd->nlog, 2);
	assert_int_equal(fd->log[1].op, REQ_OP_WRITE);
	assert_int_equal(fd->log[1].flags & REQ_FUA, 0);
	fake_complete_all(fd);
	/* The data is in, but the bio waits for the post-flush. */
	assert_int_equal(w.ended, 0);
	assert_int_equal(fd->nlog, 3);
	assert_int_equal(fd->log[2].op, REQ_OP_FLUSH);
	fake_complete_all(fd);
	assert_int_equal(w.ended, 1);
	assert_int_equal(w.status, 0);

	/* A device with FUA gets the flag, unmerged. */
	blk_queue_write_cache(fd->q, true, true);
	blk_stop_queue(fd->q);
	make_bio(&w, fd->disk, REQ_OP_WRITE, 0, 4096, buf, 0);
	w.bio->bi_rw |= REQ_FUA;
	submit_bio(w.bio);
	submit_bio(make_bio(&o, fd->disk, REQ_OP_WRITE, 8, 4096, buf + 4096, 0));
	restart(fd);
	assert_int_equal(fd->nlog, 5);
	assert_true((fd->log[3].flags | fd->log[4].flags) & REQ_FUA);
	fake_settle(fd);
	assert_int_equal(w.ended + o.ended, 2);
	fake_destroy(fd);
	free(buf);
}

static void test_fua_error_skips_flush(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct tio w;

	blk_queue_write_cache(fd->q, true, false);
	fd->fail_enabled = true;
	fd->fail_sector = 3;
	fd->fail_error = -EIO;
	make_bio(&w, fd->disk, REQ_OP_WRITE, 0, 4096, buf, 0);
	w.bio->bi_rw |= REQ_FUA;
	submit_bio(w.bio);
	fake_settle(fd);
	assert_int_equal(fd->nlog, 1);
	assert_int_equal(w.ended, 1);
	assert_int_equal(w.status, -EIO);
	fake_destroy(fd);
	free(buf);
}

/* ------------------------------------------------------------------------
 * Splitting
 */

static void check_disk_pattern(struct fake_dev *fd, sector_t sector, u32 bytes, u32 salt)
{
	assert_true(pattern_check(fd->data + sector * SECTOR_SIZE, sector, bytes, salt));
}

/*
 * Write @bytes through the queue's (already lowered) limits and read them
 * back. The bios are built without a disk, so bio_add_page does not apply
 * the limits: what does not fit must be split on the way down.
 */
static void split_case(struct fake_dev *fd, u32 bytes, u32 vec_bytes, bool sparse,
		       unsigned expect_min_pieces)
{
	u32 unit = vec_bytes && vec_bytes < PAGE_SIZE ? vec_bytes : PAGE_SIZE;
	unsigned pages = 2 * (bytes / unit + 2);
	u8 *buf = page_buf(pages), *rd = page_buf(pages);
	struct tio t, r;
	struct bio *bio;
	unsigned nlog0;
	u32 done;

	if (sparse) {
		/* Each vec on a page of its own: nothing is physically contiguous. */
		bio = bio_alloc(bytes / vec_bytes);
		memset(&t, 0, sizeof(t));
		t.bio = bio;
		bio_set_op(bio, REQ_OP_WRITE, 0);
		bio->bi_end_io = tio_endio;
		bio->bi_private = &t;
		for (done = 0; done < bytes; done += vec_bytes) {
			u8 *page = buf + 2 * PAGE_SIZE * (done / vec_bytes);

			pattern_fill(page, 64 + done / SECTOR_SIZE, vec_bytes, 7);
			assert_int_equal(bio_add_page(bio, page, vec_bytes, 0), (int)vec_bytes);
		}
	} else {
		pattern_fill(buf, 64, bytes, 7);
		bio = make_bio(&t, NULL, REQ_OP_WRITE, 64, bytes, buf, vec_bytes);
	}
	bio->bi_disk = fd->disk;
	bio->bi_sector = 64;
	nlog0 = fd->nlog;
	submit_bio(bio);
	fake_settle(fd);
	assert_int_equal(t.ended, 1);
	assert_int_equal(t.status, 0);
	assert_true(fd->nlog - nlog0 >= expect_min_pieces);
	check_disk_pattern(fd, 64, bytes, 7);

	bio = make_bio(&r, NULL, REQ_OP_READ, 64, bytes, rd, vec_bytes);
	bio->bi_disk = fd->disk;
	submit_bio(bio);
	fake_settle(fd);
	assert_int_equal(r.ended, 1);
	assert_int_equal(r.status, 0);
	assert_true(pattern_check(rd, 64, bytes, 7));
	free(buf);
	free(rd);
}

static void test_split_at_max_sectors(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);

	blk_queue_max_hw_sectors(fd->q, 16);
	split_case(fd, 8 * PAGE_SIZE, 0, false, 4);
	/* Written and read back: three splits each way. */
	assert_int_equal(fd->nlog, 8);
	assert_int_equal(qcounters(fd->q).splits, 6);
	fake_destroy(fd);
}

static void test_split_mid_vec(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);

	/* 12 sectors: the cut falls in the middle of the second page. */
	fd->q->limits.max_sectors = 12;
	fd->q->limits.max_hw_sectors = 12;
	split_case(fd, 8 * PAGE_SIZE, 0, false, 6);
	fake_destroy(fd);
}

static void test_split_at_max_segments(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);

	fd->q->limits.max_segments = 3;
	split_case(fd, 8 * PAGE_SIZE, PAGE_SIZE, true, 3);
	fake_destroy(fd);
}

static void test_split_at_max_segment_size(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);

	/* Contiguous memory, but page-sized segments and four per request. */
	blk_queue_max_segment_size(fd->q, PAGE_SIZE);
	fd->q->limits.max_segments = 4;
	split_case(fd, 16 * PAGE_SIZE, 0, false, 4);
	fake_destroy(fd);
}

static void test_split_keeps_logical_blocks(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	unsigned i;

	/*
	 * 4 KiB blocks built from 2 KiB vecs on separate pages, three segments
	 * per request: 6 KiB would fit, but the cut must fall at 4 KiB.
	 */
	blk_queue_logical_block_size(fd->q, 4096);
	fd->q->limits.max_segments = 3;
	split_case(fd, 8 * 4096, 2048, true, 8);
	for (i = 0; i < fd->nlog; i++) {
		assert_int_equal(fd->log[i].sector % 8, 0);
		assert_int_equal(fd->log[i].sectors % 8, 0);
	}
	fake_destroy(fd);
}

static void test_split_discard(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	struct tio t;

	blk_queue_max_discard_sectors(fd->q, 100);
	submit_bio(make_nodata_bio(&t, fd->disk, REQ_OP_DISCARD, 0, 256 * 512));
	fake_settle(fd);
	assert_int_equal(t.status, 0);
	assert_int_equal(fd->nlog, 3);
	assert_int_equal(fd->log[0].sectors, 100);
	assert_int_equal(fd->log[2].sectors, 56);
	fake_destroy(fd);
}

static void test_split_on_bypass_path(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);

	fake_enable_bypass(fd);
	assert_int_equal(blk_queue_set_path(fd->q, BLK_PATH_BIO), 0);
	fd->q->limits.max_segments = 2;
	split_case(fd, 8 * PAGE_SIZE, PAGE_SIZE, true, 4);
	assert_true(qcounters(fd->q).splits >= 3);
	fake_destroy(fd);
}

/*
 * blk_queue_split's fast path: a bio of one whole vector that fits the
 * limits is handed back untouched (no walk, no split); one with more
 * sectors than max_sectors still goes the long way and is split. (A
 * vector never exceeds max_segment_size: bio_add_page and the limits'
 * page minimum see to it.)
 */
static void test_split_one_vec(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct bio *bio, *orig;
	struct tio t;

	pattern_fill(buf, 8, PAGE_SIZE, 3);
	bio = make_bio(&t, fd->disk, REQ_OP_WRITE, 8, PAGE_SIZE, buf, 0);
	orig = bio;
	blk_queue_split(fd->q, &bio);
	assert_ptr_equal(bio, orig);
	assert_int_equal(bio->bi_size, PAGE_SIZE);
	assert_int_equal(bio->bi_vcnt, 1);
	assert_null(bio->bi_next);
	assert_int_equal(qcounters(fd->q).splits, 0);
	submit_bio(bio);
	fake_settle(fd);
	assert_int_equal(t.status, 0);
	assert_int_equal(fd->nlog, 1);

	/* Four sectors a request (below a page: set directly): two pieces. */
	fd->q->limits.max_sectors = 4;
	fd->q->limits.max_hw_sectors = 4;
	/* Built without the disk, whose limits bio_add_page would obey. */
	bio = make_bio(&t, NULL, REQ_OP_WRITE, 8, PAGE_SIZE, buf, 0);
	bio->bi_disk = fd->disk;
	submit_bio(bio);
	fake_settle(fd);
	assert_int_equal(t.ended, 1);
	assert_int_equal(t.status, 0);
	assert_int_equal(qcounters(fd->q).splits, 1);
	assert_int_equal(fd->nlog, 3);
	assert_int_equal(fd->log[1].sectors, 4);
	assert_int_equal(fd->log[2].sectors, 4);

	check_disk_pattern(fd, 8, PAGE_SIZE, 3);
	fake_destroy(fd);
	free(buf);
}

/* ------------------------------------------------------------------------
 * The bio_list loop
 */

struct remap {
	struct gendisk *disk;
	struct request_queue *q;
	struct gendisk *lower;
	sector_t offset;
	bool split_half;
};

static int remap_depth, remap_max_depth, remap_calls;
static char remap_trace[256];

static void remap_make_request(struct request_queue *q, struct bio *bio)
{
	struct remap *r = q->queuedata;
	size_t len = strlen(remap_trace);

	remap_calls++;
	if (++remap_depth > remap_max_depth)
		remap_max_depth = remap_depth;
	snprintf(remap_trace + len, sizeof(remap_trace) - len, "<%s", r->disk->disk_name);
	if (r->split_half && bio_sectors(bio) >= 16) {
		struct bio *split = bio_split(bio, bio_sectors(bio) / 2);

		assert_non_null(split);
		bio_chain(split, bio);
		split->bi_disk = r->lower;
		split->bi_sector += r->offset;
		generic_make_request(split);
	}
	bio->bi_disk = r->lower;
	bio->bi_sector += r->offset;
	generic_make_request(bio);
	len = strlen(remap_trace);
	snprintf(remap_trace + len, sizeof(remap_trace) - len, ">");
	remap_depth--;
}

static struct remap *remap_create(const char *name, struct gendisk *lower, sector_t offset)
{
	struct remap *r = calloc(1, sizeof(*r));

	r->lower = lower;
	r->offset = offset;
	r->q = blk_alloc_queue();
	blk_queue_make_request(r->q, remap_make_request);
	r->q->queuedata = r;
	r->disk = alloc_disk();
	snprintf(r->disk->disk_name, DISK_NAME_LEN, "%s", name);
	r->disk->queue = r->q;
	set_capacity(r->disk, get_capacity(lower) - offset);
	assert_int_equal(add_disk(r->disk), 0);
	return r;
}

static void remap_destroy(struct remap *r)
{
	del_disk(r->disk);
	put_disk(r->disk);
	blk_cleanup_queue(r->q);
	free(r);
}

static void test_bio_list_depth_stays_one(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	struct remap *r0 = remap_create("r0", fd->disk, 100);
	struct remap *r1 = remap_create("r1", r0->disk, 10);
	struct remap *r2 = remap_create("r2", r1->disk, 1);
	u8 *buf = page_buf(4);
	struct tio t;

	remap_depth = remap_max_depth = remap_calls = 0;
	remap_trace[0] = '\0';
	r1->split_half = true;
	pattern_fill(buf, 0, 16384, 3);
	submit_bio(make_bio(&t, r2->disk, REQ_OP_WRITE, 5, 16384, buf, 0));
	/* Each remapper returned before the next one ran: a loop, not recursion. */
	assert_int_equal(remap_max_depth, 1);
	assert_string_equal(remap_trace, "<r2><r1><r0><r0>");
	assert_int_equal(remap_calls, 4);
	fake_settle(fd);
	assert_int_equal(t.ended, 1);
	assert_int_equal(t.status, 0);
	/* 5 + 1 + 10 + 100 */
	assert_memory_equal(fd->data + 116 * SECTOR_SIZE, buf, 16384);
	remap_destroy(r2);
	remap_destroy(r1);
	remap_destroy(r0);
	fake_destroy(fd);
	free(buf);
}

static void test_failing_checks_inside_loop(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	struct remap *r0 = remap_create("r0", fd->disk, CAP - 8);
	u8 *buf = page_buf(2);
	struct tio t;

	/* r0 is as large as vda but shifted: the remapped bio runs off vda's end. */
	set_capacity(r0->disk, CAP);
	submit_bio(make_bio(&t, r0->disk, REQ_OP_READ, 4, 8192, buf, 0));
	assert_int_equal(t.ended, 1);
	assert_int_equal(t.status, -EIO);
	assert_non_null(strstr(host_log, "beyond end of device"));
	remap_destroy(r0);
	fake_destroy(fd);
	free(buf);
}

/* ------------------------------------------------------------------------
 * Plugging
 */

static void test_plug_dispatches_burst_in_one_run(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(16);
	struct tio t[12];
	struct blk_plug plug;
	int i;

	blk_start_plug(&plug);
	/* Eight scattered bios and four that extend the last one. */
	for (i = 0; i < 8; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_WRITE, 1000 - 100 * i, 4096,
				    buf + 4096 * i, 0));
	for (i = 8; i < 12; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_WRITE, 300 + 8 * (i - 7), 4096,
				    buf + 4096 * i, 0));
	assert_int_equal(fd->request_fn_runs, 0);
	assert_int_equal(fd->nlog, 0);
	blk_finish_plug(&plug);
	assert_int_equal(fd->request_fn_runs, 1);
	assert_int_equal(fd->kicks, 1);
	assert_int_equal(fd->nlog, 8);
	assert_int_equal(qcounters(fd->q).back_merges, 4);
	fake_settle(fd);
	for (i = 0; i < 12; i++)
		assert_int_equal(t[i].ended, 1);
	fake_destroy(fd);
	free(buf);
}

static void test_plug_flushes_when_full(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct tio t[BLK_MAX_REQUEST_COUNT + 4];
	struct blk_plug plug;
	int i;

	blk_start_plug(&plug);
	for (i = 0; i < BLK_MAX_REQUEST_COUNT + 4; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_READ, 64 * i, 4096, buf, 0));
	assert_int_equal(fd->request_fn_runs, 1);
	blk_finish_plug(&plug);
	assert_int_equal(fd->request_fn_runs, 2);
	assert_int_equal(fd->nlog, BLK_MAX_REQUEST_COUNT + 4);
	fake_destroy(fd);
	free(buf);
}

static void test_plug_nested_and_bypass_kick(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct blk_plug outer, inner;
	struct tio t[5];
	int i;

	fake_enable_bypass(fd);
	assert_int_equal(blk_queue_set_path(fd->q, BLK_PATH_BIO), 0);
	blk_start_plug(&outer);
	blk_start_plug(&inner);
	for (i = 0; i < 5; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_READ, 64 * i, 4096, buf, 0));
	blk_finish_plug(&inner); /* the outer plug still holds the kick */
	assert_int_equal(fd->nlog, 5);
	assert_int_equal(fd->kicks, 0);
	blk_finish_plug(&outer);
	assert_int_equal(fd->kicks, 1);

	/* Without a plug, every bio kicks. */
	for (i = 0; i < 3; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_READ, 64 * i, 4096, buf, 0));
	assert_int_equal(fd->kicks, 4);
	fake_destroy(fd);
	free(buf);
}

/* ------------------------------------------------------------------------
 * Timeouts
 */

static void test_timeout_calls_handler(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct tio t;

	blk_queue_rq_timeout(fd->q, NSEC_PER_SEC);
	submit_bio(make_bio(&t, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	assert_int_equal(fd->nr_inflight, 1);

	host_advance_ns(NSEC_PER_SEC - 1);
	run_softirqs();
	assert_int_equal(fd->timeouts_seen, 0);
	host_advance_ns(1);
	run_softirqs();
	assert_int_equal(fd->timeouts_seen, 1);
	assert_int_equal(qcounters(fd->q).timeouts, 1);
	assert_int_equal(t.ended, 0); /* RESET_TIMER: still waiting */

	host_advance_ns(NSEC_PER_SEC);
	fd->timeout_ret = BLK_EH_NOT_HANDLED;
	run_softirqs();
	assert_int_equal(fd->timeouts_seen, 2);
	host_advance_ns(10 * NSEC_PER_SEC);
	run_softirqs();
	assert_int_equal(fd->timeouts_seen, 2); /* the driver owns it now */

	/* The device answers after all. */
	fake_complete_all(fd);
	assert_int_equal(t.ended, 1);
	assert_int_equal(t.status, 0);

	/* HANDLED: ended now, with the driver's error. */
	fd->timeout_ret = BLK_EH_HANDLED;
	submit_bio(make_bio(&t, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	host_advance_ns(NSEC_PER_SEC);
	run_softirqs();
	assert_int_equal(t.ended, 1);
	assert_int_equal(t.status, -ETIMEDOUT);
	assert_int_equal(fd->nr_inflight, 0);
	assert_int_equal(qcounters(fd->q).timeouts, 3);
	fake_destroy(fd);
	free(buf);
}

static void test_spurious_second_completion(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	unsigned long flags;
	struct tio t;

	submit_bio(make_bio(&t, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	assert_int_equal(fd->nr_inflight, 1);
	/* A device that reports the same request twice before the softirq runs. */
	flags = local_irq_save();
	blk_complete_request(fd->inflight[0]);
	blk_complete_request(fd->inflight[0]);
	local_irq_restore(flags);
	run_softirqs();
	assert_int_equal(t.ended, 1);
	assert_int_equal(qcounters(fd->q).completions, 1);
	fake_destroy(fd);
	free(buf);
}

static struct fake_dev *late_fd;

static enum blk_eh_timer_return late_handler(struct request *rq)
{
	/* The device completes it while the handler runs (an interrupt). */
	blk_complete_request(rq);
	late_fd->timeouts_seen++;
	return BLK_EH_RESET_TIMER;
}

static void test_timeout_races_completion(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct tio t;

	late_fd = fd;
	blk_queue_rq_timed_out(fd->q, late_handler);
	blk_queue_rq_timeout(fd->q, NSEC_PER_SEC);
	submit_bio(make_bio(&t, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	host_advance_ns(NSEC_PER_SEC);
	run_softirqs();
	assert_int_equal(fd->timeouts_seen, 1);
	assert_int_equal(t.ended, 1);
	assert_int_equal(t.status, 0);
	/* A completion that arrives now is a no-op, and no timeout fires again. */
	host_advance_ns(5 * NSEC_PER_SEC);
	run_softirqs();
	assert_int_equal(fd->timeouts_seen, 1);
	assert_false(fd->q->timeout.pending);
	fake_destroy(fd);
	free(buf);
}

/* ------------------------------------------------------------------------
 * Errors
 */

static void test_merged_failure_retried_bio_by_bio(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(4), *rd = page_buf(4);
	struct tio t[4];
	int i;

	pattern_fill(buf, 0, 16384, 9);
	blk_stop_queue(fd->q);
	for (i = 0; i < 4; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_WRITE, 8 * i, 4096, buf + 4096 * i, 0));
	fd->fail_enabled = true;
	fd->fail_sector = 20; /* inside the third bio */
	fd->fail_error = -EIO;
	restart(fd);
	assert_int_equal(fd->nlog, 1);
	assert_int_equal(fd->log[0].nr_bios, 4);
	fake_complete_all(fd); /* fails; each bio goes again alone */
	assert_int_equal(fd->nlog, 5);
	for (i = 1; i < 5; i++) {
		assert_int_equal(fd->log[i].nr_bios, 1);
		assert_int_equal(fd->log[i].sector, 8 * (i - 1));
	}
	fake_settle(fd);
	for (i = 0; i < 4; i++) {
		assert_int_equal(t[i].ended, 1);
		assert_int_equal(t[i].status, i == 2 ? -EIO : 0);
	}
	assert_int_equal(qcounters(fd->q).retries, 4);
	assert_int_equal(qcounters(fd->q).errors, 2);
	assert_int_equal(qcounters(fd->q).completions, 5);
	assert_int_equal(qcounters(fd->q).dispatched, 5);
	assert_memory_equal(fd->data, buf, 8192);
	assert_memory_equal(fd->data + 12288, buf + 12288, 4096);
	fake_destroy(fd);
	free(buf);
	free(rd);
}

static void test_readonly_disk(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct tio w, r, z;

	blk_queue_max_write_zeroes_sectors(fd->q, 64);
	set_disk_ro(fd->disk, true);
	submit_bio(make_bio(&w, fd->disk, REQ_OP_WRITE, 0, 4096, buf, 0));
	submit_bio(make_nodata_bio(&z, fd->disk, REQ_OP_WRITE_ZEROES, 0, 4096));
	assert_int_equal(w.ended, 1);
	assert_int_equal(w.status, -EROFS);
	assert_int_equal(z.status, -EROFS);
	assert_non_null(strstr(host_log, "vda: write refused, the disk is read-only"));
	assert_int_equal(fd->nlog, 0);
	submit_bio(make_bio(&r, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	fake_settle(fd);
	assert_int_equal(r.status, 0);
	assert_int_equal(fd->nlog, 1);

	/* A stream of refused writes gets a few messages, then one notice. */
	for (int i = 0; i < 30; i++) {
		submit_bio(make_bio(&w, fd->disk, REQ_OP_WRITE, 0, 4096, buf, 0));
		assert_int_equal(w.status, -EROFS);
	}
	assert_non_null(strstr(host_log, "further messages about refused I/O suppressed"));
	fake_destroy(fd);
	free(buf);
}

static void test_out_of_range_and_misaligned(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(2);
	struct tio a, b, c, d, e;

	submit_bio(make_bio(&a, fd->disk, REQ_OP_READ, CAP - 4, 4096, buf, 0));
	assert_int_equal(a.status, -EIO);
	assert_non_null(strstr(host_log, "beyond end of device"));
	submit_bio(make_bio(&b, fd->disk, REQ_OP_READ, ~(sector_t)0 - 2, 4096, buf, 0));
	assert_int_equal(b.status, -EIO);
	submit_bio(make_bio(&c, fd->disk, REQ_OP_READ, CAP - 8, 4096, buf, 0));
	fake_settle(fd);
	assert_int_equal(c.ended, 1);
	assert_int_equal(c.status, 0);

	blk_queue_logical_block_size(fd->q, 4096);
	submit_bio(make_bio(&d, fd->disk, REQ_OP_READ, 1, 4096, buf, 0));
	assert_int_equal(d.status, -EINVAL);
	submit_bio(make_bio(&e, fd->disk, REQ_OP_READ, 8, 2048, buf, 0));
	assert_int_equal(e.status, -EINVAL);
	assert_non_null(strstr(host_log, "not aligned"));
	assert_int_equal(fd->nlog, 1);
	fake_destroy(fd);
	free(buf);
}

static void test_no_disk_and_dead_queue(void **state)
{
	u8 *buf = page_buf(1);
	struct tio t;
	struct bio *bio = make_bio(&t, NULL, REQ_OP_READ, 0, 4096, buf, 0);

	submit_bio(bio);
	assert_int_equal(t.ended, 1);
	assert_int_equal(t.status, -ENODEV);
	free(buf);
}

/* ------------------------------------------------------------------------
 * The request pool
 */

static void test_pool_exhausted_in_completion_context_parks(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct tio t[6];
	int i;

	assert_int_equal(blk_queue_nr_requests(fd->q, 4), 0);
	for (i = 0; i < 4; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_READ, 64 * i, 4096, buf, 0));
	assert_int_equal(fd->nr_inflight, 4);
	/* As if from a bi_end_io: no request, no waiting: parked. */
	blk_atomic_enter();
	submit_bio(make_bio(&t[4], fd->disk, REQ_OP_READ, 1000, 4096, buf, 0));
	submit_bio(make_bio(&t[5], fd->disk, REQ_OP_READ, 2000, 4096, buf, 0));
	blk_atomic_exit();
	assert_false(bio_list_empty(&fd->q->backlog));
	assert_int_equal(fd->nr_inflight, 4);
	fake_complete(fd, 1);
	assert_int_equal(fd->nr_inflight, 4);
	assert_int_equal(fd->log[4].sector, 1000);
	fake_settle(fd);
	for (i = 0; i < 6; i++)
		assert_int_equal(t[i].ended, 1);
	assert_true(bio_list_empty(&fd->q->backlog));
	fake_destroy(fd);
	free(buf);
}

static void test_pool_exhausted_in_process_context_waits(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct tio t[10];
	int i;

	assert_int_equal(blk_queue_nr_requests(fd->q, 2), 0);
	fd->complete_in_fn = true; /* the "interrupt" comes as soon as it is sent */
	for (i = 0; i < 10; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_READ, 64 * i, 4096, buf, 0));
	fake_settle(fd);
	for (i = 0; i < 10; i++)
		assert_int_equal(t[i].ended, 1);
	assert_int_equal(fd->nlog, 10);
	assert_int_equal(blk_queue_nr_requests(fd->q, 0), -EINVAL);
	fake_destroy(fd);
	free(buf);
}

/* The job engine's pattern: each completion submits the next bio. */
struct refill {
	struct gendisk *disk;
	u8 *buf;
	int left;
	int ended;
	int max_depth;
};

static int refill_depth;

static void refill_endio(struct bio *bio)
{
	struct refill *r = bio->bi_private;

	if (++refill_depth > r->max_depth)
		r->max_depth = refill_depth;
	assert_int_equal(bio->bi_status, 0);
	r->ended++;
	bio_put(bio);
	if (r->left > 0) {
		struct bio *next = bio_alloc(1);

		r->left--;
		next->bi_disk = r->disk;
		next->bi_sector = (sector_t)(r->left * 8) % 8000;
		bio_set_op(next, REQ_OP_READ, 0);
		bio_add_page(next, r->buf, 4096, 0);
		next->bi_end_io = refill_endio;
		next->bi_private = r;
		submit_bio(next);
	}
	refill_depth--;
}

static void refill_run(struct fake_dev *fd, int total, int iodepth)
{
	struct refill r = {fd->disk, page_buf(1), total - iodepth, 0, 0};
	int i;

	refill_depth = 0;
	for (i = 0; i < iodepth; i++) {
		struct bio *bio = bio_alloc(1);

		bio->bi_disk = fd->disk;
		bio->bi_sector = (sector_t)i * 8;
		bio_set_op(bio, REQ_OP_READ, 0);
		bio_add_page(bio, r.buf, 4096, 0);
		bio->bi_end_io = refill_endio;
		bio->bi_private = &r;
		submit_bio(bio);
	}
	fake_settle(fd);
	assert_int_equal(r.ended, total);
	/* Completion never nests inside completion: the stack stays flat. */
	assert_int_equal(r.max_depth, 1);
	free(r.buf);
}

static void test_refill_from_end_io(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);

	blk_queue_nr_requests(fd->q, 8);
	fd->complete_in_fn = true; /* so the submitter's wait for a request ends */
	refill_run(fd, 500, 32);   /* more in flight than requests: the backlog path */
	assert_int_equal(qcounters(fd->q).completions, qcounters(fd->q).dispatched);

	fake_enable_bypass(fd);
	assert_int_equal(blk_queue_set_path(fd->q, BLK_PATH_BIO), 0);
	fd->bypass_sync = true; /* the driver ends bios inside its make_request_fn */
	refill_run(fd, 300, 4);
	fake_destroy(fd);
}

/*
 * One batch of completions over two queues: the block softirq frees all
 * of the batch's requests (one queue lock each) before the first of their
 * bios ends, so a bi_end_io that submits again finds the pool full, and
 * every bio ends once.
 */
struct batch_seen {
	struct fake_dev *fd[2];
	unsigned ended;
	unsigned rqs_held; /* requests allocated, both queues, at the first bi_end_io */
	struct tio again[8];
	u8 *buf;
};

static struct batch_seen *batch_seen;

static void batch_endio(struct bio *bio)
{
	struct batch_seen *b = batch_seen;
	unsigned i = b->ended++;

	if (i == 0)
		b->rqs_held = b->fd[0]->q->nr_rqs + b->fd[1]->q->nr_rqs;
	assert_int_equal(bio->bi_status, 0);
	/* Again, on the same disk, apart from the rest: a request must be there at once. */
	submit_bio(make_bio(&b->again[i], bio->bi_disk, REQ_OP_READ, 512 + (sector_t)i * 64, 4096,
			    b->buf, 0));
	bio_put(bio);
}

static void test_completion_batch_over_queues(void **state)
{
	struct batch_seen b;
	unsigned long flags;
	unsigned i, d;

	memset(&b, 0, sizeof(b));
	b.fd[0] = fake_create("vda", CAP);
	b.fd[1] = fake_create("vdb", CAP);
	b.buf = page_buf(1);
	batch_seen = &b;
	for (d = 0; d < 2; d++) {
		blk_queue_nr_requests(b.fd[d]->q, 4);
		for (i = 0; i < 4; i++) {
			struct bio *bio = bio_alloc(1);

			bio->bi_disk = b.fd[d]->disk;
			bio->bi_sector = (sector_t)i * 64;
			bio_set_op(bio, REQ_OP_READ, 0);
			bio_add_page(bio, b.buf, 4096, 0);
			bio->bi_end_io = batch_endio;
			submit_bio(bio);
		}
		assert_int_equal(b.fd[d]->nr_inflight, 4);
	}
	/* Both devices interrupt before the softirq runs: one batch, queues interleaved. */
	flags = local_irq_save();
	for (i = 0; i < 4; i++)
		for (d = 0; d < 2; d++)
			blk_complete_request(b.fd[d]->inflight[i]);
	local_irq_restore(flags);
	run_softirqs();

	assert_int_equal(b.ended, 8);
	assert_int_equal(b.rqs_held, 0);
	for (d = 0; d < 2; d++) {
		assert_true(bio_list_empty(&b.fd[d]->q->backlog));
		assert_int_equal(qcounters(b.fd[d]->q).dispatched, 8);
		fake_settle(b.fd[d]);
		assert_int_equal(qcounters(b.fd[d]->q).completions, 8);
	}
	for (i = 0; i < 8; i++)
		assert_int_equal(b.again[i].ended, 1);
	batch_seen = NULL;
	fake_destroy(b.fd[0]);
	fake_destroy(b.fd[1]);
	free(b.buf);
}

/* ------------------------------------------------------------------------
 * Paths, prep, busy, requeue, counters
 */

static void test_path_switch_drains(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct tio t[4];
	int i;

	assert_int_equal(blk_queue_set_path(fd->q, BLK_PATH_BIO), -EINVAL);
	fake_enable_bypass(fd);
	fd->complete_in_fn = true;
	blk_stop_queue(fd->q);
	for (i = 0; i < 3; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_READ, 64 * i, 4096, buf, 0));
	blk_start_queue(fd->q);
	/* Requests are queued: the switch waits until they are done. */
	assert_int_equal(blk_queue_set_path(fd->q, BLK_PATH_BIO), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(t[i].ended, 1);
	assert_string_equal(blk_path_name(fd->q->path), "bio");
	submit_bio(make_bio(&t[3], fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	assert_int_equal(fd->nr_bios, 1);
	assert_int_equal(blk_queue_bios_in_flight(fd->q), 1);
	fake_complete_bios(fd);
	assert_int_equal(t[3].ended, 1);
	assert_int_equal(blk_queue_bios_in_flight(fd->q), 0);
	assert_int_equal(blk_queue_set_path(fd->q, BLK_PATH_REQUEST), 0);
	assert_int_equal(blk_path_from_name("bio"), BLK_PATH_BIO);
	assert_int_equal(blk_path_from_name("request"), BLK_PATH_REQUEST);
	assert_int_equal(blk_path_from_name("raw"), -EINVAL);
	fake_destroy(fd);
	free(buf);
}

static int prep_defer_left;
static struct fake_dev *prep_fd;

static int test_prep(struct request_queue *q, struct request *rq)
{
	prep_fd->prep_calls++;
	if (blk_rq_pos(rq) == 666)
		return BLKPREP_KILL;
	if (prep_defer_left) {
		prep_defer_left--;
		return BLKPREP_DEFER;
	}
	return BLKPREP_OK;
}

static void test_unprep(struct request_queue *q, struct request *rq)
{
	prep_fd->unprep_calls++;
}

static void test_prep_defer_kill_unprep(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct tio a, k;

	prep_fd = fd;
	prep_defer_left = 1;
	blk_queue_prep_rq(fd->q, test_prep);
	blk_queue_unprep_rq(fd->q, test_unprep);
	submit_bio(make_bio(&a, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	assert_int_equal(fd->nlog, 0); /* deferred */
	blk_run_queue(fd->q);
	assert_int_equal(fd->nlog, 1);
	assert_int_equal(fd->prep_calls, 2);
	submit_bio(make_bio(&k, fd->disk, REQ_OP_READ, 666, 4096, buf, 0));
	/* Killed under the queue lock: the bio ends from the block softirq. */
	assert_int_equal(k.ended, 0);
	run_softirqs();
	assert_int_equal(k.ended, 1);
	assert_int_equal(k.status, -EIO);
	fake_settle(fd);
	assert_int_equal(a.ended, 1);
	assert_int_equal(fd->unprep_calls, 1);
	fake_destroy(fd);
	free(buf);
}

static int busy_value;

static int test_busy(struct request_queue *q)
{
	return busy_value;
}

static void test_lld_busy(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);

	assert_int_equal(blk_lld_busy(fd->q), 0);
	blk_queue_lld_busy(fd->q, test_busy);
	busy_value = 1;
	assert_int_equal(blk_lld_busy(fd->q), 1);
	busy_value = 0;
	assert_int_equal(blk_lld_busy(fd->q), 0);
	fake_destroy(fd);
}

static void test_ring_full_requeues_and_restarts(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct tio t[7];
	int i;

	fd->ring_size = 2;
	for (i = 0; i < 7; i++)
		submit_bio(make_bio(&t[i], fd->disk, REQ_OP_READ, 64 * i, 4096, buf, 0));
	assert_int_equal(fd->nr_inflight, 2);
	assert_true(blk_queue_stopped(fd->q));
	assert_true(qcounters(fd->q).requeues >= 1);
	fake_complete(fd, 1);
	/* The completion restarted the queue from the softirq. */
	assert_int_equal(fd->nr_inflight, 2);
	fake_settle(fd);
	for (i = 0; i < 7; i++)
		assert_int_equal(t[i].ended, 1);
	assert_int_equal(fd->nlog, 7);
	assert_int_equal(qcounters(fd->q).dispatched, 7);
	assert_int_equal(qcounters(fd->q).completions, 7);
	fake_destroy(fd);
	free(buf);
}

static void test_counters_in_one_place(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	u8 *buf = page_buf(1);
	struct blk_counters c;
	struct tio t;

	submit_bio(make_bio(&t, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	fake_settle(fd);
	blk_get_counters(fd->disk, &c);
	assert_int_equal(c.bios, 1);
	assert_int_equal(c.dispatched, 1);
	assert_int_equal(c.completions, 1);
	assert_int_equal(c.kicks, 1);
	assert_int_equal(c.irqs, 7);
	host_log_len = 0;
	blk_print_counters(fd->disk);
	assert_non_null(strstr(host_log, "vda: bios 1 dispatched 1"));
	assert_non_null(strstr(host_log, "kicks 1 irqs 7"));
	blk_reset_counters(fd->disk);
	assert_int_equal(qcounters(fd->q).bios, 0);
	assert_ptr_equal(get_gendisk("vda"), fd->disk);
	assert_null(get_gendisk("vdb"));
	fake_destroy(fd);
	assert_null(get_gendisk("vda"));
	free(buf);
}

static void test_add_disk_checks(void **state)
{
	struct fake_dev *fd = fake_create("vda", CAP);
	struct gendisk *d = alloc_disk();

	assert_int_equal(add_disk(d), -EINVAL);
	snprintf(d->disk_name, DISK_NAME_LEN, "vda");
	d->queue = fd->q;
	assert_int_equal(add_disk(d), -EEXIST);
	put_disk(d);
	fd->q->disk = fd->disk;
	fake_destroy(fd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, block_test_setup, block_test_teardown)

/* ------------------------------------------------------------------------
 * Several CPUs (simulated: host_cpu says which one the code runs on)
 */

/* Run CPU @cpu's softirqs, as that CPU would once woken. */
static void softirqs_on(unsigned cpu)
{
	unsigned saved = host_cpu;

	host_cpu = cpu;
	run_softirqs();
	host_cpu = saved;
}

/*
 * Two CPUs' bios merged into one request: the request completes on the
 * CPU of its first bio, and each bio ends on the CPU that submitted it,
 * handed over (and that CPU woken) when it is the other one.
 */
static void test_merged_bios_end_on_their_cpus(void **state)
{
	struct fake_dev *fd;
	u8 *buf = page_buf(2);
	struct tio a, b;

	host_nr_cpus = 2;
	fd = fake_create("vda", CAP);
	blk_stop_queue(fd->q);
	host_cpu = 0;
	submit_bio(make_bio(&a, fd->disk, REQ_OP_WRITE, 0, 4096, buf, 0));
	host_cpu = 1;
	submit_bio(make_bio(&b, fd->disk, REQ_OP_WRITE, 8, 4096, buf + 4096, 0));
	assert_int_equal(a.bio->bi_cpu, 0);
	assert_int_equal(b.bio->bi_cpu, 1);
	assert_int_equal(qcounters(fd->q).back_merges, 1);
	assert_int_equal(fd->q->nr_rqs, 1);

	/* CPU 1 restarts the queue; its softirq dispatches the merged request. */
	blk_start_queue(fd->q);
	softirqs_on(1);
	assert_int_equal(fd->nr_inflight, 1);
	assert_int_equal(fd->inflight[0]->cpu, 0);

	/* The interrupt comes on CPU 1; the request belongs to CPU 0. */
	host_woken_cpus = 0;
	host_irq_depth++;
	blk_complete_request(fd->inflight[0]);
	host_irq_depth--;
	assert_true(host_woken_cpus & 1ul);
	softirqs_on(1);
	assert_int_equal(a.ended + b.ended, 0);

	/* CPU 0 ends the request and its own bio, and hands b to CPU 1. */
	host_woken_cpus = 0;
	softirqs_on(0);
	assert_int_equal(a.ended, 1);
	assert_int_equal(b.ended, 0);
	assert_true(host_woken_cpus & 2ul);
	softirqs_on(1);
	assert_int_equal(b.ended, 1);
	assert_int_equal(a.status, 0);
	assert_int_equal(b.status, 0);
	assert_int_equal(qcounters(fd->q).completions, 1);

	host_cpu = 0;
	fake_destroy(fd);
	free(buf);
}

/* Each CPU has its own plug: another CPU's bio neither joins nor flushes it. */
static void test_plugs_are_per_cpu(void **state)
{
	struct fake_dev *fd;
	u8 *buf = page_buf(3);
	struct blk_plug plug;
	struct tio a, b, c;

	host_nr_cpus = 2;
	fd = fake_create("vda", CAP);
	host_cpu = 0;
	blk_start_plug(&plug);
	submit_bio(make_bio(&a, fd->disk, REQ_OP_WRITE, 0, 4096, buf, 0));
	host_cpu = 1;
	/* CPU 1 has no plug: its bio goes straight to the driver. */
	submit_bio(make_bio(&b, fd->disk, REQ_OP_WRITE, 64, 4096, buf + 4096, 0));
	assert_int_equal(fd->nlog, 1);
	assert_int_equal(fd->log[0].sector, 64);
	host_cpu = 0;
	submit_bio(make_bio(&c, fd->disk, REQ_OP_WRITE, 8, 4096, buf + 8192, 0));
	assert_int_equal(fd->nlog, 1); /* a and c wait in CPU 0's plug... */
	blk_finish_plug(&plug);
	assert_int_equal(fd->nlog, 2); /* ...and leave it merged, as one request */
	assert_int_equal(fd->log[1].sector, 0);
	assert_int_equal(fd->log[1].nr_bios, 2);
	fake_complete_all(fd);
	softirqs_on(1);
	assert_int_equal(a.ended + b.ended + c.ended, 3);
	fake_destroy(fd);
	free(buf);
}

/*
 * The bypass path on two CPUs: each CPU's bio is accounted where it was
 * dispatched and where it ended, and the queue is idle only when both are.
 */
static void test_bypass_counts_across_cpus(void **state)
{
	struct fake_dev *fd;
	u8 *buf = page_buf(2);
	struct tio a, b;

	host_nr_cpus = 2;
	fd = fake_create("vda", CAP);
	fake_enable_bypass(fd);
	assert_int_equal(blk_queue_set_path(fd->q, BLK_PATH_BIO), 0);
	host_cpu = 0;
	submit_bio(make_bio(&a, fd->disk, REQ_OP_READ, 0, 4096, buf, 0));
	host_cpu = 1;
	submit_bio(make_bio(&b, fd->disk, REQ_OP_READ, 8, 4096, buf + 4096, 0));
	assert_int_equal(blk_queue_bios_in_flight(fd->q), 2);
	assert_int_equal(fd->q->counters[0].c.dispatched, 1);
	assert_int_equal(fd->q->counters[1].c.dispatched, 1);
	/* The fake device ends what it holds on the CPU that asks it to... */
	host_cpu = 1;
	bio_list_pop(&fd->bios); /* a */
	fd->nr_bios--;
	fake_complete_bios(fd); /* b, on CPU 1 */
	assert_int_equal(b.ended, 1);
	assert_int_equal(blk_queue_bios_in_flight(fd->q), 1);
	host_cpu = 0;
	a.bio->bi_next = NULL;
	bio_list_add(&fd->bios, a.bio);
	fd->nr_bios++;
	fake_complete_bios(fd); /* a, on CPU 0 */
	assert_int_equal(a.ended, 1);
	assert_int_equal(blk_queue_bios_in_flight(fd->q), 0);
	assert_int_equal(qcounters(fd->q).completions, 2);
	assert_int_equal(qcounters(fd->q).dispatched, 2);
	fake_destroy(fd);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_back_merge),
		T(test_front_merge),
		T(test_no_merge_across_direction_or_gap),
		T(test_no_merge_past_max_sectors),
		T(test_no_merge_past_max_segments),
		T(test_contiguous_bios_share_segments),
		T(test_segment_seam_respects_max_segment_size),
		T(test_request_merge_closes_gap),
		T(test_back_merge_finds_grown_request),
		T(test_nomerges_flag),
		T(test_discard_merges_within_its_limit),
		T(test_unsupported_ops_refused),
		T(test_flush_without_cache_is_free),
		T(test_preflush_and_fua_emulated),
		T(test_fua_error_skips_flush),
		T(test_split_at_max_sectors),
		T(test_split_mid_vec),
		T(test_split_at_max_segments),
		T(test_split_at_max_segment_size),
		T(test_split_keeps_logical_blocks),
		T(test_split_discard),
		T(test_split_on_bypass_path),
		T(test_split_one_vec),
		T(test_bio_list_depth_stays_one),
		T(test_failing_checks_inside_loop),
		T(test_plug_dispatches_burst_in_one_run),
		T(test_plug_flushes_when_full),
		T(test_plug_nested_and_bypass_kick),
		T(test_timeout_calls_handler),
		T(test_timeout_races_completion),
		T(test_spurious_second_completion),
		T(test_merged_failure_retried_bio_by_bio),
		T(test_readonly_disk),
		T(test_out_of_range_and_misaligned),
		T(test_no_disk_and_dead_queue),
		T(test_pool_exhausted_in_completion_context_parks),
		T(test_pool_exhausted_in_process_context_waits),
		T(test_refill_from_end_io),
		T(test_completion_batch_over_queues),
		T(test_path_switch_drains),
		T(test_prep_defer_kill_unprep),
		T(test_lld_busy),
		T(test_ring_full_requeues_and_restarts),
		T(test_counters_in_one_place),
		T(test_add_disk_checks),
		T(test_merged_bios_end_on_their_cpus),
		T(test_plugs_are_per_cpu),
		T(test_bypass_counts_across_cpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
