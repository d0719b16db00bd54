/* SPDX-License-Identifier: MIT */
/*
 * QEMU's firmware configuration device (fw_cfg), through its x86 I/O ports:
 * named files the host hands the guest with -fw_cfg name=...,file=...
 * (QEMU's docs/specs/fw_cfg.rst). The kernel reads one of them, its command
 * line when it is too long for -append.
 */
#ifndef KERNEL_FW_CFG_H
#define KERNEL_FW_CFG_H

#include "kernel/types.h"

/*
 * Read the fw_cfg file @name into @buf (at most @size bytes). Returns its
 * length; -ENODEV without fw_cfg, -ENOENT without the file, -E2BIG when it
 * is longer than @size (nothing is read then).
 */
long fw_cfg_read_file(const char *name, void *buf, size_t size);

#endif
