/* SPDX-License-Identifier: MIT */
/*
 * CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the
 * checksum of iSCSI (RFC 3720), ext4 metadata and fio's verify=crc32c.
 *
 * The pre- and post-inversion happen inside, as in zlib's crc32(), so calls
 * chain: crc32c(crc32c(0, a, n), b, m) == crc32c(0, a || b, n + m), and
 * crc32c(0, "123456789", 9) == 0xE3069283.
 *
 * One implementation for the kernel and the host tools: it needs nothing but
 * kernel/types.h and no floating point or vector registers.
 */
#ifndef KERNEL_CRC32C_H
#define KERNEL_CRC32C_H

#include "kernel/types.h"

u32 crc32c(u32 crc, const void *buf, size_t len);

#endif
