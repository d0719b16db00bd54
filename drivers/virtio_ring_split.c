// SPDX-License-Identifier: MIT
/*
 * The split virtqueue (virtio 1.1 §2.6), one layout behind the virtqueue
 * operations of drivers/virtio_ring.c.
 *
 * One ring is one dma_alloc'd block in the legacy layout (§2.6.2): the
 * descriptor table, the available ring (driver-written), padding to
 * VIRTIO_PCI_VRING_ALIGN, the used ring (device-written). Free descriptors
 * are kept on a list linked through private memory (desc_state[].next), so
 * a device scribbling on the table cannot corrupt it; a buffer in flight is
 * remembered in the desc_state entry of its chain's head.
 */
#include "drivers/virtio_ring_internal.h"

/* Queue sizes are powers of two, so a free-running index masks to a slot. */
static inline u16 vring_slot(const struct virtqueue *vq, u16 idx)
{
	return idx & (vq->num - 1);
}

size_t vring_split_bytes(unsigned int num)
{
	return vring_size(num, VIRTIO_PCI_VRING_ALIGN);
}

void vring_split_init(struct virtqueue *vq)
{
	struct vring *vr = &vq->split.vring;
	unsigned int num = vq->num;
	char *mem = vq->ring_mem;
	size_t used_off = ALIGN_UP(sizeof(struct virtq_desc) * num + sizeof(u16) * (3 + num),
				   (size_t)VIRTIO_PCI_VRING_ALIGN);
	unsigned int i;

	vr->num = num;
	vr->desc = (struct virtq_desc *)mem;
	vr->avail = (struct virtq_avail *)(mem + sizeof(struct virtq_desc) * num);
	vr->used = (struct virtq_used *)(mem + used_off);
	vq->split.avail_heads = (u16 *)&vq->desc_state[num];

	/* Every descriptor starts free; num itself ends the list. */
	for (i = 0; i < num; i++)
		vq->desc_state[i].next = (u16)(i + 1);
	vq->split.free_head = 0;
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

int vring_add_split(struct virtqueue *vq, const struct scatterlist *sg, unsigned int out,
		    unsigned int total, u32 in_len, void *data, struct virtq_desc *indir)
{
	struct vring_split *s = &vq->split;
	unsigned int needed = indir ? 1 : total;
	struct vring_desc_state *st;
	u16 head = s->free_head;

	if (indir) {
		struct virtq_desc *d = &s->vring.desc[head];

		vring_fill_chain(vq, indir, false, 0, sg, out, total);
		/* §2.6.5.3.1: INDIRECT alone; the table holds NEXT and WRITE. */
		d->addr = virt_to_phys(indir);
		d->len = total * sizeof(*indir);
		d->flags = VIRTQ_DESC_F_INDIRECT;
		d->next = 0;
		s->free_head = vq->desc_state[head].next;
	} else {
		s->free_head = vring_fill_chain(vq, s->vring.desc, true, head, sg, out, total);
	}
	vq->num_free -= needed;

	st = &vq->desc_state[head];
	st->data = data;
	st->indir = indir;
	st->in_len = in_len;
	st->ndescs = (u16)needed;
	st->avail = false; /* until a kick publishes it */

	/*
	 * The spec's barrier is the one before idx (§2.6.13.3.1); ordering the
	 * ring entry after the descriptors it names as well costs nothing on x86
	 * and means no store names a chain before the chain is written.
	 */
	virt_wmb();
	s->vring.avail->ring[vring_slot(vq, s->avail_idx_shadow)] = head;
	s->avail_heads[vring_slot(vq, s->avail_idx_shadow)] = head;
	s->avail_idx_shadow++;
	return 0;
}

bool vring_kick_prepare_split(struct virtqueue *vq)
{
	struct vring_split *s = &vq->split;
	u16 old_idx = s->avail_idx_published;
	u16 new_idx = s->avail_idx_shadow;
	bool need;

	if (new_idx == old_idx)
		return false;
	/* What the device may now return: once per request, not per look at the ring. */
	for (u16 i = old_idx; i != new_idx; i++)
		vq->desc_state[s->avail_heads[vring_slot(vq, i)]].avail = true;
	/* §2.6.13.3.1: the ring entries before the idx that exposes them. */
	virt_wmb();
	WRITE_ONCE(s->vring.avail->idx, new_idx);
	s->avail_idx_published = new_idx;
	/*
	 * §2.6.13.4.1: idx must be visible before reading the device's wishes,
	 * or the device may go idle having read the old idx while we read its
	 * old request and skip the notification. A store then a load: a full
	 * fence even on x86.
	 */
	virt_mb();
	if (vq->event_idx)
		need = vring_need_event(READ_ONCE(*vring_avail_event(&s->vring)), new_idx, old_idx);
	else
		need = !(READ_ONCE(s->vring.used->flags) & VIRTQ_USED_F_NO_NOTIFY);
	if (!need)
		vq->num_kicks_suppressed++;
	return need;
}

/* ------------------------------------------------------------------------
 * Receiving used buffers (§2.6.14)
 */

/* Return the chain at @head to the free list and forget its buffer. */
static void vring_free_chain(struct virtqueue *vq, u16 head)
{
	struct vring_desc_state *st = &vq->desc_state[head];
	u16 last = head;
	unsigned int k;

	for (k = 1; k < st->ndescs; k++)
		last = vq->desc_state[last].next;
	vq->desc_state[last].next = vq->split.free_head;
	vq->split.free_head = head;
	vq->num_free += st->ndescs;
	vring_state_clear(st);
}

bool vring_more_used_split(const struct virtqueue *vq)
{
	return vq->split.last_used_idx != READ_ONCE(vq->split.vring.used->idx);
}

void *vring_get_buf_split(struct virtqueue *vq, u32 *len)
{
	struct vring_split *s = &vq->split;
	const struct virtq_used_elem *elem;
	struct vring_desc_state *st;
	u16 used_idx, pending, published;
	u32 id, used_len;
	void *data;

	used_idx = READ_ONCE(s->vring.used->idx);
	if (used_idx == s->last_used_idx)
		return NULL;
	/*
	 * The device fills an entry before the idx that exposes it (§2.6.8.2);
	 * the entry must not be read before the idx that says it is there.
	 */
	virt_rmb();

	/* Each published chain earns one used entry, no more. */
	pending = (u16)(used_idx - s->last_used_idx);
	published = (u16)(s->avail_idx_published - s->last_used_idx);
	if (pending > published) {
		vq_bad(vq, "used ring idx %u is %u entries ahead, with %u buffers in flight",
		       used_idx, pending, published);
		return NULL;
	}

	elem = &s->vring.used->ring[vring_slot(vq, s->last_used_idx)];
	id = READ_ONCE(elem->id);
	used_len = READ_ONCE(elem->len);
	if (id >= vq->num) {
		vq_bad(vq, "used ring id %u is not a request in flight (the queue has %u entries)",
		       id, vq->num);
		return NULL;
	}
	st = &vq->desc_state[id];
	if (!st->data) {
		vq_bad(vq, "used ring id %u is not a request in flight", id);
		return NULL;
	}
	/*
	 * A chain added but not yet made available (avail->idx has not moved
	 * past it) is not the device's to return (§2.6.13.3). The kick that
	 * publishes a chain marks it, so this is one test, not a search of
	 * what a plug has added since the last kick (up to a batch of entries
	 * on every look at the ring, under TCG most of a completion's cost).
	 */
	if (!st->avail) {
		vq_bad(vq, "used ring id %u names a buffer not yet made available", id);
		return NULL;
	}
	/* §2.6.8: len counts bytes written, which only writable buffers take. */
	if (used_len > st->in_len) {
		vq_bad(vq, "used ring len %u for id %u exceeds its %u device-writable bytes",
		       used_len, id, st->in_len);
		return NULL;
	}

	data = st->data;
	vring_free_chain(vq, (u16)id);
	s->last_used_idx++;
	if (len)
		*len = used_len;

	/*
	 * A caller polling with callbacks on still expects an interrupt for the
	 * next buffer: move used_event along with what it consumed (§2.6.7.1),
	 * and make that store visible before the next look at used->idx.
	 */
	if (vq->event_idx && vq->cb_enabled) {
		WRITE_ONCE(*vring_used_event(&s->vring), s->last_used_idx);
		virt_mb();
	} else if (vq->event_idx && vq->polled) {
		/*
		 * A poll queue keeps used_event just behind what it has taken
		 * (as SPDK does): 65535 buffers away, never reached. No fence:
		 * nothing waits on this store.
		 */
		WRITE_ONCE(*vring_used_event(&s->vring), (u16)(s->last_used_idx - 1));
	}
	return data;
}

/* ------------------------------------------------------------------------
 * Used buffer notifications (§2.6.7)
 */

void vring_disable_cb_split(struct virtqueue *vq)
{
	struct vring_split *s = &vq->split;

	if (vq->event_idx) {
		/*
		 * With EVENT_IDX, flags must stay 0 (§2.6.7.1). Point used_event
		 * just behind the entries we have consumed: the device would
		 * reach it only after 65535 more buffers, and at most 32768 can
		 * be in flight.
		 */
		WRITE_ONCE(*vring_used_event(&s->vring), (u16)(s->last_used_idx - 1));
	} else {
		s->avail_flags_shadow |= VIRTQ_AVAIL_F_NO_INTERRUPT;
		WRITE_ONCE(s->vring.avail->flags, s->avail_flags_shadow);
	}
}

bool vring_enable_cb_split(struct virtqueue *vq)
{
	struct vring_split *s = &vq->split;

	if (vq->event_idx) {
		WRITE_ONCE(*vring_used_event(&s->vring), s->last_used_idx);
	} else {
		s->avail_flags_shadow &= (u16)~VIRTQ_AVAIL_F_NO_INTERRUPT;
		WRITE_ONCE(s->vring.avail->flags, s->avail_flags_shadow);
	}
	/*
	 * §2.6.14: a buffer used after our last look but before the device saw
	 * this request raises no interrupt. Publish the request, then look
	 * again: a store then a load, so a full fence.
	 */
	virt_mb();
	return s->last_used_idx == READ_ONCE(s->vring.used->idx);
}

/* ------------------------------------------------------------------------
 * After a device reset, and diagnostics
 */

void *vring_detach_unused_split(struct virtqueue *vq)
{
	unsigned int k;

	/*
	 * Entries added but never published name chains about to be freed;
	 * a later kick must not expose them.
	 */
	vq->split.avail_idx_shadow = vq->split.avail_idx_published;
	/* Start after the last head found, so draining a queue is O(num). */
	for (k = 0; k < vq->num; k++) {
		u16 i = (u16)((vq->detach_hint + k) & (vq->num - 1));
		void *data = vq->desc_state[i].data;

		if (data) {
			vring_free_chain(vq, i);
			vq->detach_hint = i + 1u;
			return data;
		}
	}
	return NULL;
}

bool vring_device_behind_split(const struct virtqueue *vq)
{
	const struct vring_split *s = &vq->split;

	/* Without EVENT_IDX the device does not say how far it has read. */
	if (!vq->event_idx)
		return s->avail_idx_published != s->last_used_idx;
	return READ_ONCE(*vring_avail_event(&s->vring)) != s->avail_idx_published;
}

void vring_dump_split(const struct virtqueue *vq)
{
	const struct vring_split *s = &vq->split;
	const struct vring *vr = &s->vring;

	printk("%s: split ring: avail idx %u (published %u), used idx %u, last used %u, "
	       "free %u of %u, %s, used_event %u, avail_event %u, avail flags %#x, "
	       "used flags %#x\n",
	       vq->name, s->avail_idx_shadow, s->avail_idx_published, READ_ONCE(vr->used->idx),
	       s->last_used_idx, vq->num_free, vq->num, vq->broken ? "BROKEN" : "ok",
	       READ_ONCE(*vring_used_event(vr)), READ_ONCE(*vring_avail_event(vr)),
	       READ_ONCE(vr->avail->flags), READ_ONCE(vr->used->flags));
}
