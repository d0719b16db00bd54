/* SPDX-License-Identifier: MIT */
/*
 * The buddy page allocator (kernel/page_alloc.c) and kmalloc/dma_alloc
 * (kernel/slab.c), run on a malloc'd arena that plays physical memory.
 *
 * The test keeps its own model of what the allocator should manage: the
 * ranges it was given, trimmed to pages, minus the page array carved from
 * the first range that can hold it. From the model follow the number of
 * managed pages, which addresses may ever be handed out, and the exact set
 * of free blocks a fully free allocator must have (the "fingerprint"): after
 * any sequence of allocations and frees, freeing everything must give that
 * set back, or merging is broken.
 *
 * The kernel's bugs are panics; this file's panic() jumps back into the
 * test when one is expected, and aborts otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/mm.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"

extern int host_irq_disabled; /* tests/unit/host_platform.c */

#define ARENA_SIZE MiB(64)
#define ARENA_PAGES (ARENA_SIZE / PAGE_SIZE)

static u8 *arena;

/* ---- panics the test expects ------------------------------------------ */

static jmp_buf panic_jmp;
static bool panic_armed;
static char panic_msg[512];

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(panic_msg, sizeof(panic_msg), fmt, ap);
	va_end(ap);
	if (panic_armed) {
		panic_armed = false;
		longjmp(panic_jmp, 1);
	}
	fprintf(stderr, "unexpected PANIC: %s\n", panic_msg);
	abort();
}

/* Runs @stmt, which must panic with a message containing @substr. */
#define EXPECT_PANIC(stmt, substr)                                                                 \
	do {                                                                                       \
		panic_msg[0] = '\0';                                                               \
		panic_armed = true;                                                                \
		if (setjmp(panic_jmp) == 0) {                                                      \
			stmt;                                                                      \
			panic_armed = false;                                                       \
			fail_msg("%s did not panic", #stmt);                                       \
		}                                                                                  \
		if (!strstr(panic_msg, substr))                                                    \
			fail_msg("%s panicked with \"%s\", expected \"%s\"", #stmt, panic_msg,     \
				 substr);                                                          \
		/* The panic left a critical section without restoring. */                         \
		host_irq_disabled = 0;                                                             \
	} while (0)

/* ---- the model -------------------------------------------------------- */

struct iv {
	uintptr_t start, end;
};

static struct iv given[PAGE_ALLOC_MAX_RANGES + 8]; /* trimmed, in add order */
static unsigned ngiven;
static struct iv usable[PAGE_ALLOC_MAX_RANGES + 8]; /* minus the page array */
static unsigned nusable;
static struct iv model_array;
static u64 model_total;

/* Adds a range to the allocator and, trimmed to whole pages, to the model. */
static void add_range(uintptr_t start, uintptr_t end)
{
	uintptr_t s = ALIGN_UP(start, PAGE_SIZE), e = ALIGN_DOWN(end, PAGE_SIZE);

	page_alloc_add_range(start, end);
	if (s < e && ngiven < PAGE_ALLOC_MAX_RANGES)
		given[ngiven++] = (struct iv){s, e};
}

static void add_arena(u64 start_off, u64 end_off)
{
	add_range((uintptr_t)arena + start_off, (uintptr_t)arena + end_off);
}

/* The model's own reading of page_alloc_init, then the real one. */
static void init_and_check_model(void)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	u64 array_bytes;
	bool placed = false;

	for (unsigned i = 0; i < ngiven; i++) {
		lo = MIN(lo, given[i].start);
		hi = MAX(hi, given[i].end);
	}
	array_bytes = ALIGN_UP((hi - lo) / PAGE_SIZE * sizeof(struct page), PAGE_SIZE);
	nusable = 0;
	model_total = 0;
	for (unsigned i = 0; i < ngiven; i++) {
		struct iv r = given[i];

		if (!placed && r.end - r.start >= array_bytes) {
			model_array = (struct iv){r.end - array_bytes, r.end};
			r.end -= array_bytes;
			placed = true;
		}
		if (r.start < r.end)
			usable[nusable++] = r;
		model_total += (r.end - r.start) / PAGE_SIZE;
	}
	assert_true(placed);

	page_alloc_init();
	struct page_alloc_stats s = page_alloc_get_stats();
	assert_int_equal(s.total_pages, model_total);
	assert_int_equal(s.free_pages, model_total);
	assert_int_equal(host_irq_disabled, 0);
}

static bool in_usable(uintptr_t a, uintptr_t b)
{
	for (unsigned i = 0; i < nusable; i++) {
		if (a >= usable[i].start && b <= usable[i].end)
			return true;
	}
	return false;
}

/* The free blocks a fully free allocator has: the largest aligned ones. */
static void model_fingerprint(unsigned counts[NR_ORDERS])
{
	memset(counts, 0, NR_ORDERS * sizeof(unsigned));
	for (unsigned i = 0; i < nusable; i++) {
		u64 pfn = usable[i].start / PAGE_SIZE, end = usable[i].end / PAGE_SIZE;

		while (pfn < end) {
			unsigned o = MAX_ORDER;

			while (o && (pfn % (1ull << o) || end - pfn < (1ull << o)))
				o--;
			counts[o]++;
			pfn += 1ull << o;
		}
	}
}

/*
 * The allocator's free blocks, read by taking them all largest first (each
 * order's blocks are used up before a smaller order is asked for, so no
 * block is split) and giving them back.
 */
static void real_fingerprint(unsigned counts[NR_ORDERS])
{
	void **held = malloc(model_total * sizeof(void *));
	u8 *orders = malloc(model_total);
	u64 n = 0;
	void *p;

	memset(counts, 0, NR_ORDERS * sizeof(unsigned));
	for (int o = MAX_ORDER; o >= 0; o--) {
		while ((p = alloc_pages((unsigned)o))) {
			assert_true(n < model_total);
			held[n] = p;
			orders[n++] = (u8)o;
			counts[o]++;
		}
	}
	assert_int_equal(page_alloc_get_stats().free_pages, 0);
	for (u64 i = 0; i < n; i++)
		free_pages(held[i], orders[i]);
	assert_int_equal(page_alloc_get_stats().free_pages, model_total);
	free(held);
	free(orders);
}

static void check_fingerprint(void)
{
	unsigned want[NR_ORDERS], got[NR_ORDERS];

	model_fingerprint(want);
	real_fingerprint(got);
	for (unsigned o = 0; o < NR_ORDERS; o++) {
		if (want[o] != got[o])
			fail_msg("order %u: %u free blocks, the model says %u", o, got[o], want[o]);
	}
}

/*
 * The usual layout: unaligned bounds, holes, and a first range too small
 * for the page array, added out of address order.
 */
static void standard_layout(void)
{
	add_arena(MiB(7), MiB(7) + 3 * PAGE_SIZE); /* too small for the array */
	add_arena(MiB(8) + PAGE_SIZE, MiB(40) - 100);
	add_arena(0x1800, MiB(1) + 0x123);
	add_arena(MiB(2), MiB(6));
	add_arena(MiB(44), MiB(64));
	init_and_check_model();
}

static int group_setup(void **state)
{
	arena = aligned_alloc(MiB(4), ARENA_SIZE);
	return arena ? 0 : -1;
}

static int group_teardown(void **state)
{
	free(arena);
	return 0;
}

static int setup(void **state)
{
	page_alloc_reset();
	kmem_reset();
	host_platform_reset();
	host_printk_quiet = true;
	host_irq_disabled = 0;
	ngiven = 0;
	nusable = 0;
	/* Stale contents, so tests can see what is and is not cleared. */
	memset(arena, 0xee, ARENA_SIZE);
	return 0;
}

static int teardown(void **state)
{
	/* Every path must leave interrupts as it found them. */
	assert_int_equal(host_irq_disabled, 0);
	return 0;
}

/* ---- page allocator --------------------------------------------------- */

static void test_page_array_placement(void **state)
{
	standard_layout();
	/* The array went to the end of the first range big enough, the second added. */
	assert_int_equal(model_array.end, (uintptr_t)arena + MiB(40) - PAGE_SIZE);
	for (uintptr_t a = model_array.start; a < model_array.end; a += PAGE_SIZE)
		assert_null(virt_to_page((void *)a));
	assert_non_null(virt_to_page((void *)(model_array.start - PAGE_SIZE)));
	assert_non_null(virt_to_page(arena + MiB(8) + PAGE_SIZE));
	/* The small first range is managed RAM, not skipped. */
	assert_non_null(virt_to_page(arena + MiB(7)));
	assert_non_null(virt_to_page(arena + MiB(7) + 2 * PAGE_SIZE + 17));
	/* Trimmed edges and holes are not. */
	assert_null(virt_to_page(arena + 0x1000));
	assert_non_null(virt_to_page(arena + 0x2000));
	assert_null(virt_to_page(arena + MiB(1) + 0x100)); /* partial last page */
	assert_non_null(virt_to_page(arena + MiB(1) - 1));
	assert_null(virt_to_page(arena + MiB(6)));
	assert_null(virt_to_page(arena + MiB(40) - PAGE_SIZE));
	assert_null(virt_to_page(arena + ARENA_SIZE)); /* past the span */
	assert_null(virt_to_page(&state));	       /* nowhere near it */
	/* page_address undoes virt_to_page. */
	struct page *pg = virt_to_page(arena + MiB(3) + 5);
	assert_ptr_equal(page_address(pg), arena + MiB(3));
	check_fingerprint();
}

static void test_array_not_in_first_range(void **state)
{
	/* A big first range holds the array even when it is not the lowest. */
	add_arena(MiB(32), MiB(64));
	add_arena(MiB(4), MiB(8));
	init_and_check_model();
	assert_int_equal(model_array.end, (uintptr_t)arena + MiB(64));
	assert_null(virt_to_page(arena + MiB(64) - PAGE_SIZE));
	assert_non_null(virt_to_page(arena + MiB(32)));
	assert_non_null(virt_to_page(arena + MiB(4)));
	check_fingerprint();
}

/*
 * A fresh allocator hands out its lowest memory first, page after page,
 * so what a boot allocates lies together (each 2 MiB a guest touches
 * first costs its host a huge-page fault).
 */
static void test_lowest_first(void **state)
{
	u8 *prev = NULL;

	/* Sized so that the array (380 KiB at its end) leaves an aligned top:
	 * every free list's first block is then at the bottom. */
	add_arena(MiB(1) + 5 * PAGE_SIZE, MiB(48) + KiB(380));
	init_and_check_model();
	assert_ptr_equal(model_array.start, arena + MiB(48));
	/* Past the small blocks below the first 4 MiB boundary, into the big ones. */
	for (unsigned i = 0; i < 2000; i++) {
		u8 *p = alloc_pages(0);

		assert_non_null(p);
		if (i == 0)
			assert_ptr_equal(p, arena + MiB(1) + 5 * PAGE_SIZE);
		else
			assert_ptr_equal(p, prev + PAGE_SIZE);
		prev = p;
	}
}

static void test_range_trimming(void **state)
{
	/* Page 0 would be returned as NULL: anything below 4 KiB is dropped. */
	page_alloc_add_range(0, PAGE_SIZE);
	page_alloc_add_range(0, 100);
	/* Empty, reversed, or less than one whole page: ignored. */
	add_arena(MiB(1), MiB(1));
	add_arena(MiB(2), MiB(1));
	add_arena(MiB(3) + 1, MiB(3) + PAGE_SIZE + 1);
	add_arena(MiB(4) + 10, MiB(4) + 20);
	/* If a dropped range had registered, the span would start near 0. */
	add_arena(MiB(16), MiB(20));
	assert_int_equal(ngiven, 1);
	init_and_check_model();
	/* 1024 pages of 32-byte descriptors: an 8-page array. */
	assert_int_equal(sizeof(struct page), 32);
	assert_int_equal(model_total, MiB(4) / PAGE_SIZE - 8);
	check_fingerprint();
}

static void test_too_many_ranges(void **state)
{
	/* 192 KiB in each 256 KiB: the 65th range is dropped with a warning. */
	for (unsigned i = 0; i <= PAGE_ALLOC_MAX_RANGES; i++)
		add_arena(i * KiB(256), i * KiB(256) + KiB(192));
	assert_true(strstr(host_log, "more than 64 RAM ranges") != NULL);
	assert_int_equal(ngiven, PAGE_ALLOC_MAX_RANGES);
	init_and_check_model();
	assert_null(virt_to_page(arena + PAGE_ALLOC_MAX_RANGES * KiB(256)));
	check_fingerprint();
}

static void test_init_errors(void **state)
{
	void *volatile p = NULL; /* read after a longjmp */

	EXPECT_PANIC(p = alloc_pages(0), "before page_alloc_init");
	EXPECT_PANIC(page_alloc_init(), "no usable RAM");

	add_arena(MiB(2), MiB(4));
	EXPECT_PANIC(add_arena(MiB(3), MiB(5)), "overlaps");
	EXPECT_PANIC(add_arena(MiB(1), MiB(2) + PAGE_SIZE), "overlaps");
	add_arena(MiB(1), MiB(2) + 1); /* touches once trimmed: no overlap */
	page_alloc_reset();
	ngiven = 0;

	/* Scattered single pages: none can hold the span's page array. */
	for (unsigned i = 0; i < 16; i++)
		add_arena(i * MiB(4), i * MiB(4) + PAGE_SIZE);
	EXPECT_PANIC(page_alloc_init(), "no RAM range holds the 121-page page array");
	page_alloc_reset();
	ngiven = 0;

	add_arena(MiB(2), MiB(4));
	init_and_check_model();
	EXPECT_PANIC(add_arena(MiB(8), MiB(9)), "after page_alloc_init");
	assert_null(p);
}

static void test_get_order(void **state)
{
	assert_int_equal(get_order(0), 0);
	assert_int_equal(get_order(1), 0);
	assert_int_equal(get_order(PAGE_SIZE), 0);
	assert_int_equal(get_order(PAGE_SIZE + 1), 1);
	assert_int_equal(get_order(2 * PAGE_SIZE), 1);
	assert_int_equal(get_order(2 * PAGE_SIZE + 1), 2);
	assert_int_equal(get_order(MiB(4)), 10);
	assert_int_equal(get_order(MiB(4) + 1), 11);
	assert_int_equal(get_order(SIZE_MAX), 52);
}

/* Takes every page one by one: each exactly once, none outside the model. */
static void test_exhaust_order0(void **state)
{
	static u8 owned[ARENA_PAGES];
	void **held;
	u64 n = 0;
	void *p;

	standard_layout();
	memset(owned, 0, sizeof(owned));
	held = malloc(model_total * sizeof(void *));
	while ((p = alloc_pages(0))) {
		uintptr_t a = (uintptr_t)p;

		assert_true(n < model_total);
		assert_true(IS_ALIGNED(a, PAGE_SIZE));
		assert_true(in_usable(a, a + PAGE_SIZE));
		assert_int_equal(owned[(a - (uintptr_t)arena) / PAGE_SIZE]++, 0);
		held[n++] = p;
	}
	assert_int_equal(n, model_total);
	assert_int_equal(page_alloc_get_stats().free_pages, 0);
	assert_null(alloc_pages(0));
	assert_null(alloc_pages(MAX_ORDER));

	/* Freed in a scrambled order, everything must merge back. */
	for (u64 i = 0; i < n; i++) {
		u64 j = (i * 7919) % n;
		void *t = held[i];
		held[i] = held[j];
		held[j] = t;
	}
	for (u64 i = 0; i < n; i++)
		free_pages(held[i], 0);
	struct page_alloc_stats s = page_alloc_get_stats();
	assert_int_equal(s.free_pages, model_total);
	assert_int_equal(s.allocs, n);
	assert_int_equal(s.frees, n);
	free(held);
	check_fingerprint();
}

static u64 rng_state = 0x243f6a8885a308d3ull;

static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct block {
	u8 *p;
	unsigned order;
	u32 id;
};

static void tag_block(const struct block *b, u8 *owner_map, bool set)
{
	for (u64 i = 0; i < (1ull << b->order); i++) {
		u8 *pg = b->p + i * PAGE_SIZE;
		u64 idx = (u64)(pg - arena) / PAGE_SIZE;
		u64 tag = ((u64)b->id << 16) | i;

		if (set) {
			/* No page may belong to two live blocks. */
			assert_int_equal(owner_map[idx], 0);
			owner_map[idx] = 1;
			memcpy(pg, &tag, sizeof(tag));
			memcpy(pg + PAGE_SIZE - sizeof(tag), &tag, sizeof(tag));
		} else {
			u64 a, z;

			memcpy(&a, pg, sizeof(a));
			memcpy(&z, pg + PAGE_SIZE - sizeof(z), sizeof(z));
			assert_int_equal(a, tag);
			assert_int_equal(z, tag);
			owner_map[idx] = 0;
		}
	}
}

static unsigned random_order(void)
{
	unsigned r = (unsigned)(rnd() % 100);

	if (r < 60)
		return 0;
	if (r < 80)
		return 1 + (unsigned)(rnd() % 2);
	if (r < 95)
		return 3 + (unsigned)(rnd() % 4);
	return 7 + (unsigned)(rnd() % 4);
}

static void test_random_stress(void **state)
{
	enum { SLOTS = 3000, ROUNDS = 150000 };
	static u8 owner_map[ARENA_PAGES];
	static struct block live[SLOTS];
	u64 live_pages = 0, allocs = 0, frees = 0, failures = 0;
	u32 next_id = 1;

	standard_layout();
	memset(owner_map, 0, sizeof(owner_map));
	memset(live, 0, sizeof(live));
	for (unsigned round = 0; round < ROUNDS; round++) {
		struct block *b = &live[rnd() % SLOTS];

		if (b->p) {
			tag_block(b, owner_map, false);
			free_pages(b->p, b->order);
			live_pages -= 1ull << b->order;
			b->p = NULL;
			frees++;
		} else {
			unsigned order = random_order();
			uintptr_t a;

			b->p = alloc_pages(order);
			if (!b->p) {
				failures++;
				continue;
			}
			a = (uintptr_t)b->p;
			b->order = order;
			b->id = next_id++;
			assert_true(IS_ALIGNED(a, PAGE_SIZE << order));
			assert_true(in_usable(a, a + (PAGE_SIZE << order)));
			tag_block(b, owner_map, true);
			live_pages += 1ull << order;
			allocs++;
		}
		if (round % 64 == 0) {
			struct page_alloc_stats s = page_alloc_get_stats();
			assert_int_equal(s.free_pages, model_total - live_pages);
			assert_int_equal(s.allocs, allocs);
			assert_int_equal(s.frees, frees);
			assert_int_equal(host_irq_disabled, 0);
		}
	}
	/* Live blocks average ~30 pages, so memory also ran out, often. */
	assert_true(allocs > ROUNDS / 3);
	assert_true(failures > 100);
	for (unsigned i = 0; i < SLOTS; i++) {
		if (live[i].p) {
			tag_block(&live[i], owner_map, false);
			free_pages(live[i].p, live[i].order);
		}
	}
	assert_int_equal(page_alloc_get_stats().free_pages, model_total);
	check_fingerprint();
	print_message("      %llu allocs, %llu frees, %llu failed allocs\n",
		      (unsigned long long)allocs, (unsigned long long)frees,
		      (unsigned long long)failures);
}

static void test_free_pages_errors(void **state)
{
	u8 *p, *q;
	int on_stack;

	standard_layout();
	p = alloc_pages(2);
	q = alloc_pages(0);
	assert_non_null(p);
	assert_non_null(q);

	EXPECT_PANIC(free_pages(p, 1), "allocated with order 2");
	EXPECT_PANIC(free_pages(p, MAX_ORDER + 1), "no such order");
	EXPECT_PANIC(free_pages(p + PAGE_SIZE, 0), "not an allocated block");
	EXPECT_PANIC(free_pages(p + PAGE_SIZE, 1), "not the start of an order-1 block");
	EXPECT_PANIC(free_pages(p + 8, 0), "not the start");
	EXPECT_PANIC(free_pages(arena + MiB(6) + PAGE_SIZE, 0), "not managed RAM"); /* hole */
	EXPECT_PANIC(free_pages((void *)model_array.start, 0), "not managed RAM");
	EXPECT_PANIC(free_pages(&on_stack, 0), "not managed RAM");
	/* Never-allocated free memory: the first page of the last range. */
	EXPECT_PANIC(free_pages(arena + MiB(60), 0), ", 0): double free");

	free_pages(q, 0);
	EXPECT_PANIC(free_pages(q, 0), "double free");
	free_pages(p, 2);
	EXPECT_PANIC(free_pages(p, 2), "double free");
	free_pages(NULL, 3); /* like kfree(NULL) */
	assert_null(alloc_pages(MAX_ORDER + 1));

	/* None of the caught frees changed anything. */
	struct page_alloc_stats s = page_alloc_get_stats();
	assert_int_equal(s.frees, 2);
	assert_int_equal(s.free_pages, model_total);
	check_fingerprint();
}

/* ---- kmalloc ---------------------------------------------------------- */

static size_t class_of(size_t size)
{
	size_t c = 16;

	if (size > PAGE_SIZE)
		return PAGE_SIZE << get_order(size);
	while (c < size)
		c <<= 1;
	return c;
}

static void single_range(void)
{
	add_arena(0, ARENA_SIZE);
	init_and_check_model();
}

static void assert_kmem_idle(u64 max_slab_pages)
{
	struct kmem_stats k = kmem_get_stats();

	assert_int_equal(k.live_objects, 0);
	assert_int_equal(k.live_bytes, 0);
	assert_int_equal(k.allocs, k.frees);
	/* The CPU's cached objects back on their slabs: then the slabs' pages go back. */
	kmem_drain_cpu();
	k = kmem_get_stats();
	assert_true(k.slab_pages <= max_slab_pages);
	/* Whatever the classes still cache is all the page allocator is missing. */
	assert_int_equal(page_alloc_get_stats().free_pages, model_total - k.slab_pages);
}

static void test_size_classes(void **state)
{
	single_range();
	for (size_t size = 0; size <= 3 * PAGE_SIZE; size += size < 300 ? 1 : 61) {
		u8 *p = kmalloc(size);
		size_t c = class_of(size);
		uintptr_t a = (uintptr_t)p;

		assert_non_null(p);
		assert_int_equal(ksize(p), c);
		assert_true(IS_ALIGNED(a, MIN(c, PAGE_SIZE)));
		assert_true(in_usable(a, a + c));
		if (c <= PAGE_SIZE)
			assert_true(a / PAGE_SIZE == (a + c - 1) / PAGE_SIZE);
		memset(p, 0x11, size);
		kfree(p);
	}
	assert_int_equal(ksize(kmalloc(MiB(4))), MiB(4));
	assert_null(kmalloc(MiB(4) + 1)); /* beyond the largest buddy block */
	assert_null(kmalloc(SIZE_MAX));
	kfree(NULL);
	/* The 4 MiB block is still live. */
	assert_int_equal(kmem_get_stats().live_objects, 1);
	assert_int_equal(kmem_get_stats().live_bytes, MiB(4));
}

static void test_kzalloc_clears(void **state)
{
	single_range();
	for (size_t size = 1; size <= 3 * PAGE_SIZE; size = size * 3 + 1) {
		u8 *p = kmalloc(size), *q;

		memset(p, 0xff, size);
		kfree(p);
		q = kzalloc(size);
		/* A size class hands the same memory back; a buddy block may not. */
		if (size <= PAGE_SIZE)
			assert_ptr_equal(q, p);
		for (size_t i = 0; i < size; i++)
			assert_int_equal(q[i], 0); /* ...cleared */
		kfree(q);
	}
	assert_kmem_idle(9);
}

/*
 * kmalloc takes the first free object of the first slab with one, and kfree
 * puts an object at the head: the object just freed is the next one given,
 * even with many slabs full around it.
 */
static void test_reuse_is_lifo(void **state)
{
	enum { N = 16 * 20 }; /* 20 full pages of 256-byte objects */
	static void *obj[N];
	u64 page_allocs;

	single_range();
	for (unsigned i = 0; i < N; i++)
		obj[i] = kmalloc(256);
	assert_int_equal(kmem_get_stats().slab_pages, 20);
	/* Full slabs need no new page: each new object came from the last one. */
	for (unsigned i = 1; i < N; i++) {
		if (i % 16)
			assert_ptr_equal((u8 *)obj[i], (u8 *)obj[i - 1] + 256);
	}
	page_allocs = page_alloc_get_stats().allocs;
	for (unsigned i = 5; i < N; i += 37) {
		void *p = obj[i];

		kfree(p);
		obj[i] = kmalloc(200);
		assert_ptr_equal(obj[i], p);
	}
	assert_int_equal(page_alloc_get_stats().allocs, page_allocs);
	for (unsigned i = 0; i < N; i++)
		kfree(obj[i]);
	/* Emptied slabs went back; one is cached for the class. */
	assert_kmem_idle(1);
	assert_int_equal(kmem_get_stats().slab_pages, 1);
	/* The cached page is used before a new one is taken. */
	page_allocs = page_alloc_get_stats().allocs;
	for (unsigned i = 0; i < 16; i++)
		obj[i] = kmalloc(129);
	assert_int_equal(page_alloc_get_stats().allocs, page_allocs);
	for (unsigned i = 0; i < 16; i++)
		kfree(obj[i]);
	assert_kmem_idle(1);
}

struct obj {
	u8 *p;
	size_t size;
	u8 fill;
};

static size_t random_size(void)
{
	switch (rnd() % 10) {
	case 0:
		return (size_t)(rnd() % (5 * PAGE_SIZE)) + 1;
	case 1:
		return (size_t)(rnd() % 64);
	case 2:
		return (size_t)16 << (rnd() % 9); /* exact class sizes */
	default:
		return (size_t)(rnd() % 600) + 1;
	}
}

static void check_fill(const struct obj *o)
{
	for (size_t i = 0; i < o->size; i++) {
		if (o->p[i] != o->fill)
			fail_msg("object %p (%zu bytes): byte %zu is %#x, not %#x; overlap?",
				 (void *)o->p, o->size, i, o->p[i], o->fill);
	}
}

static void test_kmalloc_stress(void **state)
{
	enum { SLOTS = 2500, ROUNDS = 120000 };
	static struct obj live[SLOTS];
	u64 nlive = 0, bytes = 0;

	single_range();
	memset(live, 0, sizeof(live));
	for (unsigned round = 0; round < ROUNDS; round++) {
		struct obj *o = &live[rnd() % SLOTS];

		if (o->p) {
			check_fill(o);
			kfree(o->p);
			bytes -= class_of(o->size);
			nlive--;
			o->p = NULL;
		} else {
			uintptr_t a;
			size_t c;

			o->size = random_size();
			o->fill = (u8)(round * 31 + 7);
			o->p = kmalloc(o->size);
			assert_non_null(o->p);
			a = (uintptr_t)o->p;
			c = class_of(o->size);
			assert_int_equal(ksize(o->p), c);
			assert_true(IS_ALIGNED(a, MIN(c, PAGE_SIZE)));
			assert_true(in_usable(a, a + c));
			if (c <= PAGE_SIZE)
				assert_true(a / PAGE_SIZE == (a + c - 1) / PAGE_SIZE);
			memset(o->p, o->fill, o->size);
			bytes += c;
			nlive++;
		}
		if (round % 128 == 0) {
			struct kmem_stats k = kmem_get_stats();
			assert_int_equal(k.live_objects, nlive);
			assert_int_equal(k.live_bytes, bytes);
			assert_int_equal(host_irq_disabled, 0);
		}
	}
	for (unsigned i = 0; i < SLOTS; i++) {
		if (live[i].p) {
			check_fill(&live[i]);
			kfree(live[i].p);
		}
	}
	/* At most one cached empty slab per class is left. */
	assert_kmem_idle(9);
	kmem_print_stats();
	assert_true(strstr(host_log, "kmem: ") != NULL);
}

static void test_kmalloc_exhaustion(void **state)
{
	void **held;
	u64 n = 0;
	void *p;

	single_range();
	held = malloc(model_total * 2 * sizeof(void *));
	while ((p = kmalloc(2048)))
		held[n++] = p;
	/* Two per page, and every page became a slab. */
	assert_int_equal(n, model_total * 2);
	assert_null(kmalloc(16));
	assert_null(kmalloc(PAGE_SIZE * 2));
	assert_null(dma_alloc(64, 64, NULL));
	for (u64 i = 0; i < n; i++)
		kfree(held[i]);
	free(held);
	assert_kmem_idle(1);
	/* Recovered: the largest block is available again. */
	p = kmalloc(MiB(4));
	assert_non_null(p);
	kfree(p);
	assert_kmem_idle(1);
}

static void test_kfree_errors(void **state)
{
	u8 *small, *big, *pages;
	int on_stack;
	u8 saved[16];

	single_range();
	small = kmalloc(64);
	big = kmalloc(3 * PAGE_SIZE);
	pages = alloc_pages(0);

	EXPECT_PANIC(kfree(small + 16), "not the start of a 64-byte object");
	EXPECT_PANIC(kfree(small + 1), "not the start");
	EXPECT_PANIC(kfree(big + PAGE_SIZE), "not a live kmalloc pointer");
	EXPECT_PANIC(kfree(big + 16), "not a live kmalloc pointer");
	EXPECT_PANIC(kfree(pages), "not a live kmalloc pointer");
	EXPECT_PANIC(kfree(&on_stack), "not a live kmalloc pointer");
	EXPECT_PANIC(kfree((void *)model_array.start), "not a live kmalloc pointer");
	EXPECT_PANIC(free_pages(big, 2), "owned by kmalloc");
	EXPECT_PANIC(free_pages(small - ((uintptr_t)small % PAGE_SIZE), 0), "owned by kmalloc");
	EXPECT_PANIC(dma_free(small, 65), "only 64 bytes");
	EXPECT_PANIC(dma_free(big, 4 * PAGE_SIZE + 1), "only 16384 bytes");

	kfree(small);
	EXPECT_PANIC(kfree(small), "double free of a 64-byte object");
	kfree(big);
	EXPECT_PANIC(kfree(big), "not a live kmalloc pointer");
	EXPECT_PANIC(ksize(big), "not a live kmalloc pointer");
	free_pages(pages, 0);

	/* A write into a freed object is caught when the object is reused. */
	small = kmalloc(32);
	kfree(small);
	memcpy(saved, small, sizeof(saved));
	memset(small, 0, 16);
	EXPECT_PANIC(small = kmalloc(32), "written after kfree");
	memcpy(small, saved, sizeof(saved));
	assert_ptr_equal(kmalloc(32), small);
	kfree(small);
	/* So is one that redirects the free list out of its page. */
	small = kmalloc(32);
	void *next = kmalloc(32);
	kfree(next);
	kfree(small);
	memcpy(saved, small, sizeof(saved));
	*(void **)small = arena + MiB(32); /* a "next" in another page */
	EXPECT_PANIC(small = kmalloc(32), "written after kfree");
	memcpy(small, saved, sizeof(saved));

	assert_kmem_idle(2);
}

/* ---- dma_alloc -------------------------------------------------------- */

static void test_dma_alloc(void **state)
{
	static const struct {
		size_t size, align;
	} cases[] = {
		{1, 0},	      {16, 16},	     {16, 4096},  {100, 64},	  {100, 4096},	{512, 512},
		{700, 8},     {3000, 2048},  {4095, 1},	  {4096, 4096},	  {4097, 4096}, {5000, 64},
		{8192, 8192}, {8192, 32768}, {64, 65536}, {MiB(1), 4096}, {0, 64},
	};
	struct {
		u8 *p;
		size_t size;
	} held[ARRAY_SIZE(cases)];

	single_range();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t size = cases[i].size, align = cases[i].align;
		size_t need = MAX(size, align ? align : 1);
		phys_addr_t phys = 0;
		u8 *p = dma_alloc(size, align, &phys);
		uintptr_t a = (uintptr_t)p;

		assert_non_null(p);
		assert_int_equal(phys, a); /* identity map */
		assert_true(ksize(p) >= need);
		if (align)
			assert_true(IS_ALIGNED(a, align));
		if (size >= PAGE_SIZE)
			assert_true(IS_ALIGNED(a, PAGE_SIZE));
		/* A sub-page buffer must not straddle pages: one physical run. */
		if (need <= PAGE_SIZE)
			assert_true(a / PAGE_SIZE == (a + need - 1) / PAGE_SIZE);
		for (size_t j = 0; j < size; j++)
			assert_int_equal(p[j], 0); /* the arena was 0xee */
		memset(p, 0xab, size);
		held[i].p = p;
		held[i].size = size;
	}
	/* DMA memory is counted with kmalloc's, so boot tests see its leaks. */
	assert_int_equal(kmem_get_stats().live_objects, ARRAY_SIZE(cases));
	void *nophys = dma_alloc(32, 32, NULL); /* phys is optional */
	assert_non_null(nophys);
	dma_free(nophys, 32);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		dma_free(held[i].p, held[i].size);
	dma_free(NULL, 100);
	assert_kmem_idle(9);
}

/*
 * Each CPU keeps free objects of its own: what one CPU frees it reuses
 * first, another CPU's frees do not reach it, the counters follow calls
 * whichever CPU makes them, and a CPU's cache gives back its older half to
 * the slabs once full (so memory freed on a CPU that no longer allocates
 * is not all held there).
 */
static void test_cpu_caches(void **state)
{
	enum { N = 40 };
	void *a[N], *b, *c;
	u64 page_allocs;

	single_range();
	host_nr_cpus = 2;
	host_cpu = 0;
	for (unsigned i = 0; i < N; i++)
		a[i] = kmalloc(64);
	host_cpu = 1;
	b = kmalloc(64);
	/* CPU 1 took its own batch: not one of CPU 0's objects. */
	for (unsigned i = 0; i < N; i++)
		assert_ptr_not_equal(b, a[i]);
	kfree(a[7]); /* freed on CPU 1: its cache, not CPU 0's */
	assert_ptr_equal(kmalloc(64), a[7]);
	host_cpu = 0;
	kfree(a[3]);
	c = kmalloc(64);
	assert_ptr_equal(c, a[3]);
	assert_int_equal(kmem_get_stats().live_objects, N + 1);
	/* Counted where called: allocated on one CPU, freed on the other. */
	host_cpu = 1;
	for (unsigned i = 0; i < N; i++)
		kfree(a[i]);
	kfree(b);
	assert_int_equal(kmem_get_stats().live_objects, 0);
	assert_int_equal(kmem_get_stats().allocs, kmem_get_stats().frees);
	/* An object in a CPU's cache is still known to be free. */
	EXPECT_PANIC(kfree(a[10]), "double free of a 64-byte object");
	page_allocs = page_alloc_get_stats().allocs;
	kmem_drain_cpu();
	host_cpu = 0;
	kmem_drain_cpu();
	assert_int_equal(page_alloc_get_stats().allocs, page_allocs);
	assert_int_equal(kmem_get_stats().slab_pages, 1);
	assert_kmem_idle(1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_page_array_placement),
		T(test_array_not_in_first_range),
		T(test_lowest_first),
		T(test_range_trimming),
		T(test_too_many_ranges),
		T(test_init_errors),
		T(test_get_order),
		T(test_exhaust_order0),
		T(test_random_stress),
		T(test_free_pages_errors),
		T(test_size_classes),
		T(test_kzalloc_clears),
		T(test_reuse_is_lifo),
		T(test_kmalloc_stress),
		T(test_kmalloc_exhaustion),
		T(test_kfree_errors),
		T(test_dma_alloc),
		T(test_cpu_caches),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
