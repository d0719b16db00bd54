/* SPDX-License-Identifier: MIT */
/*
 * Between drivers/virtio_ring.c, which holds what both layouts share (the
 * public entry points, buffer validation, the indirect-table policy,
 * counters, interrupts), and the two layouts, virtio_ring_split.c and
 * virtio_ring_packed.c, side by side as Linux's virtqueue_add_split and
 * virtqueue_add_packed. Nothing outside these three files includes it.
 *
 * Every layout function runs serialized by the ring's user (see
 * virtio_ring.c), except the _bytes and _init helpers used at creation.
 * The add functions get a buffer already checked (elements, lengths,
 * token) and, when the common policy chose one, an indirect table to fill.
 */
#ifndef DRIVERS_VIRTIO_RING_INTERNAL_H
#define DRIVERS_VIRTIO_RING_INTERNAL_H

#include "drivers/virtio_ring.h"
#include "kernel/platform.h"

/* A device error: say what was wrong, then refuse to touch the ring again. */
#define vq_bad(vq, fmt, ...)                                                                       \
	do {                                                                                       \
		pr_err("%s: " fmt, (vq)->name, ##__VA_ARGS__);                                     \
		WRITE_ONCE((vq)->broken, true);                                                    \
	} while (0)

/*
 * Forget the buffer an entry of desc_state held, once its descriptors are
 * free again: its indirect table goes back to the allocator.
 */
static inline void vring_state_clear(struct vring_desc_state *st)
{
	kfree(st->indir);
	st->data = NULL;
	st->indir = NULL;
	st->in_len = 0;
	st->ndescs = 0;
}

/* Split ring (virtio_ring_split.c). */
size_t vring_split_bytes(unsigned int num);
void vring_split_init(struct virtqueue *vq);
int vring_add_split(struct virtqueue *vq, const struct scatterlist *sg, unsigned int out,
		    unsigned int total, u32 in_len, void *data, struct virtq_desc *indir);
bool vring_kick_prepare_split(struct virtqueue *vq);
bool vring_more_used_split(const struct virtqueue *vq);
void *vring_get_buf_split(struct virtqueue *vq, u32 *len);
void vring_disable_cb_split(struct virtqueue *vq);
bool vring_enable_cb_split(struct virtqueue *vq);
void *vring_detach_unused_split(struct virtqueue *vq);
bool vring_device_behind_split(const struct virtqueue *vq);
void vring_dump_split(const struct virtqueue *vq);

/* Packed ring (virtio_ring_packed.c). */
size_t vring_packed_bytes(unsigned int num);
void vring_packed_init(struct virtqueue *vq);
int vring_add_packed(struct virtqueue *vq, const struct scatterlist *sg, unsigned int out,
		     unsigned int total, u32 in_len, void *data, struct pvirtq_desc *indir);
bool vring_kick_prepare_packed(struct virtqueue *vq);
bool vring_more_used_packed(const struct virtqueue *vq);
void *vring_get_buf_packed(struct virtqueue *vq, u32 *len);
void vring_disable_cb_packed(struct virtqueue *vq);
bool vring_enable_cb_packed(struct virtqueue *vq);
void *vring_detach_unused_packed(struct virtqueue *vq);
bool vring_device_behind_packed(const struct virtqueue *vq);
void vring_dump_packed(const struct virtqueue *vq);

#endif
