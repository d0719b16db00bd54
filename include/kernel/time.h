/* SPDX-License-Identifier: MIT */
/*
 * Time: the TSC, calibrated at boot against a clock of known frequency (the
 * ACPI PM timer, else the PIT), gives ktime_get_ns(); the LAPIC timer, in
 * turn calibrated against the TSC, gives a periodic tick that drives the
 * timer_list timers (platform.h).
 */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include "kernel/types.h"

#define HZ 100

void time_init(void);
/* Start the periodic tick; needs interrupts routed (apic_init). */
void timer_tick_init(void);
/* The same on another CPU, with the boot CPU's calibration. */
void timer_tick_init_cpu(void);
void timer_set_rate(u32 hz);

u64 tsc_hz(void);
const char *time_calibration_source(void);
u64 cycles_to_ns(u64 cycles);
u64 ns_to_cycles(u64 ns);
u64 jiffies_read(void);
void ndelay(u64 ns);
void udelay(u64 us);
void mdelay(u64 ms);

/* TSC value when the kernel started (first instruction of kmain). */
extern u64 boot_tsc;

/* Idle accounting: time spent halted in cpu_idle_once(), by the calling CPU or by @cpu. */
u64 idle_ns_total(void);
u64 idle_ns_cpu(unsigned cpu);

/* softirq.c: called from the tick interrupt; defers due timers. */
void timer_tick(void);

#endif
