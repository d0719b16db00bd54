/* SPDX-License-Identifier: MIT */
/*
 * The kernel runs on an identity map: the boot code maps the low 4 GiB with
 * 2 MiB pages. ioremap() extends the identity map, uncached, for MMIO that
 * lies above it (64-bit PCI BARs on q35 may sit above 4 GiB).
 */
#ifndef KERNEL_PAGING_H
#define KERNEL_PAGING_H

#include "kernel/io.h"
#include "kernel/types.h"

/* ioremap() is declared in kernel/io.h. */

#endif
