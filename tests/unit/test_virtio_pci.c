/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for the virtio PCI transport (drivers/virtio_pci.c) and
 * the capability walk under it (drivers/pci.c), against the simulated
 * virtio-blk-pci function of tests/unit/sim_virtio_blk.c.
 *
 * The capabilities are device input: each test starts from QEMU's layout
 * and changes one thing in configuration space (a list that loops, a
 * structure outside its BAR or overlapping another, a BAR that does not
 * exist, a capability too short or misaligned, a bad notify multiplier),
 * then checks that the probe ends, refuses or skips with a message naming
 * what was wrong, and never touches memory outside a BAR (the simulated
 * bus aborts on that). Then the registers: a configuration generation that
 * never settles, a reset that never takes, features refused, too few MSI-X
 * vectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/pci.h"
#include "drivers/virtio.h"
#include "drivers/virtio_blk.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"
#include "tests/unit/sim_pci.h"
#include "tests/unit/sim_virtio_blk.h"

/* struct virtio_pci_cap (4.1.4), offsets from the capability's start. */
#define CAP_NEXT 1
#define CAP_LEN 2
#define CAP_TYPE 3
#define CAP_BAR 4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_MULT 16
#define TYPE_COMMON 1
#define TYPE_NOTIFY 2
#define TYPE_ISR 3
#define TYPE_DEVICE 4

static long allocs0, dma0;
static struct sim_vblk *dev;
static struct virtio_device vdev;

static int setup(void **state)
{
	host_platform_reset();
	host_printk_quiet = getenv("VIRTIO_TEST_VERBOSE") == NULL;
	sim_pci_reset();
	sim_vblk_reset_all();
	allocs0 = host_live_allocs;
	dma0 = host_live_dma;
	memset(&vdev, 0, sizeof(vdev));
	strcpy(vdev.name, "vda");
	dev = sim_vblk_create(3, 2048, 2, 32);
	return 0;
}

static int teardown(void **state)
{
	if (vdev.vqs)
		virtio_del_vqs(&vdev);
	if (vdev.pci)
		virtio_remove(&vdev);
	sim_pci_reset();
	sim_vblk_reset_all();
	assert_int_equal(host_live_allocs, allocs0);
	assert_int_equal(host_live_dma, dma0);
	assert_int_equal(sim_irq_vectors_in_use(), 0);
	return 0;
}

#define assert_logged(s)                                                                           \
	do {                                                                                       \
		if (!strstr(host_log, s))                                                          \
			fail_msg("expected \"%s\" in the log:\n%s", s, host_log);                  \
	} while (0)

static u8 *cfg(void)
{
	return dev->fn->cfg;
}

static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}

/* The @n-th (from 0) vendor capability of @type, as the device laid them out. */
static u8 vcap(u8 type, unsigned n)
{
	for (u8 p = cfg()[PCI_CAPABILITY_LIST]; p; p = cfg()[p + CAP_NEXT]) {
		if (cfg()[p] == PCI_CAP_ID_VNDR && cfg()[p + CAP_TYPE] == type && n-- == 0)
			return p;
	}
	fail_msg("no vendor capability of type %u", type);
	return 0;
}

/* Enumerate and probe the transport. */
static int probe(void)
{
	pci_init();
	assert_int_equal(pci_device_count(), 1);
	return virtio_pci_probe(pci_device_at(0), &vdev);
}

static void test_good_device(void **state)
{
	assert_int_equal(probe(), 0);
	assert_true(vdev.modern);
	assert_int_equal(vdev.device_id, VIRTIO_ID_BLOCK);
	assert_ptr_equal(vdev.common.mmio, dev->fn->bar[SIM_CFG_BAR].mem + SIM_COMMON_OFF);
	assert_ptr_equal(vdev.isr.mmio, dev->fn->bar[SIM_CFG_BAR].mem + SIM_ISR_OFF);
	assert_ptr_equal(vdev.device.mmio, dev->fn->bar[SIM_CFG_BAR].mem + SIM_DEVICE_OFF);
	assert_ptr_equal(vdev.notify.mmio, dev->fn->bar[SIM_CFG_BAR].mem + SIM_NOTIFY_OFF);
	assert_int_equal(vdev.notify_off_multiplier, SIM_NOTIFY_MULT);
	assert_int_equal(vdev.device_features, dev->host_features);
	assert_int_equal(dev->status, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	assert_int_equal(dev->resets, 1);
}

/* ------------------------------------------------------------------------
 * The capability list
 */

/* The last capability points back at the first vendor one: a loop. */
static void test_cap_list_loops(void **state)
{
	u8 notify = vcap(TYPE_NOTIFY, 0);

	assert_int_equal(cfg()[notify + CAP_NEXT], 0); /* the last one */
	cfg()[notify + CAP_NEXT] = vcap(TYPE_COMMON, 0);
	assert_int_equal(probe(), 0);
	assert_true(vdev.modern);
}

/* A vendor capability that names itself as the next: the walk still ends. */
static void test_cap_points_at_itself(void **state)
{
	u8 common = vcap(TYPE_COMMON, 0);

	cfg()[common + CAP_NEXT] = common;
	/* Only the common structure is reachable: no notify, no ISR. */
	assert_int_equal(probe(), -EINVAL);
	assert_logged("vda: modern device without a usable notify capability");
}

/* A loop that never reaches a common capability: no modern interface at all. */
static void test_cap_loop_before_common(void **state)
{
	u8 first = cfg()[PCI_CAPABILITY_LIST];

	cfg()[first + CAP_NEXT] = first;
	assert_int_equal(probe(), -EINVAL);
	assert_logged("vda: modern-only device without a common configuration capability");
}

static void test_cap_outside_bar(void **state)
{
	u8 isr = vcap(TYPE_ISR, 0);

	put32(cfg() + isr + CAP_OFFSET, SIM_BAR_SIZE - 0x800);
	assert_int_equal(probe(), -EINVAL);
	assert_logged("vda: ISR capability at 0x");
	assert_logged("(offset 0x3800, length 0x1000) does not fit BAR4 (size 0x4000)");
	assert_logged("vda: modern device without a usable ISR capability");
}

/* offset + length past 4 GiB must not wrap into the BAR. */
static void test_cap_offset_wraps(void **state)
{
	u8 device = vcap(TYPE_DEVICE, 0);

	put32(cfg() + device + CAP_OFFSET, 0xfffff000u);
	put32(cfg() + device + CAP_LENGTH, 0x2000);
	assert_int_equal(probe(), 0);
	/* The device structure is optional: skipped, no configuration read from it. */
	assert_logged("vda: device capability at 0x");
	assert_null(vdev.device.mmio);
}

static void test_cap_names_missing_bar(void **state)
{
	u8 common = vcap(TYPE_COMMON, 0);

	cfg()[common + CAP_BAR] = 2; /* the device has BARs 1 and 4 only */
	assert_int_equal(probe(), -EINVAL);
	assert_logged("vda: common capability at 0x");
	assert_logged("names BAR2, which does not exist");
}

static void test_cap_bar_out_of_range(void **state)
{
	u8 notify = vcap(TYPE_NOTIFY, 0);

	cfg()[notify + CAP_BAR] = 9;
	assert_int_equal(probe(), -EINVAL);
	assert_logged("names BAR9, which does not exist");
}

static void test_cap_too_short(void **state)
{
	u8 notify = vcap(TYPE_NOTIFY, 0);

	/* A notify capability without room for notify_off_multiplier. */
	cfg()[notify + CAP_LEN] = 16;
	assert_int_equal(probe(), -EINVAL);
	assert_logged("vda: notify capability at 0x");
	assert_logged("cap_len 16 is too short");
}

static void test_common_cap_too_small(void **state)
{
	u8 common = vcap(TYPE_COMMON, 0);

	put32(cfg() + common + CAP_LENGTH, 0x20);
	assert_int_equal(probe(), -EINVAL);
	assert_logged("as a 4-aligned structure of at least 56 bytes");
}

static void test_cap_misaligned(void **state)
{
	u8 common = vcap(TYPE_COMMON, 0);

	put32(cfg() + common + CAP_OFFSET, 2);
	assert_int_equal(probe(), -EINVAL);
	assert_logged("vda: common capability at 0x");
	assert_logged("(offset 0x2, length 0x1000)");
}

static void test_caps_overlap(void **state)
{
	u8 isr = vcap(TYPE_ISR, 0);

	/* The ISR byte inside the common structure. */
	put32(cfg() + isr + CAP_OFFSET, SIM_COMMON_OFF + 0x20);
	put32(cfg() + isr + CAP_LENGTH, 1);
	assert_int_equal(probe(), -EINVAL);
	assert_logged("vda: common structure (BAR4, offset 0, length 0x1000) overlaps the ISR "
		      "structure (offset 0x20, length 0x1)");
}

/* The same bytes in different BARs do not overlap. */
static void test_caps_in_other_bar_do_not_overlap(void **state)
{
	u8 isr = vcap(TYPE_ISR, 0);

	cfg()[isr + CAP_BAR] = SIM_MSIX_BAR;
	put32(cfg() + isr + CAP_OFFSET, 0xf00);
	put32(cfg() + isr + CAP_LENGTH, 1);
	assert_int_equal(probe(), 0);
	assert_ptr_equal(vdev.isr.mmio, dev->fn->bar[SIM_MSIX_BAR].mem + 0xf00);
}

/*
 * 4.1.4.1: the first capability of each type the driver can use. A bad
 * common structure first, a good one after it: the good one is used.
 */
static void test_first_usable_cap_wins(void **state)
{
	u8 body[14] = {16, TYPE_COMMON, SIM_CFG_BAR};
	u8 common = vcap(TYPE_COMMON, 0), copy;

	put32(body + 6, SIM_COMMON_OFF);
	put32(body + 10, 0x1000);
	copy = sim_pci_add_cap(dev->fn, PCI_CAP_ID_VNDR, body, 16);
	assert_int_equal(vcap(TYPE_COMMON, 1), copy);
	cfg()[common + CAP_BAR] = 5;
	assert_int_equal(probe(), 0);
	assert_logged("names BAR5, which does not exist; skipped");
	assert_ptr_equal(vdev.common.mmio, dev->fn->bar[SIM_CFG_BAR].mem + SIM_COMMON_OFF);
}

/* 4.1.4.4: notify_off_multiplier is 0 or an even power of two. */
static void test_notify_multiplier(void **state)
{
	u8 notify = vcap(TYPE_NOTIFY, 0);

	put32(cfg() + notify + CAP_MULT, 3);
	assert_int_equal(probe(), -EINVAL);
	assert_logged("vda: notify_off_multiplier 3 is not 0 or an even power of two");

	sim_pci_reset();
	sim_vblk_reset_all();
	dev = sim_vblk_create(3, 2048, 2, 32);
	put32(cfg() + vcap(TYPE_NOTIFY, 0) + CAP_MULT, 1);
	assert_int_equal(probe(), -EINVAL);
	assert_logged("vda: notify_off_multiplier 1 is not");
}

/* A queue whose notify address lies beyond the notify structure. */
static void test_queue_notify_off_outside(void **state)
{
	u8 notify = vcap(TYPE_NOTIFY, 0);

	/* Room for queue 0's address only. */
	put32(cfg() + notify + CAP_LENGTH, 2);
	assert_int_equal(probe(), 0);
	assert_int_equal(virtio_negotiate(&vdev, dev->host_features), 0);
	assert_int_equal(virtio_find_vqs(&vdev, 2, 0, NULL, NULL, 0, true, "vda"), -EINVAL);
	assert_logged("vda: queue 1: queue_notify_off 1 x multiplier 4 lies outside the notify "
		      "region (2 bytes)");
	assert_null(vdev.vqs);
}

/* ------------------------------------------------------------------------
 * Registers
 */

static void test_cread_generation_never_settles(void **state)
{
	u8 raw[VIRTIO_BLK_CFG_SIZE];
	u64 start;

	assert_int_equal(probe(), 0);
	dev->generation_runs = true;
	start = host_now_ns;
	assert_int_equal(virtio_cread(&vdev, 0, raw, sizeof(raw)), -EIO);
	assert_logged("vda: config_generation changed during each of 64 reads");
	assert_int_equal(host_now_ns, start); /* bounded by tries, not by waiting */
	dev->generation_runs = false;
	assert_int_equal(virtio_cread(&vdev, 0, raw, sizeof(raw)), 0);
	assert_int_equal(raw[0], 2048 & 0xff);
	assert_int_equal(raw[1], 2048 >> 8);
}

static void test_reset_never_takes(void **state)
{
	u64 start;

	assert_int_equal(probe(), 0);
	dev->reset_stuck = true;
	start = host_now_ns;
	assert_int_equal(virtio_reset(&vdev), -ETIMEDOUT);
	assert_logged("vda: device_status still 0x3 1000 ms after a reset");
	assert_true(host_now_ns - start >= 1000 * NSEC_PER_MSEC);
	assert_true(host_now_ns - start < 1100 * NSEC_PER_MSEC);
	virtio_isolate(&vdev);
	assert_false(sim_pci_command(dev->fn) & PCI_COMMAND_MASTER);
	assert_true(sim_pci_command(dev->fn) & PCI_COMMAND_INTX_DISABLE);
}

/* At probe, a device that does not reset is not used. */
static void test_probe_reset_never_takes(void **state)
{
	dev->reset_stuck = true;
	dev->status = VIRTIO_CONFIG_S_DRIVER; /* left by someone before us */
	assert_int_equal(probe(), -ETIMEDOUT);
}

static void test_features_refused(void **state)
{
	assert_int_equal(probe(), 0);
	/* Offer a feature the device did not: it refuses FEATURES_OK (3.1.1). */
	vdev.device_features |= 1ull << 50;
	assert_int_equal(virtio_negotiate(&vdev, ~0ull), -EIO);
	assert_logged("vda: device refused features");
	assert_true(dev->status & VIRTIO_CONFIG_S_FAILED);
}

static void test_modern_without_version_1(void **state)
{
	dev->host_features &= ~(1ull << VIRTIO_F_VERSION_1);
	assert_int_equal(probe(), 0);
	assert_int_equal(virtio_negotiate(&vdev, ~0ull), -EINVAL);
	assert_logged("vda: modern device does not offer VIRTIO_F_VERSION_1");
}

static unsigned callbacks;
static void count_cb(struct virtqueue *vq)
{
	callbacks++;
}

static void find_vqs(unsigned n)
{
	assert_int_equal(probe(), 0);
	assert_int_equal(virtio_negotiate(&vdev, dev->host_features), 0);
	assert_int_equal(virtio_find_vqs(&vdev, n, 0, count_cb, NULL, 0, true, "vda"), 0);
}

static void test_msix_vector_per_queue(void **state)
{
	find_vqs(2);
	assert_int_equal(vdev.irq_mode, VIRTIO_IRQ_MSIX_PER_VQ);
	assert_int_equal(dev->msix_config, 0);
	assert_int_equal(dev->vq[0].msix_vector, 1);
	assert_int_equal(dev->vq[1].msix_vector, 2);
	assert_true(dev->vq[0].enabled && dev->vq[1].enabled);
	assert_int_equal(dev->vq[0].desc, virtqueue_get_desc_addr(vdev.vqs[0]));
	assert_int_equal(dev->vq[1].device, virtqueue_get_used_addr(vdev.vqs[1]));
}

/* Fewer vectors than queues + 1: one shared by the queues. */
static void test_msix_too_few_vectors(void **state)
{
	dev->msix_entries = 2;
	find_vqs(2);
	assert_int_equal(vdev.irq_mode, VIRTIO_IRQ_MSIX_SHARED);
	assert_int_equal(dev->vq[0].msix_vector, 1);
	assert_int_equal(dev->vq[1].msix_vector, 1);
}

/* No vector at all: INTx, and the device told to use none. */
static void test_msix_no_vectors(void **state)
{
	dev->msix_entries = 0;
	find_vqs(2);
	assert_int_equal(vdev.irq_mode, VIRTIO_IRQ_INTX);
	assert_false(sim_pci_msix_enabled(dev->fn));
	assert_int_equal(dev->vq[0].msix_vector, VIRTIO_MSI_NO_VECTOR);
}

/*
 * Two devices whose pins reach one line (the simulated firmware routes
 * every pin to ISA IRQ 11, as pc's PIIX routes two PIRQs to one IRQ): the
 * vector is the line's, and an interrupt of either device reaches its own
 * handler, whichever device was set up last. With a vector per device,
 * the second took the line, and the first's interrupt reached only the
 * second's handler, which left the first's ISR (and the line) raised.
 */
static void test_intx_line_shared(void **state)
{
	struct sim_vblk *dev2 = sim_vblk_create(4, 2048, 1, 32);
	static struct virtio_device vdev2;

	dev->msix_entries = dev2->msix_entries = 0;
	memset(&vdev2, 0, sizeof(vdev2));
	strcpy(vdev2.name, "vdb");
	pci_init();
	assert_int_equal(pci_device_count(), 2);
	assert_int_equal(virtio_pci_probe(pci_device_at(0), &vdev), 0);
	assert_int_equal(virtio_pci_probe(pci_device_at(1), &vdev2), 0);
	assert_int_equal(virtio_negotiate(&vdev, dev->host_features), 0);
	assert_int_equal(virtio_negotiate(&vdev2, dev2->host_features), 0);
	assert_int_equal(virtio_find_vqs(&vdev, 2, 0, count_cb, NULL, 0, true, "vda"), 0);
	assert_int_equal(virtio_find_vqs(&vdev2, 1, 0, count_cb, NULL, 0, true, "vdb"), 0);
	assert_int_equal(vdev.irq_mode, VIRTIO_IRQ_INTX);
	assert_int_equal(vdev2.irq_mode, VIRTIO_IRQ_INTX);
	assert_int_equal(vdev.intx_vector, vdev2.intx_vector);
	assert_int_equal(sim_irq_handlers(vdev.intx_vector), 2);

	for (int i = 0; i < 2; i++) {
		struct sim_vblk *d = i ? dev2 : dev;

		d->isr |= 1; /* a queue interrupt (virtio 1.1, 4.1.4.5) */
		sim_pci_set_intx_level(d->fn, true);
		assert_int_equal(sim_irq_deliver(), 1);
		assert_int_equal(d->isr, 0); /* read by its own handler: the line is quiet */
		assert_int_equal(sim_irq_deliver(), 0);
	}
	virtio_del_vqs(&vdev2);
	virtio_remove(&vdev2);
}

/* A queue the device says is size 0 or not a power of two. */
static void test_bad_queue_size(void **state)
{
	dev->vq[1].max_size = dev->vq[1].size = 24;
	assert_int_equal(probe(), 0);
	assert_int_equal(virtio_negotiate(&vdev, dev->host_features), 0);
	assert_int_equal(virtio_find_vqs(&vdev, 2, 0, count_cb, NULL, 0, true, "vda"), -EINVAL);
	assert_logged("vda: queue 1: queue_size 24 is not a power of two");

	memset(&vdev, 0, sizeof(vdev));
	strcpy(vdev.name, "vda");
	dev->vq[1].max_size = dev->vq[1].size = 0;
	assert_int_equal(probe(), 0);
	assert_int_equal(virtio_negotiate(&vdev, dev->host_features), 0);
	assert_int_equal(virtio_find_vqs(&vdev, 2, 0, count_cb, NULL, 0, true, "vda"), -ENODEV);
	assert_logged("vda: queue 1: queue_size is 0");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	static const struct CMUnitTest tests[] = {
		T(test_good_device),
		T(test_cap_list_loops),
		T(test_cap_points_at_itself),
		T(test_cap_loop_before_common),
		T(test_cap_outside_bar),
		T(test_cap_offset_wraps),
		T(test_cap_names_missing_bar),
		T(test_cap_bar_out_of_range),
		T(test_cap_too_short),
		T(test_common_cap_too_small),
		T(test_cap_misaligned),
		T(test_caps_overlap),
		T(test_caps_in_other_bar_do_not_overlap),
		T(test_first_usable_cap_wins),
		T(test_notify_multiplier),
		T(test_queue_notify_off_outside),
		T(test_cread_generation_never_settles),
		T(test_reset_never_takes),
		T(test_probe_reset_never_takes),
		T(test_features_refused),
		T(test_modern_without_version_1),
		T(test_msix_vector_per_queue),
		T(test_msix_too_few_vectors),
		T(test_msix_no_vectors),
		T(test_intx_line_shared),
		T(test_bad_queue_size),
	};
	return cmocka_run_group_tests_name("test_virtio_pci", tests, NULL, NULL);
}
