/* SPDX-License-Identifier: MIT */
/*
 * A software watchdog driven by the timer tick: armed with a timeout and a
 * function, it calls the function from the timer interrupt once nobody has
 * touched it for that long. The job engine arms it so that a run whose CPU
 * never gets back to its loop still ends with a RESULT line that says why.
 */
#ifndef KERNEL_WATCHDOG_H
#define KERNEL_WATCHDOG_H

#include "kernel/types.h"

void watchdog_arm(u64 timeout_ns, void (*fire)(void *data), void *data);
void watchdog_disarm(void);
/* Progress at @now_ns (the caller's clock reading): restart the countdown. Any context. */
void watchdog_touch(u64 now_ns);
/* Called by the tick with the current time. */
void watchdog_check(u64 now_ns);

#endif
