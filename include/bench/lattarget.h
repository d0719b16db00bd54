/* SPDX-License-Identifier: MIT */
/*
 * fio's latency target (latency_target, latency_window, latency_percentile,
 * latency_run): a job looks for the deepest queue at which its I/Os keep
 * within a latency. It starts at depth 1; after each window in which
 * enough of its I/Os were within the target it doubles the depth (or,
 * once a depth has failed, bisects towards it), and after a window that
 * failed it bisects down. When a step would leave the depth where it is,
 * the search is over: one more window runs at that depth with the
 * statistics started afresh, and the job ends (or, with latency_run, the
 * search goes on for the whole run).
 *
 * The search alone, as fio's io_u.c runs it (lat_target_success,
 * __lat_target_failed, lat_target_check), on counts and times the job
 * engine gives it; the engine limits the queue to @qd, drains it when a
 * step asks, and restarts the statistics for the final window
 * (bench/engine.c). Pure, so the host unit tests drive it step by step.
 */
#ifndef BENCH_LATTARGET_H
#define BENCH_LATTARGET_H

#include "kernel/types.h"

struct lat_target {
	u32 iodepth;   /* the job's: the search's ceiling */
	u32 qd;	       /* the depth in force */
	u32 low, high; /* the deepest that passed, the shallowest that failed */
	u32 stable;    /* passes in a row one below high (fio raises high after 3) */
	bool end_run;  /* the final window is under way */
	u64 cycle_ns;  /* this window's start */
	u64 cycle_ios; /* completed I/Os when it started */
	u64 failed;    /* of those since, over the target */
};

enum lat_step {
	LAT_NONE,  /* nothing changes */
	LAT_UP,	   /* a deeper queue: a new window starts now */
	LAT_DOWN,  /* a shallower queue: drain, then a new window */
	LAT_FINAL, /* found: drain, restart the statistics, one more window */
	LAT_DONE,  /* the final window passed: the job ends */
	LAT_FATAL, /* over the target at depth 1 with latency_percentile=100 */
};

/* @on: the job has a latency_target; else the depth stays @iodepth. */
void lat_target_init(struct lat_target *t, u32 iodepth, bool on, u64 ios, u64 now);
/* A window starts: @ios I/Os have completed so far. */
void lat_target_cycle(struct lat_target *t, u64 ios, u64 now);
/* One I/O over the target (@pct: latency_percentile, in millionths of a percent). */
enum lat_step lat_target_over(struct lat_target *t, u64 pct);
/* Called as the job runs: the window's verdict once @window_ns have passed. */
enum lat_step lat_target_check(struct lat_target *t, u64 window_ns, u64 pct, bool run, u64 ios,
			       u64 now);

#endif
