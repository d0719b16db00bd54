/* SPDX-License-Identifier: MIT */
/*
 * Physical memory: a buddy page allocator (kernel/page_alloc.c) and the
 * kmalloc size classes on top of it (kernel/slab.c).
 *
 * The kernel maps memory virtual == physical, so a page's address is its
 * physical address and "pfn" is simply the address >> PAGE_SHIFT. Every
 * managed page frame has a struct page descriptor in one array; it holds
 * the buddy allocator's free/order bits and, for kmalloc's pages, the size
 * class, so no allocation carries a header and page-sized ones stay page
 * aligned.
 *
 * Boot order: page_alloc_add_range() for each usable RAM region (with the
 * kernel image and whatever boot data is still needed already cut out, and
 * only memory the page tables map), then page_alloc_init(), then anything.
 * Allocation and freeing hold a spinlock with interrupts off for their
 * critical sections, so they are safe from softirq and interrupt context
 * and on every CPU.
 */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H

#include "kernel/list.h"
#include "kernel/types.h"

/* The largest block is 2^MAX_ORDER pages: 4 MiB. */
#define MAX_ORDER 10
#define NR_ORDERS (MAX_ORDER + 1)
/* Memory-map regions remembered until page_alloc_init(). */
#define PAGE_ALLOC_MAX_RANGES 64

/* struct page flags */
#define PG_reserved 0x01 /* not RAM we manage: a hole, or the page array itself */
#define PG_buddy 0x02	 /* first page of a free block; order says its size */
#define PG_head 0x04	 /* first page of an allocated block; order says its size */
#define PG_slab 0x08	 /* a kmalloc size-class page; slab_class says which */
#define PG_kmalloc 0x10	 /* a kmalloc allocation too big for a size class */

struct page {
	struct list_head lru; /* a free list (PG_buddy) or a class's partial list */
	void *freelist;	      /* PG_slab: the first free object */
	u16 inuse;	      /* PG_slab: objects handed out */
	u8 flags;
	u8 order;      /* PG_buddy and PG_head */
	u8 slab_class; /* PG_slab */
};

/* Adds usable RAM [start, end); unaligned ends are trimmed to whole pages. */
void page_alloc_add_range(u64 start, u64 end);
/*
 * Builds the page array at the end of the first added range big enough to
 * hold it and frees every other page into the buddy lists. Panics when no
 * range can hold the array: without it there is no allocator.
 */
void page_alloc_init(void);

/*
 * 2^@order physically contiguous pages aligned to their own size, or NULL
 * when no such block is free. The contents are not cleared.
 */
void *alloc_pages(unsigned order);
/* NULL is ignored; anything but an allocated block of @order panics. */
void free_pages(void *p, unsigned order);

static inline void *alloc_page(void)
{
	return alloc_pages(0);
}

static inline void free_page(void *p)
{
	free_pages(p, 0);
}

/* The smallest order whose block holds @size bytes (0 for 0). */
unsigned get_order(size_t size);

/* The descriptor of the page holding @p, or NULL when it is not managed RAM. */
struct page *virt_to_page(const void *p);
void *page_address(const struct page *page);

struct page_alloc_stats {
	u64 total_pages; /* managed pages, the page array excluded */
	u64 free_pages;
	u64 allocs; /* successful alloc_pages calls */
	u64 frees;
};

struct page_alloc_stats page_alloc_get_stats(void);
void page_alloc_print_stats(void);

/*
 * kmalloc's counters. Sizes are counted as allocated: the size class, or
 * the whole pages of a large allocation; dma_alloc's memory is included.
 */
struct kmem_stats {
	u64 allocs;
	u64 frees;
	u64 live_objects;
	u64 live_bytes;
	u64 slab_pages; /* pages held by the size classes, cached empty ones too */
};

struct kmem_stats kmem_get_stats(void);
/*
 * Give back to the slabs the free objects this CPU keeps (kernel/slab.c),
 * so their pages can go back to the page allocator.
 */
void kmem_drain_cpu(void);
void kmem_print_stats(void);
/* The bytes usable at @p, a live kmalloc or dma_alloc pointer. */
size_t ksize(const void *p);

#ifdef VBLK_HOST_TEST
/* Forget all memory, so each host test can build its own map. */
void page_alloc_reset(void);
void kmem_reset(void);
#endif

#endif
