/* SPDX-License-Identifier: MIT */
/*
 * verify=crc32c, as fio's verify does it, with the stamps of
 * bench/stamp.c: every written block carries its sector, the writer's seed
 * (fio's rand_seed) and the write's generation (fio's numberio).
 *
 * A writing job remembers, per unit of its region, the generation it last
 * wrote there, and reads the writes back (after the writes, or every
 * verify_backlog writes) expecting exactly that seed and generation, so an
 * overwrite that never landed is caught even when the old data carries the
 * same seed. A job that only reads knows no generations: it expects the
 * seed of its randseed (or verify_seed), and verify_seed=any accepts any.
 * Stale data (the right sector, another seed or generation) is reported as
 * such, apart from corruption.
 *
 * Generations are unique within a boot and start from a per-boot random
 * base, so a rerun with the same seed in a later boot does not write the
 * generations an earlier one did.
 */
#include "bench/engine.h"
#include "bench/stamp.h"
#include "kernel/cpu.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "kernel/time.h"

/* A unit with I/O in flight in a writing job: its content is in motion. */
#define GEN_BUSY 0x80000000u
#define GEN_MASK 0x7fffffffu
#define MAX_STALE_REPORTED 8

static u32 gen_next;

/* splitmix64's finaliser: a boot's TSC reading becomes a well-spread base. */
static u64 mix64(u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static u32 new_gen(void)
{
	u32 g;

	/* Writers on several CPUs draw from it: atomically. */
	if (!__atomic_load_n(&gen_next, __ATOMIC_RELAXED)) {
		u32 none = 0;

		__atomic_compare_exchange_n(&gen_next, &none, (u32)mix64(rdtsc() ^ boot_tsc) | 1,
					    false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
	do
		g = __atomic_fetch_add(&gen_next, 1, __ATOMIC_RELAXED) & GEN_MASK;
	while (!g); /* 0 means "written by the host tool" */
	return g;
}

int verify_setup(struct job *j)
{
	const struct job_spec *s = j->spec;

	if (!s->verify || !rw_writes(s->rw))
		return 0;
	j->gen_map = kzalloc(j->region_units * sizeof(*j->gen_map));
	if (!j->gen_map)
		return kernel_fail("%s: no memory to remember the generations of %lu blocks "
				   "(verify); use a smaller size",
				   j->name, j->region_units);
	if (s->verify_backlog) {
		j->backlog = kmalloc(2 * s->verify_backlog * sizeof(u64));
		if (!j->backlog)
			return kernel_fail("%s: no memory for verify_backlog=%u", j->name,
					   s->verify_backlog);
	}
	return 0;
}

void verify_free(struct job *j)
{
	kfree(j->gen_map);
	kfree(j->backlog);
	j->gen_map = NULL;
	j->backlog = NULL;
}

/* The units [first, last) an I/O at @off (bytes into the region) covers. */
static void unit_span(const struct job *j, u64 off, u32 len, u64 *first, u64 *last)
{
	*first = off / j->unit;
	*last = DIV_ROUND_UP(off + len, (u64)j->unit);
	if (*last > j->region_units)
		*last = j->region_units;
}

bool verify_unit_busy(const struct job *j, u64 off, u32 len)
{
	u64 a, b;

	unit_span(j, off, len, &a, &b);
	for (u64 i = a; i < b; i++)
		if (j->gen_map[i] & GEN_BUSY)
			return true;
	return false;
}

static void mark_busy(struct job *j, const struct io_u *u)
{
	u64 a, b;

	unit_span(j, u->offset - j->region_start, u->len, &a, &b);
	for (u64 i = a; i < b; i++)
		j->gen_map[i] |= GEN_BUSY;
}

static void clear_busy(struct job *j, const struct io_u *u, u32 gen, bool set_gen)
{
	u64 a, b;

	unit_span(j, u->offset - j->region_start, u->len, &a, &b);
	for (u64 i = a; i < b; i++)
		j->gen_map[i] = set_gen ? gen : j->gen_map[i] & ~GEN_BUSY;
}

/*
 * An I/O starts: a verified write stamps its buffer with a new generation;
 * in a writing job every I/O marks its units busy, so no other I/O of the
 * job touches them until it completes (the order two overlapping I/Os land
 * in is not defined, and verify must know what is on the disk).
 */
void verify_io_start(struct job *j, struct io_u *u)
{
	if (u->ddir == DDIR_WRITE && j->spec->verify) {
		u->gen = new_gen();
		stamp_fill(u->buf, u->len, u->offset >> SECTOR_SHIFT, j->spec->seed, u->gen);
	}
	if (j->gen_map)
		mark_busy(j, u);
}

void verify_io_done(struct job *j, struct io_u *u)
{
	if (!j->gen_map)
		return;
	if (u->ddir != DDIR_WRITE) {
		/* A trim or a failed write leaves the blocks unknown (part may have landed). */
		clear_busy(j, u, 0, u->ddir == DDIR_TRIM || u->error);
		return;
	}
	clear_busy(j, u, u->error ? 0 : u->gen, true);
	if (!u->error && j->backlog && j->backlog_len < j->spec->verify_backlog) {
		j->backlog[2 * j->backlog_len] = u->offset;
		j->backlog[2 * j->backlog_len + 1] = u->len;
		j->backlog_len++;
	}
}

bool verify_read_wanted(const struct job *j, u64 off, u32 len)
{
	u64 a, b;

	if (!j->gen_map)
		return true; /* a reader: everything it reads carries a stamp */
	unit_span(j, off, len, &a, &b);
	for (u64 i = a; i < b; i++)
		if (!j->gen_map[i])
			return false; /* never written by this job: nothing to expect */
	return true;
}

/*
 * The next read of the verify phase: the next run of units this job wrote,
 * up to its largest block size; or of the backlog. A read waits while the
 * units it covers have I/O in flight (a write of them may still be on its
 * way), so what it finds is what the map says landed last.
 */
int verify_next_read(struct job *j, struct io_u *u)
{
	u32 max = job_max_bs(j->spec);
	u64 start, end, offset;
	u32 len;

	if (j->verify_backlog_pass) {
		if (j->backlog_pos >= j->backlog_len)
			return VERIFY_NONE;
		offset = j->backlog[2 * j->backlog_pos];
		len = (u32)j->backlog[2 * j->backlog_pos + 1];
		if (verify_unit_busy(j, offset - j->region_start, len))
			return VERIFY_WAIT;
		j->backlog_pos++;
	} else {
		while (j->verify_next < j->region_units && !j->gen_map[j->verify_next])
			j->verify_next++;
		if (j->verify_next >= j->region_units)
			return VERIFY_NONE;
		start = j->verify_next;
		end = start + 1;
		while (end < j->region_units && j->gen_map[end] &&
		       (end - start + 1) * j->unit <= max)
			end++;
		offset = j->region_start + start * j->unit;
		len = (u32)((end - start) * j->unit);
		if (verify_unit_busy(j, offset - j->region_start, len))
			return VERIFY_WAIT;
		j->verify_next = end;
	}
	u->offset = offset;
	u->len = len;
	u->ddir = DDIR_READ;
	u->flush = false;
	u->verify_read = true;
	u->verify_pass = true;
	return VERIFY_READ;
}

static void describe_expected(char *buf, size_t n, const struct job_spec *spec, u64 gen)
{
	char s[80], g[24];
	size_t len = 0;

	if (spec->verify_seed == STAMP_ANY_SEED)
		ksnprintf(s, sizeof(s), "any");
	else if (spec->nverify_seeds > 1)
		for (unsigned i = 0; i < spec->nverify_seeds; i++)
			len += (size_t)ksnprintf(s + len, sizeof(s) - MIN(len, sizeof(s)), "%s%lu",
						 i ? " or " : "", spec->verify_seeds[i]);
	else
		ksnprintf(s, sizeof(s), "%lu", spec->verify_seed);
	if (gen == STAMP_ANY_GEN)
		ksnprintf(g, sizeof(g), "any");
	else
		ksnprintf(g, sizeof(g), "%lu", gen);
	ksnprintf(buf, n, "seed %s generation %s", s, g);
}

/*
 * verify_seed=A:B:C: each sector must carry one of the seeds. The stamp
 * check runs with "any seed" and this looks at the seed each sector names;
 * a sector that names none of them is stale, as with a single seed.
 */
static int check_seed_set(const struct job_spec *s, const u8 *buf, u32 len, u64 first_sector,
			  u64 gen, struct stamp_mismatch *m)
{
	int err = stamp_verify_detail(buf, len, first_sector, STAMP_ANY_SEED, gen, m);
	u32 end = err ? (u32)((m->sector - first_sector) * STAMP_SECTOR_SIZE) : len;

	for (u32 off = 0; off + STAMP_OFF_SEED + 8 <= end; off += STAMP_SECTOR_SIZE) {
		u64 seed = 0;
		bool known = false;

		for (int i = 7; i >= 0; i--)
			seed = seed << 8 | buf[off + STAMP_OFF_SEED + (unsigned)i];
		for (unsigned k = 0; k < s->nverify_seeds; k++)
			known = known || seed == s->verify_seeds[k];
		if (!known) {
			/* Fill in what the stamp says, as stamp_verify_detail would. */
			stamp_verify_detail(buf + off, STAMP_SECTOR_SIZE,
					    first_sector + off / STAMP_SECTOR_SIZE, seed, gen, m);
			m->err = STAMP_ESEED;
			return STAMP_ESEED;
		}
	}
	return err;
}

/* Consecutive sectors that failed alike, reported as one line. */
struct bad_run {
	struct stamp_mismatch m; /* the first of them */
	u64 gen;		 /* the generation expected there */
	u64 len;
};

static void report_run(struct job *j, struct bad_run *run, unsigned *ranges)
{
	const struct job_spec *s = j->spec;
	char want[112], why[96], where[48];

	if (!run->len)
		return;
	if (++*ranges <= MAX_STALE_REPORTED) {
		describe_expected(want, sizeof(want), s, run->gen);
		if (run->len == 1)
			ksnprintf(where, sizeof(where), "sector %lu", run->m.sector);
		else
			ksnprintf(where, sizeof(where), "sectors %lu-%lu", run->m.sector,
				  run->m.sector + run->len - 1);
		printk("%s: verify: %s %s: %s: expected %s, %s\n", j->name, s->filename, where,
		       stamp_stale(run->m.err) ? "stale data" : "corrupt data", want,
		       stamp_describe(&run->m, why, sizeof(why)));
	}
	run->len = 0;
}

/*
 * Check a completed read against what the job expects there; report every
 * bad sector range (up to a limit) and fail the job once, as fio checks the
 * whole buffer before it gives up.
 */
void verify_check_read(struct job *j, struct io_u *u)
{
	const struct job_spec *s = j->spec;
	u64 first_sector = u->offset >> SECTOR_SHIFT;
	u64 bad = 0, stale = 0, first_bad = 0;
	struct stamp_mismatch first = {0};
	struct bad_run run = {0};
	unsigned ranges = 0;
	u32 pos = 0;

	while (pos < u->len) {
		/* The stretch that shares one expected generation: a unit, or all of it. */
		u64 gen = STAMP_ANY_GEN;
		u32 chunk = u->len - pos, off = 0;

		if (j->gen_map) {
			u64 rel = u->offset - j->region_start + pos;
			u32 g = j->gen_map[rel / j->unit] & GEN_MASK;
			chunk = MIN(chunk, j->unit - (u32)(rel % j->unit));
			gen = g ? g : STAMP_ANY_GEN;
		}
		while (off < chunk) {
			struct stamp_mismatch m;
			u64 sec = first_sector + (pos + off) / STAMP_SECTOR_SIZE;

			int err =
				s->nverify_seeds > 1
					? check_seed_set(s, (u8 *)u->buf + pos + off, chunk - off,
							 sec, gen, &m)
					: stamp_verify_detail((u8 *)u->buf + pos + off, chunk - off,
							      sec, s->verify_seed, gen, &m);
			if (!err)
				break;
			if (!bad++) {
				first = m;
				first_bad = m.sector;
			}
			if (stamp_stale(m.err))
				stale++;
			/* Neighbours that fail the same way are reported as one range. */
			if (run.len && m.sector == run.m.sector + run.len && m.err == run.m.err &&
			    m.found_seed == run.m.found_seed && m.found_gen == run.m.found_gen &&
			    gen == run.gen) {
				run.len++;
			} else {
				report_run(j, &run, &ranges);
				run.m = m;
				run.gen = gen;
				run.len = 1;
			}
			off = (u32)((m.sector + 1 - first_sector) * STAMP_SECTOR_SIZE) - pos;
		}
		pos += chunk;
	}
	report_run(j, &run, &ranges);
	j->st.verified_bytes += u->len;
	if (!bad)
		return;
	j->st.verify_failures += bad;
	if (!j->error)
		j->error = EILSEQ; /* fio's error for a verify failure */
	{
		char want[112], why[96];
		u64 gen = STAMP_ANY_GEN;

		if (j->gen_map) {
			u32 g = j->gen_map[(first_bad * SECTOR_SIZE - j->region_start) / j->unit] &
				GEN_MASK;
			gen = g ? g : STAMP_ANY_GEN;
		}
		describe_expected(want, sizeof(want), s, gen);
		if (stale == bad)
			job_failf(j,
				  "verify: stale data (lost writes) in %lu sectors of %s from "
				  "sector %lu: expected %s, %s",
				  bad, s->filename, first_bad, want,
				  stamp_describe(&first, why, sizeof(why)));
		else
			job_failf(j,
				  "verify: %lu bad sectors of %s from sector %lu: %s (expected %s)",
				  bad, s->filename, first_bad,
				  stamp_describe(&first, why, sizeof(why)), want);
	}
	j->stop = true;
}
