/* SPDX-License-Identifier: MIT */
/*
 * Interrupt vectors and handlers. Vectors 0-31 are CPU exceptions; device
 * vectors are allocated from IRQ_VECTOR_FIRST up; the LAPIC timer and the
 * spurious vector sit at the top. End-of-interrupt is sent in one place,
 * trap_dispatch(), after the handlers ran.
 */
#ifndef KERNEL_INTERRUPT_H
#define KERNEL_INTERRUPT_H

#include "kernel/types.h"

struct pt_regs {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;
};

#define IRQ_NONE 0
#define IRQ_HANDLED 1

#define IRQ_VECTOR_FIRST 0x30
#define IRQ_VECTOR_LAST 0xdf
#define TIMER_VECTOR 0xef
#define SPURIOUS_VECTOR 0xff

typedef int (*irq_handler_t)(int vector, void *data);

void traps_init(void);
/* A free device vector, or -ENOSPC. */
int irq_alloc_vector(void);
/* Give back a vector that no handler uses any more. */
void irq_free_vector(int vector);
/* Several handlers may share a vector (INTx lines are shared). */
int request_irq(int vector, irq_handler_t handler, void *data, const char *name);
void free_irq(int vector, void *data);
u64 irq_count(int vector);

#endif
