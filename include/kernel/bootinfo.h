/* SPDX-License-Identifier: MIT */
/*
 * What the boot loader told us, in one loader-independent shape: the
 * command line, the memory map and (where given) the ACPI RSDP.
 */
#ifndef KERNEL_BOOTINFO_H
#define KERNEL_BOOTINFO_H

#include "kernel/types.h"

#define BOOT_MMAP_MAX 64
/* As long as the parsed command line may be (CMDLINE_MAX_TEXT). */
#define BOOT_CMDLINE_MAX 65536

enum { MEM_USABLE = 1, MEM_RESERVED = 2, MEM_ACPI = 3, MEM_NVS = 4 };

struct boot_mmap_entry {
	u64 addr;
	u64 len;
	u32 type;
};

struct boot_info {
	const char *loader;
	char cmdline[BOOT_CMDLINE_MAX];
	bool cmdline_too_long; /* the loader's line did not fit */
	struct boot_mmap_entry mmap[BOOT_MMAP_MAX];
	unsigned mmap_count;
	u64 rsdp;	  /* physical address, 0 when the loader gave none */
	u8 rsdp_copy[36]; /* multiboot2 passes the RSDP inside its info */
	u64 reserved_end; /* end of the loader's structures we still read */
};

extern struct boot_info boot_info_parsed;

/* Returns 0, or -EINVAL with a message when the loader's data is unusable. */
int bootinfo_parse(u32 proto, u32 info_phys);

#endif
