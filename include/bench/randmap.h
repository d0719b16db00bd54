/* SPDX-License-Identifier: MIT */
/*
 * fio's random map: a random job visits every block of its region once per
 * pass, in random order, instead of drawing blocks with replacement (which
 * leaves a third of them untouched after one region's worth of I/O, so a
 * later verify pass finds blocks nobody wrote). The order is a keyed
 * permutation, a small Feistel network over the next even power of two,
 * walked until it lands inside the region: constant memory for any size.
 */
#ifndef KERNEL_RANDMAP_H
#define KERNEL_RANDMAP_H

#include "kernel/types.h"

struct randmap {
	u64 n;	       /* blocks in the region */
	unsigned half; /* bits per Feistel half */
	u64 key[4];    /* round keys of this pass */
	u64 next;      /* position in the current pass */
	u64 seed;
};

void randmap_init(struct randmap *m, u64 n, u64 seed);
/* The next block; a new pass, in a new order, starts after n blocks. */
u64 randmap_next(struct randmap *m);
/* Where the current pass's order puts @x (< n): a bijection of [0, n). */
u64 randmap_permute(const struct randmap *m, u64 x);

#endif
