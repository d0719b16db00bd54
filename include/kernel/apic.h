/* SPDX-License-Identifier: MIT */
/*
 * Local APIC and IOAPIC. The legacy 8259 pair is masked for good; every
 * interrupt arrives through the local APIC, either routed by the IOAPIC
 * (INTx, ISA lines) or written directly by the device (MSI-X).
 */
#ifndef KERNEL_APIC_H
#define KERNEL_APIC_H

#include "kernel/io.h"
#include "kernel/types.h"

/* The boot CPU: the 8259s masked, the IOAPICs found and masked, its LAPIC. */
void apic_init(void);
/* Every other CPU: its own local APIC. */
void lapic_init_cpu(void);
void lapic_eoi(void);
u32 lapic_id(void);

/* Interrupt command register values (SDM vol. 3, figure 10-12). */
#define ICR_FIXED 0x000
#define ICR_NMI 0x400
#define ICR_INIT 0x500
#define ICR_STARTUP 0x600
#define ICR_LEVEL_ASSERT 0x4000
#define ICR_TRIGGER_LEVEL 0x8000
/* Send an IPI to the CPU with @apic_id (physical destination mode). */
void lapic_send_ipi(u32 apic_id, u32 icr_low);
/* Wait up to @max_spins for the last IPI sent to be accepted; false if not. */
bool lapic_ipi_wait(u64 max_spins);

/* LAPIC timer (kernel/time.c programs it). */
void lapic_timer_periodic(u8 vector, u32 initial_count, u32 divide);
u32 lapic_timer_current(void);
void lapic_timer_stop(void);

/* ioapic_route, ioapic_route_isa, msi_address and msi_data are in kernel/io.h. */
void ioapic_mask(u32 gsi, bool masked);
/* MSI/MSI-X message for @vector to the CPU with @apic_id. */
u64 msi_address_apic(u32 apic_id);

#endif
