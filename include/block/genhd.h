/* SPDX-License-Identifier: MIT */
/*
 * struct gendisk: a named disk ("vda", "md0") with a capacity and the queue
 * its I/O goes to. Disks are found by name (get_gendisk), which is how the
 * command line's filename= and md0= reach them.
 */
#ifndef BLOCK_GENHD_H
#define BLOCK_GENHD_H

#include "block/blkdev.h"
#include "kernel/list.h"
#include "kernel/types.h"

#define DISK_NAME_LEN 32

struct gendisk;

struct block_device_operations {
	/*
	 * Add what the driver counts (kicks, irqs) to a counter snapshot, so
	 * blk_print_counters shows the whole path in one place. Optional.
	 */
	void (*get_counters)(struct gendisk *disk, struct blk_counters *c);
	/* Zero those driver counters (blk_reset_counters). Optional. */
	void (*reset_counters)(struct gendisk *disk);
};

struct gendisk {
	char disk_name[DISK_NAME_LEN];
	sector_t capacity; /* 512-byte sectors */
	bool read_only;
	struct request_queue *queue;
	const struct block_device_operations *fops;
	void *private_data;
	struct list_head list;
	bool added;
};

/* A zeroed disk, or NULL without memory. */
struct gendisk *alloc_disk(void);
/*
 * Make it visible by name: needs a name and a queue. -EINVAL without
 * them, -EEXIST when the name is taken.
 */
int add_disk(struct gendisk *disk);
/* Hide it again; I/O already queued still completes. */
void del_disk(struct gendisk *disk);
/* Free it (after del_disk; its queue is the owner's to clean up). */
void put_disk(struct gendisk *disk);

struct gendisk *get_gendisk(const char *name);
/* Calls @fn for each disk in the order they were added. */
void disk_for_each(void (*fn)(struct gendisk *disk, void *data), void *data);

static inline void set_capacity(struct gendisk *disk, sector_t sectors)
{
	disk->capacity = sectors;
}

static inline sector_t get_capacity(const struct gendisk *disk)
{
	return disk->capacity;
}

static inline void set_disk_ro(struct gendisk *disk, bool ro)
{
	disk->read_only = ro;
}

#endif
