/* SPDX-License-Identifier: MIT */
/*
 * A sampling profiler: with profile=HZ on the command line, a LAPIC timer
 * of that rate records where the CPU was interrupted; the run ends by
 * printing the hottest kernel addresses as "PROFILE addr samples" lines,
 * which `tools/profile` turns into function names. Under TCG there is no
 * other way to see where the guest's own time goes.
 */
#ifndef KERNEL_PROFILE_H
#define KERNEL_PROFILE_H

#include "kernel/types.h"

int profile_start(u32 hz);
void profile_hit(u64 rip);
void profile_report(unsigned top);
extern bool profiling;

#endif
