/* SPDX-License-Identifier: MIT */
/*
 * The job engine's running state, shared by its files:
 *
 *   bench/engine.c   the I/O loop: jobs that run at the same time on one
 *                    CPU, their I/O units, limits, phases and completion
 *   bench/verify.c   stamps with the writer's seed and generation, checks
 *   bench/stats.c    per-direction statistics, interval samples, steady state
 *   bench/iolog.c    fio's per-interval log lines over the serial console
 *   bench/report.c   the human lines and this project's JSON line
 *   bench/fio_json.c the job object of fio's JSON output
 *   bench/dist.c     random offsets: uniform, zipf, pareto, normal, zoned
 *
 * A "job" here is one running copy of a job_spec, fio's thread: a spec with
 * numjobs=4 runs as four jobs, each with its own region when
 * offset_increment says so.
 */
#ifndef BENCH_ENGINE_H
#define BENCH_ENGINE_H

#include "bench/histogram.h"
#include "bench/job.h"
#include "bench/lattarget.h"
#include "bench/randmap.h"
#include "kernel/list.h"
#include "kernel/types.h"

struct gendisk;
struct virtio_blk;
struct virtblk_req;

/*
 * Time from @then to @now, 0 when @then is later: the loop reads the clock
 * once a round, and completions that arrive within the round (a softirq
 * run while a submission waits for a tag, say) stamp later times; and the
 * clock steps back by a jump of the TSC smaller than the clock watchdog's
 * window once the watchdog takes it out (kernel/time.c). Every interval
 * the engine reports goes through here, so none wraps to 584 years.
 */
static inline u64 ns_since(u64 now, u64 then)
{
	return now > then ? now - then : 0;
}

/* fio samples bandwidth and IOPS every 500 ms (its bwavgtime and iopsavgtime). */
#define STAT_SAMPLE_NS (500 * NSEC_PER_MSEC)

/* Running mean and deviation of interval samples (fio's bw_* and iops_* fields). */
struct sample_stat {
	u64 n;
	u64 min, max;
	u64 sum;
	unsigned __int128 sumsq;
};

/* fio's latency buckets: 2..1000 ns, 2..1000 us, 2..2000+ ms. */
#define LAT_N_NR 10
#define LAT_U_NR 10
#define LAT_M_NR 12
/* fio's depth buckets: 1, 2, 4, 8, 16, 32, >=64. */
#define DEPTH_NR 7

struct io_stat {
	u64 ios, bytes;
	u64 short_ios;
	struct histogram slat, clat, lat;
	struct sample_stat bw, iops; /* KiB/s and I/Os per second, per 500 ms */
};

/* Everything fio reports for one job (or one group of them). */
struct job_stats {
	struct io_stat dir[DDIR_NR];
	u64 syncs;
	struct histogram sync_lat;
	u64 lat_n[LAT_N_NR], lat_u[LAT_U_NR], lat_m[LAT_M_NR];
	u64 depth_map[DEPTH_NR];
	u64 submit_map[DEPTH_NR], complete_map[DEPTH_NR];
	u64 total_submit, total_complete;
	u64 errors;
	u64 runtime_ns;		    /* counted time, after ramp */
	u64 busy_ns;		    /* of that, time the CPU was not halted */
	u64 verified_bytes;	    /* read and checked against their stamps */
	u64 verify_failures;	    /* sectors that failed the check */
	u64 vpass_ios, vpass_bytes; /* reads of the verify phase (in the read stats, as fio's) */
};

struct job;

struct io_u {
	struct job *job;
	struct list_head list; /* on the job's free list while idle */
	void *buf;
	unsigned buf_order;
	u64 offset; /* bytes from the start of the disk */
	u32 len;
	u8 ddir;	  /* enum ddir */
	bool flush;	  /* fio's fsync: a cache flush, no data */
	bool verify_read; /* check the stamps when the read completes */
	bool counted;	  /* its latency and bytes go into the statistics */
	bool verify_pass; /* a read of the verify phase (fio's do_verify) */
	bool busy;	  /* in flight */
	u32 gen;	  /* the generation a verified write stamps */
	u64 start_ns, issue_ns;
	unsigned pending_bios;
	int error;
	struct virtblk_req *vbr; /* path=raw */
	u64 flushes_done;	 /* flush_trace: the job's completed flushes at issue */
};

enum job_state {
	JOB_SETUP,
	JOB_RAMP,   /* running, not counted yet */
	JOB_RUN,    /* running and counted */
	JOB_DRAIN,  /* issuing no more; waiting for what is in flight */
	JOB_VERIFY, /* reading back what it wrote */
	JOB_DONE,
};

/* Interval state of one log file (bench/iolog.c). */
struct iolog {
	char file[JOB_LOG_NAME_MAX + 24];
	u64 next_ns;
	u64 sum[DDIR_NR], n[DDIR_NR];
};

/*
 * A random distribution's state: its fields are private to bench/dist.c,
 * here they are opaque words.
 */
struct dist_state {
	u64 words[32];
};

struct job {
	const struct job_spec *spec;
	unsigned number; /* 1, 2, ... over the whole run: log file names, fio's job index */
	unsigned clone;	 /* 0 .. numjobs-1 */
	unsigned groupid;
	char name[JOB_NAME_MAX];
	struct gendisk *disk;
	struct virtio_blk *raw; /* path=raw */
	enum job_state state;
	char fail[192];
	int error; /* fio's "error": the errno that failed the job, 0 */

	/* The region and how it is walked. */
	u64 region_start, region_len; /* bytes */
	u32 unit;   /* bytes: the verify map's grain, the offsets' (gcd of bs, ba, holes) */
	u32 min_bs; /* the smallest block any direction uses: bsrange's grain */
	u64 region_units;
	/* Random I/O: draw_units starting points, align_units apart (fio's blockalign). */
	u64 draw_units;
	u32 align_units;
	/* Each direction's sequential stream: where its last I/O ended and began. */
	u64 seq_pos[DDIR_NR], last_start[DDIR_NR];
	u64 rng, bs_rng, mix_rng, seq_rng, poisson_rng;
	u64 poisson_due_ns[DDIR_NR]; /* rate_process=poisson: each direction's next turn */
	/* A rate limit's wait (bench/engine.c, rate_limited): drain, sleep, then this direction. */
	bool rate_on;
	u8 rate_wait, rate_ddir;
	u64 rate_sleep_ns, rate_until_ns;
	struct randmap map;
	struct dist_state dist;
	u32 seq_left;	   /* rw=randread:N: I/Os until the next random offset */
	u64 issued_total;  /* I/Os placed, over all loops (number_ios) */
	bool pass_over;	   /* this loop places no more: number_ios, or off the end with holes */
	bool plain_random; /* no rw=randread:N, no percentage_random: every pick is random */
	bool paced;	   /* thinktime or number_ios */
	u64 placed_done;   /* of those, completed (thinktime_blocks) */
	/* fio's thinktime: the count it last waited at, and the wait under way. */
	u8 think; /* enum think_state (bench/engine.c) */
	u64 think_count, think_at_count, think_last_ns, think_spin_until, think_until;
	/* A job waiting for a time (think, rate limit, startdelay): until when, busy or idle. */
	u64 wake_ns;
	bool wake_busy;
	u64 delay_from_ns;  /* startdelay: when the job's group began (0: not delayed) */
	u64 pending_off;    /* an offset chosen but not issued yet (its block busy), or ~0 */
	bool tw_write_next; /* trimwrite: the trim is out, its write is next */
	u32 trimmed_len;    /* trimwrite: the last trim's length (randtrimwrite's write) */
	u8 pending_ddir;    /* its direction (zoned lists differ by direction) */
	u8 pending_pick;    /* how it was chosen (a random one is marked in the map) */
	u8 *covered;	    /* sizes that vary: blocks this pass has covered (fio's map) */
	u64 covered_count;

	/* How much, how long. */
	u32 loop;
	u64 loop_bytes_target; /* 0: time based */
	u64 loop_issued_bytes;
	u64 start_ns;	    /* the job began issuing */
	u64 count_start_ns; /* counting began (after ramp) */
	u64 end_ns;
	u64 deadline_ns; /* runtime limit (after ramp), 0: none */
	bool stop;	 /* issue nothing more */
	u64 writes_since_sync;
	u64 issued_ios[DDIR_NR], issued_bytes[DDIR_NR]; /* for rate limits, while counted */
	u64 rate_start_ns;

	/* The I/O units. */
	struct io_u *units;
	struct list_head free_units;
	unsigned in_flight;
	/*
	 * path=raw: units issued while the ring was full, oldest first. They
	 * are in flight (counted in in_flight) and go onto the ring as
	 * completions make room, as a block layer would hold them.
	 */
	struct list_head raw_parked;
	unsigned raw_parked_n;
	bool raw_unparking;
	bool filling; /* job_fill_ex is running: no fill nests inside it */
	/*
	 * fio's reaping, when a job shapes its queue (iodepth_batch_complete_min
	 * or _max above 1, iodepth_low below iodepth): units the device has
	 * completed wait on ready_units until the job's loop reaps them, as
	 * fio's thread does with getevents; a fill that leaves no unit free
	 * starts a reap (reaping), and nothing is issued until it ends.
	 */
	bool shaped, reaping;
	struct list_head ready_units;
	unsigned ready;
	/*
	 * fio's latency target (lat_on: the search of bench/lattarget.c limits
	 * the queue to lat.qd) and max_latency (lat_check: either is on).
	 */
	struct lat_target lat;
	bool lat_on, lat_check;
	u8 lat_wait;   /* a step waits for the queue to drain (enum lat_step) */
	u64 lat_ios;   /* counted I/Os completed, for the search's windows */
	u32 lat_lines; /* search steps shown */
	/* fio's rate_min and rate_iops_min: each direction's last look. */
	bool min_rate;
	u64 min_rate_ns[DDIR_NR], min_rate_bytes[DDIR_NR], min_rate_ios[DDIR_NR];
	u64 ios_ended;	      /* units completed, ever (job_fill_ex: did time move on?) */
	u64 last_progress_ns; /* last completion: the watchdog's reference */

	/* Verify (bench/verify.c). */
	u32 *gen_map; /* per unit: the generation last written, 0 unknown */
	u64 *backlog; /* units written since the last verify_backlog pass */
	u32 backlog_len, backlog_pos;
	u64 verify_next; /* next unit of the read-back pass */
	bool verify_backlog_pass;

	/* Statistics (bench/stats.c). */
	struct job_stats st;
	u64 share0_ns; /* the CPU's running busy share when counting began */
	bool sharing;  /* counted in that share (until stats_finish) */
	u64 sample_next_ns, sample_ios[DDIR_NR], sample_bytes[DDIR_NR];
	u64 progress_next_ns, progress_ios;
	/* Steady state: one sample per second over ss_dur. */
	u64 *ss_iops, *ss_bw;
	u32 ss_len, ss_head, ss_count;
	u64 ss_next_ns, ss_last_ios, ss_last_bytes;
	bool ss_attained;
	micro_t ss_criterion;
	u64 ss_max_dev_x1e6;
	s64 ss_slope_x1e6;
	/* Logs. */
	struct iolog log_iops, log_bw, log_lat, log_clat, log_slat;
	bool logging; /* any of them named (bench/iolog.c) */

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

	/* Hybrid polling. */
	u64 poll_ns, last_activity_ns;
	/* The driver's counters when the job began counting (report.c). */
	u64 kicks0, irqs0, merges0, rekicks0, lost_irqs0;
	struct job_queue_counters *queues0; /* per virtqueue and CPU (report.c) */
	unsigned cpu;			    /* where it runs (bench/cpus.c) */
};

void job_failf(struct job *j, const char *fmt, ...) __printf(2, 3);

/* bench/engine.c: run @n jobs side by side on this CPU until all are done. */
int engine_run(struct job **jobs, unsigned n);
/*
 * The parts of engine_run, for jobs on several CPUs: the watchdog over
 * every job of the phase (engine_watch, engine_unwatch, on the boot CPU),
 * and one CPU's share of the jobs (engine_run_set, on that CPU).
 */
void engine_watch(struct job **jobs, unsigned n);
void engine_unwatch(void);
int engine_run_set(struct job **jobs, unsigned n);

/* bench/cpus.c: place the phase's jobs on CPUs and run each CPU's share there. */
int engine_run_cpus(struct job **jobs, unsigned n);
/* bench/report.c */
void job_report_free(struct job *j);
void jobs_place(struct job **jobs, unsigned n);

/* The TSC when the run's first I/O completed (the boot-time figure), 0 before. */
extern u64 engine_first_completion_tsc;
__noreturn void job_watchdog_fire(struct job *j, u64 now);
unsigned batch_bucket(unsigned n);
/* "raw", "bio" or "request": the path the job's I/O takes. */
const char *job_path_name(struct job *j);
const char *job_sched_name(struct job *j);
int job_init(struct job *j, const struct job_spec *s, unsigned number, unsigned clone);
void job_free(struct job *j);

/* bench/verify.c */
int verify_setup(struct job *j);
void verify_free(struct job *j);
bool verify_unit_busy(const struct job *j, u64 offset, u32 len);
void verify_io_start(struct job *j, struct io_u *u);
void verify_io_done(struct job *j, struct io_u *u);
bool verify_read_wanted(const struct job *j, u64 offset, u32 len);
void verify_check_read(struct job *j, struct io_u *u);
/* The next read-back: VERIFY_READ (in *u), VERIFY_WAIT (its blocks are busy), VERIFY_NONE. */
enum { VERIFY_NONE, VERIFY_READ, VERIFY_WAIT };
int verify_next_read(struct job *j, struct io_u *u);

/* bench/stats.c */
void stats_init(struct job_stats *st);
void stats_merge(struct job_stats *into, const struct job_stats *from);
void stats_account(struct job *j, struct io_u *u, u64 now);
void stats_tick(struct job *j, u64 now);
void stats_begin_counting(struct job *j, u64 now);
void stats_finish(struct job *j, u64 now);
u64 sample_mean_x1e6(const struct sample_stat *s);
u64 sample_stddev_x1e6(const struct sample_stat *s);
void ss_tick(struct job *j, u64 now);
void stats_restart(struct job *j, u64 now);

/* bench/iolog.c */
void iolog_init(struct job *j);
void iolog_add(struct job *j, struct io_u *u, u64 now);
void iolog_tick(struct job *j, u64 now, bool final);

/* bench/dist.c */
/*
 * A distribution over the region's n blocks of @unit bytes. 0, or -ENOMEM
 * when zipf's table or the zones do not fit; dist_free releases them (a
 * zeroed state too).
 */
int dist_init(struct dist_state *d, const struct job_spec *s, u64 n, u32 unit, u64 seed);
/* The next block (of n) for a random I/O in direction @dir. */
u64 dist_next(struct dist_state *d, enum ddir dir);
void dist_free(struct dist_state *d);

/* bench/report.c and bench/fio_json.c */
void report_begin(struct job *j);
void job_report(struct job *j);
void fio_json_report(const char *jobname, unsigned groupid, int error, const struct job_spec *s,
		     const struct job_stats *st, const struct job *job, u64 elapsed_ns);

/* Fixed-point printing helpers shared by the reports. */
const char *fmt_fixed(char *buf, size_t n, u64 value_x1000, unsigned decimals);
const char *fmt_micro(char *buf, size_t n, u64 value_x1e6);

#endif
