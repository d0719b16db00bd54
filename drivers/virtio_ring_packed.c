// SPDX-License-Identifier: MIT
/*
 * The packed virtqueue (virtio 1.1 §2.7), one layout behind the virtqueue
 * operations of drivers/virtio_ring.c.
 *
 * One ring is one dma_alloc'd block: the descriptor ring (16-byte aligned),
 * then the driver event suppression structure (the driver area, written by
 * us) and the device event suppression structure (the device area, written
 * by the device), 4 bytes each (§2.7.10.1). The driver fills descriptors in
 * ring order, a buffer's chain in consecutive slots, and makes them
 * available by setting VIRTQ_DESC_F_AVAIL to its wrap counter and
 * VIRTQ_DESC_F_USED to the inverse (§2.7.1); the device overwrites a slot
 * with one used descriptor per buffer, both bits equal to its own wrap
 * counter, carrying the buffer id, in the order it finishes them.
 *
 * Buffer ids are ours to choose: desc_state is indexed by id, and free ids
 * are linked through desc_state[].next in private memory. Ring slots come
 * back in ring order whatever the order of completion: each used descriptor
 * moves our used position on by the number of slots its buffer took.
 */
#include "drivers/virtio_ring_internal.h"

size_t vring_packed_bytes(unsigned int num)
{
	return sizeof(struct pvirtq_desc) * num + 2 * sizeof(struct pvirtq_event_suppress);
}

void vring_packed_init(struct virtqueue *vq)
{
	struct vring_packed *p = &vq->packed;
	char *mem = vq->ring_mem;
	unsigned int i;

	p->desc = (struct pvirtq_desc *)mem;
	p->driver = (struct pvirtq_event_suppress *)(mem + sizeof(struct pvirtq_desc) * vq->num);
	p->device = p->driver + 1;
	/* §2.7.1: both wrap counters start at 1. */
	p->avail_wrap = true;
	p->used_wrap = true;
	p->event_flags_shadow = RING_EVENT_FLAGS_ENABLE;
	/* Every buffer id starts free; num ends the list. */
	for (i = 0; i < vq->num; i++)
		vq->desc_state[i].next = (u16)(i + 1);
	p->free_id = 0;
}

/* The AVAIL and USED bits of a descriptor made available in lap @wrap (§2.7.1). */
static inline u16 avail_used_flags(bool wrap)
{
	return wrap ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
}

/*
 * A used descriptor carries both bits equal to the device's wrap counter,
 * which matches ours for the slot we expect it in (§2.7.1). An available
 * descriptor has the bits unequal, and a used one from the previous lap has
 * them equal to the other value: neither passes.
 */
static inline bool desc_is_used(u16 flags, bool used_wrap)
{
	bool avail = flags & VIRTQ_DESC_F_AVAIL;
	bool used = flags & VIRTQ_DESC_F_USED;

	return avail == used && used == used_wrap;
}

/* An event suppression desc field: offset and wrap counter (§2.7.14). */
static inline u16 event_desc(u16 off, bool wrap)
{
	return (u16)(off | (u16)wrap << RING_EVENT_WRAP_SHIFT);
}

/* ------------------------------------------------------------------------
 * Supplying buffers (§2.7.21)
 */

int vring_add_packed(struct virtqueue *vq, const struct scatterlist *sg, unsigned int out,
		     unsigned int total, u32 in_len, void *data, struct pvirtq_desc *indir)
{
	struct vring_packed *p = &vq->packed;
	unsigned int needed = indir ? 1 : total;
	u16 id = p->free_id, head = p->next_avail_idx, i = head;
	bool wrap = p->avail_wrap;
	struct vring_desc_state *st;
	u16 head_flags = 0;
	unsigned int k;

	/*
	 * Ids cannot run out before slots do: every buffer in flight holds one
	 * id and at least one slot, and the caller checked the slots.
	 */
	BUG_ON(id >= vq->num);
	if (indir) {
		/*
		 * §2.7.7: the table's entries follow one another; WRITE is the
		 * only flag they may carry, and their ids are ignored.
		 */
		for (k = 0; k < total; k++) {
			indir[k].addr = sg[k].addr;
			indir[k].len = sg[k].length;
			indir[k].id = 0;
			indir[k].flags = k >= out ? VIRTQ_DESC_F_WRITE : 0;
		}
		p->desc[i].addr = virt_to_phys(indir);
		p->desc[i].len = total * sizeof(*indir);
		p->desc[i].id = id;
		head_flags = VIRTQ_DESC_F_INDIRECT | avail_used_flags(wrap);
		if (++i == vq->num) {
			i = 0;
			wrap = !wrap;
		}
	} else {
		for (k = 0; k < total; k++) {
			struct pvirtq_desc *d = &p->desc[i];
			u16 flags = (u16)((k >= out ? VIRTQ_DESC_F_WRITE : 0) |
					  (k + 1 < total ? VIRTQ_DESC_F_NEXT : 0) |
					  avail_used_flags(wrap));

			d->addr = sg[k].addr;
			d->len = sg[k].length;
			/* §2.7.6 wants the id in the last; every one is simplest. */
			d->id = id;
			/*
			 * §2.7.6: the first descriptor becomes available only
			 * after the rest of the chain; its flags wait. The
			 * others' flags may go now: the device does not look
			 * past an unavailable head.
			 */
			if (k == 0)
				head_flags = flags;
			else
				WRITE_ONCE(d->flags, flags);
			/* A chain may run past the end of the ring into the next lap. */
			if (++i == vq->num) {
				i = 0;
				wrap = !wrap;
			}
		}
	}

	st = &vq->desc_state[id];
	p->free_id = st->next;
	st->data = data;
	st->indir = indir;
	st->in_len = in_len;
	st->ndescs = (u16)needed;
	vq->num_free -= needed;
	p->num_added += needed;
	p->next_avail_idx = i;
	p->avail_wrap = wrap;

	/*
	 * §2.7.21.1: the descriptors (and the indirect table) before the head's
	 * flags, whose store makes the whole buffer available at once.
	 */
	virt_wmb();
	WRITE_ONCE(p->desc[head].flags, head_flags);
	return 0;
}

bool vring_kick_prepare_packed(struct virtqueue *vq)
{
	struct vring_packed *p = &vq->packed;
	unsigned int added = p->num_added;
	u16 flags, desc;
	bool need;

	if (!added)
		return false;
	p->num_added = 0;
	/*
	 * §2.7.21.3.1: the head flags that made the buffers available must be
	 * visible before we read whether the device wants to hear of them, or
	 * the device may go idle unnotified. A store then a load: a full fence.
	 */
	virt_mb();
	flags = READ_ONCE(p->device->flags) & (RING_EVENT_FLAGS_DISABLE | RING_EVENT_FLAGS_DESC);
	if (flags == RING_EVENT_FLAGS_DESC && vq->event_idx) {
		u16 new_idx = p->next_avail_idx;
		u16 old_idx = (u16)(new_idx - added);
		u16 event;

		virt_rmb(); /* the device writes desc before flags */
		desc = READ_ONCE(p->device->desc);
		event = desc & (u16) ~(1u << RING_EVENT_WRAP_SHIFT);
		/*
		 * The device names a slot and the lap it expects it in. A slot
		 * of the lap before ours lies num positions further back, which
		 * the 16-bit event index test then measures correctly; having
		 * gone round the whole ring since the last kick, we have passed
		 * whatever it named.
		 */
		if ((bool)(desc >> RING_EVENT_WRAP_SHIFT) != p->avail_wrap)
			event = (u16)(event - vq->num);
		need = added >= vq->num || vring_need_event(event, new_idx, old_idx);
	} else {
		/* DESC without EVENT_IDX is not the device's to ask: notify. */
		need = flags != RING_EVENT_FLAGS_DISABLE;
	}
	if (!need)
		vq->num_kicks_suppressed++;
	return need;
}

/* ------------------------------------------------------------------------
 * Receiving used buffers (§2.7.22)
 */

bool vring_more_used_packed(const struct virtqueue *vq)
{
	const struct vring_packed *p = &vq->packed;

	return desc_is_used(READ_ONCE(p->desc[p->last_used_idx].flags), p->used_wrap);
}

/* Return buffer @id's slots and id and forget the buffer. */
static void vring_free_id(struct virtqueue *vq, u16 id)
{
	struct vring_desc_state *st = &vq->desc_state[id];

	vq->num_free += st->ndescs;
	vring_state_clear(st);
	st->next = vq->packed.free_id;
	vq->packed.free_id = id;
}

void *vring_get_buf_packed(struct virtqueue *vq, u32 *len)
{
	struct vring_packed *p = &vq->packed;
	const struct pvirtq_desc *d = &p->desc[p->last_used_idx];
	struct vring_desc_state *st;
	u16 flags = READ_ONCE(d->flags);
	unsigned int next;
	u32 used_len;
	void *data;
	u16 id;

	if (!desc_is_used(flags, p->used_wrap))
		return NULL;
	/* The device writes id and len before the flags that expose them. */
	virt_rmb();
	id = READ_ONCE(d->id);
	/*
	 * §2.7.3 and §2.7.4 say a used descriptor without WRITE wrote nothing
	 * and its len is reserved, but QEMU (7.2's virtqueue_packed_fill_desc)
	 * never sets WRITE in a used descriptor; Linux reads len regardless,
	 * and so do we. It is checked against the writable bytes either way.
	 */
	used_len = READ_ONCE(d->len);
	if (id >= vq->num) {
		vq_bad(vq,
		       "used descriptor id %u is not a request in flight (the queue has %u "
		       "entries)",
		       id, vq->num);
		return NULL;
	}
	st = &vq->desc_state[id];
	if (!st->data) {
		vq_bad(vq, "used descriptor id %u is not a request in flight", id);
		return NULL;
	}
	if (used_len > st->in_len) {
		vq_bad(vq, "used descriptor len %u for id %u exceeds its %u device-writable bytes",
		       used_len, id, st->in_len);
		return NULL;
	}

	/*
	 * §2.7.6: the device wrote one used descriptor for the whole buffer
	 * and skips the rest of its slots; so do we. The slots of the buffers
	 * in flight add up to the distance to next_avail_idx, so a buffer in
	 * flight never takes us past it.
	 */
	data = st->data;
	next = p->last_used_idx + st->ndescs;
	vring_free_id(vq, id);
	if (next >= vq->num) {
		next -= vq->num;
		p->used_wrap = !p->used_wrap;
	}
	p->last_used_idx = (u16)next;
	if (len)
		*len = used_len;

	/*
	 * A caller polling with callbacks on still expects an interrupt for the
	 * next buffer: move the event descriptor along with what it consumed,
	 * visible before the next look at the ring.
	 */
	if (p->event_flags_shadow == RING_EVENT_FLAGS_DESC) {
		WRITE_ONCE(p->driver->desc, event_desc(p->last_used_idx, p->used_wrap));
		virt_mb();
	}
	return data;
}

/* ------------------------------------------------------------------------
 * Used buffer notifications (§2.7.10, §2.7.14)
 */

void vring_disable_cb_packed(struct virtqueue *vq)
{
	/* Unlike the split ring's flags, DISABLE is valid with EVENT_IDX too. */
	vq->packed.event_flags_shadow = RING_EVENT_FLAGS_DISABLE;
	WRITE_ONCE(vq->packed.driver->flags, RING_EVENT_FLAGS_DISABLE);
}

bool vring_enable_cb_packed(struct virtqueue *vq)
{
	struct vring_packed *p = &vq->packed;

	if (vq->event_idx) {
		/* Notify when the slot we look at next is used, in this lap. */
		WRITE_ONCE(p->driver->desc, event_desc(p->last_used_idx, p->used_wrap));
		virt_wmb(); /* the descriptor named before the flags that use it */
		p->event_flags_shadow = RING_EVENT_FLAGS_DESC;
	} else {
		p->event_flags_shadow = RING_EVENT_FLAGS_ENABLE;
	}
	WRITE_ONCE(p->driver->flags, p->event_flags_shadow);
	/*
	 * As for the split ring: a buffer used after our last look but before
	 * the device saw this request raises no interrupt. Store, then load:
	 * a full fence, then look again.
	 */
	virt_mb();
	return !vring_more_used_packed(vq);
}

/* ------------------------------------------------------------------------
 * After a device reset, and diagnostics
 */

void *vring_detach_unused_packed(struct virtqueue *vq)
{
	unsigned int k;

	/* Start after the last id found, so draining a queue is O(num). */
	for (k = 0; k < vq->num; k++) {
		u16 id = (u16)((vq->detach_hint + k) % vq->num);
		void *data = vq->desc_state[id].data;

		if (data) {
			vring_free_id(vq, id);
			vq->detach_hint = id + 1u;
			return data;
		}
	}
	return NULL;
}

bool vring_device_behind_packed(const struct virtqueue *vq)
{
	const struct vring_packed *p = &vq->packed;

	/*
	 * With EVENT_IDX, a device waiting for a notification names the slot
	 * it will read next (QEMU does so when it goes idle): behind when that
	 * is not our next. Otherwise it does not say: buffers outstanding.
	 */
	if (vq->event_idx && READ_ONCE(p->device->flags) == RING_EVENT_FLAGS_DESC)
		return READ_ONCE(p->device->desc) != event_desc(p->next_avail_idx, p->avail_wrap);
	return vq->num_free != vq->num;
}

void vring_dump_packed(const struct virtqueue *vq)
{
	const struct vring_packed *p = &vq->packed;

	printk("%s: packed ring: next avail %u (wrap %u), last used %u (wrap %u), free %u of %u, "
	       "%s, driver event %#x flags %#x, device event %#x flags %#x, used slot flags "
	       "%#x\n",
	       vq->name, p->next_avail_idx, p->avail_wrap, p->last_used_idx, p->used_wrap,
	       vq->num_free, vq->num, vq->broken ? "BROKEN" : "ok", READ_ONCE(p->driver->desc),
	       READ_ONCE(p->driver->flags), READ_ONCE(p->device->desc), READ_ONCE(p->device->flags),
	       READ_ONCE(p->desc[p->last_used_idx].flags));
}
