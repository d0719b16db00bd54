/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio devices (drivers/virtio_mmio.c): where they are comes from the
 * kernel command line, in Linux's virtio_mmio.device=SIZE@BASE:IRQ[:ID]
 * words (QEMU's microvm appends one per device when ACPI is off); the run
 * wiring hands each word over before the drivers probe.
 */
#ifndef DRIVERS_VIRTIO_MMIO_H
#define DRIVERS_VIRTIO_MMIO_H

#include "drivers/virtio.h"
#include "kernel/types.h"

#define VIRTIO_MMIO_MAX_DEVICES 32

/* One device's window, as the command line gave it. */
struct virtio_mmio_desc {
	char word[64]; /* where it came from, for messages */
	phys_addr_t phys;
	u64 size;
	u32 irq;	   /* an IOAPIC input (GSI) */
	volatile u8 *base; /* mapped on first use */
};

/*
 * Parse SIZE@BASE:IRQ[:ID] (SIZE with k, m, g suffixes; BASE in hex or
 * decimal). 0; -EINVAL for a word of another shape; -ERANGE for a window
 * too small for the registers (0x100 bytes), one that wraps, or an IRQ
 * above 255. Pure: the unit tests feed it malformed words.
 */
int virtio_mmio_parse(const char *value, struct virtio_mmio_desc *d);
/*
 * Remember one device from its word; a malformed or overlapping word is
 * refused with a message naming it (the others are kept).
 */
int virtio_mmio_add(const char *value);
/*
 * Remember one device found elsewhere (the DSDT), @what naming it in
 * messages; the same device named twice is kept once.
 */
int virtio_mmio_add_window(phys_addr_t phys, u64 size, u32 irq, const char *what);
unsigned virtio_mmio_count(void);
struct virtio_mmio_desc *virtio_mmio_at(unsigned i);
/* Forget every device given so far (host tests). */
void virtio_mmio_forget(void);
/*
 * Map the window and check MagicValue and Version: the DeviceID behind it
 * (VIRTIO_ID_*), or 0 for none, or for a window that is not virtio-mmio
 * (with a message naming the field).
 */
u32 virtio_mmio_device_id(struct virtio_mmio_desc *d);
/* The transport's probe: reset, ACKNOWLEDGE, DRIVER, the device's features. */
int virtio_mmio_probe(struct virtio_mmio_desc *d, struct virtio_device *vdev);

#endif
