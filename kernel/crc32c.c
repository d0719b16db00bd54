// SPDX-License-Identifier: MIT
/*
 * Software CRC32C, slice-by-8: eight 256-entry tables let the loop fold
 * eight input bytes per step with eight independent lookups, several times
 * faster than one table and one byte at a time. The instruction SSE4.2 adds
 * for this is not available on QEMU's default qemu64 CPU, so it is not used.
 *
 * Table k maps a byte b to the CRC of b followed by k zero bytes; the main
 * loop XORs the running CRC into the next eight bytes and looks each of them
 * up in the table for its distance from the end of the block.
 */
#include "kernel/crc32c.h"

#define CRC32C_POLY_REFLECTED 0x82F63B78u

static u32 crc32c_table[8][256];
static bool crc32c_ready;

/*
 * Built on first use rather than stored: 8 KiB of constants in the source
 * would be unreadable. Building twice (an interrupt handler racing the first
 * caller) is harmless, since both writers store the same values, and the flag
 * is set only after the last entry is written.
 */
static void crc32c_init(void)
{
	unsigned int i, k;

	for (i = 0; i < 256; i++) {
		u32 crc = i;

		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ ((crc & 1) ? CRC32C_POLY_REFLECTED : 0);
		crc32c_table[0][i] = crc;
	}
	for (i = 0; i < 256; i++) {
		u32 crc = crc32c_table[0][i];

		for (k = 1; k < 8; k++) {
			crc = (crc >> 8) ^ crc32c_table[0][crc & 0xff];
			crc32c_table[k][i] = crc;
		}
	}
	__asm__ __volatile__("" ::: "memory");
	WRITE_ONCE(crc32c_ready, true);
}

static inline u32 load_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

u32 crc32c(u32 crc, const void *buf, size_t len)
{
	const u8 *p = buf;

	if (unlikely(!READ_ONCE(crc32c_ready)))
		crc32c_init();

	crc = ~crc;

	/* Single bytes until p is 8-byte aligned, so the block loads are. */
	while (len && ((uintptr_t)p & 7)) {
		crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];
		len--;
	}

	while (len >= 8) {
		u32 lo = load_le32(p) ^ crc;
		u32 hi = load_le32(p + 4);

		crc = crc32c_table[7][lo & 0xff] ^ crc32c_table[6][(lo >> 8) & 0xff] ^
		      crc32c_table[5][(lo >> 16) & 0xff] ^ crc32c_table[4][lo >> 24] ^
		      crc32c_table[3][hi & 0xff] ^ crc32c_table[2][(hi >> 8) & 0xff] ^
		      crc32c_table[1][(hi >> 16) & 0xff] ^ crc32c_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}

	while (len--)
		crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];

	return ~crc;
}
