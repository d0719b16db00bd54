// SPDX-License-Identifier: MIT
/*
 * Disks by name, and the one place their counters are read out.
 */
#include "block/genhd.h"
#include "block/blkdev.h"
#include "kernel/string.h"

static LIST_HEAD(disks);

struct gendisk *alloc_disk(void)
{
	struct gendisk *disk = kzalloc(sizeof(*disk));

	if (disk)
		INIT_LIST_HEAD(&disk->list);
	return disk;
}

int add_disk(struct gendisk *disk)
{
	if (!disk->disk_name[0] || !disk->queue) {
		pr_err("blk: add_disk needs a name and a queue");
		return -EINVAL;
	}
	if (strnlen(disk->disk_name, DISK_NAME_LEN) == DISK_NAME_LEN) {
		pr_err("blk: disk name is not terminated within %u bytes", DISK_NAME_LEN);
		return -EINVAL;
	}
	if (get_gendisk(disk->disk_name)) {
		pr_err("blk: a disk named %s exists already", disk->disk_name);
		return -EEXIST;
	}
	disk->queue->disk = disk;
	list_add_tail(&disk->list, &disks);
	disk->added = true;
	return 0;
}

void del_disk(struct gendisk *disk)
{
	if (!disk->added)
		return;
	list_del_init(&disk->list);
	disk->added = false;
}

void put_disk(struct gendisk *disk)
{
	if (!disk)
		return;
	del_disk(disk);
	if (disk->queue && disk->queue->disk == disk)
		disk->queue->disk = NULL;
	kfree(disk);
}

struct gendisk *get_gendisk(const char *name)
{
	struct gendisk *disk;

	list_for_each_entry(disk, &disks, list)
		if (!strcmp(disk->disk_name, name))
			return disk;
	return NULL;
}

void disk_for_each(void (*fn)(struct gendisk *disk, void *data), void *data)
{
	struct gendisk *disk, *n;

	list_for_each_entry_safe(disk, n, &disks, list)
		fn(disk, data);
}

void blk_get_counters(struct gendisk *disk, struct blk_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (disk->queue)
		blk_queue_get_counters(disk->queue, out);
	if (disk->fops && disk->fops->get_counters)
		disk->fops->get_counters(disk, out);
}

void blk_reset_counters(struct gendisk *disk)
{
	if (disk->queue)
		memset(disk->queue->counters, 0, sizeof(disk->queue->counters));
	if (disk->fops && disk->fops->reset_counters)
		disk->fops->reset_counters(disk);
}

void blk_print_counters(struct gendisk *disk)
{
	struct blk_counters c;

	blk_get_counters(disk, &c);
	printk("%s: bios %llu dispatched %llu merges back %llu front %llu rq %llu "
	       "splits %llu completions %llu errors %llu timeouts %llu requeues %llu "
	       "retries %llu kicks %llu irqs %llu\n",
	       disk->disk_name, (unsigned long long)c.bios, (unsigned long long)c.dispatched,
	       (unsigned long long)c.back_merges, (unsigned long long)c.front_merges,
	       (unsigned long long)c.rq_merges, (unsigned long long)c.splits,
	       (unsigned long long)c.completions, (unsigned long long)c.errors,
	       (unsigned long long)c.timeouts, (unsigned long long)c.requeues,
	       (unsigned long long)c.retries, (unsigned long long)c.kicks,
	       (unsigned long long)c.irqs);
}
