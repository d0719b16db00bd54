/* SPDX-License-Identifier: MIT */
/*
 * fio's per-interval logs (write_iops_log, write_bw_log, write_lat_log),
 * carried over the serial console. Each line of a log file goes out as
 *
 *   FIOLOG FILE TIME, VALUE, DDIR, BS, PRIO          (log_offset=1: TIME,
 *                                                    VALUE, DDIR, BS, OFFSET, PRIO)
 *
 * and the host tool appends the part after FILE to FILE, which is named as
 * fio names it: PREFIX_iops.N.log, PREFIX_bw.N.log, PREFIX_lat.N.log,
 * PREFIX_clat.N.log, PREFIX_slat.N.log, N the job's index from 1. TIME is
 * milliseconds since the job began counting. With log_avg_msec=M a line per
 * direction every M ms carries the interval's IOPS, KiB/s or mean latency
 * in ns, with BS 0, as fio 3.33 writes them; without it (fio's default) a
 * line per I/O: IOPS 1, the I/O's own KiB/s, its latencies.
 */
#include "bench/engine.h"
#include "kernel/platform.h"
#include "kernel/string.h"

static void log_name(struct iolog *l, const char *prefix, const char *kind, unsigned number)
{
	if (prefix[0])
		ksnprintf(l->file, sizeof(l->file), "%s_%s.%u.log", prefix, kind, number);
	else
		l->file[0] = '\0';
	l->next_ns = 0;
	memset(l->sum, 0, sizeof(l->sum));
	memset(l->n, 0, sizeof(l->n));
}

/*
 * What fio does not measure (disable_lat, _clat, _slat, _bw_measurement:
 * gtod_reduce) it does not log: as fio 3.33's setup, such a log is left
 * unnamed, and gets no lines.
 */
void iolog_init(struct job *j)
{
	const struct job_spec *s = j->spec;

	log_name(&j->log_iops, s->iops_log, "iops", j->number);
	log_name(&j->log_bw, s->disable_bw ? "" : s->bw_log, "bw", j->number);
	log_name(&j->log_lat, s->disable_lat ? "" : s->lat_log, "lat", j->number);
	log_name(&j->log_clat, s->disable_clat ? "" : s->lat_log, "clat", j->number);
	log_name(&j->log_slat, s->disable_slat ? "" : s->lat_log, "slat", j->number);
	j->logging = j->log_iops.file[0] || j->log_bw.file[0] || j->log_lat.file[0] ||
		     j->log_clat.file[0] || j->log_slat.file[0];
}

static void emit(const struct job *j, const struct iolog *l, u64 t_ms, u64 value, unsigned ddir,
		 u32 bs, u64 offset)
{
	if (j->spec->log_offset)
		printk("FIOLOG %s %lu, %lu, %u, %u, %lu, 0\n", l->file, t_ms, value, ddir, bs,
		       offset);
	else
		printk("FIOLOG %s %lu, %lu, %u, %u, 0\n", l->file, t_ms, value, ddir, bs);
}

void iolog_add(struct job *j, struct io_u *u, u64 now)
{
	u64 t_ms, lat, clat, slat;
	unsigned d = u->ddir;

	if (!j->logging)
		return;
	t_ms = ns_since(now, j->count_start_ns) / NSEC_PER_MSEC;
	lat = ns_since(now, u->start_ns);
	clat = ns_since(now, u->issue_ns);
	slat = ns_since(u->issue_ns, u->start_ns);
	if (!j->spec->log_avg_msec) {
		if (j->log_iops.file[0])
			emit(j, &j->log_iops, t_ms, 1, d, u->len, u->offset);
		if (j->log_bw.file[0])
			emit(j, &j->log_bw, t_ms, lat ? (u64)u->len * NSEC_PER_SEC / lat / 1024 : 0,
			     d, u->len, u->offset);
		if (j->log_lat.file[0])
			emit(j, &j->log_lat, t_ms, lat, d, u->len, u->offset);
		if (j->log_clat.file[0])
			emit(j, &j->log_clat, t_ms, clat, d, u->len, u->offset);
		if (j->log_slat.file[0])
			emit(j, &j->log_slat, t_ms, slat, d, u->len, u->offset);
		return;
	}
	/* Averaged: the interval's sums, written out by iolog_tick. */
	j->log_iops.n[d]++;
	j->log_bw.sum[d] += u->len;
	j->log_lat.sum[d] += lat;
	j->log_lat.n[d]++;
	j->log_clat.sum[d] += clat;
	j->log_clat.n[d]++;
	j->log_slat.sum[d] += slat;
	j->log_slat.n[d]++;
}

void iolog_tick(struct job *j, u64 now, bool final)
{
	const struct job_spec *s = j->spec;
	u64 avg_ns = (u64)s->log_avg_msec * NSEC_PER_MSEC;
	struct iolog *lats[] = {&j->log_lat, &j->log_clat, &j->log_slat};

	if (!j->logging || !avg_ns)
		return;
	if (!j->log_iops.next_ns)
		j->log_iops.next_ns = j->count_start_ns + avg_ns;
	while (now >= j->log_iops.next_ns) {
		u64 t_ms = ns_since(j->log_iops.next_ns, j->count_start_ns) / NSEC_PER_MSEC;

		for (unsigned d = 0; d < DDIR_NR; d++) {
			bool moves = d == DDIR_READ    ? rw_reads(s->rw)
				     : d == DDIR_WRITE ? rw_writes(s->rw)
						       : rw_has_trims(s->rw);
			if (!moves && !j->log_iops.n[d])
				continue;
			if (j->log_iops.file[0])
				emit(j, &j->log_iops, t_ms,
				     j->log_iops.n[d] * 1000 / s->log_avg_msec, d, 0, 0);
			if (j->log_bw.file[0])
				emit(j, &j->log_bw, t_ms,
				     j->log_bw.sum[d] * 1000 / s->log_avg_msec / 1024, d, 0, 0);
			for (unsigned k = 0; k < ARRAY_SIZE(lats); k++)
				if (lats[k]->file[0] && lats[k]->n[d])
					emit(j, lats[k], t_ms, lats[k]->sum[d] / lats[k]->n[d], d,
					     0, 0);
			j->log_iops.n[d] = 0;
			j->log_bw.sum[d] = 0;
			j->log_lat.sum[d] = j->log_lat.n[d] = 0;
			j->log_clat.sum[d] = j->log_clat.n[d] = 0;
			j->log_slat.sum[d] = j->log_slat.n[d] = 0;
		}
		j->log_iops.next_ns += avg_ns;
	}
	(void) final; /* like fio, a partial last interval is not logged */
}
