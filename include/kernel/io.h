/* SPDX-License-Identifier: MIT */
/*
 * The thin hardware header of drivers/: port I/O, MMIO, mapping device
 * memory, and the interrupt plumbing a PCI function needs (vectors,
 * handlers, MSI messages, IOAPIC routes). With kernel/platform.h it is all
 * drivers/pci.c, drivers/virtio_pci.c and drivers/virtio_blk.c use of the
 * machine. The kernel implements it with the x86 instructions of
 * kernel/cpu.h and the APIC and trap code; host unit tests implement it with
 * a simulated PCI bus (tests/unit/sim_pci.c), whose configuration space
 * answers at ports 0xcf8/0xcfc and whose BARs are host memory watched on
 * every access, so the real drivers probe, set up and drive simulated devices.
 */
#ifndef KERNEL_IO_H
#define KERNEL_IO_H

#include "kernel/types.h"

#ifdef VBLK_KERNEL
#include "kernel/cpu.h"
#else
u8 inb(u16 port);
u16 inw(u16 port);
u32 inl(u16 port);
void outb(u16 port, u8 v);
void outw(u16 port, u16 v);
void outl(u16 port, u32 v);
u8 readb(const volatile void *a);
u16 readw(const volatile void *a);
u32 readl(const volatile void *a);
void writeb(u8 v, volatile void *a);
void writew(u16 v, volatile void *a);
void writel(u32 v, volatile void *a);
/* Spinning on a device register: on the host the fake clock moves on. */
void cpu_relax(void);
#endif

/*
 * Map @size bytes of device memory at bus address @phys: the virtual
 * address (the kernel extends its identity map, uncached), or NULL.
 */
void *ioremap(phys_addr_t phys, size_t size);

/* Interrupt vectors and handlers (kernel/traps.c; see kernel/interrupt.h). */
#define IRQ_NONE 0
#define IRQ_HANDLED 1
typedef int (*irq_handler_t)(int vector, void *data);
/* A free device vector, or -ENOSPC. */
int irq_alloc_vector(void);
/* Give back a vector that no handler uses any more. */
void irq_free_vector(int vector);
/* Several handlers may share a vector (INTx lines are shared). */
int request_irq(int vector, irq_handler_t handler, void *data, const char *name);
/* Remove the handler; outside interrupt context, waits for other CPUs to leave it. */
void free_irq(int vector, void *data);

/* MSI/MSI-X message for @vector, fixed delivery to CPU @cpu (kernel/apic.c). */
u64 msi_address(unsigned cpu);
u32 msi_data(u8 vector);
/*
 * Route a GSI to @vector on this CPU with the given trigger mode and
 * polarity, unmasked. Returns -ENODEV when no IOAPIC serves the GSI.
 */
int ioapic_route(u32 gsi, u8 vector, bool level, bool active_low);
/* Route an ISA IRQ, honouring the MADT's overrides; returns the GSI or <0. */
int ioapic_route_isa(u8 irq, u8 vector);

#endif
