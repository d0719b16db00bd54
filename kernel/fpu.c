/* SPDX-License-Identifier: MIT */
#include "kernel/fpu.h"
#include "kernel/types.h"

#define CR0_MP (1ul << 1) /* WAIT honours TS */
#define CR0_EM (1ul << 2) /* no x87: must be clear */
#define CR0_TS (1ul << 3) /* lazy switching: we never switch */
#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)

void fpu_init(void)
{
	unsigned long cr0, cr4;

	__asm__ __volatile__("mov %%cr0, %0" : "=r"(cr0));
	cr0 = (cr0 | CR0_MP) & ~(CR0_EM | CR0_TS);
	__asm__ __volatile__("mov %0, %%cr0" ::"r"(cr0));
	__asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	__asm__ __volatile__("mov %0, %%cr4" ::"r"(cr4));
	/*
	 * MXCSR is already 0x1f80 (every exception masked, round to nearest):
	 * its value at power-up and INIT (Intel SDM vol. 3, table 9-1), and no
	 * firmware before us uses SSE. Not loading it keeps SSE out of the
	 * boot: under the nested KVM of this project's machines every SSE
	 * instruction goes to KVM's instruction emulator, which cannot run
	 * them ("KVM internal error ... emulation failure"), so an ldmxcsr
	 * here stopped every boot. (Jobs with a random distribution, whose
	 * bench/dist.c is the one SSE code, still cannot run there.)
	 */
	__asm__ __volatile__("fninit");
}
