// SPDX-License-Identifier: MIT
/*
 * Sector stamps: the layout and the payload generator are documented in
 * include/bench/stamp.h, which is the specification; this file follows it.
 * Byte-wise little-endian accessors keep the code independent of the
 * buffer's alignment and of the host's byte order.
 */
#include "kernel/crc32c.h"
#include "bench/stamp.h"

#define SPLITMIX64_GAMMA 0x9e3779b97f4a7c15ull

static inline u64 splitmix64_mix(u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void put_le32(u8 *p, u32 v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (u8)(v >> (8 * i));
}

static inline void put_le64(u8 *p, u64 v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (u8)(v >> (8 * i));
}

static inline u32 get_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static inline u64 get_le64(const u8 *p)
{
	return (u64)get_le32(p) | (u64)get_le32(p + 4) << 32;
}

static inline u64 payload_state(u64 sector, u64 seed)
{
	return splitmix64_mix(splitmix64_mix(seed) + sector);
}

/* CRC32C of a whole sector with its crc field read as zero. */
static u32 stamp_crc(const u8 *s)
{
	static const u8 zero[4];
	u32 crc;

	crc = crc32c(0, s, STAMP_OFF_CRC);
	crc = crc32c(crc, zero, sizeof(zero));
	return crc32c(crc, s + STAMP_OFF_GEN, STAMP_SECTOR_SIZE - STAMP_OFF_GEN);
}

static void stamp_sector(u8 *s, u64 sector, u64 seed, u32 gen)
{
	u64 state = payload_state(sector, seed);
	int i;

	put_le64(s + STAMP_OFF_MAGIC, STAMP_MAGIC);
	put_le64(s + STAMP_OFF_SECTOR, sector);
	put_le64(s + STAMP_OFF_SEED, seed);
	put_le32(s + STAMP_OFF_CRC, 0);
	put_le32(s + STAMP_OFF_GEN, gen);
	for (i = 0; i < STAMP_PAYLOAD_WORDS; i++) {
		state += SPLITMIX64_GAMMA;
		put_le64(s + STAMP_OFF_PAYLOAD + 8 * i, splitmix64_mix(state));
	}
	put_le32(s + STAMP_OFF_CRC, stamp_crc(s));
}

void stamp_fill(void *buf, size_t len, u64 first_sector, u64 seed, u32 gen)
{
	u8 *p = buf;
	u64 sector = first_sector;

	for (; len >= STAMP_SECTOR_SIZE; len -= STAMP_SECTOR_SIZE) {
		stamp_sector(p, sector++, seed, gen);
		p += STAMP_SECTOR_SIZE;
	}
	if (len) {
		u8 full[STAMP_SECTOR_SIZE];
		size_t i;

		stamp_sector(full, sector, seed, gen);
		for (i = 0; i < len; i++)
			p[i] = full[i];
	}
}

/* Checks one whole sector in the order that names the likeliest cause. */
static int check_sector(const u8 *s, u64 sector, u64 seed, u64 gen, struct stamp_mismatch *m)
{
	u64 state;
	int i;

	m->sector = sector;
	m->found_sector = get_le64(s + STAMP_OFF_SECTOR);
	m->found_seed = get_le64(s + STAMP_OFF_SEED);
	m->found_gen = get_le32(s + STAMP_OFF_GEN);

	if (get_le64(s + STAMP_OFF_MAGIC) != STAMP_MAGIC)
		return STAMP_EMAGIC;
	/*
	 * The checksum before the address: a flipped bit in the sector field
	 * is corruption, while a sector with a valid checksum and another
	 * address is one that was written to the wrong place.
	 */
	if (get_le32(s + STAMP_OFF_CRC) != stamp_crc(s))
		return STAMP_ECRC;
	if (m->found_sector != sector)
		return STAMP_ESECTOR;
	if (seed == STAMP_ANY_SEED)
		seed = m->found_seed;
	else if (m->found_seed != seed)
		return STAMP_ESEED;
	if (gen != STAMP_ANY_GEN && m->found_gen != gen)
		return STAMP_EGEN;

	state = payload_state(sector, seed);
	for (i = 0; i < STAMP_PAYLOAD_WORDS; i++) {
		state += SPLITMIX64_GAMMA;
		if (get_le64(s + STAMP_OFF_PAYLOAD + 8 * i) != splitmix64_mix(state))
			return STAMP_EPAYLOAD;
	}
	return 0;
}

/*
 * A trailing partial sector has no checkable checksum: compare it byte by
 * byte with the prefix of its full stamp and name the field that differs.
 */
static int check_partial(const u8 *s, size_t len, u64 sector, u64 seed, u64 gen,
			 struct stamp_mismatch *m)
{
	u8 want[STAMP_SECTOR_SIZE];
	size_t i;

	m->sector = sector;
	m->found_sector = 0;
	m->found_seed = 0;
	m->found_gen = 0;
	for (i = 0; i < 8 && STAMP_OFF_SECTOR + i < len; i++)
		m->found_sector |= (u64)s[STAMP_OFF_SECTOR + i] << (8 * i);
	for (i = 0; i < 8 && STAMP_OFF_SEED + i < len; i++)
		m->found_seed |= (u64)s[STAMP_OFF_SEED + i] << (8 * i);
	for (i = 0; i < 4 && STAMP_OFF_GEN + i < len; i++)
		m->found_gen |= (u32)s[STAMP_OFF_GEN + i] << (8 * i);

	/*
	 * Any seed or generation: take the one the sector names. Bytes of it
	 * beyond the end are read as zero, which only matters to bytes that
	 * are not there.
	 */
	if (seed == STAMP_ANY_SEED)
		seed = m->found_seed;
	if (gen == STAMP_ANY_GEN)
		gen = m->found_gen;

	/*
	 * Another generation changes the checksum too: a prefix that is a
	 * valid stamp of the generation it names is stale, not corrupt.
	 */
	if (len >= STAMP_OFF_GEN + 4 && m->found_gen != gen) {
		stamp_sector(want, sector, seed, m->found_gen);
		for (i = 0; i < len && s[i] == want[i]; i++)
			;
		if (i == len)
			return STAMP_EGEN;
	}
	stamp_sector(want, sector, seed, (u32)gen);
	for (i = 0; i < len; i++) {
		if (s[i] == want[i])
			continue;
		if (i < STAMP_OFF_SECTOR)
			return STAMP_EMAGIC;
		if (i < STAMP_OFF_SEED)
			return STAMP_ESECTOR;
		if (i < STAMP_OFF_CRC)
			return STAMP_ESEED;
		if (i < STAMP_OFF_GEN)
			return STAMP_ECRC;
		if (i < STAMP_OFF_PAYLOAD)
			return STAMP_EGEN;
		return STAMP_EPAYLOAD;
	}
	return 0;
}

int stamp_verify_detail(const void *buf, size_t len, u64 first_sector, u64 seed, u64 gen,
			struct stamp_mismatch *m)
{
	const u8 *p = buf;
	u64 sector = first_sector;
	struct stamp_mismatch local;
	int err = 0;

	if (!m)
		m = &local;
	m->err = 0;
	m->sector = 0;
	m->found_sector = 0;
	m->found_seed = 0;
	m->found_gen = 0;

	for (; len >= STAMP_SECTOR_SIZE; len -= STAMP_SECTOR_SIZE) {
		err = check_sector(p, sector, seed, gen, m);
		if (err)
			break;
		p += STAMP_SECTOR_SIZE;
		sector++;
	}
	if (!err && len > 0 && len < STAMP_SECTOR_SIZE)
		err = check_partial(p, len, sector, seed, gen, m);
	m->err = err;
	return err;
}

int stamp_verify(const void *buf, size_t len, u64 first_sector, u64 seed, u64 gen, u64 *bad_sector)
{
	struct stamp_mismatch m;
	int err = stamp_verify_detail(buf, len, first_sector, seed, gen, &m);

	if (err && bad_sector)
		*bad_sector = m.sector;
	return err;
}

const char *stamp_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case STAMP_EMAGIC:
		return "bad magic";
	case STAMP_ECRC:
		return "bad checksum";
	case STAMP_ESECTOR:
		return "wrong sector";
	case STAMP_ESEED:
		return "wrong seed";
	case STAMP_EPAYLOAD:
		return "bad payload";
	case STAMP_EGEN:
		return "wrong generation";
	default:
		return "unknown stamp error";
	}
}

/* Appends @str at *pos, keeping room for the terminating NUL. */
static void append_str(char *out, size_t size, size_t *pos, const char *str)
{
	while (*str && *pos + 1 < size)
		out[(*pos)++] = *str++;
}

static void append_u64(char *out, size_t size, size_t *pos, u64 v)
{
	char digits[21];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n > 0 && *pos + 1 < size)
		out[(*pos)++] = digits[--n];
}

char *stamp_describe(const struct stamp_mismatch *m, char *out, size_t size)
{
	size_t pos = 0;

	if (!size)
		return out;
	append_str(out, size, &pos, stamp_strerror(m->err));
	if (m->err == STAMP_ESECTOR) {
		append_str(out, size, &pos, " (found ");
		append_u64(out, size, &pos, m->found_sector);
		append_str(out, size, &pos, ")");
	} else if (stamp_stale(m->err)) {
		append_str(out, size, &pos, " (found seed ");
		append_u64(out, size, &pos, m->found_seed);
		append_str(out, size, &pos, " generation ");
		append_u64(out, size, &pos, m->found_gen);
		append_str(out, size, &pos, ")");
	}
	out[pos] = '\0';
	return out;
}
