/* SPDX-License-Identifier: MIT */
/*
 * MBR partitions: vda1..vda4 from the four primary entries of a disk's
 * first block. Each partition is a gendisk of its own whose make_request_fn
 * moves a bio by the partition's start and hands it to the whole disk
 * through generic_make_request (Linux 3.x made the same remap inside
 * generic_make_request, in blk_partition_remap). The table is disk content,
 * as untrusted as anything a device says: every entry is checked against
 * the disk and against the others before it is used.
 */
#include "block/bio.h"
#include "block/blkdev.h"
#include "block/genhd.h"
#include "block/partitions.h"
#include "kernel/platform.h"
#include "kernel/string.h"

/* The classic MBR layout (sector 0). */
#define MBR_TABLE_OFF 446
#define MBR_ENTRY_SIZE 16
#define MBR_SIGNATURE_OFF 510
#define MBR_SIGNATURE 0xaa55
#define MBR_ENTRY_STATUS 0
#define MBR_ENTRY_TYPE 4
#define MBR_ENTRY_LBA 8
#define MBR_ENTRY_COUNT 12
#define MBR_TYPE_EMPTY 0x00
#define MBR_TYPE_GPT_PROTECTIVE 0xee

struct partition {
	struct gendisk *parent;
	sector_t start; /* 512-byte sectors on the parent */
};

static void part_make_request(struct request_queue *q, struct bio *bio)
{
	struct partition *p = q->queuedata;

	bio->bi_sector += p->start;
	bio->bi_disk = p->parent;
	generic_make_request(bio);
}

/* A job on vda1 caused what happened on vda: report the parent's work. */
static void part_get_counters(struct gendisk *disk, struct blk_counters *c)
{
	struct partition *p = disk->queue->queuedata;
	struct blk_counters m;

	blk_get_counters(p->parent, &m);
	c->back_merges += m.back_merges;
	c->front_merges += m.front_merges;
	c->kicks += m.kicks;
	c->irqs += m.irqs;
}

static const struct block_device_operations part_fops = {
	.get_counters = part_get_counters,
};

struct gendisk *part_parent(struct gendisk *disk)
{
	if (!disk->queue || disk->queue->make_request_fn != part_make_request)
		return NULL;
	return ((struct partition *)disk->queue->queuedata)->parent;
}

static void read_done(struct bio *bio)
{
	int *result = bio->bi_private;

	*result = bio->bi_status ? bio->bi_status : 1;
}

/* Read the disk's first logical block into @buf (one page). */
static int read_first_block(struct gendisk *disk, void *buf, u32 lbs)
{
	struct bio *bio = bio_alloc(1);
	int result = 0;

	if (!bio)
		return -ENOMEM;
	bio->bi_disk = disk;
	bio->bi_sector = 0;
	bio->bi_rw = REQ_OP_READ;
	bio->bi_end_io = read_done;
	bio->bi_private = &result;
	if (bio_add_page(bio, buf, lbs, 0) != (int)lbs) {
		bio_put(bio);
		return -EINVAL;
	}
	submit_bio(bio);
	/* One read per disk at boot: spun for, as a halted vCPU wakes slowly under TCG. */
	spin_until(result != 0);
	bio_put(bio);
	return result < 0 ? result : 0;
}

static int add_partition(struct gendisk *disk, unsigned nr, sector_t start, sector_t len)
{
	struct request_queue *q = blk_alloc_queue();
	struct gendisk *part = alloc_disk();
	struct partition *p = kzalloc(sizeof(*p));
	int err = -ENOMEM;

	if (!q || !part || !p)
		goto fail;
	p->parent = disk;
	p->start = start;
	blk_queue_make_request(q, part_make_request);
	blk_set_stacking_limits(&q->limits);
	blk_queue_logical_block_size(q, disk->queue->limits.logical_block_size);
	blk_queue_physical_block_size(q, disk->queue->limits.physical_block_size);
	blk_queue_max_discard_sectors(q, disk->queue->limits.max_discard_sectors);
	blk_queue_max_write_zeroes_sectors(q, disk->queue->limits.max_write_zeroes_sectors);
	/* Flushes pass through to the whole disk, which decides what they cost. */
	blk_queue_write_cache(q, true, true);
	q->queuedata = p;
	ksnprintf(part->disk_name, sizeof(part->disk_name), "%s%u", disk->disk_name, nr);
	part->queue = q;
	part->fops = &part_fops;
	part->read_only = disk->read_only;
	set_capacity(part, len);
	err = add_disk(part);
	if (!err)
		return 0;
fail:
	kfree(part);
	kfree(p);
	if (q)
		blk_cleanup_queue(q);
	return err;
}

int mbr_parse(const char *name, const u8 *block, u32 lbs, sector_t capacity,
	      struct mbr_partition out[MBR_ENTRIES])
{
	u64 per_block = lbs >> SECTOR_SHIFT;
	unsigned found = 0;
	u16 sig;

	memcpy(&sig, block + MBR_SIGNATURE_OFF, sizeof(sig));
	if (sig != MBR_SIGNATURE)
		return 0; /* no table: a whole-disk device, the common case here */
	/*
	 * The whole table is looked at before anything is used: a block that
	 * is not an MBR after all, or a GPT disk, gives no partitions, not the
	 * ones that came before the entry that gave it away.
	 */
	for (unsigned i = 0; i < MBR_ENTRIES; i++) {
		const u8 *e = block + MBR_TABLE_OFF + i * MBR_ENTRY_SIZE;

		if (e[MBR_ENTRY_STATUS] != 0 && e[MBR_ENTRY_STATUS] != 0x80) {
			pr_warn("%s: partition entry %u has status %#x; not an MBR, ignored", name,
				i + 1, e[MBR_ENTRY_STATUS]);
			return 0;
		}
		if (e[MBR_ENTRY_TYPE] == MBR_TYPE_GPT_PROTECTIVE) {
			pr_warn("%s: a GPT disk; GPT partitions are not supported", name);
			return 0;
		}
	}
	for (unsigned i = 0; i < MBR_ENTRIES; i++) {
		const u8 *e = block + MBR_TABLE_OFF + i * MBR_ENTRY_SIZE;
		struct mbr_partition *p = &out[found];
		u32 lba, count;
		bool overlaps = false;

		if (e[MBR_ENTRY_TYPE] == MBR_TYPE_EMPTY)
			continue;
		memcpy(&lba, e + MBR_ENTRY_LBA, sizeof(lba));
		memcpy(&count, e + MBR_ENTRY_COUNT, sizeof(count));
		/* MBR addresses are in logical blocks. */
		p->nr = i + 1;
		p->type = e[MBR_ENTRY_TYPE];
		p->start = (sector_t)lba * per_block;
		p->len = (sector_t)count * per_block;
		if (!lba || !count || p->start >= capacity || p->len > capacity - p->start) {
			pr_warn("%s: partition %u (block %u, %u blocks) lies outside the disk "
				"(%lu sectors); ignored",
				name, i + 1, lba, count, capacity);
			continue;
		}
		for (unsigned k = 0; k < found && !overlaps; k++) {
			if (p->start < out[k].start + out[k].len &&
			    out[k].start < p->start + p->len) {
				pr_warn("%s: partition %u overlaps partition %u; ignored", name,
					i + 1, out[k].nr);
				overlaps = true;
			}
		}
		if (!overlaps)
			found++;
	}
	return (int)found;
}

int blk_scan_partitions(struct gendisk *disk)
{
	u32 lbs = disk->queue->limits.logical_block_size;
	sector_t capacity = get_capacity(disk);
	struct mbr_partition part[MBR_ENTRIES];
	int n, err, added = 0;
	u8 *buf;

	if (lbs > PAGE_SIZE || capacity < (lbs >> SECTOR_SHIFT))
		return 0;
	buf = dma_alloc(PAGE_SIZE, PAGE_SIZE, NULL);
	if (!buf)
		return -ENOMEM;
	err = read_first_block(disk, buf, lbs);
	if (err) {
		pr_warn("%s: cannot read the partition table (error %d)", disk->disk_name, err);
		dma_free(buf, PAGE_SIZE);
		return 0;
	}
	n = mbr_parse(disk->disk_name, buf, lbs, capacity, part);
	dma_free(buf, PAGE_SIZE);
	for (int i = 0; i < n; i++) {
		err = add_partition(disk, part[i].nr, part[i].start, part[i].len);
		if (err) {
			pr_err("%s%u: cannot add the partition (error %d)", disk->disk_name,
			       part[i].nr, err);
			continue;
		}
		printk("%s%u: partition type %#x, start sector %lu, %lu sectors\n", disk->disk_name,
		       part[i].nr, part[i].type, part[i].start, part[i].len);
		added++;
	}
	return added;
}
