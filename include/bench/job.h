/* SPDX-License-Identifier: MIT */
/*
 * A job as the command line describes it, in fio's keys (bench/job.c).
 * Everything here is parsed and checked before the first job starts, so a
 * typo in the last job fails the run before anything slow begins.
 *
 * Sizes and offsets are bytes; times are nanoseconds; percentages of the
 * disk (size=50%) are kept as such until the job meets its disk.
 */
#ifndef BENCH_JOB_H
#define BENCH_JOB_H

#include "kernel/cmdline.h"
#include "kernel/types.h"

enum job_path { JOB_PATH_DEFAULT, JOB_PATH_REQUEST, JOB_PATH_BIO, JOB_PATH_RAW, JOB_PATH_MQ };

enum job_rw {
	RW_READ,
	RW_WRITE,
	RW_RANDREAD,
	RW_RANDWRITE,
	RW_READWRITE,
	RW_RANDRW,
	RW_TRIM,
	RW_RANDTRIM,
	RW_WRITEZEROES,
	/* fio's trimwrite and randtrimwrite: each block trimmed, then written. */
	RW_TRIMWRITE,
	RW_RANDTRIMWRITE
};

/* fio's data directions, in fio's order (the JSON's read, write, trim). */
enum ddir { DDIR_READ, DDIR_WRITE, DDIR_TRIM, DDIR_NR };

enum rand_dist { DIST_RANDOM, DIST_ZIPF, DIST_PARETO, DIST_NORMAL, DIST_ZONED, DIST_ZONED_ABS };

enum ss_metric { SS_NONE, SS_IOPS, SS_IOPS_SLOPE, SS_BW, SS_BW_SLOPE };

#define JOB_MAX_IODEPTH 1024
#define JOB_MAX_BS MiB(4)
#define JOB_MAX_NUMJOBS 64
/* fio's default randseed (its options.c): "randseed" defaults to 0x89. */
#define JOB_DEFAULT_SEED 0x89ull
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
/*
 * The in-guest watchdog: longer than the default request timeout (30 s), so
 * the driver's timeout and reset get their chance first, and shorter than
 * tools/run's 60 s, so the run ends with a RESULT line naming the request.
 */
#define JOB_DEFAULT_WATCHDOG_S 45

#define JOB_NAME_MAX 32
#define JOB_SCHED_TUNABLES 6
#define JOB_BSSPLIT_MAX 16
#define JOB_PERCENTILES_MAX 20
#define JOB_LOG_NAME_MAX 48
#define JOB_VERIFY_SEEDS_MAX 8

/* A percentage or fraction in millionths (fio prints percentiles with 6 decimals). */
typedef u64 micro_t;
#define MICRO 1000000ull

struct bssplit {
	u32 bs;
	u32 perc; /* percent; 0 in the input means "a share of what is left" */
};

/* fio's ZONESPLIT_MAX: zones per direction of random_distribution=zoned. */
#define JOB_ZONES_MAX 256

/* One zone of random_distribution=zoned or zoned_abs (job_zones). */
struct job_zone {
	u64 size;   /* zoned: percent of the region; zoned_abs: bytes */
	u32 access; /* percent of the direction's random I/Os */
};

struct job_spec {
	char name[JOB_NAME_MAX];
	char filename[16];
	unsigned group; /* the command-line group the job came from */
	enum job_rw rw;

	/* Block sizes per direction: fixed, a range, or a split. */
	u32 bs[DDIR_NR];
	u32 bs_min[DDIR_NR], bs_max[DDIR_NR]; /* bsrange; equal to bs when unset */
	struct bssplit bssplit[DDIR_NR][JOB_BSSPLIT_MAX];
	unsigned nbssplit[DDIR_NR];
	u32 blockalign; /* fio's ba: random I/O starts on this boundary; 0: the smallest bs */
	/* rw=...:N, fio's offset modifier: */
	u32 seq_nr;	       /* random: a new random offset every N I/Os (1: every one) */
	bool rw_seq_identical; /* ... the others repeat the last offset (else the next block) */
	s64 seq_add;	       /* sequential: bytes skipped after each I/O (negative: backwards) */
	u32 perc_random[DDIR_NR]; /* percentage_random: random picks, the rest sequential */
	u64 number_ios;		  /* at most this many I/Os over all loops; 0: no limit */
	/* fio's thinktime: after thinktime_blocks I/Os, let all complete, then wait. */
	u64 thinktime_ns;	 /* 0: none */
	u64 thinktime_spin_ns;	 /* of which this much busy (the rest idle) */
	u64 thinktime_iotime_ns; /* or after this much time doing I/O; 0: unset */
	u32 thinktime_blocks;	 /* 0: unset (1, or none with thinktime_iotime) */
	bool thinktime_issue;	 /* thinktime_blocks counts I/Os issued, not completed */
	u64 startdelay_ns, startdelay_max_ns; /* fio's startdelay, a range when max > min */

	u32 iodepth;
	/*
	 * fio's queue shaping, normalised as fio's fixup_options does: I/Os
	 * per submission (a plug; fio's iodepth_batch_submit, 1 by default),
	 * and once a fill has left the queue full, completions taken per reap
	 * (iodepth_batch_complete_min at least, _max at most, of those that
	 * have completed) until no more than iodepth_low are left before it is
	 * filled again (bench/engine.c, reap).
	 */
	u32 iodepth_batch;					    /* 1..iodepth */
	u32 iodepth_low;					    /* 1..iodepth */
	u32 iodepth_batch_complete_min, iodepth_batch_complete_max; /* 0..iodepth; min 0 is 1 */
	/* fio's latency target (include/bench/lattarget.h) and max_latency. */
	u64 latency_target_ns;	     /* 0: none */
	u64 latency_window_ns;	     /* a window of the search */
	micro_t latency_pct;	     /* of I/Os within the target, 100 % by default */
	bool latency_run;	     /* keep searching for the whole run */
	u64 max_latency_ns[DDIR_NR]; /* an I/O slower than this fails the job; 0: none */
	u64 runtime_ns;		     /* 0: none */
	bool time_based;	     /* keep going over the region until runtime */
	u64 ramp_ns;		     /* I/O before this is not counted */
	u64 size;		     /* region bytes, 0: to the end of the disk */
	u32 size_pct;		     /* size=N%: percent of the disk from offset; 0: unset */
	u64 io_size;		     /* bytes to transfer per loop, 0: size */
	u64 offset;
	u32 offset_pct;
	u64 offset_increment; /* copy k of numjobs starts k * this further */
	u32 numjobs;
	bool group_reporting;
	bool stonewall; /* wait for every job before this one */
	bool new_group;
	u32 loops;

	u32 rwmixread; /* percent */
	bool verify;
	u64 verify_seed; /* the seed reads expect; STAMP_ANY_SEED for "any" */
	u64 verify_seeds[JOB_VERIFY_SEEDS_MAX]; /* verify_seed=A:B:C, any of them */
	unsigned nverify_seeds;
	u32 verify_backlog;  /* read back after this many writes, 0: after the writes */
	bool norandommap;    /* fio's: draw random blocks with replacement */
	enum rand_dist dist; /* random_distribution */
	micro_t dist_param;  /* zipf theta, pareto h, normal deviation in percent */
	micro_t dist_center; /* normal and zipf: where the peak sits, 0..1; MICRO/2 default */
	bool dist_center_set;
	const char *zones; /* zoned, zoned_abs: the lists (in the command line), for job_zones */
	u64 rate_bps[DDIR_NR];	/* bytes per second, 0: unlimited */
	u64 rate_iops[DDIR_NR]; /* I/Os per second, 0: unlimited */
	bool rate_poisson;	/* rate_process=poisson: exponential gaps between I/Os */
	bool submit_offload;	/* io_submit_mode=offload: a rate wait does not drain the queue */
	/* fio's rate_min and rate_iops_min: slower over a ratecycle fails the job. */
	u64 rate_min_bps[DDIR_NR], rate_iops_min[DDIR_NR]; /* 0: none */
	u32 ratecycle_ms;				   /* 1000 by default */
	bool continue_on_error; /* fio's continue_on_error=io: report, go on */
	u32 poll_us;		/* hybrid polling window, 0: interrupts only */
	bool hipri;		/* fio's: polled completions (REQ_HIPRI, poll queues) */
	u32 fsync;		/* fio's: a flush after every N writes, 0: never */
	bool flush_trace;	/* a serial line per flush: the writes it covers */
	u64 seed;
	u32 watchdog_s; /* no progress for this long ends the run, 0: never */

	/* Reports. */
	micro_t percentiles[JOB_PERCENTILES_MAX];
	unsigned npercentiles;
	bool clat_percentiles, slat_percentiles, lat_percentiles;
	/* fio's disable_lat, _clat, _slat, _bw_measurement (all four: gtod_reduce). */
	bool disable_lat, disable_clat, disable_slat, disable_bw;
	enum ss_metric ss;
	micro_t ss_limit;  /* percent (or for slopes, percent of the mean) */
	bool ss_limit_pct; /* the limit was given as a percentage */
	u64 ss_dur_ns;	   /* window of the steady-state test */
	u64 ss_ramp_ns;	   /* data before this is not part of the test */
	char iops_log[JOB_LOG_NAME_MAX], bw_log[JOB_LOG_NAME_MAX], lat_log[JOB_LOG_NAME_MAX];
	u32 log_avg_msec;
	bool log_offset;

	/* Disk settings this job applies (after its disk drains). */
	enum job_path path;
	const char *sched; /* NULL: keep the disk's */
	/*
	 * fio's cpus_allowed: the CPUs this job's copies run on, one CPU each,
	 * in turn; 0: spread over every CPU (bench/cpus.c).
	 */
	unsigned long cpus_allowed;
	int queue_depth; /* -1: keep the disk's */
	const char *tunable_key[JOB_SCHED_TUNABLES];
	const char *tunable_val[JOB_SCHED_TUNABLES];
	unsigned ntunables;
};

/* Claim a job group's keys; 0 or a kernel_fail() status naming the key. */
int job_parse(struct cmdline *cl, unsigned group, struct job_spec *spec);
/* Whether a group of the command line describes a job (has job keys). */
bool job_group_is_job(struct cmdline *cl, unsigned group);

extern const char *const rw_names[];
extern const char *const ddir_names[];

static inline bool rw_is_random(enum job_rw rw)
{
	return rw == RW_RANDREAD || rw == RW_RANDWRITE || rw == RW_RANDRW || rw == RW_RANDTRIM ||
	       rw == RW_RANDTRIMWRITE;
}

static inline bool rw_trimwrite(enum job_rw rw)
{
	return rw == RW_TRIMWRITE || rw == RW_RANDTRIMWRITE;
}

static inline bool rw_writes(enum job_rw rw)
{
	return rw == RW_WRITE || rw == RW_RANDWRITE || rw == RW_READWRITE || rw == RW_RANDRW ||
	       rw_trimwrite(rw);
}

static inline bool rw_reads(enum job_rw rw)
{
	return rw == RW_READ || rw == RW_RANDREAD || rw == RW_READWRITE || rw == RW_RANDRW;
}

/* Jobs whose writes carry no data: discard (fio's trim) and write-zeroes. */
static inline bool rw_trims(enum job_rw rw)
{
	return rw == RW_TRIM || rw == RW_RANDTRIM || rw == RW_WRITEZEROES;
}

/* Jobs that issue I/O of fio's trim direction (discards, write-zeroes). */
static inline bool rw_has_trims(enum job_rw rw)
{
	return rw_trims(rw) || rw_trimwrite(rw);
}

/* The smallest block any I/O of the job can have. */
/*
 * Direction @d's zones of a zoned or zoned_abs random_distribution, in
 * order from the start of the region, into @z (room for JOB_ZONES_MAX):
 * returns how many, 0 when the value gives that direction none (its random
 * I/O is then uniform). job_parse checked the value.
 */
unsigned job_zones(const struct job_spec *s, enum ddir d, struct job_zone *z);
/*
 * Direction @d's zones of @v, a random_distribution value that starts
 * with zoned: or zoned_abs:, into @z with their count in *@nr; 0, or
 * kernel_fail's error naming the key and the zone (bench/zones.c).
 */
int job_zones_parse(const char *v, enum ddir d, struct job_zone *z, unsigned *nr);
u32 job_min_bs(const struct job_spec *s);
/* The smallest block size direction @d may use. */
u32 job_dir_min_bs(const struct job_spec *s, enum ddir d);
u32 job_max_bs(const struct job_spec *s);

#endif
