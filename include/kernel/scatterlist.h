/* SPDX-License-Identifier: MIT */
/*
 * A scatter-gather element as the device sees it: a bus address and a
 * length. The block layer builds these from bios (blk_rq_map_sg) and the
 * virtqueue turns them into descriptors.
 */
#ifndef KERNEL_SCATTERLIST_H
#define KERNEL_SCATTERLIST_H

#include "kernel/types.h"

struct scatterlist {
	phys_addr_t addr;
	u32 length;
};

static inline void sg_set(struct scatterlist *sg, phys_addr_t addr, u32 length)
{
	sg->addr = addr;
	sg->length = length;
}

#endif
