/* SPDX-License-Identifier: MIT */
/*
 * The virtio device as drivers see it, independent of the transport: status,
 * features, device configuration, virtqueues, interrupts. drivers/virtio.c
 * holds what every transport shares and calls the device's transport through
 * struct virtio_config_ops, as Linux's virtio core calls virtio_config_ops:
 * drivers/virtio_pci.c for both PCI transports (virtio 1.x "modern" and the
 * legacy 0.9.5 I/O-port interface of transitional devices) and
 * drivers/virtio_mmio.c for virtio-mmio (version 1, legacy, and version 2).
 * A driver never asks which one it has.
 */
#ifndef DRIVERS_VIRTIO_H
#define DRIVERS_VIRTIO_H

#include "drivers/pci.h"
#include "drivers/virtio_ring.h"
#include "kernel/types.h"

/* Device status (virtio 1.1, 2.1). */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE 1
#define VIRTIO_CONFIG_S_DRIVER 2
#define VIRTIO_CONFIG_S_DRIVER_OK 4
#define VIRTIO_CONFIG_S_FEATURES_OK 8
#define VIRTIO_CONFIG_S_NEEDS_RESET 0x40
#define VIRTIO_CONFIG_S_FAILED 0x80

/* Reserved feature bits (virtio 1.1, 6). */
#define VIRTIO_F_NOTIFY_ON_EMPTY 24
#define VIRTIO_F_ANY_LAYOUT 27
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_IN_ORDER 35
#define VIRTIO_F_ORDER_PLATFORM 36
#define VIRTIO_F_SR_IOV 37
#define VIRTIO_F_NOTIFICATION_DATA 38

#define VIRTIO_MSI_NO_VECTOR 0xffff

#define VIRTIO_ID_BLOCK 2

struct virtio_device;
typedef void (*virtio_config_cb_t)(struct virtio_device *vdev);

/*
 * What a transport does for the common code (drivers/virtio.c). Every
 * operation but describe and vq_irq_name may touch the device.
 */
struct virtio_config_ops {
	u8 (*get_status)(struct virtio_device *vdev);
	void (*set_status)(struct virtio_device *vdev, u8 status);
	/* Reset and wait, bounded, for it to take (virtio_reset_wait). */
	int (*reset)(struct virtio_device *vdev);
	/* Cut off a device whose reset did not take, as far as the bus allows. */
	void (*isolate)(struct virtio_device *vdev);
	/* Write the driver's feature bits (3.1.1 step 5). */
	void (*set_features)(struct virtio_device *vdev, u64 features);
	/* Read device configuration, consistently (its generation counter). */
	int (*cread)(struct virtio_device *vdev, unsigned offset, void *buf, unsigned len);
	/* Queues and their interrupts; vdev->nvqs, npoll and vqs are set already. */
	int (*find_vqs)(struct virtio_device *vdev, vq_callback_t cb, unsigned max_size,
			bool allow_msi, const char *prefix);
	void (*del_vqs)(struct virtio_device *vdev);
	/* Release the interrupts of queues that are left allocated on purpose. */
	void (*release_irqs)(struct virtio_device *vdev);
	void (*remove)(struct virtio_device *vdev);
	/* Where the device is, which interface, how it interrupts (the boot report). */
	void (*describe)(const struct virtio_device *vdev, char *buf, size_t len);
	void (*vq_irq_name)(const struct virtio_device *vdev, unsigned i, char *buf, size_t len);
};

/* The state of one virtio-mmio device (drivers/virtio_mmio.c). */
struct virtio_mmio_state {
	volatile u8 *base;
	phys_addr_t phys;
	u64 size;
	u32 gsi;     /* the interrupt line, an IOAPIC input */
	int vector;  /* its CPU vector, or -1 */
	u32 version; /* 1 (legacy) or 2 */
};

/* Where a register block lives: an I/O port range or an MMIO window. */
struct virtio_pci_region {
	bool io;
	u16 port;
	volatile u8 *mmio;
	u32 length;
};

enum virtio_irq_mode {
	VIRTIO_IRQ_NONE,
	VIRTIO_IRQ_INTX,
	VIRTIO_IRQ_MSIX_PER_VQ,
	VIRTIO_IRQ_MSIX_SHARED
};

struct virtio_device {
	char name[16];
	/* The transport, set by its probe; mapped once its registers answer. */
	const struct virtio_config_ops *ops;
	bool mapped;
	bool modern;   /* virtio 1.x; else legacy (0.9.5), feature bits 0-31 only */
	u32 device_id; /* VIRTIO_ID_* */
	u64 device_features;
	u64 features; /* negotiated */

	/* Virtqueues; the last npoll queues are poll queues. */
	unsigned nvqs;
	unsigned npoll;
	struct virtqueue **vqs;
	u64 config_changes;
	virtio_config_cb_t config_changed;
	void *priv;

	/* The transport's own state. */
	union {
		struct { /* virtio_pci.c */
			struct pci_dev *pci;
			struct virtio_pci_region common, notify, isr, device;
			u32 notify_off_multiplier;
			bool legacy_msix; /* legacy: device config moves from 20 to 24 */
			enum virtio_irq_mode irq_mode;
			int config_vector; /* MSI-X vector of configuration changes, or -1 */
			int *vq_vectors;   /* CPU vector of each queue */
			unsigned *vq_cpus; /* the CPU each queue's interrupt is aimed at */
			int intx_vector;
		};
		struct virtio_mmio_state mmio; /* virtio_mmio.c */
	};
};

/* Probe the transport of a virtio PCI function (vendor 0x1af4). */
int virtio_pci_probe(struct pci_dev *pci, struct virtio_device *vdev);
bool virtio_pci_is_virtio(const struct pci_dev *pci, u32 *device_id);

/*
 * Reset the device and wait, bounded, for the reset to take (2.4): 0 once
 * it has (the device owns none of the rings or buffers it was given any
 * more), -ETIMEDOUT with a message when device_status never reads back 0.
 */
int virtio_reset(struct virtio_device *vdev);
/* The transports' part of that: write 0, wait for 0 (drivers/virtio.c). */
int virtio_reset_wait(struct virtio_device *vdev);
/*
 * For a device whose reset did not take: cut it off as far as the bus
 * allows. Bus mastering off (it may no longer read or write memory, which
 * also stops MSI-X), INTx disabled, interrupt handlers released.
 */
void virtio_isolate(struct virtio_device *vdev);
u8 virtio_get_status(struct virtio_device *vdev);
void virtio_add_status(struct virtio_device *vdev, u8 bits);
/*
 * Feature negotiation (virtio 1.1, 3.1.1 steps 4-6): offer @driver_features
 * & device features, set FEATURES_OK and re-read it (modern only). Returns
 * 0, or -EIO when the device refuses.
 */
int virtio_negotiate(struct virtio_device *vdev, u64 driver_features);
static inline bool virtio_has_feature(const struct virtio_device *vdev, unsigned bit)
{
	return vdev->features & (1ull << bit);
}

/*
 * Device-specific configuration, read consistently (config_generation):
 * 0, or -EIO (with a message naming config_generation) when the generation
 * never settled over a bounded number of tries.
 */
int virtio_cread(struct virtio_device *vdev, unsigned offset, void *buf, unsigned len);

/*
 * Create @n virtqueues, at most @max_size entries each (0 = the device's
 * size), with interrupts: MSI-X with a vector per queue when the device has
 * enough vectors (msix allowed), else one shared MSI-X vector for the
 * queues, else INTx. The last @npoll of them (fewer than @n) are poll
 * queues, as Linux's virtio_blk poll_queues: no callback, no MSI-X vector,
 * the device told not to notify (virtqueue_set_polled); on INTx the one
 * line still serves the other queues, so they are not interrupt-free
 * there. Returns 0 or a negative error with the device left reset.
 */
int virtio_find_vqs(struct virtio_device *vdev, unsigned n, unsigned npoll, vq_callback_t cb,
		    void *priv, unsigned max_size, bool allow_msix, const char *prefix);
void virtio_del_vqs(struct virtio_device *vdev);
/*
 * Forget the virtqueues without freeing them: interrupts released, queues
 * marked broken and leaked on purpose, because a device that did not reset
 * may still write them. Says so in the log.
 */
void virtio_abandon_vqs(struct virtio_device *vdev);
/* The device is done with: queues freed, interrupts returned, DMA off where the bus can. */
void virtio_remove(struct virtio_device *vdev);
void virtio_device_ready(struct virtio_device *vdev);
const char *virtio_irq_mode_name(enum virtio_irq_mode m);
/*
 * The boot report's description: where the device is, which interface,
 * how it interrupts ("00:03.0, modern transport, MSI-X (one vector per
 * queue)").
 */
void virtio_describe(const struct virtio_device *vdev, char *buf, size_t len);
/*
 * How queue @i interrupts, for the boot report ("MSI-X vector 34", "INTx
 * vector 35 (shared)", "polled, no interrupt (no MSI-X vector)").
 */
void virtio_vq_irq_name(const struct virtio_device *vdev, unsigned i, char *buf, size_t len);

#endif
