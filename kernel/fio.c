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
 * kernel/stamp.c (its sector, a seed, a CRC32C), is read back after the
 * writes and checked; a read-only job checks the stamps already on the
 * disk, written by an earlier job or boot, or by the host tool.
 */
#include "block/bio.h"
#include "block/blkdev.h"
#include "block/elevator.h"
#include "block/genhd.h"
#include "drivers/virtio_blk.h"
#include "kernel/cmdline.h"
#include "kernel/cpu.h"
#include "kernel/fio.h"
#include "kernel/histogram.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/platform.h"
#include "kernel/randmap.h"
#include "kernel/stamp.h"
#include "kernel/string.h"
#include "kernel/time.h"

#define JOB_MAX_IODEPTH 1024
#define JOB_MAX_BS MiB(4)
#define JOB_DEFAULT_SEED 0x76626c6bull /* "vblk" */
/*
 * Hybrid polling: for poll_us after the last completion, reap the used
 * rings instead of halting (poll_us=0: interrupts only). Under TCG a halted
 * vCPU is woken through the host's scheduler, which costs about 100 us on
 * an idle host: measured side by side, randread 4k at iodepth 1 on the
 * bypass path took 127 us per I/O with interrupts alone and 35 us with a
 * 200 us window. On a host whose cores are busy anyway the wake-up is cheap
 * and polling only spends CPU; the job reports cpu_util either way.
 */
#define JOB_DEFAULT_POLL_US 100
#define PROGRESS_INTERVAL_NS NSEC_PER_SEC
#define MAX_ERRORS_REPORTED 32

static const char *const rw_names[] = {
	[RW_READ] = "read",	      [RW_WRITE] = "write",	  [RW_RANDREAD] = "randread",
	[RW_RANDWRITE] = "randwrite", [RW_READWRITE] = "rw",	  [RW_RANDRW] = "randrw",
	[RW_TRIM] = "trim",	      [RW_RANDTRIM] = "randtrim", [RW_WRITEZEROES] = "writezeroes",
};

static const char *const job_keys[] = {
	"name",
	"rw",
	"readwrite",
	"bs",
	"iodepth",
	"runtime",
	"size",
	"io_size",
	"offset",
	"filename",
	"verify",
	"rwmixread",
	"randseed",
	"path",
	"sched",
	"queue_depth",
	"continue_on_error",
	"fsync",
	"norandommap",
	"poll_us",
	"timeout",
	NULL,
};

/* A disk setting a job may carry (applied to its disk after a drain). */
static bool is_job_disk_setting(const char *key)
{
	return !strcmp(key, "timeout") || elv_tunable_known(key);
}

struct job;

struct io_u {
	struct job *job;
	void *buf;
	unsigned buf_order;
	u64 offset; /* bytes from the start of the disk */
	u32 len;
	bool write;
	bool flush;	  /* fio's fsync: a cache flush, no data */
	bool verify_read; /* check the stamps when the read completes */
	u64 start_ns;
	unsigned pending_bios;
	int error;
	struct virtblk_req *vbr; /* path=raw */
};

struct job {
	struct job_spec *spec;
	unsigned index;
	struct gendisk *disk;
	struct virtio_blk *raw; /* path=raw */
	u64 region_start;	/* bytes */
	u64 region_blocks;	/* in units of bs */
	u64 seq_next;
	u64 rng;
	struct randmap map; /* random jobs: each block once per pass (fio's default) */
	u64 bytes_target;   /* 0: time based */
	u64 issued_bytes;
	u64 deadline_ns;
	bool stop;
	bool verifying; /* the read-back phase after a verify job's writes */
	u64 verify_next;
	u8 *written; /* bitmap of blocks this job wrote, for verify */
	unsigned in_flight;
	bool continue_on_error;

	/* Results. */
	u64 ios, bytes, read_ios, write_ios;
	u64 verified_bytes; /* read back and checked after the writes */
	u64 syncs, writes_since_sync;
	u64 errors, verify_failures;
	u64 start_ns, end_ns, idle_start_ns;
	u64 next_progress_ns, progress_ios;
	u64 first_completion_ns;
	u64 poll_ns, last_activity_ns; /* hybrid polling window */
	struct histogram lat;
	char fail[160];

	struct io_u *units;
};

/* ------------------------------------------------------------------------- */

/* QEMU exposes its accelerator in the hypervisor CPUID leaf. */
const char *accel_name(void)
{
	u32 a, b, c, d;
	char sig[13];

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 31)))
		return "none";
	cpuid(0x40000000, 0, &a, &b, &c, &d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = '\0';
	if (!memcmp(sig, "TCGTCGTCGTCG", 12))
		return "tcg";
	if (!memcmp(sig, "KVMKVMKVM", 9))
		return "kvm";
	return "unknown";
}

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

static bool rw_is_random(enum job_rw rw)
{
	return rw == RW_RANDREAD || rw == RW_RANDWRITE || rw == RW_RANDRW || rw == RW_RANDTRIM;
}

static bool rw_writes(enum job_rw rw)
{
	return rw == RW_WRITE || rw == RW_RANDWRITE || rw == RW_READWRITE || rw == RW_RANDRW;
}

/* Jobs whose writes carry no data: discard (fio's trim) and write-zeroes. */
static bool rw_trims(enum job_rw rw)
{
	return rw == RW_TRIM || rw == RW_RANDTRIM || rw == RW_WRITEZEROES;
}

/* ------------------------------------------------------------------------- */

bool job_group_is_job(struct cmdline *cl, unsigned group)
{
	for (unsigned i = 0; i < cmdline_count(cl, group); i++) {
		const char *key = cmdline_at(cl, group, i)->key;
		for (unsigned k = 0; job_keys[k]; k++)
			if (!strcmp(key, job_keys[k]))
				return true;
		if (elv_tunable_known(key))
			return true;
	}
	return false;
}

static int parse_job_size(const char *key, const char *v, u64 *out)
{
	int err = parse_size(v, out);

	if (err)
		return kernel_fail("%s=%s: not a size (use e.g. 4k, 128k, 8M)", key, v);
	return 0;
}

int job_parse(struct cmdline *cl, unsigned group, struct job_spec *s)
{
	const char *v;
	u64 n;
	int err;

	memset(s, 0, sizeof(*s));
	ksnprintf(s->name, sizeof(s->name), "job%u", group + 1);
	ksnprintf(s->filename, sizeof(s->filename), "vda");
	s->rw = RW_READ;
	s->bs = 4096;
	s->iodepth = 1;
	s->rwmixread = 50;
	s->seed = JOB_DEFAULT_SEED;
	s->queue_depth = -1;

	if ((v = cmdline_get(cl, group, "name")))
		ksnprintf(s->name, sizeof(s->name), "%s", v);
	if ((v = cmdline_get(cl, group, "readwrite")) || (v = cmdline_get(cl, group, "rw"))) {
		unsigned i;
		for (i = 0; i < ARRAY_SIZE(rw_names); i++)
			if (!strcmp(v, rw_names[i]))
				break;
		if (!strcmp(v, "readwrite"))
			i = RW_READWRITE;
		if (i == ARRAY_SIZE(rw_names))
			return kernel_fail("rw=%s: expected read, write, randread, randwrite, rw, "
					   "randrw, trim, randtrim or writezeroes",
					   v);
		s->rw = (enum job_rw)i;
	}
	if ((v = cmdline_get(cl, group, "bs"))) {
		if ((err = parse_job_size("bs", v, &n)))
			return err;
		if (n < SECTOR_SIZE || n > JOB_MAX_BS || n % SECTOR_SIZE)
			return kernel_fail("bs=%s: expected a multiple of 512 from 512 to 4M", v);
		s->bs = (u32)n;
	}
	if ((v = cmdline_get(cl, group, "iodepth"))) {
		if (parse_u64(v, &n) || n < 1 || n > JOB_MAX_IODEPTH)
			return kernel_fail("iodepth=%s: expected 1..%d", v, JOB_MAX_IODEPTH);
		s->iodepth = (u32)n;
	}
	if ((v = cmdline_get(cl, group, "runtime"))) {
		if (parse_seconds(v, &n) || n == 0)
			return kernel_fail("runtime=%s: expected a duration such as 5 or 500ms", v);
		s->runtime_ns = n * NSEC_PER_MSEC;
	}
	if ((v = cmdline_get(cl, group, "size")) && (err = parse_job_size("size", v, &s->size)))
		return err;
	if ((v = cmdline_get(cl, group, "io_size")) &&
	    (err = parse_job_size("io_size", v, &s->io_size)))
		return err;
	if ((v = cmdline_get(cl, group, "offset")) &&
	    (err = parse_job_size("offset", v, &s->offset)))
		return err;
	if ((v = cmdline_get(cl, group, "filename"))) {
		if (strlen(v) >= sizeof(s->filename))
			return kernel_fail("filename=%s: no such disk", v);
		ksnprintf(s->filename, sizeof(s->filename), "%s", v);
	}
	if ((v = cmdline_get(cl, group, "verify"))) {
		if (!strcmp(v, "crc32c"))
			s->verify = true;
		else if (strcmp(v, "0") && strcmp(v, "none"))
			return kernel_fail("verify=%s: expected crc32c or 0", v);
	}
	if ((v = cmdline_get(cl, group, "rwmixread"))) {
		if (parse_u64(v, &n) || n > 100)
			return kernel_fail("rwmixread=%s: expected 0..100", v);
		s->rwmixread = (u32)n;
	}
	if ((v = cmdline_get(cl, group, "fsync"))) {
		if (parse_u64(v, &n) || n > 1000000)
			return kernel_fail("fsync=%s: expected a number of writes (0: never)", v);
		s->fsync = (u32)n;
	}
	if ((v = cmdline_get(cl, group, "norandommap"))) {
		bool b = true;
		if (*v && parse_bool(v, &b))
			return kernel_fail("norandommap=%s: expected 1 or 0", v);
		s->norandommap = b;
	}
	if ((v = cmdline_get(cl, group, "randseed")) && parse_u64(v, &s->seed))
		return kernel_fail("randseed=%s: expected a number", v);
	if ((v = cmdline_get(cl, group, "path"))) {
		if (!strcmp(v, "request"))
			s->path = JOB_PATH_REQUEST;
		else if (!strcmp(v, "bio"))
			s->path = JOB_PATH_BIO;
		else if (!strcmp(v, "raw"))
			s->path = JOB_PATH_RAW;
		else
			return kernel_fail("path=%s: expected request, bio or raw", v);
	}
	if ((v = cmdline_get(cl, group, "sched"))) {
		if (strcmp(v, "deadline") && strcmp(v, "noop"))
			return kernel_fail("sched=%s: expected deadline or noop", v);
		s->sched = v;
	}
	if ((v = cmdline_get(cl, group, "queue_depth"))) {
		if (parse_u64(v, &n) || n < 1 || n > 65536)
			return kernel_fail("queue_depth=%s: expected a positive number", v);
		s->queue_depth = (int)n;
	}
	s->poll_us = JOB_DEFAULT_POLL_US;
	if ((v = cmdline_get(cl, group, "poll_us"))) {
		if (parse_u64(v, &n) || n > 1000000)
			return kernel_fail("poll_us=%s: expected 0..1000000 (0: never poll)", v);
		s->poll_us = (u32)n;
	}
	if ((v = cmdline_get(cl, group, "continue_on_error"))) {
		if (strcmp(v, "none") && strcmp(v, "io") && strcmp(v, "all"))
			return kernel_fail("continue_on_error=%s: expected none, io or all", v);
		s->continue_on_error = strcmp(v, "none") != 0;
	}
	for (unsigned i = 0; i < cmdline_count(cl, group); i++) {
		const char *key = cmdline_at(cl, group, i)->key;
		bool seen = false;

		if (!is_job_disk_setting(key))
			continue;
		for (unsigned k = 0; k < s->ntunables; k++)
			seen = seen || !strcmp(s->tunable_key[k], key);
		if (seen)
			continue;
		if (s->ntunables == JOB_SCHED_TUNABLES)
			return kernel_fail("%s: more than %d disk settings", s->name,
					   JOB_SCHED_TUNABLES);
		s->tunable_key[s->ntunables] = key;
		s->tunable_val[s->ntunables++] = cmdline_get(cl, group, key);
	}
	if (s->path == JOB_PATH_RAW && (s->sched || s->ntunables))
		return kernel_fail("%s: path=raw has no scheduler to set", s->name);
	if (s->path == JOB_PATH_RAW && rw_trims(s->rw))
		return kernel_fail("%s: path=raw moves data only; rw=%s needs a block path",
				   s->name, rw_names[s->rw]);
	if (rw_trims(s->rw) && s->verify)
		return kernel_fail("%s: verify does not apply to rw=%s", s->name, rw_names[s->rw]);
	return 0;
}

/* ------------------------------------------------------------------------- */

static void job_failf(struct job *j, const char *fmt, ...) __printf(2, 3);

static void job_failf(struct job *j, const char *fmt, ...)
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

/* Fixed-point printing: the kernel has no floating point. */
static const char *fmt_fixed(char *buf, size_t n, u64 value_x1000, unsigned decimals)
{
	static const u64 div[] = {1000, 100, 10, 1};

	if (decimals == 0)
		ksnprintf(buf, n, "%lu", (value_x1000 + 500) / 1000);
	else
		ksnprintf(buf, n, "%lu.%0*lu", value_x1000 / 1000, decimals,
			  value_x1000 % 1000 / div[decimals]);
	return buf;
}

/* The queue that decides the path: a partition's disk's, an md device's first member's. */
static struct request_queue *job_queue(struct job *j)
{
	struct gendisk *member;

	return disk_lower(j->disk, &member, 1) ? member->queue : j->disk->queue;
}

static const char *path_name(struct job *j)
{
	if (j->raw)
		return "raw";
	return job_queue(j)->path == BLK_PATH_BIO ? "bio" : "request";
}

static const char *sched_name(struct job *j)
{
	if (j->raw || job_queue(j)->path == BLK_PATH_BIO)
		return "none";
	return elevator_name(job_queue(j));
}

static void report(struct job *j, const struct blk_counters *c0, const struct blk_counters *c1,
		   const struct virtio_blk_stats *v0, const struct virtio_blk_stats *v1,
		   u64 idle_ns)
{
	struct job_spec *s = j->spec;
	u64 ns = j->end_ns - j->start_ns;
	u64 iops_x1000 = ns ? j->ios * NSEC_PER_SEC * 1000 / ns : 0;
	/* bytes/s in 10^6 units, x1000: bytes * 1e9 / ns / 1e6 * 1e3 = bytes * 1e6 / ns */
	u64 mbps_x1000 = ns ? j->bytes / ns * 1000000 + j->bytes % ns * 1000000 / ns : 0;
	u64 busy = ns > idle_ns ? ns - idle_ns : 0;
	u64 cpu_x1000 = ns ? busy * 1000 / ns : 0;
	u64 merges = c1->back_merges + c1->front_merges - c0->back_merges - c0->front_merges;
	u64 kicks = j->raw ? v1->kicks - v0->kicks : c1->kicks - c0->kicks;
	u64 irqs = j->raw ? v1->irqs - v0->irqs : c1->irqs - c0->irqs;
	char a[32], b[32], c[32], d[32], e[32], f[32], g[32], h[32], t[32];
	u64 p50 = hist_percentile(&j->lat, 5000), p90 = hist_percentile(&j->lat, 9000);
	u64 p99 = hist_percentile(&j->lat, 9900), p999 = hist_percentile(&j->lat, 9990);

	printk("%s: %s on %s, path %s, sched %s, bs %u, iodepth %u, accel %s\n", s->name,
	       rw_names[s->rw], s->filename, path_name(j), sched_name(j), s->bs, s->iodepth,
	       accel_name());
	printk("%s:   %lu ios (%lu read, %lu write), %lu bytes in %s s: %s IOPS, %s MB/s\n",
	       s->name, j->ios, j->read_ios, j->write_ios, j->bytes,
	       fmt_fixed(t, sizeof(t), ns / NSEC_PER_MSEC, 3),
	       fmt_fixed(a, sizeof(a), iops_x1000, 1), fmt_fixed(b, sizeof(b), mbps_x1000, 2));
	printk("%s:   latency us: mean %s p50 %s p90 %s p99 %s p99.9 %s max %s\n", s->name,
	       fmt_fixed(c, sizeof(c), hist_mean(&j->lat), 1), fmt_fixed(d, sizeof(d), p50, 1),
	       fmt_fixed(e, sizeof(e), p90, 1), fmt_fixed(f, sizeof(f), p99, 1),
	       fmt_fixed(g, sizeof(g), p999, 1), fmt_fixed(h, sizeof(h), j->lat.max, 1));
	printk("%s:   merges %lu, kicks %lu, irqs %lu, cpu %s%%, errors %lu\n", s->name,
	       j->raw ? 0 : merges, kicks, irqs, fmt_fixed(a, sizeof(a), cpu_x1000 * 100, 1),
	       j->errors);

	printk("JSON {\"job\":\"%s\",\"disk\":\"%s\",\"path\":\"%s\",\"sched\":\"%s\","
	       "\"rw\":\"%s\",\"bs\":%u,\"iodepth\":%u,\"ios\":%lu,\"bytes\":%lu,"
	       "\"seconds\":%s,",
	       s->name, s->filename, path_name(j), sched_name(j), rw_names[s->rw], s->bs,
	       s->iodepth, j->ios, j->bytes, fmt_fixed(t, sizeof(t), ns / NSEC_PER_MSEC, 3));
	printk("\"iops\":%s,\"mbps\":%s,\"lat_us\":{\"mean\":%s,\"p50\":%s,\"p90\":%s,"
	       "\"p99\":%s,\"p999\":%s,\"max\":%s},",
	       fmt_fixed(a, sizeof(a), iops_x1000, 1), fmt_fixed(b, sizeof(b), mbps_x1000, 2),
	       fmt_fixed(c, sizeof(c), hist_mean(&j->lat), 1), fmt_fixed(d, sizeof(d), p50, 1),
	       fmt_fixed(e, sizeof(e), p90, 1), fmt_fixed(f, sizeof(f), p99, 1),
	       fmt_fixed(g, sizeof(g), p999, 1), fmt_fixed(h, sizeof(h), j->lat.max, 1));
	if (j->raw)
		printk("\"merges\":null,");
	else
		printk("\"merges\":%lu,", merges);
	printk("\"kicks\":%lu,\"irqs\":%lu,\"cpu_util\":%s,\"errors\":%lu,\"verify\":%s,"
	       "\"verified_bytes\":%lu,\"syncs\":%lu,\"accel\":\"%s\"}\n",
	       kicks, irqs, fmt_fixed(a, sizeof(a), cpu_x1000, 3), j->errors,
	       s->verify ? "\"crc32c\"" : "null", j->verified_bytes, j->syncs, accel_name());
}

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
	report(j, &c0, &c1, &v0, &v1, idle);
	if (index == 0 && j->first_completion_ns)
		printk("BOOT: first I/O completed after %lu us\n",
		       cycles_to_ns(rdtsc() - boot_tsc) / NSEC_PER_USEC -
			       (ktime_get_ns() - j->first_completion_ns) / NSEC_PER_USEC);
	job_teardown(j);
	if (j->fail[0])
		return kernel_fail("%s: %s", s->name, j->fail);
	return 0;
}
