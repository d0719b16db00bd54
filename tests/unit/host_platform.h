/* SPDX-License-Identifier: MIT */
/* Test-side controls of the host platform (tests/unit/host_platform.c). */
#ifndef TESTS_UNIT_HOST_PLATFORM_H
#define TESTS_UNIT_HOST_PLATFORM_H

#include "kernel/types.h"

#define HOST_LOG_SIZE 65536

/* kmalloc/kfree and dma_alloc/dma_free balance: 0 means nothing leaked. */
extern long host_live_allocs;
/* Set, every kmalloc (and kzalloc) fails until it is cleared. */
extern bool host_kmalloc_fail;
extern long host_live_dma;
/* The fake clock behind ktime_get_ns(). */
extern u64 host_now_ns;
/* Everything printk() printed since the last reset (newest lines). */
extern char host_log[HOST_LOG_SIZE];
extern size_t host_log_len;
/* Set to keep printk() off stderr. */
extern bool host_printk_quiet;

/*
 * Simulated CPUs: the one the code under test runs on, how many there are,
 * interrupt nesting (in_irq), and the CPUs smp_send_reschedule woke.
 */
extern unsigned host_cpu;
extern unsigned host_nr_cpus;
extern int host_irq_depth;
extern unsigned long host_woken_cpus;
extern int host_irq_disabled;

void host_advance_ns(u64 ns);
/* Forget scheduled tasklets and timers, zero the clock, clear the log, one CPU. */
void host_platform_reset(void);

#endif
