/* SPDX-License-Identifier: MIT */
/*
 * PCI: enumeration through configuration mechanism #1, BARs, capabilities,
 * MSI-X and legacy INTx. Firmware (SeaBIOS) has assigned BARs and bridge
 * windows before we run; we read them, size them and map them.
 */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include "kernel/types.h"

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_HEADER_TYPE 0x0e
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_SECONDARY_BUS 0x19

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST 0x10

#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11

#define PCI_MAX_BARS 6
/* Capabilities that fit above the 64-byte header, 4 bytes each at least. */
#define PCI_CAP_MAX_COUNT 48

struct pci_bar {
	u64 addr;
	u64 size;
	bool io;
	bool is64;
	bool prefetch;
	void *virt; /* mapped on first pci_iomap() */
};

struct pci_dev {
	u8 bus, slot, func;
	u16 vendor, device;
	u16 subsys_vendor, subsys_device;
	u8 class, subclass, prog_if, revision;
	u8 header_type;
	u8 irq_line, irq_pin;
	struct pci_bar bar[PCI_MAX_BARS];
	bool bars_read; /* sized on first use (pci_enable_device, pci_iomap) */
	/* MSI-X */
	u8 msix_cap;
	u16 msix_size;
	volatile u8 *msix_table;
	bool msix_enabled;
	int intx_gsi; /* INTx: the GSI its pin reaches (pci_intx_vector) */
	bool claimed;
};

int pci_init(void);
unsigned pci_device_count(void);
struct pci_dev *pci_device_at(unsigned i);

u8 pci_read8(const struct pci_dev *d, u16 off);
u16 pci_read16(const struct pci_dev *d, u16 off);
u32 pci_read32(const struct pci_dev *d, u16 off);
void pci_write8(const struct pci_dev *d, u16 off, u8 v);
void pci_write16(const struct pci_dev *d, u16 off, u16 v);
void pci_write32(const struct pci_dev *d, u16 off, u32 v);

/* Offset of the first/next capability with @id, 0 when none. */
u8 pci_find_capability(const struct pci_dev *d, u8 id);
u8 pci_find_next_capability(const struct pci_dev *d, u8 pos, u8 id);
/*
 * Every capability with @id, in list order, into @pos (at most @max); the
 * count. One walk of at most PCI_CAP_MAX_COUNT entries, so a list that
 * loops back on itself ends.
 */
unsigned pci_find_capabilities(const struct pci_dev *d, u8 id, u8 *pos, unsigned max);

void pci_enable_device(struct pci_dev *d);
/* Bus mastering off: the function may no longer read or write memory (DMA, MSI). */
void pci_clear_master(struct pci_dev *d);
/* Map a memory BAR (above 4 GiB too); NULL for I/O or absent BARs. */
void *pci_iomap(struct pci_dev *d, unsigned bar);

/*
 * MSI-X: enable with the function masked, program entries, then unmask.
 * pci_msix_enable returns the table size or a negative error.
 */
int pci_msix_enable(struct pci_dev *d);
/* Entry @entry: @vector, delivered to CPU @cpu (the MSI address's destination). */
void pci_msix_set_entry(struct pci_dev *d, unsigned entry, u8 vector, unsigned cpu);
void pci_msix_unmask_function(struct pci_dev *d);
void pci_msix_disable(struct pci_dev *d);

/*
 * Legacy INTx: the vector the device's interrupt pin reaches, through the
 * IOAPIC (level triggered, active high, as QEMU's ACPI tables declare
 * them), or a negative error. The line may be shared: so may the vector,
 * and a handler on it must check its own device. The device's INTx stays
 * off until pci_intx_enable.
 */
int pci_intx_vector(struct pci_dev *d);
void pci_intx_enable(struct pci_dev *d, bool on);

const char *pci_location(const struct pci_dev *d); /* "00:03.0" */

#endif
