// SPDX-License-Identifier: MIT
/*
 * Host unit tests for block/md.c: data written through md0 must land on the
 * member sectors the layout says, read back the same, and a bio that spans
 * chunks or members must end once, after all its pieces, with the first
 * error any of them met.
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

static void settle2(struct fake_dev *a, struct fake_dev *b)
{
	int i;

	for (i = 0; i < 100; i++) {
		fake_settle(a);
		fake_settle(b);
		if (!a->nr_inflight && !b->nr_inflight && !a->nr_bios && !b->nr_bios)
			return;
	}
	fail_msg("md I/O did not settle");
}

/* Where md sector @s of a stripe over @n members with @cs-sector chunks lives. */
static void stripe_map(sector_t s, unsigned n, unsigned cs, unsigned *member, sector_t *ms)
{
	sector_t chunk = s / cs;

	*member = (unsigned)(chunk % n);
	*ms = (chunk / n) * cs + s % cs;
}

static void test_stripe_layout_with_data(void **state)
{
	struct fake_dev *a = fake_create("vda", 2000), *b = fake_create("vdb", 3000);
	struct gendisk *members[] = {a->disk, b->disk};
	struct fake_dev *devs[] = {a, b};
	struct gendisk *md;
	u8 *buf = page_buf(16), *rd = page_buf(16);
	struct tio w, r;
	sector_t s;

	assert_int_equal(md_create("md0", MD_STRIPE, 4096, members, 2), 0);
	md = get_gendisk("md0");
	assert_non_null(md);
	/* 2000 sectors rounded down to 8-sector chunks, twice. */
	assert_int_equal(get_capacity(md), 2 * 2000);

	/* 60 KiB from sector 4: starts and ends inside a chunk. */
	pattern_fill(buf, 4, 61440, 5);
	submit_bio(make_bio(&w, md, REQ_OP_WRITE, 4, 61440, buf, 0));
	settle2(a, b);
	assert_int_equal(w.ended, 1);
	assert_int_equal(w.status, 0);
	for (s = 4; s < 4 + 120; s++) {
		unsigned m;
		sector_t ms;

		stripe_map(s, 2, 8, &m, &ms);
		assert_true(pattern_check(devs[m]->data + ms * SECTOR_SIZE, s, SECTOR_SIZE, 5));
	}
	/* Chunk-sized pieces only, and both members took part. */
	assert_true(a->nlog >= 7 && b->nlog >= 7);
	submit_bio(make_bio(&r, md, REQ_OP_READ, 4, 61440, rd, 0));
	settle2(a, b);
	assert_int_equal(r.status, 0);
	assert_true(pattern_check(rd, 4, 61440, 5));
	assert_int_equal(qcounters(md->queue).bios, 2);

	/* The last chunk of the md disk maps to the end of the members' used part. */
	submit_bio(make_bio(&w, md, REQ_OP_WRITE, 3992, 4096, buf, 0));
	settle2(a, b);
	assert_int_equal(w.status, 0);
	assert_int_equal(b->log[b->nlog - 1].sector, 1992);
	submit_bio(make_bio(&w, md, REQ_OP_WRITE, 4000, 4096, buf, 0));
	assert_int_equal(w.status, -EIO);

	assert_int_equal(md_destroy("md0"), 0);
	assert_null(get_gendisk("md0"));
	fake_destroy(b);
	fake_destroy(a);
	free(buf);
	free(rd);
}

static void test_linear_across_members(void **state)
{
	struct fake_dev *a = fake_create("vda", 1000), *b = fake_create("vdb", 2000);
	struct gendisk *members[] = {a->disk, b->disk};
	struct gendisk *md;
	u8 *buf = page_buf(2), *rd = page_buf(2);
	struct tio w, r;

	assert_int_equal(md_create("md0", MD_LINEAR, 0, members, 2), 0);
	md = get_gendisk("md0");
	assert_int_equal(get_capacity(md), 3000);
	pattern_fill(buf, 996, 8192, 2);
	submit_bio(make_bio(&w, md, REQ_OP_WRITE, 996, 8192, buf, 0));
	settle2(a, b);
	assert_int_equal(w.status, 0);
	assert_true(pattern_check(a->data + 996 * SECTOR_SIZE, 996, 4 * SECTOR_SIZE, 2));
	assert_true(pattern_check(b->data, 1000, 12 * SECTOR_SIZE, 2));
	assert_int_equal(a->log[0].sector, 996);
	assert_int_equal(a->log[0].sectors, 4);
	assert_int_equal(b->log[0].sector, 0);
	assert_int_equal(b->log[0].sectors, 12);
	submit_bio(make_bio(&r, md, REQ_OP_READ, 996, 8192, rd, 0));
	settle2(a, b);
	assert_true(pattern_check(rd, 996, 8192, 2));
	assert_int_equal(md_destroy("md0"), 0);
	fake_destroy(b);
	fake_destroy(a);
	free(buf);
	free(rd);
}

static void test_first_error_wins(void **state)
{
	struct fake_dev *a = fake_create("vda", 2000), *b = fake_create("vdb", 2000);
	struct gendisk *members[] = {a->disk, b->disk};
	struct gendisk *md;
	u8 *buf = page_buf(4);
	struct tio w;

	assert_int_equal(md_create("md0", MD_STRIPE, 4096, members, 2), 0);
	md = get_gendisk("md0");
	a->fail_enabled = b->fail_enabled = true;
	a->fail_sector = b->fail_sector = 0;
	a->fail_error = -EIO;
	b->fail_error = -ENOSPC;
	/* Four chunks: two pieces on each member, the first of each fails. */
	submit_bio(make_bio(&w, md, REQ_OP_WRITE, 0, 16384, buf, 0));
	assert_int_equal(a->nr_inflight, 2);
	assert_int_equal(b->nr_inflight, 2);
	fake_complete_all(b); /* vdb's error comes first */
	assert_int_equal(w.ended, 0);
	fake_complete_all(a);
	assert_int_equal(w.ended, 1);
	assert_int_equal(w.status, -ENOSPC);
	assert_int_equal(md_destroy("md0"), 0);
	fake_destroy(b);
	fake_destroy(a);
	free(buf);
}

static void test_flush_fans_out(void **state)
{
	struct fake_dev *a = fake_create("vda", 2000), *b = fake_create("vdb", 2000);
	struct gendisk *members[] = {a->disk, b->disk};
	struct gendisk *md;
	struct tio f;

	blk_queue_write_cache(a->q, true, false);
	blk_queue_write_cache(b->q, true, false);
	assert_int_equal(md_create("md0", MD_LINEAR, 0, members, 2), 0);
	md = get_gendisk("md0");
	submit_bio(make_nodata_bio(&f, md, REQ_OP_FLUSH, 0, 0));
	assert_int_equal(a->nlog, 1);
	assert_int_equal(b->nlog, 1);
	assert_int_equal(a->log[0].op, REQ_OP_FLUSH);
	fake_complete_all(a);
	assert_int_equal(f.ended, 0);
	fake_complete_all(b);
	assert_int_equal(f.ended, 1);
	assert_int_equal(f.status, 0);
	assert_int_equal(md_destroy("md0"), 0);
	fake_destroy(b);
	fake_destroy(a);
}

static void test_stacked_md_and_bypass_members(void **state)
{
	struct fake_dev *a = fake_create("vda", 1024), *b = fake_create("vdb", 1024),
			*c = fake_create("vdc", 2048);
	struct gendisk *m0[] = {a->disk, b->disk};
	struct gendisk *m1[2];
	struct gendisk *md1;
	u8 *buf = page_buf(8), *rd = page_buf(8);
	struct tio w, r;

	fake_enable_bypass(b);
	assert_int_equal(blk_queue_set_path(b->q, BLK_PATH_BIO), 0);
	assert_int_equal(md_create("md0", MD_STRIPE, 8192, m0, 2), 0);
	m1[0] = get_gendisk("md0");
	m1[1] = c->disk;
	assert_int_equal(md_create("md1", MD_STRIPE, 16384, m1, 2), 0);
	md1 = get_gendisk("md1");
	assert_int_equal(get_capacity(md1), 4096);
	pattern_fill(buf, 24, 32768, 8);
	submit_bio(make_bio(&w, md1, REQ_OP_WRITE, 24, 32768, buf, 0));
	fake_settle(a);
	fake_settle(b);
	fake_settle(c);
	assert_int_equal(w.ended, 1);
	assert_int_equal(w.status, 0);
	submit_bio(make_bio(&r, md1, REQ_OP_READ, 24, 32768, rd, 0));
	fake_settle(a);
	fake_settle(b);
	fake_settle(c);
	assert_int_equal(r.status, 0);
	assert_true(pattern_check(rd, 24, 32768, 8));
	assert_true(a->nlog && b->nlog && c->nlog);
	assert_int_equal(md_destroy("md1"), 0);
	assert_int_equal(md_destroy("md0"), 0);
	fake_destroy(c);
	fake_destroy(b);
	fake_destroy(a);
	free(buf);
	free(rd);
}

static void test_create_errors(void **state)
{
	struct fake_dev *a = fake_create("vda", 2000), *b = fake_create("vdb", 4);
	struct gendisk *ab[] = {a->disk, b->disk};
	struct gendisk *aa[] = {a->disk, a->disk};
	struct gendisk *an[] = {a->disk, NULL};
	u8 *buf = page_buf(1);
	struct tio w;

	assert_int_equal(md_create("md0", MD_STRIPE, 3000, ab, 2), -EINVAL);
	assert_int_equal(md_create("md0", MD_STRIPE, 256, ab, 2), -EINVAL);
	assert_int_equal(md_create("md0", MD_STRIPE, 4096, aa, 2), -EINVAL);
	assert_int_equal(md_create("md0", MD_STRIPE, 4096, an, 2), -EINVAL);
	assert_int_equal(md_create("md0", 7, 4096, ab, 2), -EINVAL);
	assert_int_equal(md_create("md0", MD_STRIPE, 4096, ab, 0), -EINVAL);
	/* vdb is smaller than one chunk. */
	assert_int_equal(md_create("md0", MD_STRIPE, 4096, ab, 2), -EINVAL);
	assert_int_equal(md_create("vda", MD_LINEAR, 0, ab, 2), -EEXIST);
	assert_null(get_gendisk("md0"));
	assert_int_equal(md_destroy("vda"), -ENODEV);

	/* A read-only member makes the md disk read-only. */
	set_disk_ro(b->disk, true);
	assert_int_equal(md_create("md0", MD_LINEAR, 0, ab, 2), 0);
	submit_bio(make_bio(&w, get_gendisk("md0"), REQ_OP_WRITE, 0, 4096, buf, 0));
	assert_int_equal(w.status, -EROFS);
	assert_int_equal(md_destroy("md0"), 0);
	fake_destroy(b);
	fake_destroy(a);
	free(buf);
}

#define T(f) cmocka_unit_test_setup_teardown(f, block_test_setup, block_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_stripe_layout_with_data),
		T(test_linear_across_members),
		T(test_first_error_wins),
		T(test_flush_fans_out),
		T(test_stacked_md_and_bypass_members),
		T(test_create_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
