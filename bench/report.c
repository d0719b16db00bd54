/* SPDX-License-Identifier: MIT */
/*
 * The report of a finished job in this project's own shape: human lines
 * and one `JSON {...}` line (the fields the README lists), which
 * tools/bench and the boot tests read. fio's own JSON comes from
 * bench/fio_json.c.
 *
 * Here `ios`, `bytes`, `iops` and `lat_us` are the benchmark's I/O: the
 * read-back of verify is checking, not benchmarking, and is counted in
 * `verified_bytes` only (fio's JSON counts it among the reads, as fio does).
 */
#include "bench/disk.h"
#include "bench/engine.h"
#include "bench/stamp.h"
#include "block/blkdev.h"
#include "block/elevator.h"
#include "block/genhd.h"
#include "drivers/virtio_blk.h"
#include "kernel/hypervisor.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "kernel/time.h"

/* Fixed-point printing: the kernel has no floating point. */
const char *fmt_fixed(char *buf, size_t n, u64 value_x1000, unsigned decimals)
{
	static const u64 div[] = {1000, 100, 10, 1};

	if (decimals == 0)
		ksnprintf(buf, n, "%lu", (value_x1000 + 500) / 1000);
	else
		ksnprintf(buf, n, "%lu.%0*lu", value_x1000 / 1000, decimals,
			  value_x1000 % 1000 / div[decimals]);
	return buf;
}

/* A value in millionths as fio prints doubles: six decimals. */
const char *fmt_micro(char *buf, size_t n, u64 value_x1e6)
{
	ksnprintf(buf, n, "%lu.%06lu", value_x1e6 / 1000000, value_x1e6 % 1000000);
	return buf;
}

/* The queue that decides the path: a partition's disk's, an md device's first member's. */
static struct request_queue *job_queue(struct job *j)
{
	struct gendisk *member;

	return disk_lower(j->disk, &member, 1) ? member->queue : j->disk->queue;
}

const char *job_path_name(struct job *j)
{
	if (j->raw)
		return "raw";
	return blk_path_name(job_queue(j)->path);
}

/*
 * The virtqueues under the job's disk, and their counters when the job
 * began counting: the report shows how much of its run each queue, and
 * each CPU, carried (other jobs on the same disk at the same time count
 * too).
 */
#define JOB_QUEUES_MAX 32

struct job_queue_counters {
	unsigned n;
	struct {
		struct virtio_blk *vblk;
		unsigned qi;
		struct virtblk_queue_counters c;
	} q[JOB_QUEUES_MAX];
};

static void queues_now(struct job *j, struct job_queue_counters *qc)
{
	struct gendisk *lower[8];
	unsigned n = disk_lower(j->disk, lower, ARRAY_SIZE(lower));

	if (!n) {
		lower[0] = j->disk;
		n = 1;
	}
	qc->n = 0;
	for (unsigned i = 0; i < n; i++) {
		struct virtio_blk *vblk = virtio_blk_find(lower[i]->disk_name);

		for (unsigned qi = 0; vblk && qi < virtblk_nr_queues(vblk); qi++) {
			if (qc->n == JOB_QUEUES_MAX)
				return;
			qc->q[qc->n].vblk = vblk;
			qc->q[qc->n].qi = qi;
			virtblk_get_queue_counters(vblk, qi, &qc->q[qc->n].c);
			qc->n++;
		}
	}
}

void job_report_free(struct job *j)
{
	kfree(j->queues0);
	j->queues0 = NULL;
}

/* Each queue's counts since the job began: the human lines and the JSON's "queues". */
static void report_queues(struct job *j)
{
	struct job_queue_counters *now = kzalloc(sizeof(*now));
	struct job_queue_counters *then = j->queues0;
	unsigned cpus = num_online_cpus();

	if (!now || !then) {
		kfree(now);
		printk("\"queues\":null,");
		return;
	}
	queues_now(j, now);
	for (unsigned i = 0; i < now->n && i < then->n; i++) {
		struct virtblk_queue_counters *a = &now->q[i].c, *b = &then->q[i].c;

		a->requests -= b->requests;
		a->completions -= b->completions;
		a->kicks -= b->kicks;
		a->irqs -= b->irqs;
		for (unsigned cpu = 0; cpu < cpus; cpu++) {
			a->cpu_kicks[cpu] -= b->cpu_kicks[cpu];
			a->cpu_irqs[cpu] -= b->cpu_irqs[cpu];
			a->cpu_completions[cpu] -= b->cpu_completions[cpu];
		}
	}
	printk("\"queues\":[");
	for (unsigned i = 0; i < now->n; i++) {
		const struct virtblk_queue_counters *c = &now->q[i].c;

		printk("%s{\"disk\":\"%s\",\"queue\":%u,\"requests\":%lu,\"completions\":%lu,"
		       "\"kicks\":%lu,\"irqs\":%lu,\"cpus\":[",
		       i ? "," : "", now->q[i].vblk->name, now->q[i].qi, c->requests,
		       c->completions, c->kicks, c->irqs);
		for (unsigned cpu = 0; cpu < cpus; cpu++)
			printk("%s{\"cpu\":%u,\"kicks\":%lu,\"irqs\":%lu,\"completions\":%lu}",
			       cpu ? "," : "", cpu, c->cpu_kicks[cpu], c->cpu_irqs[cpu],
			       c->cpu_completions[cpu]);
		printk("]}");
	}
	printk("],");
	kfree(now);
}

/* The same counts as human lines, one per queue. */
static void print_queues(struct job *j)
{
	struct job_queue_counters *now = kzalloc(sizeof(*now));
	struct job_queue_counters *then = j->queues0;

	if (!now || !then) {
		kfree(now);
		return;
	}
	queues_now(j, now);
	for (unsigned i = 0; i < now->n && i < then->n; i++) {
		const struct virtblk_queue_counters *a = &now->q[i].c, *b = &then->q[i].c;
		char buf[256];
		size_t len = 0;

		buf[0] = '\0';
		for (unsigned cpu = 0; cpu < num_online_cpus() && len < sizeof(buf); cpu++)
			len += (size_t)ksnprintf(buf + len, sizeof(buf) - len, " CPU%u %lu/%lu/%lu",
						 cpu, a->cpu_kicks[cpu] - b->cpu_kicks[cpu],
						 a->cpu_irqs[cpu] - b->cpu_irqs[cpu],
						 a->cpu_completions[cpu] - b->cpu_completions[cpu]);
		printk("%s:   %s.req%u: requests %lu, completions %lu, kicks %lu, irqs %lu "
		       "(kicks/irqs/completions by CPU:%s)\n",
		       j->name, now->q[i].vblk->name, now->q[i].qi, a->requests - b->requests,
		       a->completions - b->completions, a->kicks - b->kicks, a->irqs - b->irqs,
		       buf);
	}
	kfree(now);
}

const char *job_sched_name(struct job *j)
{
	if (j->raw || job_queue(j)->path == BLK_PATH_BIO)
		return "none";
	return elevator_name(job_queue(j));
}

/*
 * The driver's fallbacks for lost notifications, on the disk or the disks
 * under it: re-notifications of stalled queues (rekicks), and used rings
 * found filled without an interrupt (lost_irqs).
 */
static void disk_fallbacks(struct gendisk *disk, u64 *rekicks, u64 *lost_irqs)
{
	struct gendisk *lower[8];
	unsigned n = disk_lower(disk, lower, ARRAY_SIZE(lower));
	struct virtio_blk_stats vs;

	*rekicks = *lost_irqs = 0;
	if (!n) {
		lower[0] = disk;
		n = 1;
	}
	for (unsigned i = 0; i < n; i++) {
		struct virtio_blk *vblk = virtio_blk_find(lower[i]->disk_name);
		if (!vblk)
			continue;
		virtblk_get_stats(vblk, &vs);
		*rekicks += vs.rekicks;
		*lost_irqs += vs.lost_irqs;
	}
}

static void counters_now(struct job *j, u64 *kicks, u64 *irqs, u64 *merges, u64 *rekicks,
			 u64 *lost_irqs)
{
	struct blk_counters c;

	memset(&c, 0, sizeof(c));
	blk_get_counters(j->disk, &c);
	if (j->raw) {
		struct virtio_blk_stats v;
		virtblk_get_stats(j->raw, &v);
		c.kicks = v.kicks;
		c.irqs = v.irqs;
	}
	*kicks = c.kicks;
	*irqs = c.irqs;
	*merges = c.back_merges + c.front_merges;
	disk_fallbacks(j->disk, rekicks, lost_irqs);
}

void report_begin(struct job *j)
{
	counters_now(j, &j->kicks0, &j->irqs0, &j->merges0, &j->rekicks0, &j->lost_irqs0);
	if (!j->queues0)
		j->queues0 = kzalloc(sizeof(*j->queues0));
	if (j->queues0)
		queues_now(j, j->queues0);
}

/* The latencies of the job's own workload (not the verify read-back). */
static void workload_latency(const struct job *j, struct histogram *h)
{
	const struct job_spec *s = j->spec;

	hist_init(h);
	if (rw_reads(s->rw))
		hist_merge(h, &j->st.dir[DDIR_READ].lat);
	if (rw_writes(s->rw))
		hist_merge(h, &j->st.dir[DDIR_WRITE].lat);
	if (rw_has_trims(s->rw))
		hist_merge(h, &j->st.dir[DDIR_TRIM].lat);
}

void job_report(struct job *j)
{
	const struct job_spec *s = j->spec;
	const struct job_stats *st = &j->st;
	static struct histogram lat;
	u64 ns = st->runtime_ns;
	u64 read_ios = st->dir[DDIR_READ].ios - st->vpass_ios;
	u64 write_ios = st->dir[DDIR_WRITE].ios, trim_ios = st->dir[DDIR_TRIM].ios;
	u64 ios = read_ios + write_ios + trim_ios;
	u64 bytes = st->dir[DDIR_READ].bytes - st->vpass_bytes + st->dir[DDIR_WRITE].bytes +
		    st->dir[DDIR_TRIM].bytes;
	u64 iops_x1000 = ns ? (u64)((unsigned __int128)ios * NSEC_PER_SEC * 1000 / ns) : 0;
	/* bytes/s in 10^6 units, x1000: bytes * 1e9 / ns / 1e6 * 1e3 = bytes * 1e6 / ns */
	u64 mbps_x1000 = ns ? (u64)((unsigned __int128)bytes * 1000000 / ns) : 0;
	u64 cpu_x1000 = ns ? st->busy_ns * 1000 / ns : 0;
	u64 kicks, irqs, merges, rekicks, lost_irqs;
	char a[32], b[32], c[32], d[32], e[32], f[32], g[32], h[32], t[32];
	u32 bs = s->bs[rw_writes(s->rw) && !rw_reads(s->rw) ? DDIR_WRITE : DDIR_READ];

	counters_now(j, &kicks, &irqs, &merges, &rekicks, &lost_irqs);
	lost_irqs -= j->lost_irqs0;
	kicks -= j->kicks0;
	irqs -= j->irqs0;
	merges -= j->merges0;
	rekicks -= j->rekicks0;
	workload_latency(j, &lat);

	static const u64 ps[] = {50 * MICRO, 90 * MICRO, 99 * MICRO, 99900000};
	u64 pv[ARRAY_SIZE(ps)];

	hist_percentiles(&lat, ps, ARRAY_SIZE(ps), pv);
	u64 p50 = pv[0], p90 = pv[1], p99 = pv[2], p999 = pv[3];
	printk("%s: %s on %s, path %s, sched %s, bs %u, iodepth %u, accel %s\n", j->name,
	       rw_names[s->rw], s->filename, job_path_name(j), job_sched_name(j), bs, s->iodepth,
	       accel_name());
	printk("%s:   %lu ios (%lu read, %lu write, %lu trim), %lu bytes in %s s: %s IOPS, %s "
	       "MB/s\n",
	       j->name, ios, read_ios, write_ios, trim_ios, bytes,
	       fmt_fixed(t, sizeof(t), ns / NSEC_PER_MSEC, 3),
	       fmt_fixed(a, sizeof(a), iops_x1000, 1), fmt_fixed(b, sizeof(b), mbps_x1000, 2));
	/* Latencies from a clock nothing calibrated would be made up (kernel/time.c). */
	if (s->disable_lat)
		printk("%s:   latency us: not measured (disable_lat, gtod_reduce)\n", j->name);
	else if (time_calibrated())
		printk("%s:   latency us: mean %s p50 %s p90 %s p99 %s p99.9 %s max %s\n", j->name,
		       fmt_fixed(c, sizeof(c), hist_mean(&lat), 1), fmt_fixed(d, sizeof(d), p50, 1),
		       fmt_fixed(e, sizeof(e), p90, 1), fmt_fixed(f, sizeof(f), p99, 1),
		       fmt_fixed(g, sizeof(g), p999, 1),
		       fmt_fixed(h, sizeof(h), lat.count ? lat.max : 0, 1));
	else
		printk("%s:   latency us: not reported: the clock is uncalibrated (no timer "
		       "measured the TSC); times and rates above rest on a guessed frequency\n",
		       j->name);
	printk("%s:   merges %lu, kicks %lu, irqs %lu, rekicks %lu, lost irqs %lu, "
	       "cpu %s%% (CPU %u), errors %lu\n",
	       j->name, j->raw ? 0 : merges, kicks, irqs, rekicks, lost_irqs,
	       fmt_fixed(a, sizeof(a), cpu_x1000 * 100, 1), j->cpu, st->errors);
	print_queues(j);
	if (s->verify) {
		if (s->verify_seed == STAMP_ANY_SEED)
			ksnprintf(a, sizeof(a), "any seed");
		else
			ksnprintf(a, sizeof(a), "seed %lu", s->verify_seed);
		printk("%s:   verified %lu bytes against their stamps (%s)%s\n", j->name,
		       st->verified_bytes, a, st->verify_failures ? ", with failures" : "");
	}

	printk("JSON {\"job\":\"%s\",\"disk\":\"%s\",\"path\":\"%s\",\"sched\":\"%s\","
	       "\"rw\":\"%s\",\"bs\":%u,\"iodepth\":%u,\"ios\":%lu,\"bytes\":%lu,"
	       "\"seconds\":%s,",
	       j->name, s->filename, job_path_name(j), job_sched_name(j), rw_names[s->rw], bs,
	       s->iodepth, ios, bytes, fmt_fixed(t, sizeof(t), ns / NSEC_PER_MSEC, 3));
	printk("\"iops\":%s,\"mbps\":%s,", fmt_fixed(a, sizeof(a), iops_x1000, 1),
	       fmt_fixed(b, sizeof(b), mbps_x1000, 2));
	if (s->disable_lat)
		printk("\"lat_us\":null,");
	else if (time_calibrated())
		printk("\"lat_us\":{\"mean\":%s,\"p50\":%s,\"p90\":%s,\"p99\":%s,\"p999\":%s,"
		       "\"max\":%s},",
		       fmt_fixed(c, sizeof(c), hist_mean(&lat), 1), fmt_fixed(d, sizeof(d), p50, 1),
		       fmt_fixed(e, sizeof(e), p90, 1), fmt_fixed(f, sizeof(f), p99, 1),
		       fmt_fixed(g, sizeof(g), p999, 1),
		       fmt_fixed(h, sizeof(h), lat.count ? lat.max : 0, 1));
	else
		printk("\"lat_us\":null,\"clock\":\"uncalibrated\",");
	if (j->raw)
		printk("\"merges\":null,");
	else
		printk("\"merges\":%lu,", merges);
	printk("\"cpu\":%u,", j->cpu);
	report_queues(j);
	printk("\"kicks\":%lu,\"irqs\":%lu,\"rekicks\":%lu,\"lost_irqs\":%lu,\"cpu_util\":%s,"
	       "\"errors\":%lu,"
	       "\"verify\":%s,\"verified_bytes\":%lu,\"syncs\":%lu,\"accel\":\"%s\"}\n",
	       kicks, irqs, rekicks, lost_irqs, fmt_fixed(a, sizeof(a), cpu_x1000, 3), st->errors,
	       s->verify ? "\"crc32c\"" : "null", st->verified_bytes, st->syncs, accel_name());
}
