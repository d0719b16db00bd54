/* SPDX-License-Identifier: MIT */
/*
 * The run: every subsystem claims its command-line keys first, so that a
 * typo is reported before anything slow starts; then the work runs.
 *
 *   per-disk settings   vda.path=bio vda.sched=deadline vda.queue_depth=2
 *                       vdb.timeout=5 vda.fifo_batch=8 (hold from boot)
 *   stacked devices     md0=stripe,64k,vda,vdb   md1=linear,vdc,vdd
 *   jobs                fio's keys; several jobs separated by "--"
 *   self tests          test=NAME (kernel/selftest.c)
 *
 * kmain calls kernel_run() once the platform is up.
 */
#include "bench/disk.h"
#include "bench/engine.h"
#include "bench/job.h"
#include "block/blk-mq.h"
#include "block/blkdev.h"
#include "block/elevator.h"
#include "block/genhd.h"
#include "block/md.h"
#include "block/partitions.h"
#include "drivers/pci.h"
#include "drivers/virtio_blk.h"
#include "drivers/virtio_mmio.h"
#include "kernel/acpi.h"
#include "kernel/boottime.h"
#include "kernel/cmdline.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/platform.h"
#include "kernel/profile.h"
#include "kernel/string.h"
#include "kernel/time.h"

#define MAX_JOBS 64
#define MAX_RUNNING_JOBS 128
#define MAX_MD 4
#define MAX_MD_MEMBERS 8

/*
 * A scheduler tunable from the command line: the expiries are in
 * milliseconds as in Linux's sysfs (parse_ms also takes "2s"), the
 * rest are plain numbers. -ENOENT for a key no scheduler knows.
 */
int elv_set_tunable_str(struct request_queue *q, const char *key, const char *value)
{
	long current;
	u64 n;

	if (!elv_tunable_known(key))
		return -ENOENT;
	if (elv_get_tunable(q, key, &current))
		return -ENOSYS; /* the queue's scheduler has no such tunable */

	if (!strcmp(key, "read_expire") || !strcmp(key, "write_expire")) {
		if (parse_ms(value, &n))
			return -EINVAL;
	} else if (parse_u64(value, &n)) {
		return -EINVAL;
	}
	if (n > 0x7fffffff)
		return -ERANGE;
	return elv_set_tunable(q, key, (long)n);
}

/* Apply one disk setting to one real (queue-owning) disk. */
static int disk_setting_one(struct gendisk *disk, const char *key, const char *value)
{
	struct request_queue *q = disk->queue;
	struct virtio_blk *vblk = virtio_blk_find(disk->disk_name);
	u64 n;

	if (!strcmp(key, "path")) {
		int path = blk_path_from_name(value);
		if (path < 0)
			return -EINVAL;
		return blk_queue_set_path(q, (enum blk_path)path);
	}
	if (!strcmp(key, "sched"))
		return elevator_switch(q, value);
	if (!strcmp(key, "queue_depth")) {
		if (!vblk)
			return -ENODEV;
		if (parse_u64(value, &n) || n > 65536)
			return -EINVAL;
		return virtblk_set_queue_depth(vblk, (unsigned)n);
	}
	if (!strcmp(key, "timeout")) {
		if (parse_seconds(value, &n) || n == 0)
			return -EINVAL;
		blk_queue_rq_timeout(q, n * NSEC_PER_MSEC);
		if (vblk)
			vblk->timeout_ns = n * NSEC_PER_MSEC;
		return 0;
	}
	return elv_set_tunable_str(q, key, value);
}

/*
 * Apply a disk setting (path, sched, queue_depth, timeout or a scheduler
 * tunable). A stacked md device has no queue of its own to tune, so its
 * settings go to every member. The caller makes sure the queues are idle.
 */
/*
 * The disks that own the queues under @disk: an md device's members, a
 * partition's whole disk, or none (the disk's own queue does the work).
 */
unsigned disk_lower(struct gendisk *disk, struct gendisk **out, unsigned max)
{
	struct gendisk *parent = part_parent(disk);

	if (parent && max) {
		out[0] = parent;
		return 1;
	}
	return md_members(disk, out, max);
}

int disk_setting(struct gendisk *disk, const char *key, const char *value)
{
	struct gendisk *members[MAX_MD_MEMBERS];
	unsigned n = disk_lower(disk, members, MAX_MD_MEMBERS);
	int err = 0;

	if (!n)
		err = disk_setting_one(disk, key, value);
	for (unsigned i = 0; i < n && !err; i++)
		err = disk_setting_one(members[i], key, value);
	if (err == -ENOENT)
		return kernel_fail("%s.%s: unknown disk setting", disk->disk_name, key);
	if (err == -ENODEV)
		return kernel_fail("%s.%s: only virtio disks have this setting", disk->disk_name,
				   key);
	if (err == -ENOSYS)
		return kernel_fail("%s.%s: the %s scheduler has no such tunable", disk->disk_name,
				   key, elevator_name(disk->queue));
	if (err)
		return kernel_fail("%s.%s=%s: %s", disk->disk_name, key, value, errno_name(err));
	return 0;
}

/* blk_poll on a disk, or on every member of a stacked one. */
int disk_poll(struct gendisk *disk, bool hipri, bool spin)
{
	struct gendisk *members[MAX_MD_MEMBERS];
	unsigned n = disk_lower(disk, members, MAX_MD_MEMBERS);
	int found = 0;

	if (!n)
		return blk_poll(disk->queue, hipri, spin);
	for (unsigned i = 0; i < n; i++)
		found += blk_poll(members[i]->queue, hipri, spin);
	return found;
}

/* Wait until a disk (and, for md, every member) has nothing queued or in flight. */
void disk_drain(struct gendisk *disk)
{
	struct gendisk *members[MAX_MD_MEMBERS];
	unsigned n = disk_lower(disk, members, MAX_MD_MEMBERS);

	blk_drain_queue(disk->queue);
	for (unsigned i = 0; i < n; i++)
		blk_drain_queue(members[i]->queue);
}

/*
 * Disk settings that decide how a virtio disk is probed: its ring layout
 * (vdX.ring=split|packed, auto by default) and its poll queues
 * (vdX.poll_queues=N, Linux's virtio_blk.poll_queues). They reach the
 * driver before it looks at the devices; whether their disks exist is
 * known only after.
 */
static bool is_probe_setting(const char *key)
{
	return !strcmp(key, "ring") || !strcmp(key, "poll_queues");
}

static int probe_setting(const char *name, const char *key, const char *full, const char *value)
{
	int err;
	u64 n;

	if (!strcmp(key, "poll_queues")) {
		if (parse_u64(value, &n) || n >= VIRTBLK_MAX_QUEUES)
			return kernel_fail("%s=%s: expected a number of queues from 0 to %d", full,
					   value, VIRTBLK_MAX_QUEUES - 1);
		err = virtblk_set_poll_queues(name, (unsigned)n);
	} else {
		enum virtblk_ring ring;

		if (!strcmp(value, "split"))
			ring = VIRTBLK_RING_SPLIT;
		else if (!strcmp(value, "packed"))
			ring = VIRTBLK_RING_PACKED;
		else if (!strcmp(value, "auto"))
			ring = VIRTBLK_RING_AUTO;
		else
			return kernel_fail("%s=%s: expected split, packed or auto", full, value);
		err = virtblk_set_ring(name, ring);
	}
	if (err)
		return kernel_fail("%s: only virtio disks (vda, vdb, ...) have this setting", full);
	return 0;
}

/* Split "vda.ring" into the disk's name and the key; false when not of that shape. */
static bool split_disk_key(const char *key, char *name, size_t size, const char **rest)
{
	const char *dot = strchr(key, '.');

	if (!dot || dot == key || (size_t)(dot - key) >= size)
		return false;
	memcpy(name, key, (size_t)(dot - key));
	name[dot - key] = '\0';
	*rest = dot + 1;
	return true;
}

static int apply_probe_settings(struct cmdline *cl)
{
	for (unsigned g = 0; g < cmdline_groups(cl); g++) {
		for (unsigned i = 0; i < cmdline_count(cl, g); i++) {
			struct cmdline_param *p = cmdline_at(cl, g, i);
			const char *key;
			char name[16];
			int err;

			if (!split_disk_key(p->key, name, sizeof(name), &key) ||
			    !is_probe_setting(key))
				continue;
			err = probe_setting(name, key, p->key, p->value);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * The virtio-mmio devices QEMU's microvm names on the command line (one
 * virtio_mmio.device=SIZE@BASE:IRQ word each, appended after whatever was
 * given, so in the last group): handed to the transport before the drivers
 * probe. A malformed word is refused by name and the run goes on: the
 * other devices still work.
 */
#define VIRTIO_MMIO_KEY "virtio_mmio.device"

static void claim_virtio_mmio_devices(struct cmdline *cl)
{
	struct acpi_fixed_dev found[VIRTIO_MMIO_MAX_DEVICES];
	unsigned n;

	/*
	 * With ACPI on, microvm names its virtio-mmio devices only in the
	 * DSDT (_HID LNRO0005, a fixed window and one interrupt each).
	 */
	n = acpi_find_fixed_devices("LNRO0005", found, ARRAY_SIZE(found));
	for (unsigned i = 0; i < n; i++) {
		char what[32];

		ksnprintf(what, sizeof(what), "ACPI device %s", found[i].name);
		virtio_mmio_add_window(found[i].base, found[i].size, found[i].irq, what);
	}
	for (unsigned g = 0; g < cmdline_groups(cl); g++) {
		for (unsigned i = 0; i < cmdline_count(cl, g); i++) {
			struct cmdline_param *p = cmdline_at(cl, g, i);

			if (strcmp(p->key, VIRTIO_MMIO_KEY))
				continue;
			p->used = true;
			virtio_mmio_add(p->value);
		}
	}
}

/* Whether @word is @disk's partition name: "vda" then digits. */
static bool is_partition_of(const char *word, size_t len, const char *disk)
{
	size_t n = strlen(disk);

	if (len <= n || memcmp(word, disk, n))
		return false;
	for (size_t i = n; i < len; i++)
		if (word[i] < '0' || word[i] > '9')
			return false;
	return true;
}

/*
 * Whether the command line names one of @disk's partitions anywhere: as a
 * disk setting's prefix (vda1.sched), a filename, an md member. Only then
 * is its partition table read: a unikernel runs exactly the jobs it was
 * given, and the read is a device round trip at boot.
 */
static bool names_partition_of(struct cmdline *cl, const char *disk)
{
	for (unsigned g = 0; g < cmdline_groups(cl); g++) {
		for (unsigned i = 0; i < cmdline_count(cl, g); i++) {
			const struct cmdline_param *p = cmdline_at(cl, g, i);
			const char *dot = strchr(p->key, '.'), *v = p->value;

			if (dot && is_partition_of(p->key, (size_t)(dot - p->key), disk))
				return true;
			while (*v) {
				const char *comma = strchr(v, ',');
				size_t len = comma ? (size_t)(comma - v) : strlen(v);

				if (is_partition_of(v, len, disk))
					return true;
				v += len + (comma != NULL);
			}
		}
	}
	return false;
}

/* Claim every "disk.key=value" in any group; they hold from boot. */
static int apply_disk_settings(struct cmdline *cl)
{
	for (unsigned g = 0; g < cmdline_groups(cl); g++) {
		for (unsigned i = 0; i < cmdline_count(cl, g); i++) {
			struct cmdline_param *p = cmdline_at(cl, g, i);
			const char *key;
			char name[16];
			struct gendisk *disk;
			int err;

			if (!split_disk_key(p->key, name, sizeof(name), &key) ||
			    !strcmp(p->key, VIRTIO_MMIO_KEY))
				continue;
			p->used = true;
			/*
			 * A probe setting was the driver's already; its disk
			 * exists even when the setting made it unusable, so
			 * that the other disks go on.
			 */
			if (is_probe_setting(key)) {
				if (!virtio_blk_find(name))
					return kernel_fail("%s=%s: no disk named %s", p->key,
							   p->value, name);
				printk("%s: %s=%s (at probe)\n", name, key, p->value);
				continue;
			}
			disk = get_gendisk(name);
			if (!disk)
				return kernel_fail("%s=%s: no disk named %s", p->key, p->value,
						   name);
			err = disk_setting(disk, key, p->value);
			if (err)
				return err;
			printk("%s: %s=%s\n", name, key, p->value);
		}
	}
	return 0;
}

/* md0=stripe,64k,vda,vdb or md0=linear,vda,vdb */
static int create_md(const char *name, const char *spec)
{
	char buf[128], *tok[2 + MAX_MD_MEMBERS], *p = buf;
	struct gendisk *members[MAX_MD_MEMBERS];
	unsigned ntok = 0, first, n;
	u64 chunk = 0;
	int type;

	if (strlen(spec) >= sizeof(buf))
		return kernel_fail("%s=%s: too long", name, spec);
	strncpy(buf, spec, sizeof(buf));
	while (ntok < ARRAY_SIZE(tok)) {
		tok[ntok++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (p)
		return kernel_fail("%s=%s: at most %d members", name, spec, MAX_MD_MEMBERS);
	if (!strcmp(tok[0], "stripe")) {
		type = MD_STRIPE;
		if (ntok < 2 || parse_size(tok[1], &chunk) || chunk < SECTOR_SIZE ||
		    chunk % SECTOR_SIZE || chunk > MiB(16))
			return kernel_fail("%s=%s: expected stripe,CHUNK,DISK,DISK... with a chunk "
					   "such as 64k",
					   name, spec);
		first = 2;
	} else if (!strcmp(tok[0], "linear")) {
		type = MD_LINEAR;
		first = 1;
	} else {
		return kernel_fail("%s=%s: expected stripe or linear", name, spec);
	}
	n = ntok - first;
	if (n < 1)
		return kernel_fail("%s=%s: no member disks", name, spec);
	for (unsigned i = 0; i < n; i++) {
		members[i] = get_gendisk(tok[first + i]);
		if (!members[i])
			return kernel_fail("%s=%s: no disk named %s", name, spec, tok[first + i]);
		for (unsigned k = 0; k < i; k++)
			if (members[k] == members[i])
				return kernel_fail("%s=%s: %s listed twice", name, spec,
						   tok[first + i]);
	}
	int err = md_create(name, type, (u32)chunk, members, n);
	if (err)
		return kernel_fail("%s=%s: cannot create the device: %s", name, spec,
				   errno_name(err));
	printk("%s: %s over %u disks, chunk %lu, capacity %lu sectors\n", name, tok[0], n, chunk,
	       get_capacity(get_gendisk(name)));
	return 0;
}

static int create_stacked_devices(struct cmdline *cl)
{
	char name[8];
	int err;

	for (unsigned m = 0; m < MAX_MD; m++) {
		ksnprintf(name, sizeof(name), "md%u", m);
		const char *spec = cmdline_get(cl, 0, name);
		if (spec && (err = create_md(name, spec)))
			return err;
	}
	return 0;
}

static void print_counters(struct gendisk *disk, void *unused)
{
	blk_print_counters(disk);
}

/* ------------------------------------------------------------------------- */

/*
 * The jobs of the run, in command-line order. Specs that start together
 * (separated by "++", without stonewall) form one phase; each spec runs as
 * numjobs jobs. Reporting groups (fio's groupid) change at every stonewall
 * and at new_group.
 */
static struct job_spec specs[MAX_JOBS];
static unsigned nspecs;

static bool spec_starts_phase(const struct cmdline *cl, unsigned i)
{
	return i == 0 || specs[i].stonewall ||
	       cmdline_group_sep(cl, specs[i].group) != CMDLINE_SEP_PARALLEL;
}

/* fio's group report: every job of a reporting group with group_reporting, as one. */
static void report_group(struct job **jobs, unsigned n, unsigned groupid)
{
	struct job_stats *merged = NULL;
	struct job *first = NULL;
	u64 elapsed = 0;
	int error = 0;

	for (unsigned i = 0; i < n; i++) {
		struct job *j = jobs[i];
		if (j->groupid != groupid || !j->spec->group_reporting)
			continue;
		if (!merged) {
			merged = kmalloc(sizeof(*merged));
			if (!merged) {
				pr_err("no memory for the group report of group %u", groupid);
				return;
			}
			stats_init(merged);
			first = j;
		}
		stats_merge(merged, &j->st);
		elapsed = MAX(elapsed, ns_since(j->end_ns, j->start_ns));
		if (!error && j->fail[0])
			error = j->error;
	}
	if (merged)
		fio_json_report(first->spec->name, groupid, error, first->spec, merged, first,
				elapsed);
	kfree(merged);
}

/*
 * Jobs that run at the same time must agree about their disks: path=raw
 * takes a disk's first queue over, and a disk has one path and one
 * scheduler at a time.
 */
static int check_phase(struct job **jobs, unsigned n)
{
	for (unsigned a = 0; a < n; a++) {
		for (unsigned b = a + 1; b < n; b++) {
			const struct job_spec *x = jobs[a]->spec, *y = jobs[b]->spec;
			struct gendisk *dx[MAX_MD_MEMBERS], *dy[MAX_MD_MEMBERS];
			unsigned nx = disk_lower(jobs[a]->disk, dx, MAX_MD_MEMBERS);
			unsigned ny = disk_lower(jobs[b]->disk, dy, MAX_MD_MEMBERS);
			bool shared = false;

			if (!nx)
				dx[nx++] = jobs[a]->disk;
			if (!ny)
				dy[ny++] = jobs[b]->disk;
			for (unsigned i = 0; i < nx; i++)
				for (unsigned k = 0; k < ny; k++)
					shared = shared || dx[i] == dy[k];
			if (!shared)
				continue;
			if (x->path == JOB_PATH_RAW || y->path == JOB_PATH_RAW)
				return kernel_fail(
					"%s and %s run at the same time on %s, and path=raw "
					"needs its disk to itself",
					jobs[a]->name, jobs[b]->name, x->filename);
			if (x == y)
				continue;
			if ((x->path && y->path && x->path != y->path) ||
			    (x->sched && y->sched && strcmp(x->sched, y->sched)) ||
			    (x->queue_depth > 0 && y->queue_depth > 0 &&
			     x->queue_depth != y->queue_depth))
				return kernel_fail(
					"%s and %s run at the same time on %s but set its "
					"path, scheduler or queue_depth differently",
					x->name, y->name, x->filename);
		}
	}
	return 0;
}

static bool first_io_reported;

static int run_phase(struct job **jobs, unsigned n, unsigned *groups_done)
{
	int result = 0;

	profile_window_begin();
	engine_run_cpus(jobs, n);
	profile_window_end();
	for (unsigned i = 0; i < n; i++) {
		struct job *j = jobs[i];
		job_report(j);
		if (!j->spec->group_reporting)
			fio_json_report(j->spec->name, j->groupid, j->error, j->spec, &j->st, j,
					ns_since(j->end_ns, j->start_ns));
	}
	for (unsigned i = 0; i < n; i++) {
		bool first_of_group = true;
		for (unsigned k = 0; k < i; k++)
			first_of_group = first_of_group && jobs[k]->groupid != jobs[i]->groupid;
		if (first_of_group && jobs[i]->groupid >= *groups_done)
			report_group(jobs, n, jobs[i]->groupid);
	}
	for (unsigned i = 0; i < n; i++) {
		if (jobs[i]->fail[0] && !result)
			result = kernel_fail("%s: %s", jobs[i]->name, jobs[i]->fail);
		*groups_done = MAX(*groups_done, jobs[i]->groupid);
	}
	return result;
}

/*
 * blk-mq's requests come when a queue first takes path=mq (block/blk-mq.h);
 * the queues the jobs will take it on get them here, before the jobs'
 * memory is counted, since they stay with the queue after the jobs.
 */
static int alloc_mq_requests(void)
{
	for (unsigned i = 0; i < nspecs; i++) {
		struct gendisk *members[MAX_MD_MEMBERS], *disk;
		unsigned n;

		if (specs[i].path != JOB_PATH_MQ || !(disk = get_gendisk(specs[i].filename)))
			continue; /* a missing disk is the job's error */
		n = disk_lower(disk, members, MAX_MD_MEMBERS);
		if (!n)
			members[n++] = disk;
		for (unsigned k = 0; k < n; k++) {
			struct request_queue *q = members[k]->queue;

			if (q && q->mq_ops && blk_mq_alloc_requests(q))
				return kernel_fail("%s: no memory for blk-mq's requests",
						   members[k]->disk_name);
		}
	}
	return 0;
}

static int run_jobs(struct cmdline *cl)
{
	struct job **jobs = kzalloc(MAX_RUNNING_JOBS * sizeof(*jobs));
	unsigned number = 0, groupid = 0, groups_done = 0;
	int result = 0, err;

	if (!jobs)
		return kernel_fail("no memory for the job table");
	for (unsigned first = 0; first < nspecs;) {
		unsigned last = first + 1, n = 0;

		while (last < nspecs && !spec_starts_phase(cl, last))
			last++;
		for (unsigned i = first; i < last; i++) {
			if (i > 0 && (spec_starts_phase(cl, i) || specs[i].new_group))
				groupid++;
			for (unsigned k = 0; k < specs[i].numjobs; k++) {
				struct job *j;
				if (n == MAX_RUNNING_JOBS) {
					err = kernel_fail("%s: more than %d jobs at once",
							  specs[i].name, MAX_RUNNING_JOBS);
					goto out;
				}
				j = kzalloc(sizeof(*j));
				if (!j) {
					err = kernel_fail("%s: no memory for the job",
							  specs[i].name);
					goto out;
				}
				jobs[n++] = j;
				err = job_init(j, &specs[i], ++number, k);
				j->groupid = groupid;
				if (err)
					goto out;
			}
		}
		err = check_phase(jobs, n);
		if (!first_io_reported)
			boot_phase("jobs"); /* parsed and set up; then the first I/O */
		if (!err)
			err = run_phase(jobs, n, &groups_done);
		if (!first_io_reported && engine_first_completion_tsc) {
			printk("BOOT: first I/O completed after %lu us\n",
			       cycles_to_ns(engine_first_completion_tsc - boot_tsc) /
				       NSEC_PER_USEC);
			boot_phases_print("BOOT: phases (us): ");
			first_io_reported = true;
		}
		/* Held back until the first I/O (bench/engine.c), if none completed. */
		printk_flush();
	out:
		for (unsigned i = 0; i < n; i++) {
			job_free(jobs[i]);
			kfree(jobs[i]);
			jobs[i] = NULL;
		}
		if (err && !result)
			result = err;
		if (err && n == 0)
			break;
		first = last;
		groups_done = groupid + 1;
	}
	kfree(jobs);
	return result;
}

/*
 * test_clock_jump=S@MS: MS milliseconds after the jobs start, the clock
 * moves by S seconds (a decimal, negative for back) as a jump of the host's
 * TSC would move it, for the clock watchdog's boot tests (QEMU's TCG
 * ignores a guest's writes of the TSC, so no real jump can be made).
 */
static s64 clock_jump_ns;
static u64 clock_jump_after_ms;
static struct timer_list clock_jump_timer;

static void clock_jump_fn(struct timer_list *t)
{
	u64 size = (u64)(clock_jump_ns < 0 ? -clock_jump_ns : clock_jump_ns);

	printk("test_clock_jump: the clock moves by %s%lu.%03lu s\n", clock_jump_ns < 0 ? "-" : "",
	       size / NSEC_PER_SEC, size / NSEC_PER_MSEC % 1000);
	clock_test_jump(clock_jump_ns);
}

static int parse_clock_jump(struct cmdline *cl)
{
	const char *v = cmdline_get(cl, 0, "test_clock_jump");
	char s[32];
	const char *at;
	u64 ms;
	bool back;

	if (!v)
		return 0;
	at = strchr(v, '@');
	back = v[0] == '-';
	if (!at || (size_t)(at - v) >= sizeof(s) || at == v + back)
		goto bad;
	memcpy(s, v + back, (size_t)(at - v - back));
	s[at - v - back] = '\0';
	if (parse_decimal(s, 3, &ms) || ms == 0 || ms > 100000000ull ||
	    parse_u64(at + 1, &clock_jump_after_ms) || clock_jump_after_ms > 600000)
		goto bad;
	clock_jump_ns = (s64)(ms * NSEC_PER_MSEC) * (back ? -1 : 1);
	return 0;
bad:
	return kernel_fail("test_clock_jump=%s: expected SECONDS@MS, such as 3600@200 or -2.5@100",
			   v);
}

int kernel_run(struct cmdline *cl, const char *const *ignored_keys)
{
	const char *test = cmdline_get(cl, 0, "test");
	struct kmem_stats k0, k1;
	int err, result = 0;

	if (test && !selftest_known(test))
		return kernel_fail("unknown self test 'test=%s'", test);
	if (test)
		selftest_claim_keys(cl);
	const char *prof = cmdline_get(cl, 0, "profile");
	u64 prof_hz = 0;
	if (prof && (parse_u64(prof, &prof_hz) || profile_start((u32)prof_hz)))
		return kernel_fail("profile=%s: expected a sampling rate such as 5000", prof);
	if ((err = parse_clock_jump(cl)))
		return err;

	if ((err = blk_dev_init()))
		return kernel_fail("block layer: %s", errno_name(err));
	claim_virtio_mmio_devices(cl);
	if ((err = apply_probe_settings(cl)))
		return err;
	boot_phase("command line");
	pci_init();
	boot_phase("pci");
	virtio_blk_init();
	boot_phase("disks");
	for (unsigned i = 0; i < virtio_blk_count(); i++)
		if (!virtio_blk_at(i)->broken && virtio_blk_at(i)->disk &&
		    names_partition_of(cl, virtio_blk_at(i)->name))
			blk_scan_partitions(virtio_blk_at(i)->disk);
	boot_phase("partitions");
	time_refine();
	time_print();
	if ((err = apply_disk_settings(cl)) || (err = create_stacked_devices(cl)))
		return err;
	nspecs = 0;
	for (unsigned g = 0; g < cmdline_groups(cl); g++) {
		if (!job_group_is_job(cl, g))
			continue;
		if (nspecs == MAX_JOBS)
			return kernel_fail("more than %d jobs", MAX_JOBS);
		if ((err = job_parse(cl, g, &specs[nspecs])))
			return err;
		nspecs++;
	}
	int unknown = cmdline_report_unused(cl, ignored_keys);
	if (unknown)
		return kernel_fail("%d unknown command-line key%s", unknown,
				   unknown == 1 ? "" : "s");
	if (test) {
		printk_flush();
		return selftest_run(test, cl);
	}

	if ((err = alloc_mq_requests()))
		return err;
	k0 = kmem_get_stats();
	if (clock_jump_ns) {
		timer_setup(&clock_jump_timer, clock_jump_fn);
		mod_timer(&clock_jump_timer, ktime_get_ns() + clock_jump_after_ms * NSEC_PER_MSEC);
	}
	result = run_jobs(cl);
	if (clock_jump_ns)
		del_timer_sync(&clock_jump_timer);
	if (nspecs) {
		disk_for_each(print_counters, NULL);
		for (unsigned i = 0; i < virtio_blk_count(); i++)
			if (!virtio_blk_at(i)->broken)
				virtblk_print_stats(virtio_blk_at(i));
		k1 = kmem_get_stats();
		printk("mem: %lu objects live before the jobs, %lu after\n", k0.live_objects,
		       k1.live_objects);
		if (profiling)
			profile_report(25);
		if (!result && k1.live_objects != k0.live_objects)
			result = kernel_fail("%ld objects leaked by the jobs",
					     (long)(k1.live_objects - k0.live_objects));
	}
	return result;
}
