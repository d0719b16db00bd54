/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (virtio 1.1, 5.2). The driver has two faces to the block layer,
 * as in the seed: virtblk_request (the queue's request_fn, after the I/O
 * scheduler) and virtblk_make_request (the queue's make_request_fn on the
 * bypass path). Both turn their input into a struct virtblk_req ("vbr") and
 * both complete through virtblk_done, the virtqueues' callback.
 */
#ifndef DRIVERS_VIRTIO_BLK_H
#define DRIVERS_VIRTIO_BLK_H

#include "block/bio.h"
#include "block/blk-mq.h"
#include "drivers/virtio.h"
#include "kernel/list.h"
#include "kernel/platform.h"
#include "kernel/scatterlist.h"
#include "kernel/types.h"

/* Feature bits (5.2.3, and 5.2.3.1 for the legacy ones). */
#define VIRTIO_BLK_F_BARRIER 0
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_SCSI 7
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* struct virtio_blk_config field offsets (5.2.4). */
#define VIRTIO_BLK_CFG_CAPACITY 0
#define VIRTIO_BLK_CFG_SIZE_MAX 8
#define VIRTIO_BLK_CFG_SEG_MAX 12
#define VIRTIO_BLK_CFG_GEOMETRY 16
#define VIRTIO_BLK_CFG_BLK_SIZE 20
#define VIRTIO_BLK_CFG_PHYS_BLOCK_EXP 24
#define VIRTIO_BLK_CFG_ALIGNMENT_OFFSET 25
#define VIRTIO_BLK_CFG_MIN_IO_SIZE 26
#define VIRTIO_BLK_CFG_OPT_IO_SIZE 28
#define VIRTIO_BLK_CFG_WRITEBACK 32
#define VIRTIO_BLK_CFG_NUM_QUEUES 34
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS 36
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG 40
#define VIRTIO_BLK_CFG_DISCARD_ALIGNMENT 44
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS 48
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG 52
#define VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP 56
#define VIRTIO_BLK_CFG_SIZE 60

/* Request types and status (5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1

struct virtio_blk_outhdr {
	u32 type;
	u32 ioprio;
	u64 sector;
} __packed;

struct virtio_blk_discard_write_zeroes {
	u64 sector;
	u32 num_sectors;
	u32 flags;
} __packed;

/* The device configuration (5.2.4), after validation. */
struct virtblk_config {
	u64 capacity; /* 512-byte sectors, whole logical blocks */
	u32 blk_size;
	u32 phys_block_size;
	u32 seg_max;  /* data segments per request */
	u32 size_max; /* bytes per segment, 0: no limit */
	u16 min_io_size;
	u32 opt_io_size;
	u16 cylinders;
	u8 heads, sectors;
	bool read_only, writeback;
	u32 max_discard_sectors, max_write_zeroes_sectors;
	bool write_zeroes_may_unmap;
	u16 num_queues;
};

/* Most segments one request may carry here, whatever the device allows. */
#define VIRTBLK_MAX_SEGMENTS 256
/* Largest logical block we accept; QEMU allows up to 2 MiB (any power of two). */
#define VIRTBLK_MAX_BLK_SIZE KiB(64)

/*
 * Validate a raw configuration space image (VIRTIO_BLK_CFG_SIZE bytes,
 * little-endian) under the negotiated @features. Returns 0; -EINVAL for a
 * value the specification forbids (the device is broken), with a message
 * naming the field; -EOPNOTSUPP for a valid value this driver cannot use.
 * Pure: the unit tests feed it lying devices.
 */
int virtblk_parse_config(const char *name, const u8 *raw, u64 features, struct virtblk_config *cfg);
/*
 * Check a capacity (512-byte sectors, as the device reports it) for a disk
 * of @blk_size-byte logical blocks, as at probe and after a configuration
 * change: -EINVAL, with a message naming it, for one whose byte count
 * overflows 64 bits; otherwise 0 and *out rounded down to whole blocks
 * (with a warning when it was not).
 */
int virtblk_parse_capacity(const char *name, u64 capacity, u32 blk_size, u64 *out);

struct request;
struct bio;
struct gendisk;
struct request_queue;
struct virtio_blk;

/*
 * VBR_LEAKED: ended, but the device that held it did not reset and may
 * still write it, so virtblk_free_req keeps it allocated for good.
 */
enum vbr_state { VBR_FREE, VBR_IN_FLIGHT, VBR_DONE, VBR_LEAKED };

/*
 * One request to the device: header (device-readable), data segments, and
 * the status byte (device-writable). It carries either a struct request
 * (request path), a bio (bypass path), or neither (driver-internal and raw
 * requests, completed through ->done).
 */
struct virtblk_req {
	struct virtio_blk_outhdr out_hdr;
	struct virtio_blk_discard_write_zeroes dwz;
	u8 status;
	u8 vq_index;
	u8 state;      /* enum vbr_state */
	bool data_out; /* the data segments are device-readable */
	bool hipri;    /* for a poll queue (REQ_HIPRI), when the disk has one */
	bool mq;       /* lives in its request (blk-mq): never freed on its own */
	bool pooled;   /* one of its disk's preallocated vbrs (virtblk_alloc_req) */
	u16 cpu;       /* where it ends: its submitter's CPU */
	int error;     /* set when the driver ends it (timeout, broken device) */
	struct virtio_blk *vblk;
	struct request *req;
	struct bio *bio;
	void (*done)(struct virtblk_req *vbr, int error);
	void *done_data;
	u32 data_len; /* bytes of data (or range descriptor) the request carries */
	u32 used_len;
	u64 submit_ns;
	struct list_head list; /* in flight, then on the done list */
	unsigned nsg;	       /* data segments, sg[1..nsg] */
	struct scatterlist sg[];
};

/*
 * Each disk's preallocated vbrs (virtblk_alloc_req): VIRTBLK_POOL_VBRS per
 * online CPU, each VIRTBLK_POOL_BYTES long with room for VIRTBLK_POOL_SEGS
 * data segments besides header and status.
 */
#define VIRTBLK_POOL_VBRS 128
#define VIRTBLK_POOL_BYTES 256
#define VIRTBLK_POOL_SEGS                                                                          \
	((VIRTBLK_POOL_BYTES - sizeof(struct virtblk_req)) / sizeof(struct scatterlist) - 2)

struct virtio_blk_stats {
	u64 kicks;
	u64 irqs;
	u64 requests;
	u64 flushes;
	u64 completions;
	u64 ioerr;
	u64 unsupp;
	u64 short_reads; /* modern device, read: used length short of data + status */
	u64 resets;
	u64 late_completions; /* timed out, but found completed when the device was reset */
	u64 aborted;	      /* ended with EIO because the device broke */
	u64 rekicks;	      /* notifications repeated for a stalled queue */
	u64 lost_irqs;	      /* stalled queues whose used buffers no interrupt announced */
	u64 pollers_gone;     /* queues handed to a hybrid poller that did not come back */
	u64 backlog_waits;
};

#define VIRTBLK_MAX_QUEUES 16
/* Services in a row a queue's bypass bios may take while another's wait. */
#define VIRTBLK_BACKLOG_STREAK 16

/*
 * One virtqueue and what the driver keeps about it (Linux's struct
 * virtio_blk_vq). CPU i submits to queue i mod num_queues on the bypass and
 * request paths, and through hardware context i mod num_queues on blk-mq;
 * the queue's MSI-X vector is aimed at CPU (queue index mod online CPUs).
 */
struct virtblk_vq {
	spinlock_t lock; /* the ring, and every field below; also taken from its interrupt */
	struct list_head in_flight_list; /* requests on the ring, oldest first */
	unsigned in_flight;
	struct bio_list backlog; /* bypass bios that found no room, in order */
	bool kick_pending;
	bool polling;	   /* a hybrid poller reaps it (virtblk_poll); callbacks off */
	bool spun;	   /* a spinning poll since the last stall check */
	int poll_cpu;	   /* while polling: the poller's CPU */
	unsigned unkicked; /* requests added under a plug since the last kick */
	u64 requests;	   /* added to the ring */
	u64 completions;   /* taken off the used ring */
	u64 reaped, reaped_seen, stall_since_ns; /* progress watch */
	/* A hybrid poller re-armed callbacks to halt: on which CPU, and when. */
	int parked_cpu;
	u64 parked_ns;
	/* Per CPU: kicks sent, interrupts taken and completions reaped there. */
	u64 cpu_kicks[NR_CPUS], cpu_irqs[NR_CPUS], cpu_completions[NR_CPUS];
} __aligned(SMP_CACHE_BYTES);

/* Each CPU's hand-off of finished bypass and driver-internal requests. */
struct virtblk_cpu {
	spinlock_t lock;
	struct list_head done_list;
	struct tasklet tasklet;
	struct virtio_blk *vblk;
	unsigned unkicked; /* bypass requests added under this CPU's plug since its last kick */
	/*
	 * Preallocated vbrs for requests of up to VIRTBLK_POOL_SEGS data
	 * segments, taken and given back with interrupts off on this CPU
	 * (virtblk_alloc_req), so the hot paths do not go to kmalloc.
	 */
	struct list_head free_vbrs;
	unsigned nr_free;
	u64 completions; /* requests the driver ended on this CPU (local64_add) */
} __aligned(SMP_CACHE_BYTES);

/* The ring layout a disk's queues use (its disk setting vdX.ring). */
enum virtblk_ring {
	VIRTBLK_RING_AUTO,   /* packed when the device offers it, else split */
	VIRTBLK_RING_SPLIT,  /* split even when packed is offered */
	VIRTBLK_RING_PACKED, /* packed, or the disk is not usable */
};

struct virtio_blk {
	char name[8];
	int index;
	struct virtio_device vdev;
	struct gendisk *disk;
	struct request_queue *queue;
	bool broken; /* new I/O fails; what the device holds is being ended */
	bool dead;   /* broken, and everything it held has ended; no queues */
	bool leaked; /* its reset did not take: rings and requests kept, never freed */

	struct virtblk_config cfg; /* validated device configuration */
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	/* GET_ID's request and buffer, the disk's own (read_serial). */
	struct virtblk_req *id_vbr;
	char *id_buf;
	bool id_pending; /* until serial_done has run: its completion is not yet seen */

	unsigned poll_queues; /* the last vdev.nvqs queues: polled only (vdX.poll_queues) */
	unsigned raw_vq;      /* the queue raw mode uses */
	unsigned queue_depth; /* dispatch depth (Linux's module parameter) */

	/*
	 * The bypass path's one line across queues, which share the disk's
	 * queue_depth: bios in any queue's backlog (at least as many as there
	 * are: counted before they go in, uncounted once submitted), which a
	 * new bio does not overtake; and whose turn it is. The queue served
	 * last keeps its turn for VIRTBLK_BACKLOG_STREAK services in a row
	 * while others wait (its new bios may then go first too); then the
	 * next queue with a backlog has it. So no queue waits for ever, and
	 * the room does not change CPUs on every I/O.
	 */
	atomic_t backlogged __aligned(SMP_CACHE_BYTES);
	unsigned backlog_turn;	 /* the queue served last */
	unsigned backlog_streak; /* its services in a row while others waited */

	struct virtblk_vq vqs[VIRTBLK_MAX_QUEUES];
	struct virtblk_cpu cpus[NR_CPUS];

	/*
	 * Resetting the device takes every queue away under whoever uses it:
	 * users counts, per CPU, the paths inside a queue (adding, kicking,
	 * reaping), and a reset waits for none to be left, with resetting
	 * set so that no new one starts (reset_lock: one reset at a time).
	 */
	spinlock_t reset_lock;
	bool resetting;
	int users[NR_CPUS];

	/* blk-mq: one hardware context per virtqueue. */
	struct blk_mq_tag_set tag_set;

	enum virtblk_ring ring; /* the layout asked for (vdX.ring) */

	bool raw_mode;		       /* interrupts off, one queue polled by the caller */
	struct virtio_blk_stats stats; /* updated atomically; requests and completions per queue */
	u64 timeout_ns;
	u64 reaped;	     /* completions taken off any ring */
	u64 reaped_at_reset; /* a second timeout with no completion since: give up */
	u64 raw_checked_ns;  /* when the raw poller last watched its queue */
};

/*
 * Settings that decide how a disk is probed (its features and queues), so
 * they must be given before virtio_blk_init(), for the disk that will be
 * named @disk ("vda" is the first virtio-blk device found). -ENODEV when
 * @disk is not such a name.
 */
int virtblk_set_ring(const char *disk, enum virtblk_ring ring);
/*
 * How many of the disk's queues are poll queues (Linux's virtio_blk
 * poll_queues, per disk): the last ones, with no interrupt; REQ_HIPRI
 * requests go there, the rest to the others. -ENODEV as virtblk_set_ring;
 * the device must have more queues than this, or the disk is not usable.
 */
int virtblk_set_poll_queues(const char *disk, unsigned n);
/* Requests on the device now, summed over its queues' own counts. */
unsigned virtblk_in_flight(const struct virtio_blk *vblk);

int virtio_blk_init(void);
/* Wait until the probes' own requests (GET_ID) have ended, on every disk. */
void virtio_blk_settle(void);
/* Every disk removed (its device reset, its memory freed); for host tests. */
void virtio_blk_exit(void);
unsigned virtio_blk_count(void);
struct virtio_blk *virtio_blk_at(unsigned i);
struct virtio_blk *virtio_blk_find(const char *name);

/* Dispatch depth: at most this many requests on the device at once. */
int virtblk_set_queue_depth(struct virtio_blk *vblk, unsigned depth);

/*
 * Raw access, for the benchmark's ceiling (path=raw) and for driver
 * self-checks: no block layer, no interrupts. virtblk_raw_begin() drains
 * and turns callbacks off; submit adds one request to queue 0, or with
 * @hipri to the first poll queue when the disk has one (kicked by
 * virtblk_raw_kick); poll reaps finished ones through their ->done, and
 * watches the queue as the timer does the others': a stall is re-notified,
 * a request older than the timeout resets the device, and a broken
 * device's requests (those submitted later too) end with EIO at the next
 * poll. A caller polls until every request it submitted has ended.
 */
struct virtblk_req *virtblk_alloc_req(struct virtio_blk *vblk, unsigned nsg);
void virtblk_free_req(struct virtblk_req *vbr);
int virtblk_raw_begin(struct virtio_blk *vblk, bool hipri);
void virtblk_raw_end(struct virtio_blk *vblk);
int virtblk_raw_submit(struct virtio_blk *vblk, struct virtblk_req *vbr, u32 type, u64 sector,
		       void *buf, u32 len);
void virtblk_raw_kick(struct virtio_blk *vblk);
unsigned virtblk_raw_poll(struct virtio_blk *vblk);
void virtblk_get_stats(struct virtio_blk *vblk, struct virtio_blk_stats *out);

/* One virtqueue's counters, in all and by the CPU they happened on. */
struct virtblk_queue_counters {
	u64 requests, completions, kicks, irqs;
	u64 cpu_kicks[NR_CPUS], cpu_irqs[NR_CPUS], cpu_completions[NR_CPUS];
};
/* The disk's queues, as the device reported them (also when broken since). */
unsigned virtblk_nr_queues(struct virtio_blk *vblk);
void virtblk_get_queue_counters(struct virtio_blk *vblk, unsigned qi,
				struct virtblk_queue_counters *out);
void virtblk_print_stats(struct virtio_blk *vblk);
/* Each virtqueue's state and what it holds (a stalled run's report). */
void virtblk_dump(struct virtio_blk *vblk);

#endif
