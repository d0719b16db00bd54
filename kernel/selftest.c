/* SPDX-License-Identifier: MIT */
/*
 * Self tests selected with test=NAME, for the boot-and-assert suite: each
 * one exercises a foundation piece and prints lines the runner checks.
 * divide, pagefault, ud, assert and panic must end the run with a failure
 * report; the others must pass.
 */
#include "kernel/cmdline.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "kernel/time.h"

static int test_boot(struct cmdline *cl)
{
	return 0;
}

static int test_divide(struct cmdline *cl)
{
	volatile int zero = 0;
	/* cppcheck-suppress zerodiv ; the fault is the point of this test */
	volatile int x = 42 / zero;
	return x;
}

static int test_pagefault(struct cmdline *cl)
{
	/* Canonical but far outside the identity map. */
	volatile u64 *p = (volatile u64 *)(uintptr_t)0x00007fffdead0000ull;
	return (int)*p;
}

static int test_ud(struct cmdline *cl)
{
	__asm__ __volatile__("ud2");
	return 0;
}

static int test_assert(struct cmdline *cl)
{
	volatile int broken_invariant = 1;
	BUG_ON(broken_invariant);
	return 0;
}

static int test_panic(struct cmdline *cl)
{
	panic("self test asked for a panic");
}

static volatile bool timer_fired;

static void timer_test_fn(struct timer_list *t)
{
	timer_fired = true;
}

/*
 * Sleep on a timer_list timer, halting in between, and report the elapsed
 * TSC time; the runner compares it with the host's clock.
 */
static int test_timer(struct cmdline *cl)
{
	const char *v = cmdline_get(cl, 0, "timer_ms");
	struct timer_list t;
	u64 ms = 1000, start, elapsed, j0;

	if (v && (parse_u64(v, &ms) || ms == 0 || ms > 600000))
		return kernel_fail("timer_ms=%s: expected 1..600000", v);
	timer_setup(&t, timer_test_fn);
	j0 = jiffies_read();
	printk("TIMER: start ms=%lu\n", ms);
	start = ktime_get_ns();
	mod_timer(&t, start + ms * NSEC_PER_MSEC);
	wait_until(timer_fired);
	elapsed = ktime_get_ns() - start;
	printk("TIMER: end elapsed_ms=%lu ticks=%lu idle_ms=%lu\n", elapsed / NSEC_PER_MSEC,
	       jiffies_read() - j0, idle_ns_total() / NSEC_PER_MSEC);
	if (elapsed < ms * NSEC_PER_MSEC)
		return kernel_fail("timer fired early: %lu ns < %lu ms", elapsed, ms);
	return 0;
}

/*
 * Allocate and free many objects of mixed sizes in a random order and check
 * that the allocators' counters return exactly to where they started.
 */
static int test_alloc(struct cmdline *cl)
{
	enum { SLOTS = 4096, ROUNDS = 200000 };
	struct kmem_stats k0, k1;
	struct page_alloc_stats p0, p1;
	void **slot = kzalloc(SLOTS * sizeof(void *));
	u64 rng = 0x9e3779b97f4a7c15ull, peak = 0, live = 0;

	if (!slot)
		return kernel_fail("alloc: cannot allocate the slot table");
	k0 = kmem_get_stats();
	p0 = page_alloc_get_stats();
	for (unsigned i = 0; i < ROUNDS; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		unsigned s = rng % SLOTS;
		if (slot[s]) {
			kfree(slot[s]);
			slot[s] = NULL;
			live--;
		} else {
			size_t size = (rng >> 20) % 5 == 0 ? (rng >> 32) % 20000 + 1
							   : (rng >> 32) % 600 + 1;
			slot[s] = kmalloc(size);
			if (!slot[s])
				return kernel_fail("alloc: kmalloc(%zu) failed at round %u", size,
						   i);
			((u8 *)slot[s])[0] = 0xa5;
			((u8 *)slot[s])[size - 1] = 0x5a;
			if (++live > peak)
				peak = live;
		}
	}
	for (unsigned s = 0; s < SLOTS; s++)
		kfree(slot[s]);
	k1 = kmem_get_stats();
	p1 = page_alloc_get_stats();
	long leaked = (long)k1.live_objects - (long)k0.live_objects;
	printk("ALLOC: rounds=%u peak_live=%lu objects_before=%lu objects_after=%lu "
	       "free_pages_before=%lu free_pages_after=%lu leaked=%ld\n",
	       ROUNDS, peak, k0.live_objects, k1.live_objects, p0.free_pages, p1.free_pages,
	       leaked);
	kfree(slot);
	if (leaked)
		return kernel_fail("alloc: %ld objects leaked", leaked);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct cmdline *cl);
} selftests[] = {
	{"boot", test_boot},   {"divide", test_divide}, {"pagefault", test_pagefault},
	{"ud", test_ud},       {"assert", test_assert}, {"panic", test_panic},
	{"timer", test_timer}, {"alloc", test_alloc},
};

bool selftest_known(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(selftests); i++)
		if (!strcmp(selftests[i].name, name))
			return true;
	return false;
}

int selftest_run(const char *name, struct cmdline *cl)
{
	for (size_t i = 0; i < ARRAY_SIZE(selftests); i++)
		if (!strcmp(selftests[i].name, name))
			return selftests[i].fn(cl);
	return kernel_fail("unknown self test '%s'", name);
}
