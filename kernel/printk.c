/* SPDX-License-Identifier: MIT */
/* printk: format into a stack buffer and write it to the serial console. */
#include "kernel/console.h"
#include "kernel/platform.h"
#include "kernel/smp.h"

#define PRINTK_LINE_MAX 512

static DEFINE_SPINLOCK(console_lock);

/* Whether this CPU must take the console lock: not when it ends the run. */
static bool printk_lock(unsigned long *flags)
{
	bool locked;

	*flags = local_irq_save();
	locked = smp_exit_cpu() != (int)smp_processor_id();
	if (locked)
		spin_lock(&console_lock);
	return locked;
}

static void printk_unlock(bool locked, unsigned long flags)
{
	if (locked)
		spin_unlock(&console_lock);
	local_irq_restore(flags);
}

void printk_flush(void)
{
	unsigned long flags;
	bool locked = printk_lock(&flags);

	console_flush();
	printk_unlock(locked, flags);
}

/*
 * A boot that has not completed an I/O this long after its first
 * instruction (a normal one takes 15-60 ms under TCG) writes out what the
 * console holds, so that one that hangs before its first I/O, and is then
 * killed from outside, shows how far it got.
 */
#define PRINTK_HOLD_MAX_NS (200 * 1000 * 1000ull)

/* From the boot CPU's tick, in interrupt context. */
void printk_tick(u64 now_ns)
{
	unsigned long flags;

	if (likely(!console_holding()) || now_ns < PRINTK_HOLD_MAX_NS)
		return;
	/* A CPU printing right now holds the lock: the next tick tries again. */
	flags = local_irq_save();
	if (spin_trylock(&console_lock)) {
		console_flush();
		spin_unlock(&console_lock);
	}
	local_irq_restore(flags);
}

int printk(const char *fmt, ...)
{
	char buf[PRINTK_LINE_MAX];
	unsigned long flags;
	bool locked;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return n;
	/*
	 * One line is written whole even if an interrupt handler or another
	 * CPU prints too. The CPU ending the run has stopped every other one,
	 * possibly while it held this lock, so it writes without it.
	 */
	locked = printk_lock(&flags);
	console_write(buf, MIN((size_t)n, sizeof(buf) - 1));
	printk_unlock(locked, flags);
	return n;
}
