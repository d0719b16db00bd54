/* SPDX-License-Identifier: MIT */
/*
 * Where boot time goes: each phase of the boot marks its end with a TSC
 * reading (the clock is not calibrated yet for the first phases); once it
 * is, boot_phases_print() says how long each one took, in microseconds
 * from the kernel's first instruction.
 */
#ifndef KERNEL_BOOTTIME_H
#define KERNEL_BOOTTIME_H

#include "kernel/types.h"

/* The phase just finished; @name is kept, not copied (a literal, or static). */
void boot_phase(const char *name);
/* One line: "BOOT: phases (us): memory 210, acpi 95, ..." for every phase marked so far. */
void boot_phases_print(const char *prefix);

#endif
