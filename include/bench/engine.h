/* SPDX-License-Identifier: MIT */
/*
 * The job engine's running state, shared by its files: bench/engine.c (the
 * I/O loop), bench/verify.c (stamps and their checks) and bench/report.c
 * (human and JSON reports).
 */
#ifndef BENCH_ENGINE_H
#define BENCH_ENGINE_H

#include "bench/histogram.h"
#include "bench/job.h"
#include "bench/randmap.h"
#include "kernel/types.h"

struct gendisk;
struct virtio_blk;
struct virtblk_req;
struct blk_counters;
struct virtio_blk_stats;

struct job;

struct io_u {
	struct job *job;
	void *buf;
	unsigned buf_order;
	u64 offset; /* bytes from the start of the disk */
	u32 len;
	bool write;
	bool flush;	  /* fio's fsync: a cache flush, no data */
	bool verify_read; /* check the stamps when the read completes */
	u64 start_ns;
	unsigned pending_bios;
	int error;
	struct virtblk_req *vbr; /* path=raw */
	u64 flushes_done;	 /* flush_trace: the job's completed flushes at issue */
};

struct job {
	struct job_spec *spec;
	unsigned index;
	struct gendisk *disk;
	struct virtio_blk *raw; /* path=raw */
	u64 region_start;	/* bytes */
	u64 region_blocks;	/* in units of bs */
	u64 seq_next;
	u64 rng;
	struct randmap map; /* random jobs: each block once per pass (fio's default) */
	u64 bytes_target;   /* 0: time based */
	u64 issued_bytes;
	u64 deadline_ns;
	bool stop;
	bool verifying; /* the read-back phase after a verify job's writes */
	u64 verify_next;
	u8 *written; /* bitmap of blocks this job wrote, for verify */
	unsigned in_flight;
	bool continue_on_error;

	/* Results. */
	u64 ios, bytes, read_ios, write_ios;
	u64 verified_bytes; /* read back and checked after the writes */
	u64 syncs, writes_since_sync;
	u64 errors, verify_failures;
	u64 start_ns, end_ns, idle_start_ns;
	u64 next_progress_ns, progress_ios;
	u64 first_completion_ns;
	u64 poll_ns, last_activity_ns; /* hybrid polling window */
	struct histogram lat;
	char fail[160];

	struct io_u *units;

	/*
	 * flush_trace=1: the writes completed since the last flush was issued,
	 * as sector ranges, printed when the next flush is issued; and the most
	 * flushes any of them had seen complete when it was issued.
	 */
	struct {
		u64 sector;
		u64 count;
	} ftrace[12];
	unsigned ftrace_n;
	u64 ftrace_flushes, ftrace_flushes_done, ftrace_after;
};

void job_failf(struct job *j, const char *fmt, ...) __printf(2, 3);

/* bench/report.c: the human lines and the JSON line of a finished job. */
void job_report(struct job *j, const struct blk_counters *c0, const struct blk_counters *c1,
		const struct virtio_blk_stats *v0, const struct virtio_blk_stats *v1, u64 idle_ns);

#endif
