/* SPDX-License-Identifier: MIT */
/*
 * struct bio: one I/O as its submitter sees it, a run of sectors on one disk
 * and the memory segments (bio_vec) that hold the data, in the shape of
 * Linux 3.x with the later iterator so a bio can be split without copying
 * its vector. The first of the seeds describes how a bio is filled in
 * (bio_alloc, bi_sector, bi_io_vec, bi_rw, bi_end_io) before it is handed
 * to generic_make_request.
 *
 * Lifetime: bio_alloc() returns a bio with one reference; bio_endio() calls
 * ->bi_end_io exactly once when the I/O (and every bio chained to it) has
 * finished; the owner drops its reference with bio_put(), usually from
 * ->bi_end_io. bi_end_io runs in completion context (softirq, or inside
 * generic_make_request when a bio fails its checks) and may submit new bios,
 * but must not wait.
 *
 * Several CPUs: bi_end_io runs on the CPU that submitted the bio (bi_cpu,
 * set by bio_alloc and again by generic_make_request), whichever CPU the
 * device interrupted: completions that arrive elsewhere are handed over
 * (block/blk-softirq.c). So a submitter's per-I/O state needs no lock, and
 * a bio and the bios chained to it, all submitted from one CPU, end there.
 */
#ifndef BLOCK_BIO_H
#define BLOCK_BIO_H

#include "kernel/platform.h"
#include "kernel/types.h"

struct bio;
struct gendisk;
struct request_queue;

/*
 * A memory segment. bv_page is the virtual address of a page-aligned page;
 * the data starts bv_offset bytes into it and never crosses the page's end
 * (bv_offset + bv_len <= PAGE_SIZE), so one segment is always physically
 * contiguous.
 */
struct bio_vec {
	void *bv_page;
	u32 bv_len;
	u32 bv_offset;
};

/*
 * The operation sits in the low REQ_OP_BITS of bi_rw (and of a request's
 * cmd_flags); flags sit above it. As in Linux, the ops that move data to
 * the device are odd, so op_is_write() is one bit test.
 */
enum req_op {
	REQ_OP_READ = 0,
	REQ_OP_WRITE = 1,
	REQ_OP_FLUSH = 2,	 /* no data: make completed writes durable */
	REQ_OP_DISCARD = 3,	 /* no data: the sectors' contents may be dropped */
	REQ_OP_WRITE_ZEROES = 5, /* no data: the sectors read back as zeroes */
};

#define REQ_OP_BITS 8
#define REQ_OP_MASK ((1u << REQ_OP_BITS) - 1)

#define REQ_SYNC (1u << 8)	/* someone waits for it; a hint only */
#define REQ_FUA (1u << 9)	/* durable when it completes */
#define REQ_PREFLUSH (1u << 10) /* flush the write cache before the data */
#define REQ_NOMERGE (1u << 11)	/* never join this with another I/O */
/*
 * Completed by polling (Linux's REQ_HIPRI, fio's hipri): the driver puts it
 * on a poll queue when the disk has one, and its submitter polls for it.
 * It never joins an I/O without the flag, which may sit on another queue.
 */
#define REQ_HIPRI (1u << 12)
/* Flush ordering is per I/O, so such I/Os may not be merged with others. */
#define REQ_NOMERGE_FLAGS (REQ_NOMERGE | REQ_PREFLUSH | REQ_FUA)

/* Data directions, as rq_data_dir() and bio_data_dir() return them. */
#define READ 0
#define WRITE 1

static inline bool op_is_write(unsigned op)
{
	return op & 1;
}

/* Block-layer private state in bi_flags; submitters leave it alone. */
#define BIO_CHAIN (1u << 0)    /* bi_remaining counts chained children */
#define BIO_CLONED (1u << 1)   /* bi_io_vec belongs to another bio */
#define BIO_RESERVED (1u << 2) /* came from the reserve; goes back there */
#define BIO_RETRY (1u << 3)    /* re-issued alone after a merged failure */
#define BIO_CACHED (1u << 4)   /* one of a CPU's preallocated small bios; goes back there */

/* Largest vector a bio may have: 1 MiB of 4 KiB pages, as Linux's BIO_MAX_PAGES. */
#define BIO_MAX_VECS 256

typedef void(bio_end_io_t)(struct bio *bio);

struct bio {
	struct bio *bi_next; /* on a bio_list or in a request */
	struct gendisk *bi_disk;
	sector_t bi_sector; /* first 512-byte sector */
	u32 bi_size;	    /* bytes still to do */
	u32 bi_rw;	    /* op | REQ_* flags */
	u32 bi_flags;	    /* BIO_* */
	int bi_status;	    /* 0 or -errno once the bio has ended */

	/* Where bi_size starts within bi_io_vec: the iterator of Linux 3.14. */
	u16 bi_idx;
	u32 bi_bvec_done;

	u16 bi_vcnt;	 /* vecs filled by bio_add_page */
	u16 bi_max_vecs; /* vecs available */
	struct bio_vec *bi_io_vec;

	bio_end_io_t *bi_end_io;
	void *bi_private;

	/* Chaining: the parent ends when its own I/O and all children have. */
	int bi_remaining;
	int bi_cnt; /* references */

	/*
	 * Physical segment layout for the queue bi_seg_q (limits differ per
	 * queue, so a remapped bio is counted again): number of segments,
	 * sizes of the first and last, and the bus addresses where the data
	 * starts and ends, so merges can tell whether segments touch.
	 */
	struct request_queue *bi_seg_q;
	u16 bi_phys_segments;
	u32 bi_seg_front_size;
	u32 bi_seg_back_size;
	phys_addr_t bi_phys_start;
	phys_addr_t bi_phys_end;

	/* The bypass-path queue counting this bio as in flight (drain). */
	struct request_queue *bi_acct_q;

	/* The CPU whose process or completion context submitted it: it ends there. */
	u16 bi_cpu;

	struct bio_vec bi_inline_vecs[];
};

static inline unsigned bio_op(const struct bio *bio)
{
	return bio->bi_rw & REQ_OP_MASK;
}

static inline int bio_data_dir(const struct bio *bio)
{
	return op_is_write(bio_op(bio)) ? WRITE : READ;
}

static inline void bio_set_op(struct bio *bio, unsigned op, u32 flags)
{
	bio->bi_rw = op | flags;
}

static inline bool bio_flagged(const struct bio *bio, u32 flag)
{
	return bio->bi_flags & flag;
}

static inline u32 bio_sectors(const struct bio *bio)
{
	return bio->bi_size >> SECTOR_SHIFT;
}

static inline sector_t bio_end_sector(const struct bio *bio)
{
	return bio->bi_sector + bio_sectors(bio);
}

/* Reads and writes carry memory; flush, discard and write-zeroes do not. */
static inline bool bio_has_data(const struct bio *bio)
{
	unsigned op = bio_op(bio);

	return bio->bi_size && (op == REQ_OP_READ || op == REQ_OP_WRITE);
}

/*
 * Iterating a bio's data. A split or cloned bio sees only part of a shared
 * vector, so segments must be visited through the iterator, never by
 * walking bi_io_vec[0..bi_vcnt) directly.
 */
struct bvec_iter {
	u32 bi_size;
	u16 bi_idx;
	u32 bi_bvec_done;
};

static inline struct bvec_iter bio_iter(const struct bio *bio)
{
	struct bvec_iter it = {bio_has_data(bio) ? bio->bi_size : 0, bio->bi_idx,
			       bio->bi_bvec_done};
	return it;
}

static inline struct bio_vec bio_iter_iovec(const struct bio *bio, struct bvec_iter it)
{
	const struct bio_vec *v = &bio->bi_io_vec[it.bi_idx];
	struct bio_vec bv = {v->bv_page, MIN(v->bv_len - it.bi_bvec_done, it.bi_size),
			     v->bv_offset + it.bi_bvec_done};
	return bv;
}

static inline void bvec_iter_advance(const struct bio_vec *vecs, struct bvec_iter *it, u32 bytes)
{
	it->bi_size -= bytes;
	bytes += it->bi_bvec_done;
	while (bytes && bytes >= vecs[it->bi_idx].bv_len) {
		bytes -= vecs[it->bi_idx].bv_len;
		it->bi_idx++;
	}
	it->bi_bvec_done = bytes;
}

/* for each segment: struct bio_vec bv; struct bvec_iter it; */
#define bio_for_each_segment(bvl, bio, iter)                                                       \
	for ((iter) = bio_iter(bio);                                                               \
	     (iter).bi_size && ((bvl) = bio_iter_iovec((bio), (iter)), true);                      \
	     bvec_iter_advance((bio)->bi_io_vec, &(iter), (bvl).bv_len))

/*
 * A singly linked FIFO of bios through bi_next: the "current->bio_list" of
 * the seed, and the queue's backlog.
 */
struct bio_list {
	struct bio *head;
	struct bio *tail;
};

static inline void bio_list_init(struct bio_list *bl)
{
	bl->head = NULL;
	bl->tail = NULL;
}

static inline bool bio_list_empty(const struct bio_list *bl)
{
	return bl->head == NULL;
}

static inline void bio_list_add(struct bio_list *bl, struct bio *bio)
{
	bio->bi_next = NULL;
	if (bl->tail)
		bl->tail->bi_next = bio;
	else
		bl->head = bio;
	bl->tail = bio;
}

/* At the front: a bio taken off the list goes back first in line. */
static inline void bio_list_add_head(struct bio_list *bl, struct bio *bio)
{
	bio->bi_next = bl->head;
	bl->head = bio;
	if (!bl->tail)
		bl->tail = bio;
}

static inline struct bio *bio_list_pop(struct bio_list *bl)
{
	struct bio *bio = bl->head;

	if (bio) {
		bl->head = bio->bi_next;
		if (!bl->head)
			bl->tail = NULL;
		bio->bi_next = NULL;
	}
	return bio;
}

/*
 * Allocation. bio_alloc never fails on the I/O path: when kmalloc has no
 * memory it falls back to a reserve of BIO_RESERVE_NR preallocated bios of
 * BIO_MAX_VECS each, which in-flight I/O returns as it completes. When even
 * the reserve is empty, a caller in process context waits (wait_until) for
 * one to come back; a caller in completion context cannot wait, so it gets
 * NULL and must fail or defer the I/O itself (the block layer's own users
 * end the bio with -ENOMEM). nr_vecs above BIO_MAX_VECS is a caller bug and
 * also returns NULL.
 */
#define BIO_RESERVE_NR 16

/*
 * Small bios (up to BIO_CACHE_VECS vectors, one 4 KiB page or a few) come
 * from a per-CPU cache of BIO_CACHE_NR preallocated ones (Linux's
 * bio_alloc_cache), filled by bio_pool_init, before kmalloc is tried.
 */
#define BIO_CACHE_VECS 4
#define BIO_CACHE_NR 128

struct bio *bio_alloc(unsigned nr_vecs);
void bio_get(struct bio *bio);
void bio_put(struct bio *bio);
/* Make a finished bio reusable: clears everything but its vector capacity. */
void bio_reset(struct bio *bio);

/*
 * Append a segment. Returns @len when it was added, 0 when it does not fit:
 * the vector is full, or (when bi_disk is set) the bio would exceed its
 * queue's max_sectors, max_segments or the queue's merge_bvec_fn. @page must
 * be page-aligned and @offset + @len <= PAGE_SIZE. Segments are never
 * coalesced here, so the segment count a request reports and the
 * scatterlist blk_rq_map_sg builds agree.
 */
int bio_add_page(struct bio *bio, void *page, u32 len, u32 offset);

/*
 * End the bio's own I/O: bi_status holds 0 or -errno. Calls ->bi_end_io
 * once the bio and every bio chained to it have ended; a chained child
 * passes its error to the parent (the first error wins) and is put.
 */
void bio_endio(struct bio *bio);

/*
 * Make @bio's parent wait for @bio: @bio's completion is counted against
 * @parent instead of calling an end_io of its own.
 */
void bio_chain(struct bio *bio, struct bio *parent);

/*
 * A new bio for the first @sectors of @bio, sharing its vector; @bio is
 * advanced past them. The caller chains the split to @bio (which keeps the
 * vector alive) and submits both. NULL only when bio_alloc would be.
 */
struct bio *bio_split(struct bio *bio, u32 sectors);
/* A bio describing the same I/O as @bio, sharing its vector. */
struct bio *bio_clone_fast(struct bio *bio);
/* Drop the first @bytes of the bio's range. */
void bio_advance(struct bio *bio, u32 bytes);

/*
 * Completion context: ->bi_end_io callbacks, the block softirq and the
 * request timeout timer run inside it, and nothing there may wait. The
 * depth also tells which context owns a plug (block/blk-core.c). It is
 * per CPU: each CPU has its own process and completion contexts.
 */
void blk_atomic_enter(void);
void blk_atomic_exit(void);
/*
 * A CPU's block-layer "current" state (block/blk-core.c), in one place:
 * its completion depth, its plug, the seed's current->bio_list and the
 * block softirq's batch of requests to free. Read inline: the I/O path
 * asks several times per request, and a call ends a TCG block.
 */
struct blk_plug;
struct blk_cpu_ctx {
	int atomic_depth;
	struct blk_plug *plug;	     /* the innermost active plug, of either context */
	struct bio_list *bio_list;   /* generic_make_request's loop, while it runs */
	struct list_head *end_batch; /* blk_end_request_batch_begin's, while open */
} __aligned(SMP_CACHE_BYTES);
extern struct blk_cpu_ctx blk_cpu_ctx[NR_CPUS];
static inline int blk_atomic_depth(void)
{
	return blk_cpu_ctx[smp_processor_id()].atomic_depth;
}
static inline bool blk_in_atomic(void)
{
	return blk_atomic_depth() > 0;
}
/*
 * Whether a generic_make_request loop runs on this CPU, perhaps below the
 * caller (a softirq run while a submission waits for a tag or a request):
 * a bio submitted now joins that loop's list.
 */
static inline bool blk_submitting(void)
{
	return blk_cpu_ctx[smp_processor_id()].bio_list != NULL;
}

/*
 * The reserve, made on first use or by blk_dev_init. bio_pool_exit frees it
 * (host tests), or returns -EBUSY while a reserve bio is still out.
 */
int bio_pool_init(void);
int bio_pool_exit(void);
unsigned bio_reserve_available(void);

#endif
