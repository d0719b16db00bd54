/* SPDX-License-Identifier: MIT */
/* End of run: the RESULT line, then isa-debug-exit, ACPI power-off, halt. */
#include "kernel/acpi.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/exit.h"
#include "kernel/kernel.h"
#include "kernel/platform.h"
#include "kernel/smp.h"
#include "kernel/time.h"

static __noreturn void machine_exit(u32 status)
{
	local_irq_disable();
	/* Every other CPU has stopped: no lock, and whatever the console held. */
	console_flush();
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

/*
 * Every way out goes through smp_stop_other_cpus first: the first CPU
 * there owns the end of the run and stops the others (a CPU that fails at
 * the same moment halts there), so exactly one RESULT line is printed and
 * nothing is printed after it.
 */
static void report_stopped(unsigned stopped)
{
	unsigned others = num_online_cpus() - 1;

	if (others)
		printk("smp: stopped %u of %u other CPU(s)\n", stopped, others);
}

void kernel_exit_pass(void)
{
	report_stopped(smp_stop_other_cpus());
	clock_watchdog_report();
	printk("RESULT: PASS\n");
	machine_exit(DEBUG_EXIT_PASS);
}

void kernel_exit_fail(const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	report_stopped(smp_stop_other_cpus());
	va_start(ap, fmt);
	kvsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	clock_watchdog_report();
	printk("RESULT: FAIL %s\n", reason);
	machine_exit(DEBUG_EXIT_FAIL);
}

void panic(const char *fmt, ...)
{
	static bool in_panic;
	unsigned stopped;
	char msg[256];
	va_list ap;

	local_irq_disable();
	stopped = smp_stop_other_cpus();
	if (in_panic)
		machine_exit(DEBUG_EXIT_FAIL); /* a panic while panicking */
	in_panic = true;
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk("PANIC: %s (CPU %u)\n", msg, smp_processor_id());
	report_stopped(stopped);
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
