/* SPDX-License-Identifier: MIT */
#include "kernel/interrupt.h"
#include "kernel/platform.h"
#include "kernel/profile.h"
#include "kernel/time.h"

#define PROFILE_SHIFT 4 /* one bucket per 16 bytes of code */

extern char __kernel_start[], __text_end[];
bool profiling;
/*
 * Allocated when profiling starts, for the kernel's code only: as static
 * arrays sized for 2 MiB of code they were half of .bss, which the entry
 * code zeroes on every boot.
 */
static u32 *buckets;
static bool *taken;
static u64 nr_buckets;
static u64 samples, outside;

__noinline void profile_window_begin(void)
{
	barrier();
}

__noinline void profile_window_end(void)
{
	barrier();
}

void profile_hit(u64 rip)
{
	u64 off = rip - (u64)(uintptr_t)__kernel_start;

	samples++;
	if (off >> PROFILE_SHIFT < nr_buckets)
		buckets[off >> PROFILE_SHIFT]++;
	else
		outside++;
}

int profile_start(u32 hz)
{
	u64 n = ((u64)(uintptr_t)__text_end - (u64)(uintptr_t)__kernel_start + (1u << PROFILE_SHIFT) -
		 1) >> PROFILE_SHIFT;

	if (hz < HZ || hz > 20000) {
		pr_err("profile=%u: expected %d..20000 samples a second", hz, HZ);
		return -EINVAL;
	}
	buckets = kzalloc(n * sizeof(*buckets));
	taken = kzalloc(n * sizeof(*taken));
	if (!buckets || !taken) {
		pr_err("profile=%u: no memory for %lu buckets", hz, n);
		kfree(buckets);
		kfree(taken);
		buckets = NULL;
		taken = NULL;
		return -ENOMEM;
	}
	nr_buckets = n;
	timer_set_rate(hz);
	profiling = true;
	return 0;
}

/* Print the @top fullest buckets (a selection, not a sort: top is small). */
void profile_report(unsigned top)
{
	printk("PROFILE: %lu samples, %lu outside the kernel image\n", samples, outside);
	for (unsigned n = 0; n < top; n++) {
		u32 best = 0;
		u64 at = 0;
		for (u64 b = 0; b < nr_buckets; b++) {
			if (!taken[b] && buckets[b] > best) {
				best = buckets[b];
				at = b;
			}
		}
		if (!best)
			break;
		taken[at] = true;
		printk("PROFILE %#lx %u\n", (u64)(uintptr_t)__kernel_start + (at << PROFILE_SHIFT),
		       best);
	}
}
