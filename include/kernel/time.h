/* SPDX-License-Identifier: MIT */
/*
 * Time: the TSC, calibrated at boot from the best source the machine has
 * (kernel/time.c says which, in order), gives ktime_get_ns(); the LAPIC
 * timer, in turn calibrated against the TSC, gives a periodic tick that
 * drives the timer_list timers (platform.h).
 */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include "kernel/types.h"

#define HZ 100

void time_init(void);
/*
 * Refine the boot's quick calibration with a second reading of the same
 * timer (the window is then the whole boot); says so on the clock line.
 * Once, before the work that reports times.
 */
void time_refine(void);
/* The clock line: TSC frequency, its source, error bound and window. */
void time_print(void);
/*
 * The clock watchdog (started by time_refine): the timer the TSC is
 * checked against on every tick (NULL: none), how many jumps of the TSC it
 * took out, and their summary line (none if there were none).
 */
const char *clock_watchdog_source(void);
u32 clock_watchdog_corrections(void);
void clock_watchdog_report(void);
/* Self tests: move the clock by @ns as a jump of the host's TSC would. */
void clock_test_jump(s64 ns);
/* Start the periodic tick; needs interrupts routed (apic_init). */
void timer_tick_init(void);
/* The same on another CPU, with the boot CPU's calibration. */
void timer_tick_init_cpu(void);
void timer_set_rate(u32 hz);

u64 tsc_hz(void);
const char *time_calibration_source(void);
/* Whether the TSC was measured or stated; else times are a guess (no latencies). */
bool time_calibrated(void);
/* The calibration's error bound (parts per million, 0: stated exactly) and window. */
u32 time_calibration_ppm(void);
u64 time_calibration_window_ns(void);
/* The LAPIC timer's counts per second (its bus clock / 16). */
u64 lapic_timer_hz(void);
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
