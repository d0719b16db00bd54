// SPDX-License-Identifier: MIT
/*
 * The split virtqueue, driver side (virtio 1.1 §2.6).
 *
 * One ring is one dma_alloc'd block in the legacy layout (§2.6.2): the
 * descriptor table, the available ring (driver-written), padding to
 * VIRTIO_PCI_VRING_ALIGN, the used ring (device-written). Free descriptors
 * are kept on a list linked through private memory, and what the driver
 * needs to know about a request in flight (its token, its descriptors, its
 * writable bytes, its indirect table) is kept per chain head, also in
 * private memory. The device is not trusted: every used ring entry is
 * checked against that private state before it is believed.
 *
 * Concurrency: one CPU, and vring_interrupt() may run between any two
 * instructions of process context. Each entry point that touches the free
 * list, the indices or the per-head state does so with interrupts off, so
 * each is atomic with respect to the interrupt handler; a caller that needs
 * several calls to be atomic together holds local_irq_save() itself (the
 * calls nest). The device is another agent entirely (a QEMU thread on another
 * host CPU), ordered only by the barriers below.
 */
#include "drivers/virtio_ring.h"
#include "kernel/platform.h"

/*
 * An indirect table comes from kmalloc, which keeps an object of at most a
 * page physically contiguous; a longer chain goes direct instead.
 */
#define VRING_INDIRECT_MAX (PAGE_SIZE / sizeof(struct virtq_desc))
/* Chains this short go direct while the ring has room (see add_sgs). */
#define VRING_DIRECT_MAX 4

/* A device error: say what was wrong, then refuse to touch the ring again. */
#define vq_bad(vq, fmt, ...)                                                                       \
	do {                                                                                       \
		pr_err("%s: " fmt, (vq)->name, ##__VA_ARGS__);                                     \
		(vq)->broken = true;                                                               \
	} while (0)

/* Queue sizes are powers of two, so a free-running index masks to a slot. */
static inline u16 vring_slot(const struct virtqueue *vq, u16 idx)
{
	return idx & (vq->num - 1);
}

/* ------------------------------------------------------------------------
 * Creation and teardown
 */

struct virtqueue *vring_create_virtqueue(unsigned int index, unsigned int num, bool indirect,
					 bool event_idx, bool (*notify)(struct virtqueue *vq),
					 vq_callback_t callback, void *priv, const char *name)
{
	struct virtqueue *vq;
	struct vring *vr;
	size_t used_off;
	char *mem;
	unsigned int i;

	if (!name)
		name = "virtqueue";
	/* §2.6: Queue Size is a power of 2, at most 32768. */
	if (!is_power_of_2(num) || num > VIRTQUEUE_MAX_SIZE) {
		pr_err("%s: queue size %u is not a power of two from 1 to %u", name, num,
		       VIRTQUEUE_MAX_SIZE);
		return NULL;
	}
	if (!notify) {
		pr_err("%s: no notify function", name);
		return NULL;
	}

	vq = kzalloc(sizeof(*vq) + num * sizeof(vq->desc_state[0]));
	if (!vq) {
		pr_err("%s: no memory for the state of %u descriptors", name, num);
		goto fail;
	}
	ksnprintf(vq->name, sizeof(vq->name), "%s", name);
	vq->index = index;
	vq->num = num;
	vq->priv = priv;
	vq->callback = callback;
	vq->notify = notify;
	vq->indirect = indirect;
	vq->event_idx = event_idx;

	/*
	 * dma_alloc zeroes the ring, which is what §2.6.10.1 asks of used->flags
	 * and leaves avail->flags 0 and used_event 0: interrupts enabled, the
	 * first used buffer notified.
	 */
	vq->ring_bytes = vring_size(num, VIRTIO_PCI_VRING_ALIGN);
	vq->ring_mem = dma_alloc(vq->ring_bytes, VIRTIO_PCI_VRING_ALIGN, &vq->ring_phys);
	if (!vq->ring_mem) {
		pr_err("%s: no memory for a ring of %u entries (%lu bytes)", name, num,
		       (unsigned long)vq->ring_bytes);
		goto fail_free_vq;
	}
	mem = vq->ring_mem;
	used_off = ALIGN_UP(sizeof(struct virtq_desc) * num + sizeof(u16) * (3 + num),
			    (size_t)VIRTIO_PCI_VRING_ALIGN);
	vr = &vq->vring;
	vr->num = num;
	vr->desc = (struct virtq_desc *)mem;
	vr->avail = (struct virtq_avail *)(mem + sizeof(struct virtq_desc) * num);
	vr->used = (struct virtq_used *)(mem + used_off);

	/* Every descriptor starts free; num itself ends the list. */
	for (i = 0; i < num; i++)
		vq->desc_state[i].next = (u16)(i + 1);
	vq->free_head = 0;
	vq->num_free = num;
	vq->cb_enabled = true;
	return vq;

fail_free_vq:
	kfree(vq);
fail:
	return NULL;
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

phys_addr_t virtqueue_get_desc_addr(const struct virtqueue *vq)
{
	return vq->ring_phys;
}

phys_addr_t virtqueue_get_avail_addr(const struct virtqueue *vq)
{
	return vq->ring_phys + (phys_addr_t)((char *)vq->vring.avail - (char *)vq->ring_mem);
}

phys_addr_t virtqueue_get_used_addr(const struct virtqueue *vq)
{
	return vq->ring_phys + (phys_addr_t)((char *)vq->vring.used - (char *)vq->ring_mem);
}

unsigned int virtqueue_get_vring_size(const struct virtqueue *vq)
{
	return vq->num;
}

unsigned int virtqueue_num_free(const struct virtqueue *vq)
{
	return vq->num_free;
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
 * Supplying buffers (§2.6.13)
 */

/*
 * Write @n elements of @sg into @table as one chain starting at @first
 * (§2.6.13.1): readable elements first, as §2.6.4.2 requires, then writable
 * ones. A direct chain takes its descriptors from the private free list; an
 * indirect table's entries simply follow one another (§2.6.5.3). Returns the
 * successor of the last descriptor: for a direct chain, the new free head.
 */
static u16 vring_fill_chain(struct virtqueue *vq, struct virtq_desc *table, bool direct, u16 first,
			    const struct scatterlist *sg, unsigned int out, unsigned int n)
{
	u16 i = first, next = 0;
	unsigned int k;

	for (k = 0; k < n; k++) {
		struct virtq_desc *d = &table[i];
		bool more = k + 1 < n;

		next = direct ? vq->desc_state[i].next : (u16)(i + 1);
		d->addr = sg[k].addr;
		d->len = sg[k].length;
		d->flags =
			(u16)((k >= out ? VIRTQ_DESC_F_WRITE : 0) | (more ? VIRTQ_DESC_F_NEXT : 0));
		d->next = more ? next : 0;
		i = next;
	}
	return next;
}

int virtqueue_add_sgs(struct virtqueue *vq, const struct scatterlist *sg, unsigned int out,
		      unsigned int in, void *data)
{
	struct virtq_desc *indir = NULL;
	struct vring_desc_state *st;
	unsigned int total, needed, k;
	u64 bytes = 0, in_bytes = 0;
	unsigned long flags;
	u16 head;
	int err;

	if (READ_ONCE(vq->broken))
		return -EIO;
	if (!data || !sg) {
		pr_err("%s: a buffer needs a token and a scatterlist", vq->name);
		return -EINVAL;
	}
	/*
	 * §2.6.5.3.1: no chain longer than the queue, even an indirect one.
	 * out and in are checked alone first so that their sum cannot wrap.
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
	 * describable by the used ring's 32-bit len.
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
		indir = kmalloc(total * sizeof(*indir));
	needed = indir ? 1 : total;

	flags = local_irq_save();
	if (vq->broken) {
		err = -EIO;
		goto fail;
	}
	if (vq->num_free < needed) {
		err = -ENOSPC;
		goto fail;
	}

	head = vq->free_head;
	if (indir) {
		struct virtq_desc *d = &vq->vring.desc[head];

		vring_fill_chain(vq, indir, false, 0, sg, out, total);
		/* §2.6.5.3.1: INDIRECT alone; the table holds NEXT and WRITE. */
		d->addr = virt_to_phys(indir);
		d->len = total * sizeof(*indir);
		d->flags = VIRTQ_DESC_F_INDIRECT;
		d->next = 0;
		vq->free_head = vq->desc_state[head].next;
	} else {
		vq->free_head = vring_fill_chain(vq, vq->vring.desc, true, head, sg, out, total);
	}
	vq->num_free -= needed;

	st = &vq->desc_state[head];
	st->data = data;
	st->indir = indir;
	st->in_len = (u32)in_bytes;
	st->ndescs = (u16)needed;

	/*
	 * The spec's barrier is the one before idx (§2.6.13.3.1); ordering the
	 * ring entry after the descriptors it names as well costs nothing on x86
	 * and means no store names a chain before the chain is written.
	 */
	virt_wmb();
	vq->vring.avail->ring[vring_slot(vq, vq->avail_idx_shadow)] = head;
	vq->avail_idx_shadow++;
	local_irq_restore(flags);
	return 0;

fail:
	local_irq_restore(flags);
	kfree(indir);
	return err;
}

bool virtqueue_kick_prepare(struct virtqueue *vq)
{
	unsigned long flags = local_irq_save();
	u16 old_idx = vq->avail_idx_published;
	u16 new_idx = vq->avail_idx_shadow;
	bool need;

	if (vq->broken || new_idx == old_idx) {
		local_irq_restore(flags);
		return false;
	}
	/* §2.6.13.3.1: the ring entries before the idx that exposes them. */
	virt_wmb();
	WRITE_ONCE(vq->vring.avail->idx, new_idx);
	vq->avail_idx_published = new_idx;
	/*
	 * §2.6.13.4.1: idx must be visible before reading the device's wishes,
	 * or the device may go idle having read the old idx while we read its
	 * old request and skip the notification. A store then a load: a full
	 * fence even on x86.
	 */
	virt_mb();
	if (vq->event_idx)
		need = vring_need_event(READ_ONCE(*vring_avail_event(&vq->vring)), new_idx,
					old_idx);
	else
		need = !(READ_ONCE(vq->vring.used->flags) & VIRTQ_USED_F_NO_NOTIFY);
	if (!need)
		vq->num_kicks_suppressed++;
	local_irq_restore(flags);
	return need;
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
 * Receiving used buffers (§2.6.14)
 */

/* Return the chain at @head to the free list and forget its request. */
static void vring_free_chain(struct virtqueue *vq, u16 head)
{
	struct vring_desc_state *st = &vq->desc_state[head];
	u16 last = head;
	unsigned int k;

	for (k = 1; k < st->ndescs; k++)
		last = vq->desc_state[last].next;
	vq->desc_state[last].next = vq->free_head;
	vq->free_head = head;
	vq->num_free += st->ndescs;

	kfree(st->indir);
	st->data = NULL;
	st->indir = NULL;
	st->in_len = 0;
	st->ndescs = 0;
}

bool virtqueue_more_used(const struct virtqueue *vq)
{
	return !READ_ONCE(vq->broken) && vq->last_used_idx != READ_ONCE(vq->vring.used->idx);
}

void *virtqueue_get_buf(struct virtqueue *vq, u32 *len)
{
	unsigned long flags = local_irq_save();
	const struct virtq_used_elem *elem;
	struct vring_desc_state *st;
	u16 used_idx, pending, published;
	void *data = NULL;
	u32 id, used_len;

	if (vq->broken)
		goto out;
	used_idx = READ_ONCE(vq->vring.used->idx);
	if (used_idx == vq->last_used_idx)
		goto out;
	/*
	 * The device fills an entry before the idx that exposes it (§2.6.8.2);
	 * the entry must not be read before the idx that says it is there.
	 */
	virt_rmb();

	/* Each published chain earns one used entry, no more. */
	pending = (u16)(used_idx - vq->last_used_idx);
	published = (u16)(vq->avail_idx_published - vq->last_used_idx);
	if (pending > published) {
		vq_bad(vq, "used ring idx %u is %u entries ahead, with %u buffers in flight",
		       used_idx, pending, published);
		goto out;
	}

	elem = &vq->vring.used->ring[vring_slot(vq, vq->last_used_idx)];
	id = READ_ONCE(elem->id);
	used_len = READ_ONCE(elem->len);
	if (id >= vq->num) {
		vq_bad(vq, "used ring id %u is not a request in flight (the queue has %u entries)",
		       id, vq->num);
		goto out;
	}
	st = &vq->desc_state[id];
	if (!st->data) {
		vq_bad(vq, "used ring id %u is not a request in flight", id);
		goto out;
	}
	/* §2.6.8: len counts bytes written, which only writable buffers take. */
	if (used_len > st->in_len) {
		vq_bad(vq, "used ring len %u for id %u exceeds its %u device-writable bytes",
		       used_len, id, st->in_len);
		goto out;
	}

	data = st->data;
	vring_free_chain(vq, (u16)id);
	vq->last_used_idx++;
	if (len)
		*len = used_len;

	/*
	 * A caller polling with callbacks on still expects an interrupt for the
	 * next buffer: move used_event along with what it consumed (§2.6.7.1),
	 * and make that store visible before the next look at used->idx.
	 */
	if (vq->event_idx && vq->cb_enabled) {
		WRITE_ONCE(*vring_used_event(&vq->vring), vq->last_used_idx);
		virt_mb();
	}
out:
	local_irq_restore(flags);
	return data;
}

/* ------------------------------------------------------------------------
 * Used buffer notifications (§2.6.7)
 */

void virtqueue_disable_cb(struct virtqueue *vq)
{
	unsigned long flags = local_irq_save();

	if (vq->cb_enabled) {
		vq->cb_enabled = false;
		if (vq->event_idx) {
			/*
			 * With EVENT_IDX, flags must stay 0 (§2.6.7.1). Point
			 * used_event just behind the entries we have consumed:
			 * the device would reach it only after 65535 more
			 * buffers, and at most 32768 can be in flight.
			 */
			WRITE_ONCE(*vring_used_event(&vq->vring), (u16)(vq->last_used_idx - 1));
		} else {
			vq->avail_flags_shadow |= VIRTQ_AVAIL_F_NO_INTERRUPT;
			WRITE_ONCE(vq->vring.avail->flags, vq->avail_flags_shadow);
		}
	}
	local_irq_restore(flags);
}

bool virtqueue_enable_cb(struct virtqueue *vq)
{
	unsigned long flags = local_irq_save();
	bool pending;

	/* A broken ring delivers nothing more; waiting on it must end. */
	if (vq->broken) {
		local_irq_restore(flags);
		return true;
	}
	vq->cb_enabled = true;
	if (vq->event_idx) {
		WRITE_ONCE(*vring_used_event(&vq->vring), vq->last_used_idx);
	} else {
		vq->avail_flags_shadow &= (u16)~VIRTQ_AVAIL_F_NO_INTERRUPT;
		WRITE_ONCE(vq->vring.avail->flags, vq->avail_flags_shadow);
	}
	/*
	 * §2.6.14: a buffer used after our last look but before the device saw
	 * this request raises no interrupt. Publish the request, then look
	 * again: a store then a load, so a full fence.
	 */
	virt_mb();
	pending = vq->last_used_idx != READ_ONCE(vq->vring.used->idx);
	local_irq_restore(flags);
	return !pending;
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
 * After a device reset
 */

void *virtqueue_detach_unused_buf(struct virtqueue *vq)
{
	unsigned long flags = local_irq_save();
	void *data = NULL;
	unsigned int k;

	/*
	 * Entries added but never published name chains about to be freed;
	 * a later kick must not expose them.
	 */
	vq->avail_idx_shadow = vq->avail_idx_published;
	/* Start after the last head found, so draining a queue is O(num). */
	for (k = 0; k < vq->num; k++) {
		u16 i = (u16)((vq->detach_hint + k) & (vq->num - 1));

		if (vq->desc_state[i].data) {
			data = vq->desc_state[i].data;
			vring_free_chain(vq, i);
			vq->detach_hint = i + 1u;
			break;
		}
	}
	local_irq_restore(flags);
	return data;
}

void virtqueue_dump(const struct virtqueue *vq)
{
	const struct vring *vr = &vq->vring;

	printk("%s: avail idx %u (published %u), used idx %u, last used %u, free %u of %u, "
	       "%s, used_event %u, avail_event %u, avail flags %#x, used flags %#x\n",
	       vq->name, vq->avail_idx_shadow, vq->avail_idx_published, READ_ONCE(vr->used->idx),
	       vq->last_used_idx, vq->num_free, vq->num, vq->broken ? "BROKEN" : "ok",
	       READ_ONCE(*vring_used_event(vr)), READ_ONCE(*vring_avail_event(vr)),
	       READ_ONCE(vr->avail->flags), READ_ONCE(vr->used->flags));
}

bool virtqueue_device_behind(const struct virtqueue *vq)
{
	/* Without EVENT_IDX the device does not say how far it has read. */
	if (!vq->event_idx)
		return vq->avail_idx_published != vq->last_used_idx;
	return READ_ONCE(*vring_avail_event(&vq->vring)) != vq->avail_idx_published;
}
