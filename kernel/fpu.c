/* SPDX-License-Identifier: MIT */
#include "kernel/fpu.h"
#include "kernel/types.h"

#define CR0_MP (1ul << 1) /* WAIT honours TS */
#define CR0_EM (1ul << 2) /* no x87: must be clear */
#define CR0_TS (1ul << 3) /* lazy switching: we never switch */
#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)
#define MXCSR_DEFAULT 0x1f80 /* all exceptions masked, round to nearest */

void fpu_init(void)
{
	unsigned long cr0, cr4;
	u32 mxcsr = MXCSR_DEFAULT;

	__asm__ __volatile__("mov %%cr0, %0" : "=r"(cr0));
	cr0 = (cr0 | CR0_MP) & ~(CR0_EM | CR0_TS);
	__asm__ __volatile__("mov %0, %%cr0" ::"r"(cr0));
	__asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	__asm__ __volatile__("mov %0, %%cr4" ::"r"(cr4));
	__asm__ __volatile__("fninit; ldmxcsr %0" ::"m"(mxcsr));
}
