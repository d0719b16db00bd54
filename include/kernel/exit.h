/* SPDX-License-Identifier: MIT */
/*
 * Ending a run. The last serial line is "RESULT: PASS" or
 * "RESULT: FAIL <reason>"; then the status goes to QEMU's isa-debug-exit
 * device, which exits QEMU with (value << 1) | 1: 33 for PASS, 35 for FAIL.
 * Without that device the machine powers off through ACPI.
 */
#ifndef KERNEL_EXIT_H
#define KERNEL_EXIT_H

#include "kernel/types.h"

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_PASS 0x10
#define DEBUG_EXIT_FAIL 0x11

__noreturn void kernel_exit_pass(void);
__noreturn void kernel_exit_fail(const char *fmt, ...) __printf(1, 2);

#endif
