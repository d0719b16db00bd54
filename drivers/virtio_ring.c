// SPDX-License-Identifier: MIT
/*
 * Virtqueues, driver side: what the split ring (virtio 1.1 §2.6,
 * virtio_ring_split.c) and the packed ring (§2.7, virtio_ring_packed.c)
 * share. Every public entry point is here; each checks what a caller hands
 * it, decides what both layouts decide the same way (whether a chain goes
 * into an indirect table), and then calls its queue's layout, chosen once at
 * creation, as Linux's virtqueue_add dispatches to virtqueue_add_split or
 * virtqueue_add_packed.
 *
 * What the driver needs to know about a buffer in flight (its token, its
 * descriptors, its writable bytes, its indirect table) is kept in private
 * memory, per split chain head or per packed buffer id. The device is not
 * trusted: every used entry is checked against that private state before it
 * is believed, in both layouts.
 *
 * Concurrency: as with Linux's virtqueue API, the caller serializes every
 * call on a virtqueue that touches the free lists, the indices or the
 * per-buffer state (virtio-blk holds the queue's lock, with interrupts off,
 * around each; its interrupt handler takes the same lock), so nothing here
 * turns interrupts off again: on the I/O path that was one more
 * pushf/cli per call, which under TCG costs as much as dozens of plain
 * instructions. vring_interrupt() reads only the used index before it
 * calls back, as Linux's does. The device is another agent entirely (a
 * QEMU thread on another host CPU), ordered only by the barriers in the
 * layout files.
 */
#include "drivers/virtio_ring_internal.h"

/*
 * An indirect table comes from kmalloc, which keeps an object of at most a
 * page physically contiguous; a longer chain goes direct instead. Both
 * layouts' descriptors are 16 bytes.
 */
#define VRING_INDIRECT_MAX (PAGE_SIZE / sizeof(struct virtq_desc))
/* Chains this short go direct while the ring has room (see add_sgs). */
#define VRING_DIRECT_MAX 4

/* ------------------------------------------------------------------------
 * Creation and teardown
 */

struct virtqueue *vring_create_virtqueue(unsigned int index, unsigned int num, u64 features,
					 bool (*notify)(struct virtqueue *vq),
					 vq_callback_t callback, void *priv, const char *name)
{
	bool packed = features & (1ull << VIRTIO_F_RING_PACKED);
	struct virtqueue *vq;
	size_t align;

	if (!name)
		name = "virtqueue";
	/*
	 * §2.6: a split Queue Size is a power of 2, at most 32768. §2.7: a
	 * packed one need not be a power of 2 (unless the transport says so),
	 * and holds at most 2^15 entries.
	 */
	if (num == 0 || num > VIRTQUEUE_MAX_SIZE || (!packed && !is_power_of_2(num))) {
		if (packed)
			pr_err("%s: queue size %u is not from 1 to %u (packed ring)", name, num,
			       VIRTQUEUE_MAX_SIZE);
		else
			pr_err("%s: queue size %u is not a power of two from 1 to %u", name, num,
			       VIRTQUEUE_MAX_SIZE);
		return NULL;
	}
	if (!notify) {
		pr_err("%s: no notify function", name);
		return NULL;
	}

	/* The per-descriptor state, then (split) the driver's copy of the avail ring. */
	vq = kzalloc(sizeof(*vq) + num * (sizeof(vq->desc_state[0]) + sizeof(u16)));
	if (!vq) {
		pr_err("%s: no memory for the state of %u descriptors", name, num);
		return NULL;
	}
	ksnprintf(vq->name, sizeof(vq->name), "%s", name);
	vq->index = index;
	vq->num = num;
	vq->priv = priv;
	vq->callback = callback;
	vq->notify = notify;
	vq->packed_ring = packed;
	vq->indirect = features & (1ull << VIRTIO_RING_F_INDIRECT_DESC);
	vq->event_idx = features & (1ull << VIRTIO_RING_F_EVENT_IDX);

	/*
	 * dma_alloc zeroes the ring. Split: that is what §2.6.10.1 asks of
	 * used->flags, and leaves avail->flags 0 and used_event 0: interrupts
	 * enabled, the first used buffer notified. Packed: §2.7.13 asks for a
	 * zeroed descriptor ring, and a zeroed driver event suppression
	 * structure reads RING_EVENT_FLAGS_ENABLE.
	 */
	if (packed) {
		vq->ring_bytes = vring_packed_bytes(num);
		align = sizeof(struct pvirtq_desc); /* §2.7.10.1: 16 */
	} else {
		vq->ring_bytes = vring_split_bytes(num);
		align = VIRTIO_PCI_VRING_ALIGN;
	}
	vq->ring_mem = dma_alloc(vq->ring_bytes, align, &vq->ring_phys);
	if (!vq->ring_mem) {
		pr_err("%s: no memory for a ring of %u entries (%lu bytes)", name, num,
		       (unsigned long)vq->ring_bytes);
		kfree(vq);
		return NULL;
	}
	if (packed)
		vring_packed_init(vq);
	else
		vring_split_init(vq);
	vq->num_free = num;
	vq->cb_enabled = true;
	return vq;
}

void vring_del_virtqueue(struct virtqueue *vq)
{
	unsigned int i, in_flight = 0;

	if (!vq)
		return;
	/* The tokens are the caller's; the indirect tables are the ring's. */
	for (i = 0; i < vq->num; i++) {
		if (vq->desc_state[i].data) {
			kfree(vq->desc_state[i].indir);
			in_flight++;
		}
	}
	if (in_flight)
		pr_warn("%s: deleted with %u buffers in flight", vq->name, in_flight);
	dma_free(vq->ring_mem, vq->ring_bytes);
	kfree(vq);
}

/* ------------------------------------------------------------------------
 * What the transport needs to tell the device
 */

static phys_addr_t ring_phys_of(const struct virtqueue *vq, const void *p)
{
	return vq->ring_phys + (phys_addr_t)((const char *)p - (const char *)vq->ring_mem);
}

phys_addr_t virtqueue_get_desc_addr(const struct virtqueue *vq)
{
	return vq->ring_phys;
}

phys_addr_t virtqueue_get_avail_addr(const struct virtqueue *vq)
{
	return ring_phys_of(vq, vq->packed_ring ? (const void *)vq->packed.driver
						: (const void *)vq->split.vring.avail);
}

phys_addr_t virtqueue_get_used_addr(const struct virtqueue *vq)
{
	return ring_phys_of(vq, vq->packed_ring ? (const void *)vq->packed.device
						: (const void *)vq->split.vring.used);
}

unsigned int virtqueue_get_vring_size(const struct virtqueue *vq)
{
	return vq->num;
}

unsigned int virtqueue_num_free(const struct virtqueue *vq)
{
	return vq->num_free;
}

bool virtqueue_is_packed(const struct virtqueue *vq)
{
	return vq->packed_ring;
}

const char *virtqueue_layout_name(const struct virtqueue *vq)
{
	return vq->packed_ring ? "packed" : "split";
}

bool virtqueue_is_broken(const struct virtqueue *vq)
{
	return READ_ONCE(vq->broken);
}

void virtqueue_set_broken(struct virtqueue *vq)
{
	WRITE_ONCE(vq->broken, true);
}

/* ------------------------------------------------------------------------
 * Supplying buffers (§2.6.13, §2.7.21)
 */

int virtqueue_add_sgs(struct virtqueue *vq, const struct scatterlist *sg, unsigned int out,
		      unsigned int in, void *data)
{
	unsigned int total, needed, k;
	u64 bytes = 0, in_bytes = 0;
	void *indir = NULL;
	int err;

	if (READ_ONCE(vq->broken))
		return -EIO;
	if (!data || !sg) {
		pr_err("%s: a buffer needs a token and a scatterlist", vq->name);
		return -EINVAL;
	}
	/*
	 * §2.6.5.3.1 and §2.7.17: no chain longer than the queue, even an
	 * indirect one. out and in are checked alone first so that their sum
	 * cannot wrap.
	 */
	if (out > vq->num || in > vq->num || out + in == 0 || out + in > vq->num) {
		pr_err("%s: a chain of %u+%u elements does not fit a queue of %u", vq->name, out,
		       in, vq->num);
		return -EINVAL;
	}
	total = out + in;
	for (k = 0; k < total; k++) {
		if (sg[k].length == 0) {
			pr_err("%s: element %u of a buffer has length 0", vq->name, k);
			return -EINVAL;
		}
		bytes += sg[k].length;
		if (k >= out)
			in_bytes += sg[k].length;
	}
	/*
	 * §2.6.5.2 caps a chain at 2^32 bytes; one byte less keeps every total
	 * describable by a used entry's 32-bit len.
	 */
	if (bytes > UINT32_MAX) {
		pr_err("%s: a buffer of %llu bytes is too long for one chain", vq->name,
		       (unsigned long long)bytes);
		return -EINVAL;
	}

	/*
	 * Indirect tables save ring space at the price of an allocation per
	 * request and one more indirection for the device. A short chain goes
	 * direct while the ring is less than half full: that is the common
	 * case of a block request (header, one segment, status), and the
	 * cheaper one. Long chains, and any chain once space gets tight, go
	 * indirect, so the ring still holds as many requests as it can.
	 * Allocate before turning interrupts off, to keep that window short.
	 */
	if (vq->indirect && total > 1 && total <= VRING_INDIRECT_MAX &&
	    (total > VRING_DIRECT_MAX || READ_ONCE(vq->num_free) < total + vq->num / 2))
		indir = kmalloc(total * sizeof(struct virtq_desc));
	needed = indir ? 1 : total;

	if (vq->broken) {
		err = -EIO;
	} else if (vq->num_free < needed) {
		err = -ENOSPC;
	} else {
		if (vq->packed_ring)
			err = vring_add_packed(vq, sg, out, total, (u32)in_bytes, data, indir);
		else
			err = vring_add_split(vq, sg, out, total, (u32)in_bytes, data, indir);
	}
	if (err)
		kfree(indir);
	return err;
}

bool virtqueue_kick_prepare(struct virtqueue *vq)
{
	if (vq->broken)
		return false;
	return vq->packed_ring ? vring_kick_prepare_packed(vq) : vring_kick_prepare_split(vq);
}

bool virtqueue_notify(struct virtqueue *vq)
{
	if (READ_ONCE(vq->broken))
		return false;
	if (!vq->notify(vq)) {
		vq_bad(vq, "notifying the device failed");
		return false;
	}
	vq->num_kicks++;
	return true;
}

bool virtqueue_kick(struct virtqueue *vq)
{
	if (virtqueue_kick_prepare(vq))
		return virtqueue_notify(vq);
	return !READ_ONCE(vq->broken);
}

/* ------------------------------------------------------------------------
 * Receiving used buffers (§2.6.14, §2.7.22)
 */

bool virtqueue_more_used(const struct virtqueue *vq)
{
	if (READ_ONCE(vq->broken))
		return false;
	return vq->packed_ring ? vring_more_used_packed(vq) : vring_more_used_split(vq);
}

void *virtqueue_get_buf(struct virtqueue *vq, u32 *len)
{
	if (vq->broken)
		return NULL;
	return vq->packed_ring ? vring_get_buf_packed(vq, len) : vring_get_buf_split(vq, len);
}

/* ------------------------------------------------------------------------
 * Used buffer notifications (§2.6.7, §2.7.10)
 */

void virtqueue_disable_cb(struct virtqueue *vq)
{
	if (vq->cb_enabled) {
		vq->cb_enabled = false;
		if (vq->packed_ring)
			vring_disable_cb_packed(vq);
		else
			vring_disable_cb_split(vq);
	}
}

bool virtqueue_enable_cb(struct virtqueue *vq)
{
	/* A broken ring delivers nothing more; waiting on it must end. */
	if (vq->broken)
		return true;
	/* A poll queue stays quiet; its poller only learns what is pending. */
	if (vq->polled)
		return !virtqueue_more_used(vq);
	vq->cb_enabled = true;
	return vq->packed_ring ? vring_enable_cb_packed(vq) : vring_enable_cb_split(vq);
}

void virtqueue_set_polled(struct virtqueue *vq)
{
	vq->polled = true;
	/* Through disable_cb even when already off: it writes the ring's wishes. */
	vq->cb_enabled = true;
	virtqueue_disable_cb(vq);
}

int vring_interrupt(int irq, void *opaque)
{
	struct virtqueue *vq = opaque;

	vq->num_irqs++;
	/* Probably the device's own doing; the callback must not touch the ring. */
	if (READ_ONCE(vq->broken))
		return VRING_IRQ_HANDLED;
	if (!virtqueue_more_used(vq) && !vq->irq_always_callback) {
		vq->num_irqs_spurious++;
		return VRING_IRQ_NONE;
	}
	if (vq->callback)
		vq->callback(vq);
	return VRING_IRQ_HANDLED;
}

/* ------------------------------------------------------------------------
 * After a device reset, and diagnostics
 */

void *virtqueue_detach_unused_buf(struct virtqueue *vq)
{
	return vq->packed_ring ? vring_detach_unused_packed(vq) : vring_detach_unused_split(vq);
}

bool virtqueue_device_behind(const struct virtqueue *vq)
{
	return vq->packed_ring ? vring_device_behind_packed(vq) : vring_device_behind_split(vq);
}

void virtqueue_dump(const struct virtqueue *vq)
{
	if (vq->packed_ring)
		vring_dump_packed(vq);
	else
		vring_dump_split(vq);
}
