/* SPDX-License-Identifier: MIT */
/*
 * Local APIC (xAPIC, MMIO) and IOAPIC programming. Addresses come from the
 * MADT; both windows sit below 4 GiB, inside the boot identity map.
 */
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/cpu.h"
#include "kernel/interrupt.h"
#include "kernel/platform.h"
#include "kernel/smp.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1u << 11)

/* Local APIC registers (SDM vol. 3, table 10-1). */
#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_LDR 0x0d0
#define LAPIC_DFR 0x0e0
#define LAPIC_SVR 0x0f0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

/* Interrupt command register (SDM vol. 3, 10.6.1). */
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_DEST_SHIFT 24

#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)

/* IOAPIC (82093AA datasheet). */
#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_VER 0x01
#define IOAPIC_REDTBL(n) (0x10 + 2 * (n))
#define REDIR_MASKED (1u << 16)
#define REDIR_LEVEL (1u << 15)
#define REDIR_ACTIVE_LOW (1u << 13)

/* The 8259 PICs' data ports. */
#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

static volatile u8 *lapic;

struct ioapic {
	volatile u8 *base;
	u32 gsi_base;
	u32 nr_pins;
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned nr_ioapics;

static u32 lapic_read(u32 reg)
{
	return readl(lapic + reg);
}

static void lapic_write(u32 reg, u32 v)
{
	writel(v, lapic + reg);
}

static u32 ioapic_read(struct ioapic *io, u32 reg)
{
	writel(reg, io->base + IOREGSEL);
	return readl(io->base + IOWIN);
}

static void ioapic_write(struct ioapic *io, u32 reg, u32 v)
{
	writel(reg, io->base + IOREGSEL);
	writel(v, io->base + IOWIN);
}

static void pic_disable(void)
{
	/*
	 * Remap the 8259s away from the exception vectors first, so a stray
	 * interrupt latched before masking cannot look like a CPU fault.
	 */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(PIC1_DATA, 0x20);
	outb(PIC2_DATA, 0x28);
	outb(PIC1_DATA, 4);
	outb(PIC2_DATA, 2);
	outb(PIC1_DATA, 1);
	outb(PIC2_DATA, 1);
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}

/*
 * This CPU's local APIC: enabled at the MADT's address (the base MSR is per
 * CPU; its BSP bit is kept), every local interrupt masked until someone
 * asks for it, all priorities accepted.
 */
void lapic_init_cpu(void)
{
	u64 base = acpi.lapic_addr ? acpi.lapic_addr : 0xfee00000;

	wrmsr(MSR_APIC_BASE,
	      (base & ~0xfffull) | APIC_BASE_ENABLE | (rdmsr(MSR_APIC_BASE) & 0x100));
	lapic = (volatile u8 *)(uintptr_t)base;

	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	lapic_write(LAPIC_EOI, 0);
}

void apic_init(void)
{
	pic_disable();
	lapic_init_cpu();

	for (unsigned i = 0; i < acpi.nr_ioapics && i < ACPI_MAX_IOAPICS; i++) {
		struct ioapic *io = &ioapics[nr_ioapics];
		io->base = (volatile u8 *)(uintptr_t)acpi.ioapic[i].addr;
		io->gsi_base = acpi.ioapic[i].gsi_base;
		io->nr_pins = ((ioapic_read(io, IOAPIC_VER) >> 16) & 0xff) + 1;
		for (u32 pin = 0; pin < io->nr_pins; pin++) {
			ioapic_write(io, IOAPIC_REDTBL(pin), REDIR_MASKED);
			ioapic_write(io, IOAPIC_REDTBL(pin) + 1, 0);
		}
		nr_ioapics++;
	}
	if (!nr_ioapics) {
		/* QEMU always has one; without ACPI assume its fixed address. */
		ioapics[0].base = (volatile u8 *)(uintptr_t)0xfec00000;
		ioapics[0].gsi_base = 0;
		ioapics[0].nr_pins = 24;
		nr_ioapics = 1;
	}
}

u32 lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void lapic_timer_periodic(u8 vector, u32 initial_count, u32 divide_code)
{
	lapic_write(LAPIC_TIMER_DIV, divide_code);
	lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | vector);
	lapic_write(LAPIC_TIMER_INIT, initial_count);
}

u32 lapic_timer_current(void)
{
	return lapic_read(LAPIC_TIMER_CUR);
}

void lapic_timer_stop(void)
{
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_INIT, 0);
}

static struct ioapic *ioapic_for(u32 gsi, u32 *pin)
{
	for (unsigned i = 0; i < nr_ioapics; i++) {
		struct ioapic *io = &ioapics[i];
		if (gsi >= io->gsi_base && gsi < io->gsi_base + io->nr_pins) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

int ioapic_route(u32 gsi, u8 vector, bool level, bool active_low)
{
	u32 pin, lo = vector;
	struct ioapic *io = ioapic_for(gsi, &pin);
	unsigned long flags;

	if (!io) {
		pr_err("ioapic: no IOAPIC serves GSI %u", gsi);
		return -ENODEV;
	}
	if (level)
		lo |= REDIR_LEVEL;
	if (active_low)
		lo |= REDIR_ACTIVE_LOW;
	flags = local_irq_save();
	ioapic_write(io, IOAPIC_REDTBL(pin) + 1, lapic_id() << 24);
	ioapic_write(io, IOAPIC_REDTBL(pin), lo);
	local_irq_restore(flags);
	return 0;
}

void ioapic_mask(u32 gsi, bool masked)
{
	u32 pin;
	struct ioapic *io = ioapic_for(gsi, &pin);
	unsigned long flags;

	if (!io)
		return;
	flags = local_irq_save();
	u32 lo = ioapic_read(io, IOAPIC_REDTBL(pin));
	lo = masked ? lo | REDIR_MASKED : lo & ~REDIR_MASKED;
	ioapic_write(io, IOAPIC_REDTBL(pin), lo);
	local_irq_restore(flags);
}

int ioapic_route_isa(u8 irq, u8 vector)
{
	u32 gsi;
	bool level, low;
	int err;

	acpi_isa_irq(irq, &gsi, &level, &low);
	err = ioapic_route(gsi, vector, level, low);
	return err ? err : (int)gsi;
}

/*
 * Send an IPI (SDM vol. 3, 10.6.1): the destination's APIC ID goes in the
 * high word, then the low word (delivery mode, level, trigger, vector)
 * sends it. Interrupts stay off between the two writes, so an interrupt
 * handler that sends an IPI of its own cannot change the destination under
 * us; and the previous IPI must have left before the next is written.
 */
void lapic_send_ipi(u32 apic_id, u32 icr_low)
{
	unsigned long flags = local_irq_save();

	while (lapic_read(LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING)
		cpu_relax();
	lapic_write(LAPIC_ICR_HIGH, apic_id << ICR_DEST_SHIFT);
	lapic_write(LAPIC_ICR_LOW, icr_low);
	local_irq_restore(flags);
}

/* Wait (bounded) until the last IPI this CPU sent has been accepted. */
bool lapic_ipi_wait(u64 max_spins)
{
	while (lapic_read(LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING) {
		if (!max_spins--)
			return false;
		cpu_relax();
	}
	return true;
}

/* Intel SDM vol. 3, 10.11: fixed delivery, physical destination. */
u64 msi_address(unsigned cpu)
{
	return msi_address_apic(cpu_apic_id(cpu));
}

u64 msi_address_apic(u32 apic_id)
{
	return 0xfee00000ull | ((u64)apic_id << 12);
}

u32 msi_data(u8 vector)
{
	return vector;
}
