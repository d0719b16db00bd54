/* SPDX-License-Identifier: MIT */
/*
 * GDT, TSS, IDT, CPU exceptions and the device interrupt dispatcher.
 *
 * An exception in this kernel is always a bug: the handler prints what the
 * CPU told us (vector, error code, RIP, CR2, registers, a frame-pointer
 * backtrace) and ends the run with a failing status. Double faults and NMIs
 * run on their own IST stacks, so a blown kernel stack still gets reported
 * instead of escalating to a triple fault and a silent reset.
 */
#include "boot/boot.h"
#include "kernel/apic.h"
#include "kernel/cpu.h"
#include "kernel/exit.h"
#include "kernel/interrupt.h"
#include "kernel/platform.h"
#include "kernel/profile.h"
#include "kernel/smp.h"
#include "kernel/string.h"

#define GDT_KERNEL_CS BOOT_CS
#define GDT_KERNEL_DS BOOT_DS
#define GDT_TSS 0x18

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3
#define IST_STACK_SIZE 8192

#define IDT_GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

struct idt_entry {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} __packed;

struct descriptor_ptr {
	u16 limit;
	u64 base;
} __packed;

_Static_assert(sizeof(struct tss) == CPU_TSS_BYTES, "the per-CPU area holds a TSS");
_Static_assert(IST_STACK_SIZE == CPU_IST_STACK_SIZE, "the per-CPU area's IST stacks");

static struct idt_entry idt[256] __aligned(16);
/* The boot CPU's IST stacks; the others' come with their kernel stacks (smp.c). */
static u8 bsp_ist_stacks[CPU_IST_STACKS * CPU_IST_STACK_SIZE] __aligned(16);

extern const u64 isr_stub_table[256];

static const char *const exception_names[32] = {
	[0] = "#DE divide error",
	[1] = "#DB debug",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack fault",
	[13] = "#GP general protection",
	[14] = "#PF page fault",
	[16] = "#MF x87 floating point",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XM SIMD floating point",
	[20] = "#VE virtualization",
	[21] = "#CP control protection",
};

struct irq_action {
	bool in_use; /* linked, or still seen by a CPU dispatching its vector */
	irq_handler_t handler;
	void *data;
	const char *name;
	struct irq_action *next;
};

#define MAX_IRQ_ACTIONS 64
#define IRQ_UNHANDLED_WARN 10000u /* unclaimed interrupts in a row on one vector */
static struct irq_action irq_actions[MAX_IRQ_ACTIONS];
static struct irq_action *vector_actions[256];
static bool vector_allocated[256];
/* CPUs inside a vector's handlers right now, for synchronize_irq. */
static int vector_active[256];
/* Guards the action lists and vector allocation (not the dispatch). */
static DEFINE_SPINLOCK(irq_lock);

/* This CPU's GDT (with its own TSS) and task register. */
static void gdt_init(struct cpu_local *c)
{
	struct tss *tss = (struct tss *)c->tss;
	u64 base = (u64)tss;
	u64 limit = sizeof(*tss) - 1;
	u64 *gdt = c->gdt;
	struct descriptor_ptr ptr = {sizeof(c->gdt) - 1, (u64)gdt};

	gdt[0] = 0;
	gdt[1] = 0x00209a0000000000ull; /* 64-bit code, ring 0 */
	gdt[2] = 0x0000920000000000ull; /* data, writable */
	/* A 64-bit TSS descriptor takes two slots (SDM vol. 3, 8.2.3). */
	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;

	memset(tss, 0, sizeof(*tss));
	for (int i = 0; i < CPU_IST_STACKS; i++)
		tss->ist[i] = (u64)(c->ist_stacks + (i + 1) * IST_STACK_SIZE);
	tss->iomap_base = sizeof(*tss); /* no I/O permission bitmap */

	/*
	 * Reloading %gs would zero its base, so only the data segments the
	 * kernel uses are reloaded; %gs keeps the per-CPU base it was given.
	 */
	__asm__ __volatile__("lgdt %0" : : "m"(ptr));
	__asm__ __volatile__("pushq %[cs]\n\t"
			     "leaq 1f(%%rip), %%rax\n\t"
			     "pushq %%rax\n\t"
			     "lretq\n"
			     "1:\n\t"
			     "movw %w[ds], %%ax\n\t"
			     "movw %%ax, %%ds\n\t"
			     "movw %%ax, %%es\n\t"
			     "movw %%ax, %%ss\n\t"
			     :
			     : [cs] "i"(GDT_KERNEL_CS), [ds] "r"((u64)GDT_KERNEL_DS)
			     : "rax", "memory");
	__asm__ __volatile__("ltr %w0" : : "r"((u16)GDT_TSS));
}

static void idt_set(int vector, u64 handler, u8 ist)
{
	struct idt_entry *e = &idt[vector];

	e->offset_low = handler & 0xffff;
	e->selector = GDT_KERNEL_CS;
	e->ist = ist;
	e->type_attr = IDT_GATE_INTERRUPT;
	e->offset_mid = (handler >> 16) & 0xffff;
	e->offset_high = handler >> 32;
	e->reserved = 0;
}

void traps_init(void)
{
	struct cpu_local *c = this_cpu();

	for (int v = 0; v < 256; v++)
		idt_set(v, isr_stub_table[v], 0);
	idt_set(8, isr_stub_table[8], IST_DOUBLE_FAULT);
	idt_set(2, isr_stub_table[2], IST_NMI);
	idt_set(18, isr_stub_table[18], IST_MACHINE_CHECK);

	for (int v = 0; v < IRQ_VECTOR_FIRST; v++)
		vector_allocated[v] = true;
	for (int v = IRQ_VECTOR_LAST + 1; v < 256; v++)
		vector_allocated[v] = true; /* the tick, IPIs, spurious */

	c->ist_stacks = bsp_ist_stacks;
	traps_init_cpu();
}

/* Every CPU: its own GDT and TSS, the shared IDT. */
void traps_init_cpu(void)
{
	struct descriptor_ptr ptr = {sizeof(idt) - 1, (u64)idt};

	gdt_init(this_cpu());
	__asm__ __volatile__("lidt %0" : : "m"(ptr));
}

/* Follow saved frame pointers while they stay inside plausible memory. */
static void print_backtrace(u64 rbp)
{
	extern char __kernel_start[], __kernel_end[];

	printk("Backtrace:\n");
	for (int depth = 0; depth < 16 && rbp; depth++) {
		if (rbp & 7 || rbp < (u64)__kernel_start || rbp >= (u64)__kernel_end)
			break;
		u64 ret = ((u64 *)rbp)[1];
		printk("  [%d] %016lx\n", depth, ret);
		rbp = ((u64 *)rbp)[0];
	}
}

static __noreturn void report_exception(struct pt_regs *r)
{
	const char *name = r->vector < 32 ? exception_names[r->vector] : NULL;
	u64 cr2 = read_cr2();

	if (!name)
		name = "reserved exception";
	/* Everyone else stops first, so the report and the RESULT line are whole. */
	smp_stop_other_cpus();
	printk("EXCEPTION: %s (vector %lu) error_code=%#lx on CPU %u\n", name, r->vector,
	       r->error_code, smp_processor_id());
	printk("  RIP=%016lx CS=%04lx RFLAGS=%016lx CR2=%016lx\n", r->rip, r->cs, r->rflags, cr2);
	printk("  RAX=%016lx RBX=%016lx RCX=%016lx RDX=%016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
	printk("  RSI=%016lx RDI=%016lx RBP=%016lx RSP=%016lx\n", r->rsi, r->rdi, r->rbp, r->rsp);
	printk("  R8 =%016lx R9 =%016lx R10=%016lx R11=%016lx\n", r->r8, r->r9, r->r10, r->r11);
	printk("  R12=%016lx R13=%016lx R14=%016lx R15=%016lx\n", r->r12, r->r13, r->r14, r->r15);
	if (r->vector == 14)
		printk("  page fault: %s, %s, %s\n",
		       r->error_code & 1 ? "protection violation" : "page not present",
		       r->error_code & 2 ? "write" : "read",
		       r->error_code & 16 ? "instruction fetch" : "data access");
	print_backtrace(r->rbp);
	kernel_exit_fail("CPU exception %s at RIP=%#lx", name, r->rip);
}

void trap_dispatch(struct pt_regs *regs)
{
	int vector = (int)regs->vector;
	struct cpu_local *c = this_cpu();
	struct irq_action *a;
	int handled = 0;

	if (vector == 2 && smp_nmi_stop())
		return; /* not reached: a stopped CPU halts */
	if (vector < 32)
		report_exception(regs);
	if (vector == SPURIOUS_VECTOR)
		return; /* no EOI for the spurious vector (SDM vol. 3, 10.9) */

	c->irq_depth++;
	c->irq_counts[vector]++;
	if (vector == TIMER_VECTOR && profiling && c->cpu == 0)
		profile_hit(regs->rip);
	__atomic_add_fetch(&vector_active[vector], 1, __ATOMIC_SEQ_CST);
	for (a = READ_ONCE(vector_actions[vector]); a; a = READ_ONCE(a->next)) {
		irq_handler_t h = READ_ONCE(a->handler);
		if (h)
			handled |= h(vector, a->data);
	}
	__atomic_sub_fetch(&vector_active[vector], 1, __ATOMIC_SEQ_CST);
	/*
	 * A vector with no handler: a device that signals after its driver
	 * let go (a late completion after a reset). Say so once per vector.
	 */
	if (!handled && !vector_actions[vector] && irq_count(vector) == 1)
		printk("WARNING: interrupt on vector %d with no handler\n", vector);
	/*
	 * Linux's "nobody cared": a vector whose handlers keep saying the
	 * interrupt was not their device's. A shared line sees a few; a
	 * level-triggered line that no handler can quiet (a device's pin routed
	 * to another device's vector) fires for ever and starves the vectors
	 * below it. Said once per CPU and vector; the line is left as it is.
	 */
	if (!handled && vector_actions[vector] &&
	    ++c->irq_unhandled[vector] == IRQ_UNHANDLED_WARN)
		printk("WARNING: vector %d: %u interrupts in a row that no handler on it claimed "
		       "(on CPU %u): is a line routed to the wrong vector?\n",
		       vector, IRQ_UNHANDLED_WARN, c->cpu);
	else if (handled && c->irq_unhandled[vector] && c->irq_unhandled[vector] < IRQ_UNHANDLED_WARN)
		c->irq_unhandled[vector] = 0;
	c->irq_depth--;
	lapic_eoi();
}

int irq_alloc_vector(void)
{
	unsigned long flags;

	spin_lock_irqsave(&irq_lock, flags);
	for (int v = IRQ_VECTOR_FIRST; v <= IRQ_VECTOR_LAST; v++) {
		if (!vector_allocated[v]) {
			vector_allocated[v] = true;
			spin_unlock_irqrestore(&irq_lock, flags);
			return v;
		}
	}
	spin_unlock_irqrestore(&irq_lock, flags);
	pr_err("out of interrupt vectors");
	return -ENOSPC;
}

void irq_free_vector(int vector)
{
	unsigned long flags;

	spin_lock_irqsave(&irq_lock, flags);
	if (vector >= IRQ_VECTOR_FIRST && vector <= IRQ_VECTOR_LAST && !vector_actions[vector])
		vector_allocated[vector] = false;
	spin_unlock_irqrestore(&irq_lock, flags);
}

int request_irq(int vector, irq_handler_t handler, void *data, const char *name)
{
	struct irq_action *a = NULL;
	unsigned long flags;

	if (vector < IRQ_VECTOR_FIRST || vector > 0xfe || !handler)
		return -EINVAL;
	spin_lock_irqsave(&irq_lock, flags);
	for (int i = 0; i < MAX_IRQ_ACTIONS; i++) {
		if (!irq_actions[i].in_use) {
			a = &irq_actions[i];
			break;
		}
	}
	if (!a) {
		spin_unlock_irqrestore(&irq_lock, flags);
		pr_err("request_irq(%s): no free interrupt action slots", name);
		return -ENOSPC;
	}
	a->in_use = true;
	a->data = data;
	a->name = name;
	a->next = vector_actions[vector];
	/* A dispatching CPU sees the whole action or none of it. */
	smp_store_release(&a->handler, handler);
	smp_store_release(&vector_actions[vector], a);
	spin_unlock_irqrestore(&irq_lock, flags);
	return 0;
}

void synchronize_irq(int vector)
{
	if (vector < 0 || vector > 255)
		return;
	while (__atomic_load_n(&vector_active[vector], __ATOMIC_SEQ_CST))
		cpu_relax();
}

void free_irq(int vector, void *data)
{
	struct irq_action **pp, *gone = NULL;
	unsigned long flags;

	spin_lock_irqsave(&irq_lock, flags);
	for (pp = &vector_actions[vector]; *pp; pp = &(*pp)->next) {
		if ((*pp)->data == data) {
			gone = *pp;
			WRITE_ONCE(*pp, gone->next);
			WRITE_ONCE(gone->handler, NULL);
			break;
		}
	}
	spin_unlock_irqrestore(&irq_lock, flags);
	if (!gone)
		return;
	/*
	 * Another CPU may still be in the handler, or about to follow the
	 * action's next pointer: the slot is reused only once that is over.
	 * (From inside a handler we cannot wait for ourselves; the slot then
	 * stays taken, which costs one of MAX_IRQ_ACTIONS.)
	 */
	if (in_irq())
		return;
	synchronize_irq(vector);
	WRITE_ONCE(gone->in_use, false);
}

u64 irq_count(int vector)
{
	u64 n = 0;

	if (vector < 0 || vector > 255)
		return 0;
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		n += cpu_locals[cpu].irq_counts[vector];
	return n;
}

u64 irq_count_cpu(int vector, unsigned cpu)
{
	return vector >= 0 && vector < 256 && cpu < NR_CPUS ? cpu_locals[cpu].irq_counts[vector]
							    : 0;
}
