/* SPDX-License-Identifier: MIT */
/*
 * The virtio PCI transport, modern (virtio 1.1, 4.1.4) and legacy (4.1.4.8).
 *
 * The capability walk decides once which interface a device gets; after that
 * every register access goes through one small region abstraction (an I/O
 * port range or an MMIO window) so the rest of the file never asks again.
 * Transitional devices offer both: modern is preferred, since it has no
 * 4 KiB ring-alignment rule, lets us choose the queue size, and is the only
 * way to negotiate feature bits above 31.
 */
#include "drivers/virtio.h"
#include "kernel/io.h"
#include "kernel/platform.h"
#include "kernel/string.h"

#define PCI_VENDOR_ID_REDHAT_QUMRANET 0x1af4
#define VIRTIO_PCI_DEVICE_LEGACY_FIRST 0x1000
#define VIRTIO_PCI_DEVICE_LEGACY_LAST 0x103f
#define VIRTIO_PCI_DEVICE_MODERN_FIRST 0x1040
#define VIRTIO_PCI_DEVICE_MODERN_LAST 0x107f

/* virtio_pci_cap (4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5
#define CAP_LEN 2
#define CAP_CFG_TYPE 3
#define CAP_BAR 4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_NOTIFY_OFF_MULTIPLIER 16
#define VIRTIO_PCI_CAP_SIZE 16	      /* struct virtio_pci_cap */
#define VIRTIO_PCI_NOTIFY_CAP_SIZE 20 /* struct virtio_pci_notify_cap */
#define PCI_CFG_SPACE_SIZE 256

/* struct virtio_pci_common_cfg (4.1.4.3). */
#define COMMON_DFSELECT 0
#define COMMON_DF 4
#define COMMON_GFSELECT 8
#define COMMON_GF 12
#define COMMON_MSIX 16
#define COMMON_NUMQ 18
#define COMMON_STATUS 20
#define COMMON_CFGGENERATION 21
#define COMMON_Q_SELECT 22
#define COMMON_Q_SIZE 24
#define COMMON_Q_MSIX 26
#define COMMON_Q_ENABLE 28
#define COMMON_Q_NOFF 30
#define COMMON_Q_DESCLO 32
#define COMMON_Q_AVAILLO 40
#define COMMON_Q_USEDLO 48
#define COMMON_CFG_MIN_LEN 56

/* Legacy I/O layout (4.1.4.8). */
#define LEGACY_HOST_FEATURES 0
#define LEGACY_GUEST_FEATURES 4
#define LEGACY_QUEUE_PFN 8
#define LEGACY_QUEUE_NUM 12
#define LEGACY_QUEUE_SEL 14
#define LEGACY_QUEUE_NOTIFY 16
#define LEGACY_STATUS 18
#define LEGACY_ISR 19
#define LEGACY_MSI_CONFIG_VECTOR 20
#define LEGACY_MSI_QUEUE_VECTOR 22
#define LEGACY_CONFIG_OFF(msix) ((msix) ? 24 : 20)
#define LEGACY_PFN_SHIFT 12

#define VIRTIO_PCI_ISR_QUEUE 0x1
#define VIRTIO_PCI_ISR_CONFIG 0x2

/* A configuration read is retried this often while config_generation moves. */
#define VIRTIO_CREAD_TRIES 64

static void release_irqs(struct virtio_device *vdev);
static const struct virtio_config_ops virtio_pci_ops;

/* Each virtqueue's notification address, kept beside the ring. */
struct vp_vq_info {
	struct virtio_device *vdev;
	struct virtio_pci_region notify;
	u32 notify_offset;
};

static u32 region_read(const struct virtio_pci_region *r, u32 off, unsigned size)
{
	if (r->io) {
		u16 port = r->port + off;
		return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
	}
	volatile u8 *a = r->mmio + off;
	return size == 1 ? readb(a) : size == 2 ? readw(a) : readl(a);
}

static void region_write(const struct virtio_pci_region *r, u32 off, unsigned size, u32 v)
{
	if (r->io) {
		u16 port = r->port + off;
		if (size == 1)
			outb(port, (u8)v);
		else if (size == 2)
			outw(port, (u16)v);
		else
			outl(port, v);
		return;
	}
	volatile u8 *a = r->mmio + off;
	if (size == 1)
		writeb((u8)v, a);
	else if (size == 2)
		writew((u16)v, a);
	else
		writel(v, a);
}

#define common_read8(v, o) ((u8)region_read(&(v)->common, o, 1))
#define common_read16(v, o) ((u16)region_read(&(v)->common, o, 2))
#define common_read32(v, o) region_read(&(v)->common, o, 4)
#define common_write8(v, o, x) region_write(&(v)->common, o, 1, x)
#define common_write16(v, o, x) region_write(&(v)->common, o, 2, x)
#define common_write32(v, o, x) region_write(&(v)->common, o, 4, x)

static void common_write64(struct virtio_device *vdev, u32 off, u64 v)
{
	common_write32(vdev, off, (u32)v);
	common_write32(vdev, off + 4, (u32)(v >> 32));
}

bool virtio_pci_is_virtio(const struct pci_dev *pci, u32 *device_id)
{
	if (pci->vendor != PCI_VENDOR_ID_REDHAT_QUMRANET)
		return false;
	if (pci->device >= VIRTIO_PCI_DEVICE_MODERN_FIRST &&
	    pci->device <= VIRTIO_PCI_DEVICE_MODERN_LAST) {
		*device_id = pci->device - VIRTIO_PCI_DEVICE_MODERN_FIRST;
		return true;
	}
	if (pci->device >= VIRTIO_PCI_DEVICE_LEGACY_FIRST &&
	    pci->device <= VIRTIO_PCI_DEVICE_LEGACY_LAST) {
		/* Transitional devices name their type in the subsystem ID (4.1.2.1). */
		*device_id = pci->subsys_device;
		return true;
	}
	return false;
}

/* What one vendor capability says (4.1.4: struct virtio_pci_cap). */
struct vp_cap {
	u8 pos, type, bar;
	u32 offset, length;
	struct pci_bar *b;
};

static const char *const cap_names[] = {
	[VIRTIO_PCI_CAP_COMMON_CFG] = "common",
	[VIRTIO_PCI_CAP_NOTIFY_CFG] = "notify",
	[VIRTIO_PCI_CAP_ISR_CFG] = "ISR",
	[VIRTIO_PCI_CAP_DEVICE_CFG] = "device",
};

/*
 * Read the capability at @pos and decide whether this driver can use it:
 * the structure must lie inside a BAR that exists, be long enough to be
 * used, and be aligned as 4.1.4.3 (common: 4 bytes), 4.1.4.4 (notify: 2)
 * and 4.1.4.6 (device: 4) require. The capability is device input like
 * everything else; one that fails is reported and skipped, and the next of
 * its type is tried (4.1.4.1: the first one the driver can use).
 */
static bool read_cap(struct virtio_device *vdev, u8 pos, struct vp_cap *c)
{
	static const u32 min_len[] = {
		[VIRTIO_PCI_CAP_COMMON_CFG] = COMMON_CFG_MIN_LEN,
		[VIRTIO_PCI_CAP_NOTIFY_CFG] = 2,
		[VIRTIO_PCI_CAP_ISR_CFG] = 1,
		[VIRTIO_PCI_CAP_DEVICE_CFG] = 0,
	};
	static const u32 align[] = {
		[VIRTIO_PCI_CAP_COMMON_CFG] = 4,
		[VIRTIO_PCI_CAP_NOTIFY_CFG] = 2,
		[VIRTIO_PCI_CAP_ISR_CFG] = 1,
		[VIRTIO_PCI_CAP_DEVICE_CFG] = 4,
	};
	struct pci_dev *pci = vdev->pci;
	u8 cap_len = pci_read8(pci, pos + CAP_LEN);
	const char *what;

	c->pos = pos;
	c->type = pci_read8(pci, pos + CAP_CFG_TYPE);
	if (c->type < VIRTIO_PCI_CAP_COMMON_CFG || c->type > VIRTIO_PCI_CAP_DEVICE_CFG)
		return false; /* PCI_CFG, or a type this driver does not know (4.1.4) */
	what = cap_names[c->type];
	if (cap_len < VIRTIO_PCI_CAP_SIZE ||
	    (c->type == VIRTIO_PCI_CAP_NOTIFY_CFG && cap_len < VIRTIO_PCI_NOTIFY_CAP_SIZE) ||
	    pos + cap_len > PCI_CFG_SPACE_SIZE) {
		pr_warn("%s: %s capability at %#x: cap_len %u is too short or overruns "
			"configuration space; skipped",
			vdev->name, what, pos, cap_len);
		return false;
	}
	c->bar = pci_read8(pci, pos + CAP_BAR);
	c->offset = pci_read32(pci, pos + CAP_OFFSET);
	c->length = pci_read32(pci, pos + CAP_LENGTH);
	if (c->bar >= PCI_MAX_BARS || !pci->bar[c->bar].size) {
		pr_warn("%s: %s capability at %#x names BAR%u, which does not exist; skipped",
			vdev->name, what, pos, c->bar);
		return false;
	}
	c->b = &pci->bar[c->bar];
	if (c->length < min_len[c->type] || (u64)c->offset + c->length > c->b->size ||
	    c->offset % align[c->type]) {
		pr_warn("%s: %s capability at %#x (offset %#x, length %#x) does not fit BAR%u "
			"(size %#lx) as a %u-aligned structure of at least %u bytes; skipped",
			vdev->name, what, pos, c->offset, c->length, c->bar, c->b->size,
			align[c->type], min_len[c->type]);
		return false;
	}
	return true;
}

static bool caps_overlap(const struct vp_cap *a, const struct vp_cap *b)
{
	return a->bar == b->bar && a->length && b->length &&
	       (u64)a->offset < (u64)b->offset + b->length &&
	       (u64)b->offset < (u64)a->offset + a->length;
}

static int map_cap(struct virtio_device *vdev, const struct vp_cap *c, struct virtio_pci_region *r)
{
	r->length = c->length;
	if (c->b->io) {
		r->io = true;
		r->port = (u16)(c->b->addr + c->offset);
		return 0;
	}
	u8 *base = pci_iomap(vdev->pci, c->bar);
	if (!base)
		return -ENODEV;
	r->mmio = base + c->offset;
	return 0;
}

/*
 * The modern interface (4.1.4): the structures its vendor capabilities
 * point at. The list is walked once, with a bound, so a list that loops
 * ends; -ENODEV when there is no common configuration capability at all
 * (a legacy device), -EINVAL when the capabilities are there but unusable.
 */
static int probe_modern(struct virtio_device *vdev)
{
	struct pci_dev *pci = vdev->pci;
	u8 pos[PCI_CAP_MAX_COUNT];
	unsigned n = pci_find_capabilities(pci, PCI_CAP_ID_VNDR, pos, ARRAY_SIZE(pos));
	struct vp_cap found[VIRTIO_PCI_CAP_DEVICE_CFG + 1] = {0}, c;
	bool any_common = false;
	u32 mult;
	int err;

	for (unsigned i = 0; i < n; i++) {
		if (pci_read8(pci, pos[i] + CAP_CFG_TYPE) == VIRTIO_PCI_CAP_COMMON_CFG)
			any_common = true;
		if (read_cap(vdev, pos[i], &c) && !found[c.type].pos)
			found[c.type] = c;
	}
	if (!any_common)
		return -ENODEV;
	for (unsigned t = VIRTIO_PCI_CAP_COMMON_CFG; t <= VIRTIO_PCI_CAP_ISR_CFG; t++) {
		if (!found[t].pos) {
			pr_err("%s: modern device without a usable %s capability", vdev->name,
			       cap_names[t]);
			return -EINVAL;
		}
	}
	/* Two structures in one window would each see the other's accesses. */
	for (unsigned a = VIRTIO_PCI_CAP_COMMON_CFG; a <= VIRTIO_PCI_CAP_DEVICE_CFG; a++) {
		for (unsigned b = a + 1; b <= VIRTIO_PCI_CAP_DEVICE_CFG; b++) {
			if (found[a].pos && found[b].pos && caps_overlap(&found[a], &found[b])) {
				pr_err("%s: %s structure (BAR%u, offset %#x, length %#x) overlaps "
				       "the %s structure (offset %#x, length %#x)",
				       vdev->name, cap_names[a], found[a].bar, found[a].offset,
				       found[a].length, cap_names[b], found[b].offset,
				       found[b].length);
				return -EINVAL;
			}
		}
	}
	/* 4.1.4.4: an even power of 2, or 0 (every queue at one address). */
	mult = pci_read32(pci, found[VIRTIO_PCI_CAP_NOTIFY_CFG].pos + CAP_NOTIFY_OFF_MULTIPLIER);
	if (mult && (mult < 2 || !is_power_of_2(mult))) {
		pr_err("%s: notify_off_multiplier %u is not 0 or an even power of two", vdev->name,
		       mult);
		return -EINVAL;
	}
	if ((err = map_cap(vdev, &found[VIRTIO_PCI_CAP_COMMON_CFG], &vdev->common)) ||
	    (err = map_cap(vdev, &found[VIRTIO_PCI_CAP_NOTIFY_CFG], &vdev->notify)) ||
	    (err = map_cap(vdev, &found[VIRTIO_PCI_CAP_ISR_CFG], &vdev->isr)))
		return err;
	if (found[VIRTIO_PCI_CAP_DEVICE_CFG].pos &&
	    (err = map_cap(vdev, &found[VIRTIO_PCI_CAP_DEVICE_CFG], &vdev->device)))
		return err;
	vdev->notify_off_multiplier = mult;
	vdev->modern = true;
	return 0;
}

static int probe_legacy(struct virtio_device *vdev)
{
	struct pci_bar *b = &vdev->pci->bar[0];

	if (vdev->pci->device > VIRTIO_PCI_DEVICE_LEGACY_LAST) {
		pr_err("%s: modern-only device without a common configuration capability",
		       vdev->name);
		return -EINVAL;
	}
	if (!b->io || b->size < LEGACY_CONFIG_OFF(false)) {
		pr_err("%s: legacy device without an I/O BAR0 (size %#lx)", vdev->name, b->size);
		return -EINVAL;
	}
	vdev->common.io = true;
	vdev->common.port = (u16)b->addr;
	vdev->common.length = (u32)b->size;
	vdev->isr = vdev->common;
	vdev->isr.port += LEGACY_ISR;
	vdev->modern = false;
	return 0;
}

int virtio_pci_probe(struct pci_dev *pci, struct virtio_device *vdev)
{
	int err;

	vdev->pci = pci;
	vdev->ops = &virtio_pci_ops;
	vdev->config_vector = -1;
	vdev->intx_vector = -1;
	if (!virtio_pci_is_virtio(pci, &vdev->device_id))
		return -ENODEV;
	pci_enable_device(pci);
	err = probe_modern(vdev);
	if (err == -ENODEV)
		err = probe_legacy(vdev);
	if (err)
		return err;
	vdev->mapped = true;
	err = virtio_reset(vdev);
	if (err)
		return err;
	virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER);
	if (vdev->modern) {
		common_write32(vdev, COMMON_DFSELECT, 0);
		u64 lo = common_read32(vdev, COMMON_DF);
		common_write32(vdev, COMMON_DFSELECT, 1);
		vdev->device_features = lo | ((u64)common_read32(vdev, COMMON_DF) << 32);
	} else {
		vdev->device_features = common_read32(vdev, LEGACY_HOST_FEATURES);
	}
	return 0;
}

static u8 vp_get_status(struct virtio_device *vdev)
{
	return vdev->modern ? common_read8(vdev, COMMON_STATUS) : common_read8(vdev, LEGACY_STATUS);
}

static void vp_set_status(struct virtio_device *vdev, u8 status)
{
	common_write8(vdev, vdev->modern ? COMMON_STATUS : LEGACY_STATUS, status);
}

static int vp_reset(struct virtio_device *vdev)
{
	int err = virtio_reset_wait(vdev);

	/* Reading ISR drops an INTx the device may still hold asserted. */
	if (!err)
		(void)region_read(&vdev->isr, 0, 1);
	return err;
}

static void vp_isolate(struct virtio_device *vdev)
{
	pci_clear_master(vdev->pci);
	pci_intx_enable(vdev->pci, false);
	release_irqs(vdev);
}

static void vp_set_features(struct virtio_device *vdev, u64 f)
{
	if (vdev->modern) {
		common_write32(vdev, COMMON_GFSELECT, 0);
		common_write32(vdev, COMMON_GF, (u32)f);
		common_write32(vdev, COMMON_GFSELECT, 1);
		common_write32(vdev, COMMON_GF, (u32)(f >> 32));
	} else {
		common_write32(vdev, LEGACY_GUEST_FEATURES, (u32)f);
	}
}

static struct virtio_pci_region config_region(struct virtio_device *vdev)
{
	struct virtio_pci_region r = vdev->common;

	if (vdev->modern)
		return vdev->device;
	r.port += LEGACY_CONFIG_OFF(vdev->pci->msix_enabled);
	r.length = r.length > LEGACY_CONFIG_OFF(vdev->pci->msix_enabled)
			   ? r.length - LEGACY_CONFIG_OFF(vdev->pci->msix_enabled)
			   : 0;
	return r;
}

/*
 * Read a span of device configuration. Modern devices bump
 * config_generation when fields change under us (a resize); re-read until
 * the generation is stable so multi-byte fields are never torn (2.4.1).
 * A generation that changes on every try is a device gone wrong, not a
 * reason to spin: after VIRTIO_CREAD_TRIES the read fails. Reads past the
 * region return zeroes, as a field the device lacks. Any context.
 */
static int vp_cread(struct virtio_device *vdev, unsigned offset, void *buf, unsigned len)
{
	struct virtio_pci_region r = config_region(vdev);
	u8 *out = buf;
	u8 gen0, gen1;

	for (unsigned tries = 0; tries < VIRTIO_CREAD_TRIES; tries++) {
		gen0 = vdev->modern ? common_read8(vdev, COMMON_CFGGENERATION) : 0;
		for (unsigned i = 0; i < len; i++)
			out[i] = offset + i < r.length ? (u8)region_read(&r, offset + i, 1) : 0;
		gen1 = vdev->modern ? common_read8(vdev, COMMON_CFGGENERATION) : 0;
		if (gen0 == gen1)
			return 0;
	}
	pr_err("%s: config_generation changed during each of %d reads of the device "
	       "configuration (last %u, then %u)",
	       vdev->name, VIRTIO_CREAD_TRIES, gen0, gen1);
	return -EIO;
}

static bool vp_notify(struct virtqueue *vq)
{
	struct vp_vq_info *info = vq->transport;

	region_write(&info->notify, info->notify_offset, 2, vq->index);
	return true;
}

/* INTx: reading ISR acknowledges the interrupt and says what it was for. */
static int vp_intx_interrupt(int vector, void *data)
{
	struct virtio_device *vdev = data;
	u8 isr = (u8)region_read(&vdev->isr, 0, 1);

	if (!isr)
		return IRQ_NONE; /* another device on the shared line */
	if (isr & VIRTIO_PCI_ISR_CONFIG) {
		vdev->config_changes++;
		if (vdev->config_changed)
			vdev->config_changed(vdev);
	}
	/* Poll queues have their poller; a notification for one is ignored. */
	if (isr & VIRTIO_PCI_ISR_QUEUE) {
		for (unsigned i = 0; i < vdev->nvqs - vdev->npoll; i++)
			vring_interrupt(vector, vdev->vqs[i]);
	}
	return IRQ_HANDLED;
}

static int vp_vq_interrupt(int vector, void *data)
{
	return vring_interrupt(vector, data);
}

static int vp_shared_vq_interrupt(int vector, void *data)
{
	struct virtio_device *vdev = data;
	int ret = IRQ_NONE;

	for (unsigned i = 0; i < vdev->nvqs - vdev->npoll; i++)
		ret |= vring_interrupt(vector, vdev->vqs[i]);
	return ret;
}

static int vp_config_interrupt(int vector, void *data)
{
	struct virtio_device *vdev = data;

	vdev->config_changes++;
	if (vdev->config_changed)
		vdev->config_changed(vdev);
	return IRQ_HANDLED;
}

static void select_queue(struct virtio_device *vdev, unsigned i)
{
	common_write16(vdev, vdev->modern ? COMMON_Q_SELECT : LEGACY_QUEUE_SEL, (u16)i);
}

/* Assign MSI-X table entry @entry to the config or current queue; read it back. */
static bool set_msix_entry(struct virtio_device *vdev, bool config, u16 entry)
{
	u32 off;

	if (vdev->modern)
		off = config ? COMMON_MSIX : COMMON_Q_MSIX;
	else
		off = config ? LEGACY_MSI_CONFIG_VECTOR : LEGACY_MSI_QUEUE_VECTOR;
	common_write16(vdev, off, entry);
	/* A device out of vectors answers NO_VECTOR (4.1.4.3.2, 4.1.5.1.2). */
	return common_read16(vdev, off) == entry;
}

static int setup_queue(struct virtio_device *vdev, unsigned i, unsigned max_size, vq_callback_t cb,
		       const char *name)
{
	bool packed = virtio_has_feature(vdev, VIRTIO_F_RING_PACKED);
	struct vp_vq_info *info;
	struct virtqueue *vq;
	unsigned size;

	select_queue(vdev, i);
	size = common_read16(vdev, vdev->modern ? COMMON_Q_SIZE : LEGACY_QUEUE_NUM);
	if (size == 0) {
		pr_err("%s: queue %u: queue_size is 0 (queue not available)", vdev->name, i);
		return -ENODEV;
	}
	/* A packed ring's size need not be a power of two (2.7). */
	if ((!packed && !is_power_of_2(size)) || size > VIRTQUEUE_MAX_SIZE) {
		pr_err("%s: queue %u: queue_size %u is not %s up to %u", vdev->name, i, size,
		       packed ? "a size" : "a power of two", VIRTQUEUE_MAX_SIZE);
		return -EINVAL;
	}
	/* Only the modern interface lets the driver shrink a queue (4.1.4.3.2). */
	if (vdev->modern && max_size && size > max_size) {
		if (packed) {
			size = max_size;
		} else {
			while (size > max_size)
				size >>= 1;
		}
		common_write16(vdev, COMMON_Q_SIZE, (u16)size);
	}
	info = kzalloc(sizeof(*info));
	if (!info)
		return -ENOMEM;
	info->vdev = vdev;
	vq = vring_create_virtqueue(i, size, vdev->features, vp_notify, cb, vdev, name);
	if (!vq) {
		kfree(info);
		return -ENOMEM;
	}
	vq->transport = info;
	vdev->vqs[i] = vq;

	if (vdev->modern) {
		u32 noff = common_read16(vdev, COMMON_Q_NOFF);
		u64 off = (u64)noff * vdev->notify_off_multiplier;
		if (off + 2 > vdev->notify.length) {
			pr_err("%s: queue %u: queue_notify_off %u x multiplier %u lies outside "
			       "the notify region (%u bytes)",
			       vdev->name, i, noff, vdev->notify_off_multiplier,
			       vdev->notify.length);
			return -EINVAL;
		}
		info->notify = vdev->notify;
		info->notify_offset = (u32)off;
		common_write64(vdev, COMMON_Q_DESCLO, virtqueue_get_desc_addr(vq));
		common_write64(vdev, COMMON_Q_AVAILLO, virtqueue_get_avail_addr(vq));
		common_write64(vdev, COMMON_Q_USEDLO, virtqueue_get_used_addr(vq));
	} else {
		phys_addr_t pfn = virtqueue_get_desc_addr(vq) >> LEGACY_PFN_SHIFT;
		if (pfn >> 32) {
			pr_err("%s: queue %u: ring above 16 TiB cannot be given to a legacy "
			       "device",
			       vdev->name, i);
			return -EINVAL;
		}
		info->notify = vdev->common;
		info->notify_offset = LEGACY_QUEUE_NOTIFY;
		common_write32(vdev, LEGACY_QUEUE_PFN, (u32)pfn);
	}
	return 0;
}

static void enable_queues(struct virtio_device *vdev)
{
	if (!vdev->modern)
		return; /* a legacy queue is live once its PFN is written */
	for (unsigned i = 0; i < vdev->nvqs; i++) {
		select_queue(vdev, i);
		common_write16(vdev, COMMON_Q_ENABLE, 1);
	}
}

/*
 * Interrupt plan, best first (as Linux's vp_find_vqs tries them): one MSI-X
 * vector per queue plus one for configuration changes; one vector for
 * configuration and one shared by all queues; INTx. Each assignment is read
 * back, so a device with fewer vectors than queues drops to the next plan.
 */
static int setup_msix(struct virtio_device *vdev, bool per_vq)
{
	struct pci_dev *pci = vdev->pci;
	unsigned nio = vdev->nvqs - vdev->npoll;
	unsigned need = per_vq ? nio + 1 : 2;
	int table = pci->msix_enabled ? pci->msix_size : pci_msix_enable(pci);

	if (table < 0 || (unsigned)table < need)
		return -ENOSPC;

	vdev->config_vector = irq_alloc_vector();
	if (vdev->config_vector < 0)
		return vdev->config_vector;
	request_irq(vdev->config_vector, vp_config_interrupt, vdev, vdev->name);
	pci_msix_set_entry(pci, 0, (u8)vdev->config_vector, 0);
	if (!set_msix_entry(vdev, true, 0))
		return -ENOSPC;

	int shared = -1;
	for (unsigned i = 0; i < vdev->nvqs; i++) {
		u16 entry = per_vq ? (u16)(i + 1) : 1;
		int vec;

		/* A poll queue gets no vector at all (4.1.4.3: NO_VECTOR). */
		if (i >= nio) {
			select_queue(vdev, i);
			if (!set_msix_entry(vdev, false, VIRTIO_MSI_NO_VECTOR))
				return -EIO;
			continue;
		}
		if (per_vq || shared < 0) {
			vec = irq_alloc_vector();
			if (vec < 0)
				return vec;
			if (per_vq)
				request_irq(vec, vp_vq_interrupt, vdev->vqs[i], vdev->name);
			else
				request_irq(vec, vp_shared_vq_interrupt, vdev, vdev->name);
			/*
			 * Queue i's vector goes to the CPU that submits to it
			 * (CPU i uses queue i mod num_queues), so a completion
			 * is handled where its request came from; one vector
			 * shared by every queue stays with CPU 0.
			 */
			vdev->vq_cpus[i] = per_vq ? i % num_online_cpus() : 0;
			pci_msix_set_entry(pci, entry, (u8)vec, vdev->vq_cpus[i]);
			shared = vec;
		}
		vdev->vq_vectors[i] = shared;
		vdev->vq_cpus[i] = vdev->vq_cpus[per_vq ? i : 0];
		select_queue(vdev, i);
		if (!set_msix_entry(vdev, false, entry))
			return -ENOSPC;
	}
	pci_msix_unmask_function(pci);
	vdev->irq_mode = per_vq ? VIRTIO_IRQ_MSIX_PER_VQ : VIRTIO_IRQ_MSIX_SHARED;
	return 0;
}

/*
 * Undo the interrupt set-up. MSI-X vectors go back to the pool, so a device
 * that is reset and set up again (a timeout) does not use up the CPU's
 * vectors; the INTx vector is the line's (pci_intx_vector), kept and
 * reused, as its IOAPIC route is.
 */
static void release_irqs(struct virtio_device *vdev)
{
	int last = -1;

	if (vdev->config_vector >= 0) {
		free_irq(vdev->config_vector, vdev);
		irq_free_vector(vdev->config_vector);
		vdev->config_vector = -1;
	}
	for (unsigned i = 0; vdev->vq_vectors && i < vdev->nvqs; i++) {
		int v = vdev->vq_vectors[i];
		if (v >= 0) {
			free_irq(v, vdev->vqs[i]);
			free_irq(v, vdev);
			if (v != last) /* shared vectors repeat, one after another */
				irq_free_vector(v);
			last = v;
		}
		vdev->vq_vectors[i] = -1;
	}
	if (vdev->intx_vector >= 0) {
		free_irq(vdev->intx_vector, vdev);
		pci_intx_enable(vdev->pci, false);
	}
	vdev->irq_mode = VIRTIO_IRQ_NONE;
}

static int setup_intx(struct virtio_device *vdev)
{
	int err;

	if (vdev->pci->msix_enabled)
		pci_msix_disable(vdev->pci);
	/* The line's vector, the same on every set-up (pci_intx_vector). */
	err = pci_intx_vector(vdev->pci);
	if (err < 0)
		return err;
	vdev->intx_vector = err;
	err = request_irq(vdev->intx_vector, vp_intx_interrupt, vdev, vdev->name);
	if (err)
		return err;
	pci_intx_enable(vdev->pci, true);
	/* Tell the device not to use MSI-X for anything. */
	if (vdev->modern || vdev->legacy_msix) {
		set_msix_entry(vdev, true, VIRTIO_MSI_NO_VECTOR);
		for (unsigned i = 0; i < vdev->nvqs; i++) {
			select_queue(vdev, i);
			set_msix_entry(vdev, false, VIRTIO_MSI_NO_VECTOR);
		}
	}
	vdev->irq_mode = VIRTIO_IRQ_INTX;
	return 0;
}

static int vp_find_vqs(struct virtio_device *vdev, vq_callback_t cb, unsigned max_size,
		       bool allow_msix, const char *prefix)
{
	unsigned n = vdev->nvqs, npoll = vdev->npoll;
	int err = 0;

	/* One left by abandoned queues is freed here. */
	kfree(vdev->vq_vectors);
	vdev->vq_vectors = kzalloc(n * sizeof(*vdev->vq_vectors));
	kfree(vdev->vq_cpus);
	vdev->vq_cpus = kzalloc(n * sizeof(*vdev->vq_cpus));
	if (!vdev->vq_vectors || !vdev->vq_cpus)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		vdev->vq_vectors[i] = -1;

	for (unsigned i = 0; i < n; i++) {
		char name[VIRTQUEUE_NAME_MAX];
		bool polled = i >= n - npoll;

		ksnprintf(name, sizeof(name), "%s.req%u", prefix, i);
		err = setup_queue(vdev, i, max_size, polled ? NULL : cb, name);
		if (err)
			return err;
		if (polled)
			virtqueue_set_polled(vdev->vqs[i]);
	}

	err = -ENOSPC;
	if (allow_msix && pci_find_capability(vdev->pci, PCI_CAP_ID_MSIX)) {
		vdev->legacy_msix = !vdev->modern;
		err = setup_msix(vdev, true);
		if (err) {
			release_irqs(vdev);
			err = setup_msix(vdev, false);
		}
		if (err)
			release_irqs(vdev);
	}
	if (err) {
		vdev->legacy_msix = false;
		err = setup_intx(vdev);
	}
	if (err)
		return err;
	enable_queues(vdev);
	return 0;
}

static void vp_del_vqs(struct virtio_device *vdev)
{
	release_irqs(vdev);
	kfree(vdev->vq_vectors);
	kfree(vdev->vq_cpus);
	vdev->vq_cpus = NULL;
	vdev->vq_vectors = NULL;
}

static void vp_remove(struct virtio_device *vdev)
{
	/* Abandoned queues leave it; the device may keep only what it can write. */
	kfree(vdev->vq_cpus);
	vdev->vq_cpus = NULL;
	release_irqs(vdev);
	vdev->intx_vector = -1; /* the line's, shared: it stays (pci_intx_vector) */
	if (vdev->pci->msix_enabled)
		pci_msix_disable(vdev->pci);
	pci_clear_master(vdev->pci);
}

const char *virtio_irq_mode_name(enum virtio_irq_mode m)
{
	switch (m) {
	case VIRTIO_IRQ_INTX:
		return "INTx";
	case VIRTIO_IRQ_MSIX_PER_VQ:
		return "MSI-X (one vector per queue)";
	case VIRTIO_IRQ_MSIX_SHARED:
		return "MSI-X (queues share one vector)";
	default:
		return "none (polled)";
	}
}

static void vp_describe(const struct virtio_device *vdev, char *buf, size_t len)
{
	ksnprintf(buf, len, "%s, %s transport, %s", pci_location(vdev->pci),
		  vdev->modern ? "modern" : "legacy", virtio_irq_mode_name(vdev->irq_mode));
}

static void vp_vq_irq_name(const struct virtio_device *vdev, unsigned i, char *buf, size_t len)
{
	if (i >= vdev->nvqs - vdev->npoll) {
		if (vdev->irq_mode == VIRTIO_IRQ_INTX)
			ksnprintf(buf, len,
				  "polled; INTx cannot make it interrupt-free (one line for "
				  "every queue)");
		else
			ksnprintf(buf, len, "polled, no interrupt (no MSI-X vector)");
		return;
	}
	switch (vdev->irq_mode) {
	case VIRTIO_IRQ_MSIX_PER_VQ:
		ksnprintf(buf, len, "MSI-X vector %d, CPU %u", vdev->vq_vectors[i],
			  vdev->vq_cpus ? vdev->vq_cpus[i] : 0);
		break;
	case VIRTIO_IRQ_MSIX_SHARED:
		ksnprintf(buf, len, "MSI-X vector %d (shared), CPU %u", vdev->vq_vectors[i],
			  vdev->vq_cpus ? vdev->vq_cpus[i] : 0);
		break;
	case VIRTIO_IRQ_INTX:
		ksnprintf(buf, len, "INTx GSI %d vector %d (shared), CPU 0", vdev->pci->intx_gsi,
			  vdev->intx_vector);
		break;
	default:
		ksnprintf(buf, len, "no interrupt");
		break;
	}
}

static const struct virtio_config_ops virtio_pci_ops = {
	.get_status = vp_get_status,
	.set_status = vp_set_status,
	.reset = vp_reset,
	.isolate = vp_isolate,
	.set_features = vp_set_features,
	.cread = vp_cread,
	.find_vqs = vp_find_vqs,
	.del_vqs = vp_del_vqs,
	.release_irqs = release_irqs,
	.remove = vp_remove,
	.describe = vp_describe,
	.vq_irq_name = vp_vq_irq_name,
};
