/* SPDX-License-Identifier: MIT */
/* End of run: the RESULT line, then isa-debug-exit, ACPI power-off, halt. */
#include "kernel/acpi.h"
#include "kernel/cpu.h"
#include "kernel/exit.h"
#include "kernel/kernel.h"
#include "kernel/platform.h"

static __noreturn void machine_exit(u32 status)
{
	local_irq_disable();
	/*
	 * With -device isa-debug-exit QEMU exits on this write. Without it the
	 * write goes nowhere and we fall through to ACPI, whose S5 sleep makes
	 * QEMU exit 0 (which a runner reads as failure unless told otherwise).
	 */
	outl(DEBUG_EXIT_PORT, status);
	acpi_poweroff();
	for (;;)
		halt();
}

void kernel_exit_pass(void)
{
	printk("RESULT: PASS\n");
	machine_exit(DEBUG_EXIT_PASS);
}

void kernel_exit_fail(const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	printk("RESULT: FAIL %s\n", reason);
	machine_exit(DEBUG_EXIT_FAIL);
}

void panic(const char *fmt, ...)
{
	static bool in_panic;
	char msg[256];
	va_list ap;

	local_irq_disable();
	if (in_panic)
		machine_exit(DEBUG_EXIT_FAIL); /* a panic while panicking */
	in_panic = true;
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk("PANIC: %s\n", msg);
	printk("RESULT: FAIL panic: %s\n", msg);
	machine_exit(DEBUG_EXIT_FAIL);
}

static char fail_reason[256];

int kernel_fail(const char *fmt, ...)
{
	va_list ap;

	if (!fail_reason[0]) {
		va_start(ap, fmt);
		kvsnprintf(fail_reason, sizeof(fail_reason), fmt, ap);
		va_end(ap);
	}
	return -EIO;
}

const char *kernel_fail_reason(void)
{
	return fail_reason[0] ? fail_reason : "unknown failure";
}
