/* SPDX-License-Identifier: MIT */
#include "kernel/cpu.h"
#include "kernel/mm.h"
#include "kernel/paging.h"
#include "kernel/platform.h"
#include "kernel/string.h"

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS (1ull << 7)
#define PTE_ADDR_MASK 0x000ffffffffff000ull
#define LARGE_PAGE (2ull << 20)
#define IDENTITY_LIMIT GiB(4)
/* 4-level paging: 48-bit virtual addresses, identity mapped here. */
#define VA_LIMIT (1ull << 47)

static u64 *table_next(u64 *table, unsigned idx)
{
	if (!(table[idx] & PTE_P)) {
		u64 *t = alloc_pages(0);
		if (!t)
			return NULL;
		memset(t, 0, PAGE_SIZE);
		table[idx] = (u64)(uintptr_t)t | PTE_P | PTE_W;
	}
	if (table[idx] & PTE_PS)
		return NULL; /* already a large page at this level */
	return (u64 *)(uintptr_t)(table[idx] & PTE_ADDR_MASK);
}

void *ioremap(phys_addr_t phys, size_t size)
{
	u64 start = ALIGN_DOWN(phys, LARGE_PAGE);
	u64 end = ALIGN_UP(phys + size, LARGE_PAGE);
	u64 *pml4 = (u64 *)(uintptr_t)(read_cr3() & PTE_ADDR_MASK);

	if (!size || phys + size < phys || end > VA_LIMIT) {
		pr_err("ioremap: cannot map %#lx+%#zx", phys, size);
		return NULL;
	}
	if (end <= IDENTITY_LIMIT)
		return (void *)(uintptr_t)phys;

	for (u64 a = MAX(start, IDENTITY_LIMIT); a < end; a += LARGE_PAGE) {
		u64 *pdpt = table_next(pml4, (a >> 39) & 511);
		u64 *pd = pdpt ? table_next(pdpt, (a >> 30) & 511) : NULL;
		if (!pd) {
			pr_err("ioremap: no page table for %#lx", a);
			return NULL;
		}
		pd[(a >> 21) & 511] = a | PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT;
	}
	write_cr3(read_cr3()); /* flush the TLB */
	return (void *)(uintptr_t)phys;
}
