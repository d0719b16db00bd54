/* SPDX-License-Identifier: MIT */
#include "kernel/interrupt.h"
#include "kernel/platform.h"
#include "kernel/profile.h"
#include "kernel/time.h"

#define PROFILE_SHIFT 4 /* one bucket per 16 bytes of code */
#define PROFILE_BUCKETS (MiB(2) >> PROFILE_SHIFT)

extern char __kernel_start[];
bool profiling;
static u32 buckets[PROFILE_BUCKETS];
static u64 samples, outside;

void profile_hit(u64 rip)
{
	u64 off = rip - (u64)(uintptr_t)__kernel_start;

	samples++;
	if (off >> PROFILE_SHIFT < PROFILE_BUCKETS)
		buckets[off >> PROFILE_SHIFT]++;
	else
		outside++;
}

int profile_start(u32 hz)
{
	if (hz < HZ || hz > 20000) {
		pr_err("profile=%u: expected %d..20000 samples a second", hz, HZ);
		return -EINVAL;
	}
	timer_set_rate(hz);
	profiling = true;
	return 0;
}

/* Print the @top fullest buckets (a selection, not a sort: top is small). */
void profile_report(unsigned top)
{
	static bool taken[PROFILE_BUCKETS];

	printk("PROFILE: %lu samples, %lu outside the kernel image\n", samples, outside);
	for (unsigned n = 0; n < top; n++) {
		u32 best = 0;
		u64 at = 0;
		for (u64 b = 0; b < PROFILE_BUCKETS; b++) {
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
