/* SPDX-License-Identifier: MIT */
/*
 * The simulated PCI bus behind include/kernel/io.h: see sim_pci.h.
 *
 * It follows PCI Local Bus 3.0 where the drivers depend on it: BAR sizing
 * (all ones written, the size mask read back, the address restored),
 * read-only identity and capability bytes, a write-one-to-clear status
 * register that ignores writes, the command register's decode, bus master
 * and INTx-disable bits, and MSI-X (6.8.2): enable and function mask in the
 * message control word, a table of address/data/vector-control entries in a
 * BAR, and a pending bit for a message raised while masked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel/io.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"
#include "tests/unit/sim_pci.h"

/* The host platform's interrupt flag (tests/unit/host_platform.c). */
extern int host_irq_disabled;

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc
#define SIM_IO_BASE 0xc000
#define SIM_VECTOR_FIRST 0x30
#define SIM_VECTOR_LAST 0xdf
#define SIM_MAX_ACTIONS 64

#define MSIX_FLAGS 2
#define MSIX_FLAGS_ENABLE 0x8000
#define MSIX_FLAGS_MASKALL 0x4000
#define MSIX_TABLE 4
#define MSIX_PBA 8
#define MSIX_ENTRY_SIZE 16
#define MSIX_ENTRY_DATA 8
#define MSIX_ENTRY_CTRL 12

static struct sim_pci_fn *slots[SIM_PCI_SLOTS];
static u32 config_address;
static u16 next_port = SIM_IO_BASE;

struct sim_action {
	int vector;
	irq_handler_t handler;
	void *data;
};
static struct sim_action actions[SIM_MAX_ACTIONS];
static bool vector_allocated[256];
static bool vector_pending[256];
/* The vector each ISA interrupt line is routed to, -1: none. */
static int isa_route[16];

static bool (*device_step)(void);
u64 sim_idle_ns = 10 * NSEC_PER_USEC;
u64 sim_relax_ns = NSEC_PER_USEC;
bool sim_lenient;

static void fatal(const char *fmt, unsigned long a, unsigned long b)
{
	fprintf(stderr, "sim_pci: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n");
	abort();
}

void sim_pci_reset(void)
{
	for (unsigned s = 0; s < SIM_PCI_SLOTS; s++) {
		struct sim_pci_fn *fn = slots[s];
		if (!fn)
			continue;
		for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
			struct sim_bar *b = &fn->bar[i];
			/* A BAR below a page keeps its whole page mapped. */
			if (b->size && !b->io)
				munmap(b->mem, b->size < 4096 ? 4096 : b->size);
		}
		free(fn);
		slots[s] = NULL;
	}
	config_address = 0;
	next_port = SIM_IO_BASE;
	memset(actions, 0, sizeof(actions));
	memset(vector_allocated, 0, sizeof(vector_allocated));
	memset(vector_pending, 0, sizeof(vector_pending));
	for (unsigned i = 0; i < 16; i++)
		isa_route[i] = -1;
	device_step = NULL;
	sim_idle_ns = 10 * NSEC_PER_USEC;
	sim_relax_ns = NSEC_PER_USEC;
}

static void put16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static void put32(u8 *p, u32 v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (u8)(v >> (8 * i));
}

static u32 get32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

struct sim_pci_fn *sim_pci_add(u8 slot, u16 vendor, u16 device, u16 subsys_vendor,
			       u16 subsys_device, u32 class_rev)
{
	struct sim_pci_fn *fn;

	if (slot >= SIM_PCI_SLOTS || slots[slot])
		fatal("slot %lu is taken or out of range%lu", slot, 0);
	fn = calloc(1, sizeof(*fn));
	if (!fn)
		abort();
	fn->slot = slot;
	put16(fn->cfg + PCI_VENDOR_ID, vendor);
	put16(fn->cfg + PCI_DEVICE_ID, device);
	put32(fn->cfg + PCI_REVISION_ID, class_rev);
	fn->cfg[PCI_HEADER_TYPE] = 0;
	put16(fn->cfg + PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	put16(fn->cfg + PCI_SUBSYSTEM_ID, subsys_device);
	fn->next_cap_off = 0x40;
	slots[slot] = fn;
	return fn;
}

void sim_pci_set_bar(struct sim_pci_fn *fn, unsigned i, u64 size, bool io, bool is64)
{
	struct sim_bar *b = &fn->bar[i];
	u8 *reg = fn->cfg + PCI_BASE_ADDRESS_0 + 4 * i;

	if (i >= PCI_MAX_BARS || (is64 && i + 1 >= PCI_MAX_BARS) || !size || (size & (size - 1)))
		fatal("bad BAR %lu of size %#lx", i, (unsigned long)size);
	b->size = size;
	b->io = io;
	b->is64 = is64 && !io;
	if (io) {
		next_port = (u16)((next_port + size - 1) & ~(size - 1));
		b->port = next_port;
		next_port = (u16)(next_port + size);
		put32(reg, (u32)b->port | 1);
		return;
	}
	/*
	 * A BAR is naturally aligned (its address a multiple of its size), and
	 * a 32-bit one lies below 4 GiB: map twice the size low enough, then
	 * give back what the aligned window does not use.
	 */
	size_t map = size < 4096 ? 8192 : (size_t)size * 2;
	u8 *p = mmap(NULL, map, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | (is64 ? 0 : MAP_32BIT), -1, 0);
	if (p == MAP_FAILED)
		fatal("no memory for a BAR of %#lx bytes%lu", (unsigned long)size, 0);
	uintptr_t start = ((uintptr_t)p + size - 1) & ~(uintptr_t)(size - 1);
	size_t keep = size < 4096 ? 4096 : size;
	if (start > (uintptr_t)p)
		munmap(p, start - (uintptr_t)p);
	if ((uintptr_t)p + map > start + keep)
		munmap((void *)(start + keep), (uintptr_t)p + map - (start + keep));
	b->mem = (u8 *)start;
	put32(reg, (u32)start | (b->is64 ? 0x4 : 0));
	if (b->is64)
		put32(reg + 4, (u32)((u64)start >> 32));
}

u8 sim_pci_add_cap(struct sim_pci_fn *fn, u8 id, const void *body, u8 len)
{
	u8 off = fn->next_cap_off;

	if (len < 2 || off + len > 256)
		fatal("capability of %lu bytes does not fit at %#lx", len, off);
	fn->cfg[off] = id;
	fn->cfg[off + 1] = 0;
	if (body && len > 2)
		memcpy(fn->cfg + off + 2, body, len - 2u);
	if (fn->last_cap)
		fn->cfg[fn->last_cap + 1] = off;
	else
		fn->cfg[PCI_CAPABILITY_LIST] = off;
	fn->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	fn->last_cap = off;
	fn->next_cap_off = (u8)((off + len + 3) & ~3);
	return off;
}

void sim_pci_add_msix(struct sim_pci_fn *fn, unsigned entries, unsigned bar, u32 table_off,
		      u32 pba_off)
{
	u8 body[10];

	put16(body, (u16)(entries - 1));
	put32(body + 2, table_off | bar);
	put32(body + 6, pba_off | bar);
	fn->msix_cap = sim_pci_add_cap(fn, PCI_CAP_ID_MSIX, body, 12);
	/* Every entry starts masked (PCI 3.0, 6.8.2.9). */
	for (unsigned i = 0; i < entries; i++)
		put32(fn->bar[bar].mem + table_off + i * MSIX_ENTRY_SIZE + MSIX_ENTRY_CTRL, 1);
}

void sim_pci_set_intx(struct sim_pci_fn *fn, u8 line)
{
	fn->cfg[PCI_INTERRUPT_LINE] = line;
	fn->cfg[PCI_INTERRUPT_PIN] = 1;
}

u16 sim_pci_command(const struct sim_pci_fn *fn)
{
	return (u16)(fn->cfg[PCI_COMMAND] | fn->cfg[PCI_COMMAND + 1] << 8);
}

bool sim_pci_msix_enabled(const struct sim_pci_fn *fn)
{
	return fn->msix_cap &&
	       (fn->cfg[fn->msix_cap + MSIX_FLAGS + 1] << 8 & MSIX_FLAGS_ENABLE) != 0;
}

/* ------------------------------------------------------------------------
 * Configuration space
 */

static struct sim_pci_fn *addressed_fn(void)
{
	u32 bus = (config_address >> 16) & 0xff, slot = (config_address >> 11) & 0x1f,
	    func = (config_address >> 8) & 0x7;

	if (!(config_address & 0x80000000u) || bus || func || slot >= SIM_PCI_SLOTS)
		return NULL;
	return slots[slot];
}

static u32 cfg_read(unsigned byte, unsigned size)
{
	struct sim_pci_fn *fn = addressed_fn();
	u32 off = (config_address & 0xfc) + byte, v = 0;

	if (!fn)
		return size == 4 ? 0xffffffffu : size == 2 ? 0xffff : 0xff;
	for (unsigned i = 0; i < size; i++)
		v |= (u32)fn->cfg[off + i] << (8 * i);
	return v;
}

/* A BAR register after the driver wrote @v: the address bits the size allows. */
static void bar_reg_write(struct sim_pci_fn *fn, unsigned reg, u32 v)
{
	u8 *p = fn->cfg + PCI_BASE_ADDRESS_0 + 4 * reg;
	struct sim_bar *b = &fn->bar[reg];

	if (b->size) {
		if (b->io)
			put32(p, (v & ~(u32)(b->size - 1) & ~3u) | 1);
		else
			put32(p, (v & ~(u32)(b->size - 1) & ~0xfu) | (b->is64 ? 0x4 : 0));
	} else if (reg > 0 && fn->bar[reg - 1].is64) {
		put32(p, v & ~(u32)((fn->bar[reg - 1].size - 1) >> 32));
	} else {
		put32(p, 0);
	}
}

static void cfg_write(unsigned byte, unsigned size, u32 v)
{
	struct sim_pci_fn *fn = addressed_fn();
	u32 off = (config_address & 0xfc) + byte;

	if (!fn)
		return;
	if (off >= PCI_BASE_ADDRESS_0 && off < PCI_BASE_ADDRESS_0 + 4 * PCI_MAX_BARS) {
		if (size != 4 || off % 4)
			fatal("BAR register %#lx written with %lu bytes", off, size);
		bar_reg_write(fn, (off - PCI_BASE_ADDRESS_0) / 4, v);
		return;
	}
	for (unsigned i = 0; i < size; i++) {
		u32 o = off + i;
		u8 b = (u8)(v >> (8 * i));
		if (o == PCI_COMMAND || o == PCI_COMMAND + 1 || o == PCI_INTERRUPT_LINE)
			fn->cfg[o] = b;
		else if (fn->msix_cap && o == fn->msix_cap + MSIX_FLAGS + 1u)
			fn->cfg[o] = (u8)((fn->cfg[o] & 0x3f) | (b & 0xc0));
		/* Everything else is read-only or write-one-to-clear: ignored. */
	}
	if (fn->ops && fn->ops->cfg_written)
		fn->ops->cfg_written(fn, (u16)off, size);
}

/* ------------------------------------------------------------------------
 * Port I/O and MMIO
 */

static struct sim_pci_fn *port_fn(u16 port, unsigned size, unsigned *bar, u32 *off)
{
	for (unsigned s = 0; s < SIM_PCI_SLOTS; s++) {
		struct sim_pci_fn *fn = slots[s];
		for (unsigned i = 0; fn && i < PCI_MAX_BARS; i++) {
			struct sim_bar *b = &fn->bar[i];
			if (b->size && b->io && port >= b->port &&
			    port + size <= b->port + b->size) {
				*bar = i;
				*off = port - b->port;
				return fn;
			}
		}
	}
	fatal("port access at %#lx (%lu bytes) outside every I/O BAR", port, size);
	return NULL;
}

static u32 port_read(u16 port, unsigned size)
{
	unsigned bar;
	u32 off, v = 0;

	if (port >= CONFIG_DATA && port + size <= CONFIG_DATA + 4)
		return cfg_read(port - CONFIG_DATA, size);
	struct sim_pci_fn *fn = port_fn(port, size, &bar, &off);
	if (!(sim_pci_command(fn) & PCI_COMMAND_IO))
		return size == 4 ? 0xffffffffu : size == 2 ? 0xffff : 0xff;
	if (!fn->ops || !fn->ops->bar_read || !fn->ops->bar_read(fn, bar, off, size, &v))
		v = 0;
	return v;
}

static void port_write(u16 port, unsigned size, u32 v)
{
	unsigned bar;
	u32 off;

	if (port == CONFIG_ADDRESS && size == 4) {
		config_address = v;
		return;
	}
	if (port >= CONFIG_DATA && port + size <= CONFIG_DATA + 4) {
		cfg_write(port - CONFIG_DATA, size, v);
		return;
	}
	struct sim_pci_fn *fn = port_fn(port, size, &bar, &off);
	if (!(sim_pci_command(fn) & PCI_COMMAND_IO))
		return;
	if (fn->ops && fn->ops->bar_write)
		fn->ops->bar_write(fn, bar, off, size, v);
}

u8 inb(u16 port)
{
	return (u8)port_read(port, 1);
}

u16 inw(u16 port)
{
	return (u16)port_read(port, 2);
}

u32 inl(u16 port)
{
	return port_read(port, 4);
}

void outb(u16 port, u8 v)
{
	port_write(port, 1, v);
}

void outw(u16 port, u16 v)
{
	port_write(port, 2, v);
}

void outl(u16 port, u32 v)
{
	port_write(port, 4, v);
}

static struct sim_pci_fn *mmio_fn(const volatile void *a, unsigned size, unsigned *bar, u32 *off)
{
	uintptr_t p = (uintptr_t)a;

	for (unsigned s = 0; s < SIM_PCI_SLOTS; s++) {
		struct sim_pci_fn *fn = slots[s];
		for (unsigned i = 0; fn && i < PCI_MAX_BARS; i++) {
			struct sim_bar *b = &fn->bar[i];
			if (b->size && !b->io && p >= (uintptr_t)b->mem &&
			    p + size <= (uintptr_t)b->mem + b->size) {
				*bar = i;
				*off = (u32)(p - (uintptr_t)b->mem);
				return fn;
			}
		}
	}
	fatal("MMIO access at %#lx (%lu bytes) outside every memory BAR", p, size);
	return NULL;
}

static u32 mmio_read(const volatile void *a, unsigned size)
{
	unsigned bar;
	u32 off, v = 0;
	struct sim_pci_fn *fn = mmio_fn(a, size, &bar, &off);

	if ((uintptr_t)a % size)
		fatal("unaligned %lu-byte MMIO read at %#lx", size, (uintptr_t)a);
	if (!(sim_pci_command(fn) & PCI_COMMAND_MEMORY))
		return size == 4 ? 0xffffffffu : size == 2 ? 0xffff : 0xff;
	if (fn->ops && fn->ops->bar_read && fn->ops->bar_read(fn, bar, off, size, &v))
		return v;
	memcpy(&v, (const void *)a, size);
	return v;
}

static void mmio_write(volatile void *a, unsigned size, u32 v)
{
	unsigned bar;
	u32 off;
	struct sim_pci_fn *fn = mmio_fn(a, size, &bar, &off);

	if ((uintptr_t)a % size)
		fatal("unaligned %lu-byte MMIO write at %#lx", size, (uintptr_t)a);
	if (!(sim_pci_command(fn) & PCI_COMMAND_MEMORY))
		return;
	if (fn->ops && fn->ops->bar_write && fn->ops->bar_write(fn, bar, off, size, v))
		return;
	memcpy((void *)a, &v, size);
}

u8 readb(const volatile void *a)
{
	return (u8)mmio_read(a, 1);
}

u16 readw(const volatile void *a)
{
	return (u16)mmio_read(a, 2);
}

u32 readl(const volatile void *a)
{
	return mmio_read(a, 4);
}

void writeb(u8 v, volatile void *a)
{
	mmio_write(a, 1, v);
}

void writew(u16 v, volatile void *a)
{
	mmio_write(a, 2, v);
}

void writel(u32 v, volatile void *a)
{
	mmio_write(a, 4, v);
}

/* Spinning on a register: time passes on the fake clock too. */
void cpu_relax(void)
{
	host_advance_ns(sim_relax_ns);
}

void *ioremap(phys_addr_t phys, size_t size)
{
	return (void *)(uintptr_t)phys;
}

/* ------------------------------------------------------------------------
 * Interrupts
 */

int irq_alloc_vector(void)
{
	for (int v = SIM_VECTOR_FIRST; v <= SIM_VECTOR_LAST; v++) {
		if (!vector_allocated[v]) {
			vector_allocated[v] = true;
			return v;
		}
	}
	return -ENOSPC;
}

void irq_free_vector(int vector)
{
	if (vector >= SIM_VECTOR_FIRST && vector <= SIM_VECTOR_LAST && !sim_irq_handlers(vector))
		vector_allocated[vector] = false;
}

int request_irq(int vector, irq_handler_t handler, void *data, const char *name)
{
	if (vector < SIM_VECTOR_FIRST || vector > 0xfe || !handler)
		return -EINVAL;
	if (!vector_allocated[vector])
		fatal("request_irq on vector %#lx, which was never allocated%lu", vector, 0);
	for (unsigned i = 0; i < SIM_MAX_ACTIONS; i++) {
		if (!actions[i].handler) {
			actions[i] = (struct sim_action){vector, handler, data};
			return 0;
		}
	}
	return -ENOSPC;
}

void free_irq(int vector, void *data)
{
	for (unsigned i = 0; i < SIM_MAX_ACTIONS; i++) {
		if (actions[i].handler && actions[i].vector == vector && actions[i].data == data) {
			actions[i].handler = NULL;
			return;
		}
	}
}

unsigned sim_irq_handlers(int vector)
{
	unsigned n = 0;

	for (unsigned i = 0; i < SIM_MAX_ACTIONS; i++)
		n += actions[i].handler && actions[i].vector == vector;
	return n;
}

unsigned sim_irq_vectors_in_use(void)
{
	unsigned n = 0;

	for (unsigned v = 0; v < 256; v++)
		n += vector_allocated[v];
	return n;
}

u64 msi_address(unsigned cpu)
{
	/* One simulated CPU receives every interrupt, whichever CPU is asked for. */
	return SIM_MSI_ADDRESS;
}

u32 msi_data(u8 vector)
{
	return vector;
}

int ioapic_route(u32 gsi, u8 vector, bool level, bool active_low)
{
	if (gsi < 16)
		isa_route[gsi] = vector;
	return 0;
}

int ioapic_route_isa(u8 irq, u8 vector)
{
	if (irq >= 16)
		return -ENODEV;
	isa_route[irq] = vector;
	return irq;
}

/* Whether the MSI-X table and PBA the capability names lie inside memory BARs. */
static bool msix_in_bars(const struct sim_pci_fn *fn)
{
	const u8 *cap = fn->cfg + fn->msix_cap;
	u16 entries = (u16)((cap[MSIX_FLAGS] | cap[MSIX_FLAGS + 1] << 8) & 0x7ff) + 1;
	u32 table = get32(cap + MSIX_TABLE), pba = get32(cap + MSIX_PBA);
	const struct sim_bar *tb = &fn->bar[table & 7], *pb = &fn->bar[pba & 7];

	return (table & 7) < PCI_MAX_BARS && (pba & 7) < PCI_MAX_BARS && tb->size && !tb->io &&
	       pb->size && !pb->io &&
	       (u64)(table & ~7u) + (u64)entries * MSIX_ENTRY_SIZE <= tb->size &&
	       (u64)(pba & ~7u) + (entries + 7u) / 8 <= pb->size;
}

bool sim_pci_raise_msix(struct sim_pci_fn *fn, unsigned entry)
{
	u8 *cap = fn->cfg + fn->msix_cap;
	u16 flags = (u16)(cap[MSIX_FLAGS] | cap[MSIX_FLAGS + 1] << 8);
	u32 table = get32(cap + MSIX_TABLE), pba = get32(cap + MSIX_PBA);
	struct sim_bar *b = &fn->bar[table & 7];
	u8 *e;

	if (!fn->msix_cap || !(flags & MSIX_FLAGS_ENABLE) || entry > (flags & 0x7ffu) ||
	    !msix_in_bars(fn))
		return false;
	/* A message is a memory write: no bus mastering, no message. */
	if (!(sim_pci_command(fn) & PCI_COMMAND_MASTER))
		return false;
	e = b->mem + (table & ~7u) + entry * MSIX_ENTRY_SIZE;
	if ((flags & MSIX_FLAGS_MASKALL) || (get32(e + MSIX_ENTRY_CTRL) & 1)) {
		fn->bar[pba & 7].mem[(pba & ~7u) + entry / 8] |= (u8)(1u << (entry % 8));
		return false;
	}
	if ((get32(e) != (u32)SIM_MSI_ADDRESS || get32(e + 4) != 0) && !sim_lenient)
		fatal("MSI-X entry %lu has address %#lx, not the LAPIC's", entry, get32(e));
	vector_pending[get32(e + MSIX_ENTRY_DATA) & 0xff] = true;
	return true;
}

void sim_pci_set_intx_level(struct sim_pci_fn *fn, bool asserted)
{
	fn->intx_asserted = asserted;
}

/* The vector an asserted INTx pin reaches, or -1 while it is held off. */
static int intx_vector(const struct sim_pci_fn *fn)
{
	u8 line = fn->cfg[PCI_INTERRUPT_LINE];

	if (!fn->intx_asserted || sim_pci_msix_enabled(fn) ||
	    (sim_pci_command(fn) & PCI_COMMAND_INTX_DISABLE) || line >= 16)
		return -1;
	return isa_route[line];
}

/* A message held back while masked goes out once it is unmasked (6.8.2.10). */
static void msix_send_pending(struct sim_pci_fn *fn)
{
	u8 *cap = fn->cfg + fn->msix_cap;
	u16 flags = (u16)(cap[MSIX_FLAGS] | cap[MSIX_FLAGS + 1] << 8);
	u32 pba = get32(cap + MSIX_PBA);
	u8 *bits;

	if (!fn->msix_cap || !(flags & MSIX_FLAGS_ENABLE) || (flags & MSIX_FLAGS_MASKALL) ||
	    !msix_in_bars(fn))
		return;
	bits = fn->bar[pba & 7].mem + (pba & ~7u);
	for (unsigned e = 0; e <= (flags & 0x7ffu); e++) {
		if (bits[e / 8] & (1u << (e % 8))) {
			bits[e / 8] &= (u8) ~(1u << (e % 8));
			sim_pci_raise_msix(fn, e);
		}
	}
}

static void run_handlers(int vector)
{
	int saved = host_irq_disabled;

	host_irq_disabled = 1;
	host_irq_depth++;
	for (unsigned i = 0; i < SIM_MAX_ACTIONS; i++) {
		if (actions[i].handler && actions[i].vector == vector)
			actions[i].handler(vector, actions[i].data);
	}
	host_irq_depth--;
	host_irq_disabled = saved;
}

unsigned sim_irq_deliver(void)
{
	bool run[256] = {false};
	unsigned n = 0;

	if (host_irq_disabled)
		return 0;
	for (unsigned s = 0; s < SIM_PCI_SLOTS; s++) {
		int v = slots[s] ? intx_vector(slots[s]) : -1;
		if (v >= 0)
			run[v] = true;
		if (slots[s])
			msix_send_pending(slots[s]);
	}
	for (unsigned v = 0; v < 256; v++) {
		if (vector_pending[v])
			run[v] = true;
		vector_pending[v] = false;
	}
	/* Each vector once: a line the handler cannot quiet does not loop here. */
	for (unsigned v = 0; v < 256; v++) {
		if (run[v]) {
			run_handlers((int)v);
			n++;
		}
	}
	return n;
}

void sim_set_device_step(bool (*step)(void))
{
	device_step = step;
}

/*
 * Spinning (spin_until): the devices work meanwhile and their interrupts
 * arrive, as on a real CPU that does not halt; a microsecond passes.
 */
void platform_relax(void)
{
	if (device_step)
		device_step();
	sim_irq_deliver();
	host_advance_ns(NSEC_PER_USEC);
}

/*
 * Halting until an interrupt: devices get to work, their interrupts are
 * delivered, and time passes, so the driver's timers expire in the end.
 */
void cpu_idle_once(void)
{
	if (device_step)
		device_step();
	sim_irq_deliver();
	host_advance_ns(sim_idle_ns);
}
