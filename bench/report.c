/* SPDX-License-Identifier: MIT */
/* Reports of a finished job: human-readable lines and one JSON line. */
#include "bench/engine.h"
#include "block/blkdev.h"
#include "block/elevator.h"
#include "block/genhd.h"
#include "bench/disk.h"
#include "drivers/virtio_blk.h"
#include "kernel/hypervisor.h"
#include "kernel/platform.h"
#include "kernel/time.h"

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

void job_report(struct job *j, const struct blk_counters *c0, const struct blk_counters *c1,
		const struct virtio_blk_stats *v0, const struct virtio_blk_stats *v1, u64 idle_ns)
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
