// SPDX-License-Identifier: MIT
/*
 * The virtio core: what every transport shares (the status protocol of
 * virtio 1.1 §2.1 and §3.1, feature negotiation, the bounded reset, the
 * rules of the virtqueue set-up), calling the device's transport for the
 * registers (struct virtio_config_ops: drivers/virtio_pci.c,
 * drivers/virtio_mmio.c). Drivers see only these functions.
 */
#include "drivers/virtio.h"
#include "kernel/io.h"
#include "kernel/platform.h"

#define RESET_TIMEOUT_MS 1000

u8 virtio_get_status(struct virtio_device *vdev)
{
	return vdev->ops->get_status(vdev);
}

void virtio_add_status(struct virtio_device *vdev, u8 bits)
{
	vdev->ops->set_status(vdev, virtio_get_status(vdev) | bits);
}

/*
 * Writing 0 resets the device; a driver must then wait until the status
 * reads back 0 (4.1.4.3.2, 4.2.2.1), since the reset may still be in
 * progress. A legacy device resets synchronously, so its status reads 0 at
 * once. Until it does, the device may still use the rings it was given:
 * the wait is bounded, and a device that never gets there is reported.
 */
int virtio_reset_wait(struct virtio_device *vdev)
{
	u64 deadline = ktime_get_ns() + RESET_TIMEOUT_MS * NSEC_PER_MSEC;
	u8 status;

	vdev->ops->set_status(vdev, 0);
	while ((status = virtio_get_status(vdev)) != 0) {
		if (ktime_get_ns() > deadline) {
			pr_err("%s: device_status still %#x %d ms after a reset: the reset did "
			       "not take",
			       vdev->name, status, RESET_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		cpu_relax();
	}
	return 0;
}

int virtio_reset(struct virtio_device *vdev)
{
	return vdev->ops->reset(vdev);
}

void virtio_isolate(struct virtio_device *vdev)
{
	vdev->ops->isolate(vdev);
}

int virtio_negotiate(struct virtio_device *vdev, u64 driver_features)
{
	u64 f = vdev->device_features & driver_features;

	if (!vdev->modern) {
		/* A legacy interface has feature bits 0-31 only, and no FEATURES_OK. */
		f &= 0xffffffffull;
		vdev->ops->set_features(vdev, f);
		vdev->features = f;
		return 0;
	}
	if (!(f & (1ull << VIRTIO_F_VERSION_1))) {
		pr_err("%s: modern device does not offer VIRTIO_F_VERSION_1", vdev->name);
		return -EINVAL;
	}
	vdev->ops->set_features(vdev, f);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_FEATURES_OK);
	/* The device may refuse a subset; it says so by clearing the bit (3.1.1). */
	if (!(virtio_get_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		pr_err("%s: device refused features %#lx (FEATURES_OK not kept)", vdev->name, f);
		virtio_add_status(vdev, VIRTIO_CONFIG_S_FAILED);
		return -EIO;
	}
	vdev->features = f;
	return 0;
}

int virtio_cread(struct virtio_device *vdev, unsigned offset, void *buf, unsigned len)
{
	return vdev->ops->cread(vdev, offset, buf, len);
}

int virtio_find_vqs(struct virtio_device *vdev, unsigned n, unsigned npoll, vq_callback_t cb,
		    void *priv, unsigned max_size, bool allow_msi, const char *prefix)
{
	int err;

	if (npoll >= n) {
		pr_err("%s: %u poll queues leave none of the %u for interrupts", vdev->name, npoll,
		       n);
		return -EINVAL;
	}
	vdev->priv = priv;
	vdev->nvqs = n;
	vdev->npoll = npoll;
	vdev->vqs = kzalloc(n * sizeof(*vdev->vqs));
	err = vdev->vqs ? vdev->ops->find_vqs(vdev, cb, max_size, allow_msi, prefix) : -ENOMEM;
	if (err) {
		pr_err("%s: virtqueue set-up failed: %s", vdev->name, errno_name(err));
		virtio_reset(vdev);
		virtio_del_vqs(vdev);
	}
	return err;
}

void virtio_del_vqs(struct virtio_device *vdev)
{
	vdev->ops->del_vqs(vdev);
	for (unsigned i = 0; vdev->vqs && i < vdev->nvqs; i++) {
		struct virtqueue *vq = vdev->vqs[i];
		if (!vq)
			continue;
		kfree(vq->transport);
		vring_del_virtqueue(vq);
	}
	kfree(vdev->vqs);
	vdev->vqs = NULL;
	vdev->nvqs = 0;
	vdev->npoll = 0;
}

void virtio_abandon_vqs(struct virtio_device *vdev)
{
	unsigned n = vdev->nvqs;

	vdev->ops->release_irqs(vdev);
	for (unsigned i = 0; vdev->vqs && i < n; i++)
		if (vdev->vqs[i])
			virtqueue_set_broken(vdev->vqs[i]);
	pr_err("%s: %u virtqueue(s) and their buffers are left allocated: the device may still "
	       "own them",
	       vdev->name, n);
	vdev->vqs = NULL;
	vdev->nvqs = 0;
	vdev->npoll = 0;
}

void virtio_remove(struct virtio_device *vdev)
{
	if (vdev->vqs)
		virtio_del_vqs(vdev);
	vdev->ops->remove(vdev);
}

void virtio_device_ready(struct virtio_device *vdev)
{
	virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER_OK);
}

void virtio_describe(const struct virtio_device *vdev, char *buf, size_t len)
{
	vdev->ops->describe(vdev, buf, len);
}

void virtio_vq_irq_name(const struct virtio_device *vdev, unsigned i, char *buf, size_t len)
{
	vdev->ops->vq_irq_name(vdev, i, buf, len);
}
