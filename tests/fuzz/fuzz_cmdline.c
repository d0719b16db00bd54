/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the kernel command line (kernel/cmdline.c), the user's
 * input: any bytes up to the size limit, parsed into groups of keys; then
 * every value through each of the value parsers, and every key looked up.
 * The parser must end, say no with -EINVAL or -E2BIG, or give groups whose
 * parameters are in bounds, with keys that are not empty.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/cmdline.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

static struct cmdline cl;

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	char *text = malloc(size + 1);
	unsigned total = 0;
	int err;

	if (!text)
		return 0;
	host_printk_quiet = true;
	host_log_len = 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err = cmdline_parse(&cl, text);
	CHECK(err == 0 || err == -EINVAL || err == -E2BIG);
	if (err) {
		CHECK(cmdline_groups(&cl) == 0);
		free(text);
		return 0;
	}
	CHECK(cmdline_groups(&cl) <= CMDLINE_MAX_GROUPS);
	for (unsigned g = 0; g < cmdline_groups(&cl); g++) {
		unsigned n = cmdline_count(&cl, g);
		CHECK(n > 0);
		CHECK(g == 0 || cmdline_group_sep(&cl, g) != CMDLINE_SEP_NONE);
		for (unsigned i = 0; i < n; i++) {
			struct cmdline_param *p = cmdline_at(&cl, g, i);
			u64 v;
			bool b;
			CHECK(p && p->key && p->value && p->key[0]);
			CHECK(cmdline_get(&cl, g, p->key) != NULL);
			(void)parse_u64(p->value, &v);
			(void)parse_size(p->value, &v);
			(void)parse_decimal(p->value, 3, &v);
			(void)parse_bool(p->value, &b);
			(void)parse_seconds(p->value, &v);
			(void)parse_ms(p->value, &v);
			(void)parse_us(p->value, &v);
		}
		CHECK(cmdline_at(&cl, g, n) == NULL);
		total += n;
	}
	CHECK(total <= CMDLINE_MAX_PARAMS);
	CHECK(cmdline_report_unused(&cl, NULL) == 0); /* every key was asked for */
	free(text);
	return 0;
}
