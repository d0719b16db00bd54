/* SPDX-License-Identifier: MIT */
/*
 * TSC calibration and the periodic tick.
 *
 * Under QEMU's TCG the guest TSC follows the host's, and the PM timer, the
 * PIT and the LAPIC timer follow QEMU's virtual clock (host real time), so
 * calibrating one against the other gives nanoseconds that agree with the
 * host's wall clock.
 *
 * The source is the best the machine has, tried in this order: what the
 * CPU or hypervisor states (CPUID leaf 0x15's crystal ratio, the
 * hypervisor's TSC leaf 0x40000010); a timer of known frequency measured
 * against the TSC (the ACPI PM timer; the PIT through channel 2's gate in
 * port 0x61; the PIT through channel 0's latched count, for machines such
 * as microvm that have a PIT but no port 0x61; the LAPIC timer, whose input
 * QEMU and KVM clock at 1 GHz, when the hypervisor leaf says one of them
 * runs the machine). A measurement brackets every reading of the timer
 * between two TSC reads and keeps the extremes both ways, so its error
 * bound holds whatever the host's scheduler did meanwhile.
 *
 * Boot cannot wait for a long window: time_init() measures until the bound
 * is under 2 % (about a quarter of a millisecond), which is enough for
 * timeouts and the tick, and keeps its first reading. Once the disks are
 * up, time_refine() reads the same free-running timer again: the window
 * is then the whole boot, the bound a small fraction of the first, at no
 * cost. (The LAPIC timer becomes the tick, so as a source it is measured
 * to 0.25 % at once instead.) With none of these, the clock is
 * uncalibrated: it runs at the CPU's nominal frequency (CPUID leaf 0x16)
 * or a guess, says so, and latencies are not reported from it.
 */
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/cpu.h"
#include "kernel/hypervisor.h"
#include "kernel/interrupt.h"
#include "kernel/io.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/watchdog.h"

#define PM_TIMER_HZ 3579545u
#define PIT_HZ 1193182u
/* QEMU's and KVM's LAPIC timer input: one count per nanosecond before the divider. */
#define QEMU_APIC_BUS_HZ 1000000000u
/*
 * A measurement stops once its error bound is below its target (and its
 * window is not too short to mean anything), or after the longest window.
 */
#define CALIBRATE_QUICK_PPM 20000u
#define CALIBRATE_QUICK_MIN_NS (200 * NSEC_PER_USEC)
#define CALIBRATE_TARGET_PPM 2500u
#define CALIBRATE_MIN_NS (1000 * NSEC_PER_USEC)
#define CALIBRATE_MAX_NS (20 * NSEC_PER_MSEC)
/* Until the TSC is known, windows are bounded in TSC cycles of a fast CPU. */
#define CALIBRATE_ASSUMED_MAX_HZ 10000000000ull
/* The uncalibrated clock's guess, without even CPUID leaf 0x16. */
#define UNCALIBRATED_GUESS_HZ 2000000000ull

/* PIT ports and the channel 2 gate in the system control port B. */
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02

#define LAPIC_DIVIDE_BY_16 0x3
#define LAPIC_DIVISOR 16

u64 boot_tsc;
static u64 tsc_freq;
struct ktime_params ktime_params;
static const char *calibration_source = "none";
static u32 calibration_ppm;	  /* the error bound, parts per million */
static u64 calibration_window_ns; /* how long the measurement took */
static bool calibrated;
static volatile u64 jiffies;
static u64 timer_counts_per_sec;
static u32 timer_per_tick; /* LAPIC timer counts per 1/HZ, the same on every CPU */
static u32 tick_hz[NR_CPUS];
static u32 tick_sub[NR_CPUS];

/* ------------------------------------------------------------------------
 * Measuring the TSC against a timer
 */

/* A free-running counter of known frequency, read whole. */
struct counter {
	const char *name;
	u64 hz;
	u64 mask; /* its width: differences are taken modulo mask + 1 */
	bool down;
	u64 (*read)(void);
};

struct measurement {
	u64 hz;	 /* the TSC frequency, midway between the bounds */
	u32 ppm; /* half the bounds' spread, relative */
	u64 cycles;
	u64 a0, b0, c0; /* the first reading and the TSC reads around it */
};

/* The counter time_init() measured against and its first reading, for time_refine(). */
static struct counter refine_counter;
static struct measurement refine_start;
static bool refinable;
static bool port_b_gate_on;
static u8 port_b_saved;

/*
 * The TSC frequency from readings of @c: each reading lies between the two
 * TSC reads around it, and a count the counter shows means a time within
 * one tick of it. So between the first reading and the last, the TSC moved
 * at least (a1 - b0) and at most (b1 - a0) cycles, while the counter moved
 * between ticks - 1 and ticks + 1 periods: the frequency lies between the
 * quotients of the extremes. Stops when the bound is under the target (and
 * the window is not too short to mean anything), or at the longest window.
 */
static bool measure_tsc(const struct counter *c, struct measurement *m, u32 target_ppm, u64 min_ns)
{
	/* A counter that has not ticked twice in 2 ms of the fastest TSC is not there. */
	const u64 dead_cycles = CALIBRATE_ASSUMED_MAX_HZ / 500;
	/*
	 * Between two readings, no more than 4 ms of the fastest TSC: a vCPU
	 * the host stopped for longer than that could come back after the
	 * counter wrapped (the PIT's every 55 ms), which no bound would show.
	 * The measurement then starts again from there.
	 */
	const u64 gap_cycles = CALIBRATE_ASSUMED_MAX_HZ / 250;
	u64 a0, b0, c0, a1, b1, c1, lo, hi, ticks, prev = 0;
	unsigned start_tries = 0;

	a0 = rdtsc();
	c0 = c->read();
	b0 = rdtsc();
	prev = b0;
	for (;;) {
		a1 = rdtsc();
		c1 = c->read();
		b1 = rdtsc();
		/*
		 * The window's start is the narrowest of its first readings:
		 * one the host happened to interrupt would widen every bound
		 * computed from it, including time_refine()'s.
		 */
		if (b1 - prev > gap_cycles || (start_tries < 4 && b1 - a1 < b0 - a0)) {
			a0 = a1;
			c0 = c1;
			b0 = prev = b1;
			start_tries++;
			continue;
		}
		start_tries = 4;
		prev = b1;
		ticks = (c->down ? c0 - c1 : c1 - c0) & c->mask;
		if (ticks >= 2) {
			lo = (u64)((unsigned __int128)(a1 - b0) * c->hz / (ticks + 1));
			hi = (u64)((unsigned __int128)(b1 - a0) * c->hz / (ticks - 1));
			m->hz = (lo + hi) / 2;
			m->ppm = m->hz ? (u32)MIN((hi - lo) / 2 * 1000000 / m->hz, (u64)UINT32_MAX)
				       : UINT32_MAX;
			m->cycles = b1 - a0;
			m->a0 = a0;
			m->b0 = b0;
			m->c0 = c0;
			if (ticks * NSEC_PER_SEC / c->hz >= min_ns && m->ppm < target_ppm)
				return true;
			if (ticks * NSEC_PER_SEC / c->hz >= CALIBRATE_MAX_NS)
				return true;
			/* Half the counter's range: beyond it, wrap-around is ambiguous. */
			if (ticks > c->mask / 2)
				return true;
		}
		if (ticks < 2 && b1 - a0 > dead_cycles)
			return false;
		cpu_relax();
	}
}

static u64 read_pm_timer(void)
{
	return inl(acpi.pm_timer_port);
}

static u64 read_pit_ch2(void)
{
	/* Latch channel 2, then its count, low byte first. */
	outb(PIT_CMD, 0x80);
	u8 lo = inb(PIT_CH2);
	return lo | (u64)inb(PIT_CH2) << 8;
}

static u64 read_pit_ch0(void)
{
	outb(PIT_CMD, 0x00);
	u8 lo = inb(PIT_CH0);
	return lo | (u64)inb(PIT_CH0) << 8;
}

static u64 read_lapic_timer(void)
{
	return lapic_timer_current();
}

/*
 * Port 0x61 (system control port B) holds channel 2's gate on a PC; a
 * machine without it (microvm) reads all ones there.
 */
static bool have_port_b(void)
{
	return inb(PORT_B) != 0xff;
}

/*
 * Start a PIT channel counting down from 65536, mode 2 (rate generator).
 * Without a PIT the ports read all ones and the count never moves, which
 * the measurement notices.
 */
static void pit_start(unsigned channel)
{
	outb(PIT_CMD, (u8)(channel << 6 | 0x34));
	outb((u16)(PIT_CH0 + channel), 0);
	outb((u16)(PIT_CH0 + channel), 0);
}

/*
 * Whether channel @channel, just started by pit_start, is there: the
 * 8254's read-back command latches its status byte, which holds the mode
 * just written (rate generator, binary, low byte then high). A machine
 * without a PIT (microvm with pit=off) reads all ones from the ports; a
 * dead counter would otherwise be noticed only after measure_tsc's 2 ms
 * of the fastest TSC, 10 ms of a 2 GHz one.
 */
static bool pit_present(unsigned channel)
{
	outb(PIT_CMD, (u8)(0xe0 | 2u << channel)); /* read-back: status only */
	return (inb((u16)(PIT_CH0 + channel)) & 0x3f) == 0x34;
}

/* What the CPU states: leaf 0x15's TSC/crystal ratio times the crystal. */
static bool tsc_from_cpuid(u64 *hz)
{
	u32 a, b, c, d;

	cpuid(0, 0, &a, &b, &c, &d);
	if (a < 0x15)
		return false;
	cpuid(0x15, 0, &a, &b, &c, &d);
	if (!a || !b || !c)
		return false;
	*hz = (u64)c * b / a;
	return true;
}

/* The hypervisor's TSC frequency leaf (VMware's, which QEMU/KVM offer too), in kHz. */
static bool tsc_from_hypervisor(u64 *hz)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 31)))
		return false;
	cpuid(0x40000000, 0, &a, &b, &c, &d);
	if (a < 0x40000010)
		return false;
	cpuid(0x40000010, 0, &a, &b, &c, &d);
	if (!a)
		return false;
	*hz = (u64)a * 1000;
	return true;
}

/* The nominal base frequency (leaf 0x16, MHz): not a measurement. */
static u64 nominal_hz(void)
{
	u32 a, b, c, d;

	cpuid(0, 0, &a, &b, &c, &d);
	if (a < 0x16)
		return 0;
	cpuid(0x16, 0, &a, &b, &c, &d);
	return (u64)(a & 0xffff) * 1000000;
}

/*
 * Measure against @c: quickly when the counter stays free-running for
 * time_refine() (@refine), else to the final target at once.
 */
static bool calibrate_against(const struct counter *c, bool refine)
{
	struct measurement m;

	if (!measure_tsc(c, &m, refine ? CALIBRATE_QUICK_PPM : CALIBRATE_TARGET_PPM,
			 refine ? CALIBRATE_QUICK_MIN_NS : CALIBRATE_MIN_NS) ||
	    m.hz < 1000000 || m.ppm > 100000)
		return false;
	if (refine) {
		refine_counter = *c;
		refine_start = m;
		refinable = true;
	}
	tsc_freq = m.hz;
	calibration_source = c->name;
	calibration_ppm = m.ppm;
	calibration_window_ns = m.cycles * NSEC_PER_SEC / m.hz;
	calibrated = true;
	return true;
}

void time_init(void)
{
	const char *accel = accel_name();
	u64 hz;

	if (tsc_from_cpuid(&hz)) {
		tsc_freq = hz;
		calibration_source = "CPUID leaf 0x15 (crystal ratio)";
		calibrated = true;
	} else if (tsc_from_hypervisor(&hz)) {
		tsc_freq = hz;
		calibration_source = "hypervisor CPUID leaf 0x40000010";
		calibration_ppm = (u32)(500000000ull / hz); /* half a kHz */
		calibrated = true;
	}
	if (!calibrated && acpi.pm_timer_port) {
		struct counter pm = {"ACPI PM timer", PM_TIMER_HZ,
				     acpi.pm_timer_32bit ? 0xffffffffull : 0xffffffull, false,
				     read_pm_timer};
		calibrate_against(&pm, true);
	}
	if (!calibrated && have_port_b()) {
		struct counter pit2 = {"PIT channel 2", PIT_HZ, 0xffff, true, read_pit_ch2};
		u8 b = inb(PORT_B);

		/* Gate on, speaker off: channel 2 counts, until time_refine(). */
		outb(PORT_B, (b & ~PORT_B_SPEAKER) | PORT_B_GATE2);
		pit_start(2);
		port_b_saved = b;
		port_b_gate_on = true;
		if (!calibrate_against(&pit2, true)) {
			outb(PORT_B, b);
			port_b_gate_on = false;
		}
	}
	if (!calibrated) {
		struct counter pit0 = {"PIT channel 0 (no port 0x61)", PIT_HZ, 0xffff, true,
				       read_pit_ch0};

		pit_start(0);
		if (pit_present(0))
			calibrate_against(&pit0, true);
	}
	if (!calibrated && (!strcmp(accel, "tcg") || !strcmp(accel, "kvm"))) {
		struct counter lapic = {
			!strcmp(accel, "tcg") ? "LAPIC timer (QEMU's 1 GHz APIC clock, TCG)"
					      : "LAPIC timer (KVM's 1 GHz APIC clock)",
			QEMU_APIC_BUS_HZ / LAPIC_DIVISOR, 0xffffffffull, true, read_lapic_timer};

		/* Interrupts are off, and the count too large to expire. */
		lapic_timer_periodic(TIMER_VECTOR, 0xffffffffu, LAPIC_DIVIDE_BY_16);
		if (calibrate_against(&lapic, false))
			timer_counts_per_sec = QEMU_APIC_BUS_HZ / LAPIC_DIVISOR;
		lapic_timer_stop();
	}
	if (!calibrated) {
		hz = nominal_hz();
		tsc_freq = hz ? hz : UNCALIBRATED_GUESS_HZ;
		calibration_source =
			hz ? "nothing: CPUID leaf 0x16's nominal frequency" : "nothing: a guess";
	}
	ktime_params.ns_mult = (NSEC_PER_SEC << 32) / tsc_freq;
	ktime_params.tsc_base = boot_tsc;
	ktime_params.ns_limit = ~0ull; /* unchecked until clock_watchdog_start() */
}

/*
 * Around every change of ktime_params (interrupts off): the sequence count
 * odd meanwhile, so a reader on another CPU reads again.
 */
static void ktime_write_begin(void)
{
	WRITE_ONCE(ktime_params.seq, ktime_params.seq + 1);
	barrier();
}

static void ktime_write_end(void)
{
	barrier();
	WRITE_ONCE(ktime_params.seq, ktime_params.seq + 1);
}

/* A new frequency, the clock carried on from where it is. */
static void ktime_rebase(u64 hz)
{
	u64 now_tsc = rdtsc(), now_ns = ktime_get_ns();
	unsigned long flags = local_irq_save();

	ktime_write_begin();
	ktime_params.tsc_base = now_tsc;
	ktime_params.ns_offset = now_ns;
	ktime_params.ns_mult = (NSEC_PER_SEC << 32) / hz;
	ktime_write_end();
	tsc_freq = hz;
	local_irq_restore(flags);
}

/* ------------------------------------------------------------------------
 * The clock watchdog
 *
 * Under TCG the guest's TSC is the host's TSC (QEMU subtracts its value at
 * start), while the HPET, the PM timer and the LAPIC timer count QEMU's
 * virtual clock, which the host's CLOCK_MONOTONIC drives. A host whose own
 * TSC jumps (a cloud VM paused, resumed or moved, booted with tsc=unstable,
 * as this project's are) moves the guest's TSC with it: seen once here,
 * 6.8 hours forward in the middle of a boot test, and the job watchdog
 * fired at once. A TSC that falls back stands still instead (QEMU keeps
 * it from going backwards) until the host's catches up.
 *
 * Linux's clocksource watchdog compares the TSC with the HPET or the PM
 * timer every half second and gives the TSC up. This kernel keeps the TSC,
 * one instruction per timestamp, and takes the jump out: on every tick of
 * the boot CPU, and on any reading more than KTIME_CHECK_NS past the last
 * check, it compares how far the clock moved since the last check with how
 * far the reference moved; when they differ by more than the tolerance,
 * the clock is moved so that it advanced what the reference says, and the
 * correction is reported. Readings within KTIME_CHECK_NS of a check are
 * returned unchecked, so a jump smaller than that can be seen until the
 * next tick (and time then steps back by it); a bigger one never is.
 *
 * The reference is the HPET's main counter (64 bits at 100 MHz on QEMU:
 * never ambiguous), else the ACPI PM timer (24 bits at 3.58 MHz: it wraps
 * every 4.7 s, so an interval the clock says is longer than half that, a
 * vCPU the host stopped for seconds, is only checked modulo the wrap, and
 * one of more than a minute is taken for a jump).
 * Without either (microvm, or no ACPI) the TSC is not checked, and the
 * clock line says so.
 */

/*
 * A reading this far past the last check is checked before it is returned:
 * two ticks, so readings between ticks stay unchecked, and a tick the host
 * delays costs one check from whoever reads the clock next.
 */
#define KTIME_CHECK_NS (20 * NSEC_PER_MSEC)
/* Disagreement allowed: this much, plus the reading's bracket and 1/32 of the interval. */
#define CLOCK_TOLERANCE_NS (2 * NSEC_PER_MSEC)
/* Beyond a wrapping reference's reach, a longer interval than this is taken for a jump. */
#define CLOCK_MAX_STOP_NS (60 * NSEC_PER_SEC)
/* A reading bracketed wider than this is taken again (up to three times). */
#define CLOCK_BRACKET_NS (50 * NSEC_PER_USEC)

#define HPET_CAP_ID 0x000
#define HPET_CAP_COUNT_64 (1ull << 13)
#define HPET_CONFIG 0x010
#define HPET_CONFIG_ENABLE 0x1
#define HPET_COUNTER 0x0f0
/* The specification's bound on the counter's period: at most 100 ns. */
#define HPET_MAX_PERIOD_FS 100000000ull
#define FSEC_PER_NSEC 1000000ull

static struct {
	const char *name; /* NULL: not checked */
	u64 (*read)(void);
	u64 mask;	       /* the counter's width */
	u64 ns_mult;	       /* ns = counts * ns_mult >> 32 */
	u64 wrap_ns;	       /* how long the counter takes to wrap, 0: never */
	u64 last_ref, last_ns; /* the reference and the clock at the last check */
	volatile u32 busy;     /* one check at a time: the CPU running it, plus one */
	/* Corrections, for the reports. */
	u32 corrections;
	u32 reported;
	s64 largest; /* the biggest |jump| of the TSC, signed */
	s64 last_jump;
	u64 last_ref_ns; /* the reference's interval of the last correction */
} cw;

static volatile u32 *hpet;

static u64 read_hpet(void)
{
	u32 hi, lo;

	/* Two 32-bit halves: read the high one again if the low one wrapped between. */
	do {
		hi = READ_ONCE(hpet[HPET_COUNTER / 4 + 1]);
		lo = READ_ONCE(hpet[HPET_COUNTER / 4]);
	} while (hi != READ_ONCE(hpet[HPET_COUNTER / 4 + 1]));
	return (u64)hi << 32 | lo;
}

/* The HPET's counter, enabled if the firmware left it stopped; false if it is not usable. */
static bool hpet_setup(void)
{
	u64 cap, period;
	u32 config;

	if (!acpi.hpet_base || !(hpet = ioremap(acpi.hpet_base, 1024)))
		return false;
	cap = (u64)READ_ONCE(hpet[HPET_CAP_ID / 4 + 1]) << 32 | READ_ONCE(hpet[HPET_CAP_ID / 4]);
	period = cap >> 32;
	if (!period || period > HPET_MAX_PERIOD_FS) {
		pr_warn("clock: the HPET at %#lx states a period of %lu fs; not used",
			acpi.hpet_base, period);
		return false;
	}
	/* Only the counter: no timer of its has its interrupt enabled (reset state). */
	config = READ_ONCE(hpet[HPET_CONFIG / 4]);
	if (!(config & HPET_CONFIG_ENABLE))
		WRITE_ONCE(hpet[HPET_CONFIG / 4], config | HPET_CONFIG_ENABLE);
	cw.read = read_hpet;
	cw.mask = cap & HPET_CAP_COUNT_64 ? ~0ull : 0xffffffffull;
	cw.ns_mult = (u64)(((unsigned __int128)period << 32) / FSEC_PER_NSEC);
	cw.name = "HPET";
	return true;
}

static u64 ref_ns(u64 counts)
{
	return (u64)(((unsigned __int128)counts * cw.ns_mult) >> 32);
}

/* The clock at TSC value @tsc, from the current parameters, unchecked. */
static u64 ktime_at(u64 tsc)
{
	return ktime_params.ns_offset + cycles_to_ns(tsc - ktime_params.tsc_base);
}

/* How far a jump moved the clock, either way. */
static u64 jump_size(s64 jump)
{
	return (u64)(jump < 0 ? -jump : jump);
}

/*
 * Compare the clock with the reference since the last check and take a
 * disagreement out: with interrupts off and cw.busy held. The clock's
 * value now, checked.
 */
static u64 clock_check_locked(void)
{
	u64 a = 0, b = ~0ull, r = 0, now, moved, ref_moved, tol;

	for (unsigned i = 0; i < 3; i++) {
		u64 a1 = rdtsc(), r1 = cw.read(), b1 = rdtsc();

		if (b1 - a1 < b - a) {
			a = a1;
			r = r1;
			b = b1;
		}
		if (cycles_to_ns(b - a) < CLOCK_BRACKET_NS)
			break;
	}
	now = ktime_at(a + (b - a) / 2);
	moved = now > cw.last_ns ? now - cw.last_ns : 0;
	ref_moved = ref_ns((r - cw.last_ref) & cw.mask);
	tol = CLOCK_TOLERANCE_NS + cycles_to_ns(b - a);
	if (cw.wrap_ns && moved > cw.wrap_ns / 2) {
		/*
		 * The reference counts only modulo its wrap. A clock that
		 * agrees with it modulo the wrap, within its calibration, is
		 * believed (a vCPU the host stopped that long), unless it
		 * moved more than a minute; one that does not jumped, and the
		 * reference's reading is the least it can have moved.
		 */
		u64 m = moved % cw.wrap_ns, d = m > ref_moved ? m - ref_moved : ref_moved - m;

		/* The calibration's bound, and 0.1 % for the host slewing its clock meanwhile. */
		tol += moved / 1000000 * (4 * calibration_ppm + 1000);
		if (moved <= CLOCK_MAX_STOP_NS && MIN(d, cw.wrap_ns - d) <= tol)
			ref_moved = moved;
	} else {
		tol += MAX(moved, ref_moved) / 32;
	}
	ktime_write_begin();
	if (moved > ref_moved + tol || ref_moved > moved + tol) {
		s64 jump = (s64)(now - cw.last_ns) - (s64)ref_moved;

		ktime_params.ns_offset -= (u64)jump;
		now -= (u64)jump;
		cw.corrections++;
		cw.last_jump = jump;
		cw.last_ref_ns = ref_moved;
		if (jump_size(jump) > jump_size(cw.largest))
			cw.largest = jump;
	}
	ktime_params.ns_limit = now + KTIME_CHECK_NS;
	ktime_write_end();
	cw.last_ns = now;
	cw.last_ref = r;
	return now;
}

static bool clock_check_enter(void)
{
	u32 me = smp_processor_id() + 1, none = 0;

	return __atomic_compare_exchange_n(&cw.busy, &none, me, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static void clock_check_leave(void)
{
	__atomic_store_n(&cw.busy, 0, __ATOMIC_RELEASE);
}

u64 ktime_check(u64 seen)
{
	unsigned long flags = local_irq_save();
	u64 now;

	/*
	 * Another CPU checking: wait for it, then read the clock it left. This
	 * CPU checking (an NMI inside the check): the reading as it is.
	 */
	while (!clock_check_enter()) {
		if (READ_ONCE(cw.busy) == smp_processor_id() + 1) {
			local_irq_restore(flags);
			return seen;
		}
		cpu_relax();
	}
	now = ktime_at(rdtsc());
	if (now > ktime_params.ns_limit)
		now = clock_check_locked();
	clock_check_leave();
	local_irq_restore(flags);
	return now;
}

static void print_jump(const char *lead, s64 jump, u64 ref)
{
	u64 j = jump_size(jump);

	printk("%sthe TSC %s %lu.%06lu s %s the %s (which moved %lu.%06lu s); the clock follows "
	       "the %s\n",
	       lead, jump < 0 ? "fell" : "jumped", j / NSEC_PER_SEC, j % NSEC_PER_SEC / 1000,
	       jump < 0 ? "behind" : "ahead of", cw.name, ref / NSEC_PER_SEC,
	       ref % NSEC_PER_SEC / 1000, cw.name);
}

/* On the boot CPU's tick: check, and say what the last check corrected. */
static void clock_watchdog_tick(void)
{
	if (!cw.name || !clock_check_enter())
		return;
	clock_check_locked();
	clock_check_leave();
	/* The first few corrections one by one; the rest in the end's count. */
	if (cw.reported != cw.corrections && cw.reported < 8) {
		cw.reported = cw.corrections;
		print_jump("clock: ", cw.last_jump, cw.last_ref_ns);
	}
}

static void clock_watchdog_start(void)
{
	if (!calibrated || cw.name)
		return;
	if (!hpet_setup() && acpi.pm_timer_port) {
		cw.read = read_pm_timer;
		cw.mask = acpi.pm_timer_32bit ? 0xffffffffull : 0xffffffull;
		cw.ns_mult = (NSEC_PER_SEC << 32) / PM_TIMER_HZ;
		cw.name = "ACPI PM timer";
	}
	if (!cw.name)
		return;
	cw.wrap_ns = ~cw.mask ? ref_ns(cw.mask + 1) : 0;
	unsigned long flags = local_irq_save();

	cw.last_ref = cw.read();
	cw.last_ns = ktime_at(rdtsc());
	ktime_write_begin();
	ktime_params.ns_limit = cw.last_ns + KTIME_CHECK_NS;
	ktime_write_end();
	local_irq_restore(flags);
}

const char *clock_watchdog_source(void)
{
	return cw.name;
}

void clock_watchdog_report(void)
{
	if (!cw.corrections)
		return;
	u64 j = jump_size(cw.largest);

	printk("clock: %u correction(s) of the TSC against the %s; the largest: %s%lu.%06lu s\n",
	       cw.corrections, cw.name, cw.largest < 0 ? "-" : "+", j / NSEC_PER_SEC,
	       j % NSEC_PER_SEC / 1000);
}

u32 clock_watchdog_corrections(void)
{
	return cw.corrections;
}

/*
 * For the self test: move the clock by @ns as a jump of the host's TSC
 * would move it (QEMU's TCG ignores a guest's writes of the TSC).
 */
void clock_test_jump(s64 ns)
{
	unsigned long flags = local_irq_save();

	while (!clock_check_enter())
		cpu_relax();
	ktime_write_begin();
	ktime_params.ns_offset += (u64)ns;
	ktime_write_end();
	clock_check_leave();
	local_irq_restore(flags);
}

void time_refine(void)
{
	const struct counter *c = &refine_counter;
	const struct measurement *m = &refine_start;

	if (refinable) {
		u64 a1 = rdtsc(), c1 = c->read(), b1 = rdtsc();

		/* The narrowest of a few readings, as for the start. */
		for (unsigned i = 0; i < 3; i++) {
			u64 a = rdtsc(), cv = c->read(), b = rdtsc();

			if (b - a < b1 - a1) {
				a1 = a;
				c1 = cv;
				b1 = b;
			}
		}
		u64 ticks = (c->down ? m->c0 - c1 : c1 - m->c0) & c->mask;
		/* What the quick calibration says the counter should show, within its bound. */
		u64 expect = (u64)((unsigned __int128)(b1 - m->a0) * c->hz / tsc_freq);

		/*
		 * Refine only when the counter cannot have wrapped: the window,
		 * by the quick calibration and its bound, well inside half the
		 * counter's range, and the reading agrees with it.
		 */
		if (expect < c->mask / 2 && ticks >= 2 && ticks * 100 >= expect * 90 &&
		    ticks * 100 <= expect * 110 + 200) {
			u64 lo = (u64)((unsigned __int128)(a1 - m->b0) * c->hz / (ticks + 1));
			u64 hi = (u64)((unsigned __int128)(b1 - m->a0) * c->hz / (ticks - 1));
			u64 hz = (lo + hi) / 2;
			u32 ppm = (u32)MIN((hi - lo) / 2 * 1000000 / hz, (u64)UINT32_MAX);

			if (ppm < calibration_ppm) {
				ktime_rebase(hz);
				calibration_ppm = ppm;
				calibration_window_ns = (b1 - m->a0) * NSEC_PER_SEC / hz;
			}
		}
		refinable = false;
	}
	if (port_b_gate_on) {
		outb(PORT_B, port_b_saved);
		port_b_gate_on = false;
	}
	clock_watchdog_start();
}

bool time_calibrated(void)
{
	return calibrated;
}

u32 time_calibration_ppm(void)
{
	return calibration_ppm;
}

u64 time_calibration_window_ns(void)
{
	return calibration_window_ns;
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
	return (u64)(((unsigned __int128)cycles * READ_ONCE(ktime_params.ns_mult)) >> 32);
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
	if (cpu == 0) {
		u64 now;

		clock_watchdog_tick();
		now = ktime_get_ns();
		watchdog_check(now);
		printk_tick(now);
	}
	return IRQ_HANDLED;
}

void timer_tick_init(void)
{
	u32 per_tick;

	/*
	 * The LAPIC timer's rate (bus clock / 16): known under QEMU and KVM
	 * (the hypervisor leaf says which runs us), else measured against the
	 * TSC, now calibrated, reading brackets as above.
	 */
	const char *accel = accel_name();

	if (!timer_counts_per_sec && (!strcmp(accel, "tcg") || !strcmp(accel, "kvm")))
		timer_counts_per_sec = QEMU_APIC_BUS_HZ / LAPIC_DIVISOR;
	if (!timer_counts_per_sec) {
		u64 a0, b0, a1, b1, gap = ns_to_cycles(CALIBRATE_MIN_NS) / 4;
		u32 c0, c1;

		lapic_timer_periodic(TIMER_VECTOR, 0xffffffffu, LAPIC_DIVIDE_BY_16);
		a0 = rdtsc();
		c0 = lapic_timer_current();
		b0 = b1 = rdtsc();
		do {
			u64 prev = b1;

			a1 = rdtsc();
			c1 = lapic_timer_current();
			b1 = rdtsc();
			/* A vCPU stopped meanwhile: start again from here. */
			if (b1 - prev > gap) {
				a0 = a1;
				c0 = c1;
				b0 = b1;
			}
			/*
			 * A restart on the last read leaves no bracket at all
			 * (a0 == a1): one more read is needed, or the division
			 * below is by zero.
			 */
		} while (b1 - a0 < ns_to_cycles(CALIBRATE_MIN_NS) || a0 == a1);
		lapic_timer_stop();
		/* Midway between the bracket's extremes; the tick needs no better. */
		timer_counts_per_sec = (u64)(c0 - c1) * tsc_freq * 2 / ((a1 - b0) + (b1 - a0));
	}
	per_tick = (u32)(timer_counts_per_sec / HZ);
	if (!per_tick)
		per_tick = 1;
	timer_per_tick = per_tick;
	if (request_irq(TIMER_VECTOR, timer_interrupt, NULL, "timer"))
		panic("time: cannot install the timer interrupt");
	lapic_timer_periodic(TIMER_VECTOR, per_tick, LAPIC_DIVIDE_BY_16);
}

u64 lapic_timer_hz(void)
{
	return timer_counts_per_sec;
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

void time_print(void)
{
	if (calibrated) {
		u32 ppm = calibration_ppm;
		u64 us = calibration_window_ns / NSEC_PER_USEC;

		printk("clock: TSC %lu.%03lu MHz +/- %u.%03u%% (%s%s%lu.%03lu ms), LAPIC timer "
		       "%lu.%03lu MHz, %s%s\n",
		       tsc_freq / 1000000, tsc_freq / 1000 % 1000, ppm / 10000, ppm / 10 % 1000,
		       calibration_source, us ? ", measured over " : "", us / 1000, us % 1000,
		       timer_counts_per_sec / 1000000, timer_counts_per_sec / 1000 % 1000,
		       cw.name ? "TSC checked against the "
			       : "TSC not checked (no HPET or ACPI PM "
				 "timer)",
		       cw.name ? cw.name : "");
	} else {
		printk("clock: UNCALIBRATED: no timer to measure the TSC against (no PM timer, "
		       "PIT, "
		       "known LAPIC clock or CPUID frequency); assuming %lu.%03lu MHz (%s): "
		       "latencies will not be reported\n",
		       tsc_freq / 1000000, tsc_freq / 1000 % 1000, calibration_source);
	}
}
