/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: used-ring processing (drivers/virtio_ring*.c), split and
 * packed, against a device that writes whatever the input says.
 *
 * Input: one byte choosing the layout, the queue size and the ring
 * features, then a program of one-byte operations with their arguments:
 * the driver adds buffers of random shapes, kicks, takes used buffers,
 * turns callbacks on and off; the device writes used entries (an id in
 * flight or any id, any length), moves used->idx (split) or flips wrap bits
 * (packed). At the end the device is "reset" and every buffer still in
 * flight is detached.
 *
 * What must hold, whatever the device did: virtqueue_get_buf returns only
 * tokens that are in flight, each once, with a length no larger than the
 * buffer's device-writable bytes; a broken queue returns nothing; after
 * the reset every token came back exactly once (taken or detached) and
 * every descriptor is free again. Memory errors are AddressSanitizer's.
 */
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio.h"
#include "drivers/virtio_ring.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

#define MAX_TOKENS 1024
#define MAX_ELEMS 8

struct token {
	bool in_flight;
	bool returned;
	u32 writable;
};

static struct token tokens[MAX_TOKENS];
static u8 buffer[4096]; /* what every element points at; the device never writes it */

struct input {
	const u8 *p;
	size_t left;
};

static u8 next8(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static u16 next16(struct input *in)
{
	return (u16)(next8(in) | next8(in) << 8);
}

static u32 next32(struct input *in)
{
	return (u32)next16(in) | (u32)next16(in) << 16;
}

static bool notify(struct virtqueue *vq)
{
	return true;
}

/* An id the driver has in flight (its own view), or any id. */
static u16 pick_id(struct virtqueue *vq, struct input *in)
{
	u8 how = next8(in);
	u16 raw = next16(in);

	if (how & 1) {
		for (unsigned k = 0; k < vq->num; k++) {
			unsigned id = (raw + k) % vq->num;
			if (vq->desc_state[id].data)
				return (u16)id;
		}
	}
	return raw;
}

/* The device's side of the used ring: where it writes next. */
struct device {
	u16 used_shadow; /* split: the next used slot */
	u16 pos;	 /* packed: the next slot it overwrites */
	bool wrap;	 /* packed: its wrap counter */
};

static void device_use(struct virtqueue *vq, struct device *d, struct input *in)
{
	u16 id = pick_id(vq, in);
	u32 len = next8(in) & 1 ? next32(in) : next8(in);
	u8 how = next8(in);

	if (!vq->packed_ring) {
		struct vring *vr = &vq->split.vring;
		struct virtq_used_elem *e = &vr->used->ring[d->used_shadow & (vq->num - 1)];

		e->id = how & 0x80 ? next32(in) : id;
		e->len = len;
		d->used_shadow++;
		/* Publish it, or publish some other index. */
		WRITE_ONCE(vr->used->idx, how & 0x40 ? next16(in) : d->used_shadow);
		return;
	}
	struct pvirtq_desc *desc = &vq->packed.desc[d->pos % vq->num];
	u16 flags = d->wrap ? (VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED) : 0;

	desc->id = id;
	desc->len = len;
	WRITE_ONCE(desc->flags, how & 0x40 ? next16(in) : flags);
	/* Move on by as many slots as the input says (a buffer's chain length). */
	d->pos = (u16)(d->pos + 1 + (how & 3));
	if (d->pos >= vq->num) {
		d->pos = (u16)(d->pos % vq->num);
		d->wrap = !d->wrap;
	}
}

static void add(struct virtqueue *vq, struct input *in)
{
	struct scatterlist sg[MAX_ELEMS];
	u8 shape = next8(in);
	unsigned out = shape % 4, nin = (shape >> 2) % 4, n = out + nin;
	u32 writable = 0;
	unsigned t;

	for (t = 0; t < MAX_TOKENS && tokens[t].in_flight; t++)
		;
	if (t == MAX_TOKENS || n == 0)
		return;
	for (unsigned k = 0; k < n; k++) {
		u32 len = 1 + next8(in) % sizeof(buffer);
		sg_set(&sg[k], virt_to_phys(buffer), len);
		if (k >= out)
			writable += len;
	}
	if (virtqueue_add_sgs(vq, sg, out, nin, &tokens[t]) == 0) {
		tokens[t].in_flight = true;
		tokens[t].returned = false;
		tokens[t].writable = writable;
	}
}

static void take(struct virtqueue *vq, struct token *tok, u32 len, bool by_device)
{
	CHECK(tok >= tokens && tok < tokens + MAX_TOKENS);
	CHECK(tok->in_flight && !tok->returned);
	if (by_device)
		CHECK(len <= tok->writable);
	tok->in_flight = false;
	tok->returned = true;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = {data, size};
	u8 setup = next8(&in);
	bool packed = setup & 1;
	unsigned num = packed ? 1 + next8(&in) % 64 : 1u << (setup >> 1) % 8;
	u64 features = (setup & 0x40 ? 1ull << VIRTIO_RING_F_INDIRECT_DESC : 0) |
		       (setup & 0x80 ? 1ull << VIRTIO_RING_F_EVENT_IDX : 0) |
		       (packed ? 1ull << VIRTIO_F_RING_PACKED : 0);
	struct device dev = {0, 0, true};
	struct virtqueue *vq;
	void *tok;
	u32 len;

	host_printk_quiet = true;
	host_log_len = 0;
	memset(tokens, 0, sizeof(tokens));
	vq = vring_create_virtqueue(0, num, features, notify, NULL, NULL, "fuzz");
	CHECK(vq);
	while (in.left) {
		switch (next8(&in) % 8) {
		case 0:
		case 1:
			add(vq, &in);
			break;
		case 2:
			virtqueue_kick(vq);
			break;
		case 3:
		case 4:
			device_use(vq, &dev, &in);
			break;
		case 5: {
			bool broken = virtqueue_is_broken(vq);
			tok = virtqueue_get_buf(vq, &len);
			if (broken)
				CHECK(!tok);
			if (tok)
				take(vq, tok, len, true);
			break;
		}
		case 6:
			virtqueue_disable_cb(vq);
			break;
		case 7:
			(void)virtqueue_enable_cb(vq);
			(void)virtqueue_more_used(vq);
			(void)virtqueue_device_behind(vq);
			break;
		}
	}
	/* A reset: the device owns nothing; everything still out comes back. */
	while ((tok = virtqueue_detach_unused_buf(vq)))
		take(vq, tok, 0, false);
	for (unsigned t = 0; t < MAX_TOKENS; t++)
		CHECK(!tokens[t].in_flight);
	CHECK(virtqueue_num_free(vq) == num);
	vring_del_virtqueue(vq);
	return 0;
}
