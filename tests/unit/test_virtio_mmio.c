// SPDX-License-Identifier: MIT
/*
 * Host unit tests for the virtio-mmio transport (drivers/virtio_mmio.c),
 * through the transport-independent virtio core (drivers/virtio.c).
 *
 * The device is a simulated register file (virtio 1.1 §4.2.2, and §4.2.4
 * for version 1): the transport's MMIO loads and stores land here, in this
 * file's readl/writel, which keep the device's state as QEMU's virtio-mmio
 * does and check the driver's side of the protocol (a queue set up only
 * while it is not in use, a legacy page size before any queue). It can
 * also lie: a wrong magic value or version, a queue already live, a
 * configuration generation that never settles. The command line's
 * virtio_mmio.device= words are parsed, malformed ones refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/virtio.h"
#include "drivers/virtio_mmio.h"
#include "kernel/io.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"

/* ========================================================================
 * The simulated device
 */

#define WINDOW 512
#define NQUEUES 4

struct sim_queue {
	u32 num_max, num, ready, pfn, align;
	u64 desc, avail, used;
};

static struct sim {
	u8 regs[WINDOW]; /* only the configuration part is kept as bytes */
	u32 magic, version, device_id;
	u64 host_features, guest_features;
	u32 host_sel, guest_sel;
	u32 page_size;
	u32 queue_sel;
	struct sim_queue q[NQUEUES];
	u32 status;
	u32 isr;
	u32 generation;
	bool generation_moves; /* bump on every read: never settles */
	unsigned notifies[NQUEUES];
	unsigned acks;
	bool queue_live_before; /* QueueReady/QueuePFN reads 1 before set-up */
} sim;

static bool in_window(const volatile void *a)
{
	return (const u8 *)a >= sim.regs && (const u8 *)a < sim.regs + WINDOW;
}

static u32 sim_read(u32 off)
{
	struct sim_queue *q = &sim.q[sim.queue_sel % NQUEUES];

	switch (off) {
	case 0x000:
		return sim.magic;
	case 0x004:
		return sim.version;
	case 0x008:
		return sim.device_id;
	case 0x00c:
		return 0x554d4551;
	case 0x010:
		/* A legacy device has no features above bit 31. */
		if (sim.version == 1 && sim.host_sel)
			return 0;
		return (u32)(sim.host_features >> (32 * (sim.host_sel & 1)));
	case 0x034:
		return q->num_max;
	case 0x040:
		return sim.queue_live_before ? 1 : q->pfn;
	case 0x044:
		return sim.queue_live_before ? 1 : q->ready;
	case 0x060:
		return sim.isr;
	case 0x070:
		return sim.status;
	case 0x0fc:
		return sim.generation_moves ? sim.generation++ : sim.generation;
	default:
		fail_msg("read of register %#x", off);
		return 0;
	}
}

static void sim_write(u32 off, u32 v)
{
	struct sim_queue *q = &sim.q[sim.queue_sel % NQUEUES];

	switch (off) {
	case 0x014:
		sim.host_sel = v;
		break;
	case 0x020:
		if (sim.guest_sel)
			sim.guest_features = (sim.guest_features & 0xffffffffull) | (u64)v << 32;
		else
			sim.guest_features = (sim.guest_features & ~0xffffffffull) | v;
		break;
	case 0x024:
		sim.guest_sel = v;
		break;
	case 0x028:
		assert_int_equal(sim.version, 1);
		sim.page_size = v;
		break;
	case 0x030:
		sim.queue_sel = v;
		break;
	case 0x038:
		assert_true(v <= q->num_max);
		q->num = v;
		break;
	case 0x03c:
		q->align = v;
		break;
	case 0x040:
		assert_int_equal(sim.version, 1);
		/* §4.2.4: the page size comes first. */
		assert_int_not_equal(sim.page_size, 0);
		q->pfn = v;
		break;
	case 0x044:
		assert_int_equal(sim.version, 2);
		q->ready = v;
		break;
	case 0x050:
		assert_true(v < NQUEUES);
		sim.notifies[v]++;
		break;
	case 0x064:
		sim.isr &= ~v;
		sim.acks++;
		break;
	case 0x070:
		sim.status = v;
		if (!v) { /* reset: the device forgets its queues (§4.2.2.1) */
			memset(sim.q, 0, sizeof(sim.q));
			for (unsigned i = 0; i < NQUEUES; i++)
				sim.q[i].num_max = 256;
			sim.page_size = 0;
		}
		/* FEATURES_OK kept only for the features offered. */
		if ((v & VIRTIO_CONFIG_S_FEATURES_OK) && (sim.guest_features & ~sim.host_features))
			sim.status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
		break;
	case 0x080:
	case 0x084:
	case 0x090:
	case 0x094:
	case 0x0a0:
	case 0x0a4: {
		u64 *field = off < 0x090 ? &q->desc : off < 0x0a0 ? &q->avail : &q->used;
		if (off & 4)
			*field = (*field & 0xffffffffull) | (u64)v << 32;
		else
			*field = (*field & ~0xffffffffull) | v;
		break;
	}
	default:
		fail_msg("write of register %#x", off);
	}
}

u32 readl(const volatile void *a)
{
	if (in_window(a))
		return sim_read((u32)((const u8 *)a - sim.regs));
	return *(const volatile u32 *)a;
}

u8 readb(const volatile void *a)
{
	/* Only the configuration space is read a byte at a time. */
	assert_true(in_window(a));
	assert_true((const u8 *)a - sim.regs >= 0x100);
	return *(const volatile u8 *)a;
}

u16 readw(const volatile void *a)
{
	fail_msg("readw");
	return 0;
}

void writel(u32 v, volatile void *a)
{
	assert_true(in_window(a));
	sim_write((u32)((u8 *)a - sim.regs), v);
}

void writeb(u8 v, volatile void *a)
{
	fail_msg("writeb");
}

void writew(u16 v, volatile void *a)
{
	fail_msg("writew");
}

u8 inb(u16 port)
{
	return 0xff;
}

u16 inw(u16 port)
{
	return 0xffff;
}

u32 inl(u16 port)
{
	return 0xffffffff;
}

void outb(u16 port, u8 v)
{
}

void outw(u16 port, u16 v)
{
}

void outl(u16 port, u32 v)
{
}

void cpu_relax(void)
{
	host_advance_ns(NSEC_PER_USEC);
}

/* The command line names the window by its bus address; here, the register file. */
static phys_addr_t mapped_phys;
void *ioremap(phys_addr_t phys, size_t size)
{
	mapped_phys = phys;
	return phys == 0xfeb00e00 ? sim.regs : NULL;
}

static irq_handler_t handler;
static void *handler_data;
static int routed_gsi = -1;
static bool routed_level;

int irq_alloc_vector(void)
{
	return 48;
}

void irq_free_vector(int vector)
{
}

int request_irq(int vector, irq_handler_t h, void *data, const char *name)
{
	handler = h;
	handler_data = data;
	return 0;
}

void free_irq(int vector, void *data)
{
	handler = NULL;
}

int ioapic_route(u32 gsi, u8 vector, bool level, bool active_low)
{
	routed_gsi = (int)gsi;
	routed_level = level && !active_low;
	return gsi < 48 ? 0 : -ENODEV;
}

int ioapic_route_isa(u8 irq, u8 vector)
{
	return irq;
}

u64 msi_address(unsigned cpu)
{
	return 0;
}

u32 msi_data(u8 vector)
{
	return vector;
}

/*
 * Rings in host memory, given to the device at bus addresses below 16 TiB,
 * as a legacy device needs (one 32-bit page number): the device here never
 * touches ring memory, so the addresses only have to be distinct and
 * aligned as the ring asked.
 */
static phys_addr_t next_bus = 0x10000000;

void *dma_alloc(size_t size, size_t align, phys_addr_t *phys)
{
	void *p;

	if (posix_memalign(&p, PAGE_SIZE, size ? size : 1))
		return NULL;
	memset(p, 0, size);
	host_live_dma++;
	next_bus = ALIGN_UP(next_bus, (phys_addr_t)MAX(align, (size_t)PAGE_SIZE));
	*phys = next_bus;
	next_bus += ALIGN_UP(size, PAGE_SIZE);
	return p;
}

void dma_free(void *p, size_t size)
{
	if (!p)
		return;
	free(p);
	host_live_dma--;
}

/* ========================================================================
 * Fixture
 */

static void sim_init(u32 version)
{
	memset(&sim, 0, sizeof(sim));
	sim.magic = 0x74726976;
	sim.version = version;
	sim.device_id = VIRTIO_ID_BLOCK;
	sim.host_features = (1ull << VIRTIO_RING_F_EVENT_IDX) | 0x6e54;
	if (version == 2)
		sim.host_features |= 1ull << VIRTIO_F_VERSION_1;
	for (unsigned i = 0; i < NQUEUES; i++)
		sim.q[i].num_max = 256;
	for (unsigned i = 0x100; i < WINDOW; i++)
		sim.regs[i] = (u8)i;
}

static struct virtio_device vdev;
static unsigned callbacks;

static void cb(struct virtqueue *vq)
{
	callbacks++;
}

static bool log_has(const char *s)
{
	return strstr(host_log, s) != NULL;
}

static int setup(void **state)
{
	host_platform_reset();
	host_printk_quiet = true;
	virtio_mmio_forget();
	memset(&vdev, 0, sizeof(vdev));
	strcpy(vdev.name, "vda");
	handler = NULL;
	routed_gsi = -1;
	callbacks = 0;
	return 0;
}

static int teardown(void **state)
{
	if (vdev.vqs)
		virtio_del_vqs(&vdev);
	assert_int_equal(host_live_allocs, 0);
	assert_int_equal(host_live_dma, 0);
	return 0;
}

/* ========================================================================
 * The command line's words
 */

static void test_parse_good_words(void **state)
{
	struct virtio_mmio_desc d;

	assert_int_equal(virtio_mmio_parse("512@0xfeb00e00:12", &d), 0);
	assert_int_equal(d.phys, 0xfeb00e00);
	assert_int_equal(d.size, 512);
	assert_int_equal(d.irq, 12);
	assert_int_equal(virtio_mmio_parse("4k@0x10000:47:3", &d), 0);
	assert_int_equal(d.size, 4096);
	assert_int_equal(d.irq, 47);
	assert_int_equal(virtio_mmio_parse("0x200@4096:5", &d), 0);
	assert_int_equal(d.phys, 4096);
	assert_int_equal(d.size, 512);
}

static void test_parse_bad_words(void **state)
{
	static const char *const shape[] = {
		"",
		"lots",
		"512",
		"512@0xfeb00e00",
		"@0xfeb00e00:12",
		"512@:12",
		"512@0xfeb00e00:",
		"512@0xfeb00e00:12:",
		"512@0xfeb00e00:12:x",
		"512x@0xfeb00e00:12",
		"512@0xfeb00e00:twelve",
		"512@0xfeb00e00:12:3:4",
		"512@0xfeb00e0000000000000000000000000000000000000000000000000:12",
	};
	static const char *const range[] = {
		"255@0xfeb00e00:12",	     /* smaller than the registers */
		"512@0xfffffffffffffff0:12", /* wraps */
		"512@0xfeb00e00:256",	     /* no such IRQ */
	};
	struct virtio_mmio_desc d;

	for (unsigned i = 0; i < ARRAY_SIZE(shape); i++)
		assert_int_equal(virtio_mmio_parse(shape[i], &d), -EINVAL);
	for (unsigned i = 0; i < ARRAY_SIZE(range); i++)
		assert_int_equal(virtio_mmio_parse(range[i], &d), -ERANGE);
}

/* A refused word names itself; the others are kept. */
static void test_add_refuses_by_name(void **state)
{
	assert_int_equal(virtio_mmio_add("512@0xfeb00e00:12"), 0);
	assert_int_equal(virtio_mmio_add("lots"), -EINVAL);
	assert_true(log_has("virtio_mmio.device=lots: expected SIZE@BASE:IRQ[:ID]"));
	assert_int_equal(virtio_mmio_add("16@0xfeb00000:5"), -ERANGE);
	assert_true(log_has("virtio_mmio.device=16@0xfeb00000:5: a window of at least 0x100"));
	assert_int_equal(virtio_mmio_add("512@0xfeb00f00:13"), -EEXIST);
	assert_true(log_has("virtio_mmio.device=512@0xfeb00f00:13: overlaps "
			    "virtio_mmio.device=512@0xfeb00e00:12"));
	/* The same device named twice (the command line and the DSDT): kept once. */
	assert_int_equal(virtio_mmio_add_window(0xfeb00e00, 512, 12, "ACPI device VR07"), -EEXIST);
	assert_int_equal(virtio_mmio_add("512@0xfeb01000:14"), 0);
	assert_int_equal(virtio_mmio_count(), 2);
	assert_int_equal(virtio_mmio_at(1)->irq, 14);
	assert_null(virtio_mmio_at(2));
}

/* ========================================================================
 * What is behind a window
 */

static void test_device_id_checks_magic_and_version(void **state)
{
	struct virtio_mmio_desc *d;

	assert_int_equal(virtio_mmio_add("512@0xfeb00e00:12"), 0);
	d = virtio_mmio_at(0);
	sim_init(2);
	assert_int_equal(virtio_mmio_device_id(d), VIRTIO_ID_BLOCK);
	assert_int_equal(mapped_phys, 0xfeb00e00);

	sim.magic = 0x12345678;
	assert_int_equal(virtio_mmio_device_id(d), 0);
	assert_true(log_has("virtio_mmio.device=512@0xfeb00e00:12: MagicValue 0x12345678 is not "
			    "\"virt\""));
	sim.magic = 0x74726976;
	sim.version = 3;
	assert_int_equal(virtio_mmio_device_id(d), 0);
	assert_true(log_has("Version 3 is neither 1 (legacy) nor 2"));
	/* DeviceID 0: an empty transport, passed over without a word. */
	sim.version = 2;
	sim.device_id = 0;
	host_log_len = 0;
	host_log[0] = '\0';
	assert_int_equal(virtio_mmio_device_id(d), 0);
	assert_int_equal(host_log_len, 0);
}

static void test_unmappable_window(void **state)
{
	assert_int_equal(virtio_mmio_add("512@0xfe000000:9"), 0);
	sim_init(2);
	assert_int_equal(virtio_mmio_device_id(virtio_mmio_at(0)), 0);
	assert_true(log_has("virtio_mmio.device=512@0xfe000000:9: the window cannot be mapped"));
}

/* ========================================================================
 * Probe, negotiation, queues, interrupts, configuration
 */

static void probe(u32 version)
{
	assert_int_equal(virtio_mmio_add("512@0xfeb00e00:12"), 0);
	sim_init(version);
	assert_int_equal(virtio_mmio_probe(virtio_mmio_at(0), &vdev), 0);
	assert_ptr_not_equal(vdev.ops, NULL);
}

static void test_modern_probe_and_queues(void **state)
{
	u8 cfg[8];

	probe(2);
	assert_true(vdev.modern);
	assert_int_equal(vdev.device_id, VIRTIO_ID_BLOCK);
	assert_int_equal(vdev.device_features, sim.host_features);
	assert_int_equal(sim.status, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	assert_int_equal(virtio_negotiate(&vdev, ~0ull), 0);
	assert_int_equal(sim.guest_features, sim.host_features);
	assert_true(sim.status & VIRTIO_CONFIG_S_FEATURES_OK);

	/* A split ring takes the largest power of two QueueNumMax allows. */
	sim.q[1].num_max = 300;
	assert_int_equal(virtio_find_vqs(&vdev, 2, 0, cb, NULL, 0, true, "vda"), 0);
	assert_int_equal(sim.q[0].num, 256);
	assert_int_equal(sim.q[1].num, 256);
	assert_int_equal(sim.q[0].ready, 1);
	assert_int_equal(sim.q[0].desc, virtqueue_get_desc_addr(vdev.vqs[0]));
	assert_int_equal(sim.q[0].avail, virtqueue_get_avail_addr(vdev.vqs[0]));
	assert_int_equal(sim.q[1].used, virtqueue_get_used_addr(vdev.vqs[1]));
	/* Level-triggered, active high, on the command line's IRQ. */
	assert_int_equal(routed_gsi, 12);
	assert_true(routed_level);

	/* Notify writes the queue's index. */
	assert_true(vdev.vqs[1]->notify(vdev.vqs[1]));
	assert_int_equal(sim.notifies[1], 1);

	/* The interrupt: InterruptStatus acknowledged, configuration changes counted. */
	assert_non_null(handler);
	sim.isr = 2;
	assert_int_equal(handler(48, handler_data), IRQ_HANDLED);
	assert_int_equal(sim.isr, 0);
	assert_int_equal(vdev.config_changes, 1);
	assert_int_equal(handler(48, handler_data), IRQ_NONE);

	/* Configuration reads from 0x100, with the generation settled. */
	assert_int_equal(virtio_cread(&vdev, 4, cfg, sizeof(cfg)), 0);
	assert_int_equal(cfg[0], 0x04);
	assert_int_equal(cfg[7], 0x0b);
	/* Past the window: zeroes. */
	assert_int_equal(virtio_cread(&vdev, 254, cfg, 4), 0);
	assert_int_equal(cfg[1], 0xff);
	assert_int_equal(cfg[2], 0);
	sim.generation_moves = true;
	assert_int_equal(virtio_cread(&vdev, 0, cfg, 4), -EIO);
	assert_true(log_has("vda: ConfigGeneration changed during each of"));
}

static void test_legacy_probe_and_queues(void **state)
{
	probe(1);
	assert_false(vdev.modern);
	assert_int_equal(sim.page_size, 4096);
	/* Only 32 feature bits, and no FEATURES_OK. */
	assert_int_equal(virtio_negotiate(&vdev, ~0ull), 0);
	assert_int_equal(vdev.features >> 32, 0);
	assert_false(sim.status & VIRTIO_CONFIG_S_FEATURES_OK);
	assert_int_equal(virtio_find_vqs(&vdev, 1, 0, cb, NULL, 0, true, "vda"), 0);
	assert_int_equal(sim.q[0].align, 4096);
	assert_int_equal((u64)sim.q[0].pfn << 12, virtqueue_get_desc_addr(vdev.vqs[0]));
	assert_int_equal(sim.q[0].num, 256);
	/* A reset forgets the page size; the transport gives it again. */
	assert_int_equal(virtio_reset(&vdev), 0);
	assert_int_equal(sim.page_size, 4096);
}

static void test_modern_packed_ring_any_size(void **state)
{
	probe(2);
	sim.host_features |= 1ull << VIRTIO_F_RING_PACKED;
	vdev.device_features = sim.host_features;
	assert_int_equal(virtio_negotiate(&vdev, ~0ull), 0);
	sim.q[0].num_max = 300;
	assert_int_equal(virtio_find_vqs(&vdev, 1, 0, cb, NULL, 0, true, "vda"), 0);
	assert_true(virtqueue_is_packed(vdev.vqs[0]));
	assert_int_equal(sim.q[0].num, 300);
}

static void test_queue_errors(void **state)
{
	probe(2);
	assert_int_equal(virtio_negotiate(&vdev, ~0ull), 0);
	sim.q[0].num_max = 0;
	assert_int_equal(virtio_find_vqs(&vdev, 1, 0, cb, NULL, 0, true, "vda"), -ENODEV);
	assert_true(log_has("vda: queue 0: QueueNumMax is 0 (queue not available)"));
	assert_null(vdev.vqs);
	sim.q[0].num_max = 65536;
	assert_int_equal(virtio_find_vqs(&vdev, 1, 0, cb, NULL, 0, true, "vda"), -EINVAL);
	assert_true(log_has("vda: queue 0: QueueNumMax 65536 is above 32768"));
	sim.q[0].num_max = 256;
	sim.queue_live_before = true;
	assert_int_equal(virtio_find_vqs(&vdev, 1, 0, cb, NULL, 0, true, "vda"), -EINVAL);
	assert_true(log_has("vda: queue 0: QueueReady is set before the queue was set up"));
}

/* A poll queue: no callback; a notification on the shared line leaves it alone. */
static void test_poll_queue_on_the_shared_line(void **state)
{
	char name[160];

	probe(2);
	assert_int_equal(virtio_negotiate(&vdev, ~0ull), 0);
	assert_int_equal(virtio_find_vqs(&vdev, 2, 1, cb, NULL, 0, true, "vda"), 0);
	assert_true(vdev.vqs[1]->polled);
	virtio_vq_irq_name(&vdev, 1, name, sizeof(name));
	assert_string_equal(name, "polled; virtio-mmio cannot make it interrupt-free (one line "
				  "for every queue)");
	virtio_vq_irq_name(&vdev, 0, name, sizeof(name));
	assert_string_equal(name, "IRQ 12, vector 48 (shared)");
	virtio_describe(&vdev, name, sizeof(name));
	assert_string_equal(name, "virtio-mmio 0xfeb00e00 (512 bytes), modern transport (version "
				  "2), IOAPIC IRQ 12 (one line for every queue)");
	sim.isr = 1;
	assert_int_equal(handler(48, handler_data), IRQ_HANDLED);
	assert_int_equal(vdev.vqs[1]->num_irqs, 0);
	assert_int_equal(vdev.vqs[0]->num_irqs, 1);
}

static void test_route_failure(void **state)
{
	assert_int_equal(virtio_mmio_add("512@0xfeb00e00:60"), 0);
	sim_init(2);
	assert_int_equal(virtio_mmio_probe(virtio_mmio_at(0), &vdev), 0);
	assert_int_equal(virtio_negotiate(&vdev, ~0ull), 0);
	assert_int_equal(virtio_find_vqs(&vdev, 1, 0, cb, NULL, 0, true, "vda"), -ENODEV);
	assert_true(log_has("vda: no IOAPIC input for IRQ 60"));
	assert_null(handler);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_parse_good_words),
		T(test_parse_bad_words),
		T(test_add_refuses_by_name),
		T(test_device_id_checks_magic_and_version),
		T(test_unmappable_window),
		T(test_modern_probe_and_queues),
		T(test_legacy_probe_and_queues),
		T(test_modern_packed_ring_any_size),
		T(test_queue_errors),
		T(test_poll_queue_on_the_shared_line),
		T(test_route_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
