/* SPDX-License-Identifier: MIT */
/*
 * The fio-like job engine: the I/O loop.
 *
 * Jobs that start together run side by side on one CPU, as fio's threads
 * run side by side on one core: each keeps `iodepth` I/O units in flight.
 * On the block paths a unit is one or more bios submitted with submit_bio;
 * its bi_end_io (softirq context) accounts it and refills the job at once,
 * so the queue depth holds without a trip through the loop. On path=raw the
 * units are virtblk_reqs put straight on virtqueue 0 and reaped by polling,
 * with no block layer and no interrupts: the ceiling the other paths are
 * measured against. The loop itself runs deferred work, polls, and halts
 * the CPU when there is nothing to do; the halted time is idle time.
 *
 * A job moves through phases: RAMP (ramp_time: running, not counted), RUN,
 * DRAIN (nothing more issued, waiting for what is in flight), VERIFY (fio's
 * do_verify: read back what it wrote), and again RUN for the next of its
 * loops, until DONE.
 *
 * Latencies are fio's: slat from the unit's start until submission
 * returns, clat from there to completion, lat the sum. Where submission
 * ends differs by path, which the README spells out: on the bypass path
 * the request is on the virtqueue when submit_bio returns; on the request
 * path it may still wait in the plug or the elevator, so its wait counts in
 * clat; on path=raw it is on the ring.
 */
#include "bench/disk.h"
#include "bench/engine.h"
#include "bench/fixmath.h"
#include "bench/stamp.h"
#include "block/bio.h"
#include "block/blkdev.h"
#include "block/elevator.h"
#include "block/genhd.h"
#include "drivers/virtio_blk.h"
#include "kernel/boottime.h"
#include "kernel/cpu.h"
#include "kernel/exit.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/watchdog.h"

#define PROGRESS_INTERVAL_NS NSEC_PER_SEC
#define MAX_ERRORS_REPORTED 32
#define NO_OFFSET (~0ull)

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

static u64 seed_state(u64 seed, u64 salt)
{
	u64 s = seed ^ (salt * 0x9e3779b97f4a7c15ull) ^ 0x5851f42d4c957f2dull;

	return s ? s : 1;
}

void job_failf(struct job *j, const char *fmt, ...)
{
	va_list ap;

	if (j->fail[0])
		return;
	va_start(ap, fmt);
	kvsnprintf(j->fail, sizeof(j->fail), fmt, ap);
	va_end(ap);
	pr_err("%s: %s", j->name, j->fail);
}

/* ------------------------------------------------------------------------- */

static bool counting(const struct job *j)
{
	return j->state == JOB_RUN || j->state == JOB_DRAIN || j->state == JOB_VERIFY;
}

/* A block size for the next I/O of direction @d: fixed, from bsrange, or from bssplit. */
static u32 next_bs(struct job *j, enum ddir d)
{
	const struct job_spec *s = j->spec;
	u32 lbs = j->disk->queue->limits.logical_block_size;

	if (s->nbssplit[d]) {
		u32 pick = (u32)(rng_next(&j->bs_rng) % 100), acc = 0;
		for (unsigned i = 0; i < s->nbssplit[d]; i++) {
			acc += s->bssplit[d][i].perc;
			if (pick < acc)
				return s->bssplit[d][i].bs;
		}
		return s->bssplit[d][s->nbssplit[d] - 1].bs;
	}
	if (s->bs_min[d] != s->bs_max[d]) {
		/* fio: uniform in [min, max], in whole multiples of the smallest block. */
		u32 span = s->bs_max[d] - s->bs_min[d];
		u32 bs = s->bs_min[d] + (u32)(rng_next(&j->bs_rng) % ((u64)span + 1));
		u32 grain = MAX(lbs, j->min_bs);
		bs = ALIGN_DOWN(bs, grain);
		return MAX(bs, s->bs_min[d]);
	}
	return s->bs[d];
}

static enum ddir next_ddir(struct job *j)
{
	switch (j->spec->rw) {
	case RW_READ:
	case RW_RANDREAD:
		return DDIR_READ;
	case RW_WRITE:
	case RW_RANDWRITE:
		return DDIR_WRITE;
	case RW_TRIM:
	case RW_RANDTRIM:
	case RW_WRITEZEROES:
		return DDIR_TRIM;
	case RW_TRIMWRITE:
	case RW_RANDTRIMWRITE:
		/* fio's trimwrite: a trim, then a write of the same blocks. */
		return j->tw_write_next ? DDIR_WRITE : DDIR_TRIM;
	default:
		return rng_next(&j->mix_rng) % 100 < j->spec->rwmixread ? DDIR_READ : DDIR_WRITE;
	}
}

enum { RATE_NONE, RATE_DRAIN, RATE_SLEEP };

/* When direction @d's next I/O is due under its rate limit, in ns from rate_start_ns. */
static u64 rate_due(const struct job *j, enum ddir d)
{
	const struct job_spec *s = j->spec;
	u64 due = 0;

	if (s->rate_poisson)
		return s->rate_bps[d] || s->rate_iops[d] ? j->poisson_due_ns[d] : 0;
	if (s->rate_bps[d])
		due = (u64)((unsigned __int128)j->issued_bytes[d] * NSEC_PER_SEC / s->rate_bps[d]);
	if (s->rate_iops[d])
		due = MAX(due, j->issued_ios[d] * NSEC_PER_SEC / s->rate_iops[d]);
	return due;
}

/*
 * fio's rate_ddir: whether a rate limit holds the job's next I/O back
 * now, and in which direction it goes (*@d). A mixed job whose drawn
 * direction is ahead of its rate takes the other if that one is behind,
 * or waits for whichever is due first. The wait is fio's: with the default
 * io_submit_mode=inline, what is in flight completes first (fio's
 * io_u_quiesce), and then the job sleeps as long as it was early; with
 * io_submit_mode=offload it sleeps at once, its I/O still in flight. The
 * direction chosen is kept through the wait, and the I/O goes when it
 * ends. The sleep is idle time (the loop halts, or polls in the idle loop
 * when it ends before the next tick); wake_ns says when it ends, 0 while
 * the queue drains.
 */
static bool rate_limited(struct job *j, enum ddir *d, u64 now)
{
	const struct job_spec *s = j->spec;
	u64 elapsed = ns_since(now, j->rate_start_ns), due, odue;
	enum ddir od = *d == DDIR_READ ? DDIR_WRITE : DDIR_READ;

	j->wake_busy = false;
	if (!j->rate_wait) {
		due = rate_due(j, *d);
		if (due <= elapsed)
			return false;
		/* A mixed job: the other direction may be behind its rate, or due sooner. */
		if ((s->rw == RW_READWRITE || s->rw == RW_RANDRW) &&
		    (od == DDIR_READ ? s->rwmixread : 100 - s->rwmixread)) {
			odue = rate_due(j, od);
			if (odue <= elapsed) {
				*d = od;
				return false;
			}
			if (odue < due) {
				*d = od;
				due = odue;
			}
		}
		j->rate_ddir = (u8)*d;
		j->rate_sleep_ns = due - elapsed;
		j->rate_wait = RATE_DRAIN;
	}
	*d = (enum ddir)j->rate_ddir;
	if (j->rate_wait == RATE_DRAIN) {
		/* inline: what is in flight completes first (offload: it need not) */
		if (!s->submit_offload && (j->in_flight || j->ready)) {
			j->wake_ns = 0;
			return true;
		}
		j->rate_wait = RATE_SLEEP;
		j->rate_until_ns = now + j->rate_sleep_ns;
	}
	if (now < j->rate_until_ns) {
		j->wake_ns = j->rate_until_ns;
		return true;
	}
	j->rate_wait = RATE_NONE; /* slept: the I/O goes */
	return false;
}

/*
 * fio's rate_process=poisson: the next I/O of direction @d may go an
 * exponentially distributed time after this one's turn, of mean 1/IOPS
 * (rate_iops, or rate over the smallest block), as fio's usec_for_io
 * draws it: -ln(U) times the mean, U uniform in (0, 1], here in fixed
 * point: -log2(U) = 64 - log2(r) for a 64-bit r, times ln 2.
 */
static void poisson_next(struct job *j, enum ddir d)
{
	const struct job_spec *s = j->spec;
	u64 mean_ns, r;
	u128 neg_log2;

	if (s->rate_iops[d])
		mean_ns = NSEC_PER_SEC / s->rate_iops[d];
	else if (s->rate_bps[d])
		mean_ns = (u64)((u128)job_dir_min_bs(s, d) * NSEC_PER_SEC / s->rate_bps[d]);
	else
		return;
	r = rng_next(&j->poisson_rng) | 1;
	neg_log2 = ((u128)64 << FIX_LOG_SHIFT) - fix_log2(r); /* Q56 */
	j->poisson_due_ns[d] +=
		(u64)(((u128)mean_ns * neg_log2 >> FIX_LOG_SHIFT) * FIX_LN2_Q62 >> 62);
}

/* The next unit of the region for a random job's I/O in direction @d. */
static u64 next_random_unit(struct job *j, enum ddir d)
{
	if (j->spec->dist != DIST_RANDOM)
		return dist_next(&j->dist, d) * j->align_units;
	if (j->spec->norandommap)
		return rng_next(&j->rng) % j->draw_units * j->align_units;
	return randmap_next(&j->map) * j->align_units;
}

static bool bitmap_test(const u8 *b, u64 i)
{
	return b[i / 8] & (1u << (i % 8));
}

/*
 * fio's random map with sizes that vary (bsrange, bssplit): the map is of
 * the smallest block, and an I/O may cover several. As fio does, an I/O is
 * cut short where it would reach a block this pass already covered, and
 * blocks already covered are not drawn again, so a pass writes every block
 * exactly once. cover_len gives the I/O's length from @unit; mark_covered
 * records it once the I/O is sure to go.
 */
static u32 cover_len(const struct job *j, u64 unit, u32 len)
{
	u64 n = len / j->unit, i;

	for (i = 0; i < n && unit + i < j->region_units; i++)
		if (bitmap_test(j->covered, unit + i))
			break;
	return (u32)(i * j->unit);
}

static void mark_covered(struct job *j, u64 unit, u32 len)
{
	for (u64 i = 0; i < len / j->unit; i++)
		j->covered[(unit + i) / 8] |= (u8)(1u << ((unit + i) % 8));
	j->covered_count += len / j->unit;
	if (j->covered_count >= j->region_units) {
		/* The pass is complete: the next one starts with nothing covered. */
		memset(j->covered, 0, DIV_ROUND_UP(j->region_units, 8));
		j->covered_count = 0;
	}
}

enum next_result { NEXT_IO, NEXT_WAIT, NEXT_NONE };

/*
 * Whether a sequential stream starts over at the region's start when it
 * runs off the end: when time based, or io_size was given (fio's
 * keep_running goes on to io_size; without it, a stream with holes that
 * ran off the end is done, short of size).
 */
static bool seq_wraps(const struct job *j)
{
	return j->spec->time_based || j->spec->io_size;
}

/*
 * Where direction @d's sequential stream goes next (bytes into the
 * region), or NO_OFFSET when it ran off the end and the pass is over.
 * Each direction has its stream, as fio's last_pos: rw=rw reads 0, 4k,
 * 8k ... and writes 0, 4k ... of their own. rw=read:8k leaves 8k holes
 * (fio adds the value to where the last I/O ended, and starts over past
 * the end); read:-8k goes backwards, from the end once the first I/O is
 * done. Pure: the stream moves on only once an I/O goes (job_next).
 */
static u64 seq_offset(const struct job *j, enum ddir d)
{
	s64 add = j->spec->seq_add;
	u64 pos = j->seq_pos[d], len = j->region_len;

	if (pos >= len) {
		if (!seq_wraps(j))
			return NO_OFFSET;
		pos = 0;
	}
	if (pos && add > 0)
		pos = (u64)add < len - pos ? pos + (u64)add : 0;
	else if (pos && add < 0)
		pos = (u64)-add <= pos ? pos - (u64)-add : (u64)-add < len ? len - (u64)-add : 0;
	return pos;
}

enum think_state { THINK_NONE, THINK_DRAIN, THINK_WAIT };

/*
 * fio's thinktime (its handle_thinktime): once thinktime_blocks more I/Os
 * have completed (or been issued) since the last wait, or thinktime_iotime
 * has passed, nothing more is issued until what is in flight completes;
 * then the job waits thinktime, busy for thinktime_spin of it and idle for
 * the rest (fio sleeps; the loop here halts, or polls in the idle loop
 * when the end is nearer than a tick). True while the job may not issue;
 * wake_ns then says when to look again.
 */
static bool thinking(struct job *j, u64 now)
{
	const struct job_spec *s = j->spec;
	u32 blocks = s->thinktime_blocks ? s->thinktime_blocks : s->thinktime_iotime_ns ? 0 : 1;
	u64 count = s->thinktime_issue ? j->issued_total : j->placed_done;

	switch ((enum think_state)j->think) {
	case THINK_NONE:
		if (!((s->thinktime_iotime_ns &&
		       ns_since(now, j->think_last_ns) >= s->thinktime_iotime_ns) ||
		      (blocks && count >= j->think_count + blocks)))
			return false;
		j->think = THINK_DRAIN;
		j->think_at_count = count;
		/* fallthrough */
	case THINK_DRAIN:
		j->wake_ns = 0;
		if (j->in_flight)
			return true;
		j->think = THINK_WAIT;
		j->think_spin_until = now + s->thinktime_spin_ns;
		j->think_until = now + s->thinktime_ns;
		/* fallthrough */
	case THINK_WAIT:
		if (now < j->think_until) {
			j->wake_busy = now < j->think_spin_until;
			j->wake_ns = j->wake_busy ? j->think_spin_until : j->think_until;
			return true;
		}
		j->think = THINK_NONE;
		j->think_count = j->think_at_count;
		j->think_last_ns = now;
		j->wake_ns = 0;
	}
	return false;
}

enum pick { PICK_RANDOM, PICK_NEXT, PICK_SAME };

/*
 * How a random job's I/O in direction @d is placed, as fio's
 * get_next_offset decides: with rw=randread:N a random offset every N I/Os
 * and between them the next block (rw_sequencer=sequential) or the same
 * one again (identical); with percentage_random=P, P percent of those
 * random picks random and the rest the next block.
 */
static enum pick random_pick(struct job *j, enum ddir d)
{
	const struct job_spec *s = j->spec;

	if (s->seq_nr > 1) {
		if (--j->seq_left)
			return s->rw_seq_identical ? PICK_SAME : PICK_NEXT;
		j->seq_left = s->seq_nr;
	}
	if (s->perc_random[d] < 100 && rng_next(&j->seq_rng) % 100 >= s->perc_random[d])
		return PICK_NEXT;
	return PICK_RANDOM;
}

/*
 * Choose the next I/O for @u. NEXT_WAIT: not now (a limit, or its block is
 * being written), try again later; NEXT_NONE: this phase issues no more.
 */
static enum next_result job_next(struct job *j, struct io_u *u, u64 now)
{
	const struct job_spec *s = j->spec;
	enum pick pick;
	bool pending;
	enum ddir d;
	u64 off, unit;
	u32 len;

	if (j->stop || j->fail[0])
		return NEXT_NONE;
	u->flush = false;
	u->verify_read = false;
	u->verify_pass = false;
	u->counted = counting(j);
	if (j->state == JOB_VERIFY || j->verify_backlog_pass)
		switch (verify_next_read(j, u)) {
		case VERIFY_READ:
			return NEXT_IO;
		case VERIFY_WAIT:
			return NEXT_WAIT;
		default:
			return NEXT_NONE;
		}
	if (j->state != JOB_RUN && j->state != JOB_RAMP)
		return NEXT_NONE;

	/* fsync=N: after every N writes, a flush of the device's cache. */
	if (s->fsync && j->writes_since_sync >= s->fsync) {
		j->writes_since_sync = 0;
		u->flush = true;
		u->ddir = DDIR_WRITE;
		u->offset = 0;
		u->len = 0;
		return NEXT_IO;
	}
	/* verify_backlog=N: after N writes, read those back before writing more. */
	if (s->verify_backlog && j->backlog_len >= s->verify_backlog) {
		j->verify_backlog_pass = true;
		j->backlog_pos = 0;
		return NEXT_WAIT; /* the writes in flight land first */
	}
	if (j->loop_bytes_target && j->loop_issued_bytes >= j->loop_bytes_target)
		return NEXT_NONE;
	if (unlikely(j->paced)) {
		if (s->thinktime_ns && thinking(j, now))
			return NEXT_WAIT;
		/* fio's number_ios: at most this many I/Os over all the loops. */
		if (s->number_ios && j->issued_total >= s->number_ios * s->loops) {
			j->pass_over = true;
			return NEXT_NONE;
		}
	}

	/* An offset held back (its block was busy) keeps its direction and how it was drawn. */
	pending = j->pending_off != NO_OFFSET;
	d = pending ? (enum ddir)j->pending_ddir : next_ddir(j);
	j->wake_ns = 0;
	/* (A held-back offset passed its rate check when it was drawn.) */
	if (j->rate_on && !pending && rate_limited(j, &d, now))
		return NEXT_WAIT;
	/* trimwrite: the write is as long as the trim before it (and goes where it went, below). */
	len = rw_trimwrite(s->rw) && d == DDIR_WRITE ? j->trimmed_len : next_bs(j, d);

	if (pending) {
		off = j->pending_off;
		pick = j->pending_pick;
		j->pending_off = NO_OFFSET;
	} else if (rw_trimwrite(s->rw) && d == DDIR_WRITE) {
		/*
		 * fio's trimwrite and randtrimwrite: the write goes where the
		 * trim before it went, as long (above). (fio 3.33 gives a sequential
		 * trimwrite's writes a stream of their own, which is the same
		 * blocks only when every I/O has the same size; with bsrange or
		 * bssplit its writes drift off its trims.)
		 */
		pick = PICK_SAME;
		off = j->last_start[DDIR_TRIM];
	} else if (rw_is_random(s->rw)) {
		pick = j->plain_random ? PICK_RANDOM : random_pick(j, d);
		if (pick == PICK_SAME)
			off = j->last_start[d];
		else if (pick == PICK_NEXT && (off = seq_offset(j, d)) == NO_OFFSET)
			pick = PICK_RANDOM; /* fio: past the end, a random block instead */
		if (pick == PICK_RANDOM) {
			unit = next_random_unit(j, d);
			while (j->covered && bitmap_test(j->covered, unit))
				unit = next_random_unit(j, d);
			off = unit * j->unit;
		}
	} else {
		pick = PICK_NEXT;
		off = seq_offset(j, d);
		if (off == NO_OFFSET) {
			j->pass_over = true; /* with holes, before io_size is reached */
			return NEXT_NONE;
		}
	}
	if (pick == PICK_RANDOM && j->covered)
		len = cover_len(j, off / j->unit, len);
	len = (u32)MIN((u64)len, j->region_len - off);
	/* A verified block being written now: its next use waits for that write. */
	if (j->gen_map && verify_unit_busy(j, off, len)) {
		j->pending_off = off;
		j->pending_ddir = (u8)d;
		j->pending_pick = (u8)pick;
		return NEXT_WAIT;
	}
	if (pick == PICK_RANDOM && j->covered)
		mark_covered(j, off / j->unit, len);
	j->seq_pos[d] = off + len;
	j->last_start[d] = off;
	j->issued_total++;
	if (rw_trimwrite(s->rw)) {
		j->tw_write_next = d == DDIR_TRIM;
		if (d == DDIR_TRIM)
			j->trimmed_len = len;
	}

	u->ddir = (u8)d;
	u->offset = j->region_start + off;
	u->len = len;
	if (d == DDIR_READ && s->verify)
		u->verify_read = verify_read_wanted(j, off, len);
	if (d == DDIR_WRITE)
		j->writes_since_sync++;
	/* A trimwrite job's size is what it writes (fio's io_bytes_exceeded of a writer). */
	if (d == DDIR_WRITE || !rw_trimwrite(s->rw))
		j->loop_issued_bytes += len;
	if (u->counted) {
		j->issued_ios[d]++;
		j->issued_bytes[d] += len;
	}
	if (unlikely(s->rate_poisson))
		poisson_next(j, d);
	return NEXT_IO;
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
	if (u->flush)
		return REQ_OP_FLUSH;
	if (u->ddir == DDIR_READ)
		return REQ_OP_READ;
	if (u->ddir == DDIR_WRITE)
		return REQ_OP_WRITE;
	return j->spec->rw == RW_WRITEZEROES ? REQ_OP_WRITE_ZEROES : REQ_OP_DISCARD;
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
	bool dataless = op == REQ_OP_DISCARD || op == REQ_OP_WRITE_ZEROES || op == REQ_OP_FLUSH;
	u32 done = 0;

	u->pending_bios = 1; /* held until every bio is submitted */
	do {
		u32 left = u->len - done;
		unsigned pages = dataless ? 0 : DIV_ROUND_UP(left, PAGE_SIZE);
		struct bio *bio = bio_alloc(MIN(pages, (unsigned)BIO_MAX_VECS));

		bio->bi_disk = j->disk;
		bio->bi_sector = (u->offset + done) >> SECTOR_SHIFT;
		bio->bi_rw = op | (j->spec->hipri ? REQ_HIPRI : 0);
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
				if (!u->error)
					u->error = -EINVAL;
				job_failf(j, "bio_add_page refused a %lu-byte segment", PAGE_SIZE);
				break;
			}
		}
		u->pending_bios++;
		submit_bio(bio);
	} while (done < u->len);
	u->issue_ns = ktime_get_ns();
	if (--u->pending_bios == 0)
		io_u_complete(u);
}

static void raw_done(struct virtblk_req *vbr, int error)
{
	struct io_u *u = vbr->done_data;

	u->error = error;
	io_u_complete(u);
}

/* One unit of a path=raw job onto its ring: -ENOSPC when the ring is full. */
static int raw_submit(struct job *j, struct io_u *u)
{
	u32 type = u->flush		   ? VIRTIO_BLK_T_FLUSH
		   : u->ddir == DDIR_WRITE ? VIRTIO_BLK_T_OUT
					   : VIRTIO_BLK_T_IN;

	return virtblk_raw_submit(j->raw, u->vbr, type, u->offset >> SECTOR_SHIFT, u->buf, u->len);
}

/*
 * Whether some of the job's I/O is on the ring, besides @extra units
 * in flight but not on it: a full ring then makes room as it completes.
 * With none there, the ring cannot take the unit at all (a ring smaller
 * than one request without indirect descriptors): an error, not a wait.
 */
static bool raw_ring_busy(const struct job *j, unsigned extra)
{
	return j->in_flight > j->raw_parked_n + extra;
}

/*
 * Parked units onto the ring, oldest first, as far as it has room. Called
 * as completions arrive; a unit that fails here completes with its error,
 * whose completion does not come back in (raw_unparking).
 */
static void raw_unpark(struct job *j)
{
	if (j->raw_unparking)
		return;
	j->raw_unparking = true;
	while (j->raw_parked_n) {
		struct io_u *u = list_first_entry(&j->raw_parked, struct io_u, list);
		int err = raw_submit(j, u);

		if (err == -ENOSPC && raw_ring_busy(j, 0))
			break;
		list_del_init(&u->list);
		j->raw_parked_n--;
		u->issue_ns = ktime_get_ns();
		if (err) {
			u->error = err;
			io_u_complete(u);
		}
	}
	j->raw_unparking = false;
}

static void io_u_start(struct job *j, struct io_u *u, u64 now)
{
	u->error = 0;
	if (!u->flush)
		verify_io_start(j, u);
	if (u->flush && j->spec->flush_trace)
		flush_trace(j, u);
	u->flushes_done = j->ftrace_flushes_done;
	/* The time the job chose this I/O: one clock read serves a whole burst. */
	u->start_ns = now;
	u->issue_ns = now;
	u->busy = true;
	j->in_flight++;
	if (j->raw) {
		/* Behind units already waiting for room, in order. */
		int err = j->raw_parked_n ? -ENOSPC : raw_submit(j, u);

		u->issue_ns = ktime_get_ns();
		if (err == -ENOSPC && raw_ring_busy(j, 1)) {
			list_add_tail(&u->list, &j->raw_parked);
			j->raw_parked_n++;
			return;
		}
		if (err) {
			u->error = err;
			io_u_complete(u);
		}
		return;
	}
	io_u_submit_bios(j, u);
}

/* fio's io_u_map: the depth a submission leaves, 1, 2-3, 4-7, ... >= 64. */
static unsigned depth_bucket(unsigned depth)
{
	return depth < 2 ? 0 : MIN(31u - (unsigned)__builtin_clz(depth), DEPTH_NR - 1u);
}

/* fio's submit and complete maps: I/Os per call, 0, 1-4, 5-8, 9-16, 17-32, 33-64, > 64. */
unsigned batch_bucket(unsigned n)
{
	if (n <= 4)
		return n ? 1 : 0;
	return MIN(31u - (unsigned)__builtin_clz(n - 1), DEPTH_NR - 1u);
}

/*
 * @n units issued since the last submission go out: the block paths' plug
 * is flushed (and a new one started when @plug is given: more follow), a
 * raw job's doorbell rung (refills from inside its poll go out with the
 * loop's next kick). fio's submit map counts submissions by size, its
 * depth map their I/Os by the depth they leave (completed units not yet
 * reaped count, as in fio's cur_depth).
 */
static inline void submitted(struct job *j, struct blk_plug *plug, unsigned n, bool from_completion)
{
	if (!n)
		return;
	if (!j->raw) {
		if (plug) {
			blk_finish_plug(plug);
			blk_start_plug(plug);
		}
	} else if (!from_completion) {
		virtblk_raw_kick(j->raw);
	}
	/* fio marks a submission's I/Os at the depth it leaves (td_io_commit). */
	if (counting(j)) {
		j->st.submit_map[batch_bucket(n)]++;
		j->st.total_submit++;
		j->st.depth_map[depth_bucket(j->in_flight + j->ready)] += n;
	}
}

/* A search step, as fio's --debug=rate tells it, on the console (a bounded number of them). */
static void lat_show(struct job *j, enum lat_step step, u32 from, u64 n, u64 failed)
{
	const struct job_spec *s = j->spec;
	u64 within = n ? (n - MIN(failed, n)) * 10000 / n : 0;

	if (step == LAT_FATAL || step == LAT_NONE)
		return;
	if (++j->lat_lines > 64) {
		if (j->lat_lines == 65)
			printk("%s: latency target: further steps not shown\n", j->name);
		return;
	}
	printk("%s: latency target: %lu.%02lu%% of %lu I/Os within %lu us at depth %u: %s%u%s\n",
	       j->name, within / 100, within % 100, n, s->latency_target_ns / NSEC_PER_USEC, from,
	       step == LAT_DONE ? "done, depth " : "depth ", j->lat.qd,
	       step == LAT_FINAL ? " found, a final window there" : "");
}

/*
 * fio's checks of a completed I/O's latency: max_latency fails the job
 * (ETIMEDOUT); over latency_target, the search counts a failure, or with
 * latency_percentile=100 steps down at once (and at depth 1 fails the
 * job, as fio's lat_fatal). As in fio, an I/O that completes while the
 * queue drains for such a step is judged too, and may step down again.
 */
static void lat_account(struct job *j, struct io_u *u, u64 now)
{
	const struct job_spec *s = j->spec;
	u64 lat = ns_since(now, u->start_ns), max = s->max_latency_ns[u->ddir];
	enum lat_step step;
	u32 qd = j->lat.qd;

	j->lat_ios++;
	/* fio judges latencies it measures: none with disable_lat (gtod_reduce). */
	if (j->fail[0] || s->disable_lat)
		return;
	if (max && lat > max) {
		job_failf(j, "latency of %lu us exceeds max_latency (%lu us): %s at sector %lu",
			  lat / NSEC_PER_USEC, max / NSEC_PER_USEC, ddir_names[u->ddir],
			  u->offset >> SECTOR_SHIFT);
		j->error = ETIMEDOUT;
		j->stop = true;
		return;
	}
	if (!j->lat_on || lat <= s->latency_target_ns)
		return;
	step = lat_target_over(&j->lat, s->latency_pct);
	if (step == LAT_FATAL) {
		job_failf(j, "latency of %lu us exceeds latency_target (%lu us) at depth 1",
			  lat / NSEC_PER_USEC, s->latency_target_ns / NSEC_PER_USEC);
		j->error = ETIMEDOUT;
		j->stop = true;
	} else if (step == LAT_DOWN) {
		lat_show(j, step, qd, j->lat_ios - j->lat.cycle_ios, j->lat.failed + 1);
		j->lat_wait = LAT_DOWN;
	}
}

/* A completed I/O into the statistics, the logs and the latency checks. */
static void io_u_account(struct job *j, struct io_u *u, u64 now)
{
	if (!u->counted)
		return;
	stats_account(j, u, now);
	if (!u->flush) {
		iolog_add(j, u, now);
		if (j->lat_check)
			lat_account(j, u, now);
	}
}

/*
 * fio's getevents for @n of the job's ready units, oldest first: they are
 * counted now (fio takes a completion's time when it reaps it, so a wait
 * for iodepth_batch_complete_min others is in its latency) and freed.
 */
static void reap_units(struct job *j, unsigned n, u64 now)
{
	if (!n)
		return;
	if (counting(j)) {
		j->st.complete_map[batch_bucket(n)]++;
		j->st.total_complete++;
	}
	j->ready -= n;
	while (n--) {
		struct io_u *u = list_first_entry(&j->ready_units, struct io_u, list);

		list_del(&u->list);
		io_u_account(j, u, now);
		list_add(&u->list, &j->free_units);
	}
}

/* fio's io_u_quiesce: everything completed is reaped, as many a call as one may take. */
static void reap_all(struct job *j, u64 now)
{
	unsigned most = MAX(j->spec->iodepth_batch_complete_max, 1u);

	while (j->ready)
		reap_units(j, MIN(j->ready, most), now);
}

/*
 * fio's wait_for_completions on a full queue: getevents, each call taking
 * at least iodepth_batch_complete_min (or all there are, if fewer are
 * queued) and at most iodepth_batch_complete_max of what has completed,
 * until no more than iodepth_low are queued. False while the reap waits
 * for completions; then nothing may be issued.
 */
static bool reap(struct job *j, u64 now)
{
	const struct job_spec *s = j->spec;

	while (j->reaping) {
		unsigned depth = j->in_flight + j->ready; /* fio's cur_depth */
		unsigned need = MIN(MAX(s->iodepth_batch_complete_min, 1u), depth);
		unsigned most = MAX(MIN(s->iodepth_batch_complete_max, depth), need);

		if (j->ready < need)
			return false;
		reap_units(j, MIN(j->ready, most), now);
		if (j->in_flight + j->ready <= s->iodepth_low)
			j->reaping = false;
	}
	return true;
}

/* fio's queue_full under a latency target: the search holds the depth below iodepth. */
static bool lat_held(const struct job *j)
{
	return j->lat_on && j->in_flight + j->ready >= j->lat.qd;
}

/*
 * The queue has drained for a step of the latency target's search: what
 * completed meanwhile is reaped (and judged), the statistics start afresh
 * for the final window, and a window starts now.
 */
static void lat_drained(struct job *j, u64 now)
{
	reap_all(j, now);
	j->reaping = false;
	if (j->lat_wait == LAT_FINAL)
		stats_restart(j, now);
	lat_target_cycle(&j->lat, j->lat_ios, now);
	j->lat_wait = LAT_NONE;
}

/* The search's verdict on its window, once one has passed (fio's lat_target_check). */
static void lat_tick(struct job *j, u64 now)
{
	const struct job_spec *s = j->spec;
	u64 n = j->lat_ios - j->lat.cycle_ios, failed = j->lat.failed;
	u32 qd = j->lat.qd;
	enum lat_step step = lat_target_check(&j->lat, s->latency_window_ns, s->latency_pct,
					      s->latency_run, j->lat_ios, now);

	lat_show(j, step, qd, n, failed);
	switch (step) {
	case LAT_UP:
		lat_target_cycle(&j->lat, j->lat_ios, now);
		break;
	case LAT_DOWN:
	case LAT_FINAL:
		j->lat_wait = step;
		break;
	case LAT_DONE:
		j->stop = true;
		j->state = JOB_DRAIN;
		break;
	default:
		break;
	}
}

/*
 * Issue as many units as the job may now. Called from the loop and from
 * completions (softirq, or the raw poll), so the depth is kept without a
 * round trip. A raw job's doorbell rings once per poll of the loop, not
 * once per refill: what completions refill goes out with the next kick.
 */
static void job_fill_ex(struct job *j, bool from_completion)
{
	struct blk_plug plug;
	unsigned issued = 0, batch = 0;
	bool idle = false;
	u64 now = ktime_get_ns(), ended = j->ios_ended;

	/*
	 * No fill from inside a fill of this job: a unit that ends at once (a
	 * broken device) completes within its own submission, and a fill per
	 * unit would nest. Nor from inside a submission on this CPU: a
	 * submission may wait (blk-mq with every tag taken, a request pool run
	 * dry) and the wait runs softirqs, whose completions would refill
	 * from in there: a fill nested per waiting submission (at
	 * queue_depth=1, every one: the stack overflowed), and bios joining
	 * the waiting submission's generic_make_request loop, which a busy
	 * job could keep from ever ending, and with it the job loop that
	 * checks every job's clock. The fill running, or the job loop, takes
	 * the units such completions free.
	 */
	if (j->filling || blk_submitting())
		return;
	/* A step of the latency target's search waits for the queue to drain. */
	if (j->lat_wait) {
		if (from_completion || j->in_flight)
			return;
		lat_drained(j, now);
	}
	/* A shaped queue is reaped and refilled by the job's loop, as fio's thread does. */
	if (j->shaped && (from_completion || !reap(j, now)))
		return;
	j->filling = true;
	if (!j->raw)
		blk_start_plug(&plug);
	while (!list_empty(&j->free_units)) {
		struct io_u *u = list_first_entry(&j->free_units, struct io_u, list);
		enum next_result r;

		/*
		 * One pass over the depth a call: units freed by completions
		 * inside this fill's submissions go out on the loop's next
		 * round, after it has looked at every job's clock (a fill that
		 * waits for each I/O, blk-mq at one tag, would otherwise keep
		 * its CPU, and another job's runtime would never end).
		 */
		if (issued == j->spec->iodepth)
			break;
		if (lat_held(j))
			break;
		/* Completions inside the last submission: time has moved on. */
		if (j->ios_ended != ended) {
			ended = j->ios_ended;
			now = ktime_get_ns();
		}
		r = job_next(j, u, now);
		if (r != NEXT_IO) {
			idle = true;
			break;
		}
		list_del_init(&u->list);
		io_u_start(j, u, now);
		issued++;
		/* fio's iodepth_batch_submit: this many go out together. */
		if (++batch == j->spec->iodepth_batch && !list_empty(&j->free_units)) {
			submitted(j, &plug, batch, from_completion);
			batch = 0;
		}
	}
	j->filling = false;
	submitted(j, NULL, batch, from_completion);
	if (!j->raw)
		blk_finish_plug(&plug);
	if (!j->shaped)
		return;
	/*
	 * Full: fio reaps (above, from the loop's next look). With nothing it
	 * may issue now (a think time, a rate limit, the end), fio quiesces:
	 * whatever has completed is reaped, as many as a call may take at a
	 * time.
	 */
	if (list_empty(&j->free_units) || lat_held(j)) {
		j->reaping = true;
	} else if (idle) {
		reap_all(j, ktime_get_ns());
	}
}

static void job_fill(struct job *j)
{
	job_fill_ex(j, false);
}

u64 engine_first_completion_tsc;

static void io_u_complete(struct io_u *u)
{
	struct job *j = u->job;
	u64 now = ktime_get_ns();

	if (!engine_first_completion_tsc) {
		u64 none = 0;

		/* Jobs on several CPUs: the first to get here sets it. */
		if (__atomic_compare_exchange_n(&engine_first_completion_tsc, &none, rdtsc(), false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			boot_phase("first I/O");
			/*
			 * The boot's lines, held back so that this I/O did not
			 * wait for them (kernel/console.c), go out now, live
			 * for whoever watches the console: the first job pays
			 * for them once, a few milliseconds.
			 */
			printk_flush();
		}
	}
	j->last_progress_ns = now;
	watchdog_touch(now);
	if (u->error) {
		j->st.errors++;
		if (j->st.errors <= MAX_ERRORS_REPORTED)
			printk("%s: %s error on %s at sector %lu (%u bytes): %s\n", j->name,
			       u->flush		       ? "flush"
			       : u->ddir == DDIR_WRITE ? "write"
			       : u->ddir == DDIR_TRIM  ? "trim"
						       : "read",
			       j->spec->filename, u->offset >> SECTOR_SHIFT, u->len,
			       errno_name(u->error));
		if (!j->error)
			j->error = -u->error;
		if (!j->spec->continue_on_error) {
			job_failf(j, "%s error on %s at sector %lu: %s",
				  u->flush		  ? "flush"
				  : u->ddir == DDIR_WRITE ? "write"
							  : "read",
				  j->spec->filename, u->offset >> SECTOR_SHIFT,
				  errno_name(u->error));
			j->stop = true;
		}
	}
	if (!u->flush)
		verify_io_done(j, u);
	if (!u->flush && !u->verify_pass)
		j->placed_done++;
	if (u->flush && !u->error)
		j->ftrace_flushes_done++;
	if (!u->flush && u->ddir == DDIR_WRITE && !u->error && j->spec->flush_trace)
		flush_trace(j, u);
	if (u->verify_read && !u->error)
		verify_check_read(j, u);
	if (j->shaped) {
		/* Done on the device; the job's loop reaps it (reap_units). */
		list_add_tail(&u->list, &j->ready_units);
		j->ready++;
	} else {
		io_u_account(j, u, now);
		list_add(&u->list, &j->free_units);
	}
	u->busy = false;
	j->in_flight--;
	j->ios_ended++;
	if (j->raw_parked_n)
		raw_unpark(j);
	if (!j->stop)
		job_fill_ex(j, true);
}

/* ------------------------------------------------------------------------- */

static void progress(struct job *j, u64 now)
{
	u64 dt = ns_since(now, j->start_ns);
	u64 ios = 0;

	for (int d = 0; d < DDIR_NR; d++)
		ios += j->st.dir[d].ios;
	printk("%s: %lu.%lus %s ios=%lu iops=%lu%s\n", j->name, dt / NSEC_PER_SEC,
	       dt / (NSEC_PER_SEC / 10) % 10,
	       j->state == JOB_VERIFY ? "verify"
	       : j->state == JOB_RAMP ? "ramp"
				      : rw_names[j->spec->rw],
	       ios, (ios - j->progress_ios) * NSEC_PER_SEC / PROGRESS_INTERVAL_NS,
	       j->st.errors ? " (errors)" : "");
	j->progress_ios = ios;
	j->progress_next_ns += PROGRESS_INTERVAL_NS;
}

/*
 * fio's check_min_rate: two seconds after the job began, and then every
 * ratecycle, a direction whose bandwidth (rate_min) or IOPS
 * (rate_iops_min) since the last look is below the minimum fails the job
 * (EIO). As in fio, a direction that has moved nothing is not judged, and
 * the first look only takes the counts.
 */
static void check_min_rate(struct job *j, u64 now)
{
	const struct job_spec *s = j->spec;

	if (ns_since(now, j->start_ns) < 2 * NSEC_PER_SEC)
		return;
	for (int d = 0; d < DDIR_NR; d++) {
		u64 bytes = j->st.dir[d].bytes - (d == DDIR_READ ? j->st.vpass_bytes : 0);
		u64 ios = j->st.dir[d].ios - (d == DDIR_READ ? j->st.vpass_ios : 0);
		u64 ms;

		if (!s->rate_min_bps[d] && !s->rate_iops_min[d])
			continue;
		if (j->min_rate_bytes[d] || j->min_rate_ios[d]) {
			ms = ns_since(now, j->min_rate_ns[d]) / NSEC_PER_MSEC;
			if (!ms || ms < s->ratecycle_ms)
				continue;
			bool by_bytes = s->rate_min_bps[d];
			u64 got = (by_bytes ? bytes - j->min_rate_bytes[d]
					    : ios - j->min_rate_ios[d]) *
				  1000 / ms;
			u64 min = by_bytes ? s->rate_min_bps[d] : s->rate_iops_min[d];

			if (got < min) {
				job_failf(j,
					  by_bytes ? "%s rate_min=%luB/s not met, got %luB/s"
						   : "%s rate_iops_min=%lu not met, got %lu IOPS",
					  ddir_names[d], min, got);
				j->error = EIO;
				j->stop = true;
				j->state = JOB_DRAIN;
				return;
			}
		}
		j->min_rate_bytes[d] = bytes;
		j->min_rate_ios[d] = ios;
		j->min_rate_ns[d] = now;
	}
}

/* The time limits and the phase changes that time brings. */
static void job_tick(struct job *j, u64 now)
{
	const struct job_spec *s = j->spec;

	if (now >= j->progress_next_ns)
		progress(j, now);
	if (j->state == JOB_RAMP && ns_since(now, j->start_ns) >= s->ramp_ns) {
		j->state = JOB_RUN;
		stats_begin_counting(j, now);
		if (s->runtime_ns)
			j->deadline_ns = now + s->runtime_ns;
	}
	if (counting(j)) {
		stats_tick(j, now);
		if (s->ss)
			ss_tick(j, now);
		iolog_tick(j, now, false);
	}
	if (j->lat_on && j->state == JOB_RUN && !j->lat_wait && !j->stop)
		lat_tick(j, now);
	if (j->min_rate && j->state == JOB_RUN && !j->stop)
		check_min_rate(j, now);
	if (j->deadline_ns && now >= j->deadline_ns && !j->stop) {
		/* fio: runtime ends the job, time based or not, verify phase included. */
		j->stop = true;
		if (j->state == JOB_RUN)
			j->state = JOB_DRAIN;
	}
	if (j->ss_attained && !j->stop) {
		printk("%s: steady state reached\n", j->name);
		j->stop = true;
		j->state = JOB_DRAIN;
	}
}

/* Start the next loop, or the verify phase, or finish. */
static void job_phase_end(struct job *j, u64 now)
{
	const struct job_spec *s = j->spec;

	if (j->verify_backlog_pass) {
		/* The backlog was read back; write on. */
		j->verify_backlog_pass = false;
		j->backlog_len = 0;
		return;
	}
	reap_all(j, now); /* (the loop's fill has reaped them, this is to be sure) */
	j->reaping = false;
	if (j->state == JOB_RUN || j->state == JOB_RAMP)
		j->state = JOB_DRAIN;
	if (j->state == JOB_DRAIN && j->gen_map && !j->stop && !j->fail[0]) {
		/* fio's do_verify: read back everything written, once the writes are done. */
		j->state = JOB_VERIFY;
		j->verify_next = 0;
		printk("%s: verifying what loop %u wrote\n", j->name, j->loop + 1);
		return;
	}
	if ((j->state == JOB_DRAIN || j->state == JOB_VERIFY) && !j->stop && !j->fail[0] &&
	    j->loop + 1 < s->loops) {
		j->loop++;
		j->state = JOB_RUN;
		j->loop_issued_bytes = 0;
		j->pass_over = false;
		memset(j->seq_pos, 0, sizeof(j->seq_pos));
		memset(j->last_start, 0, sizeof(j->last_start));
		j->tw_write_next = false;
		randmap_init(&j->map, j->draw_units, seed_state(s->seed, j->clone) + j->loop);
		return;
	}
	j->state = JOB_DONE;
	j->end_ns = now;
	stats_finish(j, now);
	iolog_tick(j, now, true);
}

/*
 * One step of the loop when a job has nothing it may issue now: let its
 * I/O progress. Completions arrive through softirqs (block paths) or by
 * polling the ring (path=raw).
 */
static void wait_step(struct job **jobs, unsigned n, u64 now, u64 next_wake, bool awake)
{
	bool raw = false, hipri = false, polling = false;

	for (unsigned i = 0; i < n; i++) {
		struct job *j = jobs[i];
		if (j->state == JOB_DONE || j->state == JOB_SETUP || !j->raw)
			continue; /* done, or not begun (its startdelay) */
		raw = true;
		virtblk_raw_poll(j->raw);
		virtblk_raw_kick(j->raw);
		if (j->raw->broken && j->in_flight) {
			job_failf(j, "%s is broken", j->raw->name);
			j->stop = true;
		}
	}
	if (raw) {
		/*
		 * A raw job spins: it owns its CPU, as SPDK's poller does, and
		 * the loop neither polls nor halts. The other jobs' rings that
		 * virtblk_done handed to this CPU's poller (one that re-armed
		 * them just before, at the end of the previous phase, say) get
		 * their interrupts back here, or they would wait for the
		 * driver's stall check. A ring with its interrupts costs nothing.
		 */
		for (unsigned i = 0; i < n; i++) {
			struct job *j = jobs[i];
			if (j->state != JOB_DONE && !j->raw && j->in_flight)
				disk_poll(j->disk, false, false);
		}
		return;
	}
	if (do_softirq()) {
		for (unsigned i = 0; i < n; i++)
			jobs[i]->last_activity_ns = now;
		return;
	}
	/*
	 * fio's hipri: completions are polled for, never waited on (on a disk
	 * with poll queues there is no interrupt to wait for), once a step and
	 * only where the job's I/O went: its CPU's poll queue.
	 */
	for (unsigned i = 0; i < n; i++) {
		struct job *j = jobs[i];
		if (j->state != JOB_DONE && j->spec->hipri && j->in_flight) {
			disk_poll(j->disk, true, true);
			hipri = true;
		}
	}
	/*
	 * Hybrid polling: for a short window after the last completion, reap
	 * the device's rings instead of halting and waiting for its interrupt
	 * (under emulation, delivering one costs far more than a few polls).
	 * Then re-arm interrupts and halt. A hipri job has just polled. The
	 * window runs from the last completion however it arrived: one that
	 * an interrupt delivered (its softirq ran on the way out of the
	 * handler) counts too, or a job fed by interrupts would halt after
	 * every batch and wait for the next interrupt to wake it.
	 */
	for (unsigned i = 0; i < n; i++) {
		struct job *j = jobs[i];
		if (j->state == JOB_DONE || !j->poll_ns || !j->in_flight || j->spec->hipri)
			continue;
		if (ns_since(now, MAX(j->last_activity_ns, j->last_progress_ns)) < j->poll_ns) {
			if (disk_poll(j->disk, false, true))
				j->last_activity_ns = now;
			polling = true;
		}
	}
	if (polling)
		return;
	/*
	 * Past every window: the rings a hybrid poller held get their
	 * interrupts back (reaping what came meanwhile). This is done while a
	 * hipri job spins too: its polls look only at its poll queue, and a
	 * ring virtblk_done handed to this CPU's poller would otherwise wait
	 * with callbacks off for the driver's stall check, 20 ms a time.
	 */
	for (unsigned i = 0; i < n; i++) {
		struct job *j = jobs[i];
		if (j->poll_ns && j->state != JOB_DONE && !(j->spec->hipri && j->in_flight) &&
		    disk_poll(j->disk, false, false))
			return;
	}
	if (hipri)
		return;
	/* A rate limit that lifts, or a think's spin that ends, before the next tick: awake. */
	if (awake && next_wake && next_wake - now < NSEC_PER_SEC / HZ) {
		cpu_relax();
		return;
	}
	cpu_idle_until(next_wake);
}

/*
 * The in-guest watchdog: a job that makes no progress for watchdog=S
 * seconds ends the run, naming its disk, path and oldest request, so a
 * broken device shows up as a clear failure, not as a host-side timeout.
 */
static struct io_u *oldest_in_flight(struct job *j)
{
	struct io_u *oldest = NULL;

	for (unsigned i = 0; j->units && i < j->spec->iodepth; i++)
		if (j->units[i].busy && (!oldest || j->units[i].start_ns < oldest->start_ns))
			oldest = &j->units[i];
	return oldest;
}

__noreturn void job_watchdog_fire(struct job *j, u64 now)
{
	struct io_u *u = oldest_in_flight(j);
	const char *path = job_path_name(j);
	struct virtio_blk *vblk = virtio_blk_find(j->spec->filename);

	/* Where the I/O waits: the request queue or blk-mq's contexts, the device's rings. */
	if (j->disk && j->disk->queue)
		blk_dump_queue(j->disk->queue);
	if (vblk)
		virtblk_dump(vblk);

	if (u)
		kernel_exit_fail("watchdog: %s made no progress for %u s on %s (path %s); oldest "
				 "request in flight: %s at sector %lu, %u bytes, for %lu ms",
				 j->name, j->spec->watchdog_s, j->spec->filename, path,
				 u->flush ? "flush" : ddir_names[u->ddir],
				 u->offset >> SECTOR_SHIFT, u->len,
				 ns_since(now, u->start_ns) / NSEC_PER_MSEC);
	kernel_exit_fail("watchdog: %s made no progress for %u s on %s (path %s), nothing in "
			 "flight",
			 j->name, j->spec->watchdog_s, j->spec->filename, path);
}

/* The timer interrupt's backstop, for a CPU that never gets back to the loop. */
static struct job **watched_jobs;
static unsigned nwatched;

static void watchdog_expired(void *unused)
{
	u64 now = ktime_get_ns();
	struct job *stalest = NULL;

	for (unsigned i = 0; i < nwatched; i++) {
		struct job *j = watched_jobs[i];
		if (j->state == JOB_DONE || !j->in_flight)
			continue;
		if (!stalest || j->last_progress_ns < stalest->last_progress_ns)
			stalest = j;
	}
	if (stalest)
		job_watchdog_fire(stalest, now);
	kernel_exit_fail("watchdog: no job made progress, and none has I/O in flight");
}

static void arm_watchdog(struct job **jobs, unsigned n)
{
	u32 s = 0;

	for (unsigned i = 0; i < n; i++)
		if (jobs[i]->spec->watchdog_s && (!s || jobs[i]->spec->watchdog_s < s))
			s = jobs[i]->spec->watchdog_s;
	watched_jobs = jobs;
	nwatched = n;
	if (s)
		watchdog_arm((u64)s * NSEC_PER_SEC, watchdog_expired, NULL);
}

void engine_watch(struct job **jobs, unsigned n)
{
	arm_watchdog(jobs, n);
}

void engine_unwatch(void)
{
	watchdog_disarm();
	nwatched = 0;
}

int engine_run(struct job **jobs, unsigned n)
{
	int err;

	engine_watch(jobs, n);
	err = engine_run_set(jobs, n);
	engine_unwatch();
	return err;
}

/* A job's start: its clocks, and ramp or counting. */
static void job_begin(struct job *j, u64 now)
{
	const struct job_spec *s = j->spec;

	char delayed[48] = "";

	if (j->delay_from_ns)
		ksnprintf(delayed, sizeof(delayed), ", after a start delay of %lu ms",
			  ns_since(now, j->delay_from_ns) / NSEC_PER_MSEC);
	printk("%s: starting %s on %s, bs %u, iodepth %u%s%s%s, CPU %u%s\n", j->name,
	       rw_names[s->rw], s->filename,
	       s->bs[s->rw == RW_READ || s->rw == RW_RANDREAD ? 0 : 1], s->iodepth,
	       s->verify ? ", verify crc32c" : "", s->numjobs > 1 ? ", one of numjobs" : "",
	       s->hipri ? ", hipri (polled)" : "", smp_processor_id(), delayed);
	if (j->raw && virtblk_raw_begin(j->raw, s->hipri))
		job_failf(j, "%s is not usable", s->filename);
	j->start_ns = now;
	j->rate_start_ns = now;
	j->last_progress_ns = now;
	j->last_activity_ns = now;
	j->progress_next_ns = now + PROGRESS_INTERVAL_NS;
	j->poll_ns = (u64)s->poll_us * NSEC_PER_USEC;
	j->think_last_ns = now;
	lat_target_init(&j->lat, s->iodepth, j->lat_on, j->lat_ios, now);
	if (s->ramp_ns) {
		j->state = JOB_RAMP;
	} else {
		j->state = JOB_RUN;
		stats_begin_counting(j, now);
		if (s->runtime_ns)
			j->deadline_ns = now + s->runtime_ns;
	}
	if (j->fail[0])
		j->stop = true;
}

/*
 * fio's startdelay: the job begins that long after the others (a value
 * drawn from the range for each copy, with the job's seed); until then it
 * does nothing, and its clocks have not started.
 */
static u64 start_delay(const struct job *j)
{
	const struct job_spec *s = j->spec;
	u64 rng = seed_state(s->seed ^ 0x5d, j->clone), span;

	if (s->startdelay_max_ns <= s->startdelay_ns)
		return s->startdelay_ns;
	span = s->startdelay_max_ns - s->startdelay_ns + 1;
	return s->startdelay_ns + rng_next(&rng) % span;
}

int engine_run_set(struct job **jobs, unsigned n)
{
	u64 now = ktime_get_ns();

	for (unsigned i = 0; i < n; i++) {
		struct job *j = jobs[i];
		u64 delay = start_delay(j);

		if (delay && !j->fail[0]) {
			j->state = JOB_SETUP;
			j->delay_from_ns = now;
			j->wake_ns = now + delay;
			continue;
		}
		job_begin(j, now);
	}
	for (unsigned i = 0; i < n; i++)
		if (jobs[i]->state != JOB_SETUP)
			job_fill(jobs[i]);

	for (;;) {
		unsigned active = 0;
		u64 next_wake = 0;
		bool awake = false;

		now = ktime_get_ns();
		for (unsigned i = 0; i < n; i++) {
			struct job *j = jobs[i];

			if (j->state == JOB_DONE)
				continue;
			if (j->state == JOB_SETUP) {
				/* Waiting out its startdelay: a wait with an end, not a hang. */
				if (now < j->wake_ns) {
					active++;
					next_wake =
						next_wake ? MIN(next_wake, j->wake_ns) : j->wake_ns;
					watchdog_touch(now);
					continue;
				}
				j->wake_ns = 0;
				job_begin(j, now);
				job_fill(j);
			}
			job_tick(j, now);
			if (!j->in_flight) {
				/* Nothing in flight: the phase may be over, or a limit holds it. */
				job_fill(j);
				if (!j->in_flight) {
					bool limited =
						!j->stop && j->state != JOB_VERIFY &&
						!j->verify_backlog_pass && !j->pass_over &&
						(!j->loop_bytes_target ||
						 j->loop_issued_bytes < j->loop_bytes_target) &&
						(j->state == JOB_RUN || j->state == JOB_RAMP);
					if (!limited || j->fail[0]) {
						job_phase_end(j, now);
						if (j->state != JOB_DONE)
							job_fill(j);
					} else {
						/*
						 * A think time or a rate limit says when it
						 * ends, and idles (but for a think's spin);
						 * anything else is looked at again within half
						 * a tick, awake.
						 */
						u64 wake = j->wake_ns ? j->wake_ns
								      : now + NSEC_PER_SEC / HZ / 2;

						next_wake = next_wake ? MIN(next_wake, wake) : wake;
						awake |= !j->wake_ns || j->wake_busy;
						if (j->wake_ns)
							watchdog_touch(now); /* a timed wait */
					}
				}
			} else if (!j->stop) {
				job_fill(j);
			}
			if (j->state != JOB_DONE) {
				active++;
				if (j->spec->watchdog_s && j->in_flight &&
				    ns_since(now, j->last_progress_ns) >
					    (u64)j->spec->watchdog_s * NSEC_PER_SEC)
					job_watchdog_fire(j, now);
			}
		}
		if (!active)
			break;
		wait_step(jobs, n, now, next_wake, awake);
	}
	for (unsigned i = 0; i < n; i++) {
		struct job *j = jobs[i];
		if (j->raw)
			virtblk_raw_end(j->raw);
		if (j->poll_ns || j->spec->hipri)
			disk_poll(j->disk, false, false);
	}
	return 0;
}

/* ------------------------------------------------------------------------- */

/*
 * Data for writes without verify: random bytes, as fio's buffers are, so a
 * back end that detects zeroes (QEMU's detect-zeroes) or compresses does
 * not turn the benchmark's writes into something cheaper.
 */
static void fill_random(void *buf, size_t len, u64 state)
{
	u64 *p = buf;

	for (size_t i = 0; i < len / 8; i++)
		p[i] = rng_next(&state);
}

static int apply_disk_settings(struct job *j)
{
	const struct job_spec *s = j->spec;
	char depth[16];
	int err = 0;

	if (s->path == JOB_PATH_RAW)
		return 0;
	if (!s->path && !s->sched && !s->ntunables && s->queue_depth < 0)
		return 0;
	/* Settings change between requests, never under them. */
	disk_drain(j->disk);
	if (s->path)
		err = disk_setting(j->disk, "path",
				   s->path == JOB_PATH_BIO  ? "bio"
				   : s->path == JOB_PATH_MQ ? "mq"
							    : "request");
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

/* The job's region on its disk: offset (+ clone * offset_increment), size. */
static u32 gcd32(u32 a, u32 b)
{
	while (b) {
		u32 t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static int job_region(struct job *j)
{
	const struct job_spec *s = j->spec;
	u64 capacity = get_capacity(j->disk) << SECTOR_SHIFT;
	u32 lbs = j->disk->queue->limits.logical_block_size;
	u32 min = job_min_bs(s), ba = s->blockalign ? s->blockalign : min;
	u64 offset, len;

	offset = s->offset_pct ? ALIGN_DOWN(capacity * s->offset_pct / 100, (u64)lbs) : s->offset;
	if (offset % lbs)
		return kernel_fail("%s: offset=%lu is not a multiple of %s's %u-byte blocks",
				   j->name, offset, s->filename, lbs);
	if (s->offset_increment % lbs)
		return kernel_fail("%s: offset_increment=%lu is not a multiple of %s's %u-byte "
				   "blocks",
				   j->name, s->offset_increment, s->filename, lbs);
	offset += (u64)j->clone * s->offset_increment;
	if (offset >= capacity)
		return kernel_fail("%s: offset=%lu is beyond the end of %s (%lu bytes)", j->name,
				   offset, s->filename, capacity);
	if (s->size_pct)
		len = ALIGN_DOWN(capacity * s->size_pct / 100, (u64)lbs);
	else if (s->size)
		len = s->size;
	else
		len = capacity - offset;
	/* fio: a size that runs past the end is cut at the end, when given as %. */
	if (s->size_pct && offset + len > capacity)
		len = capacity - offset;
	if (offset + len > capacity)
		return kernel_fail("%s: offset+size (%lu) is beyond the end of %s (%lu bytes)",
				   j->name, offset + len, s->filename, capacity);
	j->region_start = offset;
	/*
	 * Every I/O covers whole units (the verify map's grain): offsets on ba
	 * boundaries or a hole's size (rw=write:4k) past a block, lengths of
	 * whole blocks.
	 */
	j->min_bs = min;
	j->unit = gcd32(min, ba);
	if (s->seq_add)
		j->unit = gcd32(j->unit,
				(u32)((u64)(s->seq_add < 0 ? -s->seq_add : s->seq_add) % j->unit));
	j->region_units = len / j->unit;
	j->region_len = j->region_units * j->unit;
	if (!j->region_units)
		return kernel_fail("%s: the region (%lu bytes) holds no %u-byte block", j->name,
				   len, j->unit);
	/*
	 * Random I/O starts at one of draw_units boundaries ba apart, the last
	 * leaving room for the smallest block, as fio's last_block counts them.
	 */
	j->align_units = ba / j->unit;
	j->draw_units = (j->region_len - (min > ba ? min - ba : 0)) / ba;
	if (!j->draw_units)
		return kernel_fail("%s: the region (%lu bytes) holds no %u-byte block at a %u-byte "
				   "boundary",
				   j->name, len, min, ba);
	return 0;
}

/* zoned_abs: as fio refuses to run one, zones that run past the region's end. */
static int zones_fit(const struct job *j)
{
	const struct job_spec *s = j->spec;
	struct job_zone *z;
	int err = 0;

	if (s->dist != DIST_ZONED_ABS)
		return 0;
	z = kmalloc(JOB_ZONES_MAX * sizeof(*z));
	if (!z)
		return kernel_fail("%s: no memory for random_distribution's zones", j->name);
	for (unsigned d = 0; d < DDIR_NR && !err; d++) {
		unsigned nr = job_zones(s, (enum ddir)d, z);
		u64 end = 0;

		for (unsigned i = 0; i < nr; i++)
			end += z[i].size;
		if (end > j->region_len)
			err = kernel_fail("%s: random_distribution: the %s zones end at byte %lu, "
					  "past the end of the region (%lu bytes)",
					  j->name, ddir_names[d], end, j->region_len);
	}
	kfree(z);
	return err;
}

int job_init(struct job *j, const struct job_spec *s, unsigned number, unsigned clone)
{
	u32 lbs;
	int err;

	memset(j, 0, sizeof(*j));
	j->spec = s;
	j->number = number;
	j->clone = clone;
	j->pending_off = NO_OFFSET;
	j->seq_left = 1; /* fio's td->ddir_seq_nr: the first I/O is placed at random */
	/* Most jobs use none of these: one test a job on the hot path. */
	j->plain_random = s->seq_nr <= 1 && s->perc_random[DDIR_READ] == 100 &&
			  s->perc_random[DDIR_WRITE] == 100 && s->perc_random[DDIR_TRIM] == 100;
	j->paced = s->thinktime_ns || s->number_ios;
	INIT_LIST_HEAD(&j->free_units);
	INIT_LIST_HEAD(&j->ready_units);
	j->shaped = MAX(s->iodepth_batch_complete_min, s->iodepth_batch_complete_max) > 1 ||
		    s->iodepth_low < s->iodepth;
	j->lat_on = s->latency_target_ns != 0;
	for (int d = 0; d < DDIR_NR; d++)
		j->rate_on |= s->rate_bps[d] || s->rate_iops[d];
	for (int d = 0; d < DDIR_NR; d++)
		j->min_rate |= s->rate_min_bps[d] || s->rate_iops_min[d];
	j->lat_check = j->lat_on || s->max_latency_ns[DDIR_READ] || s->max_latency_ns[DDIR_WRITE] ||
		       s->max_latency_ns[DDIR_TRIM];
	INIT_LIST_HEAD(&j->raw_parked);
	stats_init(&j->st);
	if (s->numjobs > 1)
		ksnprintf(j->name, sizeof(j->name), "%s.%u", s->name, clone);
	else
		ksnprintf(j->name, sizeof(j->name), "%s", s->name);

	j->disk = get_gendisk(s->filename);
	if (!j->disk)
		return kernel_fail("%s: filename=%s: no such disk", j->name, s->filename);
	lbs = j->disk->queue->limits.logical_block_size;
	for (int d = 0; d < DDIR_NR; d++) {
		if (s->bs_min[d] % lbs || s->bs_max[d] % lbs || s->bs[d] % lbs)
			return kernel_fail("%s: bs=%u is not a multiple of %s's %u-byte blocks",
					   j->name, s->bs_min[d] % lbs ? s->bs_min[d] : s->bs[d],
					   s->filename, lbs);
		if (s->blockalign % lbs)
			return kernel_fail("%s: blockalign=%u is not a multiple of %s's %u-byte "
					   "blocks",
					   j->name, s->blockalign, s->filename, lbs);
		for (unsigned i = 0; i < s->nbssplit[d]; i++)
			if (s->bssplit[d][i].bs % lbs)
				return kernel_fail("%s: bssplit size %u is not a multiple of %s's "
						   "%u-byte blocks",
						   j->name, s->bssplit[d][i].bs, s->filename, lbs);
	}
	if ((err = job_region(j)))
		return err;
	if ((rw_writes(s->rw) || rw_trims(s->rw)) && j->disk->read_only)
		return kernel_fail("%s: %s is read-only; rw=%s would write", j->name, s->filename,
				   rw_names[s->rw]);
	if (s->time_based)
		j->loop_bytes_target = 0;
	else
		j->loop_bytes_target = s->io_size ? s->io_size : j->region_len;
	j->rng = seed_state(s->seed, clone);
	j->bs_rng = seed_state(s->seed ^ 0xb5, clone);
	j->mix_rng = seed_state(s->seed ^ 0x3c, clone);
	j->seq_rng = seed_state(s->seed ^ 0x5e, clone);
	j->poisson_rng = seed_state(s->seed ^ 0x9e, clone);
	randmap_init(&j->map, j->draw_units, seed_state(s->seed, clone));
	if ((err = zones_fit(j)))
		return err;
	if (s->dist != DIST_RANDOM &&
	    dist_init(&j->dist, s, j->draw_units, j->unit * j->align_units,
		      seed_state(s->seed ^ 0xd1, clone)))
		return kernel_fail("%s: no memory for random_distribution's table of %lu blocks",
				   j->name, j->region_units);
	if (s->path == JOB_PATH_RAW) {
		j->raw = virtio_blk_find(s->filename);
		if (!j->raw)
			return kernel_fail("%s: path=raw needs a virtio disk, not %s", j->name,
					   s->filename);
	}
	if ((err = verify_setup(j)))
		return err;
	if (rw_is_random(s->rw) && !s->norandommap && job_min_bs(s) != job_max_bs(s)) {
		j->covered = kzalloc(DIV_ROUND_UP(j->region_units, 8));
		if (!j->covered)
			return kernel_fail("%s: no memory for the random map of %lu blocks",
					   j->name, j->region_units);
	}
	j->units = kzalloc(s->iodepth * sizeof(*j->units));
	if (!j->units)
		return kernel_fail("%s: no memory for %u I/O units", j->name, s->iodepth);
	for (unsigned i = 0; i < s->iodepth; i++) {
		struct io_u *u = &j->units[i];
		u32 max = job_max_bs(s);

		u->job = j;
		/* Trims and write-zeroes move no data: no buffer (a megabyte each at bs=1M). */
		if (!rw_trims(s->rw)) {
			u->buf_order = get_order(max);
			u->buf = alloc_pages(u->buf_order);
			if (!u->buf)
				return kernel_fail("%s: no memory for %u buffers of %u bytes",
						   j->name, s->iodepth, max);
			fill_random(u->buf, max, seed_state(s->seed ^ 0xf111, number * 1024 + i));
		}
		if (j->raw) {
			u->vbr = virtblk_alloc_req(j->raw, 3);
			if (!u->vbr)
				return kernel_fail("%s: no memory for raw requests", j->name);
			u->vbr->done = raw_done;
			u->vbr->done_data = u;
		}
		list_add_tail(&u->list, &j->free_units);
	}
	iolog_init(j);
	if (s->ss) {
		j->ss_len = (u32)(s->ss_dur_ns / NSEC_PER_SEC);
		if (!j->ss_len)
			j->ss_len = 1;
		j->ss_iops = kzalloc(j->ss_len * sizeof(u64));
		j->ss_bw = kzalloc(j->ss_len * sizeof(u64));
		if (!j->ss_iops || !j->ss_bw)
			return kernel_fail("%s: no memory for the steady-state window", j->name);
	}
	if (clone == 0)
		return apply_disk_settings(j);
	return 0;
}

void job_free(struct job *j)
{
	for (unsigned i = 0; j->units && i < j->spec->iodepth; i++) {
		if (j->units[i].buf)
			free_pages(j->units[i].buf, j->units[i].buf_order);
		virtblk_free_req(j->units[i].vbr);
	}
	kfree(j->units);
	j->units = NULL;
	verify_free(j);
	kfree(j->covered);
	j->covered = NULL;
	kfree(j->ss_iops);
	kfree(j->ss_bw);
	j->ss_iops = j->ss_bw = NULL;
	dist_free(&j->dist);
	job_report_free(j);
}
