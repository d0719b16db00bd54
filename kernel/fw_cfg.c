/* SPDX-License-Identifier: MIT */
/*
 * fw_cfg over I/O ports (QEMU's docs/specs/fw_cfg.rst): write a 16-bit
 * selector to port 0x510, then read the item byte by byte from 0x511. The
 * signature item says whether the device is there; the file directory item
 * lists the named files, big-endian.
 */
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/fw_cfg.h"
#include "kernel/string.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_FILE_NAME_MAX 56

static void read_bytes(void *buf, size_t len)
{
	u8 *p = buf;

	while (len--)
		*p++ = inb(FW_CFG_PORT_DATA);
}

static u32 be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

long fw_cfg_read_file(const char *name, void *buf, size_t size)
{
	u8 sig[4], count[4];
	u32 n;

	outw(FW_CFG_PORT_SEL, FW_CFG_SIGNATURE);
	read_bytes(sig, sizeof(sig));
	if (memcmp(sig, "QEMU", 4))
		return -ENODEV;
	outw(FW_CFG_PORT_SEL, FW_CFG_FILE_DIR);
	read_bytes(count, sizeof(count));
	n = be32(count);
	for (u32 i = 0; i < n; i++) {
		/* struct FWCfgFile: be32 size, be16 select, be16 reserved, name[56]. */
		u8 entry[8 + FW_CFG_FILE_NAME_MAX];
		u32 len;
		u16 select;

		read_bytes(entry, sizeof(entry));
		entry[sizeof(entry) - 1] = '\0';
		if (strcmp((const char *)entry + 8, name))
			continue;
		len = be32(entry);
		select = (u16)(entry[4] << 8 | entry[5]);
		if (len > size)
			return -E2BIG;
		outw(FW_CFG_PORT_SEL, select);
		read_bytes(buf, len);
		return (long)len;
	}
	return -ENOENT;
}
