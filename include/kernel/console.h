/* SPDX-License-Identifier: MIT */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include "kernel/types.h"

/* The UART, polled; its output is held back until console_flush(). */
void console_init(void);
/* Callers keep lines whole: printk's lock, or every other CPU stopped. */
void console_write(const char *s, size_t len);
/*
 * Write out what the console held back since console_init, and stop
 * holding: when the run's first I/O completes (printk_flush), and on
 * every way out of the kernel. Same locking as console_write.
 */
void console_flush(void);
/* Whether output is still being held back. */
bool console_holding(void);

#endif
