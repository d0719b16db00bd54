/* SPDX-License-Identifier: MIT */
/*
 * Per-job statistics as fio keeps them: per direction the bytes, I/Os and
 * slat/clat/lat histograms; bandwidth and IOPS sampled every 500 ms (fio's
 * bwavgtime/iopsavgtime) for their min, max, mean and deviation; fio's
 * latency buckets, depth and batch maps; flush latencies (fio's "sync");
 * and steady-state detection over one-second samples.
 */
#include "bench/engine.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "kernel/time.h"

static void sample_init(struct sample_stat *s)
{
	memset(s, 0, sizeof(*s));
	s->min = ~0ull;
}

static void sample_add(struct sample_stat *s, u64 v)
{
	s->n++;
	s->sum += v;
	s->sumsq += (unsigned __int128)v * v;
	if (v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
}

static void sample_merge(struct sample_stat *into, const struct sample_stat *from)
{
	if (!from->n)
		return;
	into->n += from->n;
	into->sum += from->sum;
	into->sumsq += from->sumsq;
	into->min = MIN(into->min, from->min);
	into->max = MAX(into->max, from->max);
}

u64 sample_mean_x1e6(const struct sample_stat *s)
{
	return s->n ? (u64)((unsigned __int128)s->sum * 1000000 / s->n) : 0;
}

u64 sample_stddev_x1e6(const struct sample_stat *s)
{
	return stddev_x1e6(s->n, s->sum, s->sumsq);
}

void stats_init(struct job_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (int d = 0; d < DDIR_NR; d++) {
		hist_init(&st->dir[d].slat);
		hist_init(&st->dir[d].clat);
		hist_init(&st->dir[d].lat);
		sample_init(&st->dir[d].bw);
		sample_init(&st->dir[d].iops);
	}
	hist_init(&st->sync_lat);
}

void stats_merge(struct job_stats *into, const struct job_stats *from)
{
	for (int d = 0; d < DDIR_NR; d++) {
		struct io_stat *a = &into->dir[d];
		const struct io_stat *b = &from->dir[d];

		a->ios += b->ios;
		a->bytes += b->bytes;
		a->short_ios += b->short_ios;
		hist_merge(&a->slat, &b->slat);
		hist_merge(&a->clat, &b->clat);
		hist_merge(&a->lat, &b->lat);
		sample_merge(&a->bw, &b->bw);
		sample_merge(&a->iops, &b->iops);
	}
	into->syncs += from->syncs;
	hist_merge(&into->sync_lat, &from->sync_lat);
	for (int i = 0; i < LAT_N_NR; i++)
		into->lat_n[i] += from->lat_n[i];
	for (int i = 0; i < LAT_U_NR; i++)
		into->lat_u[i] += from->lat_u[i];
	for (int i = 0; i < LAT_M_NR; i++)
		into->lat_m[i] += from->lat_m[i];
	for (int i = 0; i < DEPTH_NR; i++) {
		into->depth_map[i] += from->depth_map[i];
		into->submit_map[i] += from->submit_map[i];
		into->complete_map[i] += from->complete_map[i];
	}
	into->total_submit += from->total_submit;
	into->total_complete += from->total_complete;
	into->errors += from->errors;
	/* A group's runtime is its longest job's, as in fio's group reports. */
	into->runtime_ns = MAX(into->runtime_ns, from->runtime_ns);
	into->busy_ns += from->busy_ns;
	into->verified_bytes += from->verified_bytes;
	into->verify_failures += from->verify_failures;
	into->vpass_ios += from->vpass_ios;
	into->vpass_bytes += from->vpass_bytes;
}

/* fio's latency buckets: 2, 4, 10, 20, 50, 100, 250, 500, 750, 1000 (and 2000, >=2000 for ms). */
static unsigned lat_bucket(u64 v)
{
	static const u64 upper[] = {2, 4, 10, 20, 50, 100, 250, 500, 750, 1000, 2000};
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(upper); i++)
		if (v < upper[i])
			return i;
	return i;
}

static void mark_latency(struct job_stats *st, u64 ns)
{
	if (ns < 1000)
		st->lat_n[lat_bucket(ns)]++;
	else if (ns < 1000000)
		st->lat_u[lat_bucket(ns / 1000)]++;
	else
		st->lat_m[MIN(lat_bucket(ns / 1000000), (unsigned)LAT_M_NR - 1)]++;
}

void stats_account(struct job *j, struct io_u *u, u64 now)
{
	struct job_stats *st = &j->st;
	struct io_stat *s;

	/* One completion, one of fio's reaps (a shaped queue counts its reaps itself). */
	if (!j->shaped) {
		st->total_complete++;
		st->complete_map[batch_bucket(1)]++;
	}
	if (u->flush) {
		st->syncs++;
		if (!j->spec->disable_clat)
			hist_add(&st->sync_lat, ns_since(now, u->start_ns));
		return;
	}
	s = &st->dir[u->ddir];
	s->ios++;
	s->bytes += u->len;
	if (!j->spec->disable_slat)
		hist_add(&s->slat, ns_since(u->issue_ns, u->start_ns));
	if (!j->spec->disable_clat) {
		u64 clat = ns_since(now, u->issue_ns);

		hist_add(&s->clat, clat);
		/* fio's latency_ns/_us/_ms: completion latency (io_u_mark_latency). */
		mark_latency(st, clat);
	}
	if (!j->spec->disable_lat)
		hist_add(&s->lat, ns_since(now, u->start_ns));
	if (u->verify_pass) {
		st->vpass_ios++;
		st->vpass_bytes += u->len;
	}
}

/*
 * CPU time, fio's sys_cpu: the busy time of the CPU a job runs on, shared
 * equally among the jobs counting there at the time, so that numjobs
 * copies on one vCPU each get their part of it, not all of it (fio's
 * threads on one core are each charged their own time). Kept as a running
 * share per CPU: its busy time since the last change of how many jobs
 * count there, divided by that number, added up at every change.
 */
struct cpu_share {
	u64 last_ns, last_idle_ns, acc_ns;
	unsigned counting;
};
static DEFINE_PER_CPU(struct cpu_share, cpu_shares);

static struct cpu_share *share_update(u64 now)
{
	struct cpu_share *c = this_cpu_ptr(cpu_shares);
	u64 idle = idle_ns_total(), wall = ns_since(now, c->last_ns);
	u64 idled = idle - c->last_idle_ns;

	if (c->counting)
		c->acc_ns += (wall > idled ? wall - idled : 0) / c->counting;
	c->last_ns = now;
	c->last_idle_ns = idle;
	return c;
}

void stats_begin_counting(struct job *j, u64 now)
{
	struct cpu_share *c = share_update(now);

	c->counting++;
	j->share0_ns = c->acc_ns;
	j->sharing = true;
	j->count_start_ns = now;
	j->sample_next_ns = now + STAT_SAMPLE_NS;
	j->rate_start_ns = now;
	for (int d = 0; d < DDIR_NR; d++) {
		j->sample_ios[d] = 0;
		j->sample_bytes[d] = 0;
		j->issued_ios[d] = 0;
		j->issued_bytes[d] = 0;
		j->poisson_due_ns[d] = 0;
	}
	/* The first steady-state tick only takes the baseline, after ss_ramp. */
	j->ss_next_ns = now + j->spec->ss_ramp_ns;
	j->ss_last_ios = ~0ull;
	j->ss_count = 0;
	j->ss_head = 0;
	report_begin(j);
}

/* The directions a job's workload moves data in, which fio samples. */
static bool samples_dir(const struct job *j, int d)
{
	const struct job_spec *s = j->spec;

	if (d == DDIR_READ)
		return rw_reads(s->rw) || (s->verify && rw_writes(s->rw));
	if (d == DDIR_WRITE)
		return rw_writes(s->rw);
	return rw_has_trims(s->rw);
}

void stats_tick(struct job *j, u64 now)
{
	while (now >= j->sample_next_ns) {
		for (int d = 0; d < DDIR_NR; d++) {
			struct io_stat *s = &j->st.dir[d];
			u64 ios = s->ios - j->sample_ios[d], bytes = s->bytes - j->sample_bytes[d];

			if (!samples_dir(j, d))
				continue;
			/* KiB/s and I/Os per second over the 500 ms interval. */
			if (!j->spec->disable_bw)
				sample_add(&s->bw, bytes * (NSEC_PER_SEC / STAT_SAMPLE_NS) / 1024);
			sample_add(&s->iops, ios * (NSEC_PER_SEC / STAT_SAMPLE_NS));
			j->sample_ios[d] = s->ios;
			j->sample_bytes[d] = s->bytes;
		}
		j->sample_next_ns += STAT_SAMPLE_NS;
	}
}

void stats_finish(struct job *j, u64 now)
{
	if (!j->count_start_ns)
		j->count_start_ns = now; /* failed before counting began */
	j->st.runtime_ns = ns_since(now, j->count_start_ns);
	j->st.busy_ns = 0;
	if (j->sharing) {
		struct cpu_share *c = share_update(now);

		j->st.busy_ns = MIN(c->acc_ns - j->share0_ns, j->st.runtime_ns);
		c->counting--;
		j->sharing = false;
	}
}

/* fio's reset_all_stats: counting starts over (the latency target's final window). */
void stats_restart(struct job *j, u64 now)
{
	stats_finish(j, now);
	stats_init(&j->st);
	stats_begin_counting(j, now);
}

/* ------------------------------------------------------------------------- */

/*
 * Steady state, as fio judges it: one sample of IOPS and bandwidth per
 * second after ss_ramp; once ss_dur seconds are in, the job has reached it
 * when the samples' largest deviation from their mean (iops, bw) or the
 * slope of their least-squares line (iops_slope, bw_slope) is within the
 * limit: a percentage of the mean, or an absolute value.
 */
static void ss_judge(struct job *j)
{
	const struct job_spec *s = j->spec;
	const u64 *v = (s->ss == SS_IOPS || s->ss == SS_IOPS_SLOPE) ? j->ss_iops : j->ss_bw;
	unsigned n = j->ss_len;
	u64 sum = 0, mean_x1e6, dev_x1e6 = 0;
	unsigned __int128 lim;

	for (unsigned i = 0; i < n; i++)
		sum += v[(j->ss_head + i) % n];
	mean_x1e6 = (u64)((unsigned __int128)sum * 1000000 / n);
	if (s->ss == SS_IOPS || s->ss == SS_BW) {
		for (unsigned i = 0; i < n; i++) {
			u64 x = v[(j->ss_head + i) % n] * 1000000;
			u64 d = x > mean_x1e6 ? x - mean_x1e6 : mean_x1e6 - x;
			dev_x1e6 = MAX(dev_x1e6, d);
		}
		j->ss_max_dev_x1e6 = dev_x1e6;
	} else {
		/* slope = (n sum(xy) - sum(x) sum(y)) / (n sum(x^2) - sum(x)^2), x = 0..n-1 */
		__int128 sx = 0, sy = 0, sxy = 0, sxx = 0, num, den;
		for (unsigned i = 0; i < n; i++) {
			__int128 y = (__int128)v[(j->ss_head + i) % n];
			sx += i;
			sy += y;
			sxy += (__int128)i * y;
			sxx += (__int128)i * i;
		}
		num = (__int128)n * sxy - sx * sy;
		den = (__int128)n * sxx - sx * sx;
		j->ss_slope_x1e6 = den ? (s64)(num * 1000000 / den) : 0;
		dev_x1e6 = (u64)(j->ss_slope_x1e6 < 0 ? -j->ss_slope_x1e6 : j->ss_slope_x1e6);
	}
	/* The criterion: the deviation (or slope) as a percentage of the mean. */
	j->ss_criterion =
		mean_x1e6 ? (u64)((unsigned __int128)dev_x1e6 * 100 * MICRO / mean_x1e6) : 0;
	if (s->ss_limit_pct)
		j->ss_attained = mean_x1e6 && j->ss_criterion <= s->ss_limit;
	else {
		lim = s->ss_limit; /* absolute, in millionths */
		j->ss_attained = dev_x1e6 <= lim;
	}
}

void ss_tick(struct job *j, u64 now)
{
	u64 ios = 0, bytes = 0;

	if (now < j->ss_next_ns || !j->ss_len)
		return;
	for (int d = 0; d < DDIR_NR; d++) {
		ios += j->st.dir[d].ios;
		bytes += j->st.dir[d].bytes;
	}
	if (j->ss_last_ios == ~0ull) {
		j->ss_last_ios = ios;
		j->ss_last_bytes = bytes;
		j->ss_next_ns += NSEC_PER_SEC;
		return;
	}
	j->ss_iops[(j->ss_head + j->ss_count) % j->ss_len] = ios - j->ss_last_ios;
	j->ss_bw[(j->ss_head + j->ss_count) % j->ss_len] = bytes - j->ss_last_bytes;
	if (j->ss_count < j->ss_len)
		j->ss_count++;
	else
		j->ss_head = (j->ss_head + 1) % j->ss_len;
	j->ss_last_ios = ios;
	j->ss_last_bytes = bytes;
	j->ss_next_ns += NSEC_PER_SEC;
	if (j->ss_count == j->ss_len)
		ss_judge(j);
}
