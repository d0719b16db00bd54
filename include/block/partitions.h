/* SPDX-License-Identifier: MIT */
/* MBR partitions (block/partitions.c). */
#ifndef BLOCK_PARTITIONS_H
#define BLOCK_PARTITIONS_H

#include "block/genhd.h"

/*
 * Read @disk's first block and add a gendisk "vda1".."vda4" for every valid
 * primary MBR entry. Returns how many; a disk without a table has none.
 * Process context only: it waits for the read.
 */
int blk_scan_partitions(struct gendisk *disk);

#define MBR_ENTRIES 4

/* One usable primary partition of an MBR. */
struct mbr_partition {
	unsigned nr; /* 1..4: its entry, and the digit of its name (vda1) */
	u8 type;
	sector_t start, len; /* 512-byte sectors of the whole disk */
};

/*
 * The MBR in @block, the first logical block (@lbs bytes, 512 at least) of
 * disk @name of @capacity sectors: the usable primary partitions in @out,
 * in entry order; returns how many. A block without the signature, one
 * whose entries have a status other than 0 or 0x80 (not an MBR), or a GPT
 * protective MBR gives none. An entry that starts at block 0, is empty, or
 * lies partly outside the disk, or one that overlaps an earlier usable
 * one, is refused with a warning naming it. Pure: the host tests and the
 * fuzzer call it with any bytes.
 */
int mbr_parse(const char *name, const u8 *block, u32 lbs, sector_t capacity,
	      struct mbr_partition out[MBR_ENTRIES]);
/* The whole disk under a partition, or NULL for any other disk. */
struct gendisk *part_parent(struct gendisk *disk);

#endif
