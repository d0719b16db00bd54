/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: random_distribution=zoned and zoned_abs (bench/zones.c),
 * the user's input: any bytes after either prefix, every direction. The
 * parser must say no (the first reason kept) or give at most 256 zones
 * whose I/O percentages add up to 100, relative sizes of at most 100 in
 * all, and room for every zone that takes I/O.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bench/job.h"
#include "kernel/errno.h"
#include "tests/unit/host_platform.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

static int fails;

/* The kernel's kernel_fail (kernel/exit.c): an error code, the reason counted. */
int kernel_fail(const char *fmt, ...)
{
	(void)fmt;
	fails++;
	return -EIO;
}

static struct job_zone zones[JOB_ZONES_MAX];

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	char *text;

	if (!size)
		return 0;
	/* The first byte picks the prefix; the rest is the value after it. */
	text = malloc(size + 16);
	if (!text)
		return 0;
	strcpy(text, data[0] & 1 ? "zoned_abs:" : "zoned:");
	memcpy(text + strlen(text), data + 1, size - 1);
	text[strlen(data[0] & 1 ? "zoned_abs:" : "zoned:") + size - 1] = '\0';
	for (unsigned d = 0; d < DDIR_NR; d++) {
		unsigned nr = ~0u, access = 0;
		u64 sizes = 0;
		int before = fails, err = job_zones_parse(text, (enum ddir)d, zones, &nr);

		if (err) {
			CHECK(err == -EIO && fails == before + 1);
			continue;
		}
		CHECK(fails == before && nr <= JOB_ZONES_MAX);
		for (unsigned i = 0; i < nr; i++) {
			access += zones[i].access;
			CHECK(zones[i].size || !zones[i].access);
			CHECK(sizes + zones[i].size >= sizes);
			sizes += zones[i].size;
		}
		CHECK(nr == 0 || access == 100);
		CHECK(data[0] & 1 || sizes <= 100);
	}
	free(text);
	return 0;
}
