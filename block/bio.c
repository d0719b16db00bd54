// SPDX-License-Identifier: MIT
/*
 * Bios: allocation with a reserve, building (bio_add_page under the queue's
 * limits), splitting and chaining, and completion.
 *
 * bio_endio runs in process or softirq context, never in an interrupt,
 * and always on the bio's own CPU (bi_cpu), where neither context preempts
 * the other; a chain's bios all come from one CPU. So bi_remaining and
 * bi_cnt are plain integers. Only the reserve is shared between CPUs.
 */
#include "block/bio.h"
#include "block/blk.h"
#include "block/blkdev.h"
#include "block/genhd.h"
#include "kernel/string.h"

struct blk_cpu_ctx blk_cpu_ctx[NR_CPUS];

void blk_atomic_enter(void)
{
	blk_cpu_ctx[smp_processor_id()].atomic_depth++;
}

void blk_atomic_exit(void)
{
	int *depth = &blk_cpu_ctx[smp_processor_id()].atomic_depth;

	BUG_ON(*depth <= 0);
	(*depth)--;
}

/* ------------------------------------------------------------------------
 * The reserve: a fixed set of bios big enough for any request, linked
 * through bi_next while free. It only matters when kmalloc fails; then it
 * is what lets in-flight I/O finish and give memory back (the mempool
 * argument: each holder completes without needing a second reserve bio).
 */
static struct bio *reserve_free;
static unsigned reserve_avail;
static struct bio *reserve_all[BIO_RESERVE_NR];
static bool pool_ready;
static bool reserve_warned;
/* The free list and its count; CPUs waiting for a reserve bio wait on reserve_wait. */
static DEFINE_SPINLOCK(reserve_lock);
static DECLARE_WAIT_QUEUE_HEAD(reserve_wait);

/*
 * Each CPU's cache of small bios, so that the one bio of a 4 KiB request
 * costs a list pop instead of a kmalloc and a kfree (the two were an
 * eighth of the bypass path's guest instructions per I/O, tools/profile
 * --insns). Taken and given back on the CPU at hand (a bio may end on
 * another CPU than the one that allocated it, and then it joins that CPU's
 * cache) by process or softirq context only, which on one CPU never
 * interrupt each other: no lock, and no interrupts turned off (a pair of
 * those costs as much as a hundred plain instructions under TCG). An
 * interrupt handler never allocates or ends a bio; one that tried is
 * caught. cache_total is how many were made, so that bio_pool_exit can
 * tell whether all are back.
 */
struct bio_cache {
	struct bio *free;
	unsigned nr;
};
static DEFINE_PER_CPU(struct bio_cache, bio_cache);
static unsigned cache_total;

static size_t bio_bytes(unsigned nr_vecs)
{
	return sizeof(struct bio) + (size_t)nr_vecs * sizeof(struct bio_vec);
}

int bio_pool_init(void)
{
	unsigned i;

	if (pool_ready)
		return 0;
	for (i = 0; i < BIO_RESERVE_NR; i++) {
		struct bio *bio = kmalloc(bio_bytes(BIO_MAX_VECS));

		if (!bio) {
			pr_err("bio: no memory for the reserve (%u of %u bios)", i, BIO_RESERVE_NR);
			while (i--)
				kfree(reserve_all[i]);
			reserve_free = NULL;
			reserve_avail = 0;
			return -ENOMEM;
		}
		reserve_all[i] = bio;
		bio->bi_next = reserve_free;
		reserve_free = bio;
	}
	reserve_avail = BIO_RESERVE_NR;
	pool_ready = true;
	reserve_warned = false;
	/* A cache that cannot be filled only costs speed. */
	for (unsigned cpu = 0; cpu < num_online_cpus(); cpu++) {
		struct bio_cache *c = &per_cpu(bio_cache, cpu);

		while (c->nr < BIO_CACHE_NR) {
			struct bio *bio = kmalloc(bio_bytes(BIO_CACHE_VECS));

			if (!bio)
				break;
			bio->bi_flags = BIO_CACHED;
			bio->bi_cnt = 0;
			bio->bi_next = c->free;
			c->free = bio;
			c->nr++;
			cache_total++;
		}
	}
	return 0;
}

static unsigned cache_count(void)
{
	unsigned n = 0;

	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		n += per_cpu(bio_cache, cpu).nr;
	return n;
}

int bio_pool_exit(void)
{
	unsigned i;

	if (!pool_ready)
		return 0;
	/* A reserve or cached bio still out would be freed under its user. */
	if (reserve_avail != BIO_RESERVE_NR || cache_count() != cache_total)
		return -EBUSY;
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		struct bio_cache *c = &per_cpu(bio_cache, cpu);

		while (c->free) {
			struct bio *bio = c->free;

			c->free = bio->bi_next;
			kfree(bio);
		}
		c->nr = 0;
	}
	cache_total = 0;
	for (i = 0; i < BIO_RESERVE_NR; i++) {
		kfree(reserve_all[i]);
		reserve_all[i] = NULL;
	}
	reserve_free = NULL;
	reserve_avail = 0;
	pool_ready = false;
	return 0;
}

unsigned bio_reserve_available(void)
{
	return reserve_avail;
}

static void bio_init(struct bio *bio, unsigned nr_vecs, u32 flags)
{
	memset(bio, 0, sizeof(*bio));
	bio->bi_flags = flags;
	bio->bi_max_vecs = nr_vecs;
	bio->bi_io_vec = bio->bi_inline_vecs;
	bio->bi_cnt = 1;
	bio->bi_cpu = (u16)smp_processor_id();
}

/* A reserve bio, or NULL when none is free. */
static struct bio *reserve_take(void)
{
	struct bio *bio;
	unsigned long flags;

	spin_lock_irqsave(&reserve_lock, flags);
	bio = reserve_free;
	if (bio) {
		reserve_free = bio->bi_next;
		reserve_avail--;
	}
	spin_unlock_irqrestore(&reserve_lock, flags);
	return bio;
}

struct bio *bio_alloc(unsigned nr_vecs)
{
	struct bio *bio;

	if (nr_vecs > BIO_MAX_VECS) {
		pr_err("bio: %u vecs asked for, at most %u", nr_vecs, BIO_MAX_VECS);
		return NULL;
	}
	if (!pool_ready)
		bio_pool_init(); /* without it, kmalloc alone must do */

	BUG_ON(in_irq());
	if (nr_vecs <= BIO_CACHE_VECS) {
		struct bio_cache *c = this_cpu_ptr(bio_cache);

		bio = c->free;
		if (bio) {
			c->free = bio->bi_next;
			c->nr--;
		}
		if (bio) {
			bio_init(bio, BIO_CACHE_VECS, BIO_CACHED);
			return bio;
		}
	}
	bio = kmalloc(bio_bytes(nr_vecs));
	if (bio) {
		bio_init(bio, nr_vecs, 0);
		return bio;
	}
	for (;;) {
		bio = reserve_take();
		if (bio) {
			bio_init(bio, nr_vecs, BIO_RESERVED);
			return bio;
		}
		if (!pool_ready)
			return NULL; /* no reserve was ever made: nothing to wait for */
		if (blk_in_atomic()) {
			if (!reserve_warned)
				pr_warn("bio: out of memory and reserve in completion context");
			reserve_warned = true;
			return NULL;
		}
		/* In-flight I/O holds every reserve bio and will hand them back. */
		wait_event(&reserve_wait, READ_ONCE(reserve_avail) > 0);
	}
}

void bio_get(struct bio *bio)
{
	bio->bi_cnt++;
}

void bio_put(struct bio *bio)
{
	BUG_ON(bio->bi_cnt <= 0);
	if (--bio->bi_cnt)
		return;
	if (bio->bi_flags & BIO_CACHED) {
		struct bio_cache *c = this_cpu_ptr(bio_cache);

		BUG_ON(in_irq());
		bio->bi_next = c->free;
		c->free = bio;
		c->nr++;
		return;
	}
	if (bio->bi_flags & BIO_RESERVED) {
		unsigned long flags;

		spin_lock_irqsave(&reserve_lock, flags);
		bio->bi_next = reserve_free;
		reserve_free = bio;
		reserve_avail++;
		spin_unlock_irqrestore(&reserve_lock, flags);
		wake_up(&reserve_wait);
		return;
	}
	kfree(bio);
}

void bio_reset(struct bio *bio)
{
	u32 keep = bio->bi_flags & (BIO_RESERVED | BIO_CACHED);
	unsigned max = bio->bi_max_vecs;
	int cnt = bio->bi_cnt;

	bio_init(bio, max, keep);
	bio->bi_cnt = cnt;
}

int bio_add_page(struct bio *bio, void *page, u32 len, u32 offset)
{
	struct request_queue *q = bio->bi_disk ? bio->bi_disk->queue : NULL;
	struct bio_vec *bv;

	if (bio_flagged(bio, BIO_CLONED) || bio->bi_vcnt >= bio->bi_max_vecs)
		return 0;
	if (!len || (u64)offset + len > PAGE_SIZE || !IS_ALIGNED((uintptr_t)page, PAGE_SIZE))
		return 0;

	if (q) {
		const struct queue_limits *lim = &q->limits;
		phys_addr_t phys = virt_to_phys(page) + offset;
		bool contig;

		if ((u64)bio->bi_size + len > (u64)lim->max_sectors << SECTOR_SHIFT)
			return 0;
		if (!bio->bi_vcnt) {
			/* An empty bio has no segments: nothing to walk to count them. */
			bio->bi_seg_q = q;
			bio->bi_phys_segments = 0;
			bio->bi_seg_front_size = 0;
			bio->bi_seg_back_size = 0;
			bio->bi_phys_start = 0;
			bio->bi_phys_end = 0;
		} else {
			bio_ensure_segments(q, bio);
		}
		/* The same rule as blk_recount_segments, one segment further. */
		contig = bio->bi_vcnt && phys == bio->bi_phys_end &&
			 bio->bi_seg_back_size + len <= lim->max_segment_size;
		if (!contig && bio->bi_phys_segments >= lim->max_segments)
			return 0;
		if (q->merge_bvec_fn) {
			struct bio_vec want = {page, len, offset};

			if (q->merge_bvec_fn(q, bio, &want) < (int)len)
				return 0;
		}
		if (contig) {
			bio->bi_seg_back_size += len;
			if (bio->bi_phys_segments == 1)
				bio->bi_seg_front_size = bio->bi_seg_back_size;
		} else {
			if (!bio->bi_phys_segments) {
				bio->bi_phys_start = phys;
				bio->bi_seg_front_size = len;
			}
			bio->bi_phys_segments++;
			bio->bi_seg_back_size = len;
		}
		bio->bi_phys_end = phys + len;
	}

	bv = &bio->bi_io_vec[bio->bi_vcnt++];
	bv->bv_page = page;
	bv->bv_len = len;
	bv->bv_offset = offset;
	bio->bi_size += len;
	return len;
}

/* Never called: bio_endio recognises chained children by this pointer. */
static void bio_chain_endio(struct bio *bio)
{
	BUG();
}

void bio_chain(struct bio *bio, struct bio *parent)
{
	BUG_ON(bio->bi_end_io || bio->bi_private);
	bio->bi_private = parent;
	bio->bi_end_io = bio_chain_endio;
	if (!(parent->bi_flags & BIO_CHAIN)) {
		parent->bi_flags |= BIO_CHAIN;
		parent->bi_remaining = 1;
	}
	parent->bi_remaining++;
}

static bool bio_remaining_done(struct bio *bio)
{
	if (!(bio->bi_flags & BIO_CHAIN))
		return true;
	BUG_ON(bio->bi_remaining <= 0);
	if (--bio->bi_remaining)
		return false;
	bio->bi_flags &= ~BIO_CHAIN;
	return true;
}

void bio_endio(struct bio *bio)
{
	/* The hand-over to the submitting CPU went wrong: a block-layer bug. */
	BUG_ON(bio->bi_cpu != smp_processor_id());
	blk_atomic_enter();
	if (bio->bi_acct_q)
		blk_account_bio_done(bio);
	/* Walk up the chain iteratively: a deep split must not deepen the stack. */
	while (bio_remaining_done(bio)) {
		if (bio->bi_end_io == bio_chain_endio) {
			struct bio *parent = bio->bi_private;

			if (bio->bi_status && !parent->bi_status)
				parent->bi_status = bio->bi_status;
			bio_put(bio);
			bio = parent;
			continue;
		}
		bio->bi_flags &= ~BIO_RETRY;
		if (bio->bi_end_io)
			bio->bi_end_io(bio);
		break;
	}
	blk_atomic_exit();
}

struct bio *bio_clone_fast(struct bio *src)
{
	struct bio *bio = bio_alloc(0);

	if (!bio)
		return NULL;
	bio->bi_disk = src->bi_disk;
	bio->bi_sector = src->bi_sector;
	bio->bi_size = src->bi_size;
	bio->bi_rw = src->bi_rw;
	bio->bi_idx = src->bi_idx;
	bio->bi_bvec_done = src->bi_bvec_done;
	bio->bi_vcnt = src->bi_vcnt;
	bio->bi_io_vec = src->bi_io_vec;
	bio->bi_cpu = src->bi_cpu;
	bio->bi_flags |= BIO_CLONED;
	return bio;
}

void bio_advance(struct bio *bio, u32 bytes)
{
	BUG_ON(bytes > bio->bi_size);
	if (bio_has_data(bio)) {
		struct bvec_iter it = bio_iter(bio);

		bvec_iter_advance(bio->bi_io_vec, &it, bytes);
		bio->bi_idx = it.bi_idx;
		bio->bi_bvec_done = it.bi_bvec_done;
	}
	bio->bi_sector += bytes >> SECTOR_SHIFT;
	bio->bi_size -= bytes;
	bio->bi_seg_q = NULL;
}

struct bio *bio_split(struct bio *bio, u32 sectors)
{
	struct bio *split;

	/* Callers compute @sectors from the bio: anything else is a kernel bug. */
	BUG_ON(!sectors || sectors >= bio_sectors(bio));
	split = bio_clone_fast(bio);
	if (!split)
		return NULL;
	split->bi_size = sectors << SECTOR_SHIFT;
	bio_advance(bio, split->bi_size);
	return split;
}
