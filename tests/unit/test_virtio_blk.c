/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for the virtio-blk driver (drivers/virtio_blk.c), whole:
 * the real PCI enumeration, virtio-pci transport, split virtqueues and
 * block layer, against a simulated virtio-blk-pci device
 * (tests/unit/sim_virtio_blk.c) on a simulated bus (tests/unit/sim_pci.c).
 *
 * First a device that behaves, on every path (request, bypass, raw); then
 * devices that lie or stop: short used lengths, ids of buffers not in
 * flight, status bytes the specification does not define, notifications and
 * interrupts that get lost, a configuration that never settles, a device
 * that stops answering (timeout, reset, recovery), one whose reset never
 * takes, one that completes a request while it is being reset for it.
 * The rule checked throughout: every I/O ends exactly once, with the error
 * that really happened, and a broken device makes nothing wait (the fake
 * clock shows how long things took).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "block/bio.h"
#include "block/blkdev.h"
#include "block/genhd.h"
#include "drivers/pci.h"
#include "drivers/virtio_blk.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"
#include "tests/unit/sim_pci.h"
#include "tests/unit/sim_virtio_blk.h"
#include "tests/unit/test_block_fake.h"

/*
 * A device whose reset never takes leaves its rings allocated on purpose;
 * the live counters check what is kept, so LeakSanitizer's report of them
 * at exit would only repeat it.
 */
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

#define CAPACITY 8192 /* sectors: 4 MiB */
#define QSIZE 64
#define NBIO 8

static long allocs0, dma0;
static bool packed_ring; /* the device offers VIRTIO_F_RING_PACKED */
static struct sim_vblk *dev;
static struct virtio_blk *vblk;
static struct gendisk *disk;

static bool step_devices(void)
{
	return sim_vblk_step();
}

static int setup(void **state)
{
	host_platform_reset();
	host_printk_quiet = getenv("VIRTIO_TEST_VERBOSE") == NULL;
	sim_pci_reset();
	sim_vblk_reset_all();
	sim_set_device_step(step_devices);
	tio_end_seq = 0;
	allocs0 = host_live_allocs;
	dma0 = host_live_dma;
	assert_int_equal(blk_dev_init(), 0);
	dev = sim_vblk_create(3, CAPACITY, 1, QSIZE);
	if (packed_ring)
		dev->host_features |= 1ull << VIRTIO_F_RING_PACKED;
	vblk = NULL;
	disk = NULL;
	return 0;
}

static int setup_packed(void **state)
{
	return setup(state);
}

static void run_softirqs_all(void)
{
	while (do_softirq())
		;
}

/* The live allocations a test expects to be left (a device that did not reset). */
static long kept_allocs, kept_dma;

static int teardown(void **state)
{
	run_softirqs_all();
	virtio_blk_exit();
	blk_dev_exit();
	sim_pci_reset();
	sim_vblk_reset_all();
	assert_int_equal(host_live_allocs - allocs0, kept_allocs);
	assert_int_equal(host_live_dma - dma0, kept_dma);
	assert_int_equal(blk_atomic_depth(), 0);
	kept_allocs = kept_dma = 0;
	return 0;
}

static bool logged(const char *s)
{
	return strstr(host_log, s) != NULL;
}

#define assert_logged(s)                                                                           \
	do {                                                                                       \
		if (!logged(s))                                                                    \
			fail_msg("expected \"%s\" in the log:\n%s", s, host_log);                  \
	} while (0)

/* Enumerate the bus and probe; vda's driver state and disk. */
static void probe(void)
{
	pci_init();
	virtio_blk_init();
	/* As the run does before any job: the probe's GET_ID has ended. */
	virtio_blk_settle();
	vblk = virtio_blk_find("vda");
	assert_non_null(vblk);
	disk = vblk->disk;
}

static void probe_ok(void)
{
	probe();
	assert_false(vblk->broken);
	assert_non_null(disk);
}

static void set_path(enum blk_path path)
{
	assert_int_equal(blk_queue_set_path(disk->queue, path), 0);
}

static void set_timeout(u64 ns)
{
	vblk->timeout_ns = ns;
	blk_queue_rq_timeout(disk->queue, ns);
}

/* Let softirqs, the device and time run until @t has ended; the time it took. */
static u64 wait_ended(struct tio *t, unsigned n)
{
	u64 start = host_now_ns;

	for (unsigned i = 0; i < n; i++)
		wait_until(t[i].ended);
	run_softirqs_all();
	return host_now_ns - start;
}

static void submit_rw(struct tio *t, unsigned op, sector_t sector, u32 bytes, void *buf)
{
	submit_bio(make_bio(t, disk, op, sector, bytes, buf, 0));
}

/* Submit @n 4 KiB writes, the i-th at sector i * @stride from @buf + 4096 i. */
static void submit_writes(struct tio *t, unsigned n, sector_t stride, u8 *buf)
{
	for (unsigned i = 0; i < n; i++)
		submit_rw(&t[i], REQ_OP_WRITE, i * stride, 4096, buf + i * 4096);
}

/* Each of @n ended once, with @status. */
static void expect_ended(const struct tio *t, unsigned n, int status)
{
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(t[i].ended, 1);
		assert_int_equal(t[i].status, status);
	}
}

/* ========================================================================
 * A device that behaves
 */

static void test_probe_reports_device(void **state)
{
	probe_ok();
	assert_true(vblk->vdev.modern);
	assert_int_equal(vblk->vdev.irq_mode, VIRTIO_IRQ_MSIX_PER_VQ);
	assert_int_equal(get_capacity(disk), CAPACITY);
	assert_string_equal(vblk->serial, SIM_VBLK_ID);
	assert_int_equal(vblk->cfg.seg_max, QSIZE - 2);
	assert_true(dev->status & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_logged("vda: virtio-blk at 00:03.0, modern transport");
}

/* Data written through each path lands on the disk and reads back. */
static void io_round_trip(enum blk_path path)
{
	u8 *w = page_buf(16), *r = page_buf(16);
	struct tio t[NBIO];

	probe_ok();
	set_path(path);
	for (unsigned i = 0; i < NBIO; i++) {
		pattern_fill(w + i * 8192, 100 + i * 16, 8192, 7);
		submit_rw(&t[i], REQ_OP_WRITE, 100 + i * 16, 8192, w + i * 8192);
	}
	wait_ended(t, NBIO);
	for (unsigned i = 0; i < NBIO; i++) {
		assert_int_equal(t[i].ended, 1);
		assert_int_equal(t[i].status, 0);
		assert_true(pattern_check(dev->disk + (100 + i * 16) * 512, 100 + i * 16, 8192, 7));
	}
	for (unsigned i = 0; i < NBIO; i++)
		submit_rw(&t[i], REQ_OP_READ, 100 + i * 16, 8192, r + i * 8192);
	wait_ended(t, NBIO);
	for (unsigned i = 0; i < NBIO; i++) {
		assert_int_equal(t[i].status, 0);
		assert_true(pattern_check(r + i * 8192, 100 + i * 16, 8192, 7));
	}
	assert_int_equal(virtblk_in_flight(vblk), 0);
	free(w);
	free(r);
}

static void test_io_request_path(void **state)
{
	io_round_trip(BLK_PATH_REQUEST);
}

static void test_io_bypass_path(void **state)
{
	io_round_trip(BLK_PATH_BIO);
}

/*
 * The hot paths allocate nothing: a small request's vbr comes from the
 * disk's per-CPU pool and its bio from the CPU's bio cache, so a burst of
 * 8 KiB writes and reads on the bypass and request paths leaves the
 * allocation count where it was, at every moment, and the pool whole after.
 * A request with more segments than a pooled vbr holds gets a kmalloc'd
 * one; an empty pool falls back to kmalloc too.
 */
static void test_vbr_pool(void **state)
{
	u8 *buf = page_buf(NBIO * 2);
	struct tio t[NBIO];
	struct virtblk_req *held[VIRTBLK_POOL_VBRS], *extra, *big;
	long allocs;
	unsigned before;

	probe_ok();
	before = vblk->cpus[0].nr_free;
	/* The probe's GET_ID holds one, for good. */
	assert_int_equal(before, VIRTBLK_POOL_VBRS - 1);
	for (int path = BLK_PATH_REQUEST; path <= BLK_PATH_BIO; path++) {
		set_path((enum blk_path)path);
		allocs = host_live_allocs;
		for (unsigned i = 0; i < NBIO; i++)
			submit_rw(&t[i], i & 1 ? REQ_OP_READ : REQ_OP_WRITE, 100 + i * 16, 8192,
				  buf + i * 8192);
		assert_int_equal(host_live_allocs, allocs);
		assert_int_equal(vblk->cpus[0].nr_free, before - NBIO);
		wait_ended(t, NBIO);
		for (unsigned i = 0; i < NBIO; i++)
			assert_int_equal(t[i].status, 0);
		assert_int_equal(host_live_allocs, allocs);
		assert_int_equal(vblk->cpus[0].nr_free, before);
	}

	/* More segments than a pooled vbr has room for: kmalloc'd, freed after. */
	set_path(BLK_PATH_BIO);
	allocs = host_live_allocs;
	submit_bio(make_bio(&t[0], disk, REQ_OP_WRITE, 0, (VIRTBLK_POOL_SEGS + 1) * 4096, buf, 0));
	big = list_first_entry(&vblk->vqs[0].in_flight_list, struct virtblk_req, list);
	assert_false(big->pooled);
	assert_int_equal(vblk->cpus[0].nr_free, before);
	wait_ended(t, 1);
	assert_int_equal(t[0].status, 0);
	assert_int_equal(host_live_allocs, allocs);

	/* The whole pool taken: the next vbr is kmalloc'd; all go back. */
	for (unsigned i = 0; i < before; i++) {
		held[i] = virtblk_alloc_req(vblk, 3);
		assert_true(held[i]->pooled);
	}
	assert_int_equal(vblk->cpus[0].nr_free, 0);
	extra = virtblk_alloc_req(vblk, 3);
	assert_false(extra->pooled);
	assert_int_equal(host_live_allocs, allocs + 1);
	virtblk_free_req(extra);
	for (unsigned i = 0; i < before; i++)
		virtblk_free_req(held[i]);
	assert_int_equal(vblk->cpus[0].nr_free, before);
	assert_int_equal(host_live_allocs, allocs);
	free(buf);
}

/* path=raw as bench/engine.c uses it: submit, kick, poll until done. */
struct raw_io {
	struct virtblk_req *vbr;
	int ended;
	int error;
};

static void raw_done(struct virtblk_req *vbr, int error)
{
	struct raw_io *io = vbr->done_data;

	io->ended++;
	io->error = error;
}

static void raw_alloc(struct raw_io *io, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		memset(&io[i], 0, sizeof(io[i]));
		io[i].vbr = virtblk_alloc_req(vblk, 3);
		assert_non_null(io[i].vbr);
		io[i].vbr->done = raw_done;
		io[i].vbr->done_data = &io[i];
	}
}

static void raw_free(struct raw_io *io, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		virtblk_free_req(io[i].vbr);
}

/*
 * Begin path=raw and submit @n 4 KiB requests of @type, the i-th at sector
 * @sector + 8 i from @buf + 4096 i; then kick.
 */
static void raw_start(struct raw_io *io, unsigned n, u32 type, sector_t sector, u8 *buf)
{
	assert_int_equal(virtblk_raw_begin(vblk, false), 0);
	raw_alloc(io, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(virtblk_raw_submit(vblk, io[i].vbr, type, sector + i * 8,
						    buf + i * 4096, 4096),
				 0);
	virtblk_raw_kick(vblk);
}

/* End path=raw and give its requests back. */
static void raw_finish(struct raw_io *io, unsigned n)
{
	virtblk_raw_end(vblk);
	raw_free(io, n);
}

/* Each of @n ended once, with @error. */
static void expect_raw_ended(const struct raw_io *io, unsigned n, int error)
{
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(io[i].ended, 1);
		assert_int_equal(io[i].error, error);
	}
}

/* Poll until every one ended, as the job engine does; the fake time it took. */
static u64 raw_wait(struct raw_io *io, unsigned n)
{
	u64 start = host_now_ns;

	for (;;) {
		unsigned ended = 0;
		for (unsigned i = 0; i < n; i++)
			ended += io[i].ended > 0;
		if (ended == n)
			break;
		if (!virtblk_raw_poll(vblk)) {
			step_devices();
			host_advance_ns(NSEC_PER_USEC);
		}
		virtblk_raw_kick(vblk);
	}
	return host_now_ns - start;
}

static void test_io_raw_path(void **state)
{
	u8 *buf = page_buf(NBIO);
	struct raw_io io[NBIO];

	probe_ok();
	for (unsigned i = 0; i < NBIO; i++)
		pattern_fill(dev->disk + (i * 8) * 512, i * 8, 4096, 3);
	raw_start(io, NBIO, VIRTIO_BLK_T_IN, 0, buf);
	raw_wait(io, NBIO);
	expect_raw_ended(io, NBIO, 0);
	for (unsigned i = 0; i < NBIO; i++)
		assert_true(pattern_check(buf + i * 4096, i * 8, 4096, 3));
	raw_finish(io, NBIO);
	free(buf);
}

/* ========================================================================
 * Short used lengths (2.6.8.2): a read that did not deliver its data.
 */

static u32 short_by; /* bytes the device leaves out of a read's used length */
static sector_t short_sector = ~0ull;

static void tamper_short(struct sim_vblk *d, const struct sim_req *r, u32 *id, u32 *len, u8 *status)
{
	if (r->type == VIRTIO_BLK_T_IN && r->sector == short_sector)
		*len -= short_by;
}

/*
 * A read whose used length is short of data + status, on a modern device,
 * is an error for that request only; its neighbours and the device carry on.
 */
static void short_read(enum blk_path path, u32 by)
{
	u8 *buf = page_buf(4);
	struct tio t[3];
	char msg[120];

	probe_ok();
	set_path(path);
	short_by = by;
	short_sector = 16;
	dev->tamper = tamper_short;
	submit_rw(&t[0], REQ_OP_READ, 8, 4096, buf);
	submit_rw(&t[1], REQ_OP_READ, 16, 4096, buf + 4096);
	submit_rw(&t[2], REQ_OP_READ, 24, 4096, buf + 8192);
	wait_ended(t, 3);
	assert_int_equal(t[0].status, 0);
	assert_int_equal(t[1].status, -EIO);
	assert_int_equal(t[2].status, 0);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(t[i].ended, 1);
	assert_false(vblk->broken);
	assert_int_equal(vblk->stats.short_reads, 1);
	snprintf(msg, sizeof(msg), "vda: read at sector 16: used length %u, expected 4097",
		 4097 - by);
	assert_logged(msg);
	/* The device is still trusted for the next read. */
	short_sector = ~0ull;
	submit_rw(&t[0], REQ_OP_READ, 16, 4096, buf);
	wait_ended(t, 1);
	assert_int_equal(t[0].status, 0);
	free(buf);
}

static void test_short_read_request_path(void **state)
{
	short_read(BLK_PATH_REQUEST, 1); /* the status byte left out */
}

static void test_short_read_bypass_path(void **state)
{
	short_read(BLK_PATH_BIO, 4096); /* only the status byte counted */
}

static void test_short_read_raw_path(void **state)
{
	u8 *buf = page_buf(2);
	struct raw_io io[2];

	probe_ok();
	short_by = 512;
	short_sector = 40;
	dev->tamper = tamper_short;
	raw_start(io, 2, VIRTIO_BLK_T_IN, 40, buf);
	raw_wait(io, 2);
	expect_raw_ended(io, 1, -EIO);
	expect_raw_ended(&io[1], 1, 0);
	assert_int_equal(vblk->stats.short_reads, 1);
	assert_logged("vda: read at sector 40: used length 3585, expected 4097");
	raw_finish(io, 2);
	free(buf);
}

/* Writes report 1 (the status byte): not a short read. */
static void test_write_used_length_one(void **state)
{
	u8 *buf = page_buf(1);
	struct tio t;

	probe_ok();
	submit_rw(&t, REQ_OP_WRITE, 0, 4096, buf);
	wait_ended(&t, 1);
	assert_int_equal(t.status, 0);
	assert_int_equal(vblk->stats.short_reads, 0);
	free(buf);
}

/* ========================================================================
 * A device that breaks: everything ends with an error at once.
 */

static sector_t bad_sector = ~0ull;
static int bad_kind; /* 1: status byte out of range, 2: bad id, 3: no status byte */

static void tamper_bad(struct sim_vblk *d, const struct sim_req *r, u32 *id, u32 *len, u8 *status)
{
	if (r->sector != bad_sector || r->type == VIRTIO_BLK_T_GET_ID)
		return;
	if (bad_kind == 1)
		*status = 7;
	else if (bad_kind == 2)
		*id = 1000;
	else
		*len = 0;
}

/* The device holds what it is given, and will answer the request at sector 0 with lie @kind. */
static void device_lies(int kind)
{
	bad_kind = kind;
	bad_sector = 0;
	dev->tamper = tamper_bad;
	dev->hold = true;
}

/*
 * Eight writes in flight, the device holding them; it then answers one
 * with a lie. That one and the other seven end with EIO before any
 * timeout, and so does everything submitted afterwards.
 */
static void broken_in_flight(enum blk_path path, int kind, const char *why)
{
	u8 *buf = page_buf(NBIO);
	struct tio t[NBIO], late;
	u64 took;

	probe_ok();
	set_path(path);
	device_lies(kind);
	submit_writes(t, NBIO, 8, buf);
	run_softirqs_all();
	assert_int_equal(dev->nheld, NBIO);
	/* The device answers the first, with a lie, and holds the rest. */
	sim_vblk_complete(dev, 1);
	took = wait_ended(t, NBIO);
	assert_true(took < 10 * NSEC_PER_MSEC);
	expect_ended(t, NBIO, -EIO);
	assert_true(vblk->broken);
	assert_true(vblk->dead);
	assert_logged(why);
	assert_logged("vda: device is broken");
	assert_int_equal(virtblk_in_flight(vblk), 0);
	/* A used entry that is believed ends with its own error; a bad id, with all the rest. */
	assert_int_equal(vblk->stats.aborted, kind == 2 ? NBIO : NBIO - 1);
	/* Reset, then told the driver gave up (2.1.2). */
	assert_int_equal(dev->status, VIRTIO_CONFIG_S_FAILED);
	assert_true(dev->resets >= 1);
	/* Later I/O fails at once too. */
	submit_rw(&late, REQ_OP_READ, 0, 4096, buf);
	wait_ended(&late, 1);
	assert_int_equal(late.status, -EIO);
	free(buf);
}

static void test_status_out_of_range_request_path(void **state)
{
	broken_in_flight(BLK_PATH_REQUEST, 1, "used length 1, status 7");
}

static void test_status_out_of_range_bypass_path(void **state)
{
	broken_in_flight(BLK_PATH_BIO, 1, "used length 1, status 7");
}

/* Split rings say "used ring id", packed ones "used descriptor id". */
static void test_bad_used_id_request_path(void **state)
{
	broken_in_flight(BLK_PATH_REQUEST, 2, "id 1000 is not a request in flight");
}

static void test_bad_used_id_bypass_path(void **state)
{
	broken_in_flight(BLK_PATH_BIO, 2, "id 1000 is not a request in flight");
}

static void test_no_status_byte_bypass_path(void **state)
{
	broken_in_flight(BLK_PATH_BIO, 3, "used length 0, status");
}

/*
 * The request path with the driver's dispatch depth at 2: six more writes
 * wait in the scheduler when the device breaks. They fail too, at once.
 */
static void test_broken_fails_queued_requests(void **state)
{
	u8 *buf = page_buf(NBIO);
	struct tio t[NBIO];

	probe_ok();
	assert_int_equal(virtblk_set_queue_depth(vblk, 2), 0);
	device_lies(1);
	submit_writes(t, NBIO, 64, buf);
	run_softirqs_all();
	assert_int_equal(dev->nheld, 2);
	sim_vblk_complete(dev, 1);
	assert_true(wait_ended(t, NBIO) < 10 * NSEC_PER_MSEC);
	expect_ended(t, NBIO, -EIO);
	/* Only two ever reached the device. */
	assert_int_equal(dev->requests, 2 + 1 /* GET_ID */);
	free(buf);
}

/*
 * queue_depth on blk-mq: each hardware context's driver tags (Linux's
 * virtio_blk queue_depth), so with two the device holds two requests and
 * the rest wait in the software queue; all complete once it answers.
 */
static void test_queue_depth_mq_path(void **state)
{
	u8 *buf = page_buf(NBIO);
	struct tio t[NBIO];

	probe_ok();
	set_path(BLK_PATH_MQ);
	assert_int_equal(virtblk_set_queue_depth(vblk, 2), 0);
	dev->hold = true;
	submit_writes(t, NBIO, 64, buf);
	run_softirqs_all();
	assert_int_equal(dev->nheld, 2);
	dev->hold = false;
	sim_vblk_complete(dev, 2);
	wait_ended(t, NBIO);
	expect_ended(t, NBIO, 0);
	/* The whole ring again; nothing at all is refused, as on the other paths. */
	assert_int_equal(virtblk_set_queue_depth(vblk, QSIZE), 0);
	assert_int_equal(virtblk_set_queue_depth(vblk, 0), -EINVAL);
	free(buf);
}

/*
 * A hipri poll (fio's hipri, as bench/engine.c polls) reaps only where the
 * CPU's REQ_HIPRI I/O went, its poll queue: the interrupt queue keeps its
 * callbacks on and its I/O ends by interrupt. A poll without hipri (hybrid
 * polling) still reaches both queues.
 */
static void test_hipri_polls_its_poll_queue(void **state)
{
	u8 *buf = page_buf(4);
	struct request_queue *q;
	struct tio t[4];

	sim_pci_reset();
	sim_vblk_reset_all();
	dev = sim_vblk_create(3, CAPACITY, 2, QSIZE);
	if (packed_ring)
		dev->host_features |= 1ull << VIRTIO_F_RING_PACKED;
	assert_int_equal(virtblk_set_poll_queues("vda", 1), 0);
	probe_ok();
	assert_int_equal(virtblk_set_poll_queues("vda", 0), 0);
	assert_int_equal(vblk->poll_queues, 1);
	set_path(BLK_PATH_BIO);
	q = disk->queue;
	dev->hold = true;
	submit_bio(make_bio(&t[0], disk, REQ_OP_READ | REQ_HIPRI, 0, 4096, buf, 0));
	submit_rw(&t[1], REQ_OP_READ, 64, 4096, buf + 4096);
	run_softirqs_all();
	assert_int_equal(dev->nheld, 2);
	assert_int_equal(vblk->vqs[0].in_flight, 1);
	assert_int_equal(vblk->vqs[1].in_flight, 1);

	/* Nothing finished: nothing found, and the interrupt queue untouched. */
	assert_int_equal(blk_poll(q, true, true), 0);
	assert_false(vblk->vqs[0].polling);
	dev->hold = false;
	sim_vblk_complete(dev, UINT32_MAX);
	/* The interrupt queue's read ends through its interrupt. */
	assert_int_equal(sim_irq_deliver(), 1);
	run_softirqs_all();
	assert_true(t[1].ended);
	assert_false(t[0].ended);
	assert_int_equal(blk_poll(q, true, true), 1);
	assert_false(vblk->vqs[0].polling);
	run_softirqs_all();
	assert_true(t[0].ended);
	assert_int_equal(t[0].status, 0);
	assert_int_equal(t[1].status, 0);

	/* Without hipri, both: the hybrid poller's interrupt queue and the poll queue. */
	dev->hold = true;
	submit_bio(make_bio(&t[2], disk, REQ_OP_READ | REQ_HIPRI, 128, 4096, buf + 8192, 0));
	submit_rw(&t[3], REQ_OP_READ, 192, 4096, buf + 12288);
	run_softirqs_all();
	assert_int_equal(blk_poll(q, false, true), 0);
	assert_true(vblk->vqs[0].polling);
	dev->hold = false;
	sim_vblk_complete(dev, UINT32_MAX);
	assert_int_equal(blk_poll(q, false, true), 2);
	assert_int_equal(blk_poll(q, false, false), 0);
	assert_false(vblk->vqs[0].polling);
	run_softirqs_all();
	assert_true(t[2].ended && t[3].ended);
	free(buf);
}

/*
 * Two reads the device holds, then a hybrid poller that spins, finds
 * nothing and re-arms the queue to halt; the device may then complete them.
 */
static void two_held_poller_parked(struct request_queue *q, struct tio *t, sector_t sector, u8 *buf)
{
	dev->hold = true;
	submit_rw(&t[0], REQ_OP_READ, sector, 4096, buf);
	submit_rw(&t[1], REQ_OP_READ, sector + 8, 4096, buf + 4096);
	run_softirqs_all();
	assert_int_equal(dev->nheld, 2);
	assert_int_equal(blk_poll(q, false, true), 0);
	assert_true(vblk->vqs[0].polling);
	assert_int_equal(blk_poll(q, false, false), 0);
	assert_false(vblk->vqs[0].polling);
	dev->hold = false;
}

/*
 * NAPI's hand-over: the interrupt that wakes a hybrid poller which has
 * just re-armed its queue to halt reaps the ring and gives it back to the
 * poller with callbacks left off, so the completions after it raise no
 * interrupt; the poller re-arms when it next gives up. A poller that never
 * comes back: the stall check re-arms the queue (pollers_gone), no
 * completion is lost and none is counted as a lost interrupt.
 */
static void test_interrupt_hands_ring_to_poller(void **state)
{
	u8 *buf = page_buf(2);
	struct request_queue *q;
	struct tio t[2];

	probe_ok();
	set_path(BLK_PATH_BIO);
	q = disk->queue;
	two_held_poller_parked(q, t, 0, buf);
	/* One completes: its interrupt hands the ring back to the poller. */
	sim_vblk_complete(dev, 1);
	assert_int_equal(sim_irq_deliver(), 1);
	assert_true(vblk->vqs[0].polling);
	run_softirqs_all();
	assert_true(t[0].ended);
	assert_false(t[1].ended);
	/* The other completes with callbacks off: no interrupt; the poller reaps it. */
	sim_vblk_complete(dev, 1);
	assert_int_equal(sim_irq_deliver(), 0);
	assert_int_equal(blk_poll(q, false, true), 1);
	assert_int_equal(blk_poll(q, false, false), 0);
	assert_false(vblk->vqs[0].polling);
	run_softirqs_all();
	expect_ended(t, 2, 0);

	/* Handed over again, and the poller never returns. */
	two_held_poller_parked(q, t, 16, buf);
	sim_vblk_complete(dev, 1);
	assert_int_equal(sim_irq_deliver(), 1);
	assert_true(vblk->vqs[0].polling);
	sim_vblk_complete(dev, 1);
	assert_int_equal(sim_irq_deliver(), 0);
	assert_true(wait_ended(t, 2) < 100 * NSEC_PER_MSEC);
	expect_ended(t, 2, 0);
	assert_false(vblk->vqs[0].polling);
	assert_int_equal(vblk->stats.pollers_gone, 1);
	assert_int_equal(vblk->stats.lost_irqs, 0);

	/* A poller that re-armed long ago is not waited for: the interrupt re-arms. */
	two_held_poller_parked(q, t, 32, buf);
	host_now_ns += 25 * NSEC_PER_MSEC;
	sim_vblk_complete(dev, 1);
	assert_int_equal(sim_irq_deliver(), 1);
	assert_false(vblk->vqs[0].polling);
	sim_vblk_complete(dev, 1);
	assert_int_equal(sim_irq_deliver(), 1);
	wait_ended(t, 2);
	expect_ended(t, 2, 0);
	assert_int_equal(vblk->stats.pollers_gone, 1);
	free(buf);
}

/*
 * blk-mq on a full ring (no indirect descriptors: three entries a request)
 * stops its context. A hybrid poller then takes the ring and never comes
 * back (its CPU waits elsewhere), so the stall check reaps the ring
 * (pollers_gone): the stopped context must go on from those completions
 * as it does from an interrupt's or a poll's, or the requests left in it
 * wait for ever with nothing in flight.
 */
#define NFULL 48
static void test_mq_full_ring_reaped_by_stall_check(void **state)
{
	u8 *buf = page_buf(NFULL);
	struct request_queue *q;
	struct tio t[NFULL];
	u64 start;

	dev->host_features &= ~(1ull << VIRTIO_RING_F_INDIRECT_DESC);
	probe_ok();
	set_path(BLK_PATH_MQ);
	q = disk->queue;
	dev->hold = true;
	submit_writes(t, NFULL, 64, buf);
	run_softirqs_all();
	assert_int_equal(dev->nheld, QSIZE / 3);
	assert_true(blk_mq_hctx_stopped(blk_mq_hctx(q, 0)));
	assert_int_equal(blk_poll(q, false, true), 0);
	assert_true(vblk->vqs[0].polling);
	dev->hold = false;
	sim_vblk_complete(dev, dev->nheld);
	assert_int_equal(sim_irq_deliver(), 0);
	start = host_now_ns;
	for (unsigned i = 0; i < NFULL; i++)
		while (!t[i].ended && host_now_ns - start < NSEC_PER_SEC)
			if (!do_softirq())
				platform_relax();
	run_softirqs_all();
	expect_ended(t, NFULL, 0);
	assert_int_equal(vblk->stats.pollers_gone, 1);
	assert_false(blk_mq_hctx_stopped(blk_mq_hctx(q, 0)));
	free(buf);
}

/* The bypass path's backlog (bios that found queue_depth full) fails too. */
static void test_broken_fails_backlog(void **state)
{
	u8 *buf = page_buf(NBIO);
	struct tio t[NBIO];

	probe_ok();
	set_path(BLK_PATH_BIO);
	assert_int_equal(virtblk_set_queue_depth(vblk, 2), 0);
	device_lies(2);
	submit_writes(t, NBIO, 64, buf);
	run_softirqs_all();
	assert_int_equal(dev->nheld, 2);
	assert_false(bio_list_empty(&vblk->vqs[0].backlog));
	sim_vblk_complete(dev, 1);
	assert_true(wait_ended(t, NBIO) < 10 * NSEC_PER_MSEC);
	expect_ended(t, NBIO, -EIO);
	assert_true(bio_list_empty(&vblk->vqs[0].backlog));
	free(buf);
}

static void test_broken_raw_path(void **state)
{
	u8 *buf = page_buf(NBIO);
	struct raw_io io[NBIO];

	probe_ok();
	device_lies(1);
	raw_start(io, NBIO, VIRTIO_BLK_T_OUT, 0, buf);
	virtblk_raw_poll(vblk);
	sim_vblk_complete(dev, 1);
	assert_true(raw_wait(io, NBIO) < 10 * NSEC_PER_MSEC);
	expect_raw_ended(io, NBIO, -EIO);
	assert_true(vblk->dead);
	/* Submitted after the break: accepted, and ended at the next poll. */
	io[0].ended = 0;
	assert_int_equal(virtblk_raw_submit(vblk, io[0].vbr, VIRTIO_BLK_T_IN, 0, buf, 4096), 0);
	assert_int_equal(io[0].ended, 0);
	virtblk_raw_poll(vblk);
	expect_raw_ended(io, 1, -EIO);
	raw_finish(io, NBIO);
	free(buf);
}

/* ========================================================================
 * A device that stops answering: timeout, reset, recovery.
 */

#define TEST_TIMEOUT (1 * NSEC_PER_SEC)

static void stop_answering(enum blk_path path, bool comes_back)
{
	u8 *buf = page_buf(4);
	struct tio t[4];
	u64 took;

	probe_ok();
	set_path(path);
	set_timeout(TEST_TIMEOUT);
	sim_idle_ns = 100 * NSEC_PER_USEC;
	dev->hold = true;
	dev->hold_until_reset = comes_back;
	for (unsigned i = 0; i < 4; i++) {
		pattern_fill(dev->disk + i * 8 * 512, i * 8, 4096, 9);
		submit_rw(&t[i], REQ_OP_READ, i * 8, 4096, buf + i * 4096);
	}
	took = wait_ended(t, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(t[i].ended, 1);
	assert_logged("vda: request at sector 0 timed out after 10");
	assert_int_equal(t[0].status, -ETIMEDOUT);
	if (comes_back) {
		/* The rest were retried on the new queues, and read right. */
		assert_int_equal(vblk->stats.resets, 1);
		assert_false(vblk->broken);
		for (unsigned i = 1; i < 4; i++) {
			assert_int_equal(t[i].status, 0);
			assert_true(pattern_check(buf + i * 4096, i * 8, 4096, 9));
		}
		assert_true(took < TEST_TIMEOUT + 100 * NSEC_PER_MSEC);
	} else {
		/*
		 * The retries hang as well: a second timeout with nothing
		 * completed since the first reset gives the device up. The
		 * second request timed out too; the others fail with it.
		 */
		assert_int_equal(vblk->stats.resets, 2);
		assert_true(vblk->broken);
		assert_logged("no request completed since its last reset");
		assert_int_equal(t[1].status, -ETIMEDOUT);
		for (unsigned i = 2; i < 4; i++)
			assert_int_equal(t[i].status, -EIO);
		assert_true(took < 2 * TEST_TIMEOUT + 100 * NSEC_PER_MSEC);
	}
	free(buf);
}

static void test_timeout_recovers_request_path(void **state)
{
	stop_answering(BLK_PATH_REQUEST, true);
}

static void test_timeout_recovers_bypass_path(void **state)
{
	stop_answering(BLK_PATH_BIO, true);
}

static void test_timeout_gives_up_request_path(void **state)
{
	stop_answering(BLK_PATH_REQUEST, false);
}

static void test_timeout_gives_up_bypass_path(void **state)
{
	stop_answering(BLK_PATH_BIO, false);
}

/* path=raw: the poller watches its own queue, as the timer does the others'. */
static void test_timeout_raw_path(void **state)
{
	u8 *buf = page_buf(4);
	struct raw_io io[4];

	probe_ok();
	set_timeout(TEST_TIMEOUT);
	dev->hold = true;
	dev->hold_until_reset = true;
	raw_start(io, 4, VIRTIO_BLK_T_IN, 0, buf);
	assert_true(raw_wait(io, 4) < TEST_TIMEOUT + 100 * NSEC_PER_MSEC);
	expect_raw_ended(io, 1, -ETIMEDOUT);
	expect_raw_ended(&io[1], 3, 0);
	assert_int_equal(vblk->stats.resets, 1);
	assert_false(vblk->broken);
	/* The new queue is polled too: callbacks stay off. */
	io[0].ended = 0;
	assert_int_equal(virtblk_raw_submit(vblk, io[0].vbr, VIRTIO_BLK_T_IN, 0, buf, 4096), 0);
	virtblk_raw_kick(vblk);
	raw_wait(io, 1);
	expect_raw_ended(io, 1, 0);
	raw_finish(io, 4);
	free(buf);
}

static void test_timeout_gives_up_raw_path(void **state)
{
	u8 *buf = page_buf(2);
	struct raw_io io[2];

	probe_ok();
	set_timeout(TEST_TIMEOUT);
	dev->hold = true;
	raw_start(io, 2, VIRTIO_BLK_T_OUT, 0, buf);
	assert_true(raw_wait(io, 2) < 2 * TEST_TIMEOUT + 100 * NSEC_PER_MSEC);
	expect_raw_ended(io, 2, -ETIMEDOUT);
	assert_true(vblk->broken);
	raw_finish(io, 2);
	free(buf);
}

/*
 * The device finishes the expired request while it is being reset for it
 * (QEMU drains its block layer in the reset): it ends once, with the
 * device's status and data, not ETIMEDOUT.
 */
static void completes_during_reset(enum blk_path path)
{
	u8 *buf = page_buf(2);
	struct tio t[2];

	probe_ok();
	set_path(path);
	set_timeout(TEST_TIMEOUT);
	dev->hold = true;
	dev->hold_until_reset = true;
	dev->complete_on_reset = true;
	pattern_fill(dev->disk, 0, 8192, 5);
	submit_rw(&t[0], REQ_OP_READ, 0, 4096, buf);
	submit_rw(&t[1], REQ_OP_READ, 8, 4096, buf + 4096);
	wait_ended(t, 2);
	expect_ended(t, 2, 0);
	assert_true(pattern_check(buf, 0, 8192, 5));
	assert_int_equal(vblk->stats.late_completions, 1);
	assert_int_equal(vblk->stats.resets, 1);
	assert_logged("the timed-out request at sector 0 was completed by the device");
	/* Nothing comes back a second time. */
	host_advance_ns(2 * TEST_TIMEOUT);
	run_softirqs_all();
	assert_int_equal(t[0].ended, 1);
	assert_int_equal(t[1].ended, 1);
	free(buf);
}

static void test_completion_races_timeout_request_path(void **state)
{
	completes_during_reset(BLK_PATH_REQUEST);
}

static void test_completion_races_timeout_bypass_path(void **state)
{
	completes_during_reset(BLK_PATH_BIO);
}

static void test_completion_races_timeout_raw_path(void **state)
{
	u8 *buf = page_buf(1);
	struct raw_io io[1];

	probe_ok();
	set_timeout(TEST_TIMEOUT);
	dev->hold = true;
	dev->hold_until_reset = true;
	dev->complete_on_reset = true;
	pattern_fill(dev->disk, 0, 4096, 5);
	raw_start(io, 1, VIRTIO_BLK_T_IN, 0, buf);
	raw_wait(io, 1);
	expect_raw_ended(io, 1, 0);
	assert_true(pattern_check(buf, 0, 4096, 5));
	assert_int_equal(vblk->stats.late_completions, 1);
	raw_finish(io, 1);
	free(buf);
}

/*
 * A reset that never takes: the device may still write what it was given,
 * so it is cut off the bus and nothing it held is freed; the I/O still
 * ends, at once after the timeout, and the log says what was kept.
 */
static void test_reset_never_takes(void **state)
{
	u8 *buf = page_buf(4);
	struct tio t[4];

	probe_ok();
	set_path(BLK_PATH_BIO);
	set_timeout(TEST_TIMEOUT);
	dev->hold = true;
	submit_writes(t, 4, 8, buf);
	run_softirqs_all();
	dev->reset_stuck = true;
	assert_true(wait_ended(t, 4) < TEST_TIMEOUT + 1100 * NSEC_PER_MSEC);
	expect_ended(t, 1, -ETIMEDOUT);
	expect_ended(&t[1], 3, -EIO);
	assert_true(vblk->broken && vblk->leaked);
	assert_logged("device_status still 0xf");
	assert_logged("bus mastering is off");
	assert_false(sim_pci_command(dev->fn) & PCI_COMMAND_MASTER);
	assert_int_equal(sim_irq_handlers(vblk->vdev.config_vector), 0);
	/*
	 * Kept: the ring (DMA memory); the queue, its state and its
	 * notification address; the four requests.
	 */
	kept_dma = 1;
	kept_allocs = 1 + 1 + 1 + 1 + 4;
	free(buf);
}

/* The raw path: its requests are the caller's; freeing one the device may write does nothing. */
static void test_reset_never_takes_raw_path(void **state)
{
	u8 *buf = page_buf(2);
	struct raw_io io[2];

	probe_ok();
	set_timeout(TEST_TIMEOUT);
	dev->hold = true;
	dev->reset_stuck = true;
	raw_start(io, 2, VIRTIO_BLK_T_IN, 0, buf);
	raw_wait(io, 2);
	expect_raw_ended(io, 1, -ETIMEDOUT);
	expect_raw_ended(&io[1], 1, -EIO);
	assert_int_equal(io[0].vbr->state, VBR_LEAKED);
	raw_finish(io, 2);
	kept_dma = 1;
	kept_allocs = 1 + 1 + 1 + 1 + 2;
	free(buf);
}

/* ========================================================================
 * Lost notifications and lost interrupts: the stall fallback.
 */

static void test_lost_notification_rekicked(void **state)
{
	u8 *buf = page_buf(1);
	struct tio t;

	probe_ok();
	set_path(BLK_PATH_BIO);
	dev->ignore_notifies = 1;
	submit_rw(&t, REQ_OP_READ, 0, 4096, buf);
	wait_ended(&t, 1);
	assert_int_equal(t.status, 0);
	assert_int_equal(vblk->stats.rekicks, 1);
	assert_int_equal(vblk->stats.lost_irqs, 0);
	assert_int_equal(vblk->stats.resets, 0);
	free(buf);
}

static void test_lost_interrupt_reaped(void **state)
{
	u8 *buf = page_buf(1);
	struct tio t[2];

	probe_ok();
	dev->drop_interrupts = true;
	submit_rw(&t[0], REQ_OP_READ, 0, 4096, buf);
	wait_ended(t, 1);
	assert_int_equal(t[0].status, 0);
	assert_int_equal(vblk->stats.lost_irqs, 1);
	assert_int_equal(vblk->stats.rekicks, 0);
	/* The same on the bypass path. */
	set_path(BLK_PATH_BIO);
	submit_rw(&t[1], REQ_OP_READ, 8, 4096, buf);
	wait_ended(&t[1], 1);
	assert_int_equal(t[1].status, 0);
	assert_int_equal(vblk->stats.lost_irqs, 2);
	free(buf);
}

/* The raw poller re-notifies a queue the device has stopped reading. */
static void test_lost_notification_raw_path(void **state)
{
	u8 *buf = page_buf(1);
	struct raw_io io[1];

	probe_ok();
	dev->ignore_notifies = 1;
	raw_start(io, 1, VIRTIO_BLK_T_IN, 0, buf);
	raw_wait(io, 1);
	expect_raw_ended(io, 1, 0);
	assert_int_equal(vblk->stats.rekicks, 1);
	raw_finish(io, 1);
	free(buf);
}

/* ========================================================================
 * The configuration: read with a bounded generation loop, checked.
 */

static void test_generation_never_settles_at_probe(void **state)
{
	dev->generation_runs = true;
	probe();
	assert_true(vblk->broken);
	assert_null(vblk->disk);
	assert_logged("vda: config_generation changed during each of 64 reads");
	assert_logged("vda: not usable");
	assert_true(dev->status & VIRTIO_CONFIG_S_FAILED);
}

static void test_resize(void **state)
{
	probe_ok();
	sim_vblk_resize(dev, 2 * CAPACITY + 1);
	sim_irq_deliver();
	assert_int_equal(get_capacity(disk), 2 * CAPACITY + 1);
	assert_logged("vda: capacity changed from 8192 to 16385 sectors");
}

static void test_resize_generation_never_settles(void **state)
{
	u8 *buf = page_buf(1);
	struct tio t;

	probe_ok();
	dev->generation_runs = true;
	sim_vblk_resize(dev, 2 * CAPACITY);
	sim_irq_deliver();
	assert_int_equal(get_capacity(disk), CAPACITY);
	assert_true(vblk->broken);
	assert_logged("config_generation changed during each of 64 reads");
	submit_rw(&t, REQ_OP_READ, 0, 4096, buf);
	wait_ended(&t, 1);
	assert_int_equal(t.status, -EIO);
	free(buf);
}

static void test_resize_to_impossible_capacity(void **state)
{
	probe_ok();
	sim_vblk_resize(dev, 1ull << 60);
	sim_irq_deliver();
	assert_int_equal(get_capacity(disk), CAPACITY);
	assert_true(vblk->broken);
	assert_logged("vda: capacity 1152921504606846976 sectors overflows");
	run_softirqs_all();
}

/* A new capacity is rounded to whole logical blocks, as at probe. */
static void test_resize_rounds_to_blocks(void **state)
{
	u32 bs = 4096;

	sim_vblk_put_config(dev, VIRTIO_BLK_CFG_BLK_SIZE, &bs, 4);
	probe_ok();
	sim_vblk_resize(dev, 2 * CAPACITY + 7);
	sim_irq_deliver();
	assert_int_equal(get_capacity(disk), 2 * CAPACITY);
	assert_logged("capacity 16391 sectors is not a whole number of 4096-byte blocks");
}

/* ========================================================================
 * Limits: size_max 0 (qemu-storage-daemon) and queues too small for a block.
 */

static void test_size_max_zero(void **state)
{
	u32 zero = 0;
	u8 *buf = page_buf(16);
	struct tio t;

	dev->host_features |= 1ull << VIRTIO_BLK_F_SIZE_MAX;
	sim_vblk_put_config(dev, VIRTIO_BLK_CFG_SIZE_MAX, &zero, 4);
	probe_ok();
	assert_int_equal(vblk->cfg.size_max, PAGE_SIZE);
	assert_int_equal(disk->queue->limits.max_segment_size, PAGE_SIZE);
	assert_logged("vda: size_max 0 is below a page");
	/* 64 KiB in one bio: page-sized segments, and it works. */
	pattern_fill(buf, 64, 65536, 1);
	submit_rw(&t, REQ_OP_WRITE, 64, 65536, buf);
	wait_ended(&t, 1);
	assert_int_equal(t.status, 0);
	assert_true(pattern_check(dev->disk + 64 * 512, 64, 65536, 1));
	free(buf);
}

static void test_queue_too_small_for_block(void **state)
{
	u32 bs = 65536, seg = 100, zero = 0;

	sim_pci_reset();
	sim_vblk_reset_all();
	dev = sim_vblk_create(3, CAPACITY, 1, 8);
	dev->host_features |= 1ull << VIRTIO_BLK_F_SIZE_MAX;
	sim_vblk_put_config(dev, VIRTIO_BLK_CFG_SIZE_MAX, &zero, 4);
	sim_vblk_put_config(dev, VIRTIO_BLK_CFG_BLK_SIZE, &bs, 4);
	sim_vblk_put_config(dev, VIRTIO_BLK_CFG_SEG_MAX, &seg, 4);
	probe();
	assert_true(vblk->broken);
	assert_logged("vda: 6 segments of at most 4096 bytes (queue size 8) cannot carry one "
		      "65536-byte block");
}

/*
 * Every case runs twice: on split rings, and on packed rings (the device
 * offers VIRTIO_F_RING_PACKED, which the driver takes by default).
 */
static const struct CMUnitTest cases[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	T(test_probe_reports_device),
	T(test_io_request_path),
	T(test_io_bypass_path),
	T(test_vbr_pool),
	T(test_io_raw_path),
	T(test_short_read_request_path),
	T(test_short_read_bypass_path),
	T(test_short_read_raw_path),
	T(test_write_used_length_one),
	T(test_status_out_of_range_request_path),
	T(test_status_out_of_range_bypass_path),
	T(test_bad_used_id_request_path),
	T(test_bad_used_id_bypass_path),
	T(test_no_status_byte_bypass_path),
	T(test_broken_fails_queued_requests),
	T(test_broken_fails_backlog),
	T(test_queue_depth_mq_path),
	T(test_mq_full_ring_reaped_by_stall_check),
	T(test_hipri_polls_its_poll_queue),
	T(test_interrupt_hands_ring_to_poller),
	T(test_broken_raw_path),
	T(test_timeout_recovers_request_path),
	T(test_timeout_recovers_bypass_path),
	T(test_timeout_gives_up_request_path),
	T(test_timeout_gives_up_bypass_path),
	T(test_timeout_raw_path),
	T(test_timeout_gives_up_raw_path),
	T(test_completion_races_timeout_request_path),
	T(test_completion_races_timeout_bypass_path),
	T(test_completion_races_timeout_raw_path),
	T(test_reset_never_takes),
	T(test_reset_never_takes_raw_path),
	T(test_lost_notification_rekicked),
	T(test_lost_interrupt_reaped),
	T(test_lost_notification_raw_path),
	T(test_generation_never_settles_at_probe),
	T(test_resize),
	T(test_resize_generation_never_settles),
	T(test_resize_to_impossible_capacity),
	T(test_resize_rounds_to_blocks),
	T(test_size_max_zero),
	T(test_queue_too_small_for_block),
#undef T
};

int main(void)
{
	static struct CMUnitTest packed_cases[ARRAY_SIZE(cases)];
	static char names[ARRAY_SIZE(cases)][80];
	int failed;

	failed = cmocka_run_group_tests_name("test_virtio_blk (split rings)", cases, NULL, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(names[i], sizeof(names[i]), "%s [packed]", cases[i].name);
		packed_cases[i] = cases[i];
		packed_cases[i].name = names[i];
		packed_cases[i].setup_func = setup_packed;
	}
	packed_ring = true;
	failed += _cmocka_run_group_tests("test_virtio_blk (packed rings)", packed_cases,
					  ARRAY_SIZE(packed_cases), NULL, NULL);
	return failed;
}
