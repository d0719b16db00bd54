/* SPDX-License-Identifier: MIT */
/*
 * The spinlock's slow path and its reports (the fast path is inline in
 * include/kernel/platform.h). A lock that stays taken for seconds is a
 * lockup, never a legitimate wait in this kernel: report the lock, its
 * holder and the waiter instead of hanging until the runner's time-out.
 */
#include "kernel/cpu.h"
#include "kernel/platform.h"

#define SPIN_LOCKUP_NS (5 * NSEC_PER_SEC)

void spin_lock_wait(spinlock_t *l)
{
	u64 start = 0;
	unsigned spins = 0;

	do {
		/* Read-only while it is taken: the cache line stays shared. */
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
			cpu_relax();
			/* Read the clock only now and then: it is not free under TCG. */
			if (++spins & 0xffff)
				continue;
			if (!start)
				start = ktime_get_ns();
			else if (ktime_get_ns() > start + SPIN_LOCKUP_NS)
				spin_lock_bug(l, "lockup: waited for more than 5 s");
		}
	} while (!__spin_trylock(l));
}

void spin_lock_bug(spinlock_t *l, const char *what)
{
	panic("spinlock %s: %s (held by CPU %d)", l->name ? l->name : "?", what, READ_ONCE(l->cpu));
}
