/* SPDX-License-Identifier: MIT */
/*
 * fw_cfg over I/O ports (QEMU's docs/specs/fw_cfg.rst): write a 16-bit
 * selector to port 0x510, then read the item byte by byte from 0x511. The
 * signature item says whether the device is there; the file directory item
 * lists the named files, big-endian. Where the device offers its DMA
 * interface (the ID item's bit 1), a whole item is read with one access
 * instead of one per byte: under emulation each is an exit into QEMU, and
 * the directory alone is about a kilobyte read at every boot.
 */
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/fw_cfg.h"
#include "kernel/platform.h"
#include "kernel/string.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA_HI 0x514 /* the DMA address, big-endian: high half */
#define FW_CFG_PORT_DMA_LO 0x518 /* low half; writing it starts the transfer */
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_ID 0x0001
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_FILE_NAME_MAX 56
#define FW_CFG_VERSION_DMA 0x2
/* FWCfgDmaAccess.control */
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02

struct fw_cfg_dma_access {
	u32 control; /* big-endian, all three */
	u32 length;
	u64 address;
} __packed;

static bool dma_ok;

static u32 cpu_to_be32(u32 v)
{
	return __builtin_bswap32(v);
}

/*
 * Read @len bytes of the selected item at its current position: one DMA
 * transfer where offered (QEMU completes it before the port write
 * returns; the control word says so), else byte by byte.
 */
static void read_bytes(void *buf, size_t len)
{
	u8 *p = buf;

	if (dma_ok && len) {
		struct fw_cfg_dma_access a = {
			.control = cpu_to_be32(FW_CFG_DMA_CTL_READ),
			.length = cpu_to_be32((u32)len),
			.address = __builtin_bswap64((u64)(uintptr_t)buf),
		};
		u64 pa = (u64)(uintptr_t)&a;

		barrier();
		outl(FW_CFG_PORT_DMA_HI, cpu_to_be32((u32)(pa >> 32)));
		outl(FW_CFG_PORT_DMA_LO, cpu_to_be32((u32)pa));
		while (READ_ONCE(a.control) & ~cpu_to_be32(FW_CFG_DMA_CTL_ERROR))
			cpu_relax();
		if (!(READ_ONCE(a.control) & cpu_to_be32(FW_CFG_DMA_CTL_ERROR)))
			return;
		dma_ok = false; /* and read it the slow way */
	}
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

	u8 id[4];

	dma_ok = false;
	outw(FW_CFG_PORT_SEL, FW_CFG_SIGNATURE);
	read_bytes(sig, sizeof(sig));
	if (memcmp(sig, "QEMU", 4))
		return -ENODEV;
	outw(FW_CFG_PORT_SEL, FW_CFG_ID);
	read_bytes(id, sizeof(id));
	dma_ok = id[0] & FW_CFG_VERSION_DMA; /* little-endian */
	outw(FW_CFG_PORT_SEL, FW_CFG_FILE_DIR);
	read_bytes(count, sizeof(count));
	n = be32(count);
	/* struct FWCfgFile: be32 size, be16 select, be16 reserved, name[56]. */
	static u8 dir[64][8 + FW_CFG_FILE_NAME_MAX];
	for (u32 i = 0; i < n; i++) {
		u8 *entry = dir[i % ARRAY_SIZE(dir)];
		u32 len;
		u16 select;

		/* The directory in chunks of up to 64 entries, one transfer each. */
		if (i % ARRAY_SIZE(dir) == 0)
			read_bytes(dir, MIN(n - i, (u32)ARRAY_SIZE(dir)) * sizeof(dir[0]));
		entry[sizeof(dir[0]) - 1] = '\0';
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
