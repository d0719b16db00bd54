/* SPDX-License-Identifier: MIT */
/*
 * Self-describing sector stamps: the data pattern the kernel's verify jobs
 * write and check, and that tools/vblk-img creates and checks in disk images
 * on the host. One implementation (bench/stamp.c) serves both.
 *
 * Every 512-byte sector carries its own address, the seed it was written
 * with, the generation of the write that put it there and a checksum, so a
 * sector that turns up in the wrong place, a stale one (from an earlier
 * run, or an overwrite that never landed) and a torn or corrupted one are
 * told apart. The seed is fio's verify header's rand_seed, the generation
 * its numberio.
 *
 * Byte layout of one sector; all fields little-endian:
 *
 *   offset size field
 *        0    8 magic    the ASCII bytes "VBLKSTMP"
 *                        (56 42 4c 4b 53 54 4d 50; as a u64 0x504d54534b4c4256)
 *        8    8 sector   the sector's own number in 512-byte units from the
 *                        start of the disk (or image)
 *       16    8 seed     the seed the sector was written with
 *       24    4 crc      CRC32C (kernel/crc32c.h) of all 512 bytes, this
 *                        field read as zero
 *       28    4 gen      the generation of the write: 0 for stamps the host
 *                        tool writes; the kernel gives every write of a
 *                        verified job its own nonzero number (bench/verify.c)
 *       32  480 payload  60 u64 words w[0..59], w[i] at offset 32 + 8 * i
 *
 * The payload is splitmix64 seeded from (seed, sector), with arithmetic
 * modulo 2^64:
 *
 *   mix(z):  z ^= z >> 30; z *= 0xbf58476d1ce4e5b9;
 *            z ^= z >> 27; z *= 0x94d049bb133111eb; z ^= z >> 31
 *   s = mix(mix(seed) + sector)
 *   for i in 0..59:  s += 0x9e3779b97f4a7c15;  w[i] = mix(s)
 *
 * A buffer whose length is not a multiple of 512 ends in a partial sector:
 * the first bytes of that sector's full stamp (checked byte by byte, since
 * its checksum covers bytes that are not there).
 *
 * To check one sector of an image by hand:
 *   xxd -s $((512 * N)) -l 32 -e -g 8 disk.img
 * shows the magic, N, the seed, and the crc and generation words.
 */
#ifndef KERNEL_STAMP_H
#define KERNEL_STAMP_H

#include "kernel/types.h"

#define STAMP_SECTOR_SIZE 512
#define STAMP_MAGIC 0x504d54534b4c4256ull /* "VBLKSTMP" */
#define STAMP_OFF_MAGIC 0
#define STAMP_OFF_SECTOR 8
#define STAMP_OFF_SEED 16
#define STAMP_OFF_CRC 24
#define STAMP_OFF_GEN 28
#define STAMP_OFF_PAYLOAD 32
#define STAMP_PAYLOAD_WORDS ((STAMP_SECTOR_SIZE - STAMP_OFF_PAYLOAD) / 8)

/* As stamp_verify()'s seed: accept whatever seed each sector names. */
#define STAMP_ANY_SEED (~0ull)
/* As stamp_verify()'s generation: accept whatever generation each sector names. */
#define STAMP_ANY_GEN (~0ull)

/* Mismatch reasons: stamp_verify() returns 0 or one of these. */
#define STAMP_EMAGIC 1	 /* not a stamped sector (zeroes, other data) */
#define STAMP_ECRC 2	 /* a stamped sector whose checksum fails: torn or corrupt */
#define STAMP_ESECTOR 3	 /* a valid stamp of another sector: misdirected I/O */
#define STAMP_ESEED 4	 /* a valid stamp with another seed: stale data */
#define STAMP_EPAYLOAD 5 /* checksum fine, data not what (seed, sector) gives */
#define STAMP_EGEN 6	 /* a valid stamp of another write: an overwrite that never landed */

/* Whether a mismatch means stale data (a lost write) rather than corruption. */
static inline bool stamp_stale(int err)
{
	return err == STAMP_ESEED || err == STAMP_EGEN;
}

/* What a failed check found, for messages that name the sector. */
struct stamp_mismatch {
	int err;	  /* STAMP_E* */
	u64 sector;	  /* the first sector that failed */
	u64 found_sector; /* its sector field, for STAMP_ESECTOR */
	u64 found_seed;	  /* its seed field */
	u32 found_gen;	  /* its generation field */
};

/*
 * Stamp @len bytes at @buf as the sectors first_sector, first_sector + 1, ...
 * written with @seed by the write of generation @gen.
 */
void stamp_fill(void *buf, size_t len, u64 first_sector, u64 seed, u32 gen);

/*
 * Check @len bytes at @buf against stamp_fill(buf, len, first_sector, seed,
 * gen); @seed may be STAMP_ANY_SEED and @gen STAMP_ANY_GEN. Returns 0, or the
 * STAMP_E* reason of the first bad sector, whose number goes to *bad_sector
 * when bad_sector is not NULL.
 */
int stamp_verify(const void *buf, size_t len, u64 first_sector, u64 seed, u64 gen, u64 *bad_sector);

/* The same check, reporting everything it found in *m (when not NULL). */
int stamp_verify_detail(const void *buf, size_t len, u64 first_sector, u64 seed, u64 gen,
			struct stamp_mismatch *m);

/*
 * "bad magic", "wrong sector", "bad checksum", "wrong seed", "bad payload",
 * "wrong generation".
 */
const char *stamp_strerror(int err);

/*
 * The reason with what was found, e.g. "wrong sector (found 1234)" or
 * "wrong seed (found seed 7 generation 0)", written NUL-terminated (and
 * truncated to fit) into @out; returns @out.
 */
char *stamp_describe(const struct stamp_mismatch *m, char *out, size_t size);

#endif
