/* SPDX-License-Identifier: MIT */
/*
 * The FPU and SSE, for the few files built to use them (the job engine's
 * random distributions). The rest of the kernel is compiled for general
 * registers only, interrupt handlers included, so no register state is
 * saved on interrupts: floating point is for process context only.
 */
#ifndef KERNEL_FPU_H
#define KERNEL_FPU_H

/* Enable x87 and SSE on this CPU (every CPU calls it once at bring-up). */
void fpu_init(void);

#endif
