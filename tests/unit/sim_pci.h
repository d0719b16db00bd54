/* SPDX-License-Identifier: MIT */
/*
 * A simulated PCI bus for host unit tests: the machine behind
 * include/kernel/io.h.
 *
 * Configuration mechanism #1 answers at ports 0xcf8/0xcfc, so the real
 * drivers/pci.c enumerates it, sizes its BARs and walks its capabilities.
 * A memory BAR is host memory (its bus address is its host address, as
 * ioremap() on the host returns it unchanged) and an I/O BAR is a range of
 * port numbers; every readX/writeX and inX/outX the driver makes is checked
 * to fall inside a BAR and handed to the device's callbacks, or else is a
 * test failure. Interrupt vectors, handlers, MSI messages and IOAPIC routes
 * are recorded, and a device raises an interrupt through its MSI-X table or
 * its INTx pin as the hardware would; handlers run when the test delivers
 * them (sim_irq_deliver) with the host's interrupt flag clear.
 */
#ifndef TESTS_UNIT_SIM_PCI_H
#define TESTS_UNIT_SIM_PCI_H

#include "drivers/pci.h"
#include "kernel/types.h"

#define SIM_PCI_SLOTS 8
#define SIM_MSI_ADDRESS 0xfee00000ull

struct sim_pci_fn;

struct sim_pci_ops {
	/*
	 * A driver access of @size bytes at @off in BAR @bar. Return false to
	 * leave it to plain memory (MMIO BARs: the MSI-X table lives there).
	 */
	bool (*bar_read)(struct sim_pci_fn *fn, unsigned bar, u32 off, unsigned size, u32 *v);
	bool (*bar_write)(struct sim_pci_fn *fn, unsigned bar, u32 off, unsigned size, u32 v);
	/* After the driver wrote configuration space at @off (command, MSI-X control). */
	void (*cfg_written)(struct sim_pci_fn *fn, u16 off, unsigned size);
};

struct sim_bar {
	u64 size; /* 0: no BAR */
	bool io, is64;
	u8 *mem;  /* MMIO: the BAR's memory; its bus address */
	u16 port; /* I/O: the first port */
};

struct sim_pci_fn {
	u8 slot;
	u8 cfg[256];
	struct sim_bar bar[PCI_MAX_BARS];
	const struct sim_pci_ops *ops;
	void *priv;
	u8 last_cap;	 /* offset of the last capability added, 0: none */
	u8 next_cap_off; /* where sim_pci_add_cap puts the next one */
	u8 msix_cap;	 /* 0: none */
	bool intx_asserted;
	unsigned mmio_faults; /* driver accesses outside every BAR */
};

/* Forget every function, vector and handler. */
void sim_pci_reset(void);
/* A type-0 function at bus 0 slot @slot; its capability list is empty. */
struct sim_pci_fn *sim_pci_add(u8 slot, u16 vendor, u16 device, u16 subsys_vendor,
			       u16 subsys_device, u32 class_rev);
/* BAR @i of @size bytes (a power of two): MMIO (32- or 64-bit) or I/O ports. */
void sim_pci_set_bar(struct sim_pci_fn *fn, unsigned i, u64 size, bool io, bool is64);
/*
 * Append a capability: @id, then @len - 2 bytes of @body after the ID and
 * next-pointer bytes. Returns its offset. Each starts 4-byte aligned.
 */
u8 sim_pci_add_cap(struct sim_pci_fn *fn, u8 id, const void *body, u8 len);
/* An MSI-X capability: @entries vectors, table and PBA in BAR @bar. */
void sim_pci_add_msix(struct sim_pci_fn *fn, unsigned entries, unsigned bar, u32 table_off,
		      u32 pba_off);
/* The interrupt line firmware routed the INTx pin to (pin A). */
void sim_pci_set_intx(struct sim_pci_fn *fn, u8 line);

/*
 * Interrupts as the device raises them. MSI-X: the vector of table entry
 * @entry, unless MSI-X is off, the function or the entry is masked (then
 * the pending bit is set). INTx: level; asserted until the device drops
 * it, delivered while the command register allows and MSI-X is off.
 */
bool sim_pci_raise_msix(struct sim_pci_fn *fn, unsigned entry);
void sim_pci_set_intx_level(struct sim_pci_fn *fn, bool asserted);
bool sim_pci_msix_enabled(const struct sim_pci_fn *fn);
u16 sim_pci_command(const struct sim_pci_fn *fn);

/*
 * Run the handlers of every pending vector (and of asserted INTx lines)
 * once, with interrupts "off" as the CPU would have them. Does nothing
 * while the host's interrupt flag is off. Returns how many vectors ran.
 */
unsigned sim_irq_deliver(void);
/* Handlers registered on @vector, and vectors in use. */
unsigned sim_irq_handlers(int vector);
unsigned sim_irq_vectors_in_use(void);

/*
 * What cpu_idle_once() does on the simulated machine: step every device
 * (the callback a device model registers), deliver interrupts, and let
 * @idle_ns of fake time pass. wait_until() in the driver thus lets devices
 * work and timers expire.
 */
void sim_set_device_step(bool (*step)(void));
extern u64 sim_idle_ns;
/* Fake time each cpu_relax() lets pass (1 us unless a test changes it). */
extern u64 sim_relax_ns;
/*
 * For the fuzzer: a device whose registers are laid out by random bytes
 * sees driver accesses a well-placed device never would, so the device
 * models ignore what they do not understand instead of failing the test.
 * Accesses outside every BAR still abort: those are the driver's.
 */
extern bool sim_lenient;

#endif
