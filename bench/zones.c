/* SPDX-License-Identifier: MIT */
/*
 * fio's zoned random distributions, as written in random_distribution=
 * (bench/dist.c draws from them; bench/job.c checks them when it parses
 * the job).
 */
#include "bench/job.h"
#include "kernel/cmdline.h"
#include "kernel/kernel.h"
#include "kernel/platform.h"
#include "kernel/string.h"

/* Errors show at most this much of a value (256 zones are some 2 KB). */
#define SHOWN 64
#define SHOW(v) (int)MIN(strlen(v), (size_t)SHOWN), (v), strlen(v) > SHOWN ? "..." : ""

/*
 * random_distribution=zoned:A/S:A/S... (S percent of the region) or
 * zoned_abs:A/SIZE:A/SIZE..., with a list per direction if need be
 * (READ,WRITE,TRIM: directions past the last list take it, an empty list
 * leaves its direction uniform): A percent of the direction's random I/Os
 * go to the zone of S percent (or SIZE bytes) that follows the zones
 * before it. As fio's zone_split_ddir checks: the accesses add up to
 * exactly 100 and the relative sizes to at most 100; sizes left out (or 0)
 * share what is left in whole percent, as fio divides it. Two departures:
 * fio makes a lone zone without a size 0 % of the region (every I/O at its
 * first block), here it is the whole region; and a zone that takes I/O
 * needs room, where fio would send its share to one block.
 *
 * Parses direction @d's list of @v into @z (room for JOB_ZONES_MAX) and
 * sets *@nr; 0, or kernel_fail's error naming the key.
 */
int job_zones_parse(const char *v, enum ddir d, struct job_zone *z, unsigned *nr)
{
	bool abs = !strncmp(v, "zoned_abs:", 10);
	const char *list = v + (abs ? 10 : 6), *end, *c;
	unsigned lists = 1, access = 0, blanks = 0, n = 0;
	u64 sizes = 0;

	for (c = list; (c = strchr(c, ',')); c++)
		lists++;
	if (lists > DDIR_NR)
		return kernel_fail(
			"random_distribution=%.*s%s: at most three lists (read,write,trim)",
			SHOW(v));
	for (unsigned i = 0; i < MIN((unsigned)d, lists - 1); i++)
		list = strchr(list, ',') + 1;
	end = strchr(list, ',');
	if (!end)
		end = list + strlen(list);
	*nr = 0;
	for (const char *item = list; item < end;) {
		const char *colon = memchr(item, ':', (size_t)(end - item));
		size_t len = (colon ? colon : end) - item;
		char buf[48], *slash;
		u64 a, sz = 0;

		if (!len || len >= sizeof(buf))
			return kernel_fail("random_distribution=%.*s%s: zone %u is %s", SHOW(v),
					   n + 1, len ? "too long" : "empty");
		if (n == JOB_ZONES_MAX)
			return kernel_fail("random_distribution=%.*s%s: at most %d zones per "
					   "direction",
					   SHOW(v), JOB_ZONES_MAX);
		memcpy(buf, item, len);
		buf[len] = '\0';
		slash = strchr(buf, '/');
		if (slash)
			*slash++ = '\0';
		if (parse_u64(buf, &a) || a > 100)
			return kernel_fail("random_distribution=%.*s%s: zone %u: '%s' is not a "
					   "percentage of the I/Os",
					   SHOW(v), n + 1, buf);
		if (abs && ((slash && parse_size(slash, &sz)) || (!sz && a)))
			return kernel_fail("random_distribution=%.*s%s: zone %u: zoned_abs needs "
					   "the zone's size, such as 60/20G",
					   SHOW(v), n + 1);
		if (!abs && slash && (parse_u64(slash, &sz) || sz > 100))
			return kernel_fail("random_distribution=%.*s%s: zone %u: '%s' is not a "
					   "percentage of the region",
					   SHOW(v), n + 1, slash);
		if (abs && sz > ~0ull - sizes)
			return kernel_fail("random_distribution=%.*s%s: the zones' sizes overflow",
					   SHOW(v));
		blanks += !abs && !sz;
		sizes += sz;
		access += (u32)a;
		z[n].access = (u32)a;
		z[n].size = sz;
		n++;
		item = colon ? colon + 1 : end;
		if (colon && item == end)
			return kernel_fail("random_distribution=%.*s%s: zone %u is empty", SHOW(v),
					   n + 1);
	}
	if (!n)
		return 0;
	if (access != 100)
		return kernel_fail("random_distribution=%.*s%s: the zones' I/O percentages add up "
				   "to %u, not 100",
				   SHOW(v), access);
	if (!abs && sizes > 100)
		return kernel_fail("random_distribution=%.*s%s: the zones' sizes add up to %lu%%, "
				   "more than the region",
				   SHOW(v), sizes);
	for (unsigned i = 0; i < n; i++) {
		if (!z[i].size && blanks)
			z[i].size = n == 1 ? 100 : (100 - sizes) / blanks;
		if (!z[i].size && z[i].access)
			return kernel_fail("random_distribution=%.*s%s: zone %u takes %u%% of the "
					   "I/Os but none of the region",
					   SHOW(v), i + 1, z[i].access);
	}
	*nr = n;
	return 0;
}

unsigned job_zones(const struct job_spec *s, enum ddir d, struct job_zone *z)
{
	unsigned nr = 0;

	if ((s->dist == DIST_ZONED || s->dist == DIST_ZONED_ABS) &&
	    job_zones_parse(s->zones, d, z, &nr))
		BUG(); /* job_parse took the value */
	return nr;
}
