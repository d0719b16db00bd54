/* SPDX-License-Identifier: MIT */
/*
 * Job descriptions (bench/job.c): fio's keys with fio's meanings and
 * defaults, and every bad value an error that names its key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench/job.h"
#include "bench/stamp.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "tests/unit/host_platform.h"

static char fail_msg[256];

/* The kernel's kernel_fail (kernel/exit.c): the first reason wins. */
int kernel_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
	return -EIO;
}

static struct cmdline cl;
static struct job_spec spec;

/* Parse a one-job command line; 0 or the error, with the message in fail_msg. */
static int parse(const char *line)
{
	fail_msg[0] = '\0';
	assert_int_equal(cmdline_parse(&cl, line), 0);
	assert_true(job_group_is_job(&cl, 0));
	return job_parse(&cl, 0, &spec);
}

static void expect_error(const char *line, const char *msg)
{
	assert_int_not_equal(parse(line), 0);
	if (!strstr(fail_msg, msg)) {
		fprintf(stderr, "'%s': got '%s', want '%s'\n", line, fail_msg, msg);
		fail();
	}
}

static void test_defaults(void **state)
{
	assert_int_equal(parse("rw=read"), 0);
	for (int d = 0; d < DDIR_NR; d++) {
		assert_int_equal(spec.bs[d], 4096);
		assert_int_equal(spec.bs_min[d], 4096);
		assert_int_equal(spec.bs_max[d], 4096);
	}
	assert_int_equal(spec.iodepth, 1);
	assert_int_equal(spec.seed, 0x89); /* fio's */
	assert_int_equal(spec.verify_seed, 0x89);
	assert_int_equal(spec.numjobs, 1);
	assert_int_equal(spec.loops, 1);
	assert_int_equal(spec.watchdog_s, JOB_DEFAULT_WATCHDOG_S);
	assert_int_equal(spec.npercentiles, 17);
	assert_int_equal(spec.percentiles[13], 99500000);
	assert_true(spec.clat_percentiles);
	assert_false(spec.lat_percentiles);
	assert_false(spec.time_based);
	assert_string_equal(spec.filename, "vda");
	assert_string_equal(spec.name, "job1");
}

static void test_block_sizes(void **state)
{
	assert_int_equal(parse("rw=rw bs=4k,64k"), 0);
	assert_int_equal(spec.bs[DDIR_READ], 4096);
	assert_int_equal(spec.bs[DDIR_WRITE], 65536);
	assert_int_equal(spec.bs[DDIR_TRIM], 65536); /* fio: the last one given */
	assert_int_equal(parse("rw=rw bs=,8k"), 0);
	assert_int_equal(spec.bs[DDIR_READ], 4096);
	assert_int_equal(spec.bs[DDIR_WRITE], 8192);
	assert_int_equal(parse("rw=randread bsrange=4k-64k"), 0);
	assert_int_equal(spec.bs_min[DDIR_READ], 4096);
	assert_int_equal(spec.bs_max[DDIR_WRITE], 65536);
	assert_int_equal(job_min_bs(&spec), 4096);
	assert_int_equal(job_max_bs(&spec), 65536);
	assert_int_equal(parse("rw=randread bssplit=4k/10:64k/50:32k"), 0);
	assert_int_equal(spec.nbssplit[DDIR_READ], 3);
	assert_int_equal(spec.bssplit[DDIR_READ][2].perc, 40); /* what is left */
	assert_int_equal(spec.nbssplit[DDIR_TRIM], 3);
	assert_int_equal(parse("rw=randrw bssplit=4k/50:8k/50,64k"), 0);
	assert_int_equal(spec.nbssplit[DDIR_WRITE], 1);
	assert_int_equal(spec.bssplit[DDIR_WRITE][0].perc, 100);

	expect_error("bs=3000", "bs=3000: expected a multiple of 512");
	expect_error("bs=8M", "bs=8M");
	expect_error("bs=4k,4k,4k,4k", "at most three sizes");
	expect_error("bsrange=64k-4k", "bsrange=64k-4k: the smallest size comes first");
	expect_error("bsrange=4k", "bsrange=4k: expected MIN-MAX");
	expect_error("bssplit=4k/60:8k/50", "bssplit=4k/60:8k/50: the percentages add up to 110");
	expect_error("bssplit=4k/20:8k/20", "add up to 40, not 100");
	expect_error("bssplit=4k/x", "'x' is not a percentage");
	/* blockalign: one boundary; any other than the block size turns off the map, as in fio. */
	assert_int_equal(parse("rw=randread bs=4k blockalign=4k"), 0);
	assert_int_equal(spec.blockalign, 4096);
	assert_false(spec.norandommap);
	assert_int_equal(parse("rw=randread bs=8k ba=2k"), 0);
	assert_int_equal(spec.blockalign, 2048);
	assert_true(spec.norandommap);
	assert_int_equal(parse("rw=randrw bssplit=512/50:4k/50 ba=4k,4k"), 0);
	assert_int_equal(spec.blockalign, 4096);
	assert_true(spec.norandommap);
	assert_int_equal(parse("rw=read bs=4k ba=64k"), 0); /* fio: for random I/O only */
	assert_int_equal(spec.blockalign, 0);
	expect_error("rw=randrw ba=4k,8k", "ba=4k,8k: one boundary for every direction");
	expect_error("rw=randread blockalign=1000", "blockalign=1000: expected a multiple of 512");
	/* Sixteen sizes in bytes: a list the old 95-character buffer cut short. */
	assert_int_equal(parse("rw=randread bssplit=512/4:1024/1:1536/1:2048/1:2560/1:3072/1:"
			       "3584/1:4096/60:8192/10:16384/7:32768/3:65536/3:131072/2:"
			       "262144/2:524288/2:1048576/1"),
			 0);
	assert_int_equal(spec.nbssplit[DDIR_READ], 16);
	assert_int_equal(spec.bssplit[DDIR_READ][15].bs, 1048576);
	assert_int_equal(spec.bssplit[DDIR_READ][15].perc, 1);
}

static void test_sizes_and_time(void **state)
{
	assert_int_equal(parse("size=50% offset=25%"), 0);
	assert_int_equal(spec.size_pct, 50);
	assert_int_equal(spec.offset_pct, 25);
	assert_int_equal(parse("runtime=2 time_based ramp_time=500ms"), 0);
	assert_int_equal(spec.runtime_ns, 2000000000ull);
	assert_true(spec.time_based);
	assert_int_equal(spec.ramp_ns, 500000000ull);
	expect_error("time_based", "time_based needs a runtime");
	expect_error("size=0%", "size=0%: expected 1% to 100%");
	expect_error("size=101%", "size=101%");
	expect_error("offset=100%", "offset=100%: the region would be empty");
	expect_error("runtime=fast", "runtime=fast: expected a duration");
	expect_error("iodepth=0", "iodepth=0: expected 1..1024");
	expect_error("numjobs=65", "numjobs=65: expected 1..64");
	expect_error("loops=0", "loops=0");
}

static void test_rates_and_mixes(void **state)
{
	assert_int_equal(parse("rw=randrw rate=1m,512k rate_iops=,500 rwmixwrite=30"), 0);
	assert_int_equal(spec.rate_bps[DDIR_READ], 1 << 20);
	assert_int_equal(spec.rate_bps[DDIR_WRITE], 512 << 10);
	assert_int_equal(spec.rate_iops[DDIR_READ], 0);
	assert_int_equal(spec.rate_iops[DDIR_WRITE], 500);
	assert_int_equal(spec.rwmixread, 70);
	expect_error("rate=0", "rate=0: expected a positive rate");
	expect_error("rate_iops=lots", "rate_iops=lots");
	expect_error("rwmixread=60 rwmixwrite=50", "rwmixwrite=50: rwmixread=60 says otherwise");
	expect_error("rwmixread=101", "rwmixread=101");
}

static void test_distributions(void **state)
{
	assert_int_equal(parse("rw=randread random_distribution=zipf:1.2"), 0);
	assert_int_equal(spec.dist, DIST_ZIPF);
	assert_int_equal(spec.dist_param, 1200000);
	assert_true(spec.norandommap); /* fio: skewed draws are with replacement */
	assert_false(spec.dist_center_set);
	assert_int_equal(parse("rw=randread random_distribution=normal:10:0.25"), 0);
	assert_int_equal(spec.dist, DIST_NORMAL);
	assert_int_equal(spec.dist_center, 250000);
	assert_true(spec.dist_center_set);
	assert_int_equal(parse("rw=randread random_distribution=random"), 0);
	assert_false(spec.norandommap);
	expect_error("random_distribution=zipf:1", "zipf needs a theta above 0, not 1");
	expect_error("random_distribution=pareto:1.5", "pareto needs 0 < h < 1");
	expect_error("random_distribution=normal:200", "the deviation is a percentage");
	expect_error("random_distribution=zipf", "zipf needs its parameter");
	expect_error("random_distribution=gamma:2", "expected random, zipf:THETA");
	expect_error("random_distribution=normal:5:2", "the center is a fraction");
}

/* fio's queue shaping keys, with its defaults and fixup_options' rules. */
static void test_queue_shaping(void **state)
{
	assert_int_equal(parse("rw=randread iodepth=32"), 0);
	assert_int_equal(spec.iodepth_batch, 1);
	assert_int_equal(spec.iodepth_low, 32);
	assert_int_equal(spec.iodepth_batch_complete_min, 1);
	assert_int_equal(spec.iodepth_batch_complete_max, 1);
	assert_int_equal(parse("rw=randread iodepth=32 iodepth_batch_submit=8 iodepth_low=4 "
			       "iodepth_batch_complete=2 iodepth_batch_complete_max=16"),
			 0);
	assert_int_equal(spec.iodepth_batch, 8);
	assert_int_equal(spec.iodepth_low, 4);
	assert_int_equal(spec.iodepth_batch_complete_min, 2);
	assert_int_equal(spec.iodepth_batch_complete_max, 16);
	/* 0 and past iodepth: iodepth; complete_max below complete_min: complete_min. */
	assert_int_equal(parse("rw=randread iodepth=16 iodepth_batch=0 iodepth_low=0 "
			       "iodepth_batch_complete_min=8 iodepth_batch_complete_max=2"),
			 0);
	assert_int_equal(spec.iodepth_batch, 16);
	assert_int_equal(spec.iodepth_low, 16);
	assert_int_equal(spec.iodepth_batch_complete_max, 8);
	assert_int_equal(parse("rw=randread iodepth=16 iodepth_batch=64 iodepth_low=100 "
			       "iodepth_batch_complete_min=0 iodepth_batch_complete_max=4096"),
			 0);
	assert_int_equal(spec.iodepth_batch, 16);
	assert_int_equal(spec.iodepth_low, 16);
	assert_int_equal(spec.iodepth_batch_complete_min, 0);
	assert_int_equal(spec.iodepth_batch_complete_max, 16);
	/* The order of the keys does not matter: iodepth is read first. */
	assert_int_equal(parse("iodepth_low=8 rw=randread iodepth=32"), 0);
	assert_int_equal(spec.iodepth_low, 8);
	expect_error("iodepth_low=x", "iodepth_low=x: expected a number of I/Os");
	expect_error("iodepth_batch_complete=-1",
		     "iodepth_batch_complete=-1: expected a number of I/Os");
	expect_error("iodepth_batch=2000000", "iodepth_batch=2000000: expected a number of I/Os");
}

/* fio's latency target and max_latency: times in microseconds unless a unit says otherwise. */
static void test_latency_keys(void **state)
{
	assert_int_equal(parse("rw=randread"), 0);
	assert_int_equal(spec.latency_target_ns, 0);
	assert_int_equal(spec.latency_pct, 100 * MICRO);
	assert_int_equal(parse("rw=randread latency_target=500 latency_window=2s "
			       "latency_percentile=99.9 latency_run=1 max_latency=10ms,20ms"),
			 0);
	assert_int_equal(spec.latency_target_ns, 500000);
	assert_int_equal(spec.latency_window_ns, 2000000000);
	assert_int_equal(spec.latency_pct, 99900000);
	assert_true(spec.latency_run);
	assert_int_equal(spec.max_latency_ns[DDIR_READ], 10000000);
	assert_int_equal(spec.max_latency_ns[DDIR_WRITE], 20000000);
	assert_int_equal(spec.max_latency_ns[DDIR_TRIM], 20000000);
	assert_int_equal(parse("rw=randread max_latency=,5ms"), 0);
	assert_int_equal(spec.max_latency_ns[DDIR_READ], 0);
	assert_int_equal(spec.max_latency_ns[DDIR_WRITE], 5000000);
	expect_error("latency_target=fast", "latency_target=fast: expected a duration");
	expect_error("latency_percentile=100.5",
		     "latency_percentile=100.5: expected a percentage, 0 to 100");
	expect_error("max_latency=1ms,x", "max_latency=x: expected a duration");
	expect_error("max_latency=1,2,3,4", "max_latency=1,2,3,4: at most three durations");

	assert_int_equal(parse("rw=randread rate_iops=10 rate_process=poisson"), 0);
	assert_true(spec.rate_poisson);
	assert_int_equal(parse("rw=randread rate_iops=10 rate_process=linear"), 0);
	assert_false(spec.rate_poisson);
	expect_error("rate_process=bursty", "rate_process=bursty: expected linear or poisson");
	assert_int_equal(parse("rw=randread rate_iops=10 io_submit_mode=offload"), 0);
	assert_true(spec.submit_offload);
	assert_int_equal(parse("rw=randread rate_iops=10"), 0);
	assert_false(spec.submit_offload);
	expect_error("io_submit_mode=threads",
		     "io_submit_mode=threads: expected inline or offload");

	/* fio's rate_min (bytes/s), rate_iops_min, ratecycle (ms, 1000 by default). */
	assert_int_equal(parse("rw=randrw ratemin=1m,2m rate_iops_min=,50"), 0);
	assert_int_equal(spec.rate_min_bps[DDIR_READ], 1048576);
	assert_int_equal(spec.rate_min_bps[DDIR_WRITE], 2097152);
	assert_int_equal(spec.rate_iops_min[DDIR_READ], 0);
	assert_int_equal(spec.rate_iops_min[DDIR_WRITE], 50);
	assert_int_equal(spec.ratecycle_ms, 1000);
	assert_int_equal(parse("rw=randrw rate_cycle=250"), 0);
	assert_int_equal(spec.ratecycle_ms, 250);
	expect_error("rate_min=fast", "rate_min=fast: expected a positive rate such as 10m");
	expect_error("rate_iops_min=1k", "rate_iops_min=1k: expected a positive number of I/Os");
	expect_error("rate_cycle=0", "rate_cycle=0: expected milliseconds");

	/* fio's gtod_reduce: all four disable_ keys and the percentiles; each may be undone. */
	assert_int_equal(parse("rw=randread"), 0);
	assert_false(spec.disable_lat || spec.disable_clat || spec.disable_slat || spec.disable_bw);
	assert_int_equal(parse("rw=randread gtod_reduce=1"), 0);
	assert_true(spec.disable_lat && spec.disable_clat && spec.disable_slat && spec.disable_bw);
	assert_false(spec.clat_percentiles);
	assert_int_equal(parse("rw=randread gtod_reduce disable_clat=0 clat_percentiles=1"), 0);
	assert_true(spec.disable_lat && spec.disable_slat && spec.disable_bw);
	assert_false(spec.disable_clat);
	assert_true(spec.clat_percentiles);
	assert_int_equal(parse("rw=randread disable_bw=1 disable_slat"), 0);
	assert_true(spec.disable_bw && spec.disable_slat);
	assert_false(spec.disable_lat);
	expect_error("gtod_reduce=2", "gtod_reduce=2: expected 1 or 0");
}

static void test_offsets_and_thinktime(void **state)
{
	assert_int_equal(parse("rw=randread:8 rw_sequencer=identical percentage_random=90,20"), 0);
	assert_int_equal(spec.rw, RW_RANDREAD);
	assert_int_equal(spec.seq_nr, 8);
	assert_true(spec.rw_seq_identical);
	assert_int_equal(spec.perc_random[DDIR_READ], 90);
	assert_int_equal(spec.perc_random[DDIR_WRITE], 20);
	assert_int_equal(spec.perc_random[DDIR_TRIM], 20);
	assert_int_equal(parse("rw=read:8k"), 0);
	assert_int_equal(spec.seq_add, 8192);
	assert_int_equal(parse("rw=readwrite:-4k number_ios=100"), 0);
	assert_int_equal(spec.rw, RW_READWRITE);
	assert_int_equal(spec.seq_add, -4096);
	assert_int_equal(spec.number_ios, 100);
	assert_int_equal(parse("rw=randtrimwrite verify=crc32c"), 0);
	assert_int_equal(spec.rw, RW_RANDTRIMWRITE);
	assert_int_equal(parse("rw=trimwrite"), 0);
	assert_int_equal(spec.rw, RW_TRIMWRITE);
	expect_error("rw=trimwrite path=raw",
		     "path=raw moves data only; rw=trimwrite needs a block path");
	expect_error("rw=trim verify=crc32c", "verify does not apply to rw=trim");
	assert_int_equal(parse("rw=randread"), 0);
	assert_int_equal(spec.seq_nr, 1);
	assert_int_equal(spec.perc_random[DDIR_READ], 100);
	expect_error("rw=randread:0", "rw=randread:0: a new random offset every 1 or more I/Os");
	expect_error("rw=randread:-8", "the ':' modifier is a count of I/Os");
	expect_error("rw=read:100", "rw=read:100: the bytes to skip are a multiple of 512");
	expect_error("rw=read:x", "the ':' modifier is a size to skip");
	expect_error("rw=reed:4k", "rw=reed:4k: expected read");
	expect_error("rw_sequencer=random",
		     "rw_sequencer=random: expected sequential or identical");
	expect_error("percentage_random=101", "percentage_random=101: '101' is not a percentage");

	assert_int_equal(parse("rw=randread thinktime=100 thinktime_spin=20 thinktime_blocks=8 "
			       "thinktime_blocks_type=issue thinktime_iotime=2"),
			 0);
	assert_int_equal(spec.thinktime_ns, 100000); /* fio: a bare number is microseconds */
	assert_int_equal(spec.thinktime_spin_ns, 20000);
	assert_int_equal(spec.thinktime_blocks, 8);
	assert_true(spec.thinktime_issue);
	assert_int_equal(spec.thinktime_iotime_ns, 2000000000ull); /* and seconds here */
	assert_int_equal(parse("thinktime=5ms"), 0);
	assert_int_equal(spec.thinktime_ns, 5000000);
	expect_error("thinktime=5x", "thinktime=5x: expected a duration such as 100 (us)");
	expect_error("thinktime=2h", "at most an hour");
	expect_error("thinktime=1ms thinktime_spin=2ms", "thinktime_spin: longer than thinktime");
	expect_error("thinktime=1ms thinktime_blocks=0", "thinktime_blocks=0");
	expect_error("thinktime=1ms thinktime_blocks_type=both", "expected complete or issue");

	assert_int_equal(parse("startdelay=2"), 0); /* fio: a bare number is seconds */
	assert_int_equal(spec.startdelay_ns, 2000000000ull);
	assert_int_equal(spec.startdelay_max_ns, 2000000000ull);
	assert_int_equal(parse("startdelay=500ms-3s"), 0);
	assert_int_equal(spec.startdelay_ns, 500000000ull);
	assert_int_equal(spec.startdelay_max_ns, 3000000000ull);
	expect_error("startdelay=3-1", "startdelay=3-1: expected a duration");
	expect_error("startdelay=2x", "startdelay=2x");
	expect_error("startdelay=2d", "at most a day");
}

static void test_zoned(void **state)
{
	struct job_zone z[JOB_ZONES_MAX];
	char line[4096];
	size_t at;

	assert_int_equal(parse("rw=randread random_distribution=zoned:60/10:30/20:8/30:2/40"), 0);
	assert_int_equal(spec.dist, DIST_ZONED);
	assert_true(spec.norandommap);
	for (int d = 0; d < DDIR_NR; d++) {
		assert_int_equal(job_zones(&spec, (enum ddir)d, z), 4);
		assert_int_equal(z[0].access, 60);
		assert_int_equal(z[0].size, 10);
		assert_int_equal(z[3].access, 2);
		assert_int_equal(z[3].size, 40);
	}
	/* Sizes left out share what is left, in whole percent (fio's division). */
	assert_int_equal(parse("rw=randread random_distribution=zoned:50/10:25:25/0"), 0);
	assert_int_equal(job_zones(&spec, DDIR_READ, z), 3);
	assert_int_equal(z[1].size, 45);
	assert_int_equal(z[2].size, 45);
	assert_int_equal(parse("rw=randread random_distribution=zoned:40/10:30:30"), 0);
	assert_int_equal(job_zones(&spec, DDIR_READ, z), 3);
	assert_int_equal(z[2].size, 45);
	/* A lone zone without a size is the whole region. */
	assert_int_equal(parse("rw=randread random_distribution=zoned:100"), 0);
	assert_int_equal(job_zones(&spec, DDIR_READ, z), 1);
	assert_int_equal(z[0].size, 100);
	/* Per direction: a blank list is uniform, directions past the last take it. */
	assert_int_equal(parse("rw=randrw random_distribution=zoned:100/10,,0/50:100/50"), 0);
	assert_int_equal(job_zones(&spec, DDIR_READ, z), 1);
	assert_int_equal(job_zones(&spec, DDIR_WRITE, z), 0);
	assert_int_equal(job_zones(&spec, DDIR_TRIM, z), 2);
	assert_int_equal(parse("rw=randrw random_distribution=zoned:100/10,50/50:50/50"), 0);
	assert_int_equal(job_zones(&spec, DDIR_TRIM, z), 2);
	assert_int_equal(z[1].access, 50);
	assert_int_equal(parse("rw=randread random_distribution=zoned_abs:60/20G:30/100m:10/512k"),
			 0);
	assert_int_equal(spec.dist, DIST_ZONED_ABS);
	assert_int_equal(job_zones(&spec, DDIR_WRITE, z), 3);
	assert_int_equal(z[0].size, 20ull << 30);
	assert_int_equal(z[1].size, 100ull << 20);
	assert_int_equal(z[2].size, 512 << 10);
	/* A gap: a zoned_abs zone without I/O needs no size. */
	assert_int_equal(parse("rw=randread random_distribution=zoned_abs:0:100/1M"), 0);
	assert_int_equal(job_zones(&spec, DDIR_READ, z), 2);
	assert_int_equal(z[0].size, 0);

	expect_error("random_distribution=zoned:60/10:30/20",
		     "random_distribution=zoned:60/10:30/20: the zones' I/O percentages add up to "
		     "90, not 100");
	expect_error("random_distribution=zoned:60/60:40/60", "sizes add up to 120%");
	expect_error("random_distribution=zoned:50/10::50/10", "zone 2 is empty");
	expect_error("random_distribution=zoned:60/10:40/90:", "zone 3 is empty");
	expect_error("random_distribution=zoned_abs:60:40/1G", "zone 1: zoned_abs needs the "
							       "zone's size");
	expect_error("random_distribution=zoned_abs:60/1X:40/1G", "zone 1: zoned_abs needs");
	expect_error("random_distribution=zoned:x/10:100/90", "zone 1: 'x' is not a percentage "
							      "of the I/Os");
	expect_error("random_distribution=zoned:50/10:50/abc", "zone 2: 'abc' is not a "
							       "percentage of the region");
	expect_error("random_distribution=zoned:101/10", "zone 1: '101'");
	expect_error("random_distribution=zoned:100/10,100/10,100/10,100/10",
		     "at most three lists");
	expect_error("random_distribution=zoned:", "random_distribution=zoned:: no zones");
	expect_error("random_distribution=zoned:,,", "no zones");
	expect_error("random_distribution=zoned:50/100:50",
		     "zone 2 takes 50% of the I/Os but none of the region");
	expect_error("random_distribution=zoned:100/10,50/10", "add up to 50, not 100");
	/* fio's 256 zones at most: 100 that take I/O and 156 gaps, then one more. */
	at = (size_t)snprintf(line, sizeof(line), "rw=randread random_distribution=zoned_abs:");
	for (int i = 0; i < 256; i++)
		at += (size_t)snprintf(line + at, sizeof(line) - at, "%s%d/4k", i ? ":" : "",
				       i < 100 ? 1 : 0);
	assert_int_equal(parse(line), 0);
	assert_int_equal(job_zones(&spec, DDIR_READ, z), 256);
	snprintf(line + at, sizeof(line) - at, ":0/4k");
	expect_error(line, "at most 256 zones per direction");
}

static void test_reports(void **state)
{
	assert_int_equal(parse("percentile_list=99.9:50:99 lat_percentiles=1 slat_percentiles"), 0);
	assert_int_equal(spec.npercentiles, 3);
	assert_int_equal(spec.percentiles[0], 50000000); /* sorted, as fio does */
	assert_int_equal(spec.percentiles[2], 99900000);
	assert_true(spec.lat_percentiles && spec.slat_percentiles);
	assert_int_equal(parse("steadystate=iops_slope:0.5% ss_dur=10 ss_ramp=5"), 0);
	assert_int_equal(spec.ss, SS_IOPS_SLOPE);
	assert_int_equal(spec.ss_limit, 500000);
	assert_true(spec.ss_limit_pct);
	assert_int_equal(spec.ss_dur_ns, 10000000000ull);
	assert_int_equal(parse("ss=bw:10m ss_dur=3"), 0);
	assert_false(spec.ss_limit_pct);
	assert_int_equal(spec.ss_limit, (10ull << 20) * 1000000);
	assert_int_equal(parse("name=rr write_iops_log write_lat_log=lat log_avg_msec=250"), 0);
	assert_string_equal(spec.iops_log, "rr"); /* a bare key logs under the job's name */
	assert_string_equal(spec.lat_log, "lat");
	assert_int_equal(spec.log_avg_msec, 250);
	expect_error("percentile_list=99:101", "'101' is not a percentile");
	expect_error("ss=iops:2%", "steadystate needs ss_dur");
	expect_error("ss_dur=5", "ss_dur without steadystate");
	expect_error("ss=latency:2% ss_dur=5", "expected iops, iops_slope, bw or bw_slope");
	expect_error("write_bw_log=a/b", "a file name prefix, without '/'");
}

static void test_verify(void **state)
{
	assert_int_equal(parse("verify=crc32c randseed=9"), 0);
	assert_int_equal(spec.verify_seed, 9);
	assert_int_equal(parse("verify=crc32c verify_seed=any"), 0);
	assert_int_equal(spec.verify_seed, STAMP_ANY_SEED);
	assert_int_equal(parse("verify=crc32c verify_seed=7:21:0x16"), 0);
	assert_int_equal(spec.nverify_seeds, 3);
	assert_int_equal(spec.verify_seeds[2], 22);
	assert_int_equal(spec.verify_seed, 7);
	assert_int_equal(parse("rw=write verify=crc32c numjobs=4 offset_increment=4M"), 0);
	expect_error("verify_seed=7", "verify_seed=7: only with verify=crc32c");
	expect_error("verify=crc32c verify_seed=7:x", "expected seeds separated by ':'");
	expect_error("verify=md5", "verify=md5: expected crc32c or 0");
	expect_error("rw=write verify=crc32c numjobs=2",
		     "2 verified writers would overwrite each other's blocks");
	expect_error("verify_backlog=16", "verify_backlog needs verify=crc32c");
	expect_error("rw=trim verify=crc32c", "verify does not apply to rw=trim");
}

static void test_paths_and_keys(void **state)
{
	assert_int_equal(parse("rw=randread path=raw"), 0);
	assert_int_equal(spec.path, JOB_PATH_RAW);
	expect_error("path=fast", "path=fast: expected request, bio, mq or raw");
	expect_error("sched=cfq", "sched=cfq: expected deadline or noop");
	expect_error("rw=trim path=raw", "path=raw moves data only");
	expect_error("rw=randread path=raw sched=noop", "path=raw has no scheduler to set");
	expect_error("rw=backwards", "rw=backwards: expected read, write");
	expect_error("watchdog=-1", "watchdog=-1");
	expect_error("norandommap=maybe", "norandommap=maybe: expected 1 or 0");
}

/* Which CPUs a job may run on (fio's cpus_allowed), against the CPUs online. */
static void test_cpus_allowed(void **state)
{
	host_nr_cpus = 4;
	assert_int_equal(parse("cpus_allowed=0,2-3"), 0);
	assert_int_equal(spec.cpus_allowed, 0xd);
	assert_int_equal(parse("cpus_allowed=1"), 0);
	assert_int_equal(spec.cpus_allowed, 0x2);
	assert_int_equal(parse("rw=read"), 0);
	assert_int_equal(spec.cpus_allowed, 0); /* any: placed by the engine */
	expect_error("cpus_allowed=4", "cpus_allowed=4: no such CPU (4 online: 0-3)");
	expect_error("cpus_allowed=1-7", "cpus_allowed=1-7: no such CPU");
	expect_error("cpus_allowed=3-1", "cpus_allowed=3-1: expected CPU numbers and ranges");
	expect_error("cpus_allowed=", "cpus_allowed=: expected CPU numbers");
	expect_error("cpus_allowed=0,,1", "cpus_allowed=0,,1: expected CPU numbers");
	expect_error("cpus_allowed=a", "cpus_allowed=a: expected CPU numbers");
	host_nr_cpus = 1;
	expect_error("cpus_allowed=1", "cpus_allowed=1: no such CPU (1 online: 0-0)");
}

/* blk-mq's schedulers belong to path=mq, the request path's to it. */
static void test_mq_schedulers(void **state)
{
	assert_int_equal(parse("path=mq sched=none"), 0);
	assert_int_equal(spec.path, JOB_PATH_MQ);
	assert_string_equal(spec.sched, "none");
	assert_int_equal(parse("path=mq sched=mq-deadline"), 0);
	assert_string_equal(spec.sched, "mq-deadline");
	assert_int_equal(parse("path=mq"), 0);
	expect_error("path=mq sched=deadline", "sched=deadline: path=mq's schedulers are none and "
					       "mq-deadline");
	expect_error("path=mq sched=bfq", "sched=bfq: path=mq's schedulers");
	expect_error("sched=mq-deadline", "sched=mq-deadline: a blk-mq scheduler, for path=mq");
	expect_error("path=bio sched=none", "sched=none: a blk-mq scheduler, for path=mq");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_queue_shaping),
		cmocka_unit_test(test_latency_keys),
		cmocka_unit_test(test_block_sizes),
		cmocka_unit_test(test_sizes_and_time),
		cmocka_unit_test(test_rates_and_mixes),
		cmocka_unit_test(test_distributions),
		cmocka_unit_test(test_zoned),
		cmocka_unit_test(test_offsets_and_thinktime),
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_paths_and_keys),
		cmocka_unit_test(test_cpus_allowed),
		cmocka_unit_test(test_mq_schedulers),
	};

	host_printk_quiet = true;
	return cmocka_run_group_tests_name("job", tests, NULL, NULL);
}
