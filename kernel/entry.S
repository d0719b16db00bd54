/* SPDX-License-Identifier: MIT */
/*
 * Interrupt and exception entry. Every vector has a stub that makes the
 * stack look the same (an error code, real or zero, and the vector number),
 * then one common path saves the general registers as struct pt_regs and
 * calls trap_dispatch(). The kernel is built with -mgeneral-regs-only, so no
 * SSE state needs saving.
 */

/* Exceptions for which the CPU pushes an error code (SDM vol. 3, 6.13). */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.text
	.altmacro

.macro STUB v
	.balign 16
isr_stub_\v:
	.if HAS_ERROR_CODE(\v)
	.else
	pushq $0
	.endif
	pushq $\v
	jmp isr_common
.endm

.set vec, 0
.rept 256
	STUB %vec
	.set vec, vec + 1
.endr

isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld
	movq %rsp, %rdi
	call trap_dispatch
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp		/* vector and error code */
	iretq

.macro STUB_ADDR v
	.quad isr_stub_\v
.endm

	.section .rodata
	.balign 8
	.globl isr_stub_table
isr_stub_table:
.set vec, 0
.rept 256
	STUB_ADDR %vec
	.set vec, vec + 1
.endr

	.section .note.GNU-stack, "", @progbits
