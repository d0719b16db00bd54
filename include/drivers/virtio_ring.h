/* SPDX-License-Identifier: MIT */
/*
 * Virtqueues in both layouts the specification defines: the split ring
 * (virtio 1.1 §2.6) and the packed ring (§2.7). One struct virtqueue and one
 * set of operations serve both; the layout is chosen once, when the queue is
 * created from the negotiated features (VIRTIO_F_RING_PACKED), and nothing
 * above the ring code (drivers/virtio_ring.c, virtio_ring_split.c,
 * virtio_ring_packed.c) knows which one a queue has. The ring code does not
 * know which transport or device it serves either: the transport gives it a
 * notify function and calls vring_interrupt() from its interrupt handler.
 *
 * Every field the device reads or writes is little-endian in virtio 1.x and
 * guest-native for legacy devices (§2.6.3); on x86 both are the same, so the
 * fields are plain integers with no conversions.
 */
#ifndef DRIVERS_VIRTIO_RING_H
#define DRIVERS_VIRTIO_RING_H

#include "kernel/scatterlist.h"
#include "kernel/types.h"

/* Descriptor flags (§2.6.5, and §2.7.1 for the packed ring's two). */
#define VIRTQ_DESC_F_NEXT 1	/* the chain continues (split: at .next) */
#define VIRTQ_DESC_F_WRITE 2	/* device-writable (else device-readable) */
#define VIRTQ_DESC_F_INDIRECT 4 /* .addr is a table of descriptors */
#define VIRTQ_DESC_F_AVAIL (1 << 7)
#define VIRTQ_DESC_F_USED (1 << 15)

/* Driver to device: "no used buffer notifications, please" (§2.6.7). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
/* Device to driver: "no available buffer notifications, please" (§2.6.10). */
#define VIRTQ_USED_F_NO_NOTIFY 1

/*
 * Packed ring event suppression flags (§2.7.14): in the driver area they
 * govern used buffer notifications, in the device area available buffer
 * notifications. DESC is valid only with VIRTIO_RING_F_EVENT_IDX.
 */
#define RING_EVENT_FLAGS_ENABLE 0x0
#define RING_EVENT_FLAGS_DISABLE 0x1
#define RING_EVENT_FLAGS_DESC 0x2
/* The wrap counter's bit in an event suppression structure's desc field. */
#define RING_EVENT_WRAP_SHIFT 15

/* Ring feature bits (§6, reserved feature bits). */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_RING_PACKED 34

/*
 * Queue Align of the legacy PCI transport (§4.1.5.1.3.1, legacy virtqueue
 * configuration): the used ring starts on the next such boundary after the
 * available ring, and the device finds the whole ring from one page number.
 */
#define VIRTIO_PCI_VRING_ALIGN 4096

/*
 * The largest Queue Size the spec allows (§2.6: 16-bit indices must tell
 * full from empty; §2.7: 15 bits of offset in an event suppression field).
 */
#define VIRTQUEUE_MAX_SIZE 32768

/* Values vring_interrupt() returns, as Linux's IRQ_NONE and IRQ_HANDLED. */
#define VRING_IRQ_NONE 0
#define VRING_IRQ_HANDLED 1

/* Longest queue name kept, for messages and counters, with its NUL. */
#define VIRTQUEUE_NAME_MAX 32

/* One descriptor (§2.6.5): 16 bytes, naturally aligned, no padding. */
struct virtq_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

/*
 * The available ring (§2.6.6). With VIRTIO_F_EVENT_IDX, ring[num] holds
 * used_event; see vring_used_event().
 */
struct virtq_avail {
	u16 flags;
	u16 idx;
	u16 ring[];
};

/* One used ring entry (§2.6.8); id is 32 bits only for padding. */
struct virtq_used_elem {
	u32 id;
	u32 len;
};

/*
 * The used ring (§2.6.8). With VIRTIO_F_EVENT_IDX, the u16 after ring[num]
 * holds avail_event; see vring_avail_event().
 */
struct virtq_used {
	u16 flags;
	u16 idx;
	struct virtq_used_elem ring[];
};

/*
 * One packed ring descriptor (§2.7.13). The driver writes it available; the
 * device overwrites it used, with the buffer id and the bytes it wrote.
 */
struct pvirtq_desc {
	u64 addr;
	u32 len;
	u16 id;
	u16 flags;
};

/*
 * A packed ring event suppression structure (§2.7.14): desc holds the
 * offset (bits 0-14) and wrap counter (bit 15) of the descriptor at which a
 * notification is wanted when flags is RING_EVENT_FLAGS_DESC.
 */
struct pvirtq_event_suppress {
	u16 desc;
	u16 flags;
};

_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc is 16 bytes (§2.6.5)");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem is 8 bytes (§2.6.8)");
_Static_assert(sizeof(struct pvirtq_desc) == 16, "pvirtq_desc is 16 bytes (§2.7.13)");
_Static_assert(sizeof(struct pvirtq_event_suppress) == 4, "event suppression is 4 bytes");

/* Where the three parts of one ring live in the driver's address space. */
struct vring {
	unsigned int num;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
};

static inline u16 *vring_used_event(const struct vring *vr)
{
	return &vr->avail->ring[vr->num];
}

static inline u16 *vring_avail_event(const struct vring *vr)
{
	return (u16 *)&vr->used->ring[vr->num];
}

/*
 * Bytes of one ring in the legacy contiguous layout (§2.6.2): descriptors,
 * available ring with used_event, padding to @align, used ring with
 * avail_event, itself padded to @align.
 */
static inline size_t vring_size(unsigned int num, size_t align)
{
	size_t driver_part = sizeof(struct virtq_desc) * num + sizeof(u16) * (3 + num);
	size_t device_part = sizeof(u16) * 3 + sizeof(struct virtq_used_elem) * num;

	return ALIGN_UP(driver_part, align) + ALIGN_UP(device_part, align);
}

/*
 * The event index test (virtio 1.1 §2.6.7.2 and §2.6.10.1): the other side
 * asked to be notified once index @event_idx has been filled, and this update
 * moved the index from @old_idx to @new_idx. In 16-bit arithmetic, true when
 * event_idx lies in [old_idx, new_idx).
 */
static inline bool vring_need_event(u16 event_idx, u16 new_idx, u16 old_idx)
{
	return (u16)(new_idx - event_idx - 1) < (u16)(new_idx - old_idx);
}

struct virtqueue;
typedef void (*vq_callback_t)(struct virtqueue *vq);

/*
 * What the driver remembers about one buffer in flight, in private memory a
 * device cannot scribble on: the caller's token (NULL when the entry holds
 * no buffer in flight), how many ring descriptors the buffer occupies, the
 * device-writable bytes that bound the used length, and the indirect table
 * to free. The split ring keeps one entry per descriptor and uses the
 * chain's head entry for the buffer; .next links its free descriptors. The
 * packed ring keeps one entry per buffer id; .next links the free ids.
 */
struct vring_desc_state {
	void *data;
	void *indir;
	u32 in_len;
	u16 ndescs;
	u16 next;
	bool avail; /* split: the chain's head is in avail->idx's range (published) */
};

/* The split ring's driver state (drivers/virtio_ring_split.c). */
struct vring_split {
	struct vring vring;
	u16 free_head;		 /* first free descriptor; num ends the list */
	u16 avail_idx_shadow;	 /* next available slot the driver fills */
	u16 avail_idx_published; /* what the device was last shown in avail->idx */
	u16 avail_flags_shadow;	 /* the driver's own copy of avail->flags */
	u16 last_used_idx;	 /* next used ring entry the driver reads */
	/*
	 * The heads put on the available ring, by slot: the driver's own copy,
	 * since the ring itself is memory the device could overwrite.
	 */
	u16 *avail_heads;
};

/* The packed ring's driver state (drivers/virtio_ring_packed.c). */
struct vring_packed {
	struct pvirtq_desc *desc;
	struct pvirtq_event_suppress *driver; /* driver area: our wishes */
	struct pvirtq_event_suppress *device; /* device area: the device's */
	u16 next_avail_idx;		      /* next descriptor slot the driver fills */
	bool avail_wrap;		      /* the Driver Ring Wrap Counter (§2.7.1) */
	u16 last_used_idx;		      /* next slot where a used descriptor may appear */
	bool used_wrap;			      /* the wrap counter a used descriptor there carries */
	u16 event_flags_shadow;		      /* the driver's own copy of driver->flags */
	u16 free_id;			      /* first free buffer id; num ends the list */
	unsigned int num_added;		      /* descriptors made available since the last kick */
};

struct virtqueue {
	/* Identity, read by the transport and the driver. */
	char name[VIRTQUEUE_NAME_MAX];
	unsigned int index;
	unsigned int num;
	void *priv;
	void *transport; /* the transport's per-queue state (notify address) */
	vq_callback_t callback;
	bool (*notify)(struct virtqueue *vq);

	/*
	 * Set by the transport when the queue's interrupt is a shared INTx line
	 * whose ISR status it has already read (and so acknowledged): the
	 * callback then runs on every interrupt, pending buffers or not.
	 */
	bool irq_always_callback;

	/* Counters, read out by the benchmark. */
	u64 num_kicks;		  /* notifications sent to the device */
	u64 num_kicks_suppressed; /* kicks the device said it did not need */
	u64 num_irqs;		  /* vring_interrupt() calls */
	u64 num_irqs_spurious;	  /* ... that found nothing to do */

	/* The layout and the negotiated ring features. */
	bool packed_ring;
	bool indirect;
	bool event_idx;
	/* A device or transport error: nothing more goes in or comes out. */
	bool broken;
	/* Whether the driver currently wants used buffer notifications. */
	bool cb_enabled;
	/* A poll queue: only ever reaped by a poller, never notified (set_polled). */
	bool polled;

	void *ring_mem;
	size_t ring_bytes;
	phys_addr_t ring_phys;

	unsigned int num_free;	  /* descriptors the driver may fill */
	unsigned int detach_hint; /* where virtqueue_detach_unused_buf looks first */

	union {
		struct vring_split split;
		struct vring_packed packed;
	};

	struct vring_desc_state desc_state[];
};

/*
 * Create a virtqueue of @num entries for a device that negotiated
 * @features: a packed ring (§2.7) when VIRTIO_F_RING_PACKED is among them
 * (any size from 1 to 32768), else a split ring (a power of two up to
 * 32768); any other size gives NULL and an error message. The split ring is
 * laid out contiguously in the legacy layout with the used ring aligned to
 * VIRTIO_PCI_VRING_ALIGN, so it serves both a legacy transport (one page
 * frame number) and a modern one (three addresses). VIRTIO_RING_F_INDIRECT_DESC
 * and VIRTIO_RING_F_EVENT_IDX in @features say whether those were
 * negotiated. @notify must not be NULL; @callback may be, for a polled queue.
 * The name is copied.
 */
struct virtqueue *vring_create_virtqueue(unsigned int index, unsigned int num, u64 features,
					 bool (*notify)(struct virtqueue *vq),
					 vq_callback_t callback, void *priv, const char *name);
/* Free the ring and any indirect tables still in flight (not the tokens). */
void vring_del_virtqueue(struct virtqueue *vq);

/*
 * Bus addresses of the three parts, for a modern transport (§4.1.4.3): the
 * descriptor area, the driver area (split: the available ring; packed: the
 * driver event suppression structure) and the device area (split: the used
 * ring; packed: the device event suppression structure).
 */
phys_addr_t virtqueue_get_desc_addr(const struct virtqueue *vq);
phys_addr_t virtqueue_get_avail_addr(const struct virtqueue *vq);
phys_addr_t virtqueue_get_used_addr(const struct virtqueue *vq);
unsigned int virtqueue_get_vring_size(const struct virtqueue *vq);
/* Descriptors free for new buffers. */
unsigned int virtqueue_num_free(const struct virtqueue *vq);
/* Whether the queue is a packed ring; its name, "split" or "packed". */
bool virtqueue_is_packed(const struct virtqueue *vq);
const char *virtqueue_layout_name(const struct virtqueue *vq);

/*
 * Queue one buffer: sg[0..out-1] device-readable, then sg[out..out+in-1]
 * device-writable. With VIRTIO_RING_F_INDIRECT_DESC and more than one element
 * the chain may go into one indirect table (a direct chain if the table
 * cannot be allocated, or would not fit in a page). @data, a non-NULL token,
 * comes back from virtqueue_get_buf(). Returns 0; -ENOSPC when there are not
 * enough free descriptors now (nothing consumed); -EINVAL for no elements, a
 * zero-length element, a NULL token, more elements than the queue size or
 * more than 4 GiB - 1 in total; -EIO when the queue is broken. Does not
 * notify. A split ring shows the buffer to the device at the next kick; a
 * packed ring at once (its descriptor flags are the publication, §2.7.6).
 */
int virtqueue_add_sgs(struct virtqueue *vq, const struct scatterlist *sg, unsigned int out,
		      unsigned int in, void *data);
/*
 * Publish the buffers added since the last call and say whether the device
 * wants a notification (split: avail_event with VIRTIO_RING_F_EVENT_IDX,
 * else VIRTQ_USED_F_NO_NOTIFY; packed: the device event suppression
 * structure). False when nothing was added or the queue is broken.
 */
bool virtqueue_kick_prepare(struct virtqueue *vq);
/* Notify the device; a failed notify breaks the queue and returns false. */
bool virtqueue_notify(struct virtqueue *vq);
/* kick_prepare, then notify if needed; false only when the queue is broken. */
bool virtqueue_kick(struct virtqueue *vq);

/* Whether the device has returned buffers not yet taken (false when broken). */
bool virtqueue_more_used(const struct virtqueue *vq);
/*
 * The next finished buffer's token, with the bytes the device wrote in *len
 * (when @len is not NULL); NULL when there is none. A used entry naming no
 * buffer in flight or claiming more bytes than the buffer can hold breaks
 * the queue, with a message naming the queue, the field and the value.
 */
void *virtqueue_get_buf(struct virtqueue *vq, u32 *len);

/* Ask the device not to interrupt (a hint: interrupts may still arrive). */
void virtqueue_disable_cb(struct virtqueue *vq);
/*
 * Ask for an interrupt on the next used buffer, then look again: false when
 * buffers are already pending, which the caller must drain (they will not
 * raise an interrupt of their own). True on a broken queue.
 */
bool virtqueue_enable_cb(struct virtqueue *vq);

/*
 * Make @vq a poll queue (Linux's virtio_blk poll_queues, SPDK's polled
 * initiator): its used buffers are only ever reaped by a poller, so the
 * device is told not to notify, for good. Split without EVENT_IDX: the
 * VIRTQ_AVAIL_F_NO_INTERRUPT flag. Split with EVENT_IDX, where the flags
 * must stay 0: used_event moved just behind the used index after every
 * buffer taken, so the device would notify only after 65535 more.
 * Packed: RING_EVENT_FLAGS_DISABLE. virtqueue_enable_cb() then only
 * reports whether buffers are pending. A notification that still comes
 * (a shared line) finds no callback and changes nothing.
 */
void virtqueue_set_polled(struct virtqueue *vq);

bool virtqueue_is_broken(const struct virtqueue *vq);
void virtqueue_set_broken(struct virtqueue *vq);

/*
 * After a device reset, return the token of one buffer still in flight and
 * free its descriptors; NULL when none is left. Split: buffers added but
 * never published are dropped from the available ring as well. The queue
 * is then fit only for vring_del_virtqueue().
 */
void *virtqueue_detach_unused_buf(struct virtqueue *vq);

/*
 * The interrupt handler, with the virtqueue as @vq: when used buffers are
 * pending (or always, with irq_always_callback) run the callback and return
 * VRING_IRQ_HANDLED, else VRING_IRQ_NONE. A broken queue's interrupt is
 * handled without the callback. Counts num_irqs.
 */
int vring_interrupt(int irq, void *vq);

/*
 * Whether the device may not have seen every published buffer: where the
 * device says how far it has read (split with EVENT_IDX: avail_event;
 * packed with EVENT_IDX: the descriptor its event suppression names), that
 * position is behind ours; otherwise, buffers are outstanding at all.
 */
bool virtqueue_device_behind(const struct virtqueue *vq);

/* Print the ring's indices and flags (for a timed-out request's report). */
void virtqueue_dump(const struct virtqueue *vq);

#endif
