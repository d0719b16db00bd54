/* SPDX-License-Identifier: MIT */
/*
 * Several CPUs (include/kernel/smp.h): the per-CPU areas, bringing up the
 * application processors one at a time, IPIs, function calls and work on
 * chosen CPUs, and stopping them all at the end of the run.
 */
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/bootinfo.h"
#include "kernel/cpu.h"
#include "kernel/interrupt.h"
#include "kernel/mm.h"
#include "kernel/platform.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/time.h"

#define MSR_GS_BASE 0xc0000101

/* The kernel stack of an application processor, as large as the boot CPU's. */
#define AP_STACK_ORDER 4 /* 64 KiB */
_Static_assert((PAGE_SIZE << AP_STACK_ORDER) == 64 * 1024, "AP stacks match BOOT_STACK_SIZE");
#define AP_IST_ORDER 3 /* 32 KiB: three 8 KiB IST stacks */
#define AP_IST_BYTES (CPU_IST_STACKS * CPU_IST_STACK_SIZE)
_Static_assert(AP_IST_BYTES <= (PAGE_SIZE << AP_IST_ORDER), "IST stacks fit their block");

/* How long an AP may take from its STARTUP IPI to being online. */
#define AP_BOOT_TIMEOUT_NS (2 * NSEC_PER_SEC)
/* How long the end of the run waits for the other CPUs to stop. */
#define STOP_TIMEOUT_NS (100 * NSEC_PER_MSEC)

_Static_assert(offsetof(struct cpu_local, cpu) == CPU_LOCAL_CPU, "platform.h's offsets");
_Static_assert(offsetof(struct cpu_local, irq_depth) == CPU_LOCAL_IRQ_DEPTH,
	       "platform.h's offsets");

struct cpu_local cpu_locals[NR_CPUS];
unsigned smp_nr_online = 1;
static unsigned nr_enabled = 1; /* enabled processors in the MADT */

/* The trampoline image (kernel/trampoline.S) and where its fields are. */
extern const u8 trampoline_start[], trampoline_end[];
extern const u32 trampoline_off_gdt, trampoline_off_gdt_ptr, trampoline_off_pm32,
	trampoline_off_pm32_ptr, trampoline_off_lm_ptr, trampoline_off_cr3;
extern void ap_long_entry(void);
extern u8 boot_pml4[];

/* Handed to the one AP that is starting (kernel/trampoline.S reads them). */
u64 ap_boot_stack;
u32 ap_boot_cpu;

/*
 * The start-up handshake: the boot CPU arms it, and either the AP claims
 * it (it is running, however late) or the boot CPU abandons it after the
 * time-out (a late AP then halts instead of running as a CPU nobody counts).
 */
enum { AP_IDLE, AP_WAITING, AP_STARTED, AP_ABANDONED };
static int ap_boot_state = AP_IDLE;

void ap_start(u32 cpu);

static void cpu_local_init(struct cpu_local *c, unsigned cpu)
{
	c->self = c;
	c->cpu = cpu;
	spin_lock_init(&c->tasklet_lock, "tasklet_lock");
	c->tasklet_head = NULL;
	c->tasklet_tail = &c->tasklet_head;
	spin_lock_init(&c->call_lock, "call_lock");
	INIT_LIST_HEAD(&c->call_queue);
	INIT_LIST_HEAD(&c->work_queue);
}

static void load_gs_base(struct cpu_local *c)
{
	wrmsr(MSR_GS_BASE, (u64)(uintptr_t)c);
}

void smp_prepare_boot_cpu(void)
{
	struct cpu_local *c = &cpu_locals[0];

	cpu_local_init(c, 0);
	load_gs_base(c);
	c->online = true;
}

u32 cpu_apic_id(unsigned cpu)
{
	return cpu < NR_CPUS ? cpu_locals[cpu].apic_id : 0;
}

unsigned smp_cpus_enabled(void)
{
	return nr_enabled;
}

/* ------------------------------------------------------------------------
 * Inter-processor interrupts
 */

struct call_single_data {
	struct list_head entry;
	void (*func)(void *info);
	void *info;
	bool wait; /* the caller spins on done; else the target frees this */
	int done;
};

void smp_send_reschedule(unsigned cpu)
{
	if (cpu == smp_processor_id() || cpu >= NR_CPUS || !READ_ONCE(cpu_locals[cpu].online))
		return;
	/*
	 * The flag covers an IPI that lands between the target's last look
	 * at its wait condition and its halt: cpu_idle_once sees the flag
	 * with interrupts off and does not halt. A CPU already woken needs
	 * no second IPI.
	 */
	if (__atomic_exchange_n(&cpu_locals[cpu].wake_pending, true, __ATOMIC_SEQ_CST))
		return;
	lapic_send_ipi(cpu_locals[cpu].apic_id, ICR_FIXED | RESCHEDULE_VECTOR);
}

/* Nothing to do but to have woken the CPU: its idle loop looks again. */
static int reschedule_interrupt(int vector, void *data)
{
	return IRQ_HANDLED;
}

static int call_function_interrupt(int vector, void *data)
{
	struct cpu_local *c = this_cpu();

	for (;;) {
		struct call_single_data *csd = NULL;

		spin_lock(&c->call_lock);
		if (!list_empty(&c->call_queue)) {
			csd = list_first_entry(&c->call_queue, struct call_single_data, entry);
			list_del_init(&csd->entry);
		}
		spin_unlock(&c->call_lock);
		if (!csd)
			break;
		csd->func(csd->info);
		if (csd->wait)
			smp_store_release(&csd->done, 1);
		else
			kfree(csd);
	}
	return IRQ_HANDLED;
}

int smp_call_function_single(unsigned cpu, void (*func)(void *), void *info, bool wait)
{
	struct call_single_data on_stack, *csd = &on_stack;
	struct cpu_local *c;
	unsigned long flags;

	if (cpu >= NR_CPUS || !READ_ONCE(cpu_locals[cpu].online))
		return -EINVAL;
	if (cpu == smp_processor_id()) {
		flags = local_irq_save();
		func(info);
		local_irq_restore(flags);
		return 0;
	}
	/* Spinning with interrupts off while the target waits for us: a deadlock. */
	BUG_ON(wait && irqs_disabled());
	if (!wait) {
		csd = kmalloc(sizeof(*csd));
		if (!csd)
			return -ENOMEM;
	}
	csd->func = func;
	csd->info = info;
	csd->wait = wait;
	csd->done = 0;
	c = &cpu_locals[cpu];
	spin_lock_irqsave(&c->call_lock, flags);
	list_add_tail(&csd->entry, &c->call_queue);
	spin_unlock_irqrestore(&c->call_lock, flags);
	lapic_send_ipi(c->apic_id, ICR_FIXED | CALL_FUNCTION_VECTOR);
	if (wait) {
		while (!smp_load_acquire(&csd->done))
			cpu_relax();
	}
	return 0;
}

void smp_call_function(void (*func)(void *), void *info)
{
	for (unsigned cpu = 0; cpu < num_online_cpus(); cpu++)
		if (cpu != smp_processor_id())
			smp_call_function_single(cpu, func, info, true);
}

/* ------------------------------------------------------------------------
 * Work in process context
 */

void INIT_WORK(struct work_struct *w, void (*func)(struct work_struct *w))
{
	INIT_LIST_HEAD(&w->entry);
	w->func = func;
	w->cpu = 0;
	w->waiter_cpu = 0;
	w->pending = false;
}

int queue_work_on(unsigned cpu, struct work_struct *w)
{
	struct cpu_local *c;
	unsigned long flags;

	/* The boot CPU has no idle loop to run queued work from. */
	if (cpu >= num_online_cpus() || (cpu == 0 && smp_processor_id() != 0))
		return -EINVAL;
	if (cpu == 0) {
		w->cpu = 0;
		w->waiter_cpu = 0;
		w->func(w);
		return 0;
	}
	if (READ_ONCE(w->pending))
		return -EBUSY;
	c = &cpu_locals[cpu];
	w->cpu = cpu;
	w->waiter_cpu = smp_processor_id();
	WRITE_ONCE(w->pending, true);
	spin_lock_irqsave(&c->call_lock, flags);
	list_add_tail(&w->entry, &c->work_queue);
	spin_unlock_irqrestore(&c->call_lock, flags);
	smp_send_reschedule(cpu);
	return 0;
}

/* Run this CPU's queued work, in order; returns true when some ran. */
static bool run_work(void)
{
	struct cpu_local *c = this_cpu();
	bool ran = false;

	for (;;) {
		struct work_struct *w = NULL;
		unsigned long flags;

		spin_lock_irqsave(&c->call_lock, flags);
		if (!list_empty(&c->work_queue)) {
			w = list_first_entry(&c->work_queue, struct work_struct, entry);
			list_del_init(&w->entry);
		}
		spin_unlock_irqrestore(&c->call_lock, flags);
		if (!w)
			return ran;
		w->func(w);
		ran = true;
		/* @w may be freed by its waiter as soon as this store lands. */
		unsigned waiter = w->waiter_cpu;
		smp_store_release(&w->pending, false);
		smp_send_reschedule(waiter);
	}
}

bool smp_work_pending(void)
{
	return !list_empty(&this_cpu()->work_queue);
}

void flush_work(struct work_struct *w)
{
	wait_until(!smp_load_acquire(&w->pending));
}

struct work_on_cpu_args {
	struct work_struct work;
	long (*fn)(void *);
	void *arg;
	long ret;
};

static void work_on_cpu_fn(struct work_struct *w)
{
	struct work_on_cpu_args *a = container_of(w, struct work_on_cpu_args, work);

	a->ret = a->fn(a->arg);
}

long work_on_cpu(unsigned cpu, long (*fn)(void *), void *arg)
{
	struct work_on_cpu_args a;
	int err;

	if (cpu == smp_processor_id())
		return fn(arg);
	INIT_WORK(&a.work, work_on_cpu_fn);
	a.fn = fn;
	a.arg = arg;
	a.ret = 0;
	err = queue_work_on(cpu, &a.work);
	if (err)
		return err;
	flush_work(&a.work);
	return a.ret;
}

/* ------------------------------------------------------------------------
 * The end of the run
 */

static int exit_cpu = -1;
static volatile bool stopping;
static unsigned stopped_count;

int smp_exit_cpu(void)
{
	return READ_ONCE(exit_cpu);
}

/* The NMI handler's part: a CPU told to stop halts here for good. */
bool smp_nmi_stop(void)
{
	if (!READ_ONCE(stopping))
		return false;
	__atomic_add_fetch(&stopped_count, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		local_irq_disable();
		halt();
	}
}

static __noreturn void halt_forever(void)
{
	for (;;) {
		local_irq_disable();
		halt();
	}
}

unsigned smp_stop_other_cpus(void)
{
	int self = (int)smp_processor_id(), expected = -1;
	unsigned sent = 0;
	u64 deadline;

	local_irq_disable();
	if (!__atomic_compare_exchange_n(&exit_cpu, &expected, self, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST) &&
	    expected != self)
		halt_forever(); /* another CPU is ending the run; it stops us too */
	if (stopping)		/* again, on the way out: the others are stopped already */
		return __atomic_load_n(&stopped_count, __ATOMIC_SEQ_CST);
	stopping = true;
	smp_mb();
	for (unsigned cpu = 0; cpu < num_online_cpus(); cpu++) {
		if ((int)cpu == self || !cpu_locals[cpu].online)
			continue;
		lapic_send_ipi(cpu_locals[cpu].apic_id, ICR_NMI);
		sent++;
	}
	/* The clock still works with interrupts off; bounded, whatever happens. */
	deadline = ktime_get_ns() + STOP_TIMEOUT_NS;
	while (__atomic_load_n(&stopped_count, __ATOMIC_SEQ_CST) < sent &&
	       ktime_get_ns() < deadline)
		cpu_relax();
	return __atomic_load_n(&stopped_count, __ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------------------------
 * Bringing up the application processors
 */

/* The image's two ends are separate symbols: measure them as addresses. */
static size_t trampoline_size(void)
{
	return (size_t)((uintptr_t)trampoline_end - (uintptr_t)trampoline_start);
}

/*
 * A page for the trampoline: usable RAM below 1 MiB that the page
 * allocator never sees (it starts at 1 MiB), above the real-mode interrupt
 * table and BIOS data area of page 0, on a page the STARTUP IPI's 8-bit
 * vector can name.
 */
static u64 trampoline_page(void)
{
	const struct boot_info *bi = &boot_info_parsed;
	u64 need = trampoline_size();

	for (unsigned i = 0; i < bi->mmap_count; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];
		u64 start = ALIGN_UP(MAX(e->addr, (u64)PAGE_SIZE), PAGE_SIZE);
		u64 end = MIN(e->addr + e->len, (u64)0x9f000);

		if (e->type == MEM_USABLE && start < end && end - start >= need)
			return start;
	}
	return 0;
}

static void trampoline_install(u64 base)
{
	u8 *t = (u8 *)(uintptr_t)base;
	u32 v32;

	memcpy(t, trampoline_start, trampoline_size());
	v32 = (u32)base + trampoline_off_gdt;
	memcpy(t + trampoline_off_gdt_ptr + 2, &v32, 4);
	v32 = (u32)base + trampoline_off_pm32;
	memcpy(t + trampoline_off_pm32_ptr, &v32, 4);
	v32 = (u32)(uintptr_t)ap_long_entry;
	memcpy(t + trampoline_off_lm_ptr, &v32, 4);
	v32 = (u32)(uintptr_t)boot_pml4;
	memcpy(t + trampoline_off_cr3, &v32, 4);
}

/*
 * Linux's rule (arch/x86/kernel/smpboot.c): the MP specification's 10 ms
 * between INIT and STARTUP, and 200-300 us around each STARTUP, are for
 * old processors; Intel family 6 and AMD from family 0Fh start at once.
 */
static bool cpu_needs_init_delay(void)
{
	u32 a, b, c, d, family;
	char vendor[12];

	cpuid(0, 0, &a, &b, &c, &d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	cpuid(1, 0, &a, &b, &c, &d);
	family = (a >> 8) & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	if (!memcmp(vendor, "GenuineIntel", 12) && family == 6)
		return false;
	if (!memcmp(vendor, "AuthenticAMD", 12) && family >= 0xf)
		return false;
	return true;
}

static bool ap_wait_online(unsigned cpu, u64 ns)
{
	u64 deadline = ktime_get_ns() + ns;

	while (!smp_load_acquire(&cpu_locals[cpu].online)) {
		if (ktime_get_ns() >= deadline)
			return false;
		cpu_relax();
	}
	return true;
}

/* INIT-SIPI-SIPI for one AP; true once it is online as CPU @cpu. */
static bool ap_boot(unsigned cpu, u32 apic_id, u64 tramp, bool slow)
{
	struct cpu_local *c = &cpu_locals[cpu];
	u8 *stack = alloc_pages(AP_STACK_ORDER);
	u8 *ist = alloc_pages(AP_IST_ORDER);
	int expected = AP_WAITING;

	if (!stack || !ist) {
		free_pages(stack, AP_STACK_ORDER);
		free_pages(ist, AP_IST_ORDER);
		pr_err("smp: no memory for the stacks of CPU %u (APIC id %u)", cpu, apic_id);
		return false;
	}
	cpu_local_init(c, cpu);
	c->apic_id = apic_id;
	c->stack = stack;
	c->ist_stacks = ist;
	ap_boot_stack = (u64)(uintptr_t)(stack + (PAGE_SIZE << AP_STACK_ORDER));
	ap_boot_cpu = cpu;
	smp_store_release(&ap_boot_state, AP_WAITING);

	lapic_send_ipi(apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
	lapic_ipi_wait(1000000);
	if (slow)
		mdelay(10);
	for (int i = 0; i < 2 && !smp_load_acquire(&c->online); i++) {
		lapic_send_ipi(apic_id, ICR_STARTUP | (u32)(tramp >> PAGE_SHIFT));
		lapic_ipi_wait(1000000);
		udelay(slow ? 200 : 10);
		if (READ_ONCE(ap_boot_state) != AP_WAITING)
			break;
	}
	if (ap_wait_online(cpu, AP_BOOT_TIMEOUT_NS))
		return true;
	/* Either it never ran, or it ran too late: it must not run now. */
	if (__atomic_compare_exchange_n(&ap_boot_state, &expected, AP_ABANDONED, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		/* Its stacks stay allocated: a CPU that wakes late may still touch them. */
		pr_warn("smp: CPU %u (APIC id %u) did not start", cpu, apic_id);
		return false;
	}
	/* It claimed the start just now; it gets as long again to finish. */
	if (ap_wait_online(cpu, AP_BOOT_TIMEOUT_NS))
		return true;
	panic("smp: CPU %u (APIC id %u) started but never came online", cpu, apic_id);
}

void smp_init(void)
{
	u32 self = lapic_id();
	u64 t0 = ktime_get_ns(), tramp;
	unsigned listed = MIN(acpi.nr_cpus, (unsigned)ACPI_MAX_CPUS), beyond = 0, failed = 0;
	bool slow;

	cpu_locals[0].apic_id = self;
	if (request_irq(RESCHEDULE_VECTOR, reschedule_interrupt, NULL, "reschedule") ||
	    request_irq(CALL_FUNCTION_VECTOR, call_function_interrupt, NULL, "call function"))
		panic("smp: cannot install the IPI handlers");
	nr_enabled = acpi.nr_cpus ? acpi.nr_cpus : 1;
	if (nr_enabled == 1) {
		printk("smp: 1 of 1 CPUs up in 0 us\n");
		return;
	}
	tramp = trampoline_page();
	if (!tramp) {
		pr_warn("smp: no usable page below 1 MiB for the AP trampoline; running on one "
			"CPU");
		printk("smp: 1 of %u CPUs up in 0 us\n", nr_enabled);
		return;
	}
	trampoline_install(tramp);
	slow = cpu_needs_init_delay();

	for (unsigned i = 0; i < listed; i++) {
		u32 apic_id = acpi.cpu_apic_id[i];
		unsigned cpu = smp_nr_online;

		if (apic_id == self)
			continue;
		if (cpu >= NR_CPUS) {
			beyond++;
			continue;
		}
		if (!ap_boot(cpu, apic_id, tramp, slow)) {
			failed++;
			continue;
		}
		WRITE_ONCE(smp_nr_online, cpu + 1);
	}
	beyond += acpi.nr_cpus - listed;
	printk("smp: %u of %u CPUs up in %lu us\n", smp_nr_online, nr_enabled,
	       (ktime_get_ns() - t0) / NSEC_PER_USEC);
	if (beyond)
		printk("smp: %u CPU(s) not started: this kernel runs on at most %d (NR_CPUS)\n",
		       beyond, NR_CPUS);
	if (failed)
		pr_warn("smp: %u CPU(s) did not start", failed);
	for (unsigned cpu = 0; cpu < smp_nr_online; cpu++)
		printk("smp: CPU %u: APIC id %u\n", cpu, cpu_locals[cpu].apic_id);
}

/* The idle loop of an application processor: work, softirqs, halt. */
static __noreturn void ap_idle_loop(void)
{
	for (;;) {
		bool ran = run_work();

		if (do_softirq())
			ran = true;
		if (!ran)
			cpu_idle_once();
	}
}

/* Called by kernel/trampoline.S on the new CPU's own stack, interrupts off. */
void ap_start(u32 cpu)
{
	int expected = AP_WAITING;
	struct cpu_local *c;

	if (!__atomic_compare_exchange_n(&ap_boot_state, &expected, AP_STARTED, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		halt_forever(); /* the boot CPU gave up on us */
	c = &cpu_locals[cpu];
	load_gs_base(c);
	traps_init_cpu();
	lapic_init_cpu();
	timer_tick_init_cpu();
	smp_store_release(&c->online, true);
	local_irq_enable();
	ap_idle_loop();
}
