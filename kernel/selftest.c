/* SPDX-License-Identifier: MIT */
/*
 * Self tests selected with test=NAME, for the boot-and-assert suite: each
 * one exercises a foundation piece and prints lines the runner checks.
 * divide, pagefault, ud, assert and panic must end the run with a failure
 * report; the others must pass.
 */
#include "kernel/apic.h"
#include "kernel/cmdline.h"
#include "kernel/cpu.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/platform.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/time.h"

static int test_boot(struct cmdline *cl)
{
	return 0;
}

static int test_divide(struct cmdline *cl)
{
	volatile int zero = 0;
	/* cppcheck-suppress zerodiv ; the fault is the point of this test */
	volatile int x = 42 / zero;
	return x;
}

static int test_pagefault(struct cmdline *cl)
{
	/* Canonical but far outside the identity map. */
	volatile u64 *p = (volatile u64 *)(uintptr_t)0x00007fffdead0000ull;
	return (int)*p;
}

static int test_ud(struct cmdline *cl)
{
	__asm__ __volatile__("ud2");
	return 0;
}

static int test_assert(struct cmdline *cl)
{
	volatile int broken_invariant = 1;
	BUG_ON(broken_invariant);
	return 0;
}

static int test_panic(struct cmdline *cl)
{
	panic("self test asked for a panic");
}

static volatile bool timer_fired;

static void timer_test_fn(struct timer_list *t)
{
	timer_fired = true;
}

/*
 * Sleep on a timer_list timer, halting in between, and report the elapsed
 * TSC time; the runner compares it with the host's clock.
 */
static int test_timer(struct cmdline *cl)
{
	const char *v = cmdline_get(cl, 0, "timer_ms");
	struct timer_list t;
	u64 ms = 1000, start, elapsed, j0;

	if (v && (parse_u64(v, &ms) || ms == 0 || ms > 600000))
		return kernel_fail("timer_ms=%s: expected 1..600000", v);
	timer_setup(&t, timer_test_fn);
	j0 = jiffies_read();
	printk("TIMER: start ms=%lu\n", ms);
	start = ktime_get_ns();
	mod_timer(&t, start + ms * NSEC_PER_MSEC);
	wait_until(timer_fired);
	elapsed = ktime_get_ns() - start;
	printk("TIMER: end elapsed_ms=%lu ticks=%lu idle_ms=%lu\n", elapsed / NSEC_PER_MSEC,
	       jiffies_read() - j0, idle_ns_total() / NSEC_PER_MSEC);
	if (elapsed < ms * NSEC_PER_MSEC)
		return kernel_fail("timer fired early: %lu ns < %lu ms", elapsed, ms);
	return 0;
}

/* Let @n ticks of the boot CPU's LAPIC timer (QEMU's virtual clock) pass. */
static void wait_ticks(u64 n)
{
	u64 j0 = jiffies_read();

	wait_until(jiffies_read() - j0 >= n);
}

/*
 * The clock watchdog against QEMU's HPET or PM timer. The clock is moved as
 * a jump of the host's TSC would move it (TCG ignores a guest's writes of
 * the TSC): an hour forward, which the first reading after it must not
 * see; 10 ms forward, under the reading check's window, which the next
 * tick takes out; 2 s back, which the next tick takes out too. Then twenty
 * ticks of the LAPIC timer, which counts QEMU's virtual clock as the
 * reference does, must take 200 ms of the clock.
 */
static int test_clock(struct cmdline *cl)
{
	u32 n0 = clock_watchdog_corrections();
	u64 t0, t1, before;

	if (!clock_watchdog_source()) {
		printk("CLOCK: no timer to check the TSC against\n");
		return 0;
	}
	t0 = ktime_get_ns();
	clock_test_jump((s64)(3600 * NSEC_PER_SEC));
	t1 = ktime_get_ns();
	if (t1 - t0 > 250 * NSEC_PER_MSEC || clock_watchdog_corrections() != n0 + 1)
		return kernel_fail("clock test: an hour's jump was seen (%lu ns, %u corrections)",
				   t1 - t0, clock_watchdog_corrections() - n0);
	printk("CLOCK: an hour forward: the next reading %lu us later\n",
	       (t1 - t0) / NSEC_PER_USEC);
	wait_ticks(2);

	clock_test_jump((s64)(10 * NSEC_PER_MSEC));
	wait_ticks(2);
	if (clock_watchdog_corrections() != n0 + 2)
		return kernel_fail("clock test: 10 ms forward not taken out by the tick");

	before = ktime_get_ns();
	clock_test_jump(-(s64)(2 * NSEC_PER_SEC));
	wait_ticks(2);
	t1 = ktime_get_ns();
	if (clock_watchdog_corrections() != n0 + 3 || t1 < before)
		return kernel_fail(
			"clock test: 2 s back not taken out by the tick (%u corrections, "
			"%ld ns since before)",
			clock_watchdog_corrections() - n0, (long)(t1 - before));

	t0 = ktime_get_ns();
	wait_ticks(20);
	t1 = ktime_get_ns() - t0;
	printk("CLOCK: 20 ticks in %lu us\n", t1 / NSEC_PER_USEC);
	if (t1 < 180 * NSEC_PER_MSEC || t1 > 300 * NSEC_PER_MSEC)
		return kernel_fail("clock test: 20 ticks took %lu us of the clock",
				   t1 / NSEC_PER_USEC);
	return 0;
}

/*
 * Allocate and free many objects of mixed sizes in a random order and check
 * that the allocators' counters return exactly to where they started.
 */
static int test_alloc(struct cmdline *cl)
{
	enum { SLOTS = 4096, ROUNDS = 200000 };
	struct kmem_stats k0, k1;
	struct page_alloc_stats p0, p1;
	void **slot = kzalloc(SLOTS * sizeof(void *));
	u64 rng = 0x9e3779b97f4a7c15ull, peak = 0, live = 0;

	if (!slot)
		return kernel_fail("alloc: cannot allocate the slot table");
	k0 = kmem_get_stats();
	p0 = page_alloc_get_stats();
	for (unsigned i = 0; i < ROUNDS; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		unsigned s = rng % SLOTS;
		if (slot[s]) {
			kfree(slot[s]);
			slot[s] = NULL;
			live--;
		} else {
			size_t size = (rng >> 20) % 5 == 0 ? (rng >> 32) % 20000 + 1
							   : (rng >> 32) % 600 + 1;
			slot[s] = kmalloc(size);
			if (!slot[s])
				return kernel_fail("alloc: kmalloc(%zu) failed at round %u", size,
						   i);
			((u8 *)slot[s])[0] = 0xa5;
			((u8 *)slot[s])[size - 1] = 0x5a;
			if (++live > peak)
				peak = live;
		}
	}
	for (unsigned s = 0; s < SLOTS; s++)
		kfree(slot[s]);
	k1 = kmem_get_stats();
	p1 = page_alloc_get_stats();
	long leaked = (long)k1.live_objects - (long)k0.live_objects;
	printk("ALLOC: rounds=%u peak_live=%lu objects_before=%lu objects_after=%lu "
	       "free_pages_before=%lu free_pages_after=%lu leaked=%ld\n",
	       ROUNDS, peak, k0.live_objects, k1.live_objects, p0.free_pages, p1.free_pages,
	       leaked);
	kfree(slot);
	if (leaked)
		return kernel_fail("alloc: %ld objects leaked", leaked);
	return 0;
}

/* ------------------------------------------------------------------------
 * Several CPUs (test=smp, and the failure tests around it)
 */

/* Run @fn on every online CPU at once (the boot CPU's share directly); 0 or the first error. */
struct cpu_job {
	struct work_struct work;
	long (*fn)(void *arg);
	void *arg;
	long ret;
};

static void cpu_job_fn(struct work_struct *w)
{
	struct cpu_job *j = container_of(w, struct cpu_job, work);

	j->ret = j->fn(j->arg);
}

static long on_all_cpus(long (*fn)(void *), void *arg)
{
	unsigned n = num_online_cpus();
	struct cpu_job *jobs = kzalloc(sizeof(*jobs) * n);
	long ret;

	if (!jobs)
		return kernel_fail("smp: no memory for %u workers", n);
	for (unsigned cpu = 1; cpu < n; cpu++) {
		INIT_WORK(&jobs[cpu].work, cpu_job_fn);
		jobs[cpu].fn = fn;
		jobs[cpu].arg = arg;
		if (queue_work_on(cpu, &jobs[cpu].work))
			panic("smp: cannot queue work on online CPU %u", cpu);
	}
	ret = fn(arg);
	for (unsigned cpu = 1; cpu < n; cpu++) {
		flush_work(&jobs[cpu].work);
		if (!ret)
			ret = jobs[cpu].ret;
	}
	kfree(jobs);
	return ret;
}

/* Spin until all @n CPUs got here, so the parts that follow really overlap. */
static void rendezvous(atomic_t *count, unsigned n)
{
	atomic_inc(count);
	while ((unsigned)atomic_read(count) < n)
		cpu_relax();
}

struct ipi_record {
	unsigned cpu;
	u32 apic_id;
	bool in_irq;
	bool irqs_off;
};

static void ipi_record_fn(void *info)
{
	struct ipi_record *r = info;

	r->cpu = smp_processor_id();
	r->apic_id = lapic_id();
	r->in_irq = in_irq();
	r->irqs_off = irqs_disabled();
}

static long which_cpu(void *arg)
{
	return (long)smp_processor_id();
}

/* Function-call IPIs and process-context work reach exactly the CPU asked for. */
static int smp_test_calls(unsigned n)
{
	for (unsigned cpu = 0; cpu < n; cpu++) {
		struct ipi_record r = {~0u, 0, false, false};
		long ran_on;

		if (smp_call_function_single(cpu, ipi_record_fn, &r, true))
			return kernel_fail("smp: cannot call a function on CPU %u", cpu);
		if (r.cpu != cpu || r.apic_id != cpu_apic_id(cpu) || !r.irqs_off)
			return kernel_fail("smp: the call for CPU %u ran on CPU %u (APIC id %u, "
					   "interrupts %s)",
					   cpu, r.cpu, r.apic_id, r.irqs_off ? "off" : "on");
		if (cpu != smp_processor_id() && !r.in_irq)
			return kernel_fail("smp: the call on CPU %u did not come by IPI", cpu);
		ran_on = work_on_cpu(cpu, which_cpu, NULL);
		if (ran_on != (long)cpu)
			return kernel_fail("smp: work for CPU %u ran on CPU %ld", cpu, ran_on);
	}
	printk("SMP: calls and work reached each of %u CPUs\n", n);
	return 0;
}

/*
 * Every CPU adds to one counter under one lock, in process context, while
 * function-call IPIs add to it from interrupt context on the same CPUs.
 * The increment is a slow read-modify-write, so a lock that let two CPUs
 * in at once would lose updates.
 */
#define LOCK_ROUNDS 20000
#define LOCK_IPIS 500
static DEFINE_SPINLOCK(test_lock);
static volatile u64 test_counter;
static atomic_t test_atomic, test_started;

static void locked_add(void)
{
	unsigned long flags;
	u64 v;

	spin_lock_irqsave(&test_lock, flags);
	v = test_counter;
	for (volatile int i = 0; i < 8; i++)
		;
	test_counter = v + 1;
	spin_unlock_irqrestore(&test_lock, flags);
	atomic_inc(&test_atomic);
}

static void locked_add_ipi(void *unused)
{
	locked_add();
}

static long lock_worker(void *unused)
{
	rendezvous(&test_started, num_online_cpus());
	for (unsigned i = 0; i < LOCK_ROUNDS; i++) {
		locked_add();
		/* The boot CPU also sends IPIs that add from the others' interrupt context. */
		if (smp_processor_id() == 0 && num_online_cpus() > 1 &&
		    i % (LOCK_ROUNDS / LOCK_IPIS) == 0)
			smp_call_function_single(1 + i % (num_online_cpus() - 1), locked_add_ipi,
						 NULL, true);
	}
	return 0;
}

static int smp_test_lock(unsigned n)
{
	u64 want = (u64)n * LOCK_ROUNDS + (n > 1 ? LOCK_IPIS : 0);
	long err;

	test_counter = 0;
	atomic_set(&test_atomic, 0);
	atomic_set(&test_started, 0);
	err = on_all_cpus(lock_worker, NULL);
	if (err)
		return (int)err;
	printk("SMP: lock counter=%lu atomic=%d expected=%lu on %u CPUs\n", test_counter,
	       atomic_read(&test_atomic), want, n);
	if (test_counter != want || (u64)atomic_read(&test_atomic) != want)
		return kernel_fail("smp: lost updates under the lock: %lu of %lu", test_counter,
				   want);
	return 0;
}

/*
 * Tasklets: scheduled on a chosen CPU they run there; scheduled over and
 * over from every CPU at once, one tasklet never runs on two CPUs at once
 * and no schedule is lost (each run after the last schedule is seen).
 */
#define TASKLET_ROUNDS 5000
static struct tasklet shared_tasklet;
static atomic_t tasklet_inside, tasklet_overlaps, tasklet_runs;
static unsigned tasklet_ran_on[NR_CPUS];

static void shared_tasklet_fn(void *unused)
{
	if (atomic_add_return(1, &tasklet_inside) != 1)
		atomic_inc(&tasklet_overlaps);
	for (volatile int i = 0; i < 50; i++)
		;
	atomic_inc(&tasklet_runs);
	atomic_dec(&tasklet_inside);
}

static void where_tasklet_fn(void *data)
{
	unsigned *slot = data;

	WRITE_ONCE(*slot, smp_processor_id() + 1);
}

static bool all_tasklets_ran(unsigned n)
{
	for (unsigned cpu = 0; cpu < n; cpu++)
		if (!READ_ONCE(tasklet_ran_on[cpu]))
			return false;
	return true;
}

static long tasklet_worker(void *unused)
{
	rendezvous(&test_started, num_online_cpus());
	for (unsigned i = 0; i < TASKLET_ROUNDS; i++) {
		tasklet_schedule(&shared_tasklet);
		if (i % 16 == 0)
			do_softirq();
	}
	/* Whatever this CPU still has queued runs before it reports. */
	wait_until(!tasklet_is_scheduled(&shared_tasklet));
	return 0;
}

static int smp_test_tasklets(unsigned n)
{
	static struct tasklet where[NR_CPUS];
	long err;

	for (unsigned cpu = 0; cpu < n; cpu++) {
		tasklet_ran_on[cpu] = 0;
		tasklet_init(&where[cpu], where_tasklet_fn, &tasklet_ran_on[cpu]);
		tasklet_schedule_on(&where[cpu], cpu);
	}
	wait_until(all_tasklets_ran(n));
	for (unsigned cpu = 0; cpu < n; cpu++)
		if (tasklet_ran_on[cpu] != cpu + 1)
			return kernel_fail("smp: a tasklet scheduled on CPU %u ran on CPU %u", cpu,
					   tasklet_ran_on[cpu] - 1);

	tasklet_init(&shared_tasklet, shared_tasklet_fn, NULL);
	atomic_set(&tasklet_inside, 0);
	atomic_set(&tasklet_overlaps, 0);
	atomic_set(&tasklet_runs, 0);
	atomic_set(&test_started, 0);
	err = on_all_cpus(tasklet_worker, NULL);
	if (err)
		return (int)err;
	printk("SMP: tasklets ran where scheduled; one tasklet scheduled %u times from %u CPUs "
	       "ran %d times, %d overlapping\n",
	       TASKLET_ROUNDS * n, n, atomic_read(&tasklet_runs), atomic_read(&tasklet_overlaps));
	if (atomic_read(&tasklet_overlaps))
		return kernel_fail("smp: one tasklet ran on two CPUs at once");
	if (atomic_read(&tasklet_runs) < 1)
		return kernel_fail("smp: the shared tasklet never ran");
	return 0;
}

/* A timer armed on a CPU fires there. */
static unsigned timer_fired_on[NR_CPUS];

static void cpu_timer_fn(struct timer_list *t)
{
	timer_fired_on[smp_processor_id()]++;
}

static long timer_worker(void *unused)
{
	struct timer_list t;
	unsigned cpu = smp_processor_id();
	u64 before = timer_fired_on[cpu];

	timer_setup(&t, cpu_timer_fn);
	mod_timer(&t, ktime_get_ns() + 20 * NSEC_PER_MSEC);
	wait_until(timer_fired_on[cpu] != before);
	return 0;
}

static int smp_test_timers(unsigned n)
{
	long err;

	memset(timer_fired_on, 0, sizeof(timer_fired_on));
	err = on_all_cpus(timer_worker, NULL);
	if (err)
		return (int)err;
	for (unsigned cpu = 0; cpu < n; cpu++)
		if (timer_fired_on[cpu] != 1)
			return kernel_fail("smp: CPU %u's timer fired %u times on it", cpu,
					   timer_fired_on[cpu]);
	printk("SMP: a timer armed on each of %u CPUs fired there\n", n);
	return 0;
}

/*
 * The allocators from every CPU at once, with objects handed between CPUs
 * (allocated on one, freed on another) through a locked exchange.
 */
#define ALLOC_SLOTS 512
#define ALLOC_ROUNDS 20000
static void *exchange[64];
static DEFINE_SPINLOCK(exchange_lock);

static long alloc_worker(void *unused)
{
	void **slot = kzalloc(ALLOC_SLOTS * sizeof(void *));
	u64 rng = 0x9e3779b97f4a7c15ull * (smp_processor_id() + 1);
	long err = 0;

	if (!slot)
		return kernel_fail("smp: no memory for the slot table");
	rendezvous(&test_started, num_online_cpus());
	for (unsigned i = 0; i < ALLOC_ROUNDS && !err; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		unsigned s = rng % ALLOC_SLOTS;
		if (slot[s]) {
			/* Now and then swap it with another CPU's object instead of freeing. */
			if ((rng >> 40) % 4 == 0) {
				unsigned x = (rng >> 24) % ARRAY_SIZE(exchange);
				unsigned long flags;
				spin_lock_irqsave(&exchange_lock, flags);
				void *other = exchange[x];
				exchange[x] = slot[s];
				spin_unlock_irqrestore(&exchange_lock, flags);
				slot[s] = other;
				continue;
			}
			kfree(slot[s]);
			slot[s] = NULL;
		} else {
			size_t size = (rng >> 20) % 8 == 0 ? (rng >> 32) % 20000 + 1
							   : (rng >> 32) % 600 + 1;
			slot[s] = kmalloc(size);
			if (!slot[s])
				err = kernel_fail("smp: kmalloc(%zu) failed on CPU %u", size,
						  smp_processor_id());
			else
				memset(slot[s], 0xa5, MIN(size, (size_t)16));
		}
	}
	for (unsigned s = 0; s < ALLOC_SLOTS; s++)
		kfree(slot[s]);
	kfree(slot);
	return err;
}

static int smp_test_alloc(unsigned n)
{
	struct kmem_stats k0 = kmem_get_stats(), k1;
	long err;

	atomic_set(&test_started, 0);
	err = on_all_cpus(alloc_worker, NULL);
	for (unsigned x = 0; x < ARRAY_SIZE(exchange); x++) {
		kfree(exchange[x]);
		exchange[x] = NULL;
	}
	if (err)
		return (int)err;
	k1 = kmem_get_stats();
	printk("SMP: kmalloc on %u CPUs at once: %lu allocations, objects before %lu after %lu\n",
	       n, k1.allocs - k0.allocs, k0.live_objects, k1.live_objects);
	if (k1.live_objects != k0.live_objects)
		return kernel_fail("smp: %ld objects leaked",
				   (long)(k1.live_objects - k0.live_objects));
	return 0;
}

/* Waking a halted CPU: how long a reschedule IPI round trip takes (reported only). */
static long ping_worker(void *unused)
{
	return 0;
}

static void smp_report_wakeup(unsigned n)
{
	u64 t0, best = ~0ull;

	if (n < 2)
		return;
	for (int i = 0; i < 20; i++) {
		t0 = ktime_get_ns();
		work_on_cpu(1, ping_worker, NULL);
		best = MIN(best, ktime_get_ns() - t0);
	}
	printk("SMP: work round trip to a halted CPU: %lu us at best\n", best / NSEC_PER_USEC);
}

static int test_smp(struct cmdline *cl)
{
	unsigned n = num_online_cpus();
	int err;

	printk("SMP: %u CPUs online\n", n);
	if ((err = smp_test_calls(n)) || (err = smp_test_lock(n)) || (err = smp_test_tasklets(n)) ||
	    (err = smp_test_timers(n)) || (err = smp_test_alloc(n)))
		return err;
	smp_report_wakeup(n);
	return 0;
}

/* A CPU that spins with interrupts off, holding a lock: only an NMI stops it. */
static atomic_t spinner_ready;

static long spin_forever(void *unused)
{
	spin_lock_irq(&test_lock);
	atomic_set(&spinner_ready, 1);
	for (;;)
		cpu_relax();
	return 0;
}

static struct work_struct spinner;

static void spinner_fn(struct work_struct *w)
{
	spin_forever(NULL);
}

static int test_stop(struct cmdline *cl)
{
	if (num_online_cpus() < 2)
		return kernel_fail("test=stop needs two CPUs or more");
	INIT_WORK(&spinner, spinner_fn);
	queue_work_on(num_online_cpus() - 1, &spinner);
	while (!atomic_read(&spinner_ready))
		cpu_relax();
	panic("self test: CPU %u spins with interrupts off", num_online_cpus() - 1);
}

/* A lock taken twice by one CPU: reported, not a silent hang. */
static int test_deadlock(struct cmdline *cl)
{
	spin_lock_irq(&test_lock);
	spin_lock(&test_lock);
	return 0;
}

/* A lock an interrupt handler takes, taken with interrupts on: reported. */
static void lock_in_irq(void *unused)
{
	spin_lock(&test_lock);
	spin_unlock(&test_lock);
}

static int test_irqlock(struct cmdline *cl)
{
	if (num_online_cpus() < 2)
		return kernel_fail("test=irqlock needs two CPUs or more");
	smp_call_function_single(1, lock_in_irq, NULL, true);
	spin_lock(&test_lock);
	spin_unlock(&test_lock);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct cmdline *cl);
} selftests[] = {
	{"boot", test_boot},   {"divide", test_divide},	    {"pagefault", test_pagefault},
	{"ud", test_ud},       {"assert", test_assert},	    {"panic", test_panic},
	{"timer", test_timer}, {"alloc", test_alloc},	    {"smp", test_smp},
	{"stop", test_stop},   {"deadlock", test_deadlock}, {"irqlock", test_irqlock},
	{"clock", test_clock},
};

bool selftest_known(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(selftests); i++)
		if (!strcmp(selftests[i].name, name))
			return true;
	return false;
}

/* The self tests' own keys, claimed before unknown keys are reported. */
void selftest_claim_keys(struct cmdline *cl)
{
	(void)cmdline_get(cl, 0, "timer_ms");
	(void)cmdline_get(cl, 0, "test_cpu");
}

struct selftest_call {
	int (*fn)(struct cmdline *cl);
	struct cmdline *cl;
};

static long selftest_on_cpu(void *arg)
{
	struct selftest_call *c = arg;

	return c->fn(c->cl);
}

/* test_cpu=N runs the test on CPU N (in its process context). */
int selftest_run(const char *name, struct cmdline *cl)
{
	const char *v = cmdline_get(cl, 0, "test_cpu");
	u64 cpu = 0;

	if (v && (parse_u64(v, &cpu) || cpu >= num_online_cpus()))
		return kernel_fail("test_cpu=%s: no such CPU (%u online)", v, num_online_cpus());
	for (size_t i = 0; i < ARRAY_SIZE(selftests); i++) {
		struct selftest_call c = {selftests[i].fn, cl};

		if (strcmp(selftests[i].name, name))
			continue;
		if (cpu)
			printk("selftest: %s on CPU %lu\n", name, cpu);
		return (int)work_on_cpu((unsigned)cpu, selftest_on_cpu, &c);
	}
	return kernel_fail("unknown self test '%s'", name);
}
