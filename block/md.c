// SPDX-License-Identifier: MIT
/*
 * md: striped (RAID 0) and linear disks over other disks.
 *
 * The bio is never copied: pieces are splits that share its vector, and the
 * last piece is the bio itself, remapped in place, as Linux's raid0 does.
 * Every piece goes to generic_make_request, so a member that is itself an
 * md disk (or a partition, or anything else that remaps) just adds more
 * turns of the submitter's bio_list loop, never more stack.
 */
#include "block/md.h"
#include "block/bio.h"
#include "block/blkdev.h"
#include "block/genhd.h"
#include "kernel/string.h"

struct md_dev {
	struct gendisk *disk;
	int level;
	unsigned n;
	u32 chunk_shift; /* stripe: log2 of the chunk in sectors */
	struct gendisk *members[MD_MAX_MEMBERS];
	sector_t start[MD_MAX_MEMBERS + 1]; /* linear: where each member begins */
};

static unsigned ilog2_u32(u32 v)
{
	unsigned r = 0;

	while (v >>= 1)
		r++;
	return r;
}

/* Point @bio at the member holding its first sector; returns the sectors
 * left before the next chunk or member boundary. */
static u32 md_map(struct md_dev *md, sector_t sector, struct gendisk **member, sector_t *msector)
{
	if (md->level == MD_STRIPE) {
		sector_t chunk = sector >> md->chunk_shift;
		sector_t off = sector & (((sector_t)1 << md->chunk_shift) - 1);

		*member = md->members[chunk % md->n];
		*msector = ((chunk / md->n) << md->chunk_shift) + off;
		return (u32)(((sector_t)1 << md->chunk_shift) - off);
	} else {
		unsigned i = 0;

		while (sector >= md->start[i + 1])
			i++;
		*member = md->members[i];
		*msector = sector - md->start[i];
		return (u32)MIN(md->start[i + 1] - sector, (sector_t)UINT32_MAX >> SECTOR_SHIFT);
	}
}

static void md_flush(struct md_dev *md, struct bio *bio)
{
	unsigned i;

	for (i = 0; i < md->n; i++) {
		struct bio *child = bio_alloc(0);

		if (!child) {
			if (!bio->bi_status)
				bio->bi_status = -ENOMEM;
			continue;
		}
		child->bi_disk = md->members[i];
		child->bi_rw = bio->bi_rw;
		bio_chain(child, bio);
		generic_make_request(child);
	}
	bio_endio(bio);
}

static void md_make_request(struct request_queue *q, struct bio *bio)
{
	struct md_dev *md = q->queuedata;

	if (bio_op(bio) == REQ_OP_FLUSH) {
		md_flush(md, bio);
		return;
	}
	for (;;) {
		struct gendisk *member;
		sector_t msector;
		u32 fit = md_map(md, bio->bi_sector, &member, &msector);
		struct bio *split;

		if (bio_sectors(bio) <= fit) {
			bio->bi_disk = member;
			bio->bi_sector = msector;
			generic_make_request(bio);
			return;
		}
		split = bio_split(bio, fit);
		if (!split) {
			bio->bi_status = -ENOMEM;
			bio_endio(bio);
			return;
		}
		bio_chain(split, bio);
		split->bi_disk = member;
		split->bi_sector = msector;
		generic_make_request(split);
	}
}

static int md_check(const char *name, int level, u32 chunk_bytes, struct gendisk *const members[],
		    unsigned n, u32 *lbs)
{
	unsigned i, j;

	if (!name || !name[0] || strnlen(name, DISK_NAME_LEN) == DISK_NAME_LEN) {
		pr_err("md: bad name");
		return -EINVAL;
	}
	if (level != MD_STRIPE && level != MD_LINEAR) {
		pr_err("md: %s: unknown level %d", name, level);
		return -EINVAL;
	}
	if (!n || n > MD_MAX_MEMBERS) {
		pr_err("md: %s: %u members, must be 1..%u", name, n, MD_MAX_MEMBERS);
		return -EINVAL;
	}
	*lbs = SECTOR_SIZE;
	for (i = 0; i < n; i++) {
		if (!members[i] || !members[i]->queue) {
			pr_err("md: %s: member %u is missing", name, i);
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (members[j] == members[i]) {
				pr_err("md: %s: %s is listed twice", name, members[i]->disk_name);
				return -EINVAL;
			}
		*lbs = MAX(*lbs, members[i]->queue->limits.logical_block_size);
	}
	if (level == MD_STRIPE && (!is_power_of_2(chunk_bytes) || chunk_bytes < *lbs)) {
		pr_err("md: %s: chunk %u must be a power of two of at least %u bytes", name,
		       chunk_bytes, *lbs);
		return -EINVAL;
	}
	return 0;
}

/*
 * What happened below md0 is what a job on md0 caused: report the members'
 * merges and the driver's kicks and interrupts as the md disk's own.
 */
static void md_get_counters(struct gendisk *disk, struct blk_counters *c)
{
	struct md_dev *md = disk->private_data;

	for (unsigned i = 0; i < md->n; i++) {
		struct blk_counters m;
		blk_get_counters(md->members[i], &m);
		c->back_merges += m.back_merges;
		c->front_merges += m.front_merges;
		c->kicks += m.kicks;
		c->irqs += m.irqs;
	}
}

/* clang-format off */
static const struct block_device_operations md_fops = {
	.get_counters = md_get_counters,
};
/* clang-format on */

unsigned md_members(struct gendisk *disk, struct gendisk **out, unsigned max)
{
	struct md_dev *md;
	unsigned i;

	if (!disk->queue || disk->queue->make_request_fn != md_make_request)
		return 0;
	md = disk->private_data;
	for (i = 0; i < md->n && i < max; i++)
		out[i] = md->members[i];
	return i;
}

int md_create(const char *name, int level, u32 chunk_bytes, struct gendisk *const members[],
	      unsigned n)
{
	struct request_queue *q = NULL;
	struct gendisk *disk = NULL;
	struct md_dev *md;
	bool discard = true, zeroes = true, wc = false, ro = false;
	sector_t capacity = 0;
	u32 lbs;
	unsigned i;
	int err;

	err = md_check(name, level, chunk_bytes, members, n, &lbs);
	if (err)
		return err;
	if (get_gendisk(name)) {
		pr_err("md: a disk named %s exists already", name);
		return -EEXIST;
	}
	md = kzalloc(sizeof(*md));
	if (!md)
		return -ENOMEM;
	md->level = level;
	md->n = n;
	for (i = 0; i < n; i++) {
		struct request_queue *mq = members[i]->queue;

		md->members[i] = members[i];
		discard = discard && mq->limits.max_discard_sectors;
		zeroes = zeroes && mq->limits.max_write_zeroes_sectors;
		wc = wc || (mq->queue_flags & QUEUE_FLAG_WC);
		ro = ro || members[i]->read_only;
	}

	if (level == MD_STRIPE) {
		sector_t smallest = get_capacity(members[0]);

		md->chunk_shift = ilog2_u32(chunk_bytes >> SECTOR_SHIFT);
		for (i = 1; i < n; i++)
			smallest = MIN(smallest, get_capacity(members[i]));
		smallest = ALIGN_DOWN(smallest, (sector_t)1 << md->chunk_shift);
		capacity = smallest * n;
	} else {
		for (i = 0; i < n; i++) {
			md->start[i] = capacity;
			capacity += ALIGN_DOWN(get_capacity(members[i]),
					       (sector_t)(lbs >> SECTOR_SHIFT));
		}
		md->start[n] = capacity;
	}
	if (!capacity) {
		pr_err("md: %s: the members are too small for one %s", name,
		       level == MD_STRIPE ? "chunk on each" : "block");
		err = -EINVAL;
		goto fail;
	}

	err = -ENOMEM;
	q = blk_alloc_queue();
	disk = alloc_disk();
	if (!q || !disk)
		goto fail;
	blk_queue_make_request(q, md_make_request);
	blk_set_stacking_limits(&q->limits);
	blk_queue_logical_block_size(q, lbs);
	if (discard)
		blk_queue_max_discard_sectors(q, UINT32_MAX >> SECTOR_SHIFT);
	if (zeroes)
		blk_queue_max_write_zeroes_sectors(q, UINT32_MAX >> SECTOR_SHIFT);
	/* FUA passes through to the members, which emulate it if they must. */
	blk_queue_write_cache(q, wc, true);
	if (level == MD_STRIPE) {
		blk_queue_io_min(q, chunk_bytes);
		blk_queue_io_opt(q, chunk_bytes * n);
	}
	q->queuedata = md;

	memcpy(disk->disk_name, name, strnlen(name, DISK_NAME_LEN - 1));
	disk->queue = q;
	disk->fops = &md_fops;
	disk->private_data = md;
	set_capacity(disk, capacity);
	set_disk_ro(disk, ro);
	err = add_disk(disk);
	if (err)
		goto fail;
	md->disk = disk;
	pr_info("md: %s: %s of %u, %llu sectors%s", name, level == MD_STRIPE ? "stripe" : "linear",
		n, (unsigned long long)capacity, ro ? ", read-only" : "");
	return 0;

fail:
	kfree(disk);
	if (q)
		blk_cleanup_queue(q);
	kfree(md);
	return err;
}

int md_destroy(const char *name)
{
	struct gendisk *disk = get_gendisk(name);
	struct request_queue *q;

	if (!disk || !disk->queue || disk->queue->make_request_fn != md_make_request)
		return -ENODEV;
	q = disk->queue;
	kfree(disk->private_data);
	del_disk(disk);
	put_disk(disk);
	blk_cleanup_queue(q);
	return 0;
}
