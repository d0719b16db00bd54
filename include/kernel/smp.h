/* SPDX-License-Identifier: MIT */
/*
 * Several CPUs: the per-CPU area, bringing up the application processors,
 * inter-processor interrupts, running functions and work on chosen CPUs,
 * and stopping every CPU when the run ends.
 *
 * Bring-up (Intel SDM vol. 3, 8.4.4; the MultiProcessor Specification
 * 1.4, B.4): every processor the MADT lists as enabled gets INIT, then up
 * to two STARTUP IPIs whose vector names a trampoline page below 1 MiB.
 * The trampoline takes the CPU from real mode through 32-bit protected
 * mode into long mode on the boot page tables, and calls ap_start() on a
 * stack of its own; there the CPU loads its own GDT, TSS (with its own IST
 * stacks), the shared IDT, its %gs base, its local APIC and APIC timer,
 * and waits for work in its idle loop. The kernel is xAPIC only (QEMU
 * 7.2's TCG has no x2APIC) and runs on at most NR_CPUS CPUs; further
 * enabled processors are left in wait-for-SIPI and reported.
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include "kernel/list.h"
#include "kernel/platform.h"
#include "kernel/types.h"

/* Architectural sizes of the per-CPU descriptor tables. */
#define CPU_GDT_ENTRIES 5
#define CPU_TSS_BYTES 104
#define CPU_IST_STACKS 3
#define CPU_IST_STACK_SIZE 8192

/*
 * The per-CPU area. %gs points at it; its first fields are read by
 * platform.h's inline helpers at fixed offsets (CPU_LOCAL_*).
 */
struct cpu_local {
	struct cpu_local *self; /* 0 */
	unsigned cpu;		/* CPU_LOCAL_CPU: smp_processor_id() */
	int irq_depth;		/* CPU_LOCAL_IRQ_DEPTH: in_irq() */
	u32 apic_id;
	bool online;
	bool wake_pending; /* smp_send_reschedule: do not halt, look again */

	/* kernel/softirq.c: this CPU's tasklets and idle time. */
	spinlock_t tasklet_lock;
	struct tasklet *tasklet_head, **tasklet_tail;
	bool in_softirq;
	u64 idle_ns;
	struct tasklet timer_tasklet;

	/* kernel/smp.c: function calls (interrupt context) and work (process context). */
	spinlock_t call_lock;
	struct list_head call_queue;
	struct list_head work_queue;

	/* kernel/traps.c: descriptor tables, stacks, interrupt counts. */
	u64 gdt[CPU_GDT_ENTRIES] __aligned(16);
	u8 tss[CPU_TSS_BYTES] __aligned(16);
	u8 *ist_stacks; /* CPU_IST_STACKS of CPU_IST_STACK_SIZE */
	u8 *stack;	/* the kernel stack's lowest byte (APs) */
	u64 irq_counts[256];
	u32 irq_unhandled[256]; /* interrupts on a vector none of its handlers claimed */
} __aligned(SMP_CACHE_BYTES);

extern struct cpu_local cpu_locals[NR_CPUS];

static inline struct cpu_local *this_cpu(void)
{
	return &cpu_locals[smp_processor_id()];
}

static inline struct cpu_local *cpu_local_of(unsigned cpu)
{
	return &cpu_locals[cpu];
}

/* Before anything else on the boot CPU: its per-CPU area and %gs. */
void smp_prepare_boot_cpu(void);
/*
 * Start every enabled application processor (after memory, the APIC and
 * the tick are up on the boot CPU). Prints "smp: N of M CPUs up in T us".
 */
void smp_init(void);
/* The local APIC ID of CPU @cpu. */
u32 cpu_apic_id(unsigned cpu);
/* CPUs the MADT lists as enabled, and how many of them this kernel runs on. */
unsigned smp_cpus_enabled(void);

/* Inter-processor interrupt vectors (above the device vectors). */
#define RESCHEDULE_VECTOR 0xf0
#define CALL_FUNCTION_VECTOR 0xf1

/*
 * Run @func(@info) on CPU @cpu in interrupt context (its call-function
 * IPI), or directly when @cpu is the caller's; with @wait, return only when
 * it has run. Waiting needs interrupts on (the target may be waiting for
 * us). -EINVAL for a CPU that is not online.
 */
int smp_call_function_single(unsigned cpu, void (*func)(void *), void *info, bool wait);
/* The same on every other online CPU, waiting for all of them. */
void smp_call_function(void (*func)(void *), void *info);

/*
 * Work in process context on a chosen CPU: an application processor runs
 * its queued work from its idle loop, one item at a time, and may wait
 * (wait_until) inside it; the boot CPU runs work queued to it only when it
 * calls work_on_cpu itself, directly. flush_work waits until the work has
 * run (and wakes nobody: the worker wakes the CPU that queued it).
 */
struct work_struct {
	struct list_head entry;
	void (*func)(struct work_struct *w);
	unsigned cpu;	     /* where it runs */
	unsigned waiter_cpu; /* where queue_work_on was called: woken when done */
	bool pending;	     /* queued or running */
};

void INIT_WORK(struct work_struct *w, void (*func)(struct work_struct *w));
/*
 * -EINVAL for a CPU that is not online (or the boot CPU, from another
 * CPU), -EBUSY when @w is still pending. Queued on the boot CPU by the
 * boot CPU, @w runs at once.
 */
int queue_work_on(unsigned cpu, struct work_struct *w);
void flush_work(struct work_struct *w);
/* Work queued for this CPU and not yet taken (the idle check). */
bool smp_work_pending(void);
/* Run @fn(@arg) on @cpu in process context and return its result. */
long work_on_cpu(unsigned cpu, long (*fn)(void *), void *arg);

/*
 * Stop every other CPU for the end of the run (an NMI, which also stops a
 * CPU spinning with interrupts off). The first CPU to call it owns the
 * end of the run; any other CPU that calls it afterwards halts for good,
 * so one RESULT line is printed whatever fails where. Returns the number
 * of CPUs that acknowledged.
 */
unsigned smp_stop_other_cpus(void);
/* The CPU that owns the end of the run, or -1. */
int smp_exit_cpu(void);
/* From the NMI handler: halts for good when the run is ending, else false. */
bool smp_nmi_stop(void);

#endif
