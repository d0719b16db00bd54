/* SPDX-License-Identifier: MIT */
/*
 * 32-bit entry from either loader, the switch to long mode, and the jump to
 * C. Both loaders leave us in flat 32-bit protected mode with paging off and
 * interrupts disabled (Multiboot2 spec 3.3; Xen PVH start-of-day ABI).
 */
#include "boot/boot.h"

#define MB2_MAGIC	0xe85250d6
#define MB2_ARCH_I386	0
#define MB2_BOOTLOADER_MAGIC 0x36d76289

#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define PTE_P		(1 << 0)
#define PTE_W		(1 << 1)
#define PTE_PS		(1 << 7)

/* Multiboot2 header: GRUB takes load addresses from the ELF headers. */
	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* Ask for the tags we read; GRUB fails the boot if it cannot give them. */
	.balign 8
	.short 1, 0			/* information request, required */
	.long 16
	.long 1, 6			/* command line, memory map */
	.balign 8
	.short 0, 0			/* end tag */
	.long 8
mb2_header_end:

/* Xen PVH entry note: QEMU's -kernel enters at pvh_start in 32-bit mode. */
	.section .note.Xen, "a"
	.balign 4
	.long 4				/* name size: "Xen\0" */
	.long 4				/* descriptor size */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.long pvh_start
	.balign 4

	.section .boot.text, "ax"
	.code32
	.globl _start
_start:					/* multiboot2: eax magic, ebx info */
	cli
	cmpl $MB2_BOOTLOADER_MAGIC, %eax
	jne no_boot_magic
	movl $BOOT_PROTO_MULTIBOOT2, %esi
	jmp common32

	.globl pvh_start
pvh_start:				/* PVH: ebx = struct hvm_start_info */
	cli
	movl $BOOT_PROTO_PVH, %esi

common32:
	/* The first thing timed: boot-to-first-I/O is measured from here. */
	rdtsc
	movl %eax, boot_tsc_entry
	movl %edx, boot_tsc_entry + 4
	movl %ebx, %ebp
	movl $boot_stack_top, %esp
	cld

	/*
	 * Zero the page tables (the loops below write only the entries' low
	 * halves). The rest of .bss waits for long mode, where "rep stosq"
	 * zeroes it in half the iterations: under TCG each iteration of a rep
	 * instruction costs the same whatever its width.
	 */
	movl $boot_pml4, %edi
	movl $(BOOT_PAGE_TABLES_SIZE / 4), %ecx
	xorl %eax, %eax
	rep stosl

	movl %esi, boot_proto
	movl %ebp, boot_info

	/* Long mode needs CPUID leaf 0x80000001 and its LM bit. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 29), %edx
	jz no_long_mode

	/*
	 * Identity map the low 4 GiB with 2 MiB pages: one PML4 entry, four
	 * PDPT entries, four page directories. MMIO above 4 GiB is mapped
	 * later by ioremap().
	 */
	movl $boot_pdpt, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, boot_pml4

	movl $boot_pd, %eax
	orl $(PTE_P | PTE_W), %eax
	movl $boot_pdpt, %edi
	movl $4, %ecx
1:	movl %eax, (%edi)
	addl $4096, %eax
	addl $8, %edi
	loop 1b

	movl $boot_pd, %edi
	movl $(PTE_P | PTE_W | PTE_PS), %eax
	movl $2048, %ecx
1:	movl %eax, (%edi)
	addl $(2 << 20), %eax
	addl $8, %edi
	loop 1b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $CR0_PG, %eax
	movl %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $BOOT_CS, $long_mode_entry

/* Report on COM1 and leave through isa-debug-exit with the failing status. */
no_boot_magic:
	movl $msg_no_magic, %esi
	jmp fail32
no_long_mode:
	movl $msg_no_lm, %esi
fail32:
	movw $0x3f8, %dx
1:	lodsb
	testb %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:	movw $0xf4, %dx
	movl $0x11, %eax
	outl %eax, %dx
3:	hlt
	jmp 3b

	.code64
long_mode_entry:
	movw $BOOT_DS, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movq $boot_stack_top, %rsp
	/* The rest of .bss (the page tables and this stack lie before it). */
	movq $__bss_start, %rdi
	movq $__bss_end, %rcx
	subq %rdi, %rcx
	shrq $3, %rcx
	xorl %eax, %eax
	rep stosq
	xorl %ebp, %ebp
	movl boot_proto(%rip), %edi
	movl boot_info(%rip), %esi
	call kmain
1:	cli
	hlt
	jmp 1b

	.section .rodata
msg_no_magic:
	.asciz "vblk: not started by a multiboot2 loader\r\nRESULT: FAIL boot protocol\r\n"
msg_no_lm:
	.asciz "vblk: this CPU has no long mode\r\nRESULT: FAIL no long mode\r\n"

	.balign 8
boot_gdt:
	.quad 0				/* null */
	.quad 0x00209a0000000000	/* BOOT_CS: 64-bit code, present, ring 0 */
	.quad 0x0000920000000000	/* BOOT_DS: data, present, writable */
boot_gdt_end:
boot_gdt_ptr:
	.short boot_gdt_end - boot_gdt - 1
	.long boot_gdt

	.data
	.globl boot_proto, boot_info, boot_tsc_entry
	.balign 8
boot_tsc_entry:	.quad 0
boot_proto:	.long 0
boot_info:	.long 0

	/* Before __bss_start (linker.ld): zeroed apart, or not at all. */
	.section .bss.boot, "aw", @nobits
	.balign 4096
	.globl boot_pml4
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
	.globl boot_pd
boot_pd:	.skip 4 * 4096	/* BOOT_PAGE_TABLES_SIZE in all, from boot_pml4 */
	.balign 16
	.globl boot_stack_top
boot_stack:	.skip BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
