/* SPDX-License-Identifier: MIT */
/*
 * Interrupt vectors and handlers. Vectors 0-31 are CPU exceptions; device
 * vectors are allocated from IRQ_VECTOR_FIRST up; the LAPIC timer and the
 * spurious vector sit at the top. End-of-interrupt is sent in one place,
 * trap_dispatch(), after the handlers ran.
 */
#ifndef KERNEL_INTERRUPT_H
#define KERNEL_INTERRUPT_H

#include "kernel/io.h"
#include "kernel/types.h"

struct pt_regs {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;
};

#define IRQ_VECTOR_FIRST 0x30
#define IRQ_VECTOR_LAST 0xdf
#define TIMER_VECTOR 0xef
/* 0xf0.. : inter-processor interrupts (include/kernel/smp.h). */
#define SPURIOUS_VECTOR 0xff

/* The boot CPU: the IDT, then traps_init_cpu. */
void traps_init(void);
/* Every CPU: its own GDT and TSS (with its IST stacks), and the IDT. */
void traps_init_cpu(void);
/* irq_alloc_vector, request_irq, free_irq and the rest are in kernel/io.h. */
/* Wait until no CPU runs a handler of @vector. */
void synchronize_irq(int vector);
/* Interrupts taken on @vector: on every CPU, or on one. */
u64 irq_count(int vector);
u64 irq_count_cpu(int vector, unsigned cpu);

#endif
