/* SPDX-License-Identifier: MIT */
/*
 * What kmain hands over to once the machine is up. kernel_run() is the
 * application's entry point: kernel/ declares it and the layer above
 * (bench/run.c, the job engine's wiring) implements it, so the platform
 * names no driver, block-layer or job-engine file.
 */
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

/* Record why the run failed (first reason wins) and return -EIO (kernel/exit.c). */
int kernel_fail(const char *fmt, ...) __printf(1, 2);
const char *kernel_fail_reason(void);

/* kernel/selftest.c: test=NAME. Returns 0 or a kernel_fail() status. */
bool selftest_known(const char *name);
void selftest_claim_keys(struct cmdline *cl);
int selftest_run(const char *name, struct cmdline *cl);

#endif
