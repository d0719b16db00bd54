/* SPDX-License-Identifier: MIT */
/* printk: format into a stack buffer and write it to the serial console. */
#include "kernel/console.h"
#include "kernel/platform.h"

#define PRINTK_LINE_MAX 512

int printk(const char *fmt, ...)
{
	char buf[PRINTK_LINE_MAX];
	unsigned long flags;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return n;
	/* One line is written whole even if an interrupt handler prints too. */
	flags = local_irq_save();
	console_write(buf, MIN((size_t)n, sizeof(buf) - 1));
	local_irq_restore(flags);
	return n;
}
