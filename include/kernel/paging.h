/* SPDX-License-Identifier: MIT */
/*
 * The kernel runs on an identity map: the boot code maps the low 4 GiB with
 * 2 MiB pages. ioremap() extends the identity map, uncached, for MMIO that
 * lies above it (64-bit PCI BARs on q35 may sit above 4 GiB).
 */
#ifndef KERNEL_PAGING_H
#define KERNEL_PAGING_H

#include "kernel/types.h"

/* Returns the virtual address of @phys (equal to it), or NULL on failure. */
void *ioremap(phys_addr_t phys, size_t size);

#endif
