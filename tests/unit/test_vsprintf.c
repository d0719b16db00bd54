/* SPDX-License-Identifier: MIT */
/*
 * kvsnprintf against the host C library: every format the kernel supports
 * is printed by both and must agree byte for byte, for the full buffer and
 * for every truncated size. Where the kernel deliberately differs (%p, NULL
 * %s, unknown conversions) the expected text is spelt out instead.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/platform.h"
#include "tests/unit/host_platform.h"

#define BUF 512
#define CANARY 0x5a

static unsigned long cases_checked;

/*
 * Prints with both formatters into buffers of the full size and of sizes
 * around the output length, and checks the return value, the bytes, the
 * terminating NUL and that nothing past @size was touched.
 */
static void vcheck(int line, const char *fmt, va_list ap)
{
	char want[BUF], got[BUF + 1];
	size_t sizes[10];
	unsigned nsizes = 0;
	va_list aq;
	int wn, gn;

	va_copy(aq, ap);
	wn = vsnprintf(want, BUF, fmt, aq);
	va_end(aq);
	if (wn < 0 || wn >= BUF)
		fail_msg("line %d: test format \"%s\" too long for the test", line, fmt);

	sizes[nsizes++] = BUF;
	sizes[nsizes++] = 0;
	sizes[nsizes++] = 1;
	sizes[nsizes++] = 2;
	sizes[nsizes++] = (size_t)wn / 2 + 1;
	sizes[nsizes++] = (size_t)wn;	  /* cuts exactly the last character */
	sizes[nsizes++] = (size_t)wn + 1; /* exactly fits */
	sizes[nsizes++] = (size_t)wn + 2;

	for (unsigned i = 0; i < nsizes; i++) {
		size_t size = sizes[i];

		va_copy(aq, ap);
		wn = vsnprintf(want, size, fmt, aq);
		va_end(aq);
		memset(got, CANARY, sizeof(got));
		va_copy(aq, ap);
		gn = kvsnprintf(size ? got : NULL, size, fmt, aq);
		va_end(aq);
		if (gn != wn)
			fail_msg(
				"line %d: \"%s\" size %zu: returned %d, host %d (host text \"%s\")",
				line, fmt, size, gn, wn, size ? want : "");
		if (size == 0) {
			/* Nothing may be written, not even the NUL. */
			if ((unsigned char)got[0] != CANARY)
				fail_msg("line %d: \"%s\" wrote into a zero-size buffer", line,
					 fmt);
			continue;
		}
		size_t n = MIN((size_t)wn, size - 1);
		if (memcmp(want, got, n + 1) != 0)
			fail_msg("line %d: \"%s\" size %zu: got \"%.*s\", host \"%.*s\"", line, fmt,
				 size, (int)n, got, (int)n, want);
		if (size < sizeof(got) && (unsigned char)got[size] != CANARY)
			fail_msg("line %d: \"%s\" size %zu: wrote past the buffer", line, fmt,
				 size);
	}
	cases_checked++;
}

static void __printf(2, 3) check(int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcheck(line, fmt, ap);
	va_end(ap);
}

/*
 * The same without compile-time format checking, for combinations GCC
 * warns about on purpose (a flag another flag overrides), which the
 * standard defines and which are exactly what the test wants to exercise.
 */
static void check_raw(int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcheck(line, fmt, ap);
	va_end(ap);
}

#define CHECK(...) check(__LINE__, __VA_ARGS__)
#define CHECK_RAW(...) check_raw(__LINE__, __VA_ARGS__)

/* Expected text given explicitly, for the kernel's own conventions. */
static int kfmt_nocheck(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

#define EXPECT(want, ...)                                                                          \
	do {                                                                                       \
		char got_[BUF];                                                                    \
		int n_ = kfmt_nocheck(got_, sizeof(got_), __VA_ARGS__);                            \
		assert_string_equal(got_, want);                                                   \
		assert_int_equal(n_, (int)strlen(want));                                           \
	} while (0)

static void test_plain_and_percent(void **state)
{
	CHECK_RAW("");
	CHECK("hello");
	CHECK("%%");
	CHECK("a%%b%%%%c");
	CHECK("tab\tnewline\n");
}

static void test_signed(void **state)
{
	CHECK("%d", 0);
	CHECK("%d", 1);
	CHECK("%d", -1);
	CHECK("%d", INT_MAX);
	CHECK("%d", INT_MIN);
	CHECK("%i", -12345);
	CHECK("%ld", LONG_MIN);
	CHECK("%ld", LONG_MAX);
	CHECK("%lld", LLONG_MIN);
	CHECK("%lli", LLONG_MAX);
	CHECK("%hd", (short)-32768);
	CHECK("%hd", 70000); /* converted to short */
	CHECK("%hhd", 200);  /* converted to signed char */
	CHECK("%hhi", -128);
	CHECK("%zd", (ptrdiff_t)-5);
	CHECK("%td", (ptrdiff_t)PTRDIFF_MIN);
	CHECK("%jd", (intmax_t)INTMAX_MIN);
	CHECK("%+d %+d %+d", 5, -5, 0);
	CHECK("% d % d % d", 5, -5, 0);
	CHECK_RAW("%+ d", 7); /* '+' beats ' ' */
	CHECK("%5d|%-5d|%05d", 42, 42, 42);
	CHECK_RAW("%05d|%-05d", -42, -42); /* '-' beats '0' */
	CHECK("%+05d|% 05d", 42, 42);
	CHECK("%.3d|%.3d|%8.3d|%-8.3d", 7, -7, 7, -7);
	CHECK_RAW("%08.3d", 7); /* a precision disables '0' */
	CHECK("%.0d|%.0d|%5.0d|%+.0d", 0, 1, 0, 0);
	CHECK("%1d", 12345); /* a width never truncates */
}

static void test_unsigned(void **state)
{
	CHECK("%u", 0u);
	CHECK("%u", UINT_MAX);
	CHECK("%lu", ULONG_MAX);
	CHECK("%llu", ULLONG_MAX);
	CHECK("%hu", 65535);
	CHECK("%hhu", 511);
	CHECK("%zu", SIZE_MAX);
	CHECK("%ju", UINTMAX_MAX);
	CHECK("%x %X", 0xdeadbeefu, 0xdeadbeefu);
	CHECK("%lx", 0x0123456789abcdeful);
	CHECK("%llX", 0xfedcba9876543210ull);
	CHECK("%hhx", 0x1ff);
	CHECK("%#x|%#X|%#x", 255u, 255u, 0u); /* no 0x for zero */
	CHECK("%#10x|%#-10x|%#010x", 255u, 255u, 255u);
	CHECK("%#.5x|%#10.5x", 255u, 255u);
	CHECK("%o|%#o|%#o|%#.0o|%.0o", 8u, 8u, 0u, 0u, 0u);
	CHECK("%#.3o|%#.4o|%#5o", 8u, 8u, 8u);
	CHECK("%llo", ULLONG_MAX);
	CHECK_RAW("%+u|% u", 3u, 3u); /* sign flags mean nothing for unsigned */
	CHECK("%08x|%-8x|%8.4x", 0xabcu, 0xabcu, 0xabcu);
}

static void test_char_and_string(void **state)
{
	CHECK("%c", 'A');
	CHECK("%c%c%c", 'a', 'b', 'c');
	CHECK("%5c|%-5c", 'x', 'y');
	CHECK("%c", 0xe9); /* non-ASCII byte */
	CHECK("%s", "");
	CHECK("%s", "hello");
	CHECK("%10s|%-10s|", "abc", "abc");
	CHECK("%.2s|%.0s|%.10s", "abcdef", "abcdef", "abc");
	CHECK("%8.3s|%-8.3s|", "abcdef", "abcdef");
	CHECK("%s=%d (%s)", "key", 3, "value");
}

static void test_star(void **state)
{
	CHECK("%*d", 6, 42);
	CHECK("%*d", -6, 42); /* negative width: left-justify */
	CHECK("%-*d|", -6, 42);
	CHECK("%.*d", 4, 42);
	CHECK("%.*d", -1, 42);		/* negative precision: as if omitted */
	CHECK_RAW("%0*.*d", 8, -3, 42); /* negative precision re-enables '0' */
	CHECK("%*.*s|", 7, 2, "abcdef");
	CHECK("%.*s", 3, "abcdef");
}

static void test_mixed(void **state)
{
	CHECK("[%s] %llu ios, %u.%03u s, %#lx", "job", 123456789ull, 5u, 7u, 0x1000ul);
	CHECK("%d%s%c%x%o%u%%%i", -1, "s", 'c', 0xfu, 8u, 9u, 10);
	CHECK("JSON {\"iops\": %llu, \"lat_us\": {\"p99\": %lu}}", 1000ull, 250ul);
}

/* Where the kernel chose its own output, the expected text is spelt out. */
static void test_kernel_conventions(void **state)
{
	char buf[BUF];

	EXPECT("0x0000000000000000", "%p", (void *)NULL);
	EXPECT("0x00000000deadbeef", "%p", (void *)0xdeadbeefull);
	EXPECT("0xffffffffffffffff", "%p", (void *)~0ull);
	EXPECT("  0x0000000000001000", "%20p", (void *)0x1000);
	EXPECT("0x0000000000001000  |", "%-20p|", (void *)0x1000);
	EXPECT("0x0000000000000001", "%5p", (void *)1); /* width never cuts */

	EXPECT("(null)", "%s", (char *)NULL);
	EXPECT("  (null)", "%8s", (char *)NULL);
	EXPECT("(nu", "%.3s", (char *)NULL);

	/* Unknown conversions and a trailing '%' are printed as written. */
	EXPECT("a%yb", "a%yb");
	EXPECT("%-5q", "%-5q");
	EXPECT("abc%", "abc%");
	EXPECT("abc%-5", "abc%-5");

	/* A precision lets %s read an unterminated array. */
	char raw[3] = {'x', 'y', 'z'};
	EXPECT("xy", "%.2s", raw);
	EXPECT("xyz", "%.3s", raw);

	/* An absurd width is capped instead of spinning. */
	assert_int_equal(kfmt_nocheck(buf, sizeof(buf), "%99999999d", 1), 4096);
	assert_int_equal(kfmt_nocheck(buf, sizeof(buf), "%*d", INT_MIN, 1), 4096);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_int_equal(buf[0], '1'); /* INT_MIN width left-justifies */

	/* ksnprintf is the variadic face of the same code. */
	assert_int_equal(ksnprintf(buf, 4, "%d", 123456), 6);
	assert_string_equal(buf, "123");
	assert_int_equal(ksnprintf(NULL, 0, "%s", "abc"), 3);
}

/* A small deterministic generator, so a failure reproduces. */
static u64 rng_state = 0x9e3779b97f4a7c15ull;

static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static unsigned rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* Values near the edges are where formatters break. */
static u64 rnd_value(void)
{
	static const u64 edges[] = {
		0,
		1,
		~0ull,
		0x7f,
		0x80,
		0xff,
		0x7fff,
		0x8000,
		0xffff,
		0x7fffffff,
		0x80000000,
		0xffffffff,
		0x7fffffffffffffff,
		0x8000000000000000,
		10,
		99,
		100,
		8,
		7,
	};

	switch (rnd_below(4)) {
	case 0:
		return edges[rnd_below(ARRAY_SIZE(edges))];
	case 1:
		return rnd() & ((1ull << rnd_below(64)) - 1);
	case 2:
		return -(rnd() & 0xffff);
	default:
		return rnd();
	}
}

/*
 * Builds a random conversion the C standard defines, then calls both
 * formatters with arguments of exactly the types the format names.
 */
static void fuzz_one(void)
{
	static const char convs[] = "diuxXocs";
	static const char *const lens[] = {"", "hh", "h", "l", "ll", "z", "j", "t"};
	static const char *const strs[] = {"", "a", "hello", "with space",
					   "0123456789abcdefghijklmnopqrstuvwxyz"};
	char conv = convs[rnd_below(sizeof(convs) - 1)];
	bool is_int = conv != 'c' && conv != 's';
	char fmt[64], *f = fmt;
	int stars[2], nstars = 0;
	unsigned len = is_int ? rnd_below(ARRAY_SIZE(lens)) : 0;
	u64 v = rnd_value();

	f += sprintf(f, "<");
	/* '#' is defined only for o, x, X; '0' only for integers. */
	if (rnd_below(3) == 0)
		*f++ = '-';
	if (rnd_below(3) == 0)
		*f++ = '+';
	if (rnd_below(3) == 0)
		*f++ = ' ';
	if ((conv == 'o' || conv == 'x' || conv == 'X') && rnd_below(2))
		*f++ = '#';
	if (is_int && rnd_below(3) == 0)
		*f++ = '0';
	switch (rnd_below(4)) {
	case 0:
		break;
	case 1:
		*f++ = '*';
		stars[nstars++] = (int)rnd_below(41) - 20;
		break;
	default:
		f += sprintf(f, "%u", rnd_below(25));
		break;
	}
	/* A precision with %c is undefined. */
	if (conv != 'c') {
		switch (rnd_below(5)) {
		case 0:
			*f++ = '.';
			break;
		case 1:
			*f++ = '.';
			*f++ = '*';
			stars[nstars++] = (int)rnd_below(30) - 5;
			break;
		case 2:
			f += sprintf(f, ".%u", rnd_below(25));
			break;
		}
	}
	f += sprintf(f, "%s%c>", lens[len], conv);

	/* Dispatch on the argument type; the star arguments come first. */
#define CALL(arg)                                                                                  \
	do {                                                                                       \
		if (nstars == 0)                                                                   \
			check(__LINE__, fmt, arg);                                                 \
		else if (nstars == 1)                                                              \
			check(__LINE__, fmt, stars[0], arg);                                       \
		else                                                                               \
			check(__LINE__, fmt, stars[0], stars[1], arg);                             \
	} while (0)

	if (conv == 's') {
		CALL(strs[rnd_below(ARRAY_SIZE(strs))]);
		return;
	}
	if (conv == 'c') {
		CALL((int)(v & 0xff));
		return;
	}
	bool sgn = conv == 'd' || conv == 'i';
	switch (len) {
	case 0:
	case 1:
	case 2: /* hh and h take a promoted int */
		if (sgn)
			CALL((int)v);
		else
			CALL((unsigned int)v);
		break;
	case 3:
		if (sgn)
			CALL((long)v);
		else
			CALL((unsigned long)v);
		break;
	case 4:
		if (sgn)
			CALL((long long)v);
		else
			CALL((unsigned long long)v);
		break;
	case 5:
		if (sgn)
			CALL((ptrdiff_t)v); /* the signed type of size_t's size */
		else
			CALL((size_t)v);
		break;
	case 6:
		if (sgn)
			CALL((intmax_t)v);
		else
			CALL((uintmax_t)v);
		break;
	default:
		CALL((ptrdiff_t)v);
		break;
	}
#undef CALL
}

static void test_fuzz_against_host(void **state)
{
	unsigned long before = cases_checked;

	for (int i = 0; i < 200000; i++)
		fuzz_one();
	assert_int_equal(cases_checked - before, 200000);
}

/* Several conversions in one format, so state cannot leak between them. */
static void test_fuzz_sequences(void **state)
{
	for (int i = 0; i < 20000; i++) {
		int a = (int)rnd(), w = (int)rnd_below(12);
		unsigned long b = (unsigned long)rnd();
		long long c = (long long)rnd();

		CHECK("%-*d|%#lx|%+.7lld|%c|%.*s|%%|%hhu", w, a, b, c, 'q', w, "abcdefghijk",
		      (unsigned)a);
	}
}

static void test_errno_name(void **state)
{
	assert_string_equal(errno_name(-EIO), "EIO");
	assert_string_equal(errno_name(EIO), "EIO");
	assert_string_equal(errno_name(-ENOMEM), "ENOMEM");
	assert_string_equal(errno_name(-EINVAL), "EINVAL");
	assert_string_equal(errno_name(-ERANGE), "ERANGE");
	assert_string_equal(errno_name(-E2BIG), "E2BIG");
	assert_string_equal(errno_name(-ETIMEDOUT), "ETIMEDOUT");
	assert_string_equal(errno_name(-EOPNOTSUPP), "EOPNOTSUPP");
	assert_string_equal(errno_name(0), "OK");
	assert_string_equal(errno_name(-9999), "E?");
	assert_string_equal(errno_name(INT_MIN), "E?");
	/* Every code the header defines has its own name. */
	static const int codes[] = {EPERM,  ENOENT, EIO,    E2BIG,  EAGAIN,	ENOMEM,
				    EFAULT, EBUSY,  EEXIST, ENODEV, EINVAL,	ENOSPC,
				    EROFS,  ERANGE, ENOSYS, EPROTO, EOPNOTSUPP, ETIMEDOUT};
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		assert_string_not_equal(errno_name(-codes[i]), "E?");
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(errno_name(codes[i]), errno_name(codes[j]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_percent),
		cmocka_unit_test(test_signed),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_char_and_string),
		cmocka_unit_test(test_star),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_kernel_conventions),
		cmocka_unit_test(test_fuzz_against_host),
		cmocka_unit_test(test_fuzz_sequences),
		cmocka_unit_test(test_errno_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
