/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the PCI capability walk and the virtio-pci transport
 * (drivers/pci.c, drivers/virtio_pci.c) over a simulated virtio-blk-pci
 * function (tests/unit/sim_virtio_blk.c) whose capability list is the
 * input: the capabilities pointer and the 192 bytes above the header,
 * with the capability-list status bit set.
 *
 * The simulated bus aborts on any port or MMIO access outside the
 * function's BARs, and AddressSanitizer on any other bad access, so what
 * the fuzzer proves is that no capability list (loops, overlaps, offsets
 * past a BAR, lengths that wrap, MSI-X tables that do not fit) makes the
 * drivers touch what is not theirs, or hang. When the probe accepts the
 * device, the driver goes on as virtio-blk would: features, two queues
 * with MSI-X or INTx, the configuration read, DRIVER_OK, a reset.
 */
#include <string.h>

#include "drivers/pci.h"
#include "drivers/virtio.h"
#include "drivers/virtio_blk.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"
#include "tests/unit/sim_pci.h"
#include "tests/unit/sim_virtio_blk.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

static void noop_cb(struct virtqueue *vq)
{
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct virtio_device vdev;
	struct sim_vblk *dev;
	u8 raw[VIRTIO_BLK_CFG_SIZE];
	long allocs = host_live_allocs, dma = host_live_dma;
	int err;

	if (size < 1)
		return 0;
	host_printk_quiet = true;
	host_log_len = 0;
	host_platform_reset();
	sim_pci_reset();
	sim_vblk_reset_all();
	sim_lenient = true;
	sim_relax_ns = 10 * NSEC_PER_MSEC;
	dev = sim_vblk_create(3, 2048, 2, 32);
	/* The list as the input lays it out. */
	dev->fn->cfg[PCI_CAPABILITY_LIST] = data[0];
	memset(dev->fn->cfg + 0x40, 0, 0xc0);
	memcpy(dev->fn->cfg + 0x40, data + 1, size - 1 < 0xc0 ? size - 1 : 0xc0);
	dev->fn->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	/* The function's MSI-X registers are wherever the input put an MSI-X capability. */
	dev->fn->msix_cap = 0;
	for (unsigned ttl = 48, p = data[0] & ~3u; p >= 0x40 && ttl; ttl--) {
		if (dev->fn->cfg[p] == PCI_CAP_ID_MSIX) {
			dev->fn->msix_cap = (u8)p;
			break;
		}
		p = dev->fn->cfg[p + 1] & ~3u;
	}

	pci_init();
	CHECK(pci_device_count() == 1);
	memset(&vdev, 0, sizeof(vdev));
	strcpy(vdev.name, "vda");
	err = virtio_pci_probe(pci_device_at(0), &vdev);
	if (!err) {
		CHECK(vdev.modern);
		err = virtio_negotiate(&vdev, dev->host_features);
		if (!err)
			err = virtio_cread(&vdev, 0, raw, sizeof(raw));
		if (!err && !virtio_find_vqs(&vdev, 2, 0, noop_cb, NULL, 0, true, "vda")) {
			virtio_device_ready(&vdev);
			(void)virtio_reset(&vdev);
			virtio_del_vqs(&vdev);
		}
	}
	if (vdev.pci)
		virtio_remove(&vdev);
	sim_pci_reset();
	sim_vblk_reset_all();
	CHECK(host_live_allocs == allocs && host_live_dma == dma);
	CHECK(sim_irq_vectors_in_use() == 0);
	return 0;
}
