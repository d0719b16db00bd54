/* SPDX-License-Identifier: MIT */
/*
 * Disks as the job engine sees them (bench/run.c): per-disk settings from
 * the command line, and the queues that do the work under a partition or a
 * stacked md device.
 */
#ifndef BENCH_DISK_H
#define BENCH_DISK_H

#include "kernel/types.h"

struct gendisk;
struct request_queue;

/* A scheduler tunable given as command-line text. */
int elv_set_tunable_str(struct request_queue *q, const char *key, const char *value);
/* A per-disk setting (md devices pass it to their members); 0 or kernel_fail(). */
int disk_setting(struct gendisk *disk, const char *key, const char *value);
/* The disks that own the queues under @disk (md members, a partition's disk). */
unsigned disk_lower(struct gendisk *disk, struct gendisk **out, unsigned max);
/* Wait until the disk and the disks under it have nothing queued or in flight. */
void disk_drain(struct gendisk *disk);
/* blk_poll on the disk's queue or its members'; how many completions were found. */
int disk_poll(struct gendisk *disk, bool hipri, bool spin);

#endif
