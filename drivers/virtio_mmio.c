// SPDX-License-Identifier: MIT
/*
 * The virtio-mmio transport (virtio 1.1 §4.2): version 2 (modern, §4.2.2)
 * and version 1 (legacy, §4.2.4), behind the same struct virtio_config_ops
 * as the PCI transport, so the virtio-blk driver does not know which one
 * it has.
 *
 * A virtio-mmio device cannot be discovered by probing: something must say
 * where it is. QEMU's microvm machine, with acpi=off, appends one word per
 * device to the kernel command line in Linux's virtio_mmio.device= syntax,
 * SIZE@BASE:IRQ[:ID] ("virtio_mmio.device=512@0xfeb00e00:12"); the run
 * wiring hands each to virtio_mmio_add(). (With ACPI on, microvm lists them
 * only in its DSDT, which this kernel does not interpret: there the
 * supported set-up is -M microvm,pcie=on with virtio-blk-pci.)
 *
 * Everything the device reports is checked where it enters: the magic
 * value, the version, the queue sizes; the window the command line gives
 * bounds every register and configuration access. The interrupt is one
 * line for the whole device, routed through the IOAPIC, level-triggered
 * and active high as QEMU drives it: the handler reads InterruptStatus and
 * acknowledges exactly those bits before the line can drop.
 */
#include "drivers/virtio.h"
#include "drivers/virtio_mmio.h"
#include "kernel/cmdline.h"
#include "kernel/io.h"
#include "kernel/platform.h"
#include "kernel/string.h"

/* Register offsets (§4.2.2, and §4.2.4 for the legacy ones). */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_GUEST_PAGE_SIZE 0x028 /* legacy */
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_ALIGN 0x03c /* legacy */
#define VIRTIO_MMIO_QUEUE_PFN 0x040   /* legacy */
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_AVAIL_LOW 0x090
#define VIRTIO_MMIO_QUEUE_AVAIL_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_USED_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_USED_HIGH 0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

/* "virt", little-endian (§4.2.2). */
#define VIRTIO_MMIO_MAGIC 0x74726976
/* InterruptStatus bits (§4.2.2). */
#define VIRTIO_MMIO_INT_VRING 0x1
#define VIRTIO_MMIO_INT_CONFIG 0x2

/* The legacy interface's page size and used-ring alignment: ours, written once. */
#define VIRTIO_MMIO_LEGACY_PAGE 4096
#define VIRTIO_MMIO_CREAD_TRIES 64

static struct virtio_mmio_desc mmio_devices[VIRTIO_MMIO_MAX_DEVICES];
static unsigned nr_mmio;
static const struct virtio_config_ops virtio_mmio_ops;

/* ------------------------------------------------------------------------
 * The command line's words
 */

int virtio_mmio_parse(const char *value, struct virtio_mmio_desc *d)
{
	char buf[48], *at, *colon, *id;
	u64 size, base, irq, n;

	memset(d, 0, sizeof(*d));
	if (strlen(value) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, value, strlen(value) + 1);
	ksnprintf(d->word, sizeof(d->word), "%s", value);
	at = strchr(buf, '@');
	colon = at ? strchr(at, ':') : NULL;
	if (!at || !colon)
		return -EINVAL;
	*at = *colon = '\0';
	id = strchr(colon + 1, ':');
	if (id)
		*id++ = '\0';
	if (parse_size(buf, &size) || parse_u64(at + 1, &base) || parse_u64(colon + 1, &irq))
		return -EINVAL;
	if (id && parse_u64(id, &n))
		return -EINVAL;
	/* The registers end at 0x100; the window must hold them, and not wrap. */
	if (size < VIRTIO_MMIO_CONFIG || base + size < base || irq > 255)
		return -ERANGE;
	d->phys = base;
	d->size = size;
	d->irq = (u32)irq;
	return 0;
}

/* Keep one device, unless it overlaps one kept already (the same, named twice). */
static int mmio_keep(const struct virtio_mmio_desc *d)
{
	for (unsigned i = 0; i < nr_mmio; i++) {
		const struct virtio_mmio_desc *o = &mmio_devices[i];

		if (d->phys == o->phys && d->size == o->size && d->irq == o->irq)
			return -EEXIST;
		if (d->phys < o->phys + o->size && o->phys < d->phys + d->size) {
			pr_err("%s: overlaps %s; ignored", d->word, o->word);
			return -EEXIST;
		}
	}
	if (nr_mmio == VIRTIO_MMIO_MAX_DEVICES) {
		pr_err("%s: more than %d virtio-mmio devices; ignored", d->word,
		       VIRTIO_MMIO_MAX_DEVICES);
		return -ENOSPC;
	}
	mmio_devices[nr_mmio++] = *d;
	return 0;
}

int virtio_mmio_add_window(phys_addr_t phys, u64 size, u32 irq, const char *what)
{
	struct virtio_mmio_desc d;

	memset(&d, 0, sizeof(d));
	ksnprintf(d.word, sizeof(d.word), "%s", what);
	if (size < VIRTIO_MMIO_CONFIG || phys + size < phys || irq > 255) {
		pr_err("%s: window %#lx+%#lx, IRQ %u: a window of at least %#x bytes "
		       "and an IRQ below 256 expected; ignored",
		       what, phys, size, irq, VIRTIO_MMIO_CONFIG);
		return -ERANGE;
	}
	d.phys = phys;
	d.size = size;
	d.irq = irq;
	return mmio_keep(&d);
}

int virtio_mmio_add(const char *value)
{
	struct virtio_mmio_desc d;
	int err = virtio_mmio_parse(value, &d);

	if (err == -ERANGE) {
		pr_err("virtio_mmio.device=%s: a window of at least %#x bytes that does not wrap, "
		       "and an IRQ below 256, expected; ignored",
		       value, VIRTIO_MMIO_CONFIG);
		return err;
	}
	if (err) {
		pr_err("virtio_mmio.device=%s: expected SIZE@BASE:IRQ[:ID] (such as "
		       "512@0xfeb00e00:12); ignored",
		       value);
		return err;
	}
	ksnprintf(d.word, sizeof(d.word), "virtio_mmio.device=%s", value);
	return mmio_keep(&d);
}

unsigned virtio_mmio_count(void)
{
	return nr_mmio;
}

struct virtio_mmio_desc *virtio_mmio_at(unsigned i)
{
	return i < nr_mmio ? &mmio_devices[i] : NULL;
}

void virtio_mmio_forget(void)
{
	nr_mmio = 0;
}

/* ------------------------------------------------------------------------
 * Registers
 */

static u32 mmio_read(const struct virtio_device *vdev, u32 off)
{
	return readl(vdev->mmio.base + off);
}

static void mmio_write(struct virtio_device *vdev, u32 off, u32 v)
{
	writel(v, vdev->mmio.base + off);
}

/* Map the window once and say what is behind it: the DeviceID, 0 for none. */
static volatile u8 *desc_map(struct virtio_mmio_desc *d)
{
	if (!d->base)
		d->base = ioremap(d->phys, d->size);
	return d->base;
}

u32 virtio_mmio_device_id(struct virtio_mmio_desc *d)
{
	volatile u8 *base = desc_map(d);
	u32 magic, version;

	if (!base) {
		pr_err("%s: the window cannot be mapped", d->word);
		return 0;
	}
	magic = readl(base + VIRTIO_MMIO_MAGIC_VALUE);
	version = readl(base + VIRTIO_MMIO_VERSION);
	if (magic != VIRTIO_MMIO_MAGIC) {
		pr_err("%s: MagicValue %#x is not \"virt\" (%#x)", d->word, magic,
		       VIRTIO_MMIO_MAGIC);
		return 0;
	}
	if (version != 1 && version != 2) {
		pr_err("%s: Version %u is neither 1 (legacy) nor 2", d->word, version);
		return 0;
	}
	/* DeviceID 0: a transport with no device behind it (§4.2.3.1.1). */
	return readl(base + VIRTIO_MMIO_DEVICE_ID);
}

int virtio_mmio_probe(struct virtio_mmio_desc *d, struct virtio_device *vdev)
{
	int err;

	if (!virtio_mmio_device_id(d))
		return -ENODEV;
	vdev->mmio.base = d->base;
	vdev->mmio.phys = d->phys;
	vdev->mmio.size = d->size;
	vdev->mmio.gsi = d->irq;
	vdev->mmio.vector = -1;
	vdev->mmio.version = readl(d->base + VIRTIO_MMIO_VERSION);
	vdev->device_id = readl(d->base + VIRTIO_MMIO_DEVICE_ID);
	vdev->modern = vdev->mmio.version == 2;
	vdev->ops = &virtio_mmio_ops;
	vdev->mapped = true;

	/* §4.2.3.1.1: reset, ACKNOWLEDGE, DRIVER, then the features. */
	err = virtio_reset(vdev);
	if (err)
		return err;
	virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER);
	mmio_write(vdev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	vdev->device_features = (u64)mmio_read(vdev, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	mmio_write(vdev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	vdev->device_features |= mmio_read(vdev, VIRTIO_MMIO_DEVICE_FEATURES);
	/* §4.2.4: a legacy device learns our page size before any queue. */
	if (!vdev->modern)
		mmio_write(vdev, VIRTIO_MMIO_GUEST_PAGE_SIZE, VIRTIO_MMIO_LEGACY_PAGE);
	return 0;
}

static u8 vm_get_status(struct virtio_device *vdev)
{
	return (u8)mmio_read(vdev, VIRTIO_MMIO_STATUS);
}

static void vm_set_status(struct virtio_device *vdev, u8 status)
{
	mmio_write(vdev, VIRTIO_MMIO_STATUS, status);
}

static int vm_reset(struct virtio_device *vdev)
{
	int err = virtio_reset_wait(vdev);

	/* A legacy device forgets the page size with everything else. */
	if (!err && !vdev->modern)
		mmio_write(vdev, VIRTIO_MMIO_GUEST_PAGE_SIZE, VIRTIO_MMIO_LEGACY_PAGE);
	return err;
}

static void vm_set_features(struct virtio_device *vdev, u64 f)
{
	mmio_write(vdev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_write(vdev, VIRTIO_MMIO_DRIVER_FEATURES, (u32)(f >> 32));
	mmio_write(vdev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_write(vdev, VIRTIO_MMIO_DRIVER_FEATURES, (u32)f);
}

/*
 * Device configuration, read a byte at a time (QEMU accepts any width);
 * version 2 bumps ConfigGeneration when fields change under us (2.4.1),
 * version 1 has no such counter. Past the window: zeroes, as a field the
 * device lacks.
 */
static int vm_cread(struct virtio_device *vdev, unsigned offset, void *buf, unsigned len)
{
	u64 room = vdev->mmio.size - VIRTIO_MMIO_CONFIG;
	u32 gen0 = 0, gen1 = 0;
	u8 *out = buf;

	for (unsigned tries = 0; tries < VIRTIO_MMIO_CREAD_TRIES; tries++) {
		if (vdev->modern)
			gen0 = mmio_read(vdev, VIRTIO_MMIO_CONFIG_GENERATION);
		for (unsigned i = 0; i < len; i++)
			out[i] = offset + i < room
					 ? readb(vdev->mmio.base + VIRTIO_MMIO_CONFIG + offset + i)
					 : 0;
		if (vdev->modern)
			gen1 = mmio_read(vdev, VIRTIO_MMIO_CONFIG_GENERATION);
		if (gen0 == gen1)
			return 0;
	}
	pr_err("%s: ConfigGeneration changed during each of %d reads of the device "
	       "configuration (last %u, then %u)",
	       vdev->name, VIRTIO_MMIO_CREAD_TRIES, gen0, gen1);
	return -EIO;
}

/* ------------------------------------------------------------------------
 * Queues and the interrupt
 */

static bool vm_notify(struct virtqueue *vq)
{
	struct virtio_device *vdev = vq->priv;

	mmio_write(vdev, VIRTIO_MMIO_QUEUE_NOTIFY, vq->index);
	return true;
}

/*
 * One line for the device: InterruptStatus says what it was for, and
 * writing the same bits to InterruptACK lowers it (§4.2.2). A poll queue's
 * buffers are its poller's; a notification for one is only acknowledged.
 */
static int vm_interrupt(int vector, void *data)
{
	struct virtio_device *vdev = data;
	u32 status = mmio_read(vdev, VIRTIO_MMIO_INTERRUPT_STATUS);

	if (!status)
		return IRQ_NONE;
	mmio_write(vdev, VIRTIO_MMIO_INTERRUPT_ACK, status);
	if (status & VIRTIO_MMIO_INT_CONFIG) {
		vdev->config_changes++;
		if (vdev->config_changed)
			vdev->config_changed(vdev);
	}
	if (status & VIRTIO_MMIO_INT_VRING) {
		for (unsigned i = 0; i < vdev->nvqs - vdev->npoll; i++)
			vring_interrupt(vector, vdev->vqs[i]);
	}
	return IRQ_HANDLED;
}

static int vm_setup_queue(struct virtio_device *vdev, unsigned i, unsigned max_size,
			  vq_callback_t cb, const char *name)
{
	bool packed = virtio_has_feature(vdev, VIRTIO_F_RING_PACKED);
	struct virtqueue *vq;
	u32 size;

	mmio_write(vdev, VIRTIO_MMIO_QUEUE_SEL, i);
	/* §4.2.3.2: a queue must not be in use before it is set up. */
	if (vdev->modern ? mmio_read(vdev, VIRTIO_MMIO_QUEUE_READY)
			 : mmio_read(vdev, VIRTIO_MMIO_QUEUE_PFN)) {
		pr_err("%s: queue %u: %s is set before the queue was set up", vdev->name, i,
		       vdev->modern ? "QueueReady" : "QueuePFN");
		return -EINVAL;
	}
	size = mmio_read(vdev, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (size == 0) {
		pr_err("%s: queue %u: QueueNumMax is 0 (queue not available)", vdev->name, i);
		return -ENODEV;
	}
	if (size > VIRTQUEUE_MAX_SIZE) {
		pr_err("%s: queue %u: QueueNumMax %u is above %u", vdev->name, i, size,
		       VIRTQUEUE_MAX_SIZE);
		return -EINVAL;
	}
	/*
	 * The driver picks the size, at most QueueNumMax (§4.2.3.2); a split
	 * ring needs a power of two, so the largest one that fits.
	 */
	if (max_size && size > max_size)
		size = max_size;
	if (!packed)
		while (!is_power_of_2(size))
			size &= size - 1;
	vq = vring_create_virtqueue(i, size, vdev->features, vm_notify, cb, vdev, name);
	if (!vq)
		return -ENOMEM;
	vdev->vqs[i] = vq;
	mmio_write(vdev, VIRTIO_MMIO_QUEUE_NUM, size);
	if (vdev->modern) {
		u64 desc = virtqueue_get_desc_addr(vq), avail = virtqueue_get_avail_addr(vq),
		    used = virtqueue_get_used_addr(vq);

		mmio_write(vdev, VIRTIO_MMIO_QUEUE_DESC_LOW, (u32)desc);
		mmio_write(vdev, VIRTIO_MMIO_QUEUE_DESC_HIGH, (u32)(desc >> 32));
		mmio_write(vdev, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (u32)avail);
		mmio_write(vdev, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (u32)(avail >> 32));
		mmio_write(vdev, VIRTIO_MMIO_QUEUE_USED_LOW, (u32)used);
		mmio_write(vdev, VIRTIO_MMIO_QUEUE_USED_HIGH, (u32)(used >> 32));
		mmio_write(vdev, VIRTIO_MMIO_QUEUE_READY, 1);
	} else {
		/*
		 * §4.2.4: the legacy layout, the used ring aligned to
		 * QueueAlign, found from one page number.
		 */
		u64 pfn = virtqueue_get_desc_addr(vq) / VIRTIO_MMIO_LEGACY_PAGE;

		if (pfn >> 32) {
			pr_err("%s: queue %u: a ring above 16 TiB cannot be given to a legacy "
			       "device",
			       vdev->name, i);
			return -EINVAL;
		}
		mmio_write(vdev, VIRTIO_MMIO_QUEUE_ALIGN, VIRTIO_PCI_VRING_ALIGN);
		mmio_write(vdev, VIRTIO_MMIO_QUEUE_PFN, (u32)pfn);
	}
	return 0;
}

static void vm_release_irqs(struct virtio_device *vdev)
{
	if (vdev->mmio.vector >= 0) {
		free_irq(vdev->mmio.vector, vdev);
		irq_free_vector(vdev->mmio.vector);
		vdev->mmio.vector = -1;
	}
}

static int vm_find_vqs(struct virtio_device *vdev, vq_callback_t cb, unsigned max_size,
		       bool allow_msi, const char *prefix)
{
	int err;

	for (unsigned i = 0; i < vdev->nvqs; i++) {
		char name[VIRTQUEUE_NAME_MAX];
		bool polled = i >= vdev->nvqs - vdev->npoll;

		ksnprintf(name, sizeof(name), "%s.req%u", prefix, i);
		err = vm_setup_queue(vdev, i, max_size, polled ? NULL : cb, name);
		if (err)
			return err;
		if (polled)
			virtqueue_set_polled(vdev->vqs[i]);
	}
	vdev->mmio.vector = irq_alloc_vector();
	if (vdev->mmio.vector < 0)
		return vdev->mmio.vector;
	err = request_irq(vdev->mmio.vector, vm_interrupt, vdev, vdev->name);
	if (err)
		return err;
	/* QEMU raises the line while InterruptStatus is not 0: level, active high. */
	err = ioapic_route(vdev->mmio.gsi, (u8)vdev->mmio.vector, true, false);
	if (err) {
		pr_err("%s: no IOAPIC input for IRQ %u (virtio_mmio.device's IRQ)", vdev->name,
		       vdev->mmio.gsi);
		return err;
	}
	return 0;
}

static void vm_del_vqs(struct virtio_device *vdev)
{
	vm_release_irqs(vdev);
}

static void vm_isolate(struct virtio_device *vdev)
{
	/* No bus to cut: only our side of the line. */
	vm_release_irqs(vdev);
}

static void vm_remove(struct virtio_device *vdev)
{
	vm_release_irqs(vdev);
}

static void vm_describe(const struct virtio_device *vdev, char *buf, size_t len)
{
	ksnprintf(buf, len,
		  "virtio-mmio %#lx (%lu bytes), %s transport (version %u), IOAPIC IRQ %u "
		  "(one line for every queue)",
		  vdev->mmio.phys, vdev->mmio.size, vdev->modern ? "modern" : "legacy",
		  vdev->mmio.version, vdev->mmio.gsi);
}

static void vm_vq_irq_name(const struct virtio_device *vdev, unsigned i, char *buf, size_t len)
{
	if (i >= vdev->nvqs - vdev->npoll)
		ksnprintf(buf, len,
			  "polled; virtio-mmio cannot make it interrupt-free (one line for "
			  "every queue)");
	else
		ksnprintf(buf, len, "IRQ %u, vector %d (shared)", vdev->mmio.gsi,
			  vdev->mmio.vector);
}

static const struct virtio_config_ops virtio_mmio_ops = {
	.get_status = vm_get_status,
	.set_status = vm_set_status,
	.reset = vm_reset,
	.isolate = vm_isolate,
	.set_features = vm_set_features,
	.cread = vm_cread,
	.find_vqs = vm_find_vqs,
	.del_vqs = vm_del_vqs,
	.release_irqs = vm_release_irqs,
	.remove = vm_remove,
	.describe = vm_describe,
	.vq_irq_name = vm_vq_irq_name,
};
