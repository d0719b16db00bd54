/* SPDX-License-Identifier: MIT */
/*
 * The kernel command line, parsed once into groups of key=value parameters.
 *
 *   BOOT_IMAGE=/boot/kernel.elf vda.path=bio rw=write bs=4k -- rw=read bs=4k
 *
 * Tokens are separated by spaces, tabs and line ends. A token is "key=value" or a bare
 * "key" (value ""); double quotes in a value group words ("a b") and are
 * removed. A lone "--" or "++" ends one group (a job) and starts the next;
 * the group remembers which separator started it (the job engine runs a job
 * after a "--" once the ones before it have ended, and a job after a "++"
 * beside the one before it). Empty groups are dropped, so a separator at
 * either end or twice in a row adds nothing (a "--" among them wins). Group
 * numbers count from 0; messages call group g "job g+1".
 *
 * Every parameter has a "used" flag that cmdline_get() sets, so that after
 * everyone has taken their keys cmdline_report_unused() can name each key
 * nobody knew, typos included.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include "kernel/types.h"

/*
 * Sizes. QEMU hands a PVH kernel at most about 4 KiB through -append (see
 * kernel/bootinfo.c); longer lines come through fw_cfg (opt/vblk/cmdline),
 * which is why the text may be much longer than a boot loader's line.
 */
#define CMDLINE_MAX_TEXT 65536 /* bytes, including the terminating NUL */
#define CMDLINE_MAX_PARAMS 4096
#define CMDLINE_MAX_GROUPS 256

/* What started a group: nothing (the first), "--" or "++". */
enum cmdline_sep { CMDLINE_SEP_NONE, CMDLINE_SEP_PARALLEL, CMDLINE_SEP_SERIAL };

struct cmdline_param {
	const char *key;
	const char *value; /* "" for a bare key */
	bool used;
};

struct cmdline {
	/* The parsed text: each key and value NUL-terminated, quotes removed. */
	char text[CMDLINE_MAX_TEXT];
	struct cmdline_param params[CMDLINE_MAX_PARAMS];
	unsigned nparams;
	unsigned ngroups;
	/* Group g holds params[group_start[g] .. group_start[g + 1]). */
	unsigned group_start[CMDLINE_MAX_GROUPS + 1];
	/* The separator before group g (enum cmdline_sep). */
	u8 group_sep[CMDLINE_MAX_GROUPS + 1];
};

/*
 * Parses @text (a NULL text is an empty line) into @cl, copying what it
 * keeps. Returns 0, or a negative errno after printing what was wrong:
 * -E2BIG for too long a line or too many parameters or groups, -EINVAL for
 * an unterminated quote, an empty key or a quote inside a key. On error @cl
 * holds no groups.
 */
int cmdline_parse(struct cmdline *cl, const char *text);

unsigned cmdline_groups(const struct cmdline *cl);
/* The separator that started @group (CMDLINE_SEP_NONE for the first). */
enum cmdline_sep cmdline_group_sep(const struct cmdline *cl, unsigned group);
/* Parameters in @group, 0 when there is no such group. */
unsigned cmdline_count(const struct cmdline *cl, unsigned group);
/* The @i-th parameter of @group in command-line order, NULL past the end. */
struct cmdline_param *cmdline_at(struct cmdline *cl, unsigned group, unsigned i);
/*
 * The value of @key in @group, or NULL. When a key is repeated the last one
 * wins; every occurrence is marked used, as all of them were understood.
 */
const char *cmdline_get(struct cmdline *cl, unsigned group, const char *key);

/*
 * Prints "ERROR: unknown command-line key 'KEY' (job N)" for each parameter
 * nobody asked for whose key is not in @ignore (a NULL-terminated list, or
 * NULL), and returns how many were printed.
 */
int cmdline_report_unused(const struct cmdline *cl, const char *const *ignore);

/*
 * Value parsers. Each takes the whole string (no leading or trailing
 * spaces), stores the result only on success, and returns 0, -EINVAL for
 * text that is not a value of its kind, or -ERANGE when the value does not
 * fit in 64 bits.
 */

/* Decimal, or hexadecimal after 0x or 0X. */
int parse_u64(const char *s, u64 *out);

/*
 * A byte count as fio reads one: a number with an optional suffix, where
 * k, m, g, t and p (any case, optionally followed by "b" or "ib") multiply
 * by powers of 1024, as fio does with its default kb_base; a lone "b" means
 * bytes. A hexadecimal number takes no suffix ('b' is a hex digit).
 */
int parse_size(const char *s, u64 *out);

/*
 * A decimal fraction ("2", "99.95") scaled by 10^frac_digits: "99.95" with 6
 * digits is 99950000. Digits beyond frac_digits are dropped.
 */
int parse_decimal(const char *s, unsigned frac_digits, u64 *out);

/* 1, 0, on, off, yes, no, true, false, in any case. */
int parse_bool(const char *s, bool *out);

/*
 * Durations, both returned in milliseconds. They differ in the unit of a
 * bare number: parse_seconds reads seconds, as fio's runtime does
 * ("runtime=5"), and parse_ms reads milliseconds, as Linux's scheduler
 * tunables do ("read_expire=500"). Either accepts the suffixes ms, s, m
 * (minutes), h and d.
 */
int parse_seconds(const char *s, u64 *ms);
int parse_ms(const char *s, u64 *ms);
/* A duration in microseconds: us, ms, s, m, h, d, or bare, as fio's thinktime. */
int parse_us(const char *s, u64 *us);

#endif
