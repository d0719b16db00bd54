/* SPDX-License-Identifier: MIT */
/*
 * PCI enumeration and interrupt set-up.
 *
 * Configuration space is read through mechanism #1 (ports 0xcf8/0xcfc),
 * which both i440FX and Q35 decode for the first 256 bytes of every
 * function; virtio's capabilities all live there. The scan follows bridges
 * (PCI-to-PCI and PCIe root ports), so a disk behind one is found.
 */
#include "drivers/pci.h"
#include "kernel/io.h"
#include "kernel/platform.h"
#include "kernel/string.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_MAX_DEVICES 64
#define PCI_MAX_BUS_DEPTH 8

#define PCI_HEADER_TYPE_MASK 0x7f
#define PCI_HEADER_MULTIFUNC 0x80
#define PCI_HEADER_BRIDGE 1

#define PCI_BAR_IO 0x1
#define PCI_BAR_MEM_TYPE_64 0x4
#define PCI_BAR_MEM_PREFETCH 0x8

/* MSI-X capability (PCI Local Bus 3.0, 6.8.2). */
#define PCI_MSIX_FLAGS 2
#define PCI_MSIX_FLAGS_QSIZE 0x7ff
#define PCI_MSIX_FLAGS_MASKALL 0x4000
#define PCI_MSIX_FLAGS_ENABLE 0x8000
#define PCI_MSIX_TABLE 4
#define PCI_MSIX_BIR 0x7
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_ENTRY_LOWER_ADDR 0
#define PCI_MSIX_ENTRY_UPPER_ADDR 4
#define PCI_MSIX_ENTRY_DATA 8
#define PCI_MSIX_ENTRY_VECTOR_CTRL 12
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 1

/*
 * Q35's host bridge: in APIC mode its PIRQs A-H reach the IOAPIC on GSIs
 * 16-23; the ICH9 wires the root bus's slots 0-24 to PIRQs E-H.
 */
#define PCI_VENDOR_INTEL 0x8086
#define PCI_DEVICE_Q35_MCH 0x29c0
#define Q35_PIRQ_GSI_FIRST 16
#define Q35_PIRQE 4
#define Q35_ICH9_SLOTS_WIRED 25
#define ISA_IRQS 16 /* GSIs 0-15 are the ISA IRQs (with the MADT's overrides) */

static struct pci_dev devices[PCI_MAX_DEVICES];
static unsigned nr_devices;
static bool is_q35;
/* The vector of each GSI that carries INTx (pci_intx_vector). */
#define INTX_MAX_GSI 64
static int intx_vectors[INTX_MAX_GSI];
static DEFINE_SPINLOCK(intx_lock);

static u32 config_address(u8 bus, u8 slot, u8 func, u16 off)
{
	return (1u << 31) | ((u32)bus << 16) | ((u32)slot << 11) | ((u32)func << 8) | (off & 0xfc);
}

static u32 cfg_read32(u8 bus, u8 slot, u8 func, u16 off)
{
	unsigned long flags = local_irq_save();
	u32 v;

	outl(PCI_CONFIG_ADDRESS, config_address(bus, slot, func, off));
	v = inl(PCI_CONFIG_DATA);
	local_irq_restore(flags);
	return v;
}

static void cfg_write32(u8 bus, u8 slot, u8 func, u16 off, u32 v)
{
	unsigned long flags = local_irq_save();

	outl(PCI_CONFIG_ADDRESS, config_address(bus, slot, func, off));
	outl(PCI_CONFIG_DATA, v);
	local_irq_restore(flags);
}

u32 pci_read32(const struct pci_dev *d, u16 off)
{
	return cfg_read32(d->bus, d->slot, d->func, off);
}

u16 pci_read16(const struct pci_dev *d, u16 off)
{
	return (u16)(pci_read32(d, off & ~3) >> ((off & 2) * 8));
}

u8 pci_read8(const struct pci_dev *d, u16 off)
{
	return (u8)(pci_read32(d, off & ~3) >> ((off & 3) * 8));
}

void pci_write32(const struct pci_dev *d, u16 off, u32 v)
{
	cfg_write32(d->bus, d->slot, d->func, off, v);
}

/*
 * Narrow writes go out as byte-enabled port accesses, not read-modify-write
 * of the dword: some registers (status) are write-one-to-clear.
 */
void pci_write16(const struct pci_dev *d, u16 off, u16 v)
{
	unsigned long flags = local_irq_save();

	outl(PCI_CONFIG_ADDRESS, config_address(d->bus, d->slot, d->func, off));
	outw(PCI_CONFIG_DATA + (off & 2), v);
	local_irq_restore(flags);
}

void pci_write8(const struct pci_dev *d, u16 off, u8 v)
{
	unsigned long flags = local_irq_save();

	outl(PCI_CONFIG_ADDRESS, config_address(d->bus, d->slot, d->func, off));
	outb(PCI_CONFIG_DATA + (off & 3), v);
	local_irq_restore(flags);
}

u8 pci_find_next_capability(const struct pci_dev *d, u8 pos, u8 id)
{
	/* A list longer than the space it lives in is a loop: stop. */
	for (int ttl = PCI_CAP_MAX_COUNT; pos && ttl; ttl--) {
		pos &= ~3;
		if (pos < 0x40)
			return 0;
		if (pci_read8(d, pos) == id)
			return pos;
		pos = pci_read8(d, pos + 1);
	}
	return 0;
}

u8 pci_find_capability(const struct pci_dev *d, u8 id)
{
	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	return pci_find_next_capability(d, pci_read8(d, PCI_CAPABILITY_LIST), id);
}

unsigned pci_find_capabilities(const struct pci_dev *d, u8 id, u8 *pos, unsigned max)
{
	unsigned n = 0;
	u8 p;

	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	p = pci_read8(d, PCI_CAPABILITY_LIST);
	/*
	 * One walk with one budget: 48 entries of 4 bytes fill the space
	 * above the header, so a longer list is a loop, wherever it closes.
	 */
	for (int ttl = PCI_CAP_MAX_COUNT; p && ttl; ttl--) {
		p &= ~3;
		if (p < 0x40)
			break;
		if (pci_read8(d, p) == id && n < max)
			pos[n++] = p;
		p = pci_read8(d, p + 1);
	}
	return n;
}

/*
 * Size BARs with decoding off, so the all-ones probe never decodes. Done
 * once, when a driver first needs them (pci_enable_device, pci_iomap), not
 * at the scan: sizing costs two dozen configuration accesses a function,
 * each an exit into the hypervisor, for functions nobody drives.
 */
static u16 size_bars(struct pci_dev *d)
{
	u16 cmd = pci_read16(d, PCI_COMMAND);

	d->bars_read = true;
	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
		u16 off = PCI_BASE_ADDRESS_0 + 4 * i;
		u32 lo = pci_read32(d, off), szlo;
		struct pci_bar *b = &d->bar[i];

		pci_write32(d, off, 0xffffffff);
		szlo = pci_read32(d, off);
		pci_write32(d, off, lo);
		if (!szlo || szlo == 0xffffffff)
			continue;
		if (lo & PCI_BAR_IO) {
			b->io = true;
			b->addr = lo & ~3u;
			b->size = (u16)(~(szlo & ~3u) + 1);
			continue;
		}
		b->prefetch = lo & PCI_BAR_MEM_PREFETCH;
		b->addr = lo & ~0xfu;
		u64 mask = szlo & ~0xfu;
		if ((lo & 0x6) == PCI_BAR_MEM_TYPE_64 && i + 1 < PCI_MAX_BARS) {
			u32 hi = pci_read32(d, off + 4), szhi;
			pci_write32(d, off + 4, 0xffffffff);
			szhi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, hi);
			b->is64 = true;
			b->addr |= (u64)hi << 32;
			mask |= (u64)szhi << 32;
			b->size = ~mask + 1;
			i++;
		} else {
			b->size = (u32)(~mask + 1);
		}
	}
	return cmd;
}

/*
 * Sizing leaves decoding off; the command register as it was goes back.
 * Each change of decoding remaps the function's BARs, which QEMU pays for
 * with a memory-map rebuild (about half a millisecond under TCG), so
 * pci_enable_device sizes and enables with one write instead.
 */
static void read_bars(struct pci_dev *d)
{
	if (!d->bars_read)
		pci_write16(d, PCI_COMMAND, size_bars(d));
}

static void scan_bus(u8 bus, int depth);

static void scan_function(u8 bus, u8 slot, u8 func, int depth)
{
	u32 id = cfg_read32(bus, slot, func, PCI_VENDOR_ID);
	struct pci_dev *d;
	u32 class;

	if ((id & 0xffff) == 0xffff)
		return;
	if (nr_devices == PCI_MAX_DEVICES) {
		pr_warn("pci: more than %d functions; ignoring %02x:%02x.%x", PCI_MAX_DEVICES, bus,
			slot, func);
		return;
	}
	d = &devices[nr_devices++];
	memset(d, 0, sizeof(*d));
	d->bus = bus;
	d->slot = slot;
	d->func = func;
	d->vendor = id & 0xffff;
	d->device = id >> 16;
	class = pci_read32(d, PCI_REVISION_ID);
	d->revision = class & 0xff;
	d->prog_if = (class >> 8) & 0xff;
	d->subclass = (class >> 16) & 0xff;
	d->class = class >> 24;
	d->header_type = pci_read8(d, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
	d->intx_gsi = -1;
	if (d->vendor == PCI_VENDOR_INTEL && d->device == PCI_DEVICE_Q35_MCH)
		is_q35 = true;

	if (d->header_type == PCI_HEADER_BRIDGE) {
		u8 secondary = pci_read8(d, PCI_SECONDARY_BUS);
		if (secondary > bus && depth < PCI_MAX_BUS_DEPTH)
			scan_bus(secondary, depth + 1);
		return;
	}
	if (d->header_type != 0)
		return;
	u32 sub = pci_read32(d, PCI_SUBSYSTEM_VENDOR_ID);
	d->subsys_vendor = sub & 0xffff;
	d->subsys_device = sub >> 16;
	d->irq_line = pci_read8(d, PCI_INTERRUPT_LINE);
	d->irq_pin = pci_read8(d, PCI_INTERRUPT_PIN);
}

static void scan_bus(u8 bus, int depth)
{
	for (u8 slot = 0; slot < 32; slot++) {
		u32 id = cfg_read32(bus, slot, 0, PCI_VENDOR_ID);
		if ((id & 0xffff) == 0xffff)
			continue;
		u8 ht = (cfg_read32(bus, slot, 0, PCI_HEADER_TYPE & ~3) >> 16) & 0xff;
		int nfunc = (ht & PCI_HEADER_MULTIFUNC) ? 8 : 1;
		for (u8 func = 0; func < nfunc; func++)
			scan_function(bus, slot, func, depth);
	}
}

int pci_init(void)
{
	nr_devices = 0;
	/* The machine is enumerated afresh (host tests simulate one after another). */
	memset(intx_vectors, 0, sizeof(intx_vectors));
	scan_bus(0, 0);
	printk("pci: %u functions on %s\n", nr_devices, is_q35 ? "q35" : "i440fx/pc");
	return 0;
}

unsigned pci_device_count(void)
{
	return nr_devices;
}

struct pci_dev *pci_device_at(unsigned i)
{
	return i < nr_devices ? &devices[i] : NULL;
}

const char *pci_location(const struct pci_dev *d)
{
	static char buf[PCI_MAX_DEVICES][12];
	char *s = buf[d - devices];

	ksnprintf(s, sizeof(buf[0]), "%02x:%02x.%x", d->bus, d->slot, d->func);
	return s;
}

void pci_enable_device(struct pci_dev *d)
{
	u16 cmd = d->bars_read ? pci_read16(d, PCI_COMMAND) : size_bars(d);

	cmd |= PCI_COMMAND_MASTER;
	for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
		if (d->bar[i].size)
			cmd |= d->bar[i].io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
	}
	pci_write16(d, PCI_COMMAND, cmd);
}

void *pci_iomap(struct pci_dev *d, unsigned bar)
{
	struct pci_bar *b;

	if (bar >= PCI_MAX_BARS)
		return NULL;
	read_bars(d);
	b = &d->bar[bar];
	if (!b->size || b->io)
		return NULL;
	if (!b->addr) {
		pr_err("pci %s: BAR%u was never assigned an address", pci_location(d), bar);
		return NULL;
	}
	if (!b->virt)
		b->virt = ioremap(b->addr, b->size);
	return b->virt;
}

int pci_msix_enable(struct pci_dev *d)
{
	u8 cap = pci_find_capability(d, PCI_CAP_ID_MSIX);
	u32 table;
	u8 *base;
	u16 flags;

	if (!cap)
		return -ENODEV;
	flags = pci_read16(d, cap + PCI_MSIX_FLAGS);
	table = pci_read32(d, cap + PCI_MSIX_TABLE);
	d->msix_size = (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
	base = pci_iomap(d, table & PCI_MSIX_BIR);
	if (!base) {
		pr_err("pci %s: MSI-X table BAR%u cannot be mapped", pci_location(d),
		       table & PCI_MSIX_BIR);
		return -ENODEV;
	}
	if ((u64)(table & ~PCI_MSIX_BIR) + (u64)d->msix_size * PCI_MSIX_ENTRY_SIZE >
	    d->bar[table & PCI_MSIX_BIR].size) {
		pr_err("pci %s: MSI-X table (%u entries) overruns its BAR", pci_location(d),
		       d->msix_size);
		return -EINVAL;
	}
	d->msix_cap = cap;
	d->msix_table = base + (table & ~PCI_MSIX_BIR);
	/* Enable with the whole function masked; entries are unmasked one by one. */
	pci_write16(d, cap + PCI_MSIX_FLAGS,
		    flags | PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	for (unsigned i = 0; i < d->msix_size; i++)
		writel(PCI_MSIX_ENTRY_CTRL_MASKBIT,
		       d->msix_table + i * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL);
	/* MSI-X on means INTx off (PCI 3.0, 6.8.3.3). */
	pci_intx_enable(d, false);
	d->msix_enabled = true;
	return d->msix_size;
}

void pci_msix_set_entry(struct pci_dev *d, unsigned entry, u8 vector, unsigned cpu)
{
	volatile u8 *e = d->msix_table + entry * PCI_MSIX_ENTRY_SIZE;
	u64 addr = msi_address(cpu);

	if (!d->msix_enabled || entry >= d->msix_size)
		return;
	writel(PCI_MSIX_ENTRY_CTRL_MASKBIT, e + PCI_MSIX_ENTRY_VECTOR_CTRL);
	writel((u32)addr, e + PCI_MSIX_ENTRY_LOWER_ADDR);
	writel((u32)(addr >> 32), e + PCI_MSIX_ENTRY_UPPER_ADDR);
	writel(msi_data(vector), e + PCI_MSIX_ENTRY_DATA);
	writel(0, e + PCI_MSIX_ENTRY_VECTOR_CTRL);
}

void pci_msix_unmask_function(struct pci_dev *d)
{
	u16 flags = pci_read16(d, d->msix_cap + PCI_MSIX_FLAGS);

	pci_write16(d, d->msix_cap + PCI_MSIX_FLAGS, flags & ~PCI_MSIX_FLAGS_MASKALL);
}

void pci_msix_disable(struct pci_dev *d)
{
	if (!d->msix_cap)
		return;
	u16 flags = pci_read16(d, d->msix_cap + PCI_MSIX_FLAGS);
	pci_write16(d, d->msix_cap + PCI_MSIX_FLAGS,
		    flags & ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL));
	d->msix_enabled = false;
}

void pci_clear_master(struct pci_dev *d)
{
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) & ~PCI_COMMAND_MASTER);
}

void pci_intx_enable(struct pci_dev *d, bool on)
{
	u16 cmd = pci_read16(d, PCI_COMMAND);

	cmd = on ? cmd & ~PCI_COMMAND_INTX_DISABLE : cmd | PCI_COMMAND_INTX_DISABLE;
	pci_write16(d, PCI_COMMAND, cmd);
}

/*
 * Where a device's INTx pin reaches the IOAPIC. Without an AML interpreter
 * we cannot evaluate _PRT, so this follows QEMU's fixed wiring and what
 * the firmware wrote into the device:
 *  - Q35, a device on the root bus in slots 0-24: the ICH9 sends INT A-D
 *    of slot S to PIRQ[E-H] ((S + pin) mod 4, pin 0 for INTA), and in APIC
 *    mode PIRQ n drives GSI 16 + n, a pin no other PIRQ and no ISA device
 *    shares (the _PRT of QEMU's DSDT says the same). The PIRQ also reaches
 *    the ISA line the firmware routed it to; that pin stays masked.
 *  - Otherwise (pc, or behind a bridge, whose swizzle the firmware has
 *    applied): the interrupt line register, the ISA IRQ the firmware routed
 *    the pin to, which the MADT declares level triggered, active high.
 * Returns the GSI, or -1; one below ISA_IRQS is an ISA IRQ, routed as the
 * MADT says.
 */
static int intx_gsi(const struct pci_dev *d)
{
	if (is_q35 && d->bus == 0 && d->slot < Q35_ICH9_SLOTS_WIRED)
		return Q35_PIRQ_GSI_FIRST + Q35_PIRQE + (d->slot + d->irq_pin - 1) % 4;
	if (d->irq_line == 0 || d->irq_line >= ISA_IRQS)
		return -1;
	return d->irq_line;
}

/*
 * The vector of each GSI that carries INTx. A line is shared (on pc two
 * PIRQs share an ISA IRQ; on Q35 four slots share a PIRQ), so the vector
 * belongs to the line, not to a device: the first device on it allocates
 * and routes it, the others add their handlers to it, and each handler
 * checks its own device (virtio's ISR). A vector per device, each routing
 * the line anew, took the line from the device before it: that device's
 * interrupt reached only the other's handler, which could not quiet it,
 * and the level-triggered line fired again and again (two legacy disks on
 * Q35: 60 IOPS at queue_depth=1, the host's CPU spent on the storm).
 * Kept for the life of the kernel, as the routes are.
 */
int pci_intx_vector(struct pci_dev *d)
{
	unsigned long flags;
	int gsi, vector, err = 0;

	if (!d->irq_pin || d->irq_pin > 4) {
		pr_err("pci %s: no INTx pin (interrupt pin %u)", pci_location(d), d->irq_pin);
		return -ENODEV;
	}
	gsi = intx_gsi(d);
	if (gsi < 0 || gsi >= INTX_MAX_GSI) {
		pr_err("pci %s: interrupt line %u was not routed by firmware", pci_location(d),
		       d->irq_line);
		return -ENODEV;
	}
	spin_lock_irqsave(&intx_lock, flags);
	vector = intx_vectors[gsi];
	if (!vector) {
		vector = irq_alloc_vector();
		if (vector >= 0) {
			err = gsi < ISA_IRQS ? ioapic_route_isa((u8)gsi, (u8)vector)
					     : ioapic_route((u32)gsi, (u8)vector, true, false);
			if (err < 0)
				irq_free_vector(vector);
			else
				intx_vectors[gsi] = vector;
		}
	}
	spin_unlock_irqrestore(&intx_lock, flags);
	if (vector < 0)
		return vector;
	if (err < 0)
		return err;
	d->intx_gsi = gsi;
	return vector;
}
