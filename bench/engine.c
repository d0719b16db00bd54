/* SPDX-License-Identifier: MIT */
/*
 * The fio-like job engine.
 *
 * A job keeps `iodepth` I/O units in flight. On the block paths each unit
 * is one or more bios submitted with submit_bio and refilled from their
 * bi_end_io callback (softirq context); the CPU halts when there is nothing
 * to do, and the halted time is the job's idle time. On path=raw the units
 * are virtblk_reqs put straight on virtqueue 0 and reaped by polling, with
 * no block layer and no interrupts: the ceiling the other paths are
 * measured against.
 *
 * With verify=crc32c every written block carries the stamp of
 * bench/stamp.c (its sector, a seed, a CRC32C), is read back after the
 * writes and checked; a read-only job checks the stamps already on the
 * disk, written by an earlier job or boot, or by the host tool.
 */
#include "bench/disk.h"
#include "bench/engine.h"
#include "bench/stamp.h"
#include "block/bio.h"
#include "block/blkdev.h"
#include "block/elevator.h"
#include "block/genhd.h"
#include "drivers/virtio_blk.h"
#include "kernel/cpu.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "kernel/time.h"

#define PROGRESS_INTERVAL_NS NSEC_PER_SEC
#define MAX_ERRORS_REPORTED 32

/* ------------------------------------------------------------------------- */

static u64 rng_next(u64 *s)
{
	/* xorshift64*: fast, and good enough to spread offsets. */
	u64 x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* ------------------------------------------------------------------------- */

void job_failf(struct job *j, const char *fmt, ...)
{
	va_list ap;

	if (j->fail[0])
		return;
	va_start(ap, fmt);
	kvsnprintf(j->fail, sizeof(j->fail), fmt, ap);
	va_end(ap);
	pr_err("%s: %s", j->spec->name, j->fail);
}

static bool bitmap_test(const u8 *b, u64 i)
{
	return b[i / 8] & (1u << (i % 8));
}

static void bitmap_set(u8 *b, u64 i)
{
	b[i / 8] |= (u8)(1u << (i % 8));
}

static void bitmap_clear(u8 *b, u64 i)
{
	b[i / 8] &= (u8) ~(1u << (i % 8));
}

/*
 * Choose the next unit of work, or return false when the job should issue
 * no more. Sequential jobs walk the region and wrap (time-based); random
 * ones pick any block.
 */
static bool job_next(struct job *j, struct io_u *u)
{
	struct job_spec *s = j->spec;
	u64 block;

	if (j->stop)
		return false;
	u->flush = false;
	/* fsync=N: after every N writes, a flush of the device's cache. */
	if (s->fsync && j->writes_since_sync >= s->fsync && !j->verifying) {
		j->writes_since_sync = 0;
		u->flush = true;
		u->write = true;
		u->verify_read = false;
		u->offset = 0;
		u->len = 0;
		return true;
	}
	if (j->verifying) {
		while (j->verify_next < j->region_blocks &&
		       !bitmap_test(j->written, j->verify_next))
			j->verify_next++;
		if (j->verify_next >= j->region_blocks)
			return false;
		block = j->verify_next++;
		u->write = false;
		u->verify_read = true;
		goto out;
	}
	if (j->bytes_target && j->issued_bytes >= j->bytes_target)
		return false;
	if (s->runtime_ns && ktime_get_ns() >= j->deadline_ns)
		return false;

	if (rw_is_random(s->rw)) {
		block = s->norandommap ? rng_next(&j->rng) % j->region_blocks
				       : randmap_next(&j->map);
	} else {
		block = j->seq_next++;
		if (j->seq_next >= j->region_blocks)
			j->seq_next = 0;
	}
	switch (s->rw) {
	case RW_READ:
	case RW_RANDREAD:
		u->write = false;
		break;
	case RW_WRITE:
	case RW_RANDWRITE:
	case RW_TRIM:
	case RW_RANDTRIM:
	case RW_WRITEZEROES:
		u->write = true;
		break;
	default:
		u->write = rng_next(&j->rng) % 100 >= s->rwmixread;
		break;
	}
	/* Reads check stamps already on the disk, or ones this job wrote. */
	u->verify_read =
		s->verify && !u->write && (!rw_writes(s->rw) || bitmap_test(j->written, block));
	if (u->write && j->written)
		bitmap_set(j->written, block);
	if (u->write)
		j->writes_since_sync++;
out:
	u->offset = j->region_start + block * s->bs;
	u->len = s->bs;
	j->issued_bytes += s->bs;
	return true;
}

static void io_u_complete(struct io_u *u);

static void job_bio_end_io(struct bio *bio)
{
	struct io_u *u = bio->bi_private;

	if (bio->bi_status && !u->error)
		u->error = bio->bi_status;
	bio_put(bio);
	if (--u->pending_bios == 0)
		io_u_complete(u);
}

static unsigned job_op(const struct job *j, const struct io_u *u)
{
	if (!u->write)
		return REQ_OP_READ;
	if (j->spec->rw == RW_WRITEZEROES)
		return REQ_OP_WRITE_ZEROES;
	return rw_trims(j->spec->rw) ? REQ_OP_DISCARD : REQ_OP_WRITE;
}

/*
 * flush_trace=1: the evidence a host checker needs to prove durability by
 * ordering (virtio 1.2, 5.2.6.2: a flush makes durable the writes the device
 * completed before it). Called with each completed write, which is noted as
 * a sector range of the job's disk, and with each flush as it is issued,
 * which prints one line naming every write completed since the previous
 * flush was issued:
 *   flush_trace: JOB DISK flush N after K done SECTOR+COUNT ...
 * K is the most flushes of the job that had completed when one of those
 * writes was issued: with K = N-1, a write reached the device after flush
 * N-1 did, so the device cannot have folded flush N into it. Ranges that do
 * not fit are printed ahead on "done" lines without "flush N after K"; they
 * belong to the next flush line.
 */
static void flush_trace(struct job *j, const struct io_u *u)
{
	u64 sector = u->offset >> SECTOR_SHIFT, count = u->len >> SECTOR_SHIFT;
	char line[400];
	size_t n = 0;

	if (!u->flush && job_op(j, u) != REQ_OP_WRITE)
		return; /* a discard or write-zeroes writes no data */
	if (!u->flush) {
		j->ftrace_after = MAX(j->ftrace_after, u->flushes_done);
		if (j->ftrace_n) {
			typeof(j->ftrace[0]) *last = &j->ftrace[j->ftrace_n - 1];
			if (last->sector + last->count == sector) {
				last->count += count;
				return;
			}
		}
		if (j->ftrace_n < ARRAY_SIZE(j->ftrace)) {
			j->ftrace[j->ftrace_n].sector = sector;
			j->ftrace[j->ftrace_n++].count = count;
			return;
		}
	}
	n += ksnprintf(line + n, sizeof(line) - n, "flush_trace: %s %s", j->spec->name,
		       j->spec->filename);
	if (u->flush) {
		n += ksnprintf(line + n, sizeof(line) - n, " flush %lu after %lu",
			       ++j->ftrace_flushes, j->ftrace_after);
		j->ftrace_after = 0;
	}
	n += ksnprintf(line + n, sizeof(line) - n, " done");
	for (unsigned i = 0; i < j->ftrace_n && n < sizeof(line); i++)
		n += ksnprintf(line + n, sizeof(line) - n, " %lu+%lu", j->ftrace[i].sector,
			       j->ftrace[i].count);
	printk("%s\n", line);
	j->ftrace_n = 0;
	if (!u->flush) {
		j->ftrace[0].sector = sector;
		j->ftrace[0].count = count;
		j->ftrace_n = 1;
	}
}

/*
 * Build the unit's bios, one page at a time; when bio_add_page refuses a
 * page (the queue's limits), the bio is sent and another begun. The unit
 * completes when its last bio does.
 */
static void io_u_submit_bios(struct job *j, struct io_u *u)
{
	unsigned op = job_op(j, u);
	u32 done = 0;

	bool dataless = op == REQ_OP_DISCARD || op == REQ_OP_WRITE_ZEROES;

	if (u->flush) {
		struct bio *bio = bio_alloc(0);
		bio->bi_disk = j->disk;
		bio->bi_rw = REQ_OP_FLUSH;
		bio->bi_end_io = job_bio_end_io;
		bio->bi_private = u;
		u->pending_bios = 1;
		submit_bio(bio);
		return;
	}
	u->pending_bios = 1; /* held until every bio is submitted */
	while (done < u->len) {
		u32 left = u->len - done;
		unsigned pages = dataless ? 0 : DIV_ROUND_UP(left, PAGE_SIZE);
		struct bio *bio = bio_alloc(MIN(pages, (unsigned)BIO_MAX_VECS));

		bio->bi_disk = j->disk;
		bio->bi_sector = (u->offset + done) >> SECTOR_SHIFT;
		bio->bi_rw = op;
		bio->bi_end_io = job_bio_end_io;
		bio->bi_private = u;
		if (dataless) {
			bio->bi_size = u->len;
			done = u->len;
		} else {
			while (done < u->len) {
				u32 chunk = MIN((u32)PAGE_SIZE, u->len - done);
				if (bio_add_page(bio, (u8 *)u->buf + done, chunk, 0) != (int)chunk)
					break;
				done += chunk;
			}
			if (!bio->bi_size) {
				bio_put(bio);
				job_failf(j, "bio_add_page refused a %lu-byte segment", PAGE_SIZE);
				break;
			}
		}
		u->pending_bios++;
		submit_bio(bio);
	}
	if (--u->pending_bios == 0)
		io_u_complete(u);
}

static void raw_done(struct virtblk_req *vbr, int error)
{
	struct io_u *u = vbr->done_data;

	u->error = error;
	io_u_complete(u);
}

static void io_u_start(struct job *j, struct io_u *u)
{
	u->error = 0;
	if (u->write && j->spec->verify)
		stamp_fill(u->buf, u->len, u->offset >> SECTOR_SHIFT, j->spec->seed);
	if (u->flush && j->spec->flush_trace)
		flush_trace(j, u);
	u->flushes_done = j->ftrace_flushes_done;
	u->start_ns = ktime_get_ns();
	if (j->raw) {
		u32 type = u->flush   ? VIRTIO_BLK_T_FLUSH
			   : u->write ? VIRTIO_BLK_T_OUT
				      : VIRTIO_BLK_T_IN;
		int err = virtblk_raw_submit(j->raw, u->vbr, type, u->offset >> SECTOR_SHIFT,
					     u->buf, u->len);
		if (err) {
			u->error = err;
			io_u_complete(u);
		}
		return;
	}
	io_u_submit_bios(j, u);
}

static void io_u_complete(struct io_u *u)
{
	struct job *j = u->job;
	u64 now = ktime_get_ns();

	if (!j->first_completion_ns)
		j->first_completion_ns = now;
	if (u->flush) {
		j->syncs++; /* not an I/O of the job's size: kept out of its numbers */
		if (!u->error)
			j->ftrace_flushes_done++;
	} else if (j->verifying) {
		/* The read-back is checking, not benchmarking: count it apart. */
		j->verified_bytes += u->len;
	} else {
		hist_add(&j->lat, now - u->start_ns);
		j->ios++;
		j->bytes += u->len;
		if (u->write)
			j->write_ios++;
		else
			j->read_ios++;
		if (u->write && !u->error && j->spec->flush_trace)
			flush_trace(j, u);
	}

	if (u->error) {
		j->errors++;
		if (j->errors <= MAX_ERRORS_REPORTED)
			printk("%s: %s error on %s at sector %lu (%u bytes): %s\n", j->spec->name,
			       u->flush	  ? "flush"
			       : u->write ? "write"
					  : "read",
			       j->spec->filename, u->offset >> SECTOR_SHIFT, u->len,
			       errno_name(u->error));
		/* A block whose write failed holds no stamp of ours: do not verify it. */
		if (u->write && !u->flush && j->written)
			bitmap_clear(j->written, (u->offset - j->region_start) / j->spec->bs);
		if (!j->continue_on_error) {
			job_failf(j, "%s error at sector %lu: %s", u->write ? "write" : "read",
				  u->offset >> SECTOR_SHIFT, errno_name(u->error));
			j->stop = true;
		}
	} else if (u->verify_read && !u->flush) {
		u64 bad;
		int why = stamp_verify(u->buf, u->len, u->offset >> SECTOR_SHIFT, STAMP_ANY_SEED,
				       &bad);
		if (why) {
			j->verify_failures++;
			job_failf(j, "verify: %s sector %lu: %s", j->spec->filename, bad,
				  stamp_strerror(why));
			j->stop = true;
		}
	}

	if (job_next(j, u)) {
		io_u_start(j, u);
		return;
	}
	j->in_flight--;
}

static void progress(struct job *j, u64 now)
{
	u64 dt = now - j->start_ns;
	u64 ios = j->ios - j->progress_ios;

	printk("%s: %lu.%lus %s ios=%lu iops=%lu%s\n", j->spec->name, dt / NSEC_PER_SEC,
	       dt / (NSEC_PER_SEC / 10) % 10, j->verifying ? "verify" : rw_names[j->spec->rw],
	       j->ios, ios * NSEC_PER_SEC / PROGRESS_INTERVAL_NS, j->errors ? " (errors)" : "");
	j->progress_ios = j->ios;
	j->next_progress_ns += PROGRESS_INTERVAL_NS;
}

/* Fill every idle unit; under a plug so a burst is dispatched with one kick. */
static void job_fill(struct job *j)
{
	struct blk_plug plug;

	if (!j->raw)
		blk_start_plug(&plug);
	for (unsigned i = 0; i < j->spec->iodepth; i++) {
		struct io_u *u = &j->units[i];
		if (!job_next(j, u))
			break;
		j->in_flight++;
		io_u_start(j, u);
	}
	if (!j->raw)
		blk_finish_plug(&plug);
	else
		virtblk_raw_kick(j->raw);
}

static void job_wait(struct job *j)
{
	while (j->in_flight) {
		u64 now = ktime_get_ns();

		if (now >= j->next_progress_ns)
			progress(j, now);
		if (j->raw) {
			virtblk_raw_poll(j->raw);
			virtblk_raw_kick(j->raw);
			if (j->raw->broken) {
				job_failf(j, "%s is broken", j->raw->name);
				break;
			}
			continue;
		}
		if (do_softirq()) {
			j->last_activity_ns = now;
			continue;
		}
		/*
		 * Hybrid polling: for a short window after the last completion,
		 * reap the device's rings instead of halting and waiting for its
		 * interrupt (under emulation, delivering one costs far more than a
		 * few polls). Then re-arm interrupts and halt.
		 */
		if (j->poll_ns && now - j->last_activity_ns < j->poll_ns) {
			if (disk_poll(j->disk, true))
				j->last_activity_ns = now;
			continue;
		}
		if (j->poll_ns && disk_poll(j->disk, false))
			continue;
		cpu_idle_once();
	}
	if (j->poll_ns)
		disk_poll(j->disk, false);
}

/* ------------------------------------------------------------------------- */

static int apply_disk_settings(struct job *j)
{
	struct job_spec *s = j->spec;
	char depth[16];
	int err = 0;

	if (s->path == JOB_PATH_RAW)
		return 0;
	if (!s->path && !s->sched && !s->ntunables && s->queue_depth < 0)
		return 0;
	/* Settings change between requests, never under them. */
	disk_drain(j->disk);
	if (s->path)
		err = disk_setting(j->disk, "path", s->path == JOB_PATH_BIO ? "bio" : "request");
	if (!err && s->sched)
		err = disk_setting(j->disk, "sched", s->sched);
	for (unsigned i = 0; !err && i < s->ntunables; i++)
		err = disk_setting(j->disk, s->tunable_key[i], s->tunable_val[i]);
	if (!err && s->queue_depth > 0) {
		ksnprintf(depth, sizeof(depth), "%d", s->queue_depth);
		err = disk_setting(j->disk, "queue_depth", depth);
	}
	return err;
}

static int job_setup(struct job *j)
{
	struct job_spec *s = j->spec;
	u64 capacity, region;
	u32 lbs;

	j->disk = get_gendisk(s->filename);
	if (!j->disk)
		return kernel_fail("%s: filename=%s: no such disk", s->name, s->filename);
	capacity = get_capacity(j->disk) << SECTOR_SHIFT;
	lbs = j->disk->queue->limits.logical_block_size;
	if (s->bs % lbs)
		return kernel_fail("%s: bs=%u is not a multiple of %s's %u-byte blocks", s->name,
				   s->bs, s->filename, lbs);
	if (s->offset % lbs)
		return kernel_fail("%s: offset=%lu is not a multiple of %s's %u-byte blocks",
				   s->name, s->offset, s->filename, lbs);
	if (s->offset >= capacity)
		return kernel_fail("%s: offset=%lu is beyond the end of %s (%lu bytes)", s->name,
				   s->offset, s->filename, capacity);
	region = s->size ? s->size : capacity - s->offset;
	if (s->offset + region > capacity)
		return kernel_fail("%s: offset+size (%lu) is beyond the end of %s (%lu bytes)",
				   s->name, s->offset + region, s->filename, capacity);
	j->region_start = s->offset;
	j->region_blocks = region / s->bs;
	if (!j->region_blocks)
		return kernel_fail("%s: the region (%lu bytes) holds no %u-byte block", s->name,
				   region, s->bs);
	if (rw_writes(s->rw) || rw_trims(s->rw)) {
		if (j->disk->read_only)
			return kernel_fail("%s: %s is read-only; rw=%s would write", s->name,
					   s->filename, rw_names[s->rw]);
	}
	j->bytes_target = s->io_size ? s->io_size : s->runtime_ns ? 0 : j->region_blocks * s->bs;
	j->rng = s->seed ^ 0x9e3779b97f4a7c15ull;
	if (!j->rng)
		j->rng = 1;
	randmap_init(&j->map, j->region_blocks, s->seed);
	if (s->path == JOB_PATH_RAW) {
		j->raw = virtio_blk_find(s->filename);
		if (!j->raw)
			return kernel_fail("%s: path=raw needs a virtio disk, not %s", s->name,
					   s->filename);
	}
	if (s->verify && rw_writes(s->rw)) {
		j->written = kzalloc(DIV_ROUND_UP(j->region_blocks, 8));
		if (!j->written)
			return kernel_fail("%s: no memory for the verify map", s->name);
	}
	j->units = kzalloc(s->iodepth * sizeof(*j->units));
	if (!j->units)
		return kernel_fail("%s: no memory for %u I/O units", s->name, s->iodepth);
	for (unsigned i = 0; i < s->iodepth; i++) {
		struct io_u *u = &j->units[i];
		u->job = j;
		u->buf_order = get_order(s->bs);
		u->buf = alloc_pages(u->buf_order);
		if (!u->buf)
			return kernel_fail("%s: no memory for %u buffers of %u bytes", s->name,
					   s->iodepth, s->bs);
		memset(u->buf, 0, s->bs);
		if (j->raw) {
			u->vbr = virtblk_alloc_req(j->raw, 3);
			if (!u->vbr)
				return kernel_fail("%s: no memory for raw requests", s->name);
			u->vbr->done = raw_done;
			u->vbr->done_data = u;
		}
	}
	return apply_disk_settings(j);
}

static void job_teardown(struct job *j)
{
	for (unsigned i = 0; j->units && i < j->spec->iodepth; i++) {
		if (j->units[i].buf)
			free_pages(j->units[i].buf, j->units[i].buf_order);
		virtblk_free_req(j->units[i].vbr);
	}
	kfree(j->units);
	kfree(j->written);
}

/* ------------------------------------------------------------------------- */

int job_run(struct job_spec *s, unsigned index)
{
	struct job job, *j = &job;
	struct blk_counters c0, c1;
	struct virtio_blk_stats v0 = {0}, v1 = {0};
	u64 idle0, idle;
	int err;

	memset(j, 0, sizeof(*j));
	j->spec = s;
	j->index = index;
	j->continue_on_error = s->continue_on_error;
	hist_init(&j->lat);
	err = job_setup(j);
	if (err) {
		job_teardown(j);
		return err;
	}
	printk("%s: starting %s on %s, bs %u, iodepth %u%s\n", s->name, rw_names[s->rw],
	       s->filename, s->bs, s->iodepth, s->verify ? ", verify crc32c" : "");
	if (j->raw && virtblk_raw_begin(j->raw)) {
		job_teardown(j);
		return kernel_fail("%s: %s is not usable", s->name, s->filename);
	}

	memset(&c0, 0, sizeof(c0));
	blk_get_counters(j->disk, &c0);
	if (j->raw)
		virtblk_get_stats(j->raw, &v0);
	idle0 = idle_ns_total();
	j->start_ns = ktime_get_ns();
	j->deadline_ns = j->start_ns + s->runtime_ns;
	j->next_progress_ns = j->start_ns + PROGRESS_INTERVAL_NS;
	j->poll_ns = s->poll_us * NSEC_PER_USEC;
	j->last_activity_ns = j->start_ns;

	job_fill(j);
	job_wait(j);
	j->end_ns = ktime_get_ns();
	idle = idle_ns_total() - idle0;
	memset(&c1, 0, sizeof(c1));
	blk_get_counters(j->disk, &c1);
	if (j->raw)
		virtblk_get_stats(j->raw, &v1);
	if (j->written && !j->fail[0]) {
		/* fio's do_verify: read back everything written, once the writes are done. */
		j->verifying = true;
		printk("%s: verifying the %lu bytes written\n", s->name, j->bytes);
		job_fill(j);
		job_wait(j);
		printk("%s: verified %lu bytes\n", s->name, j->verified_bytes);
	}
	if (j->raw)
		virtblk_raw_end(j->raw);
	job_report(j, &c0, &c1, &v0, &v1, idle);
	if (index == 0 && j->first_completion_ns)
		printk("BOOT: first I/O completed after %lu us\n",
		       cycles_to_ns(rdtsc() - boot_tsc) / NSEC_PER_USEC -
			       (ktime_get_ns() - j->first_completion_ns) / NSEC_PER_USEC);
	job_teardown(j);
	if (j->fail[0])
		return kernel_fail("%s: %s", s->name, j->fail);
	return 0;
}
