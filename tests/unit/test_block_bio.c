// SPDX-License-Identifier: MIT
/*
 * Host unit tests for struct bio (block/bio.c): the reserve that keeps the
 * I/O path allocating when kmalloc fails, bio_add_page's limits, split
 * views through the iterator, and chained completion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "block/blk.h"
#include "tests/unit/host_platform.h"
#include "tests/unit/test_block_fake.h"

/* Take every bio of this CPU's cache (kmalloc untouched), or give them back. */
static struct bio *cache_held[BIO_CACHE_NR];

static void hold_cache(void)
{
	long before = host_live_allocs;

	for (unsigned i = 0; i < BIO_CACHE_NR; i++) {
		cache_held[i] = bio_alloc(1);
		assert_non_null(cache_held[i]);
		assert_true(bio_flagged(cache_held[i], BIO_CACHED));
	}
	assert_int_equal(host_live_allocs, before);
}

static void release_cache(void)
{
	for (unsigned i = 0; i < BIO_CACHE_NR; i++)
		bio_put(cache_held[i]);
}

static void test_alloc_and_put(void **state)
{
	long before = host_live_allocs;
	struct bio *bio = bio_alloc(BIO_CACHE_VECS + 1);

	assert_non_null(bio);
	assert_false(bio_flagged(bio, BIO_CACHED));
	assert_int_equal(bio->bi_max_vecs, BIO_CACHE_VECS + 1);
	assert_int_equal(bio->bi_vcnt, 0);
	assert_int_equal(host_live_allocs, before + 1);
	bio_get(bio);
	bio_put(bio);
	assert_int_equal(host_live_allocs, before + 1);
	bio_put(bio);
	assert_int_equal(host_live_allocs, before);
	assert_null(bio_alloc(BIO_MAX_VECS + 1));
	bio = bio_alloc(0);
	assert_non_null(bio);
	bio_put(bio);
}

/*
 * Small bios come from the CPU's cache, not from kmalloc: each one taken
 * and put back leaves the allocation count alone, comes back cleared with
 * the cache's vector count, and only an empty cache sends bio_alloc to
 * kmalloc. bio_pool_exit refuses while a cached bio is out.
 */
static void test_cache(void **state)
{
	long before = host_live_allocs;
	u8 *buf = page_buf(1);
	struct bio *bio = bio_alloc(1), *extra;

	assert_non_null(bio);
	assert_true(bio_flagged(bio, BIO_CACHED));
	assert_int_equal(bio->bi_max_vecs, BIO_CACHE_VECS);
	assert_int_equal(host_live_allocs, before);
	assert_int_equal(bio_add_page(bio, buf, 4096, 0), 4096);
	bio->bi_status = -EIO;
	bio_put(bio);
	assert_int_equal(host_live_allocs, before);

	/* The same bio again (last in, first out), cleared. */
	assert_ptr_equal(bio_alloc(BIO_CACHE_VECS), bio);
	assert_int_equal(bio->bi_size, 0);
	assert_int_equal(bio->bi_vcnt, 0);
	assert_int_equal(bio->bi_status, 0);
	assert_int_equal(bio->bi_cnt, 1);
	assert_true(bio_flagged(bio, BIO_CACHED));
	bio_put(bio);

	/* The whole cache out: the next small bio is a kmalloc'd one. */
	hold_cache();
	extra = bio_alloc(1);
	assert_non_null(extra);
	assert_false(bio_flagged(extra, BIO_CACHED));
	assert_int_equal(host_live_allocs, before + 1);
	assert_int_equal(bio_pool_exit(), -EBUSY);
	release_cache();
	bio_put(extra);
	assert_int_equal(host_live_allocs, before);
	free(buf);
}

static void test_reserve_when_kmalloc_fails(void **state)
{
	struct bio *held[BIO_RESERVE_NR];
	unsigned i;

	assert_int_equal(bio_reserve_available(), BIO_RESERVE_NR);
	hold_cache();
	host_kmalloc_fail = true;
	for (i = 0; i < BIO_RESERVE_NR; i++) {
		held[i] = bio_alloc(BIO_MAX_VECS);
		assert_non_null(held[i]);
		assert_true(bio_flagged(held[i], BIO_RESERVED));
		assert_int_equal(held[i]->bi_max_vecs, BIO_MAX_VECS);
	}
	assert_int_equal(bio_reserve_available(), 0);
	/* Completion context cannot wait for one to come back: NULL. */
	blk_atomic_enter();
	assert_null(bio_alloc(1));
	blk_atomic_exit();
	assert_non_null(strstr(host_log, "out of memory and reserve"));
	host_kmalloc_fail = false;
	for (i = 0; i < BIO_RESERVE_NR; i++)
		bio_put(held[i]);
	assert_int_equal(bio_reserve_available(), BIO_RESERVE_NR);
	/* Back to kmalloc as soon as it works again. */
	held[0] = bio_alloc(1);
	assert_false(bio_flagged(held[0], BIO_RESERVED));
	bio_put(held[0]);
	release_cache();
}

static void test_reserve_serves_io(void **state)
{
	struct fake_dev *fd = fake_create("vda", 4096);
	u8 *buf = page_buf(4);
	struct tio t;

	/* Splits need bios too; with kmalloc failing the reserve provides them. */
	blk_queue_max_hw_sectors(fd->q, 8);
	make_bio(&t, NULL, REQ_OP_WRITE, 0, 16384, buf, 0);
	t.bio->bi_disk = fd->disk;
	hold_cache();
	host_kmalloc_fail = true;
	submit_bio(t.bio);
	host_kmalloc_fail = false;
	fake_settle(fd);
	release_cache();
	assert_int_equal(t.ended, 1);
	assert_int_equal(t.status, 0);
	assert_int_equal(fd->nlog, 4);
	assert_int_equal(bio_reserve_available(), BIO_RESERVE_NR);
	fake_destroy(fd);
	free(buf);
}

static int merge_limit;

static int test_merge_bvec(struct request_queue *q, const struct bio *bio, const struct bio_vec *bv)
{
	/* Like a RAID 0 chunk: the bio must not cross a 16 KiB boundary. */
	u64 start = bio->bi_sector * SECTOR_SIZE;
	u64 end = (start / 16384 + 1) * 16384;
	u64 room = end - start - bio->bi_size;

	merge_limit++;
	return (int)MIN(room, (u64)bv->bv_len);
}

static void test_add_page_limits(void **state)
{
	struct fake_dev *fd = fake_create("vda", 4096);
	u8 *buf = page_buf(16);
	struct bio *bio = bio_alloc(8);
	int i;

	/* Page rules apply with or without a disk. */
	assert_int_equal(bio_add_page(bio, buf + 512, 512, 0), 0);
	assert_int_equal(bio_add_page(bio, buf, 4096, 512), 0);
	assert_int_equal(bio_add_page(bio, buf, 0, 0), 0);
	assert_int_equal(bio_add_page(bio, buf, 512, 3584), 512);
	bio_put(bio);

	/* max_sectors */
	blk_queue_max_hw_sectors(fd->q, 16);
	bio = bio_alloc(8);
	bio->bi_disk = fd->disk;
	assert_int_equal(bio_add_page(bio, buf, 4096, 0), 4096);
	assert_int_equal(bio_add_page(bio, buf + 4096, 4096, 0), 4096);
	assert_int_equal(bio_add_page(bio, buf + 8192, 512, 0), 0);
	bio_put(bio);

	/* max_segments: scattered pages count, contiguous ones do not. */
	blk_queue_max_hw_sectors(fd->q, 1024);
	blk_queue_max_segments(fd->q, 2);
	bio = bio_alloc(8);
	bio->bi_disk = fd->disk;
	assert_int_equal(bio_add_page(bio, buf, 4096, 0), 4096);
	assert_int_equal(bio_add_page(bio, buf + 4096, 4096, 0), 4096);
	assert_int_equal(bio_add_page(bio, buf + 3 * 4096, 4096, 0), 4096);
	assert_int_equal(bio_add_page(bio, buf + 5 * 4096, 4096, 0), 0);
	assert_int_equal(bio_add_page(bio, buf + 4 * 4096, 4096, 0), 4096);
	assert_int_equal(bio->bi_phys_segments, 2);
	bio_put(bio);

	/* A full vector: the size asked for, or a cached bio's. */
	bio = bio_alloc(BIO_CACHE_VECS + 1);
	bio->bi_disk = fd->disk;
	for (i = 0; i < BIO_CACHE_VECS + 1; i++)
		assert_int_equal(bio_add_page(bio, buf + 4096 * i, 4096, 0), 4096);
	assert_int_equal(bio_add_page(bio, buf + 4096 * i, 4096, 0), 0);
	bio_put(bio);
	bio = bio_alloc(2);
	bio->bi_disk = fd->disk;
	for (i = 0; i < BIO_CACHE_VECS; i++)
		assert_int_equal(bio_add_page(bio, buf + 4096 * i, 4096, 0), 4096);
	assert_int_equal(bio_add_page(bio, buf + 4096 * i, 4096, 0), 0);
	bio_put(bio);

	/* The queue's merge_bvec_fn has the last word. */
	blk_queue_max_segments(fd->q, 128);
	blk_queue_merge_bvec(fd->q, test_merge_bvec);
	bio = bio_alloc(8);
	bio->bi_disk = fd->disk;
	bio->bi_sector = 24;
	assert_int_equal(bio_add_page(bio, buf, 4096, 0), 4096);
	assert_int_equal(bio_add_page(bio, buf + 4096, 4096, 0), 0);
	assert_true(merge_limit >= 2);
	bio_put(bio);
	fake_destroy(fd);
	free(buf);
}

/*
 * bio_add_page keeps the segment layout as it goes, an empty bio's without
 * a walk (whatever an earlier life left in its fields): what it builds is
 * what blk_recount_segments counts, for a first vector, a contiguous one
 * and a scattered one.
 */
static void test_add_page_layout(void **state)
{
	struct fake_dev *fd = fake_create("vda", 4096), *other = fake_create("vdb", 4096);
	u8 *buf = page_buf(3);
	struct bio *bio = bio_alloc(4);
	struct bio ref;

	bio->bi_disk = fd->disk;
	bio->bi_seg_q = other->q;
	bio->bi_phys_segments = 7;
	bio->bi_seg_back_size = 99;
	bio->bi_phys_end = 12345;
	assert_int_equal(bio_add_page(bio, buf, 1024, 512), 1024);
	assert_ptr_equal(bio->bi_seg_q, fd->q);
	assert_int_equal(bio->bi_phys_segments, 1);
	assert_int_equal(bio->bi_seg_front_size, 1024);
	assert_int_equal(bio->bi_seg_back_size, 1024);
	assert_int_equal(bio->bi_phys_start, virt_to_phys(buf) + 512);
	assert_int_equal(bio->bi_phys_end, virt_to_phys(buf) + 1536);
	assert_int_equal(bio_add_page(bio, buf, 2560, 1536), 2560);
	assert_int_equal(bio_add_page(bio, buf + 2 * 4096, 4096, 0), 4096);
	assert_int_equal(bio->bi_phys_segments, 2);
	assert_int_equal(bio->bi_seg_front_size, 3584);
	assert_int_equal(bio->bi_seg_back_size, 4096);

	ref = *bio;
	ref.bi_seg_q = NULL;
	blk_recount_segments(fd->q, &ref);
	assert_int_equal(ref.bi_phys_segments, bio->bi_phys_segments);
	assert_int_equal(ref.bi_seg_front_size, bio->bi_seg_front_size);
	assert_int_equal(ref.bi_seg_back_size, bio->bi_seg_back_size);
	assert_int_equal(ref.bi_phys_start, bio->bi_phys_start);
	assert_int_equal(ref.bi_phys_end, bio->bi_phys_end);
	bio_put(bio);
	fake_destroy(other);
	fake_destroy(fd);
	free(buf);
}

struct seg {
	u8 *p;
	u32 len;
};

static int collect(struct bio *bio, struct seg *out)
{
	struct bvec_iter iter;
	struct bio_vec bv;
	int n = 0;

	bio_for_each_segment(bv, bio, iter) {
		out[n].p = (u8 *)bv.bv_page + bv.bv_offset;
		out[n].len = bv.bv_len;
		n++;
	}
	return n;
}

static void test_split_views(void **state)
{
	u8 *buf = page_buf(3);
	struct bio *bio = bio_alloc(3), *split, *split2;
	struct seg s[8];

	bio->bi_sector = 100;
	bio_set_op(bio, REQ_OP_WRITE, REQ_SYNC);
	bio_add_page(bio, buf, 1536, 0);
	bio_add_page(bio, buf + 4096, 2560, 512);
	bio_add_page(bio, buf + 8192, 4096, 0);
	assert_int_equal(bio_sectors(bio), 16);

	/* Cut in the middle of the second vec. */
	split = bio_split(bio, 5);
	assert_non_null(split);
	assert_int_equal(split->bi_sector, 100);
	assert_int_equal(bio_sectors(split), 5);
	assert_int_equal(split->bi_rw, bio->bi_rw);
	assert_int_equal(collect(split, s), 2);
	assert_ptr_equal(s[0].p, buf);
	assert_int_equal(s[0].len, 1536);
	assert_ptr_equal(s[1].p, buf + 4096 + 512);
	assert_int_equal(s[1].len, 1024);

	assert_int_equal(bio->bi_sector, 105);
	assert_int_equal(bio_sectors(bio), 11);
	assert_int_equal(collect(bio, s), 2);
	assert_ptr_equal(s[0].p, buf + 4096 + 512 + 1024);
	assert_int_equal(s[0].len, 1536);
	assert_ptr_equal(s[1].p, buf + 8192);
	assert_int_equal(s[1].len, 4096);

	/* A split of a split, inside one vec. */
	split2 = bio_split(bio, 1);
	assert_int_equal(collect(split2, s), 1);
	assert_ptr_equal(s[0].p, buf + 4096 + 512 + 1024);
	assert_int_equal(s[0].len, 512);
	assert_int_equal(collect(bio, s), 2);
	assert_int_equal(s[0].len, 1024);

	/* A clone cannot grow: its vector is not its own. */
	assert_int_equal(bio_add_page(split, buf, 512, 0), 0);
	bio_put(split2);
	bio_put(split);
	bio_put(bio);
	free(buf);
}

static void test_chain_first_error(void **state)
{
	struct tio t;
	struct bio *parent = make_nodata_bio(&t, NULL, REQ_OP_FLUSH, 0, 0);
	struct bio *c[3];
	int i;

	for (i = 0; i < 3; i++) {
		c[i] = bio_alloc(0);
		bio_chain(c[i], parent);
	}
	c[1]->bi_status = -ENOSPC;
	bio_endio(c[1]);
	c[0]->bi_status = -EIO;
	bio_endio(c[0]);
	bio_endio(parent); /* its own part */
	assert_int_equal(t.ended, 0);
	bio_endio(c[2]);
	assert_int_equal(t.ended, 1);
	assert_int_equal(t.status, -ENOSPC);
}

static void test_chain_parent_last(void **state)
{
	struct tio t;
	struct bio *parent = make_nodata_bio(&t, NULL, REQ_OP_FLUSH, 0, 0);
	struct bio *child = bio_alloc(0);

	bio_chain(child, parent);
	bio_endio(child);
	assert_int_equal(t.ended, 0);
	bio_endio(parent);
	assert_int_equal(t.ended, 1);
	assert_int_equal(t.status, 0);
}

static void test_bio_list(void **state)
{
	struct bio_list bl;
	struct bio *a = bio_alloc(0), *b = bio_alloc(0);

	bio_list_init(&bl);
	assert_true(bio_list_empty(&bl));
	assert_null(bio_list_pop(&bl));
	bio_list_add(&bl, a);
	bio_list_add(&bl, b);
	assert_false(bio_list_empty(&bl));
	assert_ptr_equal(bio_list_pop(&bl), a);
	assert_null(a->bi_next);
	assert_ptr_equal(bio_list_pop(&bl), b);
	assert_true(bio_list_empty(&bl));
	bio_put(a);
	bio_put(b);
}

static void test_reset_for_reuse(void **state)
{
	u8 *buf = page_buf(1);
	struct bio *bio = bio_alloc(2);

	bio_add_page(bio, buf, 4096, 0);
	bio->bi_status = -EIO;
	bio->bi_sector = 9;
	bio_reset(bio);
	assert_int_equal(bio->bi_size, 0);
	assert_int_equal(bio->bi_vcnt, 0);
	assert_int_equal(bio->bi_status, 0);
	/* A cached bio: the cache's vector count, and it stays one. */
	assert_int_equal(bio->bi_max_vecs, BIO_CACHE_VECS);
	assert_true(bio_flagged(bio, BIO_CACHED));
	assert_int_equal(bio_add_page(bio, buf, 4096, 0), 4096);
	bio_put(bio);
	free(buf);
}

#define T(f) cmocka_unit_test_setup_teardown(f, block_test_setup, block_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_alloc_and_put),
		T(test_cache),
		T(test_reserve_when_kmalloc_fails),
		T(test_reserve_serves_io),
		T(test_add_page_limits),
		T(test_add_page_layout),
		T(test_split_views),
		T(test_chain_first_error),
		T(test_chain_parent_last),
		T(test_bio_list),
		T(test_reset_for_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
