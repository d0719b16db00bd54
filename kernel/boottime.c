// SPDX-License-Identifier: MIT
/* Boot phase times (include/kernel/boottime.h). */
#include "kernel/boottime.h"
#include "kernel/cpu.h"
#include "kernel/platform.h"
#include "kernel/time.h"

#define BOOT_PHASES_MAX 48

static struct {
	const char *name;
	u64 tsc;
} phases[BOOT_PHASES_MAX];
static unsigned nr_phases;

void boot_phase(const char *name)
{
	if (nr_phases < BOOT_PHASES_MAX) {
		phases[nr_phases].name = name;
		phases[nr_phases].tsc = rdtsc();
		nr_phases++;
	}
}

void boot_phases_print(const char *prefix)
{
	char line[1024];
	size_t len;
	u64 prev = boot_tsc;

	len = (size_t)ksnprintf(line, sizeof(line), "%s", prefix);
	for (unsigned i = 0; i < nr_phases && len < sizeof(line); i++) {
		len += (size_t)ksnprintf(line + len, sizeof(line) - len, "%s%s %lu", i ? ", " : "",
					 phases[i].name,
					 cycles_to_ns(phases[i].tsc - prev) / NSEC_PER_USEC);
		prev = phases[i].tsc;
	}
	printk("%s\n", line);
}
