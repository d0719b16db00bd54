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
/* The whole disk under a partition, or NULL for any other disk. */
struct gendisk *part_parent(struct gendisk *disk);

#endif
