/* SPDX-License-Identifier: MIT */
/*
 * fio's latency target search (include/bench/lattarget.h), step for step
 * as fio 3.33 takes it, its quirks included: a window with no completed
 * I/O fails (fio's 0/0 compares false), and a failed window at depth 1
 * changes nothing and starts no new window, so the next look judges the
 * same window again.
 */
#include "bench/lattarget.h"
#include "kernel/kernel.h"
#include "kernel/string.h"

#define HUNDRED_PCT 100000000ull /* 100 %, in millionths of a percent */

void lat_target_cycle(struct lat_target *t, u64 ios, u64 now)
{
	t->cycle_ns = now;
	t->cycle_ios = ios;
	t->failed = 0;
}

void lat_target_init(struct lat_target *t, u32 iodepth, bool on, u64 ios, u64 now)
{
	memset(t, 0, sizeof(*t));
	t->iodepth = iodepth;
	t->qd = iodepth;
	if (on) {
		t->qd = 1;
		t->low = 1;
		t->high = iodepth;
		lat_target_cycle(t, ios, now);
	}
}

/* Bisect down towards the deepest depth that passed; at depth 1 there is nowhere to go. */
static enum lat_step ramp_down(struct lat_target *t)
{
	if (t->qd == 1)
		return LAT_FATAL;
	t->high = t->qd;
	if (t->qd == t->low)
		t->low--;
	t->qd = (t->qd + t->low) / 2;
	t->stable = 0;
	return LAT_DOWN;
}

/*
 * Double until a depth fails, then bisect up towards it. One below the
 * failed depth, three passes in a row raise that ceiling by one (the
 * latency there may well be under the target by then). A step that
 * leaves the depth unchanged has found it.
 */
static enum lat_step ramp_up(struct lat_target *t, bool run)
{
	u32 qd = t->qd;

	t->low = t->qd;
	if (t->qd + 1 == t->high && ++t->stable >= 3) {
		t->high++;
		t->stable = 0;
	}
	if (t->high != t->iodepth)
		t->qd = (t->qd + t->high) / 2;
	else
		t->qd *= 2;
	t->qd = MIN(t->qd, t->iodepth);
	if (!run && t->qd == qd) {
		if (t->end_run)
			return LAT_DONE;
		t->end_run = true;
		return LAT_FINAL;
	}
	return LAT_UP;
}

enum lat_step lat_target_over(struct lat_target *t, u64 pct)
{
	if (pct >= HUNDRED_PCT)
		return ramp_down(t);
	t->failed++;
	return LAT_NONE;
}

enum lat_step lat_target_check(struct lat_target *t, u64 window_ns, u64 pct, bool run, u64 ios,
			       u64 now)
{
	u64 n = ios - t->cycle_ios;
	enum lat_step step;

	if (now - t->cycle_ns < window_ns)
		return LAT_NONE;
	/* (n - failed) / n * 100 >= pct, in whole numbers; fio's 0/0 fails. */
	if (n && (n - MIN(t->failed, n)) * HUNDRED_PCT >= pct * n)
		return ramp_up(t, run);
	step = ramp_down(t);
	return step == LAT_FATAL ? LAT_NONE : step;
}
