// SPDX-License-Identifier: MIT
/*
 * CRC32C against published vectors and a bit-at-a-time reference, and the
 * sector stamp format: its documented byte layout, round trips, and every
 * kind of damage reported with the right reason and the right sector.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/crc32c.h"
#include "bench/stamp.h"

/* The definition, one bit at a time: slow, obviously right. */
static u32 crc32c_bitwise(u32 crc, const u8 *p, size_t len)
{
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & -(crc & 1));
	}
	return ~crc;
}

static void test_crc32c_check_value(void **state)
{
	assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(crc32c(0, "", 0), 0);
	assert_int_equal(crc32c(0x12345678, "", 0), 0x12345678);
}

/* RFC 3720 (iSCSI), appendix B.4: the CRC as a little-endian u32. */
static void test_crc32c_iscsi_vectors(void **state)
{
	static const u8 read_pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	u8 buf[32];
	int i;

	memset(buf, 0, sizeof(buf));
	assert_int_equal(crc32c(0, buf, 32), 0x8A9136AAu);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(crc32c(0, buf, 32), 0x62A8AB43u);
	for (i = 0; i < 32; i++)
		buf[i] = (u8)i;
	assert_int_equal(crc32c(0, buf, 32), 0x46DD794Eu);
	for (i = 0; i < 32; i++)
		buf[i] = (u8)(31 - i);
	assert_int_equal(crc32c(0, buf, 32), 0x113FDB5Cu);
	assert_int_equal(crc32c(0, read_pdu, sizeof(read_pdu)), 0xD9963A56u);
}

/* Every length and alignment through the slice-by-8 loop and its edges. */
static void test_crc32c_matches_bitwise(void **state)
{
	u8 buf[300];
	size_t off, len;

	srand(1);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)rand();
	for (off = 0; off < 8; off++)
		for (len = 0; len + off <= sizeof(buf); len++)
			assert_int_equal(crc32c(0, buf + off, len),
					 crc32c_bitwise(0, buf + off, len));
}

static void test_crc32c_chains(void **state)
{
	u8 buf[100];
	u32 whole;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)(i * 7 + 3);
	whole = crc32c(0, buf, sizeof(buf));
	for (size_t cut = 0; cut <= sizeof(buf); cut++)
		assert_int_equal(crc32c(crc32c(0, buf, cut), buf + cut, sizeof(buf) - cut), whole);
}

static u64 le64(const u8 *p)
{
	u64 v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static u32 rd32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static void wr32(u8 *p, u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (u8)(v >> (8 * i));
}

static void wr64(u8 *p, u64 v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (u8)(v >> (8 * i));
}

static u64 mix(u64 z)
{
	z ^= z >> 30;
	z *= 0xbf58476d1ce4e5b9ull;
	z ^= z >> 27;
	z *= 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Recomputes the crc field, as a writer of deliberately wrong data would. */
static void reseal(u8 *s)
{
	wr32(s + STAMP_OFF_CRC, 0);
	wr32(s + STAMP_OFF_CRC, crc32c(0, s, STAMP_SECTOR_SIZE));
}

/* The layout documented in stamp.h, recomputed here independently. */
static void test_stamp_layout(void **state)
{
	u8 s[STAMP_SECTOR_SIZE], copy[STAMP_SECTOR_SIZE];
	const u64 sector = 1234, seed = 7;
	u64 st;

	stamp_fill(s, sizeof(s), sector, seed, 0);
	assert_memory_equal(s, "VBLKSTMP", 8);
	assert_int_equal(le64(s + 0), STAMP_MAGIC);
	assert_int_equal(le64(s + 8), sector);
	assert_int_equal(le64(s + 16), seed);
	assert_int_equal(rd32(s + 28), 0);
	stamp_fill(s, sizeof(s), sector, seed, 0xdeadbeef);
	assert_int_equal(rd32(s + 28), 0xdeadbeef);

	memcpy(copy, s, sizeof(copy));
	wr32(copy + 24, 0);
	assert_int_equal(rd32(s + 24), crc32c(0, copy, sizeof(copy)));

	st = mix(mix(seed) + sector);
	for (int i = 0; i < STAMP_PAYLOAD_WORDS; i++) {
		st += 0x9e3779b97f4a7c15ull;
		assert_int_equal(le64(s + 32 + 8 * i), mix(st));
	}
}

static void test_stamp_round_trip(void **state)
{
	const size_t n = 64, len = n * STAMP_SECTOR_SIZE;
	u8 *buf = malloc(len + 1);
	u64 bad = 99;

	assert_non_null(buf);
	/* Unaligned on purpose: DMA buffers are aligned, test buffers need not be. */
	stamp_fill(buf + 1, len, 5000, 42, 0);
	assert_int_equal(stamp_verify(buf + 1, len, 5000, 42, STAMP_ANY_GEN, &bad), 0);
	assert_int_equal(bad, 99);
	assert_int_equal(stamp_verify(buf + 1, len, 5000, STAMP_ANY_SEED, STAMP_ANY_GEN, NULL), 0);
	assert_int_equal(stamp_verify(buf + 1, 0, 0, 1, STAMP_ANY_GEN, NULL), 0);

	/* A sub-range checks against its own first sector. */
	assert_int_equal(stamp_verify(buf + 1 + 10 * STAMP_SECTOR_SIZE, 4 * STAMP_SECTOR_SIZE, 5010,
				      42, STAMP_ANY_GEN, NULL),
			 0);
	assert_int_equal(stamp_verify(buf + 1 + 10 * STAMP_SECTOR_SIZE, 4 * STAMP_SECTOR_SIZE, 5000,
				      42, STAMP_ANY_GEN, &bad),
			 STAMP_ESECTOR);
	assert_int_equal(bad, 5000);

	/* Different seeds and sectors give different payloads. */
	stamp_fill(buf, STAMP_SECTOR_SIZE, 0, 1, 0);
	assert_int_equal(stamp_verify(buf, STAMP_SECTOR_SIZE, 0, 2, STAMP_ANY_GEN, &bad),
			 STAMP_ESEED);
	free(buf);
}

/* Each kind of damage, in each position of a 16-sector buffer. */
static void test_stamp_detects_corruption(void **state)
{
	enum { N = 16, FIRST = 1000, SEED = 7 };
	u8 *buf = malloc(N * STAMP_SECTOR_SIZE);
	struct stamp_mismatch m;

	assert_non_null(buf);
	for (int k = 0; k < N; k++) {
		u8 *s = buf + k * STAMP_SECTOR_SIZE;
		const u64 want = FIRST + (u64)k;

		/* One flipped payload bit. */
		stamp_fill(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED, 0);
		s[100 + k] ^= 0x10;
		assert_int_equal(stamp_verify_detail(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED,
						     STAMP_ANY_GEN, &m),
				 STAMP_ECRC);
		assert_int_equal(m.err, STAMP_ECRC);
		assert_int_equal(m.sector, want);

		/* A flipped bit in the address is corruption too. */
		stamp_fill(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED, 0);
		s[STAMP_OFF_SECTOR] ^= 1;
		assert_int_equal(stamp_verify_detail(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED,
						     STAMP_ANY_GEN, &m),
				 STAMP_ECRC);
		assert_int_equal(m.sector, want);

		/* A flipped bit in the crc field itself. */
		stamp_fill(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED, 0);
		s[STAMP_OFF_CRC + 2] ^= 0x80;
		assert_int_equal(stamp_verify_detail(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED,
						     STAMP_ANY_GEN, &m),
				 STAMP_ECRC);
		assert_int_equal(m.sector, want);

		/* Never written: zeroes. */
		stamp_fill(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED, 0);
		memset(s, 0, STAMP_SECTOR_SIZE);
		assert_int_equal(stamp_verify_detail(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED,
						     STAMP_ANY_GEN, &m),
				 STAMP_EMAGIC);
		assert_int_equal(m.sector, want);

		/* A misdirected write: another sector's valid stamp. */
		stamp_fill(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED, 0);
		stamp_fill(s, STAMP_SECTOR_SIZE, 1234, SEED, 0);
		assert_int_equal(stamp_verify_detail(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED,
						     STAMP_ANY_GEN, &m),
				 STAMP_ESECTOR);
		assert_int_equal(m.sector, want);
		assert_int_equal(m.found_sector, 1234);

		/* Stale data from a run with another seed. */
		stamp_fill(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED, 0);
		stamp_fill(s, STAMP_SECTOR_SIZE, want, 3, 0);
		assert_int_equal(stamp_verify_detail(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED,
						     STAMP_ANY_GEN, &m),
				 STAMP_ESEED);
		assert_int_equal(m.sector, want);
		assert_int_equal(m.found_seed, 3);
		/* ...which "any seed" accepts. */
		assert_int_equal(stamp_verify(buf, N * STAMP_SECTOR_SIZE, FIRST, STAMP_ANY_SEED,
					      STAMP_ANY_GEN, NULL),
				 0);

		/* Wrong payload behind a valid checksum. */
		stamp_fill(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED, 0);
		s[STAMP_SECTOR_SIZE - 1] ^= 0xff;
		reseal(s);
		assert_int_equal(stamp_verify_detail(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED,
						     STAMP_ANY_GEN, &m),
				 STAMP_EPAYLOAD);
		assert_int_equal(m.sector, want);
		assert_int_equal(stamp_verify(buf, N * STAMP_SECTOR_SIZE, FIRST, STAMP_ANY_SEED,
					      STAMP_ANY_GEN, NULL),
				 STAMP_EPAYLOAD);

		/*
		 * An older write of the same seed (an overwrite that never
		 * landed): caught when the generation is known, accepted when
		 * it is not.
		 */
		stamp_fill(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED, 41);
		stamp_fill(s, STAMP_SECTOR_SIZE, want, SEED, 40);
		assert_int_equal(
			stamp_verify_detail(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED, 41, &m),
			STAMP_EGEN);
		assert_int_equal(m.sector, want);
		assert_int_equal(m.found_gen, 40);
		assert_int_equal(m.found_seed, SEED);
		assert_true(stamp_stale(m.err));
		assert_int_equal(
			stamp_verify(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED, STAMP_ANY_GEN, NULL),
			0);

		/* The generation is under the checksum: a flipped bit there is corruption. */
		stamp_fill(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED, 41);
		wr32(s + STAMP_OFF_GEN, 43);
		assert_int_equal(
			stamp_verify_detail(buf, N * STAMP_SECTOR_SIZE, FIRST, SEED, 41, &m),
			STAMP_ECRC);
		assert_int_equal(m.sector, want);
	}
	free(buf);
}

static void test_stamp_reports_first_bad_sector(void **state)
{
	u8 buf[8 * STAMP_SECTOR_SIZE];
	u64 bad = 0;

	stamp_fill(buf, sizeof(buf), 0, 9, 0);
	memset(buf + 6 * STAMP_SECTOR_SIZE, 0, STAMP_SECTOR_SIZE);
	buf[2 * STAMP_SECTOR_SIZE + 300] ^= 1;
	assert_int_equal(stamp_verify(buf, sizeof(buf), 0, 9, STAMP_ANY_GEN, &bad), STAMP_ECRC);
	assert_int_equal(bad, 2);
	assert_int_equal(stamp_verify(buf + 3 * STAMP_SECTOR_SIZE, 5 * STAMP_SECTOR_SIZE, 3, 9,
				      STAMP_ANY_GEN, &bad),
			 STAMP_EMAGIC);
	assert_int_equal(bad, 6);
}

/* A length that ends inside a sector: the tail is the stamp's prefix. */
static void test_stamp_partial_sector(void **state)
{
	u8 full[2 * STAMP_SECTOR_SIZE], part[STAMP_SECTOR_SIZE + 100];
	struct stamp_mismatch m;
	size_t len;

	stamp_fill(full, sizeof(full), 77, 5, 0);
	for (len = 0; len <= sizeof(part); len++) {
		memset(part, 0xaa, sizeof(part));
		stamp_fill(part, len, 77, 5, 0);
		assert_memory_equal(part, full, len);
		if (len < sizeof(part))
			assert_int_equal(part[len], 0xaa);
		assert_int_equal(stamp_verify(part, len, 77, 5, STAMP_ANY_GEN, NULL), 0);
		assert_int_equal(stamp_verify(part, len, 77, STAMP_ANY_SEED, STAMP_ANY_GEN, NULL),
				 0);
	}

	len = sizeof(part);
	stamp_fill(part, len, 77, 5, 0);
	part[STAMP_SECTOR_SIZE + 50] ^= 1;
	assert_int_equal(stamp_verify_detail(part, len, 77, 5, STAMP_ANY_GEN, &m), STAMP_EPAYLOAD);
	assert_int_equal(m.sector, 78);

	stamp_fill(part, len, 77, 5, 0);
	part[STAMP_SECTOR_SIZE + 3] = 0;
	assert_int_equal(stamp_verify_detail(part, len, 77, 5, STAMP_ANY_GEN, &m), STAMP_EMAGIC);
	assert_int_equal(m.sector, 78);

	stamp_fill(part, len, 77, 5, 0);
	wr64(part + STAMP_SECTOR_SIZE + STAMP_OFF_SECTOR, 4321);
	assert_int_equal(stamp_verify_detail(part, len, 77, 5, STAMP_ANY_GEN, &m), STAMP_ESECTOR);
	assert_int_equal(m.found_sector, 4321);

	stamp_fill(part, len, 77, 5, 0);
	stamp_fill(part + STAMP_SECTOR_SIZE, 100, 78, 6, 0);
	assert_int_equal(stamp_verify_detail(part, len, 77, 5, STAMP_ANY_GEN, &m), STAMP_ESEED);
	assert_int_equal(m.found_seed, 6);
	assert_int_equal(stamp_verify(part, len, 77, STAMP_ANY_SEED, STAMP_ANY_GEN, NULL), 0);

	/* A partial sector of another generation. */
	stamp_fill(part, len, 77, 5, 9);
	stamp_fill(part + STAMP_SECTOR_SIZE, 100, 78, 5, 8);
	assert_int_equal(stamp_verify_detail(part, len, 77, 5, 9, &m), STAMP_EGEN);
	assert_int_equal(m.sector, 78);
	assert_int_equal(m.found_gen, 8);
	assert_int_equal(stamp_verify(part, len, 77, 5, STAMP_ANY_GEN, NULL), 0);
}

static void test_stamp_messages(void **state)
{
	struct stamp_mismatch m = {
		.err = STAMP_ESECTOR, .sector = 5, .found_sector = 1234, .found_seed = 0};
	char out[96];

	assert_string_equal(stamp_strerror(STAMP_EMAGIC), "bad magic");
	assert_string_equal(stamp_strerror(STAMP_ESECTOR), "wrong sector");
	assert_string_equal(stamp_strerror(STAMP_ECRC), "bad checksum");
	assert_string_equal(stamp_strerror(STAMP_ESEED), "wrong seed");
	assert_string_equal(stamp_strerror(STAMP_EPAYLOAD), "bad payload");
	assert_string_equal(stamp_strerror(0), "ok");
	assert_string_equal(stamp_strerror(-3), "unknown stamp error");

	assert_string_equal(stamp_describe(&m, out, sizeof(out)), "wrong sector (found 1234)");
	m.err = STAMP_ESEED;
	m.found_seed = 18446744073709551615ull;
	m.found_gen = 4294967295u;
	assert_string_equal(stamp_describe(&m, out, sizeof(out)),
			    "wrong seed (found seed 18446744073709551615 generation 4294967295)");
	m.err = STAMP_EGEN;
	m.found_seed = 7;
	m.found_gen = 0;
	assert_string_equal(stamp_describe(&m, out, sizeof(out)),
			    "wrong generation (found seed 7 generation 0)");
	assert_string_equal(stamp_strerror(STAMP_EGEN), "wrong generation");
	m.err = STAMP_ECRC;
	assert_string_equal(stamp_describe(&m, out, sizeof(out)), "bad checksum");
	m.err = STAMP_ESECTOR;
	m.found_sector = 0;
	assert_string_equal(stamp_describe(&m, out, sizeof(out)), "wrong sector (found 0)");
	/* Truncated, but always terminated. */
	assert_string_equal(stamp_describe(&m, out, 6), "wrong");
	out[0] = 'x';
	stamp_describe(&m, out, 0);
	assert_int_equal(out[0], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_check_value),
		cmocka_unit_test(test_crc32c_iscsi_vectors),
		cmocka_unit_test(test_crc32c_matches_bitwise),
		cmocka_unit_test(test_crc32c_chains),
		cmocka_unit_test(test_stamp_layout),
		cmocka_unit_test(test_stamp_round_trip),
		cmocka_unit_test(test_stamp_detects_corruption),
		cmocka_unit_test(test_stamp_reports_first_bad_sector),
		cmocka_unit_test(test_stamp_partial_sector),
		cmocka_unit_test(test_stamp_messages),
	};

	return cmocka_run_group_tests_name("stamp", tests, NULL, NULL);
}
