/* SPDX-License-Identifier: MIT */
/*
 * The job engine: fio-like jobs, described on the command line with fio's
 * keys, run through the block layer (or, for path=raw, straight on one
 * polled virtqueue) and reported over the serial console in human and JSON
 * form.
 */
#ifndef KERNEL_FIO_H
#define KERNEL_FIO_H

#include "kernel/cmdline.h"
#include "kernel/types.h"

enum job_path { JOB_PATH_DEFAULT, JOB_PATH_REQUEST, JOB_PATH_BIO, JOB_PATH_RAW };

enum job_rw {
	RW_READ,
	RW_WRITE,
	RW_RANDREAD,
	RW_RANDWRITE,
	RW_READWRITE,
	RW_RANDRW,
	RW_TRIM,
	RW_RANDTRIM,
	RW_WRITEZEROES
};

#define JOB_NAME_MAX 32
#define JOB_SCHED_TUNABLES 6

struct job_spec {
	char name[JOB_NAME_MAX];
	char filename[16];
	enum job_rw rw;
	u32 bs;
	u32 iodepth;
	u64 runtime_ns; /* 0: until size/io_size */
	u64 size;	/* region length in bytes, 0: to the end of the disk */
	u64 io_size;	/* bytes to transfer, 0: size (or runtime) */
	u64 offset;
	u32 rwmixread; /* percent */
	bool verify;
	bool norandommap;	/* fio's: draw random blocks with replacement */
	bool continue_on_error; /* fio's continue_on_error=io: report, go on */
	u32 poll_us;		/* hybrid polling window, 0: interrupts only */
	u32 fsync;		/* fio's: a flush after every N writes, 0: never */
	u64 seed;
	enum job_path path;
	const char *sched; /* NULL: keep the disk's */
	int queue_depth;   /* -1: keep the disk's */
	/* Scheduler tunables to apply (key, value), applied after the drain. */
	const char *tunable_key[JOB_SCHED_TUNABLES];
	const char *tunable_val[JOB_SCHED_TUNABLES];
	unsigned ntunables;
};

/* Claim a job group's keys; 0 or a kernel_fail() status naming the key. */
int job_parse(struct cmdline *cl, unsigned group, struct job_spec *spec);
/* Run one job to completion; 0 or a kernel_fail() status. */
int job_run(struct job_spec *spec, unsigned index);
/* Whether a group of the command line describes a job (has job keys). */
bool job_group_is_job(struct cmdline *cl, unsigned group);

/* "tcg", "kvm" or "unknown", from the hypervisor CPUID leaf. */
const char *accel_name(void);

#endif
