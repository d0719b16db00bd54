/* SPDX-License-Identifier: MIT */
/* The command-line parser and value parsers (kernel/cmdline.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/cmdline.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"

static struct cmdline *cl;

static int setup(void **state)
{
	host_platform_reset();
	host_printk_quiet = true;
	/* On the heap, so AddressSanitizer sees a write past the structure. */
	cl = malloc(sizeof(*cl));
	if (!cl)
		return -1;
	memset(cl, 0xa5, sizeof(*cl));
	return 0;
}

static int teardown(void **state)
{
	free(cl);
	return 0;
}

static bool log_has(const char *s)
{
	return strstr(host_log, s) != NULL;
}

/* Checks group @g holds exactly the "key=value" pairs listed. */
static void expect_group(unsigned g, const char *const *kv, unsigned n)
{
	assert_int_equal(cmdline_count(cl, g), n);
	for (unsigned i = 0; i < n; i++) {
		struct cmdline_param *p = cmdline_at(cl, g, i);

		assert_non_null(p);
		assert_string_equal(p->key, kv[2 * i]);
		assert_string_equal(p->value, kv[2 * i + 1]);
		assert_false(p->used);
	}
	assert_null(cmdline_at(cl, g, n));
}

static void test_basic_job(void **state)
{
	static const char *const kv[] = {"rw", "randread", "bs", "4k", "iodepth", "32"};

	assert_int_equal(cmdline_parse(cl, "rw=randread bs=4k iodepth=32"), 0);
	assert_int_equal(cmdline_groups(cl), 1);
	expect_group(0, kv, 3);
	assert_string_equal(cmdline_get(cl, 0, "bs"), "4k");
	assert_null(cmdline_get(cl, 0, "size"));
	assert_null(cmdline_get(cl, 1, "bs")); /* no such group */
	assert_int_equal(cmdline_count(cl, 1), 0);
	assert_null(cmdline_at(cl, 1, 0));
}

static void test_blanks_and_bare_keys(void **state)
{
	static const char *const kv[] = {"verify", "", "a", "", "b", "", "vda.path", "bio"};

	/* Tabs, runs of blanks, and blanks at both ends. */
	assert_int_equal(cmdline_parse(cl, " \tverify  a=\tb \t vda.path=bio\t "), 0);
	assert_int_equal(cmdline_groups(cl), 1);
	expect_group(0, kv, 4);
	/* A bare key is present with an empty value, unlike a missing key. */
	assert_string_equal(cmdline_get(cl, 0, "verify"), "");
	assert_null(cmdline_get(cl, 0, "verif"));
	/* Keys compare exactly: case and prefixes matter. */
	assert_null(cmdline_get(cl, 0, "VERIFY"));
	assert_null(cmdline_get(cl, 0, "vda"));
}

static void test_quotes(void **state)
{
	static const char *const kv[] = {"filename", "a b",   "empty", "",   "mid",  "ab  cd",
					 "eq",	     "x=y z", "tab",   "\t", "dash", "--"};

	assert_int_equal(cmdline_parse(cl, "filename=\"a b\" empty=\"\" mid=a\"b  c\"d "
					   "eq=\"x=y z\" tab=\"\t\" dash=\"--\""),
			 0);
	assert_int_equal(cmdline_groups(cl), 1);
	expect_group(0, kv, 6);
}

static void test_quote_errors(void **state)
{
	assert_int_equal(cmdline_parse(cl, "rw=read filename=\"a b"), -EINVAL);
	assert_true(log_has("unterminated quote in 'filename=\"a b'"));
	assert_int_equal(cmdline_groups(cl), 0);
	assert_null(cmdline_get(cl, 0, "rw")); /* nothing half-parsed survives */

	assert_int_equal(cmdline_parse(cl, "a=\"\"\""), -EINVAL);
	assert_int_equal(cmdline_parse(cl, "\"key=value\""), -EINVAL);
	assert_true(log_has("quote in the key of '\"key=value\"'"));
	assert_int_equal(cmdline_parse(cl, "ok=1 =5"), -EINVAL);
	assert_true(log_has("empty key in '=5'"));
	assert_int_equal(cmdline_groups(cl), 0);
}

static void test_empty_lines(void **state)
{
	static const char *const lines[] = {"", " ", "\t \t", "--", " -- -- ", "--\t--"};

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		assert_int_equal(cmdline_parse(cl, lines[i]), 0);
		assert_int_equal(cmdline_groups(cl), 0);
		assert_int_equal(cmdline_count(cl, 0), 0);
		assert_null(cmdline_at(cl, 0, 0));
		assert_null(cmdline_get(cl, 0, "rw"));
		assert_int_equal(cmdline_report_unused(cl, NULL), 0);
	}
	assert_int_equal(cmdline_parse(cl, NULL), 0);
	assert_int_equal(cmdline_groups(cl), 0);
}

static void test_groups(void **state)
{
	static const char *const g0[] = {"rw", "write", "bs", "4k"};
	static const char *const g1[] = {"rw", "read"};
	static const char *const g2[] = {"--x", "", "y", "--"};

	/* "--" at the start, doubled, and at the end adds no empty job. */
	assert_int_equal(cmdline_parse(cl, "-- rw=write bs=4k -- -- rw=read --\t--x y=-- --"), 0);
	assert_int_equal(cmdline_groups(cl), 3);
	expect_group(0, g0, 2);
	expect_group(1, g1, 1);
	expect_group(2, g2, 2);
	/* Lookups stay inside their group. */
	assert_string_equal(cmdline_get(cl, 0, "rw"), "write");
	assert_string_equal(cmdline_get(cl, 1, "rw"), "read");
	assert_null(cmdline_get(cl, 1, "bs"));
	assert_null(cmdline_get(cl, 3, "rw"));
	assert_true(cmdline_at(cl, 0, 0)->used);
	assert_false(cmdline_at(cl, 0, 1)->used);

	/* "--" needs blanks both sides to separate. */
	assert_int_equal(cmdline_parse(cl, "a=1--b=2"), 0);
	assert_int_equal(cmdline_groups(cl), 1);
	assert_string_equal(cmdline_get(cl, 0, "a"), "1--b=2");
}

static void test_last_wins_and_used(void **state)
{
	assert_int_equal(cmdline_parse(cl, "bs=4k iodepth=1 bs=8k -- bs=16k"), 0);
	assert_string_equal(cmdline_get(cl, 0, "bs"), "8k");
	/* Every occurrence was understood, so none is reported. */
	assert_true(cmdline_at(cl, 0, 0)->used);
	assert_true(cmdline_at(cl, 0, 2)->used);
	assert_false(cmdline_at(cl, 0, 1)->used);
	assert_false(cmdline_at(cl, 1, 0)->used);
	/* cmdline_at's result is writable, for callers that walk the group. */
	cmdline_at(cl, 0, 1)->used = true;
	assert_int_equal(cmdline_report_unused(cl, NULL), 1);
	assert_true(log_has("ERROR: unknown command-line key 'bs' (job 2)"));
}

static void test_report_unused(void **state)
{
	static const char *const ignore[] = {"BOOT_IMAGE", "console", NULL};
	static const char *const empty[] = {NULL};

	assert_int_equal(cmdline_parse(cl, "BOOT_IMAGE=/boot/kernel.elf console=ttyS0 "
					   "rw=randread iodepht=4 -- bs=4k bz=8k console"),
			 0);
	assert_non_null(cmdline_get(cl, 0, "rw"));
	assert_non_null(cmdline_get(cl, 1, "bs"));

	host_platform_reset();
	assert_int_equal(cmdline_report_unused(cl, ignore), 2);
	assert_true(log_has("ERROR: unknown command-line key 'iodepht' (job 1)\n"));
	assert_true(log_has("ERROR: unknown command-line key 'bz' (job 2)\n"));
	assert_false(log_has("BOOT_IMAGE"));
	assert_false(log_has("console"));
	assert_false(log_has("'rw'"));

	/* Without an ignore list, GRUB's and the console's keys count too. */
	host_platform_reset();
	assert_int_equal(cmdline_report_unused(cl, NULL), 5);
	assert_true(log_has("'BOOT_IMAGE' (job 1)"));
	assert_true(log_has("'console' (job 2)"));
	assert_int_equal(cmdline_report_unused(cl, empty), 5);
}

static void test_length_limit(void **state)
{
	char *line = malloc(CMDLINE_MAX_TEXT + 1);

	/* The longest line that fits: one key with the longest value. */
	memset(line, 'v', CMDLINE_MAX_TEXT);
	memcpy(line, "k=", 2);
	line[CMDLINE_MAX_TEXT - 1] = '\0';
	assert_int_equal(cmdline_parse(cl, line), 0);
	assert_int_equal(strlen(cmdline_get(cl, 0, "k")), CMDLINE_MAX_TEXT - 3);

	/* One byte more is refused, with a message. */
	line[CMDLINE_MAX_TEXT - 1] = 'v';
	line[CMDLINE_MAX_TEXT] = '\0';
	assert_int_equal(cmdline_parse(cl, line), -E2BIG);
	{
		char msg[64];
		snprintf(msg, sizeof(msg), "command line is longer than %d bytes",
			 CMDLINE_MAX_TEXT - 1);
		assert_true(log_has(msg));
	}
	assert_int_equal(cmdline_groups(cl), 0);
	free(line);
}

/*
 * The parsed text must fit in the same 4 KiB as the line: the fullest case
 * is many tokens with quotes (removed) and separators, filled to the limit.
 */
static void test_parse_fills_text(void **state)
{
	char *line = malloc(CMDLINE_MAX_TEXT);
	char(*want)[64] = calloc(CMDLINE_MAX_PARAMS, 64);
	size_t len = 0;
	unsigned n = 0;

	while (n < CMDLINE_MAX_PARAMS) {
		char tok[64];
		int tl = snprintf(tok, sizeof(tok), "k%u=\"%010u\" ", n, n * 7919u);

		if (len + (size_t)tl >= CMDLINE_MAX_TEXT)
			break;
		memcpy(line + len, tok, (size_t)tl);
		len += (size_t)tl;
		snprintf(want[n], 64, "%010u", n * 7919u);
		n++;
	}
	line[len - 1] = '\0'; /* drop the last blank */
	assert_true(n > 100);
	assert_int_equal(cmdline_parse(cl, line), 0);
	assert_int_equal(cmdline_count(cl, 0), n);
	for (unsigned i = 0; i < n; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%u", i);
		assert_string_equal(cmdline_at(cl, 0, i)->key, key);
		assert_string_equal(cmdline_at(cl, 0, i)->value, want[i]);
	}
	free(line);
	free(want);
}

static void test_param_limit(void **state)
{
	char *line = malloc(CMDLINE_MAX_TEXT);
	size_t len = 0;

	/* The most one-letter parameters, spread over "--" groups as well. */
	for (unsigned i = 0; i < CMDLINE_MAX_PARAMS; i++) {
		line[len++] = (char)('a' + i % 26);
		line[len++] = ' ';
		if (i % 16 == 15) {
			memcpy(line + len, "-- ", 3);
			len += 3;
		}
	}
	line[len] = '\0';
	assert_int_equal(cmdline_parse(cl, line), 0);
	assert_int_equal(cmdline_groups(cl), CMDLINE_MAX_PARAMS / 16);
	assert_int_equal(cmdline_count(cl, 15), 16);

	memcpy(line + len, "z", 2);
	assert_int_equal(cmdline_parse(cl, line), -E2BIG);
	{
		char msg[64];
		snprintf(msg, sizeof(msg), "more than %d parameters", CMDLINE_MAX_PARAMS);
		assert_true(log_has(msg));
	}
	assert_int_equal(cmdline_groups(cl), 0);
	free(line);
}

static void test_group_limit(void **state)
{
	char line[CMDLINE_MAX_GROUPS * 6 + 8];
	size_t len = 0;

	for (unsigned i = 0; i < CMDLINE_MAX_GROUPS; i++) {
		memcpy(line + len, "a -- ", 5);
		len += 5;
	}
	line[len] = '\0';
	assert_int_equal(cmdline_parse(cl, line), 0);
	assert_int_equal(cmdline_groups(cl), CMDLINE_MAX_GROUPS);
	assert_int_equal(cmdline_count(cl, CMDLINE_MAX_GROUPS - 1), 1);

	memcpy(line + len, "a", 2);
	assert_int_equal(cmdline_parse(cl, line), -E2BIG);
	{
		char msg[64];
		snprintf(msg, sizeof(msg), "more than %d jobs", CMDLINE_MAX_GROUPS);
		assert_true(log_has(msg));
	}
	assert_int_equal(cmdline_groups(cl), 0);
}

/* "--" runs the next job after the ones before it, "++" beside them. */
static void test_separators(void **state)
{
	assert_int_equal(cmdline_parse(cl, "a=1 ++ b=2 -- c=3 ++ ++ d=4 ++ -- e=5 -- ++ f=6"), 0);
	assert_int_equal(cmdline_groups(cl), 6);
	assert_int_equal(cmdline_group_sep(cl, 0), CMDLINE_SEP_NONE);
	assert_int_equal(cmdline_group_sep(cl, 1), CMDLINE_SEP_PARALLEL);
	assert_int_equal(cmdline_group_sep(cl, 2), CMDLINE_SEP_SERIAL);
	assert_int_equal(cmdline_group_sep(cl, 3), CMDLINE_SEP_PARALLEL);
	/* Among separators in a row, "--" wins, in either order. */
	assert_int_equal(cmdline_group_sep(cl, 4), CMDLINE_SEP_SERIAL);
	assert_int_equal(cmdline_group_sep(cl, 5), CMDLINE_SEP_SERIAL);
	assert_int_equal(cmdline_group_sep(cl, 6), CMDLINE_SEP_NONE);
	assert_string_equal(cmdline_get(cl, 3, "d"), "4");
	/* A leading separator adds no group; "+++" and "++x" are keys. */
	assert_int_equal(cmdline_parse(cl, "++ a=1 +++ ++x"), 0);
	assert_int_equal(cmdline_groups(cl), 1);
	assert_int_equal(cmdline_count(cl, 0), 3);
	assert_string_equal(cmdline_at(cl, 0, 1)->key, "+++");
}

static void test_parse_decimal(void **state)
{
	u64 v;

	assert_int_equal(parse_decimal("99.95", 6, &v), 0);
	assert_int_equal(v, 99950000);
	assert_int_equal(parse_decimal("2", 6, &v), 0);
	assert_int_equal(v, 2000000);
	assert_int_equal(parse_decimal("0.1234567", 6, &v), 0);
	assert_int_equal(v, 123456);
	assert_int_equal(parse_decimal("1.5", 0, &v), 0);
	assert_int_equal(v, 1);
	v = 77;
	assert_int_equal(parse_decimal(".5", 6, &v), -EINVAL);
	assert_int_equal(parse_decimal("5.", 6, &v), -EINVAL);
	assert_int_equal(parse_decimal("5.5x", 6, &v), -EINVAL);
	assert_int_equal(parse_decimal("-1", 6, &v), -EINVAL);
	assert_int_equal(parse_decimal("", 6, &v), -EINVAL);
	assert_int_equal(v, 77);
	assert_int_equal(parse_decimal("18446744073709551615", 1, &v), -ERANGE);
	assert_int_equal(parse_decimal("18446744073709.551615", 6, &v), 0);
	assert_int_equal(v, 18446744073709551615ull);
	assert_int_equal(parse_decimal("18446744073709.551616", 6, &v), -ERANGE);
}

#define U64_MAX (~(u64)0)

/* A parse that must fail leaves *out untouched. */
#define EXPECT_U64(fn, s, want)                                                                    \
	do {                                                                                       \
		u64 v_ = 12345;                                                                    \
		assert_int_equal(fn(s, &v_), 0);                                                   \
		assert_int_equal(v_, (u64)(want));                                                 \
	} while (0)
#define EXPECT_ERR(fn, s, err)                                                                     \
	do {                                                                                       \
		u64 v_ = 12345;                                                                    \
		assert_int_equal(fn(s, &v_), err);                                                 \
		assert_int_equal(v_, 12345);                                                       \
	} while (0)

static void test_parse_u64(void **state)
{
	EXPECT_U64(parse_u64, "0", 0);
	EXPECT_U64(parse_u64, "42", 42);
	EXPECT_U64(parse_u64, "010", 10); /* decimal, not octal */
	EXPECT_U64(parse_u64, "18446744073709551615", U64_MAX);
	EXPECT_U64(parse_u64, "0x0", 0);
	EXPECT_U64(parse_u64, "0xdeadBEEF", 0xdeadbeef);
	EXPECT_U64(parse_u64, "0XFFFFFFFFFFFFFFFF", U64_MAX);
	EXPECT_U64(parse_u64, "0x00000000000000000001", 1); /* leading zeros are not overflow */

	EXPECT_ERR(parse_u64, "18446744073709551616", -ERANGE);
	EXPECT_ERR(parse_u64, "99999999999999999999999", -ERANGE);
	EXPECT_ERR(parse_u64, "0x10000000000000000", -ERANGE);
	EXPECT_ERR(parse_u64, "", -EINVAL);
	EXPECT_ERR(parse_u64, "abc", -EINVAL);
	EXPECT_ERR(parse_u64, "12x", -EINVAL);
	EXPECT_ERR(parse_u64, "99999999999999999999x", -EINVAL); /* junk beats range */
	EXPECT_ERR(parse_u64, "-1", -EINVAL);
	EXPECT_ERR(parse_u64, "+1", -EINVAL);
	EXPECT_ERR(parse_u64, " 1", -EINVAL);
	EXPECT_ERR(parse_u64, "1 ", -EINVAL);
	EXPECT_ERR(parse_u64, "0x", -EINVAL);
	EXPECT_ERR(parse_u64, "0xg", -EINVAL);
	EXPECT_ERR(parse_u64, "4k", -EINVAL);
}

static void test_parse_size(void **state)
{
	EXPECT_U64(parse_size, "0", 0);
	EXPECT_U64(parse_size, "512", 512);
	EXPECT_U64(parse_size, "512b", 512);
	EXPECT_U64(parse_size, "512B", 512);
	EXPECT_U64(parse_size, "4k", 4096);
	EXPECT_U64(parse_size, "4K", 4096);
	EXPECT_U64(parse_size, "4kb", 4096); /* fio: kb is 1024 too */
	EXPECT_U64(parse_size, "4KB", 4096);
	EXPECT_U64(parse_size, "4KiB", 4096);
	EXPECT_U64(parse_size, "4kib", 4096);
	EXPECT_U64(parse_size, "64k", 65536);
	EXPECT_U64(parse_size, "8M", 8ull << 20);
	EXPECT_U64(parse_size, "8mb", 8ull << 20);
	EXPECT_U64(parse_size, "8MiB", 8ull << 20);
	EXPECT_U64(parse_size, "2g", 2ull << 30);
	EXPECT_U64(parse_size, "2GiB", 2ull << 30);
	EXPECT_U64(parse_size, "3t", 3ull << 40);
	EXPECT_U64(parse_size, "1TB", 1ull << 40);
	EXPECT_U64(parse_size, "5p", 5ull << 50);
	EXPECT_U64(parse_size, "16383p", 16383ull << 50);
	EXPECT_U64(parse_size, "0x1000", 4096);
	EXPECT_U64(parse_size, "0xB", 11); /* a hex digit, not the bytes suffix */
	EXPECT_U64(parse_size, "18446744073709551615", U64_MAX);

	EXPECT_ERR(parse_size, "16384p", -ERANGE); /* exactly 2^64 */
	EXPECT_ERR(parse_size, "18014398509481984k", -ERANGE);
	EXPECT_ERR(parse_size, "99999999999999999999", -ERANGE);
	EXPECT_ERR(parse_size, "99999999999999999999k", -ERANGE);
	EXPECT_ERR(parse_size, "99999999999999999999kx", -EINVAL);
	EXPECT_ERR(parse_size, "", -EINVAL);
	EXPECT_ERR(parse_size, "k", -EINVAL);
	EXPECT_ERR(parse_size, "4x", -EINVAL);
	EXPECT_ERR(parse_size, "4kk", -EINVAL);
	EXPECT_ERR(parse_size, "4kibb", -EINVAL);
	EXPECT_ERR(parse_size, "4i", -EINVAL);
	EXPECT_ERR(parse_size, "4ki", -EINVAL);
	EXPECT_ERR(parse_size, "4 k", -EINVAL);
	EXPECT_ERR(parse_size, "4bb", -EINVAL);
	EXPECT_ERR(parse_size, "0x10k", -EINVAL);
	EXPECT_ERR(parse_size, "-4k", -EINVAL);
	EXPECT_ERR(parse_size, "4.5k", -EINVAL);
}

static void test_parse_bool(void **state)
{
	static const char *const yes[] = {"1", "on", "yes", "true", "ON", "Yes", "TRUE"};
	static const char *const no[] = {"0", "off", "no", "false", "OFF", "No", "False"};
	static const char *const bad[] = {"", "2", "y", "n", "onn", "of", "truex", "01", " 1"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		bool b = false;
		assert_int_equal(parse_bool(yes[i], &b), 0);
		assert_true(b);
	}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
		bool b = true;
		assert_int_equal(parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		bool b = true;
		assert_int_equal(parse_bool(bad[i], &b), -EINVAL);
		assert_true(b);
	}
}

static void test_parse_durations(void **state)
{
	/* fio's runtime: a bare number is seconds. */
	EXPECT_U64(parse_seconds, "5", 5000);
	EXPECT_U64(parse_seconds, "0", 0);
	EXPECT_U64(parse_seconds, "500ms", 500);
	EXPECT_U64(parse_seconds, "10s", 10000);
	EXPECT_U64(parse_seconds, "2m", 120000);
	EXPECT_U64(parse_seconds, "1h", 3600000);
	EXPECT_U64(parse_seconds, "1d", 86400000);
	EXPECT_U64(parse_seconds, "3MS", 3);
	EXPECT_U64(parse_seconds, "18446744073709551", 18446744073709551000ull);
	EXPECT_ERR(parse_seconds, "18446744073709552", -ERANGE);
	EXPECT_ERR(parse_seconds, "99999999999999999999ms", -ERANGE);
	EXPECT_ERR(parse_seconds, "", -EINVAL);
	EXPECT_ERR(parse_seconds, "s", -EINVAL);
	EXPECT_ERR(parse_seconds, "5x", -EINVAL);
	EXPECT_ERR(parse_seconds, "5 s", -EINVAL);
	EXPECT_ERR(parse_seconds, "5sec", -EINVAL);
	EXPECT_ERR(parse_seconds, "5us", -EINVAL); /* finer than the result's unit */
	EXPECT_ERR(parse_seconds, "0x10", -EINVAL);
	EXPECT_ERR(parse_seconds, "-1", -EINVAL);
	EXPECT_ERR(parse_seconds, "1.5", -EINVAL);

	/* fio's thinktime: a bare number is microseconds. */
	EXPECT_U64(parse_us, "100", 100);
	EXPECT_U64(parse_us, "100us", 100);
	EXPECT_U64(parse_us, "2ms", 2000);
	EXPECT_U64(parse_us, "1s", 1000000);
	EXPECT_U64(parse_us, "18446744073709551615", U64_MAX);
	EXPECT_ERR(parse_us, "18446744073709551615ms", -ERANGE);
	EXPECT_ERR(parse_us, "5ns", -EINVAL);
	EXPECT_ERR(parse_us, "", -EINVAL);

	/* Scheduler expiries: a bare number is milliseconds. */
	EXPECT_U64(parse_ms, "500", 500);
	EXPECT_U64(parse_ms, "500ms", 500);
	EXPECT_U64(parse_ms, "5s", 5000);
	EXPECT_U64(parse_ms, "1m", 60000);
	EXPECT_U64(parse_ms, "18446744073709551615", U64_MAX);
	EXPECT_ERR(parse_ms, "18446744073709551615s", -ERANGE);
	EXPECT_ERR(parse_ms, "5x", -EINVAL);
	EXPECT_ERR(parse_ms, "", -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basic_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blanks_and_bare_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quotes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quote_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_wins_and_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_unused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_length_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_fills_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_param_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_separators, setup, teardown),
		cmocka_unit_test(test_parse_decimal),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_parse_durations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
