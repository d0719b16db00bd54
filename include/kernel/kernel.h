/* SPDX-License-Identifier: MIT */
/* The run: what kmain does once the machine is up. */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include "kernel/cmdline.h"
#include "kernel/types.h"

extern struct cmdline kernel_cmdline;

/*
 * Claim every command-line key, report unknown ones, then run the self
 * tests or jobs. Returns 0 on success; on failure kernel_fail_reason()
 * says why, for the RESULT line.
 */
int kernel_run(struct cmdline *cl, const char *const *ignored_keys);

/* Record why the run failed (first reason wins) and return -EIO. */
int kernel_fail(const char *fmt, ...) __printf(1, 2);
const char *kernel_fail_reason(void);

struct request_queue;
/* A scheduler tunable given as command-line text (kernel/run.c). */
int elv_set_tunable_str(struct request_queue *q, const char *key, const char *value);

struct gendisk;
/* kernel/run.c: a per-disk setting (md devices pass it to their members). */
int disk_setting(struct gendisk *disk, const char *key, const char *value);
unsigned disk_lower(struct gendisk *disk, struct gendisk **out, unsigned max);
void disk_drain(struct gendisk *disk);
int disk_poll(struct gendisk *disk, bool spin);

/* kernel/selftest.c: test=NAME. Returns 0 or a kernel_fail() status. */
bool selftest_known(const char *name);
int selftest_run(const char *name, struct cmdline *cl);

#endif
