/* SPDX-License-Identifier: MIT */
/*
 * TSC calibration and the periodic tick.
 *
 * Under QEMU's TCG the guest TSC follows the host's, and the PM timer and
 * PIT follow QEMU's virtual clock (host real time), so calibrating one
 * against the other gives nanoseconds that agree with the host's wall clock.
 */
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/cpu.h"
#include "kernel/interrupt.h"
#include "kernel/platform.h"
#include "kernel/time.h"
#include "kernel/watchdog.h"

#define PM_TIMER_HZ 3579545u
#define PIT_HZ 1193182u
#define CALIBRATE_MS 10

/* PIT ports and the channel 2 gate in the system control port B. */
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20

#define LAPIC_DIVIDE_BY_16 0x3

u64 boot_tsc;
static u64 tsc_freq;
u64 ktime_tsc_base;
u64 ktime_ns_mult; /* ns = cycles * ns_mult >> 32 */
static const char *calibration_source = "none";
static volatile u64 jiffies;
static u64 timer_counts_per_sec;
static u32 timer_per_tick; /* LAPIC timer counts per 1/HZ, the same on every CPU */
static u32 tick_hz[NR_CPUS];
static u32 tick_sub[NR_CPUS];

static u64 calibrate_with_pm_timer(void)
{
	u32 mask = acpi.pm_timer_32bit ? 0xffffffffu : 0xffffffu;
	u32 want = PM_TIMER_HZ / 1000 * CALIBRATE_MS;
	u32 start = inl(acpi.pm_timer_port) & mask, now;
	u64 t0 = rdtsc(), t1;

	do {
		now = inl(acpi.pm_timer_port) & mask;
	} while (((now - start) & mask) < want);
	t1 = rdtsc();
	return (t1 - t0) * PM_TIMER_HZ / ((now - start) & mask);
}

static u64 calibrate_with_pit(void)
{
	u16 count = PIT_HZ / 1000 * CALIBRATE_MS;
	u8 b = inb(PORT_B);
	u64 t0, t1;

	/* Channel 2, mode 0 (interrupt on terminal count), gate on. */
	outb(PORT_B, (b & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	outb(PIT_CMD, 0xb0);
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	t0 = rdtsc();
	while (!(inb(PORT_B) & PORT_B_OUT2))
		;
	t1 = rdtsc();
	outb(PORT_B, b);
	return (t1 - t0) * PIT_HZ / count;
}

void time_init(void)
{
	if (acpi.pm_timer_port) {
		tsc_freq = calibrate_with_pm_timer();
		calibration_source = "ACPI PM timer";
	} else {
		tsc_freq = calibrate_with_pit();
		calibration_source = "PIT";
	}
	if (tsc_freq < 1000000)
		panic("time: TSC calibration gave %lu Hz against the %s", tsc_freq,
		      calibration_source);
	ktime_ns_mult = (NSEC_PER_SEC << 32) / tsc_freq;
	ktime_tsc_base = boot_tsc;
}

u64 tsc_hz(void)
{
	return tsc_freq;
}

const char *time_calibration_source(void)
{
	return calibration_source;
}

u64 cycles_to_ns(u64 cycles)
{
	return (u64)(((unsigned __int128)cycles * ktime_ns_mult) >> 32);
}

u64 ns_to_cycles(u64 ns)
{
	/* Split so no product overflows 64 bits for any TSC below 18 GHz. */
	return ns / NSEC_PER_SEC * tsc_freq + ns % NSEC_PER_SEC * tsc_freq / NSEC_PER_SEC;
}

u64 jiffies_read(void)
{
	return jiffies;
}

void ndelay(u64 ns)
{
	u64 end = rdtsc() + ns_to_cycles(ns);

	while (rdtsc() < end)
		cpu_relax();
}

void udelay(u64 us)
{
	ndelay(us * NSEC_PER_USEC);
}

void mdelay(u64 ms)
{
	ndelay(ms * NSEC_PER_MSEC);
}

/*
 * Run this CPU's tick faster (the profiler); jiffies still count HZ per
 * second, and timers still run HZ times a second.
 */
void timer_set_rate(u32 hz)
{
	u32 count = (u32)(timer_counts_per_sec / hz);

	tick_hz[smp_processor_id()] = hz;
	lapic_timer_periodic(TIMER_VECTOR, count ? count : 1, LAPIC_DIVIDE_BY_16);
}

/* Every CPU's LAPIC timer lands here; the boot CPU's counts jiffies. */
static int timer_interrupt(int vector, void *data)
{
	unsigned cpu = smp_processor_id();
	u32 hz = tick_hz[cpu] ? tick_hz[cpu] : HZ;

	if (hz != HZ && ++tick_sub[cpu] < hz / HZ)
		return IRQ_HANDLED;
	tick_sub[cpu] = 0;
	if (cpu == 0)
		WRITE_ONCE(jiffies, jiffies + 1);
	timer_tick();
	if (cpu == 0)
		watchdog_check(ktime_get_ns());
	return IRQ_HANDLED;
}

void timer_tick_init(void)
{
	u32 start, elapsed, per_tick;
	u64 t_end;

	/*
	 * Count LAPIC timer ticks (bus clock / 16) over 10 ms of TSC time;
	 * interrupts are still off, and the count is too large to expire.
	 */
	lapic_timer_periodic(TIMER_VECTOR, 0xffffffffu, LAPIC_DIVIDE_BY_16);
	start = lapic_timer_current();
	t_end = rdtsc() + ns_to_cycles(CALIBRATE_MS * NSEC_PER_MSEC);
	while (rdtsc() < t_end)
		cpu_relax();
	elapsed = start - lapic_timer_current();
	lapic_timer_stop();

	timer_counts_per_sec = (u64)elapsed * 1000 / CALIBRATE_MS;
	per_tick = (u32)(timer_counts_per_sec / HZ);
	if (!per_tick)
		per_tick = 1;
	timer_per_tick = per_tick;
	if (request_irq(TIMER_VECTOR, timer_interrupt, NULL, "timer"))
		panic("time: cannot install the timer interrupt");
	lapic_timer_periodic(TIMER_VECTOR, per_tick, LAPIC_DIVIDE_BY_16);
}

/*
 * Another CPU's tick: its LAPIC timer runs from the same bus clock as the
 * boot CPU's (QEMU's APIC timers all count virtual time), so the boot
 * CPU's calibration serves.
 */
void timer_tick_init_cpu(void)
{
	lapic_timer_periodic(TIMER_VECTOR, timer_per_tick, LAPIC_DIVIDE_BY_16);
}
