/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the MBR parser (block/partitions.c: mbr_parse).
 *
 * Input: a byte choosing the logical block size (512 << (b % 4)), 4 bytes
 * of capacity in logical blocks, then the first block. What comes out must
 * be usable as is: partitions inside the disk, none empty or at block 0,
 * none overlapping another, each entry at most once, in entry order.
 */
#include <string.h>

#include "block/partitions.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 block[4096];
	struct mbr_partition out[MBR_ENTRIES];
	u32 lbs, blocks = 0;
	sector_t capacity;
	int n;

	if (size < 5)
		return 0;
	host_printk_quiet = true;
	host_log_len = 0;
	lbs = 512u << (data[0] % 4);
	memcpy(&blocks, data + 1, 4);
	capacity = (sector_t)blocks * (lbs >> SECTOR_SHIFT);
	memset(block, 0, sizeof(block));
	memcpy(block, data + 5, size - 5 < lbs ? size - 5 : lbs);
	n = mbr_parse("vda", block, lbs, capacity, out);
	CHECK(n >= 0 && n <= MBR_ENTRIES);
	for (int i = 0; i < n; i++) {
		CHECK(out[i].nr >= 1 && out[i].nr <= MBR_ENTRIES);
		CHECK(i == 0 || out[i].nr > out[i - 1].nr);
		CHECK(out[i].start > 0 && out[i].len > 0);
		CHECK(out[i].start % (lbs >> SECTOR_SHIFT) == 0);
		CHECK(out[i].start < capacity && out[i].len <= capacity - out[i].start);
		for (int k = 0; k < i; k++)
			CHECK(out[i].start >= out[k].start + out[k].len ||
			      out[k].start >= out[i].start + out[i].len);
	}
	return 0;
}
