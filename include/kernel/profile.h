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

/*
 * The jobs' run begins and ends: calls that do nothing, made around each
 * phase of jobs so that an instruction counter outside the guest
 * (tools/profile --insns --jobs-only, with its TCG plugin) can leave the
 * boot and the reports out. Out of line, so their entries are there to be
 * found by name.
 */
void profile_window_begin(void);
void profile_window_end(void);

#endif
