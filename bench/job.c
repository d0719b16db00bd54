/* SPDX-License-Identifier: MIT */
/*
 * Job descriptions: the keys of one job group of the command line, in fio's
 * vocabulary, checked and turned into a struct job_spec before anything
 * runs, so that a typo in the last job fails the run before the first job
 * starts.
 */
#include "bench/job.h"
#include "block/elevator.h"
#include "kernel/cmdline.h"
#include "kernel/kernel.h"
#include "kernel/platform.h"
#include "kernel/string.h"

const char *const rw_names[] = {
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
	"flush_trace",
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
	if ((v = cmdline_get(cl, group, "flush_trace"))) {
		bool b = true;
		if (*v && parse_bool(v, &b))
			return kernel_fail("flush_trace=%s: expected 1 or 0", v);
		s->flush_trace = b;
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
