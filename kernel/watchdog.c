/* SPDX-License-Identifier: MIT */
#include "kernel/platform.h"
#include "kernel/watchdog.h"

static u64 timeout;
static volatile u64 last_touch;
static void (*fire_fn)(void *data);
static void *fire_data;
static bool firing;

void watchdog_arm(u64 timeout_ns, void (*fire)(void *data), void *data)
{
	unsigned long flags = local_irq_save();

	fire_fn = fire;
	fire_data = data;
	last_touch = ktime_get_ns();
	timeout = timeout_ns;
	local_irq_restore(flags);
}

void watchdog_disarm(void)
{
	timeout = 0;
}

void watchdog_touch(u64 now_ns)
{
	last_touch = now_ns;
}

void watchdog_check(u64 now_ns)
{
	u64 t = timeout, last = last_touch;

	if (!t || firing || now_ns < last || now_ns - last <= t)
		return;
	/* The function ends the run; it is never entered twice. */
	firing = true;
	fire_fn(fire_data);
}
