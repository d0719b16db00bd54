/* SPDX-License-Identifier: MIT */
/*
 * Validation of the virtio-blk configuration space (drivers/virtio_blk_config.c).
 *
 * The device here is only its configuration space image: VIRTIO_BLK_CFG_SIZE
 * bytes, written byte by byte in little-endian order as virtio 1.1, 5.2.4
 * lays them out, plus the features it offers. Each test starts from a
 * QEMU-like device and changes one thing: a feature withdrawn, a field that
 * lies, a value that is valid but beyond this driver.
 *
 * A refusal must say what was wrong, so the log is checked for a line at the
 * right level that names the device, the field, and the value the device
 * gave; the wording around them is free.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/virtio_blk.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"

#define DEV_NAME "vda"
#define BIT(n) (1ull << (n))

/* ========================================================================
 * The simulated device's configuration space.
 */

struct dev {
	u8 raw[VIRTIO_BLK_CFG_SIZE];
	u64 features;
};

static void put8(struct dev *d, unsigned off, u8 v)
{
	assert_true(off + 1 <= sizeof(d->raw));
	d->raw[off] = v;
}

static void put16(struct dev *d, unsigned off, u16 v)
{
	assert_true(off + 2 <= sizeof(d->raw));
	for (unsigned i = 0; i < 2; i++)
		d->raw[off + i] = (u8)(v >> (8 * i));
}

static void put32(struct dev *d, unsigned off, u32 v)
{
	assert_true(off + 4 <= sizeof(d->raw));
	for (unsigned i = 0; i < 4; i++)
		d->raw[off + i] = (u8)(v >> (8 * i));
}

static void put64(struct dev *d, unsigned off, u64 v)
{
	assert_true(off + 8 <= sizeof(d->raw));
	for (unsigned i = 0; i < 8; i++)
		d->raw[off + i] = (u8)(v >> (8 * i));
}

static void offer(struct dev *d, unsigned bit)
{
	d->features |= BIT(bit);
}

static void withdraw(struct dev *d, unsigned bit)
{
	d->features &= ~BIT(bit);
}

/*
 * What the QEMU-like device reports. Every value differs from its
 * neighbours and from the parser's defaults, so a field read at the wrong
 * offset or width, or not read at all, shows.
 */
#define GOOD_CAPACITY 8388608ull /* 4 GiB */
#define GOOD_SIZE_MAX 131072
#define GOOD_SEG_MAX 254 /* QEMU: queue-size 256 less header and status */
#define GOOD_CYLINDERS 16383
#define GOOD_HEADS 16
#define GOOD_SECTORS 63
#define GOOD_BLK_SIZE 4096
#define GOOD_PHYS_EXP 1 /* two logical blocks per physical one */
#define GOOD_MIN_IO 2
#define GOOD_OPT_IO 64
#define GOOD_NUM_QUEUES 4
#define GOOD_DISCARD_SECTORS 4194303 /* QEMU's BDRV_REQUEST_MAX_SECTORS */
#define GOOD_DISCARD_SEG 1
#define GOOD_DISCARD_ALIGN 8
#define GOOD_WZ_SECTORS 2097151
#define GOOD_WZ_SEG 1

static void qemu_default(struct dev *d)
{
	memset(d, 0, sizeof(*d));
	put64(d, VIRTIO_BLK_CFG_CAPACITY, GOOD_CAPACITY);
	put32(d, VIRTIO_BLK_CFG_SIZE_MAX, GOOD_SIZE_MAX);
	put32(d, VIRTIO_BLK_CFG_SEG_MAX, GOOD_SEG_MAX);
	put16(d, VIRTIO_BLK_CFG_GEOMETRY, GOOD_CYLINDERS);
	put8(d, VIRTIO_BLK_CFG_GEOMETRY + 2, GOOD_HEADS);
	put8(d, VIRTIO_BLK_CFG_GEOMETRY + 3, GOOD_SECTORS);
	put32(d, VIRTIO_BLK_CFG_BLK_SIZE, GOOD_BLK_SIZE);
	put8(d, VIRTIO_BLK_CFG_PHYS_BLOCK_EXP, GOOD_PHYS_EXP);
	put8(d, VIRTIO_BLK_CFG_ALIGNMENT_OFFSET, 0);
	put16(d, VIRTIO_BLK_CFG_MIN_IO_SIZE, GOOD_MIN_IO);
	put32(d, VIRTIO_BLK_CFG_OPT_IO_SIZE, GOOD_OPT_IO);
	put8(d, VIRTIO_BLK_CFG_WRITEBACK, 1);
	put8(d, VIRTIO_BLK_CFG_WRITEBACK + 1, 0xa5); /* unused0: junk is allowed */
	put16(d, VIRTIO_BLK_CFG_NUM_QUEUES, GOOD_NUM_QUEUES);
	put32(d, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, GOOD_DISCARD_SECTORS);
	put32(d, VIRTIO_BLK_CFG_MAX_DISCARD_SEG, GOOD_DISCARD_SEG);
	put32(d, VIRTIO_BLK_CFG_DISCARD_ALIGNMENT, GOOD_DISCARD_ALIGN);
	put32(d, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS, GOOD_WZ_SECTORS);
	put32(d, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG, GOOD_WZ_SEG);
	put8(d, VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP, 1);
	for (unsigned off = VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP + 1; off < VIRTIO_BLK_CFG_SIZE;
	     off++)
		put8(d, off, 0x5a); /* unused1 */

	const unsigned bits[] = {
		VIRTIO_BLK_F_SIZE_MAX,	   VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_GEOMETRY,
		VIRTIO_BLK_F_BLK_SIZE,	   VIRTIO_BLK_F_FLUSH,	 VIRTIO_BLK_F_TOPOLOGY,
		VIRTIO_BLK_F_CONFIG_WCE,   VIRTIO_BLK_F_MQ,	 VIRTIO_BLK_F_DISCARD,
		VIRTIO_BLK_F_WRITE_ZEROES,
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bits); i++)
		offer(d, bits[i]);
}

/* ========================================================================
 * Running the parser, and reading what it printed.
 */

static struct virtblk_config cfg;

/*
 * Parse a copy of the image in a heap buffer of exactly VIRTIO_BLK_CFG_SIZE
 * bytes, so AddressSanitizer sees a read past the configuration space. The
 * output starts as junk, so a field the parser forgets to set shows too.
 */
static int parse(const struct dev *d)
{
	u8 *raw = malloc(VIRTIO_BLK_CFG_SIZE);
	int rc;

	assert_non_null(raw);
	memcpy(raw, d->raw, VIRTIO_BLK_CFG_SIZE);
	host_log_len = 0;
	host_log[0] = '\0';
	memset(&cfg, 0xa5, sizeof(cfg));
	rc = virtblk_parse_config(DEV_NAME, raw, d->features, &cfg);
	free(raw);
	return rc;
}

static bool is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* @word in [s, end) with no letter, digit or underscore either side. */
static const char *find_word(const char *s, const char *end, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = s; p + n <= end; p++) {
		if (memcmp(p, word, n))
			continue;
		if (p > s && is_word_char(p[-1]))
			continue;
		if (p + n < end && is_word_char(p[n]))
			continue;
		return p;
	}
	return NULL;
}

/*
 * Is there a log line that starts with @level ("ERROR: ", "WARNING: "),
 * names the device, names @field, and after it gives @value? @also, if not
 * NULL, must appear on the same line as well (the value used instead).
 */
static bool logged(const char *level, const char *field, const char *value, const char *also)
{
	const char *line = host_log;

	while (*line) {
		const char *end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		const char *f;
		if (!strncmp(line, level, strlen(level)) && find_word(line, end, DEV_NAME) &&
		    (f = find_word(line, end, field)) && find_word(f + strlen(field), end, value) &&
		    (!also || find_word(line, end, also)))
			return true;
		line = *end ? end + 1 : end;
	}
	return false;
}

static void print_log_on_failure(bool ok)
{
	if (!ok)
		print_error("log was:\n%s", host_log);
}

#define assert_logged(level, field, value, also)                                                   \
	do {                                                                                       \
		bool ok_ = logged(level, field, value, also);                                      \
		print_log_on_failure(ok_);                                                         \
		assert_true(ok_);                                                                  \
	} while (0)

#define assert_log_empty()                                                                         \
	do {                                                                                       \
		print_log_on_failure(host_log_len == 0);                                           \
		assert_int_equal(host_log_len, 0);                                                 \
	} while (0)

static int setup(void **state)
{
	host_platform_reset();
	host_printk_quiet = true;
	return 0;
}

/* ========================================================================
 * A good device.
 */

static void test_qemu_default(void **state)
{
	struct dev d;

	qemu_default(&d);
	assert_int_equal(parse(&d), 0);
	assert_log_empty();
	assert_int_equal(cfg.capacity, GOOD_CAPACITY);
	assert_int_equal(cfg.blk_size, GOOD_BLK_SIZE);
	assert_int_equal(cfg.phys_block_size, GOOD_BLK_SIZE << GOOD_PHYS_EXP);
	assert_int_equal(cfg.min_io_size, GOOD_MIN_IO);
	assert_int_equal(cfg.opt_io_size, GOOD_OPT_IO);
	assert_int_equal(cfg.seg_max, GOOD_SEG_MAX);
	assert_int_equal(cfg.size_max, GOOD_SIZE_MAX);
	assert_int_equal(cfg.cylinders, GOOD_CYLINDERS);
	assert_int_equal(cfg.heads, GOOD_HEADS);
	assert_int_equal(cfg.sectors, GOOD_SECTORS);
	assert_false(cfg.read_only);
	assert_true(cfg.writeback);
	assert_int_equal(cfg.max_discard_sectors, GOOD_DISCARD_SECTORS);
	assert_int_equal(cfg.max_write_zeroes_sectors, GOOD_WZ_SECTORS);
	assert_true(cfg.write_zeroes_may_unmap);
	assert_int_equal(cfg.num_queues, GOOD_NUM_QUEUES);
}

/* Values with high bits set: each read must take the full field width. */
static void test_wide_values(void **state)
{
	struct dev d;

	qemu_default(&d);
	put64(&d, VIRTIO_BLK_CFG_CAPACITY, 0x0012345678abcde0ull);
	put32(&d, VIRTIO_BLK_CFG_SIZE_MAX, 0xfffff000u);
	put16(&d, VIRTIO_BLK_CFG_GEOMETRY, 0xfedc);
	put8(&d, VIRTIO_BLK_CFG_GEOMETRY + 2, 0xff);
	put8(&d, VIRTIO_BLK_CFG_GEOMETRY + 3, 0xfe);
	put16(&d, VIRTIO_BLK_CFG_MIN_IO_SIZE, 0xfffe);
	put32(&d, VIRTIO_BLK_CFG_OPT_IO_SIZE, 0xfffffffd);
	put32(&d, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, 0xfffffffc);
	put32(&d, VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 0xffffffff);
	put32(&d, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS, 0xfffffffb);
	put32(&d, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG, 0xffffffff);
	put16(&d, VIRTIO_BLK_CFG_NUM_QUEUES, VIRTBLK_MAX_QUEUES);
	assert_int_equal(parse(&d), 0);
	assert_log_empty();
	assert_int_equal(cfg.capacity, 0x0012345678abcde0ull);
	assert_int_equal(cfg.size_max, 0xfffff000u);
	assert_int_equal(cfg.cylinders, 0xfedc);
	assert_int_equal(cfg.heads, 0xff);
	assert_int_equal(cfg.sectors, 0xfe);
	assert_int_equal(cfg.min_io_size, 0xfffe);
	assert_int_equal(cfg.opt_io_size, 0xfffffffd);
	assert_int_equal(cfg.max_discard_sectors, 0xfffffffc);
	assert_int_equal(cfg.max_write_zeroes_sectors, 0xfffffffb);
	assert_int_equal(cfg.num_queues, VIRTBLK_MAX_QUEUES);
}

static void test_read_only(void **state)
{
	struct dev d;

	qemu_default(&d);
	offer(&d, VIRTIO_BLK_F_RO);
	assert_int_equal(parse(&d), 0);
	assert_true(cfg.read_only);
	withdraw(&d, VIRTIO_BLK_F_RO);
	assert_int_equal(parse(&d), 0);
	assert_false(cfg.read_only);
}

/* Writeback comes from the writeback byte under CONFIG_WCE, else from FLUSH. */
static void test_cache_mode(void **state)
{
	struct dev d;

	qemu_default(&d);
	put8(&d, VIRTIO_BLK_CFG_WRITEBACK, 0);
	assert_int_equal(parse(&d), 0);
	assert_false(cfg.writeback);

	put8(&d, VIRTIO_BLK_CFG_WRITEBACK, 1);
	assert_int_equal(parse(&d), 0);
	assert_true(cfg.writeback);

	/* Without CONFIG_WCE the byte means nothing: FLUSH alone says writeback. */
	withdraw(&d, VIRTIO_BLK_F_CONFIG_WCE);
	put8(&d, VIRTIO_BLK_CFG_WRITEBACK, 0);
	assert_int_equal(parse(&d), 0);
	assert_true(cfg.writeback);

	/* No FLUSH: the cache, if any, is not ours to flush. */
	withdraw(&d, VIRTIO_BLK_F_FLUSH);
	put8(&d, VIRTIO_BLK_CFG_WRITEBACK, 1);
	assert_int_equal(parse(&d), 0);
	assert_false(cfg.writeback);
	assert_log_empty();
}

static void test_write_zeroes_may_unmap(void **state)
{
	struct dev d;

	qemu_default(&d);
	put8(&d, VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP, 0);
	assert_int_equal(parse(&d), 0);
	assert_false(cfg.write_zeroes_may_unmap);
	assert_int_equal(cfg.max_write_zeroes_sectors, GOOD_WZ_SECTORS);
}

/* ========================================================================
 * Fields without their feature bit are not read.
 */

/* Nothing negotiated, every byte junk except a sane capacity. */
static void test_no_features(void **state)
{
	struct dev d;

	memset(&d, 0xa5, sizeof(d));
	d.features = 0;
	put64(&d, VIRTIO_BLK_CFG_CAPACITY, 1001);
	assert_int_equal(parse(&d), 0);
	assert_log_empty();
	assert_int_equal(cfg.capacity, 1001); /* 512-byte blocks: nothing to round */
	assert_int_equal(cfg.blk_size, SECTOR_SIZE);
	assert_int_equal(cfg.phys_block_size, SECTOR_SIZE);
	assert_int_equal(cfg.min_io_size, 0);
	assert_int_equal(cfg.opt_io_size, 0);
	assert_int_equal(cfg.seg_max, VIRTBLK_MAX_SEGMENTS);
	assert_int_equal(cfg.size_max, 0);
	assert_int_equal(cfg.cylinders, 0);
	assert_int_equal(cfg.heads, 0);
	assert_int_equal(cfg.sectors, 0);
	assert_false(cfg.read_only);
	assert_false(cfg.writeback);
	assert_int_equal(cfg.max_discard_sectors, 0);
	assert_int_equal(cfg.max_write_zeroes_sectors, 0);
	assert_false(cfg.write_zeroes_may_unmap);
	assert_int_equal(cfg.num_queues, 1);
}

/* The brief's example: garbage blk_size, no BLK_SIZE, gives 512. */
static void test_garbage_blk_size_ignored(void **state)
{
	struct dev d;

	qemu_default(&d);
	put32(&d, VIRTIO_BLK_CFG_BLK_SIZE, 100);
	put64(&d, VIRTIO_BLK_CFG_CAPACITY, 1001);
	assert_int_equal(parse(&d), -EINVAL); /* offered, it is a lie */
	withdraw(&d, VIRTIO_BLK_F_BLK_SIZE);
	assert_int_equal(parse(&d), 0);
	assert_log_empty();
	assert_int_equal(cfg.blk_size, SECTOR_SIZE);
	assert_int_equal(cfg.phys_block_size, SECTOR_SIZE << GOOD_PHYS_EXP);
	assert_int_equal(cfg.capacity, 1001);
}

static void test_geometry_ignored(void **state)
{
	struct dev d;

	qemu_default(&d);
	withdraw(&d, VIRTIO_BLK_F_GEOMETRY);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.cylinders, 0);
	assert_int_equal(cfg.heads, 0);
	assert_int_equal(cfg.sectors, 0);
}

static void test_topology_ignored(void **state)
{
	struct dev d;

	qemu_default(&d);
	withdraw(&d, VIRTIO_BLK_F_TOPOLOGY);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.phys_block_size, GOOD_BLK_SIZE);
	assert_int_equal(cfg.min_io_size, 0);
	assert_int_equal(cfg.opt_io_size, 0);
}

static void test_limits_ignored(void **state)
{
	struct dev d;

	qemu_default(&d);
	withdraw(&d, VIRTIO_BLK_F_SEG_MAX);
	withdraw(&d, VIRTIO_BLK_F_SIZE_MAX);
	withdraw(&d, VIRTIO_BLK_F_MQ);
	withdraw(&d, VIRTIO_BLK_F_DISCARD);
	withdraw(&d, VIRTIO_BLK_F_WRITE_ZEROES);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.seg_max, VIRTBLK_MAX_SEGMENTS);
	assert_int_equal(cfg.size_max, 0);
	assert_int_equal(cfg.num_queues, 1);
	assert_int_equal(cfg.max_discard_sectors, 0);
	assert_int_equal(cfg.max_write_zeroes_sectors, 0);
	assert_false(cfg.write_zeroes_may_unmap);
}

/* ========================================================================
 * Devices that lie, and values beyond this driver: one case each.
 *
 * Every case is run twice: as given, where it must be refused with a
 * message naming the field and value; and with the feature that guards the
 * field withdrawn, where the same bytes must be ignored.
 */

struct bad_case {
	const char *name;
	unsigned field_off, width; /* width 0: the capacity, 8 bytes */
	u64 value;
	int feature; /* the bit that makes the field count; -1: always read */
	int err;
	const char *field; /* as the message must name it */
	const char *value_text;
	const char *also; /* must be on the same line too, or NULL */
	u32 blk_size;	  /* 0: the default's */
	u32 seg_max;	  /* 0: the default's */
};

#define BAD(fld, off, w, v, feat, e, ...)                                                          \
	{                                                                                          \
		.name = #e ": " fld " " #v, .field_off = (off), .width = (w), .value = (v),        \
		.feature = (feat), .err = (e), .field = fld, .value_text = #v, __VA_ARGS__         \
	}

static const struct bad_case bad_cases[] = {
	/* The specification forbids these: the device is broken. */
	BAD("blk_size", VIRTIO_BLK_CFG_BLK_SIZE, 4, 0, VIRTIO_BLK_F_BLK_SIZE, EINVAL),
	BAD("blk_size", VIRTIO_BLK_CFG_BLK_SIZE, 4, 100, VIRTIO_BLK_F_BLK_SIZE, EINVAL),
	BAD("blk_size", VIRTIO_BLK_CFG_BLK_SIZE, 4, 256, VIRTIO_BLK_F_BLK_SIZE, EINVAL),
	BAD("blk_size", VIRTIO_BLK_CFG_BLK_SIZE, 4, 768, VIRTIO_BLK_F_BLK_SIZE, EINVAL),
	BAD("blk_size", VIRTIO_BLK_CFG_BLK_SIZE, 4, 4097, VIRTIO_BLK_F_BLK_SIZE, EINVAL),
	BAD("seg_max", VIRTIO_BLK_CFG_SEG_MAX, 4, 0, VIRTIO_BLK_F_SEG_MAX, EINVAL),
	BAD("num_queues", VIRTIO_BLK_CFG_NUM_QUEUES, 2, 0, VIRTIO_BLK_F_MQ, EINVAL),
	BAD("physical_block_exp", VIRTIO_BLK_CFG_PHYS_BLOCK_EXP, 1, 40, VIRTIO_BLK_F_TOPOLOGY,
	    EINVAL),
	BAD("physical_block_exp", VIRTIO_BLK_CFG_PHYS_BLOCK_EXP, 1, 17, VIRTIO_BLK_F_TOPOLOGY,
	    EINVAL, .blk_size = 512),
	BAD("physical_block_exp", VIRTIO_BLK_CFG_PHYS_BLOCK_EXP, 1, 255, VIRTIO_BLK_F_TOPOLOGY,
	    EINVAL),
	/* 64 KiB << 16 is 4 GiB, which does not fit phys_block_size. */
	BAD("physical_block_exp", VIRTIO_BLK_CFG_PHYS_BLOCK_EXP, 1, 16, VIRTIO_BLK_F_TOPOLOGY,
	    EINVAL, .blk_size = 65536),
	BAD("max_discard_sectors", VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, 4, 0, VIRTIO_BLK_F_DISCARD,
	    EINVAL),
	BAD("max_discard_seg", VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 4, 0, VIRTIO_BLK_F_DISCARD, EINVAL),
	BAD("max_write_zeroes_sectors", VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS, 4, 0,
	    VIRTIO_BLK_F_WRITE_ZEROES, EINVAL),
	BAD("max_write_zeroes_seg", VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG, 4, 0,
	    VIRTIO_BLK_F_WRITE_ZEROES, EINVAL),
	/* 2^55 sectors is 2^64 bytes: one past what a byte count can hold. */
	BAD("capacity", VIRTIO_BLK_CFG_CAPACITY, 8, 36028797018963968, -1, EINVAL),
	BAD("capacity", VIRTIO_BLK_CFG_CAPACITY, 8, 36028797018963969, -1, EINVAL),
	{.name = "EINVAL: capacity 2^64-1",
	 .field_off = VIRTIO_BLK_CFG_CAPACITY,
	 .width = 8,
	 .value = UINT64_MAX,
	 .feature = -1,
	 .err = EINVAL,
	 .field = "capacity",
	 .value_text = "18446744073709551615"},

	/* Valid, but not something this driver can use. */
	BAD("blk_size", VIRTIO_BLK_CFG_BLK_SIZE, 4, 2097152, VIRTIO_BLK_F_BLK_SIZE, EOPNOTSUPP,
	    .also = "65536"),
	BAD("blk_size", VIRTIO_BLK_CFG_BLK_SIZE, 4, 131072, VIRTIO_BLK_F_BLK_SIZE, EOPNOTSUPP,
	    .also = "65536"),
	/* Page-sized segments (size_max raised to a page) of 64 KiB blocks: 16 are needed. */
	BAD("size_max", VIRTIO_BLK_CFG_SIZE_MAX, 4, 0, VIRTIO_BLK_F_SIZE_MAX, EOPNOTSUPP,
	    .also = "seg_max", .blk_size = 65536, .seg_max = 15),
	BAD("size_max", VIRTIO_BLK_CFG_SIZE_MAX, 4, 8192, VIRTIO_BLK_F_SIZE_MAX, EOPNOTSUPP,
	    .also = "65536", .blk_size = 65536, .seg_max = 7),
};

static void apply_bad(struct dev *d, const struct bad_case *c)
{
	qemu_default(d);
	if (c->blk_size)
		put32(d, VIRTIO_BLK_CFG_BLK_SIZE, c->blk_size);
	if (c->seg_max)
		put32(d, VIRTIO_BLK_CFG_SEG_MAX, c->seg_max);
	switch (c->width) {
	case 1:
		put8(d, c->field_off, (u8)c->value);
		break;
	case 2:
		put16(d, c->field_off, (u16)c->value);
		break;
	case 4:
		put32(d, c->field_off, (u32)c->value);
		break;
	case 8:
		put64(d, c->field_off, c->value);
		break;
	default:
		fail_msg("bad width %u", c->width);
	}
}

static void test_bad_refused(void **state)
{
	const struct bad_case *c = *state;
	struct dev d;

	apply_bad(&d, c);
	assert_int_equal(parse(&d), -c->err);
	assert_logged("ERROR: ", c->field, c->value_text, c->also);
}

static void test_bad_ignored_without_feature(void **state)
{
	const struct bad_case *c = *state;
	struct dev d;

	apply_bad(&d, c);
	withdraw(&d, (unsigned)c->feature);
	assert_int_equal(parse(&d), 0);
	assert_log_empty();
}

/* ========================================================================
 * Boundaries just inside what is accepted, so the refusals above are not
 * simply refusing everything.
 */

static void test_accepted_boundaries(void **state)
{
	struct dev d;

	qemu_default(&d);
	put32(&d, VIRTIO_BLK_CFG_BLK_SIZE, VIRTBLK_MAX_BLK_SIZE);
	put8(&d, VIRTIO_BLK_CFG_PHYS_BLOCK_EXP, 15);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.blk_size, VIRTBLK_MAX_BLK_SIZE);
	assert_int_equal(cfg.phys_block_size, 1u << 31);

	put32(&d, VIRTIO_BLK_CFG_BLK_SIZE, SECTOR_SIZE);
	put8(&d, VIRTIO_BLK_CFG_PHYS_BLOCK_EXP, 16);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.blk_size, SECTOR_SIZE);
	assert_int_equal(cfg.phys_block_size, 512u << 16);

	put32(&d, VIRTIO_BLK_CFG_SIZE_MAX, PAGE_SIZE);
	put32(&d, VIRTIO_BLK_CFG_SEG_MAX, 1);
	put16(&d, VIRTIO_BLK_CFG_NUM_QUEUES, 1);
	put32(&d, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, 1);
	put32(&d, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS, 1);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.size_max, PAGE_SIZE);
	assert_int_equal(cfg.seg_max, 1);
	assert_int_equal(cfg.num_queues, 1);
	assert_int_equal(cfg.max_discard_sectors, 1);
	assert_int_equal(cfg.max_write_zeroes_sectors, 1);

	/* The largest capacity whose byte count fits in 64 bits. */
	put64(&d, VIRTIO_BLK_CFG_CAPACITY, (1ull << 55) - 1);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.capacity, (1ull << 55) - 1);
	assert_log_empty();
}

/* ========================================================================
 * Valid values this driver adapts to, with a warning.
 */

static void test_num_queues_clamped(void **state)
{
	struct dev d;

	qemu_default(&d);
	put16(&d, VIRTIO_BLK_CFG_NUM_QUEUES, 64);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.num_queues, VIRTBLK_MAX_QUEUES);
	assert_logged("WARNING: ", "num_queues", "64", "16");

	put16(&d, VIRTIO_BLK_CFG_NUM_QUEUES, 65535);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.num_queues, VIRTBLK_MAX_QUEUES);
	assert_logged("WARNING: ", "num_queues", "65535", "16");

	/* At the limit: nothing to say. */
	put16(&d, VIRTIO_BLK_CFG_NUM_QUEUES, VIRTBLK_MAX_QUEUES);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.num_queues, VIRTBLK_MAX_QUEUES);
	assert_log_empty();
}

static void test_seg_max_clamped(void **state)
{
	struct dev d;

	qemu_default(&d);
	put32(&d, VIRTIO_BLK_CFG_SEG_MAX, 1000);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.seg_max, VIRTBLK_MAX_SEGMENTS);
	assert_logged("WARNING: ", "seg_max", "1000", "256");

	put32(&d, VIRTIO_BLK_CFG_SEG_MAX, 0xffffffff);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.seg_max, VIRTBLK_MAX_SEGMENTS);
	assert_logged("WARNING: ", "seg_max", "4294967295", "256");

	put32(&d, VIRTIO_BLK_CFG_SEG_MAX, VIRTBLK_MAX_SEGMENTS);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.seg_max, VIRTBLK_MAX_SEGMENTS);
	assert_log_empty();
}

/*
 * size_max below a page, 0 included (qemu-storage-daemon's vhost-user-blk
 * sends 0): segments of a page, as Linux makes them, said in the log.
 */
static void test_size_max_below_page(void **state)
{
	static const u32 values[] = {0, 1, 511, 512, 4095};
	struct dev d;
	char text[16];

	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		qemu_default(&d);
		put32(&d, VIRTIO_BLK_CFG_SIZE_MAX, values[i]);
		assert_int_equal(parse(&d), 0);
		assert_int_equal(cfg.size_max, PAGE_SIZE);
		snprintf(text, sizeof(text), "%u", values[i]);
		assert_logged("", "size_max", text, "4096");
	}

	/* Exactly enough page-sized segments for one 64 KiB block. */
	qemu_default(&d);
	put32(&d, VIRTIO_BLK_CFG_SIZE_MAX, 0);
	put32(&d, VIRTIO_BLK_CFG_BLK_SIZE, 65536);
	put8(&d, VIRTIO_BLK_CFG_PHYS_BLOCK_EXP, 0);
	put32(&d, VIRTIO_BLK_CFG_SEG_MAX, 16);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.size_max, PAGE_SIZE);
	assert_int_equal(cfg.seg_max, 16);

	/* A page is already what Linux asks: nothing to say. */
	qemu_default(&d);
	put32(&d, VIRTIO_BLK_CFG_SIZE_MAX, PAGE_SIZE);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.size_max, PAGE_SIZE);
	assert_log_empty();
}

/* Capacity is in 512-byte sectors; a partial last logical block is dropped. */
static void test_capacity_rounded_to_blocks(void **state)
{
	struct dev d;

	qemu_default(&d);
	put64(&d, VIRTIO_BLK_CFG_CAPACITY, 1001);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.capacity, 1000);
	assert_logged("WARNING: ", "capacity", "1001", "1000");

	/* Less than one block: nothing usable is left. */
	put64(&d, VIRTIO_BLK_CFG_CAPACITY, 7);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.capacity, 0);
	assert_logged("WARNING: ", "capacity", "7", "0");

	/* Rounding follows the logical block, not the physical one. */
	put8(&d, VIRTIO_BLK_CFG_PHYS_BLOCK_EXP, 3);
	put64(&d, VIRTIO_BLK_CFG_CAPACITY, 1000);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.capacity, 1000);
	assert_log_empty();

	put32(&d, VIRTIO_BLK_CFG_BLK_SIZE, 65536);
	put8(&d, VIRTIO_BLK_CFG_PHYS_BLOCK_EXP, 0);
	put64(&d, VIRTIO_BLK_CFG_CAPACITY, 1000);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.capacity, 896);
	assert_logged("WARNING: ", "capacity", "1000", "896");

	/* Near the top of the range the rounding must not overflow. */
	put64(&d, VIRTIO_BLK_CFG_CAPACITY, (1ull << 55) - 1);
	assert_int_equal(parse(&d), 0);
	assert_int_equal(cfg.capacity, (1ull << 55) - 128);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test_setup(test_qemu_default, setup),
		cmocka_unit_test_setup(test_wide_values, setup),
		cmocka_unit_test_setup(test_read_only, setup),
		cmocka_unit_test_setup(test_cache_mode, setup),
		cmocka_unit_test_setup(test_write_zeroes_may_unmap, setup),
		cmocka_unit_test_setup(test_no_features, setup),
		cmocka_unit_test_setup(test_garbage_blk_size_ignored, setup),
		cmocka_unit_test_setup(test_geometry_ignored, setup),
		cmocka_unit_test_setup(test_topology_ignored, setup),
		cmocka_unit_test_setup(test_limits_ignored, setup),
		cmocka_unit_test_setup(test_accepted_boundaries, setup),
		cmocka_unit_test_setup(test_num_queues_clamped, setup),
		cmocka_unit_test_setup(test_seg_max_clamped, setup),
		cmocka_unit_test_setup(test_capacity_rounded_to_blocks, setup),
		cmocka_unit_test_setup(test_size_max_below_page, setup),
	};
	/* One named test per bad case, refused and then ignored. */
	static struct CMUnitTest tests[ARRAY_SIZE(fixed) + 2 * ARRAY_SIZE(bad_cases)];
	static char names[ARRAY_SIZE(bad_cases)][2][96];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		tests[n++] = fixed[i];
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];

		snprintf(names[i][0], sizeof(names[i][0]), "refused: %s", c->name);
		tests[n++] = (struct CMUnitTest){.name = names[i][0],
						 .test_func = test_bad_refused,
						 .setup_func = setup,
						 .initial_state = (void *)c};
		if (c->feature < 0)
			continue;
		snprintf(names[i][1], sizeof(names[i][1]), "ignored without feature %d: %s",
			 c->feature, c->name);
		tests[n++] = (struct CMUnitTest){.name = names[i][1],
						 .test_func = test_bad_ignored_without_feature,
						 .setup_func = setup,
						 .initial_state = (void *)c};
	}
	return _cmocka_run_group_tests("test_virtio_blk_config", tests, n, NULL, NULL);
}
