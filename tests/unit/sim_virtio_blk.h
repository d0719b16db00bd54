/* SPDX-License-Identifier: MIT */
/*
 * A simulated virtio-blk device on the simulated PCI bus (sim_pci.h), for
 * the host tests of drivers/virtio_pci.c and drivers/virtio_blk.c.
 *
 * It is a modern virtio-pci function as QEMU's virtio-blk-pci lays it out
 * (virtio 1.1, 4.1): vendor capabilities for the common, notify, ISR and
 * device configuration structures in a 64-bit memory BAR, an MSI-X table in
 * another, an INTx pin. It serves split virtqueues (2.6) and, when it
 * offers VIRTIO_F_RING_PACKED, packed ones (2.7), by the device's rules:
 * it takes buffers from the available ring when notified, executes
 * virtio-blk requests (5.2.6) against a RAM disk, publishes used entries
 * with used length data + 1 for reads as QEMU does, keeps avail_event, and
 * interrupts as used_event or VIRTQ_AVAIL_F_NO_INTERRUPT ask.
 *
 * And it lies on request: short used lengths, ids of chains not in flight,
 * status bytes the specification does not define, a configuration
 * generation that never settles, a reset that never takes, notifications
 * it ignores, requests it takes and never answers.
 */
#ifndef TESTS_UNIT_SIM_VIRTIO_BLK_H
#define TESTS_UNIT_SIM_VIRTIO_BLK_H

#include "drivers/virtio_blk.h"
#include "tests/unit/sim_pci.h"

#define SIM_VBLK_MAX_QUEUES 16
#define SIM_VBLK_MAX_SEGS 300
#define SIM_VBLK_MAX_HELD 1100
#define SIM_VBLK_ID "simblk-serial"

/* Where the structures sit in BAR 4 (as QEMU places them, page apart). */
#define SIM_COMMON_OFF 0x0000
#define SIM_ISR_OFF 0x1000
#define SIM_DEVICE_OFF 0x2000
#define SIM_NOTIFY_OFF 0x3000
#define SIM_NOTIFY_MULT 4
#define SIM_BAR_SIZE 0x4000
#define SIM_MSIX_BAR 1
#define SIM_CFG_BAR 4

/* One request as the device took it off an available ring. */
struct sim_req {
	unsigned q;
	u16 head;   /* split: the chain's head; packed: the buffer id */
	u16 ndescs; /* packed: the slots the buffer took */
	u32 type;
	u64 sector;
	unsigned nseg; /* data segments, between header and status */
	struct {
		u8 *p;
		u32 len;
		bool write; /* device-writable */
	} seg[SIM_VBLK_MAX_SEGS];
	u8 *status;
	u32 data_len;
	u64 taken_ns;
};

struct sim_vq {
	u16 size, max_size;
	u16 msix_vector;
	bool enabled;
	u64 desc, driver, device;
	/* Split: free-running indices. Packed: slots, with the wrap counters. */
	u16 last_avail, used_idx;
	bool avail_wrap, used_wrap;
	bool notified;
};

struct sim_vblk;
/*
 * Called before a used entry goes out; may change what the device reports.
 * *status is the byte the device writes (it may be any value).
 */
typedef void (*sim_tamper_fn)(struct sim_vblk *d, const struct sim_req *r, u32 *id, u32 *len,
			      u8 *status);

struct sim_vblk {
	struct sim_pci_fn *fn;
	u64 host_features, guest_features;
	u32 dfselect, gfselect;
	u8 status;
	u8 generation;
	u16 msix_config;
	u16 queue_select;
	u16 num_queues;
	u8 isr;
	u8 config[VIRTIO_BLK_CFG_SIZE];
	struct sim_vq vq[SIM_VBLK_MAX_QUEUES];
	u8 *disk;
	u64 disk_bytes;
	unsigned msix_entries; /* table size; vectors beyond it read back NO_VECTOR */

	/* Misbehaviour, set by the test. */
	bool hold;		  /* take requests, answer none (sim_vblk_complete does) */
	bool hold_until_reset;	  /* ... and answer again once reset */
	bool complete_on_reset;	  /* a reset first finishes what is held (QEMU drains) */
	bool dead;		  /* stops answering altogether: takes nothing more */
	bool reset_stuck;	  /* device_status never reads back 0 after a reset */
	bool generation_runs;	  /* config_generation changes on every read */
	unsigned ignore_notifies; /* this many notifications are lost */
	bool drop_interrupts;	  /* used buffers are published without interrupts */
	sim_tamper_fn tamper;

	/* What happened. */
	unsigned notifies, resets, requests, interrupts, config_reads;
	struct sim_req held[SIM_VBLK_MAX_HELD];
	unsigned nheld;
};

/*
 * A QEMU-like modern virtio-blk-pci function at @slot: @capacity sectors of
 * RAM disk (zeroed), @num_queues queues of @queue_size entries, MSI-X with
 * a vector per queue and one for configuration changes. The features and
 * the configuration space can be changed before the driver probes.
 */
struct sim_vblk *sim_vblk_create(u8 slot, u64 capacity, unsigned num_queues, unsigned queue_size);
/* Forget every device (sim_pci_reset frees the functions). */
void sim_vblk_reset_all(void);
void sim_vblk_put_config(struct sim_vblk *d, unsigned off, const void *v, unsigned len);
/* A capacity change, announced with a configuration interrupt. */
void sim_vblk_resize(struct sim_vblk *d, u64 capacity);

/* Process notified queues of every device; true when anything happened. */
bool sim_vblk_step(void);
/* Look at @q's available ring as if notified. */
void sim_vblk_poll_queue(struct sim_vblk *d, unsigned q);
/* Answer up to @n held requests, oldest first (UINT32_MAX: all). */
unsigned sim_vblk_complete(struct sim_vblk *d, unsigned n);
/* Used entries published but not yet consumed by the driver, queue @q. */
u16 sim_vblk_used_idx(const struct sim_vblk *d, unsigned q);

#endif
