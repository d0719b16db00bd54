/* SPDX-License-Identifier: MIT */
/*
 * A job as the command line describes it, in fio's keys (bench/job.c), and
 * the engine's entry point (bench/engine.c): jobs run through the block
 * layer (or, for path=raw, straight on one polled virtqueue) and are
 * reported over the serial console in human and JSON form.
 */
#ifndef BENCH_JOB_H
#define BENCH_JOB_H

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

#define JOB_MAX_IODEPTH 1024
#define JOB_MAX_BS MiB(4)
#define JOB_DEFAULT_SEED 0x76626c6bull /* "vblk" */
/*
 * Hybrid polling: for poll_us after the last completion, reap the used
 * rings instead of halting (poll_us=0: interrupts only). Under TCG a halted
 * vCPU is woken through the host's scheduler, which costs about 100 us on
 * an idle host: measured side by side, randread 4k at iodepth 1 on the
 * bypass path took 127 us per I/O with interrupts alone and 35 us with a
 * 200 us window. On a host whose cores are busy anyway the wake-up is cheap
 * and polling only spends CPU; the job reports cpu_util either way.
 */
#define JOB_DEFAULT_POLL_US 100

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
	bool flush_trace;	/* a serial line per flush: the writes it covers */
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

extern const char *const rw_names[];

static inline bool rw_is_random(enum job_rw rw)
{
	return rw == RW_RANDREAD || rw == RW_RANDWRITE || rw == RW_RANDRW || rw == RW_RANDTRIM;
}

static inline bool rw_writes(enum job_rw rw)
{
	return rw == RW_WRITE || rw == RW_RANDWRITE || rw == RW_READWRITE || rw == RW_RANDRW;
}

/* Jobs whose writes carry no data: discard (fio's trim) and write-zeroes. */
static inline bool rw_trims(enum job_rw rw)
{
	return rw == RW_TRIM || rw == RW_RANDTRIM || rw == RW_WRITEZEROES;
}

#endif
