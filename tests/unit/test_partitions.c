/* SPDX-License-Identifier: MIT */
/*
 * The MBR parser (mbr_parse in block/partitions.c): a disk's first block is
 * disk content, as untrusted as anything a device says. Each case builds a
 * table and checks which partitions come out, and what the log says about
 * the ones that do not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "block/partitions.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"

static u8 block[4096];
static struct mbr_partition out[MBR_ENTRIES];

static int setup(void **state)
{
	host_platform_reset();
	host_printk_quiet = true;
	memset(block, 0, sizeof(block));
	memset(out, 0xa5, sizeof(out));
	block[510] = 0x55;
	block[511] = 0xaa;
	return 0;
}

static void entry(unsigned i, u8 status, u8 type, u32 lba, u32 count)
{
	u8 *e = block + 446 + 16 * i;

	e[0] = status;
	e[4] = type;
	memcpy(e + 8, &lba, 4);
	memcpy(e + 12, &count, 4);
}

#define assert_logged(s)                                                                           \
	do {                                                                                       \
		if (!strstr(host_log, s))                                                          \
			fail_msg("expected \"%s\" in the log:\n%s", s, host_log);                  \
	} while (0)

static void test_no_signature(void **state)
{
	entry(0, 0, 0x83, 2048, 1000);
	block[511] = 0;
	assert_int_equal(mbr_parse("vda", block, 512, 1 << 20, out), 0);
}

static void test_two_partitions(void **state)
{
	entry(0, 0x80, 0x83, 2048, 8192);
	entry(2, 0, 0x0c, 10240, 4096);
	assert_int_equal(mbr_parse("vda", block, 512, 16384, out), 2);
	assert_int_equal(out[0].nr, 1);
	assert_int_equal(out[0].type, 0x83);
	assert_int_equal(out[0].start, 2048);
	assert_int_equal(out[0].len, 8192);
	assert_int_equal(out[1].nr, 3);
	assert_int_equal(out[1].start, 10240);
	assert_int_equal(out[1].len, 4096);
	assert_int_equal(host_log_len, 0);
}

/* MBR addresses count logical blocks: 4 KiB blocks are 8 sectors each. */
static void test_4k_blocks(void **state)
{
	entry(0, 0, 0x83, 256, 1024);
	assert_int_equal(mbr_parse("vda", block, 4096, 16384, out), 1);
	assert_int_equal(out[0].start, 2048);
	assert_int_equal(out[0].len, 8192);
	/* One block past the end. */
	entry(0, 0, 0x83, 256, 1793);
	assert_int_equal(mbr_parse("vda", block, 4096, 16384, out), 0);
	assert_logged("vda: partition 1 (block 256, 1793 blocks) lies outside the disk");
}

/*
 * A status byte other than 0 or 0x80 says the block is no MBR at all: no
 * partitions, not even those whose entries came first (they used to be
 * added before the bad entry was seen).
 */
static void test_bad_status_after_good_entry(void **state)
{
	entry(0, 0, 0x83, 2048, 1000);
	entry(1, 0x12, 0x83, 4096, 1000);
	assert_int_equal(mbr_parse("vda", block, 512, 1 << 20, out), 0);
	assert_logged("vda: partition entry 2 has status 0x12; not an MBR");
}

static void test_gpt_after_good_entry(void **state)
{
	entry(0, 0, 0x83, 2048, 1000);
	entry(3, 0, 0xee, 1, 0xffffffff);
	assert_int_equal(mbr_parse("vda", block, 512, 1 << 20, out), 0);
	assert_logged("vda: a GPT disk");
}

static void test_refused_entries(void **state)
{
	entry(0, 0, 0x83, 0, 100);		   /* starts at the MBR itself */
	entry(1, 0, 0x83, 100, 0);		   /* empty */
	entry(2, 0, 0x83, 0xffffffff, 0xffffffff); /* far beyond the disk */
	entry(3, 0, 0x83, 1000, 24);
	assert_int_equal(mbr_parse("vda", block, 512, 1024, out), 1);
	assert_int_equal(out[0].nr, 4);
	assert_logged("vda: partition 1 (block 0, 100 blocks) lies outside the disk");
	assert_logged("vda: partition 2 (block 100, 0 blocks)");
	assert_logged("vda: partition 3 (block 4294967295, 4294967295 blocks)");
}

static void test_overlap(void **state)
{
	entry(0, 0, 0x83, 100, 100);
	entry(1, 0, 0x83, 150, 100); /* overlaps 1 */
	entry(2, 0, 0x83, 200, 100); /* touches 1's end: fine, and 2 was refused */
	assert_int_equal(mbr_parse("vda", block, 512, 1024, out), 2);
	assert_int_equal(out[0].nr, 1);
	assert_int_equal(out[1].nr, 3);
	assert_logged("vda: partition 2 overlaps partition 1; ignored");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_no_signature, setup),
		cmocka_unit_test_setup(test_two_partitions, setup),
		cmocka_unit_test_setup(test_4k_blocks, setup),
		cmocka_unit_test_setup(test_bad_status_after_good_entry, setup),
		cmocka_unit_test_setup(test_gpt_after_good_entry, setup),
		cmocka_unit_test_setup(test_refused_entries, setup),
		cmocka_unit_test_setup(test_overlap, setup),
	};
	return cmocka_run_group_tests_name("test_partitions", tests, NULL, NULL);
}
