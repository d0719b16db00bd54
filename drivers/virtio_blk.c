/* SPDX-License-Identifier: MIT */
/*
 * The virtio-blk driver (virtio 1.1, 5.2), in the seed's shape:
 *
 *   request path:  blk_queue_bio -> elevator -> virtblk_request (request_fn)
 *   bypass path:   virtblk_make_request (make_request_fn), bio -> vbr directly
 *   completion:    vring_interrupt -> virtblk_done (the queue callback), which
 *                  only moves finished vbrs off the used ring; the work
 *                  (bio_endio, freeing, restarting the queue) runs in softirq
 *                  context: virtblk_request_done via the block layer's
 *                  softirq_done_fn, virtblk_bio_done via our own tasklet.
 *
 * Everything the device reports is checked where it enters: a value that
 * breaks the specification marks the device broken with a message naming
 * the field; a valid value this driver cannot use is refused or adapted,
 * and other disks carry on.
 *
 * A broken device never holds up a run. Marking it broken (anywhere, even
 * in its interrupt handler) schedules virtblk_abort, which resets it and
 * ends every request it held with EIO at once, on every path; what is
 * queued in the scheduler, backlogged, or submitted later fails the same
 * way. Buffers are freed only once the reset has taken: a device whose
 * reset does not take is cut off the bus, and its rings and requests are
 * left allocated on purpose, with a message saying so.
 */
#include "block/bio.h"
#include "block/blkdev.h"
#include "block/genhd.h"
#include "drivers/pci.h"
#include "drivers/virtio_blk.h"
#include "drivers/virtio_mmio.h"
#include "kernel/io.h"
#include "kernel/platform.h"
#include "kernel/string.h"

#define VIRTBLK_MAX_DISKS 26
/* Linux's default request timeout. */
#define VIRTBLK_DEFAULT_TIMEOUT_NS (30 * NSEC_PER_SEC)
#define VIRTBLK_TIMEOUT_CHECK_NS (10 * NSEC_PER_MSEC)
/* No completion for this long with requests in flight: notify again. */
#define VIRTBLK_STALL_NS (20 * NSEC_PER_MSEC)

static struct virtio_blk *disks[VIRTBLK_MAX_DISKS];
static unsigned nr_disks;
static struct timer_list timeout_timer;

/* Probe-time settings, by the disk's letter (vda is 0), given before probing. */
static enum virtblk_ring ring_setting[VIRTBLK_MAX_DISKS];
static unsigned poll_setting[VIRTBLK_MAX_DISKS];

static const u64 driver_features =
	(1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
	(1ull << VIRTIO_BLK_F_GEOMETRY) | (1ull << VIRTIO_BLK_F_RO) |
	(1ull << VIRTIO_BLK_F_BLK_SIZE) | (1ull << VIRTIO_BLK_F_FLUSH) |
	(1ull << VIRTIO_BLK_F_TOPOLOGY) | (1ull << VIRTIO_BLK_F_CONFIG_WCE) |
	(1ull << VIRTIO_BLK_F_MQ) | (1ull << VIRTIO_BLK_F_DISCARD) |
	(1ull << VIRTIO_BLK_F_WRITE_ZEROES) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
	(1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_F_VERSION_1) |
	(1ull << VIRTIO_F_RING_PACKED);

static void virtblk_done(struct virtqueue *vq);
static void virtblk_complete_tasklet(void *data);
static void virtblk_request(struct request_queue *q);
static void virtblk_make_request(struct request_queue *q, struct bio *bio);
static void virtblk_request_done(struct request *rq);
static enum blk_eh_timer_return virtblk_timeout(struct request *rq);
static int virtblk_lld_busy(struct request_queue *q);
static void virtblk_kick_all(struct virtio_blk *vblk);
static void virtblk_abort(struct virtio_blk *vblk);
static unsigned virtblk_end_done(struct virtio_blk *vblk, struct virtblk_cpu *c);

/* Counters several CPUs update (the busy ones live per queue, under its lock). */
#define vstat_add(vblk, field, n) __atomic_add_fetch(&(vblk)->stats.field, (n), __ATOMIC_RELAXED)
#define vstat_inc(vblk, field) vstat_add(vblk, field, 1)

/*
 * Requests on the device, over its queues: each queue counts its own
 * under its lock, so no locked instruction per request on a count every
 * queue shares; a reader on another CPU sees each count as it was a
 * moment ago, which the callers' checks (queue_depth, waiting for the
 * device to drain) allow.
 */
unsigned virtblk_in_flight(const struct virtio_blk *vblk)
{
	unsigned n = 0;

	for (unsigned i = 0; i < READ_ONCE(vblk->vdev.nvqs); i++)
		n += READ_ONCE(vblk->vqs[i].in_flight);
	return n;
}

/*
 * Entering a queue: refused while the device is being reset (the queues
 * are about to go away), else counted until virtblk_put, so the reset can
 * wait for everyone to leave. The count is per CPU and changed with one
 * instruction, so an interrupt handler on the same CPU may nest.
 */
static bool virtblk_get(struct virtio_blk *vblk)
{
	int *users = &vblk->users[smp_processor_id()];

	local_inc(users);
	smp_mb(); /* the count is seen before resetting is read (quiesce_begin pairs) */
	if (unlikely(READ_ONCE(vblk->resetting))) {
		local_dec(users);
		return false;
	}
	return true;
}

static void virtblk_put(struct virtio_blk *vblk)
{
	barrier();
	local_dec(&vblk->users[smp_processor_id()]);
}

/*
 * Stop every path at the door and wait for those inside to leave, so the
 * device can be reset and its queues rebuilt. Interrupts are off; the
 * caller is not inside a queue itself.
 */
static void virtblk_quiesce_begin(struct virtio_blk *vblk)
{
	BUG_ON(READ_ONCE(vblk->users[smp_processor_id()]));
	spin_lock(&vblk->reset_lock);
	WRITE_ONCE(vblk->resetting, true);
	smp_mb();
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		while (READ_ONCE(vblk->users[cpu]))
			cpu_relax();
}

static void virtblk_quiesce_end(struct virtio_blk *vblk)
{
	smp_store_release(&vblk->resetting, false);
	spin_unlock(&vblk->reset_lock);
}

/* Run the done tasklets of the CPUs in @cpus (their lists have work). */
static void virtblk_kick_done(struct virtio_blk *vblk, unsigned long cpus)
{
	while (cpus) {
		unsigned cpu = (unsigned)__builtin_ctzl(cpus);

		cpus &= cpus - 1;
		tasklet_schedule_on(&vblk->cpus[cpu].tasklet, cpu);
	}
}

unsigned virtio_blk_count(void)
{
	return nr_disks;
}

struct virtio_blk *virtio_blk_at(unsigned i)
{
	return i < nr_disks ? disks[i] : NULL;
}

struct virtio_blk *virtio_blk_find(const char *name)
{
	for (unsigned i = 0; i < nr_disks; i++)
		if (!strcmp(disks[i]->name, name))
			return disks[i];
	return NULL;
}

/*
 * Any context. New I/O fails from now on; what the device holds is ended
 * by virtblk_abort, from the completion tasklet (or the raw poller), where
 * completions may run.
 */
static void mark_broken(struct virtio_blk *vblk, const char *why)
{
	if (vblk->broken)
		return;
	vblk->broken = true;
	pr_err("%s: device is broken (%s); its I/O now fails with EIO", vblk->name, why);
	tasklet_schedule(&vblk->cpus[smp_processor_id()].tasklet);
}

/* ---------------------------------------------------------------------------
 * Configuration: read once at probe (and again on a configuration change),
 * checked field by field.
 */

/* Read the whole configuration once and validate it (drivers/virtio_blk_config.c). */
static int read_config(struct virtio_blk *vblk)
{
	u8 raw[VIRTIO_BLK_CFG_SIZE];
	int err = virtio_cread(&vblk->vdev, 0, raw, sizeof(raw));

	if (err)
		return err;
	return virtblk_parse_config(vblk->name, raw, vblk->vdev.features, &vblk->cfg);
}

/*
 * A descriptor chain may not be longer than the queue (2.6.5.3.1). Without
 * indirect descriptors every segment uses a ring slot, plus the header and
 * the status; with them the chain still counts against the queue size.
 * QEMU's seg-max-adjust=off reports 126 even for a 16-entry queue. A queue
 * so small that its requests cannot hold one logical block is refused.
 */
static int clamp_seg_max(struct virtio_blk *vblk)
{
	unsigned ring = virtqueue_get_vring_size(vblk->vdev.vqs[0]);
	u32 seg_max = vblk->cfg.seg_max;

	for (unsigned i = 1; i < vblk->vdev.nvqs; i++)
		ring = MIN(ring, virtqueue_get_vring_size(vblk->vdev.vqs[i]));
	seg_max = ring < 3 ? 1 : MIN(seg_max, ring - 2);
	if (seg_max != vblk->cfg.seg_max) {
		pr_info("%s: seg_max %u clamped to %u (queue size %u)", vblk->name,
			vblk->cfg.seg_max, seg_max, ring);
		vblk->cfg.seg_max = seg_max;
	}
	if (vblk->cfg.size_max && (u64)seg_max * vblk->cfg.size_max < vblk->cfg.blk_size) {
		pr_err("%s: %u segments of at most %u bytes (queue size %u) cannot carry one "
		       "%u-byte block",
		       vblk->name, seg_max, vblk->cfg.size_max, ring, vblk->cfg.blk_size);
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * The default dispatch depth: every ring entry. Without indirect
 * descriptors a large request takes several entries; a full ring then
 * stops the queue (or backlogs the bio) until completions make room.
 */
static unsigned ring_capacity(struct virtio_blk *vblk)
{
	unsigned total = 0;

	for (unsigned i = 0; i < vblk->vdev.nvqs; i++)
		total += virtqueue_get_vring_size(vblk->vdev.vqs[i]);
	return total;
}

/* The smallest ring: what each blk-mq hardware context can hold at once. */
static unsigned ring_min(struct virtio_blk *vblk)
{
	unsigned min = ~0u;

	for (unsigned i = 0; i < vblk->vdev.nvqs; i++)
		min = MIN(min, virtqueue_get_vring_size(vblk->vdev.vqs[i]));
	return vblk->vdev.nvqs ? min : 1;
}

/*
 * The configuration-change interrupt (4.1.4.5): a resize. Called from the
 * interrupt handler, so it only reads the capacity (a bounded read: see
 * virtio_cread), checks it as the probe did, and notes it. A read that
 * never settles or a capacity the specification cannot mean marks the
 * device broken.
 */
static void virtblk_config_changed(struct virtio_device *vdev)
{
	struct virtio_blk *vblk = vdev->priv;
	u64 raw, cap;

	if (vblk->broken)
		return;
	if (virtio_cread(vdev, VIRTIO_BLK_CFG_CAPACITY, &raw, sizeof(raw))) {
		mark_broken(vblk, "its configuration could not be read after a change");
		return;
	}
	if (virtblk_parse_capacity(vblk->name, raw, vblk->cfg.blk_size, &cap)) {
		mark_broken(vblk, "a capacity no device may report");
		return;
	}
	if (cap != vblk->cfg.capacity) {
		printk("%s: capacity changed from %lu to %lu sectors\n", vblk->name,
		       vblk->cfg.capacity, cap);
		vblk->cfg.capacity = cap;
		if (vblk->disk)
			set_capacity(vblk->disk, vblk->cfg.capacity);
	}
}

/*
 * The features this disk asks for: everything the driver can use, but
 * VIRTIO_F_RING_PACKED only as its ring setting allows. A packed ring the
 * device cannot give (a legacy device, or QEMU's packed=off) is refused.
 */
static int virtblk_features(struct virtio_blk *vblk, u64 *features)
{
	struct virtio_device *vdev = &vblk->vdev;

	*features = driver_features;
	if (vblk->ring == VIRTBLK_RING_SPLIT)
		*features &= ~(1ull << VIRTIO_F_RING_PACKED);
	if (vblk->ring == VIRTBLK_RING_PACKED &&
	    !(vdev->device_features & (1ull << VIRTIO_F_RING_PACKED))) {
		pr_err("%s: ring=packed, but the device does not offer VIRTIO_F_RING_PACKED (%s)",
		       vblk->name,
		       vdev->modern ? "QEMU's packed=off" : "a legacy device has split rings only");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Device initialisation after the transport probe (3.1.1 steps 4-8). */
static int virtblk_init_device(struct virtio_blk *vblk, unsigned max_queue_size, bool allow_msix)
{
	struct virtio_device *vdev = &vblk->vdev;
	u64 features;
	int err;

	err = virtblk_features(vblk, &features);
	if (err)
		return err;
	err = virtio_negotiate(vdev, features);
	if (err)
		return err;
	err = read_config(vblk);
	if (err)
		return err;
	vdev->config_changed = virtblk_config_changed;
	/* Linux clamps poll_queues to leave one queue; we say so and refuse. */
	if (vblk->poll_queues >= vblk->cfg.num_queues) {
		pr_err("%s: poll_queues=%u needs more queues than that, one at least for "
		       "interrupts; the device has %u (QEMU's num-queues)",
		       vblk->name, vblk->poll_queues, vblk->cfg.num_queues);
		return -EINVAL;
	}
	err = virtio_find_vqs(vdev, vblk->cfg.num_queues, vblk->poll_queues, virtblk_done, vblk,
			      max_queue_size, allow_msix, vblk->name);
	if (err)
		return err;
	err = clamp_seg_max(vblk);
	if (err) {
		virtio_reset(vdev);
		virtio_del_vqs(vdev);
		return err;
	}
	virtio_device_ready(vdev);
	return 0;
}

/* ---------------------------------------------------------------------------
 * virtblk_req: allocation, submission and completion.
 */

/*
 * Every request of the request and bypass paths needs a vbr, and a
 * kmalloc and kfree cost more guest instructions than the driver's whole
 * submission (tools/profile --insns). So each disk keeps VIRTBLK_POOL_VBRS
 * vbrs per CPU, allocated when it is probed, in one size: the 256-byte
 * kmalloc class, whose room after the vbr's own fields holds the header,
 * the status and VIRTBLK_POOL_SEGS data segments (enough for a 4 KiB
 * request, or a larger one of few segments). A CPU takes one from its own
 * list and a vbr goes back to the list of the CPU that frees it, which is
 * usually the one that took it. Only process and softirq context allocate
 * and free vbrs, and on one CPU neither interrupts the other
 * (kernel/softirq.c), so the lists need no lock and no interrupts turned
 * off (a pair of those costs as much as a hundred plain instructions under
 * TCG); an interrupt handler that tried would be a bug, and is caught.
 * Larger requests, or a CPU whose list is empty, use kmalloc as before.
 */
_Static_assert(VIRTBLK_POOL_BYTES >= sizeof(struct virtblk_req) + 3 * sizeof(struct scatterlist),
	       "a pooled vbr holds at least header, one data segment and status");

static void vbr_init(struct virtio_blk *vblk, struct virtblk_req *vbr, bool pooled)
{
	memset(vbr, 0, sizeof(*vbr));
	vbr->vblk = vblk;
	vbr->pooled = pooled;
	INIT_LIST_HEAD(&vbr->list);
}

struct virtblk_req *virtblk_alloc_req(struct virtio_blk *vblk, unsigned nsg)
{
	struct virtblk_req *vbr = NULL;

	BUG_ON(in_irq());
	if (nsg <= VIRTBLK_POOL_SEGS + 2) {
		struct virtblk_cpu *c = &vblk->cpus[smp_processor_id()];

		if (c->nr_free) {
			vbr = list_first_entry(&c->free_vbrs, struct virtblk_req, list);
			list_del(&vbr->list);
			c->nr_free--;
		}
		if (vbr) {
			BUG_ON(!vbr->pooled || vbr->state != VBR_FREE);
			vbr_init(vblk, vbr, true);
			return vbr;
		}
	}
	vbr = kmalloc(sizeof(*vbr) + nsg * sizeof(struct scatterlist));
	if (vbr)
		vbr_init(vblk, vbr, false);
	return vbr;
}

void virtblk_free_req(struct virtblk_req *vbr)
{
	/* The device may still write it (a reset that did not take): kept. */
	if (!vbr || vbr->state == VBR_LEAKED || vbr->mq)
		return;
	BUG_ON(in_irq());
	if (vbr->pooled) {
		struct virtblk_cpu *c = &vbr->vblk->cpus[smp_processor_id()];

		/* On the list it is VBR_FREE; one found FREE here was freed twice. */
		BUG_ON(vbr->state == VBR_FREE && vbr->list.next != &vbr->list);
		vbr->state = VBR_FREE;
		list_add(&vbr->list, &c->free_vbrs);
		c->nr_free++;
		return;
	}
	kfree(vbr);
}

/* Fill every online CPU's list of pooled vbrs; a short pool only costs speed. */
static void virtblk_pool_fill(struct virtio_blk *vblk)
{
	for (unsigned cpu = 0; cpu < num_online_cpus(); cpu++) {
		struct virtblk_cpu *c = &vblk->cpus[cpu];

		while (c->nr_free < VIRTBLK_POOL_VBRS) {
			struct virtblk_req *vbr = kmalloc(VIRTBLK_POOL_BYTES);

			if (!vbr)
				return;
			vbr_init(vblk, vbr, true);
			list_add(&vbr->list, &c->free_vbrs);
			c->nr_free++;
		}
	}
}

/* The pooled vbrs back on the lists (a leaked one never is). */
static void virtblk_pool_free(struct virtio_blk *vblk)
{
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		struct virtblk_cpu *c = &vblk->cpus[cpu];
		struct virtblk_req *vbr, *n;

		list_for_each_entry_safe(vbr, n, &c->free_vbrs, list) {
			list_del(&vbr->list);
			kfree(vbr);
		}
		c->nr_free = 0;
	}
}

static int status_to_errno(u8 status)
{
	switch (status) {
	case VIRTIO_BLK_S_OK:
		return 0;
	case VIRTIO_BLK_S_UNSUPP:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

/*
 * Put a prepared vbr (header, data segments in vbr->sg[1..nsg-2]) on
 * virtqueue @qi (taken modulo the queues there are). The header goes first,
 * device-readable; the status byte last, device-writable; the data in
 * between in the request's direction. Separate descriptors for header and
 * status also satisfy legacy devices without VIRTIO_F_ANY_LAYOUT (5.2.6.3).
 * Does not kick. -ENOSPC when the ring is full (then @hctx, a blk-mq
 * caller's context, is stopped under the queue's lock, so a completion
 * that makes room after this cannot be missed), -EAGAIN while the device
 * is being reset, -EIO when it is broken.
 */
static int virtblk_add_req(struct virtio_blk *vblk, struct virtblk_req *vbr, unsigned ndata,
			   bool data_out, unsigned qi, struct blk_mq_hw_ctx *hctx)
{
	unsigned out = 1 + (data_out ? ndata : 0);
	unsigned in = 1 + (data_out ? 0 : ndata);
	struct virtblk_vq *bvq;
	unsigned long flags;
	int err;

	if (vblk->broken)
		return -EIO;
	if (!virtblk_get(vblk))
		return -EAGAIN;
	if (!vblk->vdev.nvqs) {
		virtblk_put(vblk);
		return -EIO;
	}
	qi = mod_small(qi, vblk->vdev.nvqs);
	bvq = &vblk->vqs[qi];
	vbr->nsg = ndata;
	vbr->data_out = data_out;
	vbr->error = 0;
	vbr->cpu = (u16)(vbr->bio ? vbr->bio->bi_cpu : smp_processor_id());
	sg_set(&vbr->sg[0], virt_to_phys(&vbr->out_hdr), sizeof(vbr->out_hdr));
	sg_set(&vbr->sg[1 + ndata], virt_to_phys(&vbr->status), sizeof(vbr->status));
	vbr->status = 0xff; /* not a valid status: catches a device that never writes it */
	vbr->vq_index = (u8)qi;
	/* A started request's clock was read as it started: no second read. */
	vbr->submit_ns = vbr->req ? vbr->req->io_start_time_ns : ktime_get_ns();
	vbr->data_len = 0;
	for (unsigned i = 0; i < ndata; i++)
		vbr->data_len += vbr->sg[1 + i].length;

	spin_lock_irqsave(&bvq->lock, flags);
	err = virtqueue_add_sgs(vblk->vdev.vqs[qi], vbr->sg, out, in, vbr);
	if (!err) {
		vbr->state = VBR_IN_FLIGHT;
		list_add_tail(&vbr->list, &bvq->in_flight_list);
		bvq->in_flight++;
		bvq->requests++;
		bvq->kick_pending = true;
	} else if (err == -ENOSPC && hctx) {
		blk_mq_stop_hw_queue(hctx);
	}
	spin_unlock_irqrestore(&bvq->lock, flags);
	virtblk_put(vblk);
	if (!err && vbr->out_hdr.type == VIRTIO_BLK_T_FLUSH)
		vstat_inc(vblk, flushes);
	return err;
}

/*
 * Requests a plugged burst may build before the device is told. Measured
 * side by side under TCG (randread 4k, iodepth 32, bypass path): 8 gave
 * ~110k IOPS, 16 gave ~150-175k, 32 (the whole burst) ~130k: the device
 * should start early, but each notification costs the host a wake-up.
 */
static const unsigned kick_batch = 16;

/* Notify queue @qi if it has new requests (and the device wants to know). */
static void virtblk_kick_vq(struct virtio_blk *vblk, unsigned qi)
{
	struct virtblk_vq *bvq;
	unsigned long flags;

	vblk->cpus[smp_processor_id()].unkicked = 0;
	if (!virtblk_get(vblk))
		return; /* the reset notifies what it puts back */
	if (vblk->vdev.nvqs) {
		qi = mod_small(qi, vblk->vdev.nvqs);
		bvq = &vblk->vqs[qi];
		/* Under the lock: the ring's kick counters are not atomic. */
		spin_lock_irqsave(&bvq->lock, flags);
		if (bvq->kick_pending) {
			u64 before = vblk->vdev.vqs[qi]->num_kicks;

			bvq->kick_pending = false;
			virtqueue_kick(vblk->vdev.vqs[qi]);
			bvq->cpu_kicks[smp_processor_id()] +=
				vblk->vdev.vqs[qi]->num_kicks - before;
		}
		spin_unlock_irqrestore(&bvq->lock, flags);
	}
	virtblk_put(vblk);
}

/*
 * The queue CPU @cpu submits to: interrupt queue cpu mod their number, or
 * for a polled request (REQ_HIPRI) poll queue cpu mod theirs when the disk
 * has any, as Linux maps CPUs to the queues of each type.
 */
static unsigned virtblk_cpu_vq(const struct virtio_blk *vblk, unsigned cpu, bool hipri)
{
	unsigned nio = vblk->vdev.nvqs - vblk->poll_queues;

	if (!vblk->vdev.nvqs)
		return 0;
	if (hipri && vblk->poll_queues)
		return nio + mod_small(cpu, vblk->poll_queues);
	return mod_small(cpu, nio);
}

static void virtblk_kick_all(struct virtio_blk *vblk)
{
	for (unsigned i = 0; i < vblk->vdev.nvqs; i++)
		virtblk_kick_vq(vblk, i);
}

/*
 * The status byte and used length are device input too. A request the
 * driver ended itself (a timeout, a broken device) carries its error. A
 * read on a modern device whose used length does not cover the data and
 * the status byte did not deliver its data (2.6.8.2: len is the bytes
 * written; QEMU and qemu-storage-daemon report data + 1): that request
 * fails with EIO. Legacy devices may report len wrongly (2.6.8.1, legacy
 * interface), so only a len that does not cover the status byte counts
 * there. A status the specification does not define, or a used length
 * short of the status byte on any request, marks the device broken.
 */
static int vbr_result(struct virtblk_req *vbr)
{
	struct virtio_blk *vblk = vbr->vblk;
	int err;

	if (vbr->error)
		return vbr->error;
	if (vbr->out_hdr.type == VIRTIO_BLK_T_IN &&
	    virtio_has_feature(&vblk->vdev, VIRTIO_F_VERSION_1) &&
	    vbr->used_len < (u64)vbr->data_len + 1) {
		vstat_inc(vblk, short_reads);
		pr_err("%s: read at sector %lu: used length %u, expected %u (data and status); "
		       "failed with EIO",
		       vblk->name, vbr->out_hdr.sector, vbr->used_len, vbr->data_len + 1);
		return -EIO;
	}
	if (vbr->used_len < 1 || vbr->status > VIRTIO_BLK_S_UNSUPP) {
		char why[96];
		ksnprintf(why, sizeof(why), "request at sector %lu: used length %u, status %u",
			  vbr->out_hdr.sector, vbr->used_len, vbr->status);
		mark_broken(vblk, why);
		return -EIO;
	}
	err = status_to_errno(vbr->status);
	if (err == -EIO) {
		vstat_inc(vblk, ioerr);
		pr_err("%s: I/O error at sector %lu (type %u, %u bytes)", vblk->name,
		       vbr->out_hdr.sector, vbr->out_hdr.type, vbr->data_len);
	} else if (err == -EOPNOTSUPP) {
		vstat_inc(vblk, unsupp);
	}
	return err;
}

/* Hand finished bypass or driver-internal vbrs (@list, all of CPU @cpu's) to that CPU. */
static void virtblk_queue_done_list(struct virtio_blk *vblk, unsigned cpu, struct list_head *list,
				    unsigned long *cpus)
{
	struct virtblk_cpu *c = &vblk->cpus[cpu];
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	list_splice_tail_init(list, &c->done_list);
	spin_unlock_irqrestore(&c->lock, flags);
	*cpus |= 1ul << cpu;
}

/* Hand one finished bypass or driver-internal vbr to its CPU's done list. */
static void virtblk_queue_done(struct virtio_blk *vblk, struct virtblk_req *vbr,
			       unsigned long *cpus)
{
	unsigned cpu = vbr->cpu < num_online_cpus() ? vbr->cpu : smp_processor_id();
	LIST_HEAD(one);

	list_add_tail(&vbr->list, &one);
	virtblk_queue_done_list(vblk, cpu, &one, cpus);
}

/*
 * One buffer the device returned, off queue @bvq (whose lock is held):
 * request-path and blk-mq vbrs go to the block layer's completion, on their
 * request's CPU (which also settles a race with the request's timeout: see
 * block/blk-timeout.c; this CPU's onto @rqs, handed over in one piece), the rest to the done list of the CPU that submitted
 * them (*cpus collects which): those of this CPU onto @mine, which the
 * caller hands over in one piece, the others at once. The caller accounts
 * for the vbrs in the disk's counters (virtblk_account_reaped).
 */
static void virtblk_reaped(struct virtio_blk *vblk, struct virtblk_vq *bvq, struct virtblk_req *vbr,
			   u32 len, unsigned long *cpus, struct list_head *mine,
			   struct list_head *rqs)
{
	unsigned cpu = smp_processor_id();

	vbr->used_len = len;
	vbr->state = VBR_DONE;
	list_del_init(&vbr->list);
	bvq->in_flight--;
	bvq->completions++;
	bvq->cpu_completions[cpu]++;
	bvq->reaped++;
	if (vbr->req) {
		/* Both faces end a request through the block layer's completion. */
		vbr->req->errors = vbr_result(vbr);
		blk_complete_request_batch(vbr->req, rqs);
	} else if (vbr->cpu == cpu || vbr->cpu >= num_online_cpus()) {
		list_add_tail(&vbr->list, mine);
	} else {
		virtblk_queue_done(vblk, vbr, cpus);
	}
}

/*
 * The disk-wide counts of @n reaped vbrs, once per batch: each is a locked
 * instruction, which under TCG costs as much as a dozen plain ones.
 */
static void virtblk_account_reaped(struct virtio_blk *vblk, unsigned n)
{
	if (!n)
		return;
	__atomic_add_fetch(&vblk->reaped, n, __ATOMIC_RELAXED);
}

/*
 * Take every finished vbr off queue @qi's used ring; its lock is held.
 * This CPU's bypass vbrs reach its done list in one piece. Returns how many.
 */
static unsigned virtblk_reap_ring(struct virtio_blk *vblk, unsigned qi, unsigned long *cpus)
{
	struct virtqueue *vq = vblk->vdev.vqs[qi];
	struct virtblk_req *vbr;
	LIST_HEAD(mine);
	LIST_HEAD(rqs);
	unsigned n = 0;
	u32 len;

	while ((vbr = virtqueue_get_buf(vq, &len))) {
		virtblk_reaped(vblk, &vblk->vqs[qi], vbr, len, cpus, &mine, &rqs);
		n++;
	}
	virtblk_account_reaped(vblk, n);
	if (!list_empty(&mine))
		virtblk_queue_done_list(vblk, smp_processor_id(), &mine, cpus);
	blk_complete_batch(&rqs);
	return n;
}

/*
 * Move every finished vbr off queue @qi's used ring; its lock is held.
 * Returns how many.
 */
static unsigned virtblk_reap(struct virtio_blk *vblk, unsigned qi, unsigned long *cpus)
{
	struct virtqueue *vq = vblk->vdev.vqs[qi];
	unsigned n = virtblk_reap_ring(vblk, qi, cpus);

	if (virtqueue_is_broken(vq))
		mark_broken(vblk, "bad used ring entry");
	return n;
}

/*
 * Drain queue @qi with callbacks on: disable them, drain the used ring,
 * re-enable and re-check, so a buffer used between the drain and the
 * re-enable is not left waiting for an interrupt that will never come.
 */
static unsigned virtblk_drain_vq(struct virtio_blk *vblk, unsigned qi, unsigned long *cpus)
{
	struct virtqueue *vq = vblk->vdev.vqs[qi];
	unsigned n = 0;

	do {
		virtqueue_disable_cb(vq);
		n += virtblk_reap(vblk, qi, cpus);
		if (virtqueue_is_broken(vq))
			break;
	} while (!virtqueue_enable_cb(vq));
	return n;
}

/* Completions made room: a stopped request queue or hardware context may go on. */
static void virtblk_restart_queues(struct virtio_blk *vblk)
{
	struct request_queue *q = vblk->queue;

	if (!q)
		return;
	if (blk_queue_stopped(q))
		blk_start_queue(q);
	if (q->mq_ops)
		blk_mq_start_stopped_hw_queues(q, true);
}

/*
 * Whether a hybrid poller on @cpu re-armed @bvq's callbacks to halt less
 * than VIRTBLK_STALL_NS ago and the queue still has requests on the
 * device: that poller is what this interrupt wakes, and it polls the queue
 * again until they are done. A poller that does not come back (its job
 * ended with another's requests still on the queue) leaves the ring to
 * virtblk_stall_check, which re-arms it 20-40 ms later.
 */
static bool virtblk_poller_returns(const struct virtblk_vq *bvq, unsigned cpu)
{
	return bvq->parked_cpu == (int)cpu && bvq->in_flight &&
	       ktime_get_ns() < bvq->parked_ns + VIRTBLK_STALL_NS;
}

/*
 * The virtqueue callback, in interrupt context, on the CPU the queue's
 * vector is aimed at. It only moves finished vbrs to where they complete
 * (virtblk_reaped), under the queue's lock.
 */
static void virtblk_done(struct virtqueue *vq)
{
	struct virtio_device *vdev = vq->priv;
	struct virtio_blk *vblk = vdev->priv;
	unsigned qi = vq->index, cpu = smp_processor_id();
	unsigned long cpus = 0;
	struct virtblk_vq *bvq;
	unsigned n = 0;

	/*
	 * In raw mode the poller owns the queue. Callbacks are off, but with
	 * EVENT_IDX that only moves used_event out of reach: 65536 completions
	 * later the device crosses it and interrupts once. Leave the ring alone.
	 * A polling caller (virtblk_poll) reaps its ring itself the same way;
	 * a reset reaps every ring itself.
	 */
	if (vblk->raw_mode || !virtblk_get(vblk))
		return;
	if (qi < vblk->vdev.nvqs && vblk->vdev.vqs[qi] == vq) {
		bvq = &vblk->vqs[qi];
		spin_lock(&bvq->lock);
		bvq->cpu_irqs[cpu]++;
		if (bvq->polling) {
			/* The poller reaps its ring itself. */
		} else if (virtblk_poller_returns(bvq, cpu)) {
			/*
			 * NAPI's way: the hybrid poller that re-armed this
			 * queue to halt is woken by this interrupt and polls
			 * again once its softirq work is done. The ring goes
			 * back to it with callbacks left off, so completions
			 * that arrive meanwhile cost no interrupt each (under
			 * TCG the costliest thing a completion can do).
			 */
			virtqueue_disable_cb(vq);
			bvq->polling = true;
			bvq->poll_cpu = (int)cpu;
			bvq->parked_cpu = -1;
			bvq->spun = false; /* until the poller is back (virtblk_stall_check) */
			n = virtblk_reap(vblk, qi, &cpus);
		} else {
			n = virtblk_drain_vq(vblk, qi, &cpus);
		}
		spin_unlock(&bvq->lock);
	}
	virtblk_put(vblk);
	virtblk_kick_done(vblk, cpus);
	if (n && vblk->queue && vblk->queue->mq_ops)
		blk_mq_start_stopped_hw_queues(vblk->queue, true);
}

/*
 * Hybrid polling of queue @qi: while the caller spins, the device's
 * interrupts stay off and the ring is reaped here; before the caller
 * halts, they are re-armed with the same re-check that virtblk_done uses,
 * so no completion is left waiting for an interrupt that will not come.
 * A poll queue has no interrupt to re-arm: it is reaped on every call.
 */
static int virtblk_poll_vq(struct virtio_blk *vblk, unsigned qi, bool spin)
{
	unsigned long flags, cpus = 0;
	struct virtblk_vq *bvq;
	struct virtqueue *vq;
	unsigned found = 0;

	if (vblk->raw_mode || vblk->broken || !virtblk_get(vblk))
		return 0;
	if (!vblk->vdev.nvqs) {
		virtblk_put(vblk);
		return 0;
	}
	qi = mod_small(qi, vblk->vdev.nvqs);
	bvq = &vblk->vqs[qi];
	vq = vblk->vdev.vqs[qi];
	/*
	 * A spinning poller of a ring without interrupts (a poll queue, or
	 * one it already holds) first looks at the used index without the
	 * lock, as SPDK's poller does: most of its passes find nothing, and
	 * the lock costs a locked instruction and an interrupts-off section
	 * each. A stale look only costs one more pass.
	 */
	if (spin) {
		WRITE_ONCE(bvq->spun, true); /* for virtblk_stall_check: a poller is here */
		if ((vq->polled || READ_ONCE(bvq->polling)) && !virtqueue_more_used(vq)) {
			virtblk_put(vblk);
			return 0;
		}
	} else if (!vq->polled && !READ_ONCE(bvq->polling)) {
		/*
		 * Nothing to give back: the ring has its interrupts. (Should
		 * virtblk_done hand it to this CPU's poller just after this
		 * look, the caller's next step, or virtblk_idle_prepare before
		 * a halt, gives it back.)
		 */
		virtblk_put(vblk);
		return 0;
	}
	spin_lock_irqsave(&bvq->lock, flags);
	if (vq->polled) {
		found = virtblk_reap(vblk, qi, &cpus);
	} else if (spin) {
		if (!bvq->polling)
			virtqueue_disable_cb(vq);
		bvq->polling = true;
		bvq->poll_cpu = (int)smp_processor_id();
		found = virtblk_reap(vblk, qi, &cpus);
	} else if (bvq->polling) {
		do {
			found += virtblk_reap(vblk, qi, &cpus);
		} while (!virtqueue_enable_cb(vq) && !virtqueue_is_broken(vq));
		bvq->polling = false;
		bvq->parked_cpu = (int)smp_processor_id();
		bvq->parked_ns = ktime_get_ns();
	}
	spin_unlock_irqrestore(&bvq->lock, flags);
	virtblk_put(vblk);
	virtblk_kick_done(vblk, cpus);
	if (found && vblk->queue && vblk->queue->mq_ops)
		blk_mq_start_stopped_hw_queues(vblk->queue, true);
	return (int)found;
}

/*
 * Before this CPU halts (cpu_idle_once): a ring it holds with callbacks
 * off, as a hybrid poller or the poller virtblk_done handed it back to,
 * gets its interrupts back, so a CPU that waits for something other than
 * the job loop's poll (a tag, a request, a drain, all of which a request
 * on that ring may hold) is woken by the completion instead of by the
 * stall check tens of milliseconds later. The job loop re-arms its rings
 * itself before it halts, so there this finds nothing to do. A poll queue
 * has no interrupt to give back: while this CPU has requests on its own,
 * it must not halt at all, and they are reaped here.
 */
static bool virtblk_idle_prepare(void)
{
	unsigned cpu = smp_processor_id();
	bool spin = false;

	for (unsigned d = 0; d < nr_disks; d++) {
		struct virtio_blk *vblk = disks[d];

		if (vblk->raw_mode || vblk->broken)
			continue;
		for (unsigned i = 0; i < vblk->vdev.nvqs; i++) {
			struct virtblk_vq *bvq = &vblk->vqs[i];

			if (READ_ONCE(bvq->polling) && READ_ONCE(bvq->poll_cpu) == (int)cpu)
				virtblk_poll_vq(vblk, i, false);
		}
		if (vblk->poll_queues) {
			unsigned qi = virtblk_cpu_vq(vblk, cpu, true);

			if (READ_ONCE(vblk->vqs[qi].in_flight)) {
				virtblk_poll_vq(vblk, qi, false);
				spin = true;
			}
		}
	}
	return spin;
}

/*
 * poll_fn of the request and bypass paths: the calling CPU's queues, or
 * with @hipri only the one its REQ_HIPRI I/O went to (its poll queue when
 * the disk has them), as Linux polls the queue its cookie names.
 */
static int virtblk_poll(struct request_queue *q, bool hipri, bool spin)
{
	struct virtio_blk *vblk = q->queuedata;
	unsigned cpu = smp_processor_id();
	int found;

	if (hipri)
		return virtblk_poll_vq(vblk, virtblk_cpu_vq(vblk, cpu, true), spin);
	found = virtblk_poll_vq(vblk, virtblk_cpu_vq(vblk, cpu, false), spin);
	if (vblk->poll_queues)
		found += virtblk_poll_vq(vblk, virtblk_cpu_vq(vblk, cpu, true), true);
	return found;
}

/*
 * Softirq context: finish bypass-path and driver-internal requests. An
 * error is set, success never is: the bio may be the last piece of one a
 * stacking driver split (md), whose other pieces have ended already and
 * left their error in it (Linux sets bi_status only on error, too).
 */
static void virtblk_bio_done(struct virtblk_req *vbr)
{
	struct bio *bio = vbr->bio;
	int err = vbr_result(vbr);

	if (err)
		bio->bi_status = err;
	virtblk_free_req(vbr);
	bio_endio(bio);
}

static void virtblk_submit_backlogs(struct virtio_blk *vblk);

/*
 * End what is on CPU @c's done list (not in interrupt context, on that
 * CPU). The batch is taken in one critical section; requests its
 * completions submit wait for the next call. Returns how many ended.
 */
static unsigned virtblk_end_done(struct virtio_blk *vblk, struct virtblk_cpu *c)
{
	LIST_HEAD(done);
	struct virtblk_req *vbr, *n;
	unsigned count = 0;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	list_splice_tail_init(&c->done_list, &done);
	spin_unlock_irqrestore(&c->lock, flags);

	list_for_each_entry_safe(vbr, n, &done, list) {
		list_del_init(&vbr->list);
		count++;
		if (vbr->bio)
			virtblk_bio_done(vbr);
		else if (vbr->done)
			vbr->done(vbr, vbr_result(vbr));
	}
	local64_add(&c->completions, count);
	return count;
}

static void virtblk_complete_tasklet(void *data)
{
	struct virtblk_cpu *c = data;
	struct virtio_blk *vblk = c->vblk;
	struct blk_plug plug;

	/*
	 * Completion context, as the block softirq's: nothing here may wait,
	 * and what the completions submit goes to the device with one kick.
	 */
	blk_atomic_enter();
	blk_start_plug(&plug);
	if (vblk->broken && !vblk->dead)
		virtblk_abort(vblk);
	virtblk_end_done(vblk, c);
	virtblk_submit_backlogs(vblk);
	virtblk_restart_queues(vblk);
	blk_finish_plug(&plug);
	blk_atomic_exit();
}

/* ---------------------------------------------------------------------------
 * The request path: request_fn, after the I/O scheduler.
 */

static u32 op_to_type(unsigned op)
{
	switch (op) {
	case REQ_OP_READ:
		return VIRTIO_BLK_T_IN;
	case REQ_OP_WRITE:
		return VIRTIO_BLK_T_OUT;
	case REQ_OP_FLUSH:
		return VIRTIO_BLK_T_FLUSH;
	case REQ_OP_DISCARD:
		return VIRTIO_BLK_T_DISCARD;
	case REQ_OP_WRITE_ZEROES:
		return VIRTIO_BLK_T_WRITE_ZEROES;
	default:
		return ~0u;
	}
}

/*
 * Fill a vbr's header and segments for (op, sector, data). Discard and
 * write-zeroes carry one range descriptor as their data (5.2.6.2).
 * Returns the number of data segments, or a negative error.
 */
static int vbr_prepare(struct virtio_blk *vblk, struct virtblk_req *vbr, unsigned op, u64 sector,
		       u32 bytes)
{
	u32 type = op_to_type(op);

	if (type == ~0u)
		return -EOPNOTSUPP;
	if (op == REQ_OP_FLUSH && !virtio_has_feature(&vblk->vdev, VIRTIO_BLK_F_FLUSH))
		return -EOPNOTSUPP;
	if (op == REQ_OP_DISCARD && !vblk->cfg.max_discard_sectors)
		return -EOPNOTSUPP;
	if (op == REQ_OP_WRITE_ZEROES && !vblk->cfg.max_write_zeroes_sectors)
		return -EOPNOTSUPP;
	vbr->out_hdr.type = type;
	vbr->out_hdr.ioprio = 0;
	vbr->out_hdr.sector = op == REQ_OP_FLUSH ? 0 : sector;
	if (op == REQ_OP_DISCARD || op == REQ_OP_WRITE_ZEROES) {
		vbr->dwz.sector = sector;
		vbr->dwz.num_sectors = bytes >> SECTOR_SHIFT;
		vbr->dwz.flags = op == REQ_OP_WRITE_ZEROES && vblk->cfg.write_zeroes_may_unmap
					 ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP
					 : 0;
		sg_set(&vbr->sg[1], virt_to_phys(&vbr->dwz), sizeof(vbr->dwz));
		return 1;
	}
	return 0;
}

static bool op_data_out(unsigned op)
{
	return op != REQ_OP_READ;
}

/*
 * No room for the next request: stop the queue until a completion starts
 * it (virtblk_request_done). A completion between the look and the stop
 * saw the queue running and started nothing (the lost wake-up: the seed's
 * driver reaped under the queue lock, which made look and stop one step;
 * here the rings have locks of their own). So the first stop of a run
 * returns true: look once more, with the stop in place. When that look
 * finds no room either, the stop stands (false): whatever holds the room
 * is in flight, and its completion will see the stop.
 */
static bool virtblk_stop_and_look(struct request_queue *q, bool *stopped)
{
	if (*stopped)
		return false;
	blk_stop_queue(q); /* a locked instruction: visible before the second look */
	*stopped = true;
	return true;
}

/*
 * request_fn, with the queue lock held, on whichever CPU ran the queue:
 * its requests go to that CPU's virtqueue (its poll queue for a polled
 * one), and each queue used is kicked once at the end.
 */
static void virtblk_request(struct request_queue *q)
{
	struct virtio_blk *vblk = q->queuedata;
	unsigned cpu = smp_processor_id();
	unsigned long used = 0;
	bool stopped = false;
	struct request *rq;

	while ((rq = blk_peek_request(q))) {
		struct virtblk_req *vbr;
		unsigned qi;
		int nsg, err;

		if (vblk->broken) {
			blk_start_request(rq);
			__blk_end_request_all(rq, -EIO);
			continue;
		}
		if (virtblk_in_flight(vblk) >= vblk->queue_depth) {
			if (virtblk_stop_and_look(q, &stopped))
				continue;
			break;
		}
		/* Header, the request's segments (at most nr_phys_segments), status. */
		vbr = virtblk_alloc_req(vblk, MAX(rq->nr_phys_segments, (u16)1) + 2);
		if (!vbr) {
			blk_stop_queue(q);
			break;
		}
		vbr->req = rq;
		vbr->hipri = rq->cmd_flags & REQ_HIPRI;
		qi = virtblk_cpu_vq(vblk, cpu, vbr->hipri);
		nsg = vbr_prepare(vblk, vbr, req_op(rq), blk_rq_pos(rq), blk_rq_bytes(rq));
		if (nsg == 0 && req_op(rq) != REQ_OP_FLUSH)
			nsg = blk_rq_map_sg(q, rq, vbr->sg + 1);
		if (nsg < 0) {
			virtblk_free_req(vbr);
			blk_start_request(rq);
			__blk_end_request_all(rq, nsg);
			continue;
		}
		/*
		 * Started first: the completion may come as soon as it is on the
		 * ring, and it must find the request started.
		 */
		rq->special = vbr;
		blk_start_request(rq);
		err = virtblk_add_req(vblk, vbr, (unsigned)nsg, op_data_out(req_op(rq)), qi, NULL);
		if (err) {
			/*
			 * Ring full or the device being reset: the request goes back
			 * to the front; a completion (or the reset) restarts us.
			 */
			rq->special = NULL;
			virtblk_free_req(vbr);
			blk_requeue_request(q, rq);
			if (virtblk_stop_and_look(q, &stopped))
				continue;
			break;
		}
		if (stopped) {
			/* The second look found room: running again. */
			blk_start_queue(q);
			stopped = false;
		}
		used |= 1ul << qi;
	}
	for (unsigned qi = 0; used; qi++, used >>= 1)
		if (used & 1)
			virtblk_kick_vq(vblk, qi);
}

/* softirq_done_fn: the block layer's completion of a finished request. */
static void virtblk_request_done(struct request *rq)
{
	struct virtblk_req *vbr = rq->special;
	struct virtio_blk *vblk = vbr->vblk;
	struct request_queue *q = rq->q;
	int error = rq->errors;

	rq->special = NULL;
	local64_add(&vblk->cpus[smp_processor_id()].completions, 1);
	virtblk_free_req(vbr);
	blk_end_request_all(rq, error);
	/* Room on the ring again: a queue we stopped when it was full may go on. */
	if (blk_queue_stopped(q))
		blk_start_queue(q);
}

static int virtblk_lld_busy(struct request_queue *q)
{
	struct virtio_blk *vblk = q->queuedata;

	return virtblk_in_flight(vblk) >= vblk->queue_depth;
}

/* ---------------------------------------------------------------------------
 * The blk-mq face: virtio_queue_rq, one hardware context per virtqueue.
 */

static int virtio_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct virtio_blk *vblk = hctx->queue->queuedata;
	struct request *rq = bd->rq;
	struct virtblk_req *vbr = blk_mq_rq_to_pdu(rq);
	unsigned qi = hctx->queue_num;
	int nsg, err;

	if (vblk->broken) {
		rq->errors = -EIO;
		return BLK_MQ_RQ_QUEUE_ERROR;
	}
	memset(vbr, 0, sizeof(*vbr));
	vbr->vblk = vblk;
	vbr->req = rq;
	vbr->mq = true;
	INIT_LIST_HEAD(&vbr->list);
	nsg = vbr_prepare(vblk, vbr, req_op(rq), blk_rq_pos(rq), blk_rq_bytes(rq));
	if (nsg == 0 && req_op(rq) != REQ_OP_FLUSH)
		nsg = blk_rq_map_sg(hctx->queue, rq, vbr->sg + 1);
	if (nsg < 0) {
		rq->errors = nsg;
		return BLK_MQ_RQ_QUEUE_ERROR;
	}
	blk_mq_start_request(rq);
	err = virtblk_add_req(vblk, vbr, (unsigned)nsg, op_data_out(req_op(rq)), qi, hctx);
	if (err == -ENOSPC || err == -EAGAIN) {
		/* What is on the ring goes now; a completion (or the reset) restarts us. */
		virtblk_kick_vq(vblk, qi);
		if (err == -EAGAIN)
			blk_mq_stop_hw_queue(hctx);
		return BLK_MQ_RQ_QUEUE_BUSY;
	}
	if (err) {
		rq->errors = err;
		return BLK_MQ_RQ_QUEUE_ERROR;
	}
	if (bd->last)
		virtblk_kick_vq(vblk, qi);
	return BLK_MQ_RQ_QUEUE_OK;
}

/* A batch ended before a request marked last: notify now. */
static void virtio_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	virtblk_kick_vq(hctx->queue->queuedata, hctx->queue_num);
}

/* ops->complete, in the block softirq of the request's CPU. */
static void virtblk_mq_request_done(struct request *rq)
{
	struct virtblk_req *vbr = blk_mq_rq_to_pdu(rq);
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;

	local64_add(&vbr->vblk->cpus[smp_processor_id()].completions, 1);
	blk_mq_end_request(rq, rq->errors);
	/*
	 * Room on its ring again: a context stopped when the ring was full
	 * goes on, whoever reaped the ring (the interrupt, a poller, or the
	 * stall check taking a ring back from a poller that never returned),
	 * as the request path restarts its queue in virtblk_request_done.
	 */
	blk_mq_start_stopped_hw_queue(hctx, true);
}

static int virtblk_mq_poll(struct blk_mq_hw_ctx *hctx, bool spin)
{
	return virtblk_poll_vq(hctx->queue->queuedata, hctx->queue_num, spin);
}

static void virtblk_reset_and_recover(struct virtio_blk *vblk, struct virtblk_req *expired);

static enum blk_eh_timer_return virtblk_mq_timeout(struct request *rq)
{
	struct virtblk_req *vbr = blk_mq_rq_to_pdu(rq);

	/* The request is the timeout's while this runs: its vbr stays valid. */
	virtblk_reset_and_recover(vbr->vblk, vbr);
	return BLK_EH_NOT_HANDLED;
}

static const struct blk_mq_ops virtio_mq_ops = {
	.queue_rq = virtio_queue_rq,
	.commit_rqs = virtio_commit_rqs,
	.complete = virtblk_mq_request_done,
	.timeout = virtblk_mq_timeout,
	.poll = virtblk_mq_poll,
};

/* ---------------------------------------------------------------------------
 * The bypass path: make_request_fn, bio straight to a vbr on the
 * submitting CPU's virtqueue, so CPUs do not contend on one ring.
 */

static void backlog_add(struct virtio_blk *vblk, struct virtblk_vq *bvq, struct bio *bio)
{
	unsigned long flags;

	spin_lock_irqsave(&bvq->lock, flags);
	atomic_inc(&vblk->backlogged);
	bio_list_add(&bvq->backlog, bio);
	spin_unlock_irqrestore(&bvq->lock, flags);
	vstat_inc(vblk, backlog_waits);
}

/* The end of a plug: this CPU's queues, the poll queue too. */
static void virtblk_unplug(struct request_queue *q, void *data)
{
	struct virtio_blk *vblk = q->queuedata;
	unsigned cpu = smp_processor_id();

	virtblk_kick_vq(vblk, virtblk_cpu_vq(vblk, cpu, false));
	if (vblk->poll_queues)
		virtblk_kick_vq(vblk, virtblk_cpu_vq(vblk, cpu, true));
}

/* Build and queue one bio's vbr. Returns 0, -ENOSPC (no room now) or an error. */
static int virtblk_submit_bio(struct virtio_blk *vblk, struct bio *bio, unsigned qi)
{
	struct virtblk_req *vbr;
	int nsg, err;

	if (virtblk_in_flight(vblk) >= vblk->queue_depth)
		return -ENOSPC;
	/* Header, the data segments (or one range descriptor), status. */
	vbr = virtblk_alloc_req(vblk, MAX(bio->bi_vcnt, (u16)1) + 2);
	if (!vbr)
		return -ENOSPC;
	vbr->bio = bio;
	vbr->hipri = bio->bi_rw & REQ_HIPRI;
	nsg = vbr_prepare(vblk, vbr, bio_op(bio), bio->bi_sector, bio->bi_size);
	if (nsg < 0) {
		virtblk_free_req(vbr);
		return nsg;
	}
	/* One sg entry per physical segment, joined as the split counted them. */
	if (nsg == 0 && bio_op(bio) != REQ_OP_FLUSH)
		nsg = blk_bio_map_sg(vblk->queue, bio, vbr->sg + 1);
	err = virtblk_add_req(vblk, vbr, (unsigned)nsg, op_data_out(bio_op(bio)), qi, NULL);
	if (err) {
		virtblk_free_req(vbr);
		return err == -ENOSPC || err == -EAGAIN ? -ENOSPC : err;
	}
	return 0;
}

/* Queue @qi took the room: its streak goes on, or it has the turn now. */
static void virtblk_served(struct virtio_blk *vblk, unsigned qi)
{
	if (READ_ONCE(vblk->backlog_turn) == qi) {
		WRITE_ONCE(vblk->backlog_streak, READ_ONCE(vblk->backlog_streak) + 1);
	} else {
		WRITE_ONCE(vblk->backlog_turn, qi);
		WRITE_ONCE(vblk->backlog_streak, 1);
	}
}

/*
 * Whether a new bio of queue @qi may go before the bios backlogged on the
 * others: its queue has the turn, with its streak not yet over, and
 * nothing of its own waits.
 */
static bool virtblk_may_overtake(struct virtio_blk *vblk, unsigned qi)
{
	return READ_ONCE(vblk->backlog_turn) == qi &&
	       READ_ONCE(vblk->backlog_streak) < VIRTBLK_BACKLOG_STREAK &&
	       bio_list_empty(&vblk->vqs[qi].backlog);
}

/* Back to the front of queue @bvq's backlog: first in line still. */
static void backlog_push_front(struct virtblk_vq *bvq, struct bio *bio)
{
	unsigned long flags;

	spin_lock_irqsave(&bvq->lock, flags);
	bio_list_add_head(&bvq->backlog, bio);
	spin_unlock_irqrestore(&bvq->lock, flags);
}

/*
 * Queue @qi's waiting bios go now, in order; one that finds no room again
 * goes back to the front. Room can be made between a failed attempt and
 * the bio's return to the list, by a completion whose drain then found the
 * list without it and will not look again (the lost wake-up). So a drain
 * that puts a bio back looks once more, after the bio is visible there,
 * and stops only when that look finds no room: whatever holds the room is
 * then in flight, and its completion drains the list again.
 */
static void virtblk_submit_backlog(struct virtio_blk *vblk, unsigned qi)
{
	struct virtblk_vq *bvq = &vblk->vqs[qi];
	bool queued = false, looked_again = false;

	while (!bio_list_empty(&bvq->backlog)) {
		unsigned long flags;
		struct bio *bio;
		int err;

		spin_lock_irqsave(&bvq->lock, flags);
		bio = bio_list_pop(&bvq->backlog);
		spin_unlock_irqrestore(&bvq->lock, flags);
		if (!bio)
			break;
		err = vblk->broken ? -EIO : virtblk_submit_bio(vblk, bio, qi);
		if (err == -ENOSPC) {
			backlog_push_front(bvq, bio);
			if (looked_again)
				break;
			looked_again = true;
			smp_mb(); /* the bio is back before the room is looked at again */
			continue;
		}
		looked_again = false;
		atomic_dec(&vblk->backlogged);
		if (err) {
			bio->bi_status = err;
			blk_end_bios(bio);
		}
		queued = true;
	}
	if (queued) {
		virtblk_served(vblk, qi);
		virtblk_kick_vq(vblk, qi);
	}
}

/*
 * Every queue's backlog (a broken device has no queues left, but bios may
 * still wait), starting with the queue whose turn it is (above), so that
 * queues sharing the disk's queue_depth take turns. Drained always from
 * queue 0, a busy CPU's backlog on queue 0 took every slot a completion
 * freed, and a job whose bios waited on queue 1 made no progress for 45 s
 * (tools/soak seed 33 run 129). Handed on after every I/O, the room
 * changed CPUs each time, each a wake-up: two iodepth=1 jobs on two CPUs
 * at queue_depth=1 ran 2.5 times slower than when one of them often kept
 * it (tools/soak seed 36 run 10).
 */
static void virtblk_submit_backlogs(struct virtio_blk *vblk)
{
	unsigned n, first;

	if (!atomic_read(&vblk->backlogged))
		return; /* the usual case: a completion with nothing waiting */
	n = READ_ONCE(vblk->vdev.nvqs);
	if (!n || n > VIRTBLK_MAX_QUEUES)
		n = VIRTBLK_MAX_QUEUES;
	first = READ_ONCE(vblk->backlog_turn);
	if (READ_ONCE(vblk->backlog_streak) >= VIRTBLK_BACKLOG_STREAK)
		first++; /* its streak is over: the next queue first */
	first = mod_small(first, n);
	for (unsigned k = 0; k < VIRTBLK_MAX_QUEUES; k++) {
		unsigned qi = k < n ? (first + k < n ? first + k : first + k - n) : k;

		if (!bio_list_empty(&vblk->vqs[qi].backlog))
			virtblk_submit_backlog(vblk, qi);
	}
}

static void virtblk_make_request(struct request_queue *q, struct bio *bio)
{
	struct virtio_blk *vblk = q->queuedata;
	unsigned nvqs = vblk->vdev.nvqs, qi;
	struct virtblk_vq *bvq;
	int err;

	/* The block layer's bypass wrapper has split @bio to our limits already. */
	if (vblk->broken || !nvqs) {
		bio->bi_status = -EIO;
		bio_endio(bio);
		return;
	}
	qi = virtblk_cpu_vq(vblk, smp_processor_id(), bio->bi_rw & REQ_HIPRI);
	bvq = &vblk->vqs[qi];
	/*
	 * Keep order: nothing overtakes bios already waiting for room on this
	 * queue, nor (sharing the disk's queue_depth) on another, but while
	 * this queue's streak lasts (virtblk_submit_backlogs). A bio that
	 * waits looks for room once more when it is in the list, for the room
	 * a completion made meanwhile (see virtblk_submit_backlog).
	 */
	bool others_wait = atomic_read(&vblk->backlogged);

	if ((others_wait && !virtblk_may_overtake(vblk, qi)) ||
	    (err = virtblk_submit_bio(vblk, bio, qi)) == -ENOSPC) {
		backlog_add(vblk, bvq, bio);
		smp_mb();
		virtblk_submit_backlogs(vblk);
		return;
	}
	if (others_wait && !err)
		virtblk_served(vblk, qi);
	if (err) {
		bio->bi_status = err;
		bio_endio(bio);
		return;
	}
	/*
	 * Under a plug, one kick at blk_finish_plug serves the whole burst;
	 * but a long burst is kicked as it goes, so the device starts on the
	 * first requests while the rest are still being built.
	 */
	if (!blk_check_plugged(q, virtblk_unplug, vblk) ||
	    ++vblk->cpus[smp_processor_id()].unkicked >= kick_batch)
		virtblk_kick_vq(vblk, qi);
}

/* ---------------------------------------------------------------------------
 * Timeouts, device reset, and a device that breaks.
 */

static enum blk_eh_timer_return virtblk_timeout(struct request *rq)
{
	struct virtblk_req *vbr = rq->special;

	if (!vbr || vbr->state != VBR_IN_FLIGHT)
		return BLK_EH_RESET_TIMER; /* finished meanwhile; completion is on its way */
	virtblk_reset_and_recover(vbr->vblk, vbr);
	/*
	 * The request was completed there, through blk_complete_request, with
	 * the device's status or ETIMEDOUT; the block layer noted that it came
	 * while its timeout ran and completes it now, once.
	 */
	return BLK_EH_NOT_HANDLED;
}

/*
 * End a request the device will not answer, with @error: request-path and
 * blk-mq ones through the block layer's completion, the rest through their
 * CPU's done list (*cpus collects which).
 */
static void virtblk_end_vbr(struct virtio_blk *vblk, struct virtblk_req *vbr, int error,
			    unsigned long *cpus)
{
	vbr->error = error;
	vbr->state = vblk->leaked ? VBR_LEAKED : VBR_DONE;
	list_del_init(&vbr->list);
	if (vbr->req) {
		vbr->req->errors = error;
		if (vbr->mq)
			blk_mq_complete_request(vbr->req);
		else
			blk_complete_request(vbr->req);
	} else {
		virtblk_queue_done(vblk, vbr, cpus);
	}
}

/*
 * Take every request off the device; it is quiesced (no path is inside a
 * queue) and interrupts are off. Reset it first (2.4: afterwards it owns
 * none of the buffers it was given), then what it finished before the
 * reset, found on the used rings, completes as usual with the device's
 * status (virtblk_reaped), and the rest of what it held moves to @pending.
 * The queues are freed. Returns the reset's result: if the reset did not
 * take, nothing on the rings is believed, every request is pending, and
 * rings and requests are left allocated (vblk->leaked).
 */
static int virtblk_quiesce(struct virtio_blk *vblk, struct list_head *pending, unsigned long *cpus)
{
	struct virtio_device *vdev = &vblk->vdev;
	int err = virtio_reset(vdev);

	for (unsigned i = 0; i < vdev->nvqs; i++) {
		struct virtblk_vq *bvq = &vblk->vqs[i];

		spin_lock(&bvq->lock);
		if (!err)
			virtblk_reap_ring(vblk, i, cpus);
		while (!err && virtqueue_detach_unused_buf(vdev->vqs[i]))
			;
		list_splice_tail_init(&bvq->in_flight_list, pending);
		bvq->in_flight = 0;
		bvq->kick_pending = false;
		bvq->polling = false; /* new queues start with callbacks on */
		bvq->parked_cpu = -1;
		bvq->stall_since_ns = 0;
		spin_unlock(&bvq->lock);
		/* The queues' counters die with them; keep their totals. */
		vblk->stats.kicks += vdev->vqs[i]->num_kicks;
		vblk->stats.irqs += vdev->vqs[i]->num_irqs;
	}
	if (err) {
		vblk->leaked = true;
		virtio_isolate(vdev);
		virtio_abandon_vqs(vdev);
	} else {
		virtio_del_vqs(vdev);
	}
	return err;
}

/*
 * The device is broken: end everything it holds with EIO, at once, on
 * every path. Not in interrupt context. The reset comes first, so no
 * buffer is freed while the device may write it; if it does not take, the
 * device is cut off and the buffers leaked (virtblk_quiesce). Queued and
 * backlogged I/O fails as it reaches the driver (it checks ->broken).
 */
static void virtblk_abort(struct virtio_blk *vblk)
{
	LIST_HEAD(pending);
	struct virtblk_req *vbr, *n;
	unsigned long flags = local_irq_save(), cpus = 0;
	unsigned count = 0;

	virtblk_quiesce_begin(vblk);
	if (vblk->dead) {
		virtblk_quiesce_end(vblk);
		local_irq_restore(flags);
		return;
	}
	if (vblk->vdev.nvqs)
		virtblk_quiesce(vblk, &pending, &cpus);
	/* 2.1.2: tell the device the driver has given up on it. */
	if (vblk->vdev.mapped)
		virtio_add_status(&vblk->vdev, VIRTIO_CONFIG_S_FAILED);
	list_for_each_entry_safe(vbr, n, &pending, list) {
		virtblk_end_vbr(vblk, vbr, -EIO, &cpus);
		count++;
	}
	vstat_add(vblk, aborted, count);
	vblk->dead = true;
	virtblk_quiesce_end(vblk);
	local_irq_restore(flags);
	if (count)
		pr_err("%s: %u request(s) in flight ended with EIO", vblk->name, count);
	if (vblk->leaked)
		pr_err("%s: the device did not reset: bus mastering is off, and its rings and the "
		       "requests it held stay allocated, in case it still writes them",
		       vblk->name);
	virtblk_kick_done(vblk, cpus | 1ul << smp_processor_id());
	/* What waits in a scheduler or a stopped context fails now. */
	if (vblk->queue) {
		blk_start_queue(vblk->queue);
		if (vblk->queue->mq_ops) {
			blk_mq_start_stopped_hw_queues(vblk->queue, true);
			blk_mq_run_hw_queues(vblk->queue, true);
		}
	}
}

/*
 * Whether @vbr has been in flight longer than @ns at @now. Another CPU may
 * have submitted it after @now was read: then it is not late at all.
 */
static bool virtblk_past(const struct virtblk_req *vbr, u64 now, u64 ns)
{
	u64 submitted = READ_ONCE(vbr->submit_ns);

	return now > submitted && now - submitted > ns;
}

/* The oldest bypass, raw or internal request past the timeout; quiesced. */
static struct virtblk_req *virtblk_find_expired(struct virtio_blk *vblk, u64 now)
{
	struct virtblk_req *oldest = NULL, *vbr;

	for (unsigned i = 0; i < vblk->vdev.nvqs; i++) {
		list_for_each_entry(vbr, &vblk->vqs[i].in_flight_list, list) {
			if (vbr->req)
				continue; /* the block layer times those */
			if (!oldest || vbr->submit_ns < oldest->submit_ns)
				oldest = vbr;
			break; /* the oldest of this queue that is ours */
		}
	}
	if (oldest && virtblk_past(oldest, now, vblk->timeout_ns))
		return oldest;
	return NULL;
}

/*
 * A request the device has not finished in time. Its descriptors must not
 * be reused while the device may still own them, so the device is
 * quiesced and reset first (virtblk_quiesce), with interrupts off so no
 * handler runs on rings being torn down. A request the device finished
 * before the reset, found on the used ring, ends with the status it got,
 * the expired one included (it raced with its timeout; counted as late).
 * Then the device is set up again: the expired request, if the device
 * never finished it, fails with ETIMEDOUT, and everything else is retried.
 * A device that has finished nothing since its last reset for a timeout is
 * not coming back: it is marked broken instead, and its requests fail.
 *
 * @expired is a request the block layer timed out (it stays valid: the
 * timeout owns it), or NULL to look for the oldest expired request of the
 * driver's own, once nothing can complete under us.
 */
static void virtblk_reset_and_recover(struct virtio_blk *vblk, struct virtblk_req *expired)
{
	struct virtio_device *vdev = &vblk->vdev;
	LIST_HEAD(pending);
	LIST_HEAD(retry);
	struct virtblk_req *vbr, *n;
	const char *why = NULL;
	unsigned long flags, cpus = 0;
	bool again;
	int err;

	flags = local_irq_save();
	virtblk_quiesce_begin(vblk);
	if (!expired)
		expired = virtblk_find_expired(vblk, ktime_get_ns());
	if (!expired || expired->state != VBR_IN_FLIGHT || vblk->dead || !vdev->nvqs) {
		/*
		 * Finished meanwhile, or another CPU's reset dealt with it. What
		 * was turned away at the door meanwhile (a backlogged bio, a
		 * stopped queue) goes on from this CPU's done tasklet.
		 */
		virtblk_quiesce_end(vblk);
		local_irq_restore(flags);
		tasklet_schedule(&vblk->cpus[smp_processor_id()].tasklet);
		return;
	}
	again = vblk->stats.resets && vblk->reaped == vblk->reaped_at_reset;
	pr_err("%s: request at sector %lu timed out after %lu ms; resetting the device", vblk->name,
	       expired->out_hdr.sector, (ktime_get_ns() - expired->submit_ns) / NSEC_PER_MSEC);
	vstat_inc(vblk, resets);
	virtblk_dump(vblk);

	err = virtblk_quiesce(vblk, &pending, &cpus);
	if (expired->state == VBR_DONE) {
		vstat_inc(vblk, late_completions);
		pr_info("%s: the timed-out request at sector %lu was completed by the device "
			"before the reset: it ends with the device's status",
			vblk->name, expired->out_hdr.sector);
	}
	if (err) {
		why = "its reset did not take";
	} else if (again) {
		why = "no request completed since its last reset";
	} else {
		virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
		virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER);
		if (virtblk_init_device(vblk, 0, true))
			why = "re-initialisation after reset failed";
		else if (vblk->raw_mode)
			virtqueue_disable_cb(vdev->vqs[vblk->raw_vq]);
	}
	vblk->reaped_at_reset = vblk->reaped;
	if (why) {
		/* The queues are gone already: virtblk_abort has only requests to end. */
		mark_broken(vblk, why);
		list_for_each_entry_safe(vbr, n, &pending, list) {
			virtblk_end_vbr(vblk, vbr, vbr == expired ? -ETIMEDOUT : -EIO, &cpus);
			vstat_add(vblk, aborted, vbr != expired);
		}
		vblk->dead = true;
		if (vblk->vdev.mapped)
			virtio_add_status(vdev, VIRTIO_CONFIG_S_FAILED);
		INIT_LIST_HEAD(&pending);
	} else if (expired->state != VBR_DONE) {
		virtblk_end_vbr(vblk, expired, -ETIMEDOUT, &cpus);
	}
	virtblk_quiesce_end(vblk);
	local_irq_restore(flags);

	/*
	 * Retry the rest on the new queues, in their old order: requests go
	 * back to the front of the dispatch queue, so the last one first.
	 */
	while (!list_empty(&pending)) {
		vbr = list_last_entry(&pending, struct virtblk_req, list);
		list_del_init(&vbr->list);
		if (vbr->req && vbr->mq) {
			vbr->state = VBR_FREE;
			blk_mq_requeue_request(vbr->req);
		} else if (vbr->req) {
			struct request *rq = vbr->req;
			unsigned long qflags;

			rq->special = NULL;
			virtblk_free_req(vbr);
			spin_lock_irqsave(&rq->q->queue_lock, qflags);
			blk_requeue_request(rq->q, rq);
			spin_unlock_irqrestore(&rq->q->queue_lock, qflags);
		} else {
			list_add(&vbr->list, &retry);
		}
	}
	list_for_each_entry_safe(vbr, n, &retry, list) {
		list_del_init(&vbr->list);
		if (vbr->bio) {
			struct bio *bio = vbr->bio;
			virtblk_free_req(vbr);
			backlog_add(vblk,
				    &vblk->vqs[virtblk_cpu_vq(vblk, bio->bi_cpu,
							      bio->bi_rw & REQ_HIPRI)],
				    bio);
		} else {
			err = virtblk_add_req(vblk, vbr, vbr->nsg, vbr->data_out, 0, NULL);
			if (err) {
				flags = local_irq_save();
				virtblk_end_vbr(vblk, vbr, err, &cpus);
				local_irq_restore(flags);
			}
		}
	}
	if (vblk->leaked)
		pr_err("%s: the device did not reset: bus mastering is off, and its rings and the "
		       "requests it held stay allocated, in case it still writes them",
		       vblk->name);
	virtblk_kick_all(vblk);
	virtblk_kick_done(vblk, cpus | 1ul << smp_processor_id());
	if (vblk->queue) {
		blk_start_queue(vblk->queue);
		if (vblk->queue->mq_ops)
			blk_mq_start_stopped_hw_queues(vblk->queue, true);
	}
}

/*
 * The lost-notification fallback. A queue that has made no progress for
 * 20 ms with requests in flight is looked at again. Used buffers waiting
 * on its ring mean their interrupt was missed: they are reaped here, and
 * counted (lost_irqs). Requests the device has not read (its avail_event
 * is behind) mean our notification was missed: the queue is notified again,
 * which is always allowed (2.6.13.4), and counted (rekicks). Both happen
 * on a QEMU older than 8.1 under TCG with one possible vCPU, whose guest
 * fences are elided; neither is hidden.
 */
static void virtblk_stall_check(struct virtio_blk *vblk, u64 now)
{
	unsigned long cpus = 0;

	if (vblk->broken || !virtblk_get(vblk))
		return;
	for (unsigned i = 0; i < vblk->vdev.nvqs; i++) {
		struct virtblk_vq *bvq = &vblk->vqs[i];
		struct virtqueue *vq = vblk->vdev.vqs[i];
		unsigned long flags;

		spin_lock_irqsave(&bvq->lock, flags);
		if (!bvq->in_flight) {
			bvq->stall_since_ns = 0;
		} else if (bvq->reaped != bvq->reaped_seen || !bvq->stall_since_ns) {
			bvq->reaped_seen = bvq->reaped;
			bvq->stall_since_ns = now;
		} else if (now >= bvq->stall_since_ns + VIRTBLK_STALL_NS) {
			/* The raw poller and a hybrid poller reap their rings themselves. */
			if (!vblk->raw_mode && !bvq->polling && virtqueue_more_used(vq)) {
				vstat_inc(vblk, lost_irqs);
				virtblk_drain_vq(vblk, i, &cpus);
			} else if (!vblk->raw_mode && bvq->polling && !bvq->spun) {
				/*
				 * Handed to a poller by virtblk_done, and no poll
				 * since: the poller did not come back. Callbacks on
				 * again, with the usual re-check.
				 */
				bvq->polling = false;
				virtblk_drain_vq(vblk, i, &cpus);
				vstat_inc(vblk, pollers_gone);
			}
			bvq->spun = false;
			/* A slow device that has seen everything needs no reminder. */
			if (virtqueue_device_behind(vq)) {
				virtqueue_notify(vq);
				vstat_inc(vblk, rekicks);
			}
			bvq->stall_since_ns = now;
		}
		spin_unlock_irqrestore(&bvq->lock, flags);
	}
	virtblk_put(vblk);
	virtblk_kick_done(vblk, cpus);
}

/* Whether the oldest request of the driver's own looks past its timeout (a hint). */
static bool virtblk_maybe_expired(struct virtio_blk *vblk, u64 now)
{
	bool expired = false;

	if (!virtblk_get(vblk))
		return false;
	for (unsigned i = 0; i < vblk->vdev.nvqs && !expired; i++) {
		struct virtblk_vq *bvq = &vblk->vqs[i];
		struct virtblk_req *vbr;
		unsigned long flags;

		spin_lock_irqsave(&bvq->lock, flags);
		list_for_each_entry(vbr, &bvq->in_flight_list, list) {
			if (!vbr->req) {
				expired = virtblk_past(vbr, now, vblk->timeout_ns);
				break;
			}
		}
		spin_unlock_irqrestore(&bvq->lock, flags);
	}
	virtblk_put(vblk);
	return expired;
}

/*
 * The stall check and, for requests without a block-layer timer (bypass,
 * raw, driver-internal), the timeout of the oldest one in flight. Not in
 * interrupt context.
 */
static void virtblk_watch(struct virtio_blk *vblk, u64 now)
{
	virtblk_stall_check(vblk, now);
	if (!vblk->broken && virtblk_maybe_expired(vblk, now))
		virtblk_reset_and_recover(vblk, NULL);
}

/* Every 10 ms. A raw queue is watched by its poller (virtblk_raw_poll). */
static void virtblk_timeout_check(struct timer_list *t)
{
	u64 now = ktime_get_ns();

	for (unsigned i = 0; i < nr_disks; i++) {
		struct virtio_blk *vblk = disks[i];

		if (!vblk->broken && vblk->vdev.nvqs && !vblk->raw_mode)
			virtblk_watch(vblk, now);
	}
	mod_timer(&timeout_timer, now + VIRTBLK_TIMEOUT_CHECK_NS);
}

/* ---------------------------------------------------------------------------
 * Raw access: one queue, polled, for the benchmark's ceiling and for tests.
 * The poller owns the queue: it reaps it, and it watches it for stalls and
 * timeouts, since no timer runs while it spins.
 */

int virtblk_raw_begin(struct virtio_blk *vblk, bool hipri)
{
	unsigned long flags;

	if (vblk->broken)
		return -EIO;
	if (vblk->queue)
		blk_drain_queue(vblk->queue);
	wait_until(!virtblk_in_flight(vblk) || vblk->broken);
	if (vblk->broken || !virtblk_get(vblk))
		return -EIO;
	/* A poll queue needs no callbacks turned off: it has none. */
	vblk->raw_vq = hipri && vblk->poll_queues ? vblk->vdev.nvqs - vblk->poll_queues : 0;
	vblk->raw_mode = true;
	vblk->raw_checked_ns = ktime_get_ns();
	spin_lock_irqsave(&vblk->vqs[vblk->raw_vq].lock, flags);
	virtqueue_disable_cb(vblk->vdev.vqs[vblk->raw_vq]);
	spin_unlock_irqrestore(&vblk->vqs[vblk->raw_vq].lock, flags);
	virtblk_put(vblk);
	return 0;
}

void virtblk_raw_end(struct virtio_blk *vblk)
{
	unsigned long flags, cpus = 0;
	unsigned qi = vblk->raw_vq;
	bool more;

	vblk->raw_mode = false;
	vblk->raw_vq = 0;
	if (!vblk->vdev.nvqs || !virtblk_get(vblk))
		return;
	/* A poll queue has no callbacks to turn back on. */
	if (!vblk->vdev.vqs[qi]->polled) {
		spin_lock_irqsave(&vblk->vqs[qi].lock, flags);
		more = !virtqueue_enable_cb(vblk->vdev.vqs[qi]);
		if (more)
			virtblk_drain_vq(vblk, qi, &cpus);
		spin_unlock_irqrestore(&vblk->vqs[qi].lock, flags);
	}
	virtblk_put(vblk);
	virtblk_kick_done(vblk, cpus);
}

int virtblk_raw_submit(struct virtio_blk *vblk, struct virtblk_req *vbr, u32 type, u64 sector,
		       void *buf, u32 len)
{
	unsigned ndata = len ? 1 : 0;

	vbr->out_hdr.type = type;
	vbr->out_hdr.ioprio = 0;
	vbr->out_hdr.sector = sector;
	if (ndata)
		sg_set(&vbr->sg[1], virt_to_phys(buf), len);
	if (vblk->broken) {
		/*
		 * Accepted, and ended with EIO at the next poll, like everything
		 * else the device held: the caller's completion path stays its
		 * only one, and a caller that resubmits from it does not recurse.
		 */
		unsigned long cpus = 0;

		vbr->error = -EIO;
		vbr->cpu = (u16)smp_processor_id();
		if (vbr->state != VBR_LEAKED)
			vbr->state = VBR_DONE;
		virtblk_queue_done(vblk, vbr, &cpus);
		vstat_inc(vblk, aborted);
		return 0;
	}
	return virtblk_add_req(vblk, vbr, ndata,
			       type != VIRTIO_BLK_T_IN && type != VIRTIO_BLK_T_GET_ID, vblk->raw_vq,
			       NULL);
}

void virtblk_raw_kick(struct virtio_blk *vblk)
{
	virtblk_kick_vq(vblk, vblk->raw_vq);
}

unsigned virtblk_raw_poll(struct virtio_blk *vblk)
{
	struct virtblk_cpu *c = &vblk->cpus[smp_processor_id()];
	struct virtblk_req *vbr, *next;
	LIST_HEAD(done);
	unsigned long flags;
	unsigned n = 0;
	u32 len;

	/* Off the ring under its lock; ended after, since ->done may submit again. */
	if (!vblk->broken && virtblk_get(vblk)) {
		if (vblk->vdev.nvqs) {
			struct virtblk_vq *bvq = &vblk->vqs[vblk->raw_vq];

			spin_lock_irqsave(&bvq->lock, flags);
			unsigned reaped = 0;

			while ((vbr = virtqueue_get_buf(vblk->vdev.vqs[vblk->raw_vq], &len))) {
				vbr->used_len = len;
				vbr->state = VBR_DONE;
				list_move_tail(&vbr->list, &done);
				reaped++;
			}
			bvq->in_flight -= reaped;
			bvq->completions += reaped;
			bvq->cpu_completions[smp_processor_id()] += reaped;
			bvq->reaped += reaped;
			virtblk_account_reaped(vblk, reaped);
			if (virtqueue_is_broken(vblk->vdev.vqs[vblk->raw_vq]))
				mark_broken(vblk, "bad used ring entry");
			spin_unlock_irqrestore(&bvq->lock, flags);
		}
		virtblk_put(vblk);
	}
	list_for_each_entry_safe(vbr, next, &done, list) {
		list_del_init(&vbr->list);
		vbr->done(vbr, vbr_result(vbr));
		n++;
	}
	local64_add(&c->completions, n);
	if (vblk->broken && !vblk->dead)
		virtblk_abort(vblk);
	n += virtblk_end_done(vblk, c);
	if (!n && !vblk->broken) {
		/* Idle: time to look for a stall or a timeout, every 10 ms. */
		u64 now = ktime_get_ns();
		if (now >= vblk->raw_checked_ns + VIRTBLK_TIMEOUT_CHECK_NS || now < vblk->raw_checked_ns) {
			vblk->raw_checked_ns = now;
			virtblk_watch(vblk, now);
			n += virtblk_end_done(vblk, c);
		}
	}
	return n;
}

void virtblk_get_stats(struct virtio_blk *vblk, struct virtio_blk_stats *out)
{
	/* stats.kicks and stats.irqs hold the totals of queues a reset retired. */
	*out = vblk->stats;
	out->requests = 0;
	for (unsigned i = 0; i < VIRTBLK_MAX_QUEUES; i++)
		out->requests += READ_ONCE(vblk->vqs[i].requests);
	/* Counted where they ended, without a locked add: each CPU its own. */
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		out->completions += READ_ONCE(vblk->cpus[cpu].completions);
	for (unsigned i = 0; i < vblk->vdev.nvqs; i++) {
		out->kicks += vblk->vdev.vqs[i]->num_kicks;
		out->irqs += vblk->vdev.vqs[i]->num_irqs;
	}
}

unsigned virtblk_nr_queues(struct virtio_blk *vblk)
{
	return MIN((unsigned)vblk->cfg.num_queues, (unsigned)VIRTBLK_MAX_QUEUES);
}

/* Read without the queue's lock: each count only grows, and is read whole. */
void virtblk_get_queue_counters(struct virtio_blk *vblk, unsigned qi,
				struct virtblk_queue_counters *out)
{
	const struct virtblk_vq *bvq = &vblk->vqs[qi % VIRTBLK_MAX_QUEUES];

	memset(out, 0, sizeof(*out));
	out->requests = READ_ONCE(bvq->requests);
	out->completions = READ_ONCE(bvq->completions);
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		out->cpu_kicks[cpu] = READ_ONCE(bvq->cpu_kicks[cpu]);
		out->cpu_irqs[cpu] = READ_ONCE(bvq->cpu_irqs[cpu]);
		out->cpu_completions[cpu] = READ_ONCE(bvq->cpu_completions[cpu]);
		out->kicks += out->cpu_kicks[cpu];
		out->irqs += out->cpu_irqs[cpu];
	}
}

void virtblk_dump(struct virtio_blk *vblk)
{
	for (unsigned i = 0; i < vblk->vdev.nvqs; i++) {
		virtqueue_dump(vblk->vdev.vqs[i]);
		printk("%s: %u requests in flight%s\n", vblk->vdev.vqs[i]->name,
		       READ_ONCE(vblk->vqs[i].in_flight),
		       READ_ONCE(vblk->vqs[i].backlog.head) ? ", bios wait in its backlog" : "");
	}
	printk("%s: %u requests in flight, queue_depth %u, %d bios backlogged%s%s\n", vblk->name,
	       virtblk_in_flight(vblk), vblk->queue_depth, atomic_read(&vblk->backlogged),
	       vblk->broken ? ", broken" : "", vblk->raw_mode ? ", raw mode" : "");
}

void virtblk_print_stats(struct virtio_blk *vblk)
{
	struct virtio_blk_stats s;

	virtblk_get_stats(vblk, &s);
	printk("%s: driver: requests %lu completions %lu flushes %lu ioerr %lu unsupp %lu "
	       "short_reads %lu resets %lu late %lu aborted %lu rekicks %lu lost_irqs %lu "
	       "pollers_gone %lu backlogged %lu kicks %lu irqs %lu%s\n",
	       vblk->name, s.requests, s.completions, s.flushes, s.ioerr, s.unsupp, s.short_reads,
	       s.resets, s.late_completions, s.aborted, s.rekicks, s.lost_irqs, s.pollers_gone,
	       s.backlog_waits, s.kicks, s.irqs, vblk->broken ? " (broken)" : "");
	/* Per queue, where there is more than one (since the last reset). */
	for (unsigned i = 0; vblk->vdev.nvqs > 1 && i < vblk->vdev.nvqs; i++) {
		struct virtqueue *vq = vblk->vdev.vqs[i];

		printk("%s: kicks %lu irqs %lu%s\n", vq->name, vq->num_kicks, vq->num_irqs,
		       vq->polled ? " (poll queue)" : "");
	}
	/* Each queue since probing, and where its work happened, CPU by CPU. */
	for (unsigned qi = 0; qi < virtblk_nr_queues(vblk); qi++) {
		struct virtblk_queue_counters c;
		char buf[320];
		size_t len = 0;

		virtblk_get_queue_counters(vblk, qi, &c);
		buf[0] = '\0';
		for (unsigned cpu = 0; cpu < num_online_cpus() && len < sizeof(buf); cpu++)
			len += (size_t)ksnprintf(buf + len, sizeof(buf) - len,
						 "; CPU %u: kicks %lu irqs %lu completions %lu",
						 cpu, c.cpu_kicks[cpu], c.cpu_irqs[cpu],
						 c.cpu_completions[cpu]);
		printk("%s.req%u: requests %lu completions %lu%s\n", vblk->name, qi, c.requests,
		       c.completions, buf);
	}
}

/* ---------------------------------------------------------------------------
 * Driver-internal requests: GET_ID at probe, not waited on.
 */

static void serial_done(struct virtblk_req *vbr, int error)
{
	struct virtio_blk *vblk = vbr->vblk;
	char *id = vbr->done_data;

	if (!error) {
		/* Up to 20 bytes, NUL-terminated only when shorter (5.2.6). */
		for (unsigned i = 0; i < VIRTIO_BLK_ID_BYTES && id[i]; i++)
			vblk->serial[i] = (id[i] >= 0x20 && id[i] < 0x7f) ? id[i] : '?';
	} else if (error != -EOPNOTSUPP) {
		pr_warn("%s: GET_ID failed: %s", vblk->name, errno_name(error));
	}
	printk("%s: serial '%s'\n", vblk->name, vblk->serial);
	smp_store_release(&vblk->id_pending, false);
	/* The vbr and the buffer stay with the disk (virtblk_remove frees them). */
}

/*
 * The serial number (GET_ID), asked for and not waited on: the answer is
 * reported when it comes, while the boot and the first job go on. It is a
 * round trip through QEMU, a millisecond or two under TCG, for a line of
 * report. Its request and buffer are the disk's own, allocated with it,
 * so its ending frees nothing a job's memory accounting would see.
 */
static void read_serial(struct virtio_blk *vblk)
{
	phys_addr_t phys;

	if (!vblk->id_vbr) {
		vblk->id_buf = dma_alloc(VIRTIO_BLK_ID_BYTES, 8, &phys);
		vblk->id_vbr = vblk->id_buf ? virtblk_alloc_req(vblk, 3) : NULL;
		if (!vblk->id_vbr) {
			dma_free(vblk->id_buf, VIRTIO_BLK_ID_BYTES);
			vblk->id_buf = NULL;
			return;
		}
	}
	vblk->id_vbr->done = serial_done;
	vblk->id_vbr->done_data = vblk->id_buf;
	vblk->id_pending = true;
	if (!virtblk_raw_submit(vblk, vblk->id_vbr, VIRTIO_BLK_T_GET_ID, 0, vblk->id_buf,
				VIRTIO_BLK_ID_BYTES))
		virtblk_kick_all(vblk);
	else
		vblk->id_pending = false;
}

void virtio_blk_settle(void)
{
	for (unsigned i = 0; i < nr_disks; i++)
		spin_until(!smp_load_acquire(&disks[i]->id_pending) || disks[i]->broken);
}

/* ---------------------------------------------------------------------------
 * Probe.
 */

static const struct block_device_operations virtblk_fops;

static void virtblk_get_counters(struct gendisk *disk, struct blk_counters *c)
{
	struct virtio_blk_stats s;

	virtblk_get_stats(disk->private_data, &s);
	c->kicks += s.kicks;
	c->irqs += s.irqs;
}

static const struct block_device_operations virtblk_fops = {
	.get_counters = virtblk_get_counters,
};

static void print_features(struct virtio_blk *vblk)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{VIRTIO_BLK_F_SIZE_MAX, "SIZE_MAX"},
		{VIRTIO_BLK_F_SEG_MAX, "SEG_MAX"},
		{VIRTIO_BLK_F_GEOMETRY, "GEOMETRY"},
		{VIRTIO_BLK_F_RO, "RO"},
		{VIRTIO_BLK_F_BLK_SIZE, "BLK_SIZE"},
		{VIRTIO_BLK_F_FLUSH, "FLUSH"},
		{VIRTIO_BLK_F_TOPOLOGY, "TOPOLOGY"},
		{VIRTIO_BLK_F_CONFIG_WCE, "CONFIG_WCE"},
		{VIRTIO_BLK_F_MQ, "MQ"},
		{VIRTIO_BLK_F_DISCARD, "DISCARD"},
		{VIRTIO_BLK_F_WRITE_ZEROES, "WRITE_ZEROES"},
		{VIRTIO_RING_F_INDIRECT_DESC, "INDIRECT_DESC"},
		{VIRTIO_RING_F_EVENT_IDX, "EVENT_IDX"},
		{VIRTIO_F_VERSION_1, "VERSION_1"},
		{VIRTIO_F_RING_PACKED, "RING_PACKED"},
	};
	char buf[256];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (virtio_has_feature(&vblk->vdev, names[i].bit))
			len += ksnprintf(buf + len, sizeof(buf) - len, " %s", names[i].name);
	printk("%s: features%s (device offered %#lx)\n", vblk->name, buf,
	       vblk->vdev.device_features);
}

static void print_disk(struct virtio_blk *vblk)
{
	struct virtio_device *vdev = &vblk->vdev;
	char where[128];

	virtio_describe(vdev, where, sizeof(where));
	printk("%s: virtio-blk at %s\n", vblk->name, where);
	printk("%s: %u queue(s) of %u entries, capacity %lu sectors (%lu MiB), block size %u "
	       "(physical %u), %s\n",
	       vblk->name, vdev->nvqs, virtqueue_get_vring_size(vdev->vqs[0]), vblk->cfg.capacity,
	       vblk->cfg.capacity >> 11, vblk->cfg.blk_size, vblk->cfg.phys_block_size,
	       vblk->cfg.read_only ? "read-only" : "read-write");
	printk("%s: limits: seg_max %u, size_max %u, max_discard_sectors %u, "
	       "max_write_zeroes_sectors %u, queue_depth %u, cache %s\n",
	       vblk->name, vblk->cfg.seg_max, vblk->cfg.size_max, vblk->cfg.max_discard_sectors,
	       vblk->cfg.max_write_zeroes_sectors, vblk->queue_depth,
	       vblk->cfg.writeback ? "writeback" : "writethrough");
	for (unsigned i = 0; i < vdev->nvqs; i++) {
		struct virtqueue *vq = vdev->vqs[i];
		char irq[80];

		virtio_vq_irq_name(vdev, i, irq, sizeof(irq));
		printk("%s: %s ring, %u entries, %s\n", vq->name, virtqueue_layout_name(vq),
		       virtqueue_get_vring_size(vq), irq);
	}
	if (vblk->cfg.cylinders)
		printk("%s: geometry %u/%u/%u\n", vblk->name, vblk->cfg.cylinders, vblk->cfg.heads,
		       vblk->cfg.sectors);
	print_features(vblk);
}

static int virtblk_setup_queue(struct virtio_blk *vblk)
{
	struct request_queue *q = blk_init_queue(virtblk_request, vblk);
	struct gendisk *disk;

	if (!q)
		return -ENOMEM;
	q->softirq_done_fn = virtblk_request_done;
	q->rq_timed_out_fn = virtblk_timeout;
	q->lld_busy_fn = virtblk_lld_busy;
	q->poll_fn = virtblk_poll;
	blk_queue_bypass_fn(q, virtblk_make_request);
	blk_queue_logical_block_size(q, vblk->cfg.blk_size);
	blk_queue_physical_block_size(q, vblk->cfg.phys_block_size);
	/*
	 * The device limits a request only through seg_max segments of at
	 * most size_max bytes; the block layer keeps requests to its default
	 * size (BLK_DEF_MAX_SECTORS) below that, as Linux does.
	 */
	blk_queue_max_hw_sectors(
		q, vblk->cfg.size_max
			   ? (u32)MIN((u64)vblk->cfg.seg_max * vblk->cfg.size_max >> SECTOR_SHIFT,
				      (u64)UINT32_MAX >> SECTOR_SHIFT)
			   : UINT32_MAX >> SECTOR_SHIFT);
	blk_queue_max_segments(q, (unsigned short)vblk->cfg.seg_max);
	if (vblk->cfg.size_max)
		blk_queue_max_segment_size(q, vblk->cfg.size_max);
	if (vblk->cfg.min_io_size)
		blk_queue_io_min(q, vblk->cfg.min_io_size * vblk->cfg.blk_size);
	if (vblk->cfg.opt_io_size)
		blk_queue_io_opt(q, vblk->cfg.opt_io_size * vblk->cfg.blk_size);
	blk_queue_max_discard_sectors(q, vblk->cfg.max_discard_sectors);
	blk_queue_max_write_zeroes_sectors(q, vblk->cfg.max_write_zeroes_sectors);
	blk_queue_rq_timeout(q, vblk->timeout_ns);
	/*
	 * A writeback cache makes flushes matter; the device has no FUA bit,
	 * so the block layer emulates FUA with a flush after the write.
	 */
	blk_queue_write_cache(
		q, vblk->cfg.writeback && virtio_has_feature(&vblk->vdev, VIRTIO_BLK_F_FLUSH),
		false);

	/*
	 * The blk-mq face: a hardware context per interrupt virtqueue (poll
	 * queues are not mapped: blk-mq here has one map, Linux's default
	 * one, and a hipri job on path=mq polls its interrupt queues), as
	 * many tags as the smallest ring has entries, and each request's vbr
	 * (with room for seg_max segments, the header and the status) in the
	 * request itself.
	 */
	vblk->tag_set.ops = &virtio_mq_ops;
	vblk->tag_set.nr_hw_queues = vblk->vdev.nvqs - vblk->poll_queues;
	vblk->tag_set.queue_depth = ring_min(vblk);
	vblk->tag_set.cmd_size =
		sizeof(struct virtblk_req) + (vblk->cfg.seg_max + 2) * sizeof(struct scatterlist);
	vblk->tag_set.driver_data = vblk;
	if (blk_mq_init_queue_set(q, &vblk->tag_set))
		return -ENOMEM;

	disk = alloc_disk();
	if (!disk)
		return -ENOMEM;
	ksnprintf(disk->disk_name, sizeof(disk->disk_name), "%s", vblk->name);
	disk->queue = q;
	disk->fops = &virtblk_fops;
	disk->private_data = vblk;
	disk->read_only = vblk->cfg.read_only;
	set_capacity(disk, vblk->cfg.capacity);
	add_disk(disk);
	vblk->queue = q;
	vblk->disk = disk;
	return 0;
}

/*
 * One virtio-blk device, on whichever transport: @transport_probe (the PCI
 * or the virtio-mmio one) finds its registers and fills vblk->vdev; from
 * there on the driver does not know which it has. @where names the device
 * for a message before it has a name.
 */
static int virtblk_probe(int (*transport_probe)(void *dev, struct virtio_device *vdev), void *dev,
			 const char *where)
{
	u64 t0 = ktime_get_ns();
	struct virtio_blk *vblk;
	int err;

	if (nr_disks == VIRTBLK_MAX_DISKS) {
		pr_err("virtio-blk %s: more than %d disks; ignored", where, VIRTBLK_MAX_DISKS);
		return -ENOSPC;
	}
	vblk = kzalloc(sizeof(*vblk));
	if (!vblk)
		return -ENOMEM;
	vblk->index = (int)nr_disks;
	ksnprintf(vblk->name, sizeof(vblk->name), "vd%c", 'a' + nr_disks);
	ksnprintf(vblk->vdev.name, sizeof(vblk->vdev.name), "%s", vblk->name);
	for (unsigned i = 0; i < VIRTBLK_MAX_QUEUES; i++) {
		struct virtblk_vq *bvq = &vblk->vqs[i];

		spin_lock_init(&bvq->lock, "virtblk vq");
		INIT_LIST_HEAD(&bvq->in_flight_list);
		bvq->parked_cpu = -1;
		bio_list_init(&bvq->backlog);
	}
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		struct virtblk_cpu *c = &vblk->cpus[cpu];

		spin_lock_init(&c->lock, "virtblk done");
		INIT_LIST_HEAD(&c->done_list);
		INIT_LIST_HEAD(&c->free_vbrs);
		tasklet_init(&c->tasklet, virtblk_complete_tasklet, c);
		c->vblk = vblk;
	}
	spin_lock_init(&vblk->reset_lock, "virtblk reset");
	vblk->timeout_ns = VIRTBLK_DEFAULT_TIMEOUT_NS;
	vblk->ring = ring_setting[nr_disks];
	vblk->poll_queues = poll_setting[nr_disks];
	/* A failed disk keeps its name, so vdb stays vdb when vda is broken. */
	disks[nr_disks++] = vblk;

	err = transport_probe(dev, &vblk->vdev);
	if (!err)
		err = virtblk_init_device(vblk, 0, true);
	if (err) {
		pr_err("%s: not usable (%s)", vblk->name,
		       err == -EOPNOTSUPP ? "unsupported configuration" : errno_name(err));
		if (vblk->vdev.mapped)
			virtio_add_status(&vblk->vdev, VIRTIO_CONFIG_S_FAILED);
		vblk->broken = true;
		return err;
	}
	vblk->queue_depth = ring_capacity(vblk);
	virtblk_pool_fill(vblk);
	read_serial(vblk);
	printk("%s: probed in %lu us\n", vblk->name, (ktime_get_ns() - t0) / NSEC_PER_USEC);
	print_disk(vblk);
	err = virtblk_setup_queue(vblk);
	if (err) {
		mark_broken(vblk, "no memory for its queue");
		return err;
	}
	return 0;
}

/* The letter's index of a disk name vda..vdz, or -ENODEV. */
static int disk_letter(const char *disk)
{
	if (strlen(disk) != 3 || disk[0] != 'v' || disk[1] != 'd' || disk[2] < 'a' ||
	    disk[2] >= 'a' + VIRTBLK_MAX_DISKS)
		return -ENODEV;
	return disk[2] - 'a';
}

int virtblk_set_ring(const char *disk, enum virtblk_ring ring)
{
	int i = disk_letter(disk);

	if (i < 0)
		return i;
	ring_setting[i] = ring;
	return 0;
}

int virtblk_set_poll_queues(const char *disk, unsigned n)
{
	int i = disk_letter(disk);

	if (i < 0)
		return i;
	poll_setting[i] = n;
	return 0;
}

int virtblk_set_queue_depth(struct virtio_blk *vblk, unsigned depth)
{
	unsigned max = ring_capacity(vblk);

	if (vblk->broken) {
		pr_err("%s: queue_depth=%u: the device is broken", vblk->name, depth);
		return -EIO;
	}
	if (depth == 0 || depth > max) {
		pr_err("%s: queue_depth=%u: expected 1..%u (the rings' capacity)", vblk->name,
		       depth, max);
		return -EINVAL;
	}
	/*
	 * blk-mq: each hardware context's driver tags, as Linux's virtio_blk
	 * queue_depth sizes its tag set, at most its ring (the other paths
	 * count the device's requests in all).
	 */
	if (vblk->queue && vblk->queue->mq_ops) {
		int err =
			blk_mq_set_queue_depth(vblk->queue, MIN(depth, vblk->tag_set.queue_depth));

		if (err) {
			pr_err("%s: queue_depth=%u: %s", vblk->name, depth,
			       err == -EBUSY ? "requests are in flight" : errno_name(err));
			return err;
		}
	}
	vblk->queue_depth = depth;
	return 0;
}

static int probe_pci(void *dev, struct virtio_device *vdev)
{
	return virtio_pci_probe(dev, vdev);
}

static int probe_mmio(void *dev, struct virtio_device *vdev)
{
	return virtio_mmio_probe(dev, vdev);
}

int virtio_blk_init(void)
{
	unsigned usable = 0;

	/* Before the probes: GET_ID at probe is timed like any request. */
	timer_setup(&timeout_timer, virtblk_timeout_check);
	mod_timer(&timeout_timer, ktime_get_ns() + VIRTBLK_TIMEOUT_CHECK_NS);
	cpu_idle_register_hook(virtblk_idle_prepare);

	for (unsigned i = 0; i < pci_device_count(); i++) {
		struct pci_dev *pci = pci_device_at(i);
		u32 id;

		if (!virtio_pci_is_virtio(pci, &id) || id != VIRTIO_ID_BLOCK)
			continue;
		if (!virtblk_probe(probe_pci, pci, pci_location(pci)))
			usable++;
	}
	/* Then the virtio-mmio devices the command line named (microvm). */
	for (unsigned i = 0; i < virtio_mmio_count(); i++) {
		struct virtio_mmio_desc *d = virtio_mmio_at(i);

		if (virtio_mmio_device_id(d) != VIRTIO_ID_BLOCK)
			continue;
		if (!virtblk_probe(probe_mmio, d, d->word))
			usable++;
	}
	printk("virtio-blk: %u disk(s) found, %u usable\n", nr_disks, usable);
	if (!nr_disks)
		del_timer(&timeout_timer);
	return 0;
}

/* Linux's virtblk_remove: the disk goes, and the device is left reset. */
static void virtblk_remove(struct virtio_blk *vblk)
{
	bool leaked = vblk->id_vbr && vblk->id_vbr->state == VBR_LEAKED;

	put_disk(vblk->disk);
	blk_cleanup_queue(vblk->queue);
	if (vblk->vdev.nvqs && !virtio_reset(&vblk->vdev))
		virtio_del_vqs(&vblk->vdev);
	else if (vblk->vdev.nvqs)
		virtio_abandon_vqs(&vblk->vdev);
	if (vblk->vdev.ops)
		virtio_remove(&vblk->vdev);
	/* GET_ID's request and buffer, unless a device that did not reset may write them. */
	if (!leaked) {
		virtblk_free_req(vblk->id_vbr);
		dma_free(vblk->id_buf, VIRTIO_BLK_ID_BYTES);
	}
	virtblk_pool_free(vblk);
	kfree(vblk);
}

void virtio_blk_exit(void)
{
	del_timer(&timeout_timer);
	while (nr_disks) {
		struct virtio_blk *vblk = disks[--nr_disks];
		wait_until(!virtblk_in_flight(vblk));
		virtblk_remove(vblk);
		disks[nr_disks] = NULL;
	}
}
