/* SPDX-License-Identifier: MIT */
/*
 * Job descriptions: the keys of one job group of the command line, in fio's
 * vocabulary and with fio's meanings, checked and turned into a struct
 * job_spec before anything runs, so that a typo in the last job fails the
 * run before the first job starts. Every error names the key.
 */
#include "bench/job.h"
#include "bench/stamp.h"
#include "block/elevator.h"
#include "kernel/cmdline.h"
#include "kernel/kernel.h"
#include "kernel/platform.h"
#include "kernel/string.h"

const char *const rw_names[] = {
	[RW_READ] = "read",
	[RW_WRITE] = "write",
	[RW_RANDREAD] = "randread",
	[RW_RANDWRITE] = "randwrite",
	[RW_READWRITE] = "rw",
	[RW_RANDRW] = "randrw",
	[RW_TRIM] = "trim",
	[RW_RANDTRIM] = "randtrim",
	[RW_WRITEZEROES] = "writezeroes",
	[RW_TRIMWRITE] = "trimwrite",
	[RW_RANDTRIMWRITE] = "randtrimwrite",
};

const char *const ddir_names[] = {
	[DDIR_READ] = "read", [DDIR_WRITE] = "write", [DDIR_TRIM] = "trim"};

/* fio's default percentile list (its stat.h). */
static const micro_t default_percentiles[] = {
	1 * MICRO,  5 * MICRO,	10 * MICRO, 20 * MICRO, 30 * MICRO, 40 * MICRO,
	50 * MICRO, 60 * MICRO, 70 * MICRO, 80 * MICRO, 90 * MICRO, 95 * MICRO,
	99 * MICRO, 99500000,	99900000,   99950000,	99990000,
};

/* Every key a job understands; anything else in a job group is unknown. */
static const char *const job_keys[] = {
	"name",
	"rw",
	"readwrite",
	"bs",
	"blocksize",
	"bsrange",
	"blocksize_range",
	"bssplit",
	"blockalign",
	"ba",
	"rw_sequencer",
	"percentage_random",
	"number_ios",
	"thinktime",
	"thinktime_spin",
	"thinktime_blocks",
	"thinktime_blocks_type",
	"thinktime_iotime",
	"startdelay",
	"iodepth",
	"iodepth_batch",
	"iodepth_batch_submit",
	"iodepth_batch_complete_min",
	"iodepth_batch_complete",
	"iodepth_batch_complete_max",
	"iodepth_low",
	"latency_target",
	"latency_window",
	"latency_percentile",
	"latency_run",
	"max_latency",
	"runtime",
	"timeout",
	"time_based",
	"ramp_time",
	"size",
	"io_size",
	"io_limit",
	"offset",
	"offset_increment",
	"numjobs",
	"group_reporting",
	"stonewall",
	"wait_for_previous",
	"new_group",
	"loops",
	"filename",
	"verify",
	"verify_seed",
	"verify_backlog",
	"rwmixread",
	"rwmixwrite",
	"randseed",
	"norandommap",
	"random_distribution",
	"rate",
	"rate_iops",
	"rate_process",
	"io_submit_mode",
	"rate_min",
	"ratemin",
	"rate_iops_min",
	"ratecycle",
	"rate_cycle",
	"path",
	"sched",
	"cpus_allowed",
	"queue_depth",
	"continue_on_error",
	"fsync",
	"flush_trace",
	"poll_us",
	"hipri",
	"watchdog",
	"percentile_list",
	"clat_percentiles",
	"gtod_reduce",
	"disable_lat",
	"disable_clat",
	"disable_slat",
	"disable_bw_measurement",
	"disable_bw",
	"slat_percentiles",
	"lat_percentiles",
	"steadystate",
	"ss",
	"ss_dur",
	"ss_ramp",
	"write_iops_log",
	"write_bw_log",
	"write_lat_log",
	"log_avg_msec",
	"log_offset",
	NULL,
};

/*
 * "timeout" is two things: fio's alias of runtime, and Linux's request
 * timeout this kernel has always taken as a disk setting. The disk setting
 * keeps the name (existing command lines use it); fio's meaning is spelled
 * runtime. A disk setting a job may carry is applied after its disk drains.
 */
static bool is_job_disk_setting(const char *key)
{
	return !strcmp(key, "timeout") || elv_tunable_known(key);
}

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

u32 job_dir_min_bs(const struct job_spec *s, enum ddir d)
{
	u32 m = s->bs_min[d];

	if (s->nbssplit[d]) {
		m = ~0u;
		for (unsigned i = 0; i < s->nbssplit[d]; i++)
			m = MIN(m, s->bssplit[d][i].bs);
	}
	return m;
}

u32 job_min_bs(const struct job_spec *s)
{
	u32 m = ~0u;

	for (int d = 0; d < DDIR_NR; d++)
		m = MIN(m, job_dir_min_bs(s, (enum ddir)d));
	return m;
}

u32 job_max_bs(const struct job_spec *s)
{
	u32 m = 0;

	for (int d = 0; d < DDIR_NR; d++) {
		if (s->nbssplit[d]) {
			for (unsigned i = 0; i < s->nbssplit[d]; i++)
				m = MAX(m, s->bssplit[d][i].bs);
		} else {
			m = MAX(m, s->bs_max[d]);
		}
	}
	return m;
}

/* ------------------------------------------------------------------------- */

struct parser {
	struct cmdline *cl;
	unsigned group;
	struct job_spec *s;
};

/* The value of @key (the last one wins), or NULL; marks it understood. */
static const char *get(struct parser *p, const char *key)
{
	return cmdline_get(p->cl, p->group, key);
}

/* A bare key or key=1/0: fio's boolean options. */
static int get_flag(struct parser *p, const char *key, bool *out)
{
	const char *v = get(p, key);
	bool b = true;

	if (!v)
		return 0;
	if (*v && parse_bool(v, &b))
		return kernel_fail("%s=%s: expected 1 or 0", key, v);
	*out = b;
	return 0;
}

/* A key that is one of two words: *@second says whether it is the second. */
static int get_either(struct parser *p, const char *key, const char *first, const char *second,
		      bool *is_second)
{
	const char *v = get(p, key);

	if (!v)
		return 0;
	if (strcmp(v, first) && strcmp(v, second))
		return kernel_fail("%s=%s: expected %s or %s", key, v, first, second);
	*is_second = !strcmp(v, second);
	return 0;
}

static int block_size(const char *key, const char *v, u32 *out)
{
	u64 n;

	if (parse_size(v, &n))
		return kernel_fail("%s=%s: not a size (use e.g. 4k, 128k)", key, v);
	if (n < SECTOR_SIZE || n > JOB_MAX_BS || n % SECTOR_SIZE)
		return kernel_fail("%s=%s: expected a multiple of 512 from 512 to 4M", key, v);
	*out = (u32)n;
	return 0;
}

/* One direction's part of a value: room for bssplit's 16 sizes in bytes. */
#define SPLIT_PART_MAX 256
/* split_ddir's answer for a part too long for its buffer. */
#define SPLIT_TOO_LONG 0

/*
 * Splits a value into up to DDIR_NR comma-separated parts, fio's form for
 * per-direction values ("4k,8k" is reads 4k, writes 8k; ",8k" writes only).
 * fio fills directions a value does not name from the last one it does
 * ("bs=8k" is 8k for all three, "bs=4k,8k" gives trims 8k too): so do the
 * parts past the last, each a copy of its own. Returns how many parts
 * there were (DDIR_NR + 1: more than DDIR_NR), or SPLIT_TOO_LONG when one
 * is longer than SPLIT_PART_MAX - 1 characters.
 */
static unsigned split_ddir(const char *v, char parts[DDIR_NR][SPLIT_PART_MAX])
{
	unsigned n = 0;

	for (;;) {
		const char *comma = strchr(v, ',');
		size_t len = comma ? (size_t)(comma - v) : strlen(v);

		if (n == DDIR_NR)
			return DDIR_NR + 1;
		if (len >= sizeof(parts[0]))
			return SPLIT_TOO_LONG;
		memcpy(parts[n], v, len);
		parts[n][len] = '\0';
		n++;
		if (!comma) {
			for (unsigned d = n; d < DDIR_NR; d++)
				memcpy(parts[d], parts[n - 1], len + 1);
			return n;
		}
		v = comma + 1;
	}
}

/*
 * A per-direction value of @key (or its @alias, NULL for none) split into
 * @parts: how many there are, 0 when the job has neither key, or
 * kernel_fail's error naming the key; *@key and *@v say which was found.
 * @what names a part in the errors ("size", "range").
 */
static int ddir_parts(struct parser *p, const char **key, const char *alias, const char **v,
		      char parts[DDIR_NR][SPLIT_PART_MAX], const char *what)
{
	unsigned n;

	*v = get(p, *key);
	if (!*v && alias) {
		*key = alias;
		*v = get(p, alias);
	}
	if (!*v)
		return 0;
	n = split_ddir(*v, parts);
	if (n == SPLIT_TOO_LONG)
		return kernel_fail("%s=%s: a %s is too long", *key, *v, what);
	if (n > DDIR_NR)
		return kernel_fail("%s=%s: at most three %ss (read,write,trim)", *key, *v, what);
	return (int)n;
}

static int parse_bs(struct parser *p)
{
	const char *key = "bs", *v;
	char parts[DDIR_NR][SPLIT_PART_MAX];
	int n = ddir_parts(p, &key, "blocksize", &v, parts, "size"), err;

	if (n <= 0)
		return n;
	for (int d = 0; d < DDIR_NR; d++) {
		if (!*parts[d])
			continue; /* ",8k": keep the default for reads */
		if ((err = block_size(key, parts[d], &p->s->bs[d])))
			return err;
	}
	return 0;
}

/* bsrange=4k-64k or per direction: 1k-4k,2k-8k */
static int parse_bsrange(struct parser *p)
{
	const char *key = "bsrange", *v;
	char parts[DDIR_NR][SPLIT_PART_MAX];
	int n = ddir_parts(p, &key, "blocksize_range", &v, parts, "range"), err;

	if (n <= 0)
		return n;
	for (int d = 0; d < DDIR_NR; d++) {
		char *part = parts[d], *dash;
		u32 lo, hi;

		if (!*part)
			continue;
		dash = strchr(part, '-');
		if (!dash)
			return kernel_fail("%s=%s: expected MIN-MAX such as 4k-64k", key, v);
		*dash = '\0';
		if ((err = block_size(key, part, &lo)) || (err = block_size(key, dash + 1, &hi)))
			return err;
		if (lo > hi)
			return kernel_fail("%s=%s: the smallest size comes first", key, v);
		p->s->bs_min[d] = lo;
		p->s->bs_max[d] = hi;
	}
	return 0;
}

/* bssplit=4k/10:64k/50:32k/40 or per direction, comma separated. */
static int parse_bssplit(struct parser *p)
{
	const char *v = get(p, "bssplit");
	char parts[DDIR_NR][SPLIT_PART_MAX];
	unsigned n;
	int err;

	if (!v)
		return 0;
	n = split_ddir(v, parts);
	if (n == SPLIT_TOO_LONG)
		return kernel_fail("bssplit=%s: a direction's list is longer than %d characters", v,
				   SPLIT_PART_MAX - 1);
	if (n > DDIR_NR)
		return kernel_fail("bssplit=%s: at most three lists (read,write,trim)", v);
	for (unsigned d = 0; d < DDIR_NR; d++) {
		char *item = parts[d];
		struct bssplit *b = p->s->bssplit[d];
		unsigned count = 0, total = 0, blanks = 0;

		if (!*item)
			continue;
		while (item) {
			char *colon = strchr(item, ':'), *slash;
			u64 perc = 0;

			if (colon)
				*colon = '\0';
			if (count == JOB_BSSPLIT_MAX)
				return kernel_fail("bssplit=%s: at most %d sizes per direction", v,
						   JOB_BSSPLIT_MAX);
			slash = strchr(item, '/');
			if (slash) {
				*slash = '\0';
				if (parse_u64(slash + 1, &perc) || perc > 100)
					return kernel_fail("bssplit=%s: '%s' is not a percentage",
							   v, slash + 1);
			}
			if ((err = block_size("bssplit", item, &b[count].bs)))
				return err;
			b[count].perc = (u32)perc;
			if (!slash || !perc)
				blanks++;
			total += (u32)perc;
			count++;
			item = colon ? colon + 1 : NULL;
		}
		if (total > 100)
			return kernel_fail("bssplit=%s: the percentages add up to %u", v, total);
		/* As fio does: sizes without a share split what is left equally. */
		for (unsigned i = 0; i < count && blanks; i++)
			if (!b[i].perc)
				b[i].perc = (100 - total) / blanks;
		total = 0;
		for (unsigned i = 0; i < count; i++)
			total += b[i].perc;
		if (total != 100 && blanks)
			b[count - 1].perc += 100 - total; /* rounding goes to the last */
		else if (total != 100)
			return kernel_fail("bssplit=%s: the percentages add up to %u, not 100", v,
					   total);
		p->s->nbssplit[d] = count;
	}
	return 0;
}

/*
 * blockalign=4k (ba): the boundary random I/O starts on, fio's default
 * being the smallest block size. fio takes one per direction; here the
 * directions given must agree (one set of starting points per job).
 */
static int parse_blockalign(struct parser *p)
{
	const char *key = "blockalign", *v;
	char parts[DDIR_NR][SPLIT_PART_MAX];
	int n = ddir_parts(p, &key, "ba", &v, parts, "size"), err;

	if (n <= 0)
		return n;
	for (int d = 0; d < n; d++) {
		u32 ba;

		if (!*parts[d])
			continue;
		if ((err = block_size(key, parts[d], &ba)))
			return err;
		if (p->s->blockalign && ba != p->s->blockalign)
			return kernel_fail("%s=%s: one boundary for every direction, here", key, v);
		p->s->blockalign = ba;
	}
	return 0;
}

/*
 * fio's offset modifier, rw=randread:8 or rw=read:8k: for random I/O a
 * new random offset every N I/Os (rw_sequencer says what comes between);
 * for sequential I/O bytes skipped after each I/O, backwards when
 * negative (read:-8k).
 */
static int parse_rw_modifier(struct job_spec *s, const char *v, const char *mod)
{
	bool neg = *mod == '-';
	u64 n;

	if (parse_size(mod + neg, &n) || n > (u64)1 << 40 || (neg && rw_is_random(s->rw)))
		return kernel_fail("rw=%s: the ':' modifier is %s", v,
				   rw_is_random(s->rw) ? "a count of I/Os (randread:8)"
						       : "a size to skip (read:8k, read:-8k)");
	if (!rw_is_random(s->rw)) {
		s->seq_add = neg ? -(s64)n : (s64)n;
		if (s->seq_add % SECTOR_SIZE)
			return kernel_fail("rw=%s: the bytes to skip are a multiple of 512", v);
		return 0;
	}
	if (!n || n > 1u << 30)
		return kernel_fail("rw=%s: a new random offset every 1 or more I/Os", v);
	s->seq_nr = (u32)n;
	return 0;
}

/* percentage_random=90 or per direction: the share of random picks, the rest sequential. */
static int parse_percentage_random(struct parser *p)
{
	const char *key = "percentage_random", *v;
	char parts[DDIR_NR][SPLIT_PART_MAX];
	int n = ddir_parts(p, &key, NULL, &v, parts, "percentage");

	if (n <= 0)
		return n;
	for (int d = 0; d < DDIR_NR; d++) {
		const char *part = parts[d];
		u64 pct;

		if (!*part)
			continue;
		if (parse_u64(part, &pct) || pct > 100)
			return kernel_fail("percentage_random=%s: '%s' is not a percentage", v,
					   part);
		p->s->perc_random[d] = (u32)pct;
	}
	return 0;
}

/*
 * A duration of at most an hour into nanoseconds; a bare number is
 * microseconds, as fio's thinktime and latency keys read it.
 */
static int duration_us(const char *key, const char *v, u64 *ns)
{
	u64 us;

	if (parse_us(v, &us) || us > 3600ull * 1000 * 1000)
		return kernel_fail(
			"%s=%s: expected a duration such as 100 (us), 2ms or 1s, at most an "
			"hour",
			key, v);
	*ns = us * NSEC_PER_USEC;
	return 0;
}

/* @key's duration (duration_us), if the job has the key. */
static int get_duration_us(struct parser *p, const char *key, u64 *ns)
{
	const char *v = get(p, key);

	return v ? duration_us(key, v, ns) : 0;
}

/*
 * fio's thinktime=T: after every thinktime_blocks I/Os (completed, or with
 * thinktime_blocks_type=issue issued; default 1), or every
 * thinktime_iotime of I/O, the job lets what it has in flight complete
 * and then waits T, thinktime_spin of it busy, before it issues more.
 */
static int parse_thinktime(struct parser *p)
{
	struct job_spec *s = p->s;
	const char *v;
	u64 n, iotime_us;
	int err;

	if ((err = get_duration_us(p, "thinktime", &s->thinktime_ns)) ||
	    (err = get_duration_us(p, "thinktime_spin", &s->thinktime_spin_ns)))
		return err;
	if ((v = get(p, "thinktime_iotime"))) {
		u64 ms;

		/* fio reads a bare thinktime_iotime in seconds. */
		if (parse_seconds(v, &ms) || !ms)
			return kernel_fail("thinktime_iotime=%s: expected a duration such as 9s",
					   v);
		iotime_us = ms * 1000;
		s->thinktime_iotime_ns = iotime_us * NSEC_PER_USEC;
	}
	if ((v = get(p, "thinktime_blocks"))) {
		if (parse_u64(v, &n) || !n || n > 1u << 30)
			return kernel_fail("thinktime_blocks=%s: expected a number of I/Os", v);
		s->thinktime_blocks = (u32)n;
	}
	if ((err = get_either(p, "thinktime_blocks_type", "complete", "issue",
			      &s->thinktime_issue)))
		return err;
	if (s->thinktime_spin_ns > s->thinktime_ns)
		return kernel_fail("thinktime_spin: longer than thinktime");
	return 0;
}

/* A size or a percentage of the disk (size=50%, offset=25%). */
static int size_or_percent(const char *key, const char *v, u64 *bytes, u32 *pct)
{
	size_t len = strlen(v);
	u64 n;

	if (len && v[len - 1] == '%') {
		char num[16];
		if (len > sizeof(num))
			return kernel_fail("%s=%s: not a percentage", key, v);
		memcpy(num, v, len - 1);
		num[len - 1] = '\0';
		if (parse_u64(num, &n) || n == 0 || n > 100)
			return kernel_fail("%s=%s: expected 1%% to 100%%", key, v);
		*pct = (u32)n;
		*bytes = 0;
		return 0;
	}
	if (parse_size(v, bytes))
		return kernel_fail("%s=%s: not a size (use e.g. 4k, 128k, 8M, or 50%%)", key, v);
	*pct = 0;
	return 0;
}

/* rate=1m, rate=1m,512k, rate=,2m; rate_iops=500,100 */
/* A count of I/Os for @key or its @alias (NULL: none), at most a million. */
static int io_count(struct parser *p, const char *key, const char *alias, u32 *out)
{
	const char *v = get(p, key);
	u64 n;

	if (!v && alias)
		v = get(p, key = alias);
	if (!v)
		return 0;
	if (parse_u64(v, &n) || n > 1u << 20)
		return kernel_fail("%s=%s: expected a number of I/Os", key, v);
	*out = (u32)n;
	return 0;
}

/*
 * fio's iodepth_batch_submit, iodepth_batch_complete_min and _max and
 * iodepth_low, with fio's defaults (1, 1, complete_min, iodepth) and its
 * fixups: a submission batch of 0 or past iodepth is iodepth, a low mark
 * of 0 or past iodepth is iodepth, complete_max below complete_min is
 * complete_min. A reap never takes more than is queued, so both
 * complete_ counts are kept at iodepth at most. Needs iodepth parsed.
 */
static int queue_shaping(struct parser *p)
{
	struct job_spec *s = p->s;
	u32 batch = 1, low = 0, cmin = 1, cmax = 0;
	int err;

	if ((err = io_count(p, "iodepth_batch", "iodepth_batch_submit", &batch)) ||
	    (err = io_count(p, "iodepth_low", NULL, &low)) ||
	    (err = io_count(p, "iodepth_batch_complete_min", "iodepth_batch_complete", &cmin)) ||
	    (err = io_count(p, "iodepth_batch_complete_max", NULL, &cmax)))
		return err;
	s->iodepth_batch = !batch || batch > s->iodepth ? s->iodepth : batch;
	s->iodepth_low = !low || low > s->iodepth ? s->iodepth : low;
	s->iodepth_batch_complete_min = MIN(cmin, s->iodepth);
	s->iodepth_batch_complete_max = MIN(MAX(cmax, cmin), s->iodepth);
	return 0;
}

/*
 * fio's latency_target, latency_window, latency_percentile and latency_run
 * (bench/lattarget.c searches), and max_latency=R[,W[,T]]: an I/O slower
 * than its direction's fails the job, as fio's ETIMEDOUT.
 */
static int parse_latency(struct parser *p)
{
	struct job_spec *s = p->s;
	char parts[DDIR_NR][SPLIT_PART_MAX];
	const char *key = "max_latency", *v;
	int n, err;

	s->latency_pct = 100 * MICRO;
	if ((err = get_duration_us(p, "latency_target", &s->latency_target_ns)) ||
	    (err = get_duration_us(p, "latency_window", &s->latency_window_ns)))
		return err;
	if ((v = get(p, "latency_percentile")) &&
	    (parse_decimal(v, 6, &s->latency_pct) || s->latency_pct > 100 * MICRO))
		return kernel_fail("latency_percentile=%s: expected a percentage, 0 to 100", v);
	if ((err = get_flag(p, "latency_run", &s->latency_run)))
		return err;
	n = ddir_parts(p, &key, NULL, &v, parts, "duration");
	if (n <= 0)
		return n;
	for (int d = 0; d < DDIR_NR; d++)
		if (*parts[d] && (err = duration_us(key, parts[d], &s->max_latency_ns[d])))
			return err;
	return 0;
}

static int parse_rates(struct parser *p, const char *key, const char *alias, u64 *out)
{
	bool bytes = strncmp(key, "rate_iops", 9) != 0;
	char parts[DDIR_NR][SPLIT_PART_MAX];
	const char *v;
	int n = ddir_parts(p, &key, alias, &v, parts, "value");

	if (n <= 0)
		return n;
	for (int d = 0; d < DDIR_NR; d++) {
		u64 r;
		int err;

		if (!*parts[d])
			continue;
		err = bytes ? parse_size(parts[d], &r) : parse_u64(parts[d], &r);
		if (err || r == 0)
			return kernel_fail("%s=%s: expected a positive %s", key, v,
					   bytes ? "rate such as 10m (bytes/s)"
						 : "number of I/Os per second");
		out[d] = r;
	}
	return 0;
}

/*
 * Checks a zoned value for every direction (job_zones reads it again
 * when the job starts; the command line outlives the jobs).
 */
static int parse_zones(struct job_spec *s, const char *v)
{
	struct job_zone *z = kmalloc(JOB_ZONES_MAX * sizeof(*z));
	unsigned nr, total = 0;
	int err = 0;

	if (!z)
		return kernel_fail("random_distribution=%s: no memory to check it", v);
	for (unsigned d = 0; d < DDIR_NR && !err; d++) {
		err = job_zones_parse(v, (enum ddir)d, z, &nr);
		total += nr;
	}
	kfree(z);
	if (err)
		return err;
	if (!total)
		return kernel_fail("random_distribution=%s: no zones", v);
	s->dist = !strncmp(v, "zoned_abs:", 10) ? DIST_ZONED_ABS : DIST_ZONED;
	s->zones = v;
	return 0;
}

/*
 * random_distribution=random | zipf:1.2 | pareto:0.3 | normal:10[:0.5] |
 * zoned:60/10:40/90 | zoned_abs:60/1G:40/3G
 */
static int parse_distribution(struct parser *p)
{
	const char *v = get(p, "random_distribution");
	struct job_spec *s = p->s;
	char buf[64], *arg, *center;

	if (!v)
		return 0;
	if (!strncmp(v, "zoned:", 6) || !strncmp(v, "zoned_abs:", 10))
		return parse_zones(s, v);
	if (strlen(v) >= sizeof(buf))
		return kernel_fail("random_distribution=%s: too long", v);
	strncpy(buf, v, sizeof(buf));
	arg = strchr(buf, ':');
	if (arg)
		*arg++ = '\0';
	if (!strcmp(buf, "random") && !arg) {
		s->dist = DIST_RANDOM;
		return 0;
	}
	if (!strcmp(buf, "zipf"))
		s->dist = DIST_ZIPF;
	else if (!strcmp(buf, "pareto"))
		s->dist = DIST_PARETO;
	else if (!strcmp(buf, "normal") || !strcmp(buf, "gauss"))
		s->dist = DIST_NORMAL;
	else
		return kernel_fail("random_distribution=%s: expected random, zipf:THETA, "
				   "pareto:H, normal:DEV, zoned:A/S:... or zoned_abs:A/SIZE:...",
				   v);
	if (!arg || !*arg)
		return kernel_fail("random_distribution=%s: %s needs its parameter", v, buf);
	center = strchr(arg, ':');
	if (center)
		*center++ = '\0';
	if (parse_decimal(arg, 6, &s->dist_param))
		return kernel_fail("random_distribution=%s: '%s' is not a number", v, arg);
	/* fio's limits: zipf theta > 0 and not 1; pareto 0 < h < 1; normal 0..100. */
	if (s->dist == DIST_ZIPF && (s->dist_param == 0 || s->dist_param == MICRO))
		return kernel_fail("random_distribution=%s: zipf needs a theta above 0, not 1", v);
	if (s->dist == DIST_PARETO && (s->dist_param == 0 || s->dist_param >= MICRO))
		return kernel_fail("random_distribution=%s: pareto needs 0 < h < 1", v);
	if (s->dist == DIST_NORMAL && s->dist_param > 100 * MICRO)
		return kernel_fail("random_distribution=%s: the deviation is a percentage", v);
	if (center) {
		if (parse_decimal(center, 6, &s->dist_center) || s->dist_center > MICRO)
			return kernel_fail("random_distribution=%s: the center is a fraction "
					   "from 0 to 1",
					   v);
		s->dist_center_set = true;
	}
	return 0;
}

/*
 * fio's gtod_reduce: no latency measured (disable_lat, disable_clat,
 * disable_slat), no bandwidth samples (disable_bw_measurement), and no
 * percentiles; each of them may be given on its own too, and wins.
 */
static int parse_gtod_reduce(struct parser *p)
{
	struct job_spec *s = p->s;
	bool reduce = false;
	int err;

	if ((err = get_flag(p, "gtod_reduce", &reduce)))
		return err;
	if (reduce) {
		s->disable_lat = s->disable_clat = s->disable_slat = s->disable_bw = true;
		s->clat_percentiles = s->slat_percentiles = s->lat_percentiles = false;
	}
	if ((err = get_flag(p, "disable_lat", &s->disable_lat)) ||
	    (err = get_flag(p, "disable_clat", &s->disable_clat)) ||
	    (err = get_flag(p, "disable_slat", &s->disable_slat)))
		return err;
	if (get(p, "disable_bw_measurement"))
		return get_flag(p, "disable_bw_measurement", &s->disable_bw);
	return get_flag(p, "disable_bw", &s->disable_bw);
}

/* percentile_list=99:99.9:99.99 */
static int parse_percentiles(struct parser *p)
{
	const char *v = get(p, "percentile_list");
	char buf[256], *item;
	struct job_spec *s = p->s;

	if (!v)
		return 0;
	if (strlen(v) >= sizeof(buf))
		return kernel_fail("percentile_list=%s: too long", v);
	strncpy(buf, v, sizeof(buf));
	s->npercentiles = 0;
	for (item = buf; item;) {
		char *colon = strchr(item, ':');
		micro_t x;

		if (colon)
			*colon = '\0';
		if (s->npercentiles == JOB_PERCENTILES_MAX)
			return kernel_fail("percentile_list=%s: at most %d percentiles", v,
					   JOB_PERCENTILES_MAX);
		if (parse_decimal(item, 6, &x) || x > 100 * MICRO)
			return kernel_fail("percentile_list=%s: '%s' is not a percentile "
					   "from 0 to 100",
					   v, item);
		s->percentiles[s->npercentiles++] = x;
		item = colon ? colon + 1 : NULL;
	}
	/* fio sorts the list, and the JSON keys come out in its order. */
	for (unsigned i = 1; i < s->npercentiles; i++)
		for (unsigned k = i; k > 0 && s->percentiles[k - 1] > s->percentiles[k]; k--) {
			micro_t t = s->percentiles[k];
			s->percentiles[k] = s->percentiles[k - 1];
			s->percentiles[k - 1] = t;
		}
	return 0;
}

/* steadystate=iops:2% | iops_slope:0.1% | bw:10m | bw_slope:..., ss_dur, ss_ramp */
static int parse_steadystate(struct parser *p)
{
	const char *key = "steadystate", *v = get(p, "steadystate");
	struct job_spec *s = p->s;
	char buf[64], *limit;
	size_t len;
	u64 ms;

	if (!v) {
		key = "ss";
		v = get(p, key);
	}
	if (v) {
		if (strlen(v) >= sizeof(buf))
			return kernel_fail("%s=%s: too long", key, v);
		strncpy(buf, v, sizeof(buf));
		limit = strchr(buf, ':');
		if (!limit)
			return kernel_fail("%s=%s: expected METRIC:LIMIT such as iops:2%%", key, v);
		*limit++ = '\0';
		if (!strcmp(buf, "iops"))
			s->ss = SS_IOPS;
		else if (!strcmp(buf, "iops_slope"))
			s->ss = SS_IOPS_SLOPE;
		else if (!strcmp(buf, "bw"))
			s->ss = SS_BW;
		else if (!strcmp(buf, "bw_slope"))
			s->ss = SS_BW_SLOPE;
		else
			return kernel_fail("%s=%s: expected iops, iops_slope, bw or bw_slope", key,
					   v);
		len = strlen(limit);
		s->ss_limit_pct = len && limit[len - 1] == '%';
		if (s->ss_limit_pct)
			limit[len - 1] = '\0';
		if (s->ss_limit_pct || s->ss == SS_IOPS || s->ss == SS_IOPS_SLOPE) {
			if (parse_decimal(limit, 6, &s->ss_limit))
				return kernel_fail("%s=%s: '%s' is not a number", key, v, limit);
		} else {
			u64 bytes;
			/* An absolute bandwidth limit in bytes/s, kept in millionths. */
			if (parse_size(limit, &bytes) || bytes > ~0ull / MICRO)
				return kernel_fail("%s=%s: '%s' is not a bandwidth", key, v, limit);
			s->ss_limit = bytes * MICRO;
		}
	}
	s->ss_dur_ns = 0;
	if ((v = get(p, "ss_dur"))) {
		if (parse_seconds(v, &ms) || !ms)
			return kernel_fail("ss_dur=%s: expected a duration such as 30 or 10s", v);
		s->ss_dur_ns = ms * NSEC_PER_MSEC;
	}
	if ((v = get(p, "ss_ramp"))) {
		if (parse_seconds(v, &ms))
			return kernel_fail("ss_ramp=%s: expected a duration such as 5", v);
		s->ss_ramp_ns = ms * NSEC_PER_MSEC;
	}
	if (s->ss && !s->ss_dur_ns)
		return kernel_fail("%s: steadystate needs ss_dur (the window to judge)", s->name);
	if (s->ss_dur_ns && !s->ss)
		return kernel_fail("%s: ss_dur without steadystate", s->name);
	return 0;
}

static int parse_log(struct parser *p, const char *key, char *out)
{
	const char *v = get(p, key);

	if (!v)
		return 0;
	/* A bare key logs under the job's name, as fio does. */
	if (!*v)
		v = p->s->name;
	if (strlen(v) >= JOB_LOG_NAME_MAX)
		return kernel_fail("%s=%s: at most %d characters", key, v, JOB_LOG_NAME_MAX - 1);
	for (const char *c = v; *c; c++)
		if (*c == '/' || *c == ' ' || *c == '"')
			return kernel_fail("%s=%s: a file name prefix, without '/' or spaces", key,
					   v);
	ksnprintf(out, JOB_LOG_NAME_MAX, "%s", v);
	return 0;
}

static int parse_time(const char *key, const char *v, u64 *ns, bool allow_zero)
{
	u64 ms;

	if (parse_seconds(v, &ms) || (!ms && !allow_zero))
		return kernel_fail("%s=%s: expected a duration such as 5 or 500ms", key, v);
	*ns = ms * NSEC_PER_MSEC;
	return 0;
}

/*
 * fio's CPU list: numbers and ranges joined by commas ("0,2-3"). -ERANGE
 * names a CPU that is not online, -EINVAL anything else wrong.
 */
static int parse_cpu_list(const char *s, unsigned long *mask)
{
	unsigned long m = 0;

	if (!*s)
		return -EINVAL;
	while (*s) {
		u64 a = 0, b;
		const char *start = s;

		while (*s >= '0' && *s <= '9')
			a = a * 10 + (u64)(*s++ - '0');
		if (s == start || a > 1000)
			return -EINVAL;
		b = a;
		if (*s == '-') {
			start = ++s;
			b = 0;
			while (*s >= '0' && *s <= '9')
				b = b * 10 + (u64)(*s++ - '0');
			if (s == start || b < a || b > 1000)
				return -EINVAL;
		}
		if (*s == ',')
			s++;
		else if (*s)
			return -EINVAL;
		for (u64 c = a; c <= b; c++) {
			if (c >= num_online_cpus())
				return -ERANGE;
			m |= 1ul << c;
		}
	}
	*mask = m;
	return 0;
}

int job_parse(struct cmdline *cl, unsigned group, struct job_spec *s)
{
	struct parser p = {cl, group, s};
	const char *v;
	u64 n;
	int err;

	memset(s, 0, sizeof(*s));
	s->group = group;
	ksnprintf(s->name, sizeof(s->name), "job%u", group + 1);
	ksnprintf(s->filename, sizeof(s->filename), "vda");
	s->rw = RW_READ;
	s->seq_nr = 1;
	for (int d = 0; d < DDIR_NR; d++) {
		s->bs[d] = 4096;
		s->perc_random[d] = 100;
	}
	s->iodepth = 1;
	s->ratecycle_ms = 1000;
	s->rwmixread = 50;
	s->seed = JOB_DEFAULT_SEED;
	s->queue_depth = -1;
	s->numjobs = 1;
	s->loops = 1;
	s->poll_us = JOB_DEFAULT_POLL_US;
	s->watchdog_s = JOB_DEFAULT_WATCHDOG_S;
	s->clat_percentiles = true;
	s->dist_center = MICRO / 2;
	memcpy(s->percentiles, default_percentiles, sizeof(default_percentiles));
	s->npercentiles = ARRAY_SIZE(default_percentiles);

	if ((v = get(&p, "name")))
		ksnprintf(s->name, sizeof(s->name), "%s", v);
	if ((v = get(&p, "readwrite")) || (v = get(&p, "rw"))) {
		const char *mod = strchr(v, ':');
		size_t len = mod ? (size_t)(mod - v) : strlen(v);
		unsigned i;

		for (i = 0; i < ARRAY_SIZE(rw_names); i++)
			if (strlen(rw_names[i]) == len && !strncmp(v, rw_names[i], len))
				break;
		if (len == 9 && !strncmp(v, "readwrite", 9))
			i = RW_READWRITE;
		if (i == ARRAY_SIZE(rw_names))
			return kernel_fail("rw=%s: expected read, write, randread, randwrite, rw, "
					   "randrw, trim, randtrim, trimwrite, randtrimwrite or "
					   "writezeroes",
					   v);
		s->rw = (enum job_rw)i;
		if (mod && (err = parse_rw_modifier(s, v, mod + 1)))
			return err;
	}
	if ((err = get_either(&p, "rw_sequencer", "sequential", "identical", &s->rw_seq_identical)))
		return err;
	if ((err = parse_bs(&p)))
		return err;
	for (int d = 0; d < DDIR_NR; d++) {
		s->bs_min[d] = s->bs[d];
		s->bs_max[d] = s->bs[d];
	}
	if ((err = parse_bsrange(&p)) || (err = parse_bssplit(&p)) ||
	    (err = parse_blockalign(&p)) || (err = parse_percentage_random(&p)))
		return err;
	if ((v = get(&p, "number_ios")) && parse_u64(v, &s->number_ios))
		return kernel_fail("number_ios=%s: expected a number of I/Os (0: no limit)", v);
	if ((err = parse_thinktime(&p)))
		return err;
	if ((v = get(&p, "startdelay"))) {
		char lo[32];
		const char *dash = strchr(v, '-');
		size_t len = dash ? (size_t)(dash - v) : strlen(v);
		u64 a, b;

		if (len >= sizeof(lo))
			return kernel_fail(
				"startdelay=%s: expected a duration such as 2 or 500ms, or a "
				"range 1-3",
				v);
		memcpy(lo, v, len);
		lo[len] = '\0';
		if (parse_seconds(lo, &a) || (dash && parse_seconds(dash + 1, &b)) ||
		    (dash && b < a) || (dash ? b : a) > 86400ull * 1000)
			return kernel_fail(
				"startdelay=%s: expected a duration such as 2 or 500ms, or a "
				"range 1-3 (at most a day)",
				v);
		s->startdelay_ns = a * NSEC_PER_MSEC;
		s->startdelay_max_ns = (dash ? b : a) * NSEC_PER_MSEC;
	}
	if ((v = get(&p, "iodepth"))) {
		if (parse_u64(v, &n) || n < 1 || n > JOB_MAX_IODEPTH)
			return kernel_fail("iodepth=%s: expected 1..%d", v, JOB_MAX_IODEPTH);
		s->iodepth = (u32)n;
	}
	if ((err = queue_shaping(&p)) || (err = parse_latency(&p)))
		return err;
	if ((v = get(&p, "runtime")) && (err = parse_time("runtime", v, &s->runtime_ns, false)))
		return err;
	if ((err = get_flag(&p, "time_based", &s->time_based)))
		return err;
	if ((v = get(&p, "ramp_time")) && (err = parse_time("ramp_time", v, &s->ramp_ns, true)))
		return err;
	if ((v = get(&p, "size")) && (err = size_or_percent("size", v, &s->size, &s->size_pct)))
		return err;
	if ((v = get(&p, "io_size")) || (v = get(&p, "io_limit"))) {
		if (parse_size(v, &s->io_size) || !s->io_size)
			return kernel_fail("io_size=%s: expected a size such as 64M", v);
	}
	if ((v = get(&p, "offset")) &&
	    (err = size_or_percent("offset", v, &s->offset, &s->offset_pct)))
		return err;
	if (s->offset_pct == 100)
		return kernel_fail("offset=%s: the region would be empty", v);
	if ((v = get(&p, "offset_increment")) && parse_size(v, &s->offset_increment))
		return kernel_fail("offset_increment=%s: expected a size such as 64M", v);
	if ((v = get(&p, "numjobs"))) {
		if (parse_u64(v, &n) || n < 1 || n > JOB_MAX_NUMJOBS)
			return kernel_fail("numjobs=%s: expected 1..%d", v, JOB_MAX_NUMJOBS);
		s->numjobs = (u32)n;
	}
	if ((err = get_flag(&p, "group_reporting", &s->group_reporting)) ||
	    (err = get_flag(&p, "stonewall", &s->stonewall)) ||
	    (err = get_flag(&p, "wait_for_previous", &s->stonewall)) ||
	    (err = get_flag(&p, "new_group", &s->new_group)))
		return err;
	if ((v = get(&p, "loops"))) {
		if (parse_u64(v, &n) || n < 1 || n > 1000000)
			return kernel_fail("loops=%s: expected a positive number", v);
		s->loops = (u32)n;
	}
	if ((v = get(&p, "filename"))) {
		if (strlen(v) >= sizeof(s->filename))
			return kernel_fail("filename=%s: no such disk", v);
		ksnprintf(s->filename, sizeof(s->filename), "%s", v);
	}
	if ((v = get(&p, "verify"))) {
		if (!strcmp(v, "crc32c"))
			s->verify = true;
		else if (strcmp(v, "0") && strcmp(v, "none"))
			return kernel_fail("verify=%s: expected crc32c or 0", v);
	}
	if ((v = get(&p, "randseed")) && parse_u64(v, &s->seed))
		return kernel_fail("randseed=%s: expected a number", v);
	/* Reads expect the writer's seed: this job's randseed unless told otherwise. */
	s->verify_seed = s->seed;
	/*
	 * verify_seed=N expects another writer's seed; A:B:C any of several
	 * known writers (a region some of whose blocks a later job rewrote);
	 * "any" accepts data of unknown origin.
	 */
	if ((v = get(&p, "verify_seed"))) {
		char buf[256], *item;

		if (!s->verify)
			return kernel_fail("verify_seed=%s: only with verify=crc32c", v);
		if (!strcmp(v, "any")) {
			s->verify_seed = STAMP_ANY_SEED;
		} else {
			if (strlen(v) >= sizeof(buf))
				return kernel_fail("verify_seed=%s: too long", v);
			strncpy(buf, v, sizeof(buf));
			for (item = buf; item;) {
				char *colon = strchr(item, ':');
				u64 seed;

				if (colon)
					*colon = '\0';
				if (parse_u64(item, &seed) || seed == STAMP_ANY_SEED)
					return kernel_fail(
						"verify_seed=%s: expected seeds separated "
						"by ':', or 'any' for data of unknown "
						"origin",
						v);
				if (s->nverify_seeds == JOB_VERIFY_SEEDS_MAX)
					return kernel_fail("verify_seed=%s: at most %d seeds", v,
							   JOB_VERIFY_SEEDS_MAX);
				s->verify_seeds[s->nverify_seeds++] = seed;
				item = colon ? colon + 1 : NULL;
			}
			s->verify_seed = s->verify_seeds[0];
		}
	}
	if ((v = get(&p, "verify_backlog"))) {
		if (parse_u64(v, &n) || n < 1 || n > 1u << 20)
			return kernel_fail("verify_backlog=%s: expected a number of writes", v);
		s->verify_backlog = (u32)n;
	}
	if ((v = get(&p, "rwmixread"))) {
		if (parse_u64(v, &n) || n > 100)
			return kernel_fail("rwmixread=%s: expected 0..100", v);
		s->rwmixread = (u32)n;
	}
	if ((v = get(&p, "rwmixwrite"))) {
		if (parse_u64(v, &n) || n > 100)
			return kernel_fail("rwmixwrite=%s: expected 0..100", v);
		if (get(&p, "rwmixread") && s->rwmixread != 100 - n)
			return kernel_fail("rwmixwrite=%s: rwmixread=%u says otherwise", v,
					   s->rwmixread);
		s->rwmixread = 100 - (u32)n;
	}
	if ((v = get(&p, "fsync"))) {
		if (parse_u64(v, &n) || n > 1000000)
			return kernel_fail("fsync=%s: expected a number of writes (0: never)", v);
		s->fsync = (u32)n;
	}
	if ((err = get_flag(&p, "norandommap", &s->norandommap)) ||
	    (err = get_flag(&p, "flush_trace", &s->flush_trace)))
		return err;
	if ((err = parse_distribution(&p)))
		return err;
	/* As fio does: a skewed distribution draws with replacement. */
	if (s->dist != DIST_RANDOM)
		s->norandommap = true;
	/* fio: blockalign is for random I/O, and any other than the block size turns off the map.
	 */
	if (!rw_is_random(s->rw))
		s->blockalign = 0;
	for (int d = 0; d < DDIR_NR && s->blockalign; d++)
		if (s->blockalign != job_dir_min_bs(s, (enum ddir)d))
			s->norandommap = true;
	if ((err = parse_rates(&p, "rate", NULL, s->rate_bps)) ||
	    (err = parse_rates(&p, "rate_iops", NULL, s->rate_iops)) ||
	    (err = parse_rates(&p, "rate_min", "ratemin", s->rate_min_bps)) ||
	    (err = parse_rates(&p, "rate_iops_min", NULL, s->rate_iops_min)))
		return err;
	if ((err = get_either(&p, "io_submit_mode", "inline", "offload", &s->submit_offload)) ||
	    (err = get_either(&p, "rate_process", "linear", "poisson", &s->rate_poisson)))
		return err;
	if ((v = get(&p, "rate_cycle")) || (v = get(&p, "ratecycle"))) {
		if (parse_u64(v, &n) || n < 1 || n > 3600 * 1000)
			return kernel_fail("rate_cycle=%s: expected milliseconds, 1 to an hour's",
					   v);
		s->ratecycle_ms = (u32)n;
	}
	if ((v = get(&p, "path"))) {
		if (!strcmp(v, "request"))
			s->path = JOB_PATH_REQUEST;
		else if (!strcmp(v, "bio"))
			s->path = JOB_PATH_BIO;
		else if (!strcmp(v, "raw"))
			s->path = JOB_PATH_RAW;
		else if (!strcmp(v, "mq"))
			s->path = JOB_PATH_MQ;
		else
			return kernel_fail("path=%s: expected request, bio, mq or raw", v);
	}
	if ((v = get(&p, "sched"))) {
		bool mq = !strcmp(v, "none") || !strcmp(v, "mq-deadline");

		if (s->path == JOB_PATH_MQ && !mq)
			return kernel_fail(
				"sched=%s: path=mq's schedulers are none and mq-deadline", v);
		if (mq && s->path != JOB_PATH_MQ)
			return kernel_fail("sched=%s: a blk-mq scheduler, for path=mq", v);
		if (!mq && strcmp(v, "deadline") && strcmp(v, "noop"))
			return kernel_fail("sched=%s: expected deadline or noop (or, with path=mq, "
					   "none or mq-deadline)",
					   v);
		s->sched = v;
	}
	if ((v = get(&p, "cpus_allowed"))) {
		int err = parse_cpu_list(v, &s->cpus_allowed);

		if (err == -ERANGE)
			return kernel_fail("cpus_allowed=%s: no such CPU (%u online: 0-%u)", v,
					   num_online_cpus(), num_online_cpus() - 1);
		if (err)
			return kernel_fail("cpus_allowed=%s: expected CPU numbers and ranges, as "
					   "0,2-3",
					   v);
	}
	if ((v = get(&p, "queue_depth"))) {
		if (parse_u64(v, &n) || n < 1 || n > 65536)
			return kernel_fail("queue_depth=%s: expected a positive number", v);
		s->queue_depth = (int)n;
	}
	if ((v = get(&p, "poll_us"))) {
		if (parse_u64(v, &n) || n > 1000000)
			return kernel_fail("poll_us=%s: expected 0..1000000 (0: never poll)", v);
		s->poll_us = (u32)n;
	}
	if ((v = get(&p, "watchdog"))) {
		if (parse_u64(v, &n) || n > 86400)
			return kernel_fail("watchdog=%s: expected seconds (0: off)", v);
		s->watchdog_s = (u32)n;
	}
	if ((v = get(&p, "hipri"))) {
		bool b = true;
		if (*v && parse_bool(v, &b))
			return kernel_fail("hipri=%s: expected 1 or 0", v);
		s->hipri = b;
	}
	if ((v = get(&p, "continue_on_error"))) {
		if (strcmp(v, "none") && strcmp(v, "io") && strcmp(v, "all"))
			return kernel_fail("continue_on_error=%s: expected none, io or all", v);
		s->continue_on_error = strcmp(v, "none") != 0;
	}
	if ((err = parse_gtod_reduce(&p)) || (err = parse_percentiles(&p)) ||
	    (err = get_flag(&p, "clat_percentiles", &s->clat_percentiles)) ||
	    (err = get_flag(&p, "slat_percentiles", &s->slat_percentiles)) ||
	    (err = get_flag(&p, "lat_percentiles", &s->lat_percentiles)) ||
	    (err = parse_steadystate(&p)))
		return err;
	if ((err = parse_log(&p, "write_iops_log", s->iops_log)) ||
	    (err = parse_log(&p, "write_bw_log", s->bw_log)) ||
	    (err = parse_log(&p, "write_lat_log", s->lat_log)) ||
	    (err = get_flag(&p, "log_offset", &s->log_offset)))
		return err;
	if ((v = get(&p, "log_avg_msec"))) {
		if (parse_u64(v, &n) || n > 3600 * 1000)
			return kernel_fail("log_avg_msec=%s: expected milliseconds", v);
		s->log_avg_msec = (u32)n;
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

	/* Combinations that cannot mean anything. */
	if (s->path == JOB_PATH_RAW && (s->sched || s->ntunables))
		return kernel_fail("%s: path=raw has no scheduler to set", s->name);
	if (s->path == JOB_PATH_RAW && rw_has_trims(s->rw))
		return kernel_fail("%s: path=raw moves data only; rw=%s needs a block path",
				   s->name, rw_names[s->rw]);
	if (s->path == JOB_PATH_RAW && job_max_bs(s) > PAGE_SIZE * 256)
		return kernel_fail("%s: path=raw takes blocks up to 1M", s->name);
	if (rw_trims(s->rw) && s->verify)
		return kernel_fail("%s: verify does not apply to rw=%s", s->name, rw_names[s->rw]);
	if (s->time_based && !s->runtime_ns)
		return kernel_fail("%s: time_based needs a runtime", s->name);
	if (s->verify_backlog && !s->verify)
		return kernel_fail("%s: verify_backlog needs verify=crc32c", s->name);
	if (s->verify && s->numjobs > 1 && rw_writes(s->rw) && !s->offset_increment)
		return kernel_fail("%s: %u verified writers would overwrite each other's blocks; "
				   "give each its region with offset_increment",
				   s->name, s->numjobs);
	if (s->log_avg_msec == 0 && (s->iops_log[0] || s->bw_log[0]))
		s->log_avg_msec = 0; /* per-I/O samples, as fio; see bench/iolog.c */
	return 0;
}
