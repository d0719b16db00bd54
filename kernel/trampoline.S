/* SPDX-License-Identifier: MIT */
/*
 * The application processors' way into long mode.
 *
 * A STARTUP IPI starts a CPU in real mode at CS:IP = VV00:0000, VV being
 * the IPI's vector (SDM vol. 3, 8.4.4.1), so the first part below must sit
 * on a page under 1 MiB: kernel/smp.c copies trampoline_start ..
 * trampoline_end there and fills in the data block at its end (the
 * absolute addresses the code needs, since the copy's address is only
 * known at run time). From there: load a GDT of our own, enter 32-bit
 * protected mode, turn on PAE, load the boot page tables, set EFER.LME,
 * turn on paging (now in long mode, SDM vol. 3, 9.8.5) and far-jump into
 * the kernel image proper, at ap_long_entry, which switches to the stack
 * the boot CPU prepared and calls ap_start().
 */
#include "boot/boot.h"

#define CR0_PE		(1 << 0)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)

/* Selectors of the trampoline's GDT. */
#define TR_CS64		0x08
#define TR_DS		0x10
#define TR_CS32		0x18

#define OFF(sym)	((sym) - trampoline_start)

	.section .rodata
	.balign 16
	.globl trampoline_start
trampoline_start:
	.code16
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	/* Our physical base, from CS, for the 32-bit code's data accesses. */
	xorl %ebx, %ebx
	movw %ax, %bx
	shll $4, %ebx
	lgdtl OFF(tr_gdt_ptr)
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl *OFF(tr_pm32_ptr)

	.code32
tr_pm32:
	movw $TR_DS, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl OFF(tr_cr3)(%ebx), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $CR0_PG, %eax
	movl %eax, %cr0
	ljmpl *OFF(tr_lm_ptr)(%ebx)

	/* The data block: kernel/smp.c's struct trampoline_data, in this order. */
	.balign 8
	.globl trampoline_data
trampoline_data:
tr_gdt:
	.quad 0				/* null */
	.quad 0x00209a0000000000	/* TR_CS64: 64-bit code */
	.quad 0x00cf92000000ffff	/* TR_DS: flat 4 GiB data */
	.quad 0x00cf9a000000ffff	/* TR_CS32: flat 4 GiB 32-bit code */
tr_gdt_ptr:
	.short 4 * 8 - 1
	.long 0				/* patched: tr_gdt's physical address */
tr_pm32_ptr:
	.long 0				/* patched: tr_pm32's physical address */
	.short TR_CS32
tr_lm_ptr:
	.long 0				/* patched: ap_long_entry */
	.short TR_CS64
tr_cr3:
	.long 0				/* patched: the boot PML4 */
	.globl trampoline_end
trampoline_end:

/* Offsets kernel/smp.c patches, relative to trampoline_start. */
	.balign 4
	.globl trampoline_off_gdt, trampoline_off_gdt_ptr, trampoline_off_pm32
	.globl trampoline_off_pm32_ptr, trampoline_off_lm_ptr, trampoline_off_cr3
trampoline_off_gdt:	.long OFF(tr_gdt)
trampoline_off_gdt_ptr:	.long OFF(tr_gdt_ptr)
trampoline_off_pm32:	.long OFF(tr_pm32)
trampoline_off_pm32_ptr: .long OFF(tr_pm32_ptr)
trampoline_off_lm_ptr:	.long OFF(tr_lm_ptr)
trampoline_off_cr3:	.long OFF(tr_cr3)

	.text
	.code64
	.globl ap_long_entry
ap_long_entry:
	movw $TR_DS, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	/* One AP starts at a time: the boot CPU left its stack and number here. */
	movq ap_boot_stack(%rip), %rsp
	movl ap_boot_cpu(%rip), %edi
	xorl %ebp, %ebp
	call ap_start
1:	cli
	hlt
	jmp 1b

	.section .note.GNU-stack, "", @progbits
