/* SPDX-License-Identifier: MIT */
/* Constants shared by the assembly entry and the C side of boot. */
#ifndef BOOT_BOOT_H
#define BOOT_BOOT_H

#define BOOT_PROTO_PVH 1
#define BOOT_PROTO_MULTIBOOT2 2

#define BOOT_CS 0x08
#define BOOT_DS 0x10

#define BOOT_STACK_SIZE (64 * 1024)
/* The PML4, the PDPT and four page directories: the identity map of 4 GiB. */
#define BOOT_PAGE_TABLES_SIZE (6 * 4096)

#endif
