/* SPDX-License-Identifier: MIT */
/*
 * One job object of fio's JSON output (fio 3.33's schema, its stat.c), on
 * one serial line: `FIO {...}`. The host tool (tools/run --fio) puts the
 * objects into fio's document with "fio version", "timestamp" and "global
 * options", and drops "bins" for --output-format=json (they are fio's
 * json+ histogram). Every field fio writes is here; where this kernel has
 * no such value it writes what fio writes when it has none:
 *
 *   usr_cpu 0 (everything runs in ring 0; sys_cpu is the CPU's busy share
 *   while the job counted), ctx, majf, minf 0; eta 0; short_ios and
 *   drop_ios 0.
 *
 * iodepth_level, iodepth_submit and iodepth_complete are fio's: I/Os by
 * the queue depth their submission left, submissions by size (a plug, or
 * iodepth_batch), reaps by size (one completion each, unless the job
 * shapes its queue: bench/engine.c, reap).
 */
#include "bench/engine.h"
#include "kernel/console.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/platform.h"
#include "kernel/string.h"

struct sbuf {
	char *buf;
	size_t len, cap;
	bool overflow;
};

static void sb_printf(struct sbuf *sb, const char *fmt, ...) __printf(2, 3);

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->overflow)
		return;
	va_start(ap, fmt);
	n = kvsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sb->cap - sb->len) {
		sb->overflow = true;
		return;
	}
	sb->len += (size_t)n;
}

/* A JSON string: quotes and backslashes escaped, control characters dropped. */
static void sb_str(struct sbuf *sb, const char *s)
{
	sb_printf(sb, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_printf(sb, "\\%c", *s);
		else if ((unsigned char)*s >= 0x20)
			sb_printf(sb, "%c", *s);
	}
	sb_printf(sb, "\"");
}

static void sb_micro(struct sbuf *sb, u64 x1e6)
{
	sb_printf(sb, "%lu.%06lu", x1e6 / 1000000, x1e6 % 1000000);
}

/* A percentage of a count, as fio's stat_calc_dist: value * 100 / total. */
static void sb_pct(struct sbuf *sb, u64 value, u64 total)
{
	sb_micro(sb, total ? (u64)((unsigned __int128)value * 100 * 1000000 / total) : 0);
}

static void lat_object(struct sbuf *sb, const char *name, const struct histogram *h,
		       const struct job_spec *s, bool percentiles)
{
	sb_printf(sb, "\"%s\":{\"min\":%lu,\"max\":%lu,\"mean\":", name, h->count ? h->min : 0,
		  h->count ? h->max : 0);
	sb_micro(sb, hist_mean_x1e6(h));
	sb_printf(sb, ",\"stddev\":");
	sb_micro(sb, hist_stddev_x1e6(h));
	sb_printf(sb, ",\"N\":%lu", h->count);
	if (percentiles && h->count) {
		u64 pv[JOB_PERCENTILES_MAX];

		hist_percentiles(h, s->percentiles, s->npercentiles, pv);
		sb_printf(sb, ",\"percentile\":{");
		for (unsigned i = 0; i < s->npercentiles; i++) {
			sb_printf(sb, "%s\"", i ? "," : "");
			sb_micro(sb, s->percentiles[i]);
			sb_printf(sb, "\":%lu", pv[i]);
		}
		sb_printf(sb, "},\"bins\":{");
		bool first = true;
		for (unsigned b = 0; b < HIST_BUCKETS; b++) {
			if (!h->bucket[b])
				continue;
			sb_printf(sb, "%s\"%lu\":%u", first ? "" : ",", hist_bucket_value(b),
				  h->bucket[b]);
			first = false;
		}
		sb_printf(sb, "}");
	}
	sb_printf(sb, "}");
}

static void dir_object(struct sbuf *sb, int d, const struct job_stats *st, const struct job_spec *s,
		       u64 group_kib_s)
{
	const struct io_stat *io = &st->dir[d];
	u64 runtime_ms = io->ios ? st->runtime_ns / NSEC_PER_MSEC : 0;
	u64 bw_bytes = runtime_ms ? io->bytes * 1000 / runtime_ms : 0;
	u64 iops_x1e6 =
		runtime_ms ? (u64)((unsigned __int128)io->ios * 1000 * 1000000 / runtime_ms) : 0;
	u64 bw_mean = sample_mean_x1e6(&io->bw);

	sb_printf(sb, "\"%s\":{\"io_bytes\":%lu,\"io_kbytes\":%lu,\"bw_bytes\":%lu,\"bw\":%lu,",
		  ddir_names[d], io->bytes, io->bytes / 1024, bw_bytes, bw_bytes / 1024);
	sb_printf(sb, "\"iops\":");
	sb_micro(sb, iops_x1e6);
	sb_printf(sb, ",\"runtime\":%lu,\"total_ios\":%lu,\"short_ios\":%lu,\"drop_ios\":0,",
		  runtime_ms, io->ios, io->short_ios);
	lat_object(sb, "slat_ns", &io->slat, s, s->slat_percentiles);
	sb_printf(sb, ",");
	lat_object(sb, "clat_ns", &io->clat, s, s->clat_percentiles);
	sb_printf(sb, ",");
	lat_object(sb, "lat_ns", &io->lat, s, s->lat_percentiles);
	sb_printf(sb, ",\"bw_min\":%lu,\"bw_max\":%lu,\"bw_agg\":", io->bw.n ? io->bw.min : 0,
		  io->bw.max);
	/* fio: the job's mean bandwidth as a percentage of its group's total. */
	sb_micro(sb, group_kib_s && io->bw.n ? bw_mean * 100 / group_kib_s : 0);
	sb_printf(sb, ",\"bw_mean\":");
	sb_micro(sb, bw_mean);
	sb_printf(sb, ",\"bw_dev\":");
	sb_micro(sb, sample_stddev_x1e6(&io->bw));
	sb_printf(sb,
		  ",\"bw_samples\":%lu,\"iops_min\":%lu,\"iops_max\":%lu,\"iops_mean\":", io->bw.n,
		  io->iops.n ? io->iops.min : 0, io->iops.max);
	sb_micro(sb, sample_mean_x1e6(&io->iops));
	sb_printf(sb, ",\"iops_stddev\":");
	sb_micro(sb, sample_stddev_x1e6(&io->iops));
	sb_printf(sb, ",\"iops_samples\":%lu}", io->iops.n);
}

static void map_object(struct sbuf *sb, const char *name, const char *const *keys, const u64 *map,
		       unsigned n, u64 total)
{
	sb_printf(sb, "\"%s\":{", name);
	for (unsigned i = 0; i < n; i++) {
		sb_printf(sb, "%s\"%s\":", i ? "," : "", keys[i]);
		sb_pct(sb, map[i], total);
	}
	sb_printf(sb, "}");
}

static void steadystate_object(struct sbuf *sb, const struct job *j)
{
	const struct job_spec *s = j->spec;
	static const char *const metric[] = {[SS_IOPS] = "iops",
					     [SS_IOPS_SLOPE] = "iops_slope",
					     [SS_BW] = "bw",
					     [SS_BW_SLOPE] = "bw_slope"};
	u64 iops_sum = 0, bw_sum = 0;
	unsigned n = j->ss_count;

	sb_printf(sb, ",\"steadystate\":{\"ss\":\"%s:", metric[s->ss]);
	sb_micro(sb, s->ss_limit_pct || s->ss == SS_IOPS || s->ss == SS_IOPS_SLOPE ? s->ss_limit
										   : s->ss_limit);
	sb_printf(sb, "%s\",\"duration\":%lu,\"attained\":%d,\"criterion\":\"",
		  s->ss_limit_pct ? "%" : "", s->ss_dur_ns / NSEC_PER_SEC, j->ss_attained ? 1 : 0);
	sb_micro(sb, j->ss_criterion);
	sb_printf(sb, "%%\",\"max_deviation\":");
	sb_micro(sb, j->ss_max_dev_x1e6);
	sb_printf(sb, ",\"slope\":%s", j->ss_slope_x1e6 < 0 ? "-" : "");
	sb_micro(sb, (u64)(j->ss_slope_x1e6 < 0 ? -j->ss_slope_x1e6 : j->ss_slope_x1e6));
	for (unsigned i = 0; i < n; i++) {
		iops_sum += j->ss_iops[(j->ss_head + i) % j->ss_len];
		bw_sum += j->ss_bw[(j->ss_head + i) % j->ss_len];
	}
	sb_printf(sb, ",\"data\":{\"bw_mean\":%lu,\"iops_mean\":%lu,\"iops\":[", n ? bw_sum / n : 0,
		  n ? iops_sum / n : 0);
	for (unsigned i = 0; i < n; i++)
		sb_printf(sb, "%s%lu", i ? "," : "", j->ss_iops[(j->ss_head + i) % j->ss_len]);
	sb_printf(sb, "],\"bw\":[");
	for (unsigned i = 0; i < n; i++)
		sb_printf(sb, "%s%lu", i ? "," : "", j->ss_bw[(j->ss_head + i) % j->ss_len]);
	sb_printf(sb, "]}}");
}

void fio_json_report(const char *jobname, unsigned groupid, int error, const struct job_spec *s,
		     const struct job_stats *st, const struct job *job, u64 elapsed_ns)
{
	static const char *const depth_keys[] = {"1", "2", "4", "8", "16", "32", ">=64"};
	static const char *const batch_keys[] = {"0", "4", "8", "16", "32", "64", ">=64"};
	static const char *const lat_n_keys[] = {"2",	"4",   "10",  "20",  "50",
						 "100", "250", "500", "750", "1000"};
	static const char *const lat_m_keys[] = {"2",	"4",   "10",  "20",   "50",   "100",
						 "250", "500", "750", "1000", "2000", ">=2000"};
	struct sbuf sb = {.cap = 256 * 1024};
	u64 ios = 0, depth_total = 0, group_kib[DDIR_NR];
	struct cmdline_param *p;
	unsigned long flags;

	sb.buf = kmalloc(sb.cap);
	if (!sb.buf) {
		pr_err("%s: no memory for fio's JSON", jobname);
		return;
	}
	for (int d = 0; d < DDIR_NR; d++) {
		ios += st->dir[d].ios;
		group_kib[d] = st->runtime_ns ? (u64)((unsigned __int128)st->dir[d].bytes *
						      NSEC_PER_SEC / st->runtime_ns / 1024)
					      : 0;
	}
	for (int i = 0; i < DEPTH_NR; i++)
		depth_total += st->depth_map[i];

	sb_printf(&sb, "FIO {\"jobname\":");
	sb_str(&sb, jobname);
	sb_printf(&sb, ",\"groupid\":%u,\"error\":%d,\"eta\":0,\"elapsed\":%lu,\"job options\":{",
		  groupid, error, DIV_ROUND_UP(elapsed_ns, NSEC_PER_SEC));
	for (unsigned i = 0; (p = cmdline_at(&kernel_cmdline, s->group, i)); i++) {
		sb_printf(&sb, "%s", i ? "," : "");
		sb_str(&sb, p->key);
		sb_printf(&sb, ":");
		sb_str(&sb, p->value);
	}
	sb_printf(&sb, "},");
	for (int d = 0; d < DDIR_NR; d++) {
		dir_object(&sb, d, st, s, group_kib[d]);
		sb_printf(&sb, ",");
	}
	sb_printf(&sb, "\"sync\":{\"total_ios\":%lu,", st->syncs);
	lat_object(&sb, "lat_ns", &st->sync_lat, s, true);
	sb_printf(&sb, "},\"job_runtime\":%lu,\"usr_cpu\":0.000000,\"sys_cpu\":",
		  st->runtime_ns / NSEC_PER_MSEC);
	sb_pct(&sb, st->busy_ns, st->runtime_ns);
	sb_printf(&sb, ",\"ctx\":0,\"majf\":0,\"minf\":0,");
	map_object(&sb, "iodepth_level", depth_keys, st->depth_map, DEPTH_NR, depth_total);
	sb_printf(&sb, ",");
	map_object(&sb, "iodepth_submit", batch_keys, st->submit_map, DEPTH_NR, st->total_submit);
	sb_printf(&sb, ",");
	map_object(&sb, "iodepth_complete", batch_keys, st->complete_map, DEPTH_NR,
		   st->total_complete);
	sb_printf(&sb, ",");
	map_object(&sb, "latency_ns", lat_n_keys, st->lat_n, LAT_N_NR, ios);
	sb_printf(&sb, ",");
	map_object(&sb, "latency_us", lat_n_keys, st->lat_u, LAT_U_NR, ios);
	sb_printf(&sb, ",");
	map_object(&sb, "latency_ms", lat_m_keys, st->lat_m, LAT_M_NR, ios);
	/* fio 3.33: the target in ns, the window in us, the depth the search ended at. */
	sb_printf(&sb,
		  ",\"latency_depth\":%u,\"latency_target\":%lu,\"latency_percentile\":"
		  "%lu.%06lu,\"latency_window\":%lu",
		  job ? job->lat.qd : s->iodepth, s->latency_target_ns,
		  (u64)(s->latency_pct / MICRO), (u64)(s->latency_pct % MICRO),
		  s->latency_window_ns / NSEC_PER_USEC);
	if (s->ss && job)
		steadystate_object(&sb, job);
	sb_printf(&sb, "}\n");
	if (sb.overflow) {
		pr_err("%s: fio's JSON object does not fit in %zu bytes", jobname, sb.cap);
	} else {
		/* One line, whole, even if an interrupt handler prints meanwhile. */
		flags = local_irq_save();
		console_write(sb.buf, sb.len);
		local_irq_restore(flags);
	}
	kfree(sb.buf);
}
