/* SPDX-License-Identifier: MIT */
/*
 * The physical page allocator: a binary buddy system over the RAM the boot
 * memory map reports (include/kernel/mm.h).
 *
 * Free memory is kept as blocks of 2^order pages, each aligned to its own
 * size, on one list per order. Allocating splits a larger block in halves
 * until one of the wanted order remains; freeing merges a block with its
 * buddy (the other half of the block they were split from, found by
 * flipping bit "order" of the page frame number) for as long as the buddy
 * is free and whole. Both are O(MAX_ORDER).
 *
 * The state of every page lives in one struct page array indexed by page
 * frame number, covering the span from the lowest to the highest usable
 * page; holes inside the span are marked reserved and never merge. The
 * array is carved out of the end of the first usable range big enough to
 * hold it, so nothing is assumed about where RAM is.
 *
 * Where boot memory lies is chosen for the host's sake: every 2 MiB of
 * guest memory touched for the first time costs the host a huge-page
 * fault, 3.5 ms each on a nested cloud host (more than everything else
 * the kernel does before its first I/O). So allocations start just above
 * the kernel, lowest addresses first (buddy_free), and the array runs
 * downwards from the end of its range: the struct pages of the lowest
 * memory, the only ones set up at boot, lie at the very top of that range,
 * where SeaBIOS (q35, pc) has already written its ACPI tables. Elsewhere
 * that is one region more, still one fewer than with the array first.
 *
 * Only the first 64 MiB of the span get their struct pages set up at boot;
 * the rest is set up a chunk at a time when the free lists run dry (as
 * Linux's deferred struct page initialisation does). Under emulation the
 * whole array of a large guest costs milliseconds of boot, for memory a
 * short run never touches. A page not yet set up is outside the allocator
 * as far as every lookup goes.
 */
#include "kernel/mm.h"
#include "kernel/platform.h"
#include "kernel/string.h"

struct pfn_range {
	u64 start, end; /* page frame numbers, end exclusive */
};

static struct pfn_range ranges[PAGE_ALLOC_MAX_RANGES];
static unsigned nr_ranges;
static bool initialized;

static struct page *page_array;
static u64 base_pfn, end_pfn; /* the span page_array covers */
static u64 init_end_pfn;      /* struct pages below this are set up */

/* The chunk set up at boot, and each time the free lists run dry. */
#define INIT_CHUNK_PAGES (MiB(64) >> PAGE_SHIFT)

static struct list_head free_area[NR_ORDERS];
static struct page_alloc_stats stats;
/* The free lists, the page flags of free blocks, and the counters. */
static DEFINE_SPINLOCK(zone_lock);

static struct page *pfn_to_page(u64 pfn)
{
	if (pfn < base_pfn || pfn >= init_end_pfn)
		return NULL;
	return &page_array[end_pfn - 1 - pfn];
}

static u64 page_to_pfn(const struct page *page)
{
	return end_pfn - 1 - (u64)(page - page_array);
}

struct page *virt_to_page(const void *p)
{
	struct page *page = pfn_to_page((uintptr_t)p >> PAGE_SHIFT);

	if (!page || (page->flags & PG_reserved))
		return NULL;
	return page;
}

void *page_address(const struct page *page)
{
	return (void *)(uintptr_t)(page_to_pfn(page) << PAGE_SHIFT);
}

unsigned get_order(size_t size)
{
	if (size <= PAGE_SIZE)
		return 0;
	/* Bits needed for the index of the last page. */
	return 64 - (unsigned)__builtin_clzll((size - 1) >> PAGE_SHIFT);
}

void page_alloc_add_range(u64 start, u64 end)
{
	u64 s, e;

	if (initialized)
		panic("page_alloc: range [%#llx, %#llx) added after page_alloc_init",
		      (unsigned long long)start, (unsigned long long)end);
	/*
	 * Page 0 would be handed out as a NULL pointer, which every caller
	 * reads as failure; it is not worth 4 KiB of confusion.
	 */
	if (start < PAGE_SIZE)
		start = PAGE_SIZE;
	if (end <= start)
		return;
	/* Rounded inwards; written so that addresses near 2^64 cannot wrap. */
	s = (start >> PAGE_SHIFT) + ((start & (PAGE_SIZE - 1)) != 0);
	e = end >> PAGE_SHIFT;
	if (s >= e)
		return;

	/* Overlapping ranges would put a page on the free lists twice. */
	for (unsigned i = 0; i < nr_ranges; i++) {
		if (s < ranges[i].end && ranges[i].start < e)
			panic("page_alloc: range [%#llx, %#llx) overlaps [%#llx, %#llx)",
			      (unsigned long long)(s << PAGE_SHIFT),
			      (unsigned long long)(e << PAGE_SHIFT),
			      (unsigned long long)(ranges[i].start << PAGE_SHIFT),
			      (unsigned long long)(ranges[i].end << PAGE_SHIFT));
	}
	if (nr_ranges == PAGE_ALLOC_MAX_RANGES) {
		pr_warn("page_alloc: more than %d RAM ranges; ignoring [%#llx, %#llx)",
			PAGE_ALLOC_MAX_RANGES, (unsigned long long)(s << PAGE_SHIFT),
			(unsigned long long)(e << PAGE_SHIFT));
		return;
	}
	ranges[nr_ranges].start = s;
	ranges[nr_ranges].end = e;
	nr_ranges++;
}

/*
 * Returns the block at @pfn to the free lists, merging it with its buddy
 * as far as possible. The caller has checked it is not free already. A
 * freed block goes to the head of its list (the next to be handed out
 * while it is still in the cache); the blocks of a range being opened go
 * to the tail, so that each list hands out its lowest addresses first.
 */
static void buddy_free(u64 pfn, unsigned order, bool tail)
{
	struct page *page;

	while (order < MAX_ORDER) {
		struct page *buddy = pfn_to_page(pfn ^ (1ull << order));

		/* Only the first page of a free block says so, with its order. */
		if (!buddy || !(buddy->flags & PG_buddy) || buddy->order != order)
			break;
		list_del_init(&buddy->lru);
		buddy->flags &= ~PG_buddy;
		pfn &= ~(1ull << order);
		order++;
	}
	page = pfn_to_page(pfn);
	page->flags |= PG_buddy;
	page->order = (u8)order;
	if (tail)
		list_add_tail(&page->lru, &free_area[order]);
	else
		list_add(&page->lru, &free_area[order]);
}

/*
 * Opens [start, end) as the largest aligned blocks that fit, lowest
 * address first in every list. Boot allocations then pack together just
 * above the kernel instead of starting at the top of the first chunk:
 * each 2 MiB of guest memory touched for the first time costs the host a
 * huge-page fault (measured at 3.5 ms on a nested cloud host, more than
 * everything else before the first I/O), so fewer regions touched is a
 * faster boot.
 */
static void free_range(u64 start, u64 end)
{
	while (start < end) {
		unsigned order = MAX_ORDER;

		while (order &&
		       (!IS_ALIGNED(start, 1ull << order) || end - start < (1ull << order)))
			order--;
		buddy_free(start, order, true);
		start += 1ull << order;
	}
}

/*
 * Set up the struct pages of [base_pfn + ..., up to @to) not set up yet:
 * reserved by default, the usable ranges' pages opened and freed. Chunk
 * ends lie on MAX_ORDER boundaries, so no buddy block straddles one.
 */
static void init_pages(u64 to)
{
	u64 from = init_end_pfn;

	to = MIN(ALIGN_UP(to, 1ull << MAX_ORDER), end_pfn);
	if (to <= from)
		return;
	init_end_pfn = to;
	/*
	 * Each struct page written once, whole: open inside a usable range,
	 * reserved elsewhere, a stretch between range boundaries at a time (a
	 * memset and two passes cost three times the stores, a third of the
	 * kernel's instructions before its first I/O).
	 */
	for (u64 pfn = from; pfn < to;) {
		u64 next = to;
		u8 flags = PG_reserved;

		for (unsigned i = 0; i < nr_ranges; i++) {
			if (pfn >= ranges[i].start && pfn < ranges[i].end) {
				flags = 0;
				next = MIN(next, ranges[i].end);
			} else if (ranges[i].start > pfn) {
				next = MIN(next, ranges[i].start);
			}
		}
		/* Downwards: [pfn, next)'s struct pages are the array's [end - next, end - pfn). */
		for (struct page *page = &page_array[end_pfn - next],
				 *last = &page_array[end_pfn - pfn];
		     page < last; page++) {
			*page = (struct page){.flags = flags};
			INIT_LIST_HEAD(&page->lru);
		}
		pfn = next;
	}
	for (unsigned i = 0; i < nr_ranges; i++) {
		u64 s = MAX(ranges[i].start, from), e = MIN(ranges[i].end, to);

		if (s < e)
			free_range(s, e);
	}
}

void page_alloc_init(void)
{
	u64 lo = ~0ull, hi = 0, span, array_pages;
	struct pfn_range *home = NULL;

	BUG_ON(initialized);
	if (nr_ranges == 0)
		panic("page_alloc: the memory map has no usable RAM");
	for (unsigned i = 0; i < nr_ranges; i++) {
		lo = MIN(lo, ranges[i].start);
		hi = MAX(hi, ranges[i].end);
	}
	span = hi - lo;
	array_pages = DIV_ROUND_UP(span * sizeof(struct page), PAGE_SIZE);
	for (unsigned i = 0; i < nr_ranges && !home; i++) {
		if (ranges[i].end - ranges[i].start >= array_pages)
			home = &ranges[i];
	}
	if (!home)
		panic("page_alloc: no RAM range holds the %llu-page page array",
		      (unsigned long long)array_pages);

	home->end -= array_pages;
	page_array = (struct page *)(uintptr_t)(home->end << PAGE_SHIFT);
	base_pfn = lo;
	end_pfn = hi;

	/* Everything starts reserved; then the usable ranges are opened. */
	for (unsigned o = 0; o < NR_ORDERS; o++)
		INIT_LIST_HEAD(&free_area[o]);
	init_end_pfn = base_pfn;
	init_pages(base_pfn + INIT_CHUNK_PAGES);
	for (unsigned i = 0; i < nr_ranges; i++)
		stats.total_pages += ranges[i].end - ranges[i].start;
	stats.free_pages = stats.total_pages;
	initialized = true;
	pr_info("page_alloc: %llu KiB usable in %u ranges, page array %llu KiB at %#llx",
		(unsigned long long)(stats.total_pages * (PAGE_SIZE / 1024)), nr_ranges,
		(unsigned long long)(array_pages * (PAGE_SIZE / 1024)),
		(unsigned long long)(uintptr_t)page_array);
}

void *alloc_pages(unsigned order)
{
	struct page *page;
	unsigned long flags;
	unsigned o;

	if (!initialized)
		panic("alloc_pages(%u) before page_alloc_init", order);
	if (order > MAX_ORDER)
		return NULL;
	spin_lock_irqsave(&zone_lock, flags);
	for (;;) {
		for (o = order; o <= MAX_ORDER; o++) {
			if (!list_empty(&free_area[o]))
				break;
		}
		if (o <= MAX_ORDER || init_end_pfn >= end_pfn)
			break;
		/* Dry: the next chunk of deferred pages, then look again. */
		init_pages(init_end_pfn + INIT_CHUNK_PAGES);
	}
	if (o > MAX_ORDER) {
		spin_unlock_irqrestore(&zone_lock, flags);
		return NULL;
	}
	page = list_first_entry(&free_area[o], struct page, lru);
	list_del_init(&page->lru);
	page->flags &= ~PG_buddy;
	/* Keep the lower half each time; the upper half becomes a free block. */
	while (o > order) {
		struct page *half;

		o--;
		half = page - (1u << o); /* the upper half: the array runs downwards */
		half->flags |= PG_buddy;
		half->order = (u8)o;
		list_add(&half->lru, &free_area[o]);
	}
	page->flags |= PG_head;
	page->order = (u8)order;
	stats.free_pages -= 1ull << order;
	stats.allocs++;
	spin_unlock_irqrestore(&zone_lock, flags);
	return page_address(page);
}

void free_pages(void *p, unsigned order)
{
	uintptr_t addr = (uintptr_t)p;
	struct page *page;
	unsigned long flags;

	if (!p)
		return;
	/* Every check comes before any change, so a caught bug corrupts nothing. */
	if (order > MAX_ORDER)
		panic("free_pages(%p, %u): no such order", p, order);
	page = virt_to_page(p);
	if (!page)
		panic("free_pages(%p, %u): not managed RAM", p, order);
	if (!IS_ALIGNED(addr, PAGE_SIZE << order))
		panic("free_pages(%p, %u): not the start of an order-%u block", p, order, order);
	spin_lock_irqsave(&zone_lock, flags);
	/* The lock is dropped before a panic, which host tests return from. */
	if (page->flags & PG_buddy) {
		spin_unlock_irqrestore(&zone_lock, flags);
		panic("free_pages(%p, %u): double free", p, order);
	}
	if (!(page->flags & PG_head)) {
		spin_unlock_irqrestore(&zone_lock, flags);
		panic("free_pages(%p, %u): not an allocated block (double free?)", p, order);
	}
	if (page->order != order) {
		spin_unlock_irqrestore(&zone_lock, flags);
		panic("free_pages(%p, %u): allocated with order %u", p, order, page->order);
	}
	if (page->flags & (PG_slab | PG_kmalloc)) {
		spin_unlock_irqrestore(&zone_lock, flags);
		panic("free_pages(%p, %u): owned by kmalloc; use kfree", p, order);
	}
	page->flags &= ~PG_head;
	buddy_free(addr >> PAGE_SHIFT, order, false);
	stats.free_pages += 1ull << order;
	stats.frees++;
	spin_unlock_irqrestore(&zone_lock, flags);
}

struct page_alloc_stats page_alloc_get_stats(void)
{
	struct page_alloc_stats s;
	unsigned long flags;

	spin_lock_irqsave(&zone_lock, flags);

	s = stats;
	spin_unlock_irqrestore(&zone_lock, flags);
	return s;
}

void page_alloc_print_stats(void)
{
	struct page_alloc_stats s = page_alloc_get_stats();

	pr_info("page_alloc: %llu of %llu pages free, %llu allocs, %llu frees",
		(unsigned long long)s.free_pages, (unsigned long long)s.total_pages,
		(unsigned long long)s.allocs, (unsigned long long)s.frees);
}

#ifdef VBLK_HOST_TEST
void page_alloc_reset(void)
{
	nr_ranges = 0;
	initialized = false;
	page_array = NULL;
	base_pfn = 0;
	end_pfn = 0;
	init_end_pfn = 0;
	memset(&stats, 0, sizeof(stats));
	for (unsigned o = 0; o < NR_ORDERS; o++)
		INIT_LIST_HEAD(&free_area[o]);
}
#endif
