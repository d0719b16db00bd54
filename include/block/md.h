/* SPDX-License-Identifier: MIT */
/*
 * md: a stacking driver over other disks, with no queue of its own. Its
 * make_request_fn cuts each bio at chunk (stripe) or member (linear)
 * boundaries, points the pieces at the member disks and hands them to
 * generic_make_request again, which is what the seed's bio_list loop turns
 * from recursion into iteration. The parent bio ends when all its pieces
 * have, with the first error any of them met.
 */
#ifndef BLOCK_MD_H
#define BLOCK_MD_H

#include "block/genhd.h"
#include "kernel/types.h"

enum md_level {
	MD_LINEAR = 1, /* members one after another: capacity is the sum */
	MD_STRIPE = 2, /* chunks round-robin over members (RAID 0) */
};

#define MD_MAX_MEMBERS 16

/*
 * Create disk @name over @members. Stripe: @chunk_bytes is a power of two,
 * at least every member's logical block; capacity is n times the smallest
 * member rounded down to whole chunks. Linear: @chunk_bytes is ignored;
 * capacity is the sum. Members must outlive the md disk. Returns 0, or
 * -EINVAL (bad level, chunk, member list or name; members too small),
 * -EEXIST (name taken) or -ENOMEM.
 */
int md_create(const char *name, int level, u32 chunk_bytes, struct gendisk *const members[],
	      unsigned n);
/* The member disks of an md disk (at most @max), or 0 for any other disk. */
unsigned md_members(struct gendisk *disk, struct gendisk **out, unsigned max);
/* Remove an md disk made by md_create; its I/O must have finished. */
int md_destroy(const char *name);

#endif
