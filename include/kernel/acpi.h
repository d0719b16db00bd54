/* SPDX-License-Identifier: MIT */
/*
 * What this kernel reads from the ACPI tables: the interrupt controllers and
 * overrides (MADT), the PM timer and the power-off registers (FADT, DSDT's
 * \_S5), the PCI ECAM window (MCFG) and the HPET's registers (HPET).
 */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include "kernel/types.h"

#define ACPI_MAX_IOAPICS 4
#define ACPI_MAX_OVERRIDES 16
/* Enabled processors whose APIC IDs are kept (an xAPIC ID is 8 bits). */
#define ACPI_MAX_CPUS 256

/* MPS INTI flags (ACPI 6.4, table 5.50). */
#define ACPI_POLARITY_MASK 0x3
#define ACPI_POLARITY_HIGH 0x1
#define ACPI_POLARITY_LOW 0x3
#define ACPI_TRIGGER_MASK 0xc
#define ACPI_TRIGGER_EDGE 0x4
#define ACPI_TRIGGER_LEVEL 0xc

struct acpi_ioapic {
	u8 id;
	u64 addr;
	u32 gsi_base;
};

struct acpi_override {
	u8 source; /* ISA IRQ */
	u32 gsi;
	u16 flags;
};

struct acpi_info {
	bool present;
	u8 revision;
	u64 lapic_addr;
	unsigned nr_cpus;	       /* enabled processor entries */
	unsigned nr_possible_cpus;     /* every processor entry, enabled or not */
	u8 cpu_apic_id[ACPI_MAX_CPUS]; /* the enabled ones' APIC IDs, in MADT order */
	struct acpi_ioapic ioapic[ACPI_MAX_IOAPICS];
	unsigned nr_ioapics;
	struct acpi_override iso[ACPI_MAX_OVERRIDES];
	unsigned nr_iso;
	bool has_8259;
	u16 pm_timer_port; /* 0: none */
	bool pm_timer_32bit;
	u16 pm1a_cnt_port;
	u16 pm1b_cnt_port;
	u16 s5_slp_typa, s5_slp_typb;
	bool s5_valid;
	u64 mcfg_base; /* 0: none */
	u8 mcfg_bus_start, mcfg_bus_end;
	u64 hpet_base; /* 0: none */
	/* Hardware-reduced ACPI (microvm): sleep through the sleep control register. */
	bool hw_reduced;
	bool sleep_ctl_io;
	u64 sleep_ctl_addr;
	const void *dsdt; /* the checked DSDT, or NULL */
};

/* A device the DSDT describes with a fixed memory window and one interrupt. */
struct acpi_fixed_dev {
	char name[5]; /* its AML name, such as VR07 */
	u64 base;
	u64 size;
	u32 irq; /* a GSI */
	bool level, active_low;
};

extern struct acpi_info acpi;

/* @rsdp: where the loader put it, or 0 to search the BIOS areas. */
int acpi_init(u64 rsdp);
/*
 * The GSI, trigger mode and polarity of an ISA IRQ, from the MADT's
 * interrupt source overrides (ISA default: same number, edge, high).
 */
void acpi_isa_irq(u8 irq, u32 *gsi, bool *level, bool *active_low);
void acpi_poweroff(void);
/*
 * The DSDT's devices whose _HID is the string @hid (such as LNRO0005,
 * virtio-mmio) with their _CRS's Memory32Fixed window and Extended
 * Interrupt: up to @max of them into @out, how many found. Not an AML
 * interpreter: it reads the fixed form QEMU's microvm (and firmware like
 * it) declares such devices in, and finds nothing in any other.
 */
unsigned acpi_find_fixed_devices(const char *hid, struct acpi_fixed_dev *out, unsigned max);

#endif
