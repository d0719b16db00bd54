/* SPDX-License-Identifier: MIT */
/*
 * Local APIC and IOAPIC. The legacy 8259 pair is masked for good; every
 * interrupt arrives through the local APIC, either routed by the IOAPIC
 * (INTx, ISA lines) or written directly by the device (MSI-X).
 */
#ifndef KERNEL_APIC_H
#define KERNEL_APIC_H

#include "kernel/types.h"

void apic_init(void);
void lapic_eoi(void);
u32 lapic_id(void);

/* LAPIC timer (kernel/time.c programs it). */
void lapic_timer_periodic(u8 vector, u32 initial_count, u32 divide);
u32 lapic_timer_current(void);
void lapic_timer_stop(void);

/*
 * Route a GSI to @vector on this CPU with the given trigger mode and
 * polarity, unmasked. Returns -ENODEV when no IOAPIC serves the GSI.
 */
int ioapic_route(u32 gsi, u8 vector, bool level, bool active_low);
void ioapic_mask(u32 gsi, bool masked);
/* Route an ISA IRQ, honouring the MADT's overrides; returns the GSI or <0. */
int ioapic_route_isa(u8 irq, u8 vector);

/* MSI/MSI-X message for @vector, fixed delivery to this CPU. */
u64 msi_address(void);
u32 msi_data(u8 vector);

#endif
