/* SPDX-License-Identifier: MIT */
/*
 * Parse the boot protocol's information into struct boot_info: the Xen PVH
 * start info (QEMU -kernel) or the multiboot2 information (GRUB). Everything
 * is copied, so the loader's memory can be reused by the page allocator.
 */
#include "boot/boot.h"
#include "kernel/bootinfo.h"
#include "kernel/platform.h"
#include "kernel/string.h"

struct boot_info boot_info_parsed;

/* Xen PVH (xen/include/public/arch-x86/hvm/start_info.h). */
#define HVM_START_MAGIC 0x336ec578
struct hvm_start_info {
	u32 magic;
	u32 version;
	u32 flags;
	u32 nr_modules;
	u64 modlist_paddr;
	u64 cmdline_paddr;
	u64 rsdp_paddr;
	u64 memmap_paddr; /* version >= 1 */
	u32 memmap_entries;
	u32 reserved;
} __packed;

struct hvm_memmap_entry {
	u64 addr;
	u64 size;
	u32 type;
	u32 reserved;
} __packed;

/* Multiboot2 (specification section 3.6). */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER 2
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

struct mb2_tag {
	u32 type;
	u32 size;
} __packed;

struct mb2_mmap {
	u32 type;
	u32 size;
	u32 entry_size;
	u32 entry_version;
} __packed;

struct mb2_mmap_entry {
	u64 addr;
	u64 len;
	u32 type;
	u32 reserved;
} __packed;

static void copy_cmdline(const char *s)
{
	if (!s)
		return;
	size_t len = strnlen(s, BOOT_CMDLINE_MAX);

	/* Not strncpy: padding the 64 KiB buffer with zeros took 0.3 ms under TCG. */
	memcpy(boot_info_parsed.cmdline, s, MIN(len, (size_t)BOOT_CMDLINE_MAX - 1));
	boot_info_parsed.cmdline[MIN(len, (size_t)BOOT_CMDLINE_MAX - 1)] = '\0';
	boot_info_parsed.cmdline_too_long = len == BOOT_CMDLINE_MAX;
}

static bool printable(u32 word)
{
	for (int i = 0; i < 4; i++, word >>= 8)
		if ((word & 0xff) < 0x20 || (word & 0xff) > 0x7e)
			return false;
	return true;
}

static void add_mmap(u64 addr, u64 len, u32 type)
{
	struct boot_info *bi = &boot_info_parsed;

	if (bi->mmap_count == BOOT_MMAP_MAX) {
		pr_warn("boot: memory map has more than %d entries; ignoring the rest",
			BOOT_MMAP_MAX);
		return;
	}
	bi->mmap[bi->mmap_count].addr = addr;
	bi->mmap[bi->mmap_count].len = len;
	bi->mmap[bi->mmap_count].type = type;
	bi->mmap_count++;
}

static int parse_pvh(u32 phys)
{
	const struct hvm_start_info *si = (const void *)(uintptr_t)phys;

	if (si->magic != HVM_START_MAGIC) {
		pr_err("boot: PVH start info magic %#x, expected %#x", si->magic, HVM_START_MAGIC);
		/*
		 * QEMU's PVH loader puts the start information right after a
		 * command-line area of about 4 KiB: a longer -append overwrites
		 * it with text. Say so, and how to pass a long line.
		 */
		if (printable(si->magic))
			pr_err("boot: it reads as text: the -append command line is longer than "
			       "QEMU's PVH loader holds (about 4 KiB); pass it through fw_cfg "
			       "instead (-fw_cfg name=opt/vblk/cmdline,file=FILE, as tools/run "
			       "--cmdline-file does)");
		return -EINVAL;
	}
	boot_info_parsed.loader = "PVH";
	if (si->cmdline_paddr)
		copy_cmdline((const char *)(uintptr_t)si->cmdline_paddr);
	boot_info_parsed.rsdp = si->rsdp_paddr;
	if (si->version >= 1 && si->memmap_paddr) {
		const struct hvm_memmap_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
		for (u32 i = 0; i < si->memmap_entries; i++)
			add_mmap(e[i].addr, e[i].size, e[i].type);
	}
	return 0;
}

static int parse_mb2(u32 phys)
{
	u32 total = *(const u32 *)(uintptr_t)phys;
	u32 off = 8;

	boot_info_parsed.loader = "multiboot2";
	boot_info_parsed.reserved_end = (u64)phys + total;
	while (off + sizeof(struct mb2_tag) <= total) {
		const struct mb2_tag *tag = (const void *)(uintptr_t)(phys + off);

		if (tag->type == MB2_TAG_END)
			break;
		if (tag->size < sizeof(*tag) || off + tag->size > total) {
			pr_err("boot: multiboot2 tag %u has bad size %u", tag->type, tag->size);
			return -EINVAL;
		}
		switch (tag->type) {
		case MB2_TAG_CMDLINE:
			copy_cmdline((const char *)(tag + 1));
			break;
		case MB2_TAG_MMAP: {
			const struct mb2_mmap *m = (const void *)tag;
			if (m->entry_size < sizeof(struct mb2_mmap_entry))
				break;
			for (u32 p = sizeof(*m); p + m->entry_size <= m->size; p += m->entry_size) {
				const struct mb2_mmap_entry *e = (const void *)((const u8 *)m + p);
				add_mmap(e->addr, e->len, e->type);
			}
			break;
		}
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			/* The tag holds a copy of the RSDP itself. */
			if (!boot_info_parsed.rsdp || tag->type == MB2_TAG_ACPI_NEW) {
				u32 n = MIN(tag->size - (u32)sizeof(*tag),
					    (u32)sizeof(boot_info_parsed.rsdp_copy));
				memcpy(boot_info_parsed.rsdp_copy, tag + 1, n);
				boot_info_parsed.rsdp = (u64)(uintptr_t)boot_info_parsed.rsdp_copy;
			}
			break;
		default:
			break;
		}
		off += ALIGN_UP(tag->size, 8u);
	}
	return 0;
}

int bootinfo_parse(u32 proto, u32 info_phys)
{
	switch (proto) {
	case BOOT_PROTO_PVH:
		return parse_pvh(info_phys);
	case BOOT_PROTO_MULTIBOOT2:
		return parse_mb2(info_phys);
	default:
		pr_err("boot: unknown boot protocol %u", proto);
		return -EINVAL;
	}
}
