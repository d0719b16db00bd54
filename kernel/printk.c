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
