/* SPDX-License-Identifier: MIT */
/*
 * The simulated virtio-blk device: see sim_virtio_blk.h.
 *
 * The register layout is written here from the specification (virtio 1.1,
 * 4.1.4.3: struct virtio_pci_common_cfg), not taken from the driver, so a
 * driver that reads the wrong offset or width shows.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio.h"
#include "drivers/virtio_ring.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"
#include "tests/unit/sim_virtio_blk.h"

/* virtio 1.1, 4.1.4.3 */
struct common_cfg {
	u32 device_feature_select;
	u32 device_feature;
	u32 driver_feature_select;
	u32 driver_feature;
	u16 msix_config;
	u16 num_queues;
	u8 device_status;
	u8 config_generation;
	u16 queue_select;
	u16 queue_size;
	u16 queue_msix_vector;
	u16 queue_enable;
	u16 queue_notify_off;
	u64 queue_desc;
	u64 queue_driver;
	u64 queue_device;
} __packed;

#define CC(field) offsetof(struct common_cfg, field)

/* virtio 1.1, 4.1.4: struct virtio_pci_cap, after the ID and next bytes. */
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4

#define ISR_QUEUE 0x1
#define ISR_CONFIG 0x2

static struct sim_vblk *devices[SIM_PCI_SLOTS];

static void fatal(const char *what, unsigned long v)
{
	fprintf(stderr, "sim_virtio_blk: %s (%#lx)\n", what, v);
	abort();
}

static void add_virtio_cap(struct sim_pci_fn *fn, u8 type, u8 bar, u32 off, u32 len, bool notify)
{
	u8 body[18] = {0};

	body[0] = notify ? 20 : 16; /* cap_len */
	body[1] = type;
	body[2] = bar;
	memcpy(body + 6, &off, 4);
	memcpy(body + 10, &len, 4);
	if (notify) {
		u32 mult = SIM_NOTIFY_MULT;
		memcpy(body + 14, &mult, 4);
	}
	sim_pci_add_cap(fn, PCI_CAP_ID_VNDR, body, notify ? 20 : 16);
}

static const struct sim_pci_ops sim_vblk_ops;

static void put_le(u8 *p, u64 v, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = (u8)(v >> (8 * i));
}

struct sim_vblk *sim_vblk_create(u8 slot, u64 capacity, unsigned num_queues, unsigned queue_size)
{
	struct sim_vblk *d = calloc(1, sizeof(*d));
	struct sim_pci_fn *fn;

	if (!d || num_queues == 0 || num_queues > SIM_VBLK_MAX_QUEUES)
		fatal("cannot create a device with that many queues", num_queues);
	fn = sim_pci_add(slot, 0x1af4, 0x1040 + VIRTIO_ID_BLOCK, 0x1af4, 0x1100, 0x01000001);
	fn->ops = &sim_vblk_ops;
	fn->priv = d;
	d->fn = fn;
	sim_pci_set_bar(fn, SIM_MSIX_BAR, 0x1000, false, false);
	sim_pci_set_bar(fn, SIM_CFG_BAR, SIM_BAR_SIZE, false, true);
	sim_pci_set_intx(fn, 11);
	d->msix_entries = num_queues + 1;
	sim_pci_add_msix(fn, d->msix_entries, SIM_MSIX_BAR, 0, 0x800);
	add_virtio_cap(fn, CAP_COMMON, SIM_CFG_BAR, SIM_COMMON_OFF, 0x1000, false);
	add_virtio_cap(fn, CAP_ISR, SIM_CFG_BAR, SIM_ISR_OFF, 0x1000, false);
	add_virtio_cap(fn, CAP_DEVICE, SIM_CFG_BAR, SIM_DEVICE_OFF, 0x1000, false);
	add_virtio_cap(fn, CAP_NOTIFY, SIM_CFG_BAR, SIM_NOTIFY_OFF, 0x1000, true);

	d->num_queues = (u16)num_queues;
	for (unsigned i = 0; i < num_queues; i++) {
		d->vq[i].max_size = (u16)queue_size;
		d->vq[i].size = (u16)queue_size;
		d->vq[i].msix_vector = VIRTIO_MSI_NO_VECTOR;
		d->vq[i].avail_wrap = d->vq[i].used_wrap = true;
	}
	d->msix_config = VIRTIO_MSI_NO_VECTOR;
	d->host_features = (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
			   (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_TOPOLOGY) |
			   (1ull << VIRTIO_BLK_F_WRITE_ZEROES) |
			   (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
			   (1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_F_VERSION_1);
	if (num_queues > 1)
		d->host_features |= 1ull << VIRTIO_BLK_F_MQ;
	put_le(d->config + VIRTIO_BLK_CFG_CAPACITY, capacity, 8);
	put_le(d->config + VIRTIO_BLK_CFG_SEG_MAX, queue_size - 2, 4);
	put_le(d->config + VIRTIO_BLK_CFG_BLK_SIZE, 512, 4);
	put_le(d->config + VIRTIO_BLK_CFG_NUM_QUEUES, num_queues, 2);
	put_le(d->config + VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS, 1 << 20, 4);
	put_le(d->config + VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG, 1, 4);
	d->disk_bytes = capacity * 512;
	d->disk = calloc(1, d->disk_bytes ? d->disk_bytes : 1);
	if (!d->disk)
		fatal("no memory for the disk", d->disk_bytes);
	devices[slot] = d;
	return d;
}

void sim_vblk_reset_all(void)
{
	for (unsigned s = 0; s < SIM_PCI_SLOTS; s++) {
		if (devices[s]) {
			free(devices[s]->disk);
			free(devices[s]);
			devices[s] = NULL;
		}
	}
}

void sim_vblk_put_config(struct sim_vblk *d, unsigned off, const void *v, unsigned len)
{
	memcpy(d->config + off, v, len);
}

/* ------------------------------------------------------------------------
 * Interrupts
 */

static void raise(struct sim_vblk *d, u16 vector, u8 isr_bit)
{
	d->isr |= isr_bit;
	d->interrupts++;
	if (sim_pci_msix_enabled(d->fn)) {
		if (vector != VIRTIO_MSI_NO_VECTOR)
			sim_pci_raise_msix(d->fn, vector);
		return;
	}
	sim_pci_set_intx_level(d->fn, true);
}

void sim_vblk_resize(struct sim_vblk *d, u64 capacity)
{
	put_le(d->config + VIRTIO_BLK_CFG_CAPACITY, capacity, 8);
	d->generation++;
	if (d->status & VIRTIO_CONFIG_S_DRIVER_OK)
		raise(d, d->msix_config, ISR_CONFIG);
}

/* ------------------------------------------------------------------------
 * The rings, the device's side (2.6)
 */

static struct virtq_desc *desc_table(struct sim_vq *vq)
{
	return (struct virtq_desc *)(uintptr_t)vq->desc;
}

static struct virtq_avail *avail(struct sim_vq *vq)
{
	return (struct virtq_avail *)(uintptr_t)vq->driver;
}

static struct virtq_used *used(struct sim_vq *vq)
{
	return (struct virtq_used *)(uintptr_t)vq->device;
}

static bool has(const struct sim_vblk *d, unsigned bit)
{
	return d->guest_features & (1ull << bit);
}

/* One element of a chain, as the device reads it. */
struct sim_elem {
	u8 *p;
	u32 len;
	bool write;
};

/* Start gathering a request from queue @q. */
static void req_begin(struct sim_req *r, unsigned q)
{
	memset(r, 0, offsetof(struct sim_req, seg));
	r->data_len = 0;
	r->q = q;
	r->taken_ns = host_now_ns;
}

/*
 * 5.2.6: the @n elements of a chain are a 16-byte device-readable header,
 * the data segments, and a writable status byte last; anything else is
 * fatal (@what). Fills in @r's type, sector, status and segments.
 */
static void req_parse(struct sim_req *r, const struct sim_elem *buf, unsigned n, const char *what)
{
	if (n < 2 || buf[0].write || buf[0].len != sizeof(struct virtio_blk_outhdr) ||
	    !buf[n - 1].write || buf[n - 1].len != 1)
		fatal(what, n);
	memcpy(&r->type, buf[0].p, 4);
	memcpy(&r->sector, buf[0].p + 8, 8);
	r->status = buf[n - 1].p;
	r->nseg = n - 2;
	for (unsigned k = 1; k + 1 < n; k++) {
		r->seg[k - 1].p = buf[k].p;
		r->seg[k - 1].len = buf[k].len;
		r->seg[k - 1].write = buf[k].write;
		r->data_len += buf[k].len;
	}
}

/* Gather the chain at @head into @r: header, data segments, status byte. */
static void take_chain(struct sim_vblk *d, unsigned q, u16 head, struct sim_req *r)
{
	struct sim_vq *vq = &d->vq[q];
	const struct virtq_desc *table = desc_table(vq);
	unsigned limit = vq->size, n = 0;
	struct sim_elem buf[SIM_VBLK_MAX_SEGS + 2];
	u16 i = head;
	bool seen_write = false;

	req_begin(r, q);
	r->head = head;
	if (head >= vq->size)
		fatal("available ring names a descriptor beyond the queue", head);
	if (table[head].flags & VIRTQ_DESC_F_INDIRECT) {
		if (!has(d, VIRTIO_RING_F_INDIRECT_DESC) ||
		    table[head].flags != VIRTQ_DESC_F_INDIRECT)
			fatal("bad indirect descriptor flags", table[head].flags);
		limit = table[head].len / sizeof(struct virtq_desc);
		table = (const struct virtq_desc *)(uintptr_t)table[head].addr;
		i = 0;
	}
	for (;;) {
		const struct virtq_desc *desc = &table[i];
		bool w = desc->flags & VIRTQ_DESC_F_WRITE;
		if (n == ARRAY_SIZE(buf) || n >= limit)
			fatal("descriptor chain too long or looping", n);
		if (seen_write && !w)
			fatal("readable descriptor after a writable one (2.6.4.2)", i);
		seen_write |= w;
		buf[n].p = (u8 *)(uintptr_t)desc->addr;
		buf[n].len = desc->len;
		buf[n].write = w;
		n++;
		if (!(desc->flags & VIRTQ_DESC_F_NEXT))
			break;
		i = desc->next;
		if (i >= limit)
			fatal("next descriptor beyond the table", i);
	}
	req_parse(r, buf, n, "request without a 16-byte header and a 1-byte status");
}

/*
 * Packed (2.7): the buffer at the device's next slot, if the driver has
 * made it available in the device's lap: a chain of consecutive slots
 * linked by NEXT, or one indirect descriptor. Its id is in its last
 * descriptor (2.7.6). Returns false when there is none.
 */
static bool take_packed(struct sim_vblk *d, unsigned q, struct sim_req *r)
{
	struct sim_vq *vq = &d->vq[q];
	struct pvirtq_desc *ring = (struct pvirtq_desc *)(uintptr_t)vq->desc;
	u16 flags = ring[vq->last_avail].flags;
	bool avail = flags & VIRTQ_DESC_F_AVAIL, used = flags & VIRTQ_DESC_F_USED;
	struct sim_elem buf[SIM_VBLK_MAX_SEGS + 2];
	unsigned n = 0;
	u16 id = 0;

	if (avail != vq->avail_wrap || used == vq->avail_wrap)
		return false;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	req_begin(r, q);
	for (;;) {
		const struct pvirtq_desc *desc = &ring[vq->last_avail];
		bool more = desc->flags & VIRTQ_DESC_F_NEXT;

		id = desc->id;
		if (desc->flags & VIRTQ_DESC_F_INDIRECT) {
			const struct pvirtq_desc *t =
				(const struct pvirtq_desc *)(uintptr_t)desc->addr;
			unsigned count = desc->len / sizeof(*t);
			if (n || more || count > ARRAY_SIZE(buf))
				fatal("bad packed indirect descriptor", desc->flags);
			for (unsigned k = 0; k < count; k++) {
				buf[n].p = (u8 *)(uintptr_t)t[k].addr;
				buf[n].len = t[k].len;
				buf[n].write = t[k].flags & VIRTQ_DESC_F_WRITE;
				n++;
			}
		} else {
			if (n == ARRAY_SIZE(buf))
				fatal("packed chain too long", n);
			buf[n].p = (u8 *)(uintptr_t)desc->addr;
			buf[n].len = desc->len;
			buf[n].write = desc->flags & VIRTQ_DESC_F_WRITE;
			n++;
		}
		r->ndescs++;
		if (++vq->last_avail == vq->size) {
			vq->last_avail = 0;
			vq->avail_wrap = !vq->avail_wrap;
		}
		if (!more)
			break;
	}
	r->head = id;
	req_parse(r, buf, n, "packed request without a 16-byte header and a 1-byte status");
	return true;
}

/* Carry out @r against the RAM disk; returns the status and the bytes written. */
static u8 execute(struct sim_vblk *d, struct sim_req *r, u32 *written)
{
	u64 pos = r->sector * 512;

	*written = 0;
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if (pos > d->disk_bytes || r->data_len > d->disk_bytes - pos || r->data_len % 512)
			return VIRTIO_BLK_S_IOERR;
		for (unsigned k = 0; k < r->nseg; k++) {
			if (r->seg[k].write != (r->type == VIRTIO_BLK_T_IN))
				fatal("data segment in the wrong direction", k);
			if (r->type == VIRTIO_BLK_T_IN)
				memcpy(r->seg[k].p, d->disk + pos, r->seg[k].len);
			else
				memcpy(d->disk + pos, r->seg[k].p, r->seg[k].len);
			pos += r->seg[k].len;
		}
		if (r->type == VIRTIO_BLK_T_IN)
			*written = r->data_len;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		return has(d, VIRTIO_BLK_F_FLUSH) ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_UNSUPP;
	case VIRTIO_BLK_T_GET_ID:
		if (r->nseg != 1 || !r->seg[0].write)
			return VIRTIO_BLK_S_IOERR;
		memset(r->seg[0].p, 0, r->seg[0].len);
		memcpy(r->seg[0].p, SIM_VBLK_ID, MIN(r->seg[0].len, sizeof(SIM_VBLK_ID) - 1));
		*written = r->seg[0].len;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_WRITE_ZEROES: {
		struct virtio_blk_discard_write_zeroes dwz;
		if (!has(d, VIRTIO_BLK_F_WRITE_ZEROES) || r->nseg != 1 ||
		    r->seg[0].len != sizeof(dwz))
			return VIRTIO_BLK_S_UNSUPP;
		memcpy(&dwz, r->seg[0].p, sizeof(dwz));
		if (dwz.sector * 512 > d->disk_bytes ||
		    (u64)dwz.num_sectors * 512 > d->disk_bytes - dwz.sector * 512)
			return VIRTIO_BLK_S_IOERR;
		memset(d->disk + dwz.sector * 512, 0, (size_t)dwz.num_sectors * 512);
		return VIRTIO_BLK_S_OK;
	}
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/*
 * Packed: one used descriptor at the device's used slot, its flags last,
 * both bits equal to its wrap counter; the slot moves on by the slots the
 * buffer took (2.7.5). Whether to interrupt: the driver's event
 * suppression area (2.7.10).
 */
static void push_used_packed(struct sim_vblk *d, struct sim_req *r, u32 id, u32 len)
{
	struct sim_vq *vq = &d->vq[r->q];
	struct pvirtq_desc *ring = (struct pvirtq_desc *)(uintptr_t)vq->desc;
	const struct pvirtq_event_suppress *drv =
		(const struct pvirtq_event_suppress *)(uintptr_t)vq->driver;
	unsigned num = vq->size, old = vq->used_idx + (vq->used_wrap ? 0 : num), now;
	struct pvirtq_desc *u = &ring[vq->used_idx];

	u->id = (u16)id;
	u->len = len;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	u->flags = vq->used_wrap ? (VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED) : 0;
	vq->used_idx = (u16)(vq->used_idx + r->ndescs);
	if (vq->used_idx >= num) {
		vq->used_idx = (u16)(vq->used_idx - num);
		vq->used_wrap = !vq->used_wrap;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (d->drop_interrupts || drv->flags == RING_EVENT_FLAGS_DISABLE)
		return;
	if (drv->flags == RING_EVENT_FLAGS_DESC && has(d, VIRTIO_RING_F_EVENT_IDX)) {
		/* Slots counted over two laps, the wrap counter the lap's parity. */
		unsigned ev = (drv->desc & 0x7fffu) + (drv->desc & 0x8000 ? 0 : num);

		now = vq->used_idx + (vq->used_wrap ? 0 : num);
		if ((now + 2 * num - ev - 1) % (2 * num) >= (now + 2 * num - old) % (2 * num))
			return;
	}
	raise(d, vq->msix_vector, ISR_QUEUE);
}

/* Publish @r's used entry, as the device reports it (perhaps tampered with). */
static void push_used(struct sim_vblk *d, struct sim_req *r, u8 status, u32 written)
{
	struct sim_vq *vq = &d->vq[r->q];
	struct virtq_used *u = used(vq);
	u32 id = r->head, len = written + 1;
	u16 old = vq->used_idx;

	if (d->tamper)
		d->tamper(d, r, &id, &len, &status);
	*r->status = status;
	if (has(d, VIRTIO_F_RING_PACKED)) {
		push_used_packed(d, r, id, len);
		return;
	}
	u->ring[vq->used_idx % vq->size].id = id;
	u->ring[vq->used_idx % vq->size].len = len;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq->used_idx++;
	u->idx = vq->used_idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (d->drop_interrupts)
		return;
	/* 2.6.7.2 with EVENT_IDX, 2.6.7.1 without. */
	if (has(d, VIRTIO_RING_F_EVENT_IDX)) {
		u16 used_event = avail(vq)->ring[vq->size];
		if (!vring_need_event(used_event, vq->used_idx, old))
			return;
	} else if (avail(vq)->flags & VIRTQ_AVAIL_F_NO_INTERRUPT) {
		return;
	}
	raise(d, vq->msix_vector, ISR_QUEUE);
}

static void answer(struct sim_vblk *d, struct sim_req *r)
{
	u32 written;
	u8 status = execute(d, r, &written);

	push_used(d, r, status, written);
}

static bool live(const struct sim_vblk *d)
{
	return (d->status & VIRTIO_CONFIG_S_DRIVER_OK) && !(d->status & VIRTIO_CONFIG_S_FAILED) &&
	       (sim_pci_command(d->fn) & PCI_COMMAND_MASTER) && !d->dead;
}

/* A request the device took: held while it holds, answered otherwise. */
static void req_taken(struct sim_vblk *d, struct sim_req *r)
{
	d->requests++;
	if (d->hold) {
		if (d->nheld == SIM_VBLK_MAX_HELD)
			fatal("too many held requests", d->nheld);
		d->held[d->nheld++] = *r;
	} else {
		answer(d, r);
	}
}

void sim_vblk_poll_queue(struct sim_vblk *d, unsigned q)
{
	struct sim_vq *vq = &d->vq[q];

	if (!live(d) || q >= d->num_queues || !vq->enabled)
		return;
	while (has(d, VIRTIO_F_RING_PACKED)) {
		struct pvirtq_event_suppress *dev =
			(struct pvirtq_event_suppress *)(uintptr_t)vq->device;
		struct sim_req r;

		if (!take_packed(d, q, &r)) {
			/* 2.7.14: notify me when you make the next slot available. */
			if (has(d, VIRTIO_RING_F_EVENT_IDX)) {
				dev->desc = (u16)(vq->last_avail | (vq->avail_wrap ? 0x8000 : 0));
				dev->flags = RING_EVENT_FLAGS_DESC;
			}
			return;
		}
		req_taken(d, &r);
	}
	while (vq->last_avail != avail(vq)->idx) {
		u16 head = avail(vq)->ring[vq->last_avail % vq->size];
		struct sim_req r;

		take_chain(d, q, head, &r);
		vq->last_avail++;
		req_taken(d, &r);
	}
	/* 2.6.10.1: ask to be notified when the next entry is made available. */
	if (has(d, VIRTIO_RING_F_EVENT_IDX))
		*(u16 *)&used(vq)->ring[vq->size] = vq->last_avail;
}

unsigned sim_vblk_complete(struct sim_vblk *d, unsigned n)
{
	unsigned done = 0;

	while (done < n && d->nheld) {
		struct sim_req r = d->held[0];
		memmove(d->held, d->held + 1, (d->nheld - 1) * sizeof(d->held[0]));
		d->nheld--;
		answer(d, &r);
		done++;
	}
	return done;
}

u16 sim_vblk_used_idx(const struct sim_vblk *d, unsigned q)
{
	return d->vq[q].used_idx;
}

bool sim_vblk_step(void)
{
	bool any = false;

	for (unsigned s = 0; s < SIM_PCI_SLOTS; s++) {
		struct sim_vblk *d = devices[s];
		for (unsigned q = 0; d && q < d->num_queues; q++) {
			if (d->vq[q].notified) {
				d->vq[q].notified = false;
				sim_vblk_poll_queue(d, q);
				any = true;
			}
		}
	}
	return any;
}

/* ------------------------------------------------------------------------
 * Registers
 */

static void answer(struct sim_vblk *d, struct sim_req *r);

static void device_reset(struct sim_vblk *d)
{
	d->resets++;
	if (d->reset_stuck)
		return; /* it says nothing and keeps its status: the reset never takes */
	/* QEMU's virtio-blk drains the block layer first: what it held completes. */
	if (d->complete_on_reset)
		sim_vblk_complete(d, UINT32_MAX);
	if (d->hold_until_reset)
		d->hold = d->hold_until_reset = false;
	d->status = 0;
	d->guest_features = 0;
	d->isr = 0;
	d->msix_config = VIRTIO_MSI_NO_VECTOR;
	d->nheld = 0;
	sim_pci_set_intx_level(d->fn, false);
	for (unsigned i = 0; i < d->num_queues; i++) {
		struct sim_vq *vq = &d->vq[i];
		vq->size = vq->max_size;
		vq->msix_vector = VIRTIO_MSI_NO_VECTOR;
		vq->enabled = false;
		vq->desc = vq->driver = vq->device = 0;
		vq->last_avail = vq->used_idx = 0;
		vq->avail_wrap = vq->used_wrap = true; /* 2.7.1: both start at 1 */
		vq->notified = false;
	}
}

static void write_status(struct sim_vblk *d, u8 v)
{
	if (v == 0) {
		device_reset(d);
		return;
	}
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) && !(d->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		/* 3.1.1: a subset of what was offered, and VERSION_1 for a modern device. */
		if ((d->guest_features & ~d->host_features) || !has(d, VIRTIO_F_VERSION_1))
			v &= (u8)~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	if (d->reset_stuck && d->status == 0)
		return;
	d->status = v;
}

static u32 common_read(struct sim_vblk *d, u32 off, unsigned size)
{
	struct sim_vq *vq = d->queue_select < d->num_queues ? &d->vq[d->queue_select] : NULL;
	u64 v;

	switch (off) {
	case CC(device_feature_select):
		v = d->dfselect;
		break;
	case CC(device_feature):
		v = d->dfselect < 2 ? (u32)(d->host_features >> (32 * d->dfselect)) : 0;
		break;
	case CC(driver_feature_select):
		v = d->gfselect;
		break;
	case CC(driver_feature):
		v = d->gfselect < 2 ? (u32)(d->guest_features >> (32 * d->gfselect)) : 0;
		break;
	case CC(msix_config):
		v = d->msix_config;
		break;
	case CC(num_queues):
		v = d->num_queues;
		break;
	case CC(device_status):
		v = d->status;
		break;
	case CC(config_generation):
		if (d->generation_runs)
			d->generation++;
		v = d->generation;
		break;
	case CC(queue_select):
		v = d->queue_select;
		break;
	case CC(queue_size):
		v = vq ? vq->size : 0;
		break;
	case CC(queue_msix_vector):
		v = vq ? vq->msix_vector : VIRTIO_MSI_NO_VECTOR;
		break;
	case CC(queue_enable):
		v = vq ? vq->enabled : 0;
		break;
	case CC(queue_notify_off):
		v = vq ? d->queue_select : 0;
		break;
	default:
		if (!sim_lenient)
			fatal("read of an unknown common configuration register", off);
		v = 0;
	}
	return (u32)v & (size == 4 ? 0xffffffffu : size == 2 ? 0xffff : 0xff);
}

static void set_half(u64 *field, u32 off, u32 base, u32 v)
{
	if (off == base)
		*field = (*field & ~0xffffffffull) | v;
	else
		*field = (*field & 0xffffffffull) | (u64)v << 32;
}

static void common_write(struct sim_vblk *d, u32 off, unsigned size, u32 v)
{
	struct sim_vq *vq = d->queue_select < d->num_queues ? &d->vq[d->queue_select] : NULL;

	switch (off) {
	case CC(device_feature_select):
		d->dfselect = v;
		break;
	case CC(driver_feature_select):
		d->gfselect = v;
		break;
	case CC(driver_feature):
		if (d->gfselect < 2) {
			u64 mask = 0xffffffffull << (32 * d->gfselect);
			d->guest_features =
				(d->guest_features & ~mask) | ((u64)v << (32 * d->gfselect));
		}
		break;
	case CC(msix_config):
		d->msix_config = (u16)v < d->msix_entries ? (u16)v : VIRTIO_MSI_NO_VECTOR;
		break;
	case CC(device_status):
		write_status(d, (u8)v);
		break;
	case CC(queue_select):
		d->queue_select = (u16)v;
		break;
	case CC(queue_size):
		if (vq && v && v <= vq->max_size && !(v & (v - 1)))
			vq->size = (u16)v;
		break;
	case CC(queue_msix_vector):
		if (vq)
			vq->msix_vector = (u16)v < d->msix_entries ? (u16)v : VIRTIO_MSI_NO_VECTOR;
		break;
	case CC(queue_enable):
		if (vq && v == 1)
			vq->enabled = true;
		break;
	case CC(queue_desc):
	case CC(queue_desc) + 4:
		if (vq)
			set_half(&vq->desc, off, CC(queue_desc), v);
		break;
	case CC(queue_driver):
	case CC(queue_driver) + 4:
		if (vq)
			set_half(&vq->driver, off, CC(queue_driver), v);
		break;
	case CC(queue_device):
	case CC(queue_device) + 4:
		if (vq)
			set_half(&vq->device, off, CC(queue_device), v);
		break;
	default:
		if (!sim_lenient)
			fatal("write of a read-only or unknown common configuration register", off);
	}
}

static bool vblk_bar_read(struct sim_pci_fn *fn, unsigned bar, u32 off, unsigned size, u32 *v)
{
	struct sim_vblk *d = fn->priv;

	if (bar != SIM_CFG_BAR)
		return false; /* the MSI-X table and PBA are plain memory */
	if (off < SIM_ISR_OFF) {
		*v = common_read(d, off - SIM_COMMON_OFF, size);
	} else if (off < SIM_DEVICE_OFF) {
		/* Reading ISR status acknowledges it and drops INTx (4.1.4.5). */
		*v = d->isr;
		d->isr = 0;
		sim_pci_set_intx_level(fn, false);
	} else if (off < SIM_NOTIFY_OFF) {
		u32 o = off - SIM_DEVICE_OFF;
		d->config_reads++;
		*v = 0;
		for (unsigned i = 0; i < size && o + i < VIRTIO_BLK_CFG_SIZE; i++)
			*v |= (u32)d->config[o + i] << (8 * i);
	} else {
		*v = 0;
	}
	return true;
}

static bool vblk_bar_write(struct sim_pci_fn *fn, unsigned bar, u32 off, unsigned size, u32 v)
{
	struct sim_vblk *d = fn->priv;

	if (bar != SIM_CFG_BAR)
		return false;
	if (off < SIM_ISR_OFF) {
		common_write(d, off - SIM_COMMON_OFF, size, v);
	} else if (off >= SIM_NOTIFY_OFF) {
		u32 q = (off - SIM_NOTIFY_OFF) / SIM_NOTIFY_MULT;
		if (q != v || q >= d->num_queues) {
			if (sim_lenient)
				return true;
			fatal("notification at the wrong address for its queue", off);
		}
		d->notifies++;
		if (d->ignore_notifies) {
			d->ignore_notifies--;
			return true;
		}
		/* A fast device: it takes the new requests at once. */
		sim_vblk_poll_queue(d, q);
	}
	return true;
}

static const struct sim_pci_ops sim_vblk_ops = {
	.bar_read = vblk_bar_read,
	.bar_write = vblk_bar_write,
};
